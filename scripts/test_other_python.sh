#!/usr/bin/env bash
# The process tests under another Python (issue 22: the worker pool on a newer interpreter than the project's 3.11):
#
#   scripts/test_other_python.sh PYTHON [VENV]     e.g. scripts/test_other_python.sh /opt/py313/bin/python3.13
#
# Makes a venv with PYTHON in VENV (default: a temporary folder, removed at the end), installs this project with its
# test extra (requirements.lock as constraints; if that fails, e.g. a pin with no wheel for PYTHON, without them),
# prints the versions it got, then runs tests/test_workers.py, tests/test_pipeline.py and tests/test_data_safety.py
# with DeprecationWarning as an error. Python 3.12+ reports a fork() from a multi-threaded process only on stderr
# (CPython clears that warning after issuing it, so -W error cannot fail on it): test_workers.py reads it there.
# Not part of `make test` (CI has 3.11 only). Exit status: pytest's.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 PYTHON [VENV]" >&2
  exit 2
fi
python=$1
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 2 ]; then
  venv=$2
else
  venv=$(mktemp -d "${TMPDIR:-/tmp}/corpus-tools-py.XXXXXX")
  trap 'rm -rf "$venv"' EXIT
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
if ! "$venv/bin/python" -m pip install --quiet -c "$root/requirements.lock" -e "$root[test]"; then
  echo "note: the locked versions do not install with $python; installing without requirements.lock" >&2
  "$venv/bin/python" -m pip install --quiet -e "$root[test]"
fi
"$venv/bin/python" - <<'EOF'
import sys
from importlib.metadata import version

names = ["numpy", "scipy", "pandas", "pyarrow", "scikit-learn", "matplotlib", "cloudpickle", "threadpoolctl",
         "jieba", "pytest"]
print("Python", sys.version.split()[0], "·", ", ".join(f"{n} {version(n)}" for n in names))
EOF
cd "$root"
export CORPUS_TOOLS_CACHE=${CORPUS_TOOLS_CACHE:-$venv/corpus-tools-cache}
status=0
"$venv/bin/python" -W error::DeprecationWarning -m pytest -W error::DeprecationWarning -p no:xdist -q \
  tests/test_workers.py tests/test_pipeline.py tests/test_data_safety.py || status=$?
exit "$status"
