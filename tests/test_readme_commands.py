"""Every command the README shows works as written in a fresh shell after `make run` (issue 23): each `make`
target exists, each `corpus-tools` subcommand answers `--help`, the tools named are in the project's .venv, and the
cheap examples run on the booklet."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BOOKLET

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def readme_commands() -> list[str]:
    """Each command of the README's ```bash blocks: continuation lines joined, comments and placeholders kept."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if not line.strip():
                continue
            if line.startswith((" ", "\t")) and out:
                out[-1] += " " + line.strip()
            else:
                out.append(line.strip())
    return [re.sub(r"\s+#.*$", "", c).strip() for c in out]


COMMANDS = readme_commands()


def test_the_readme_shows_the_commands_a_new_user_needs():
    firsts = {c.split()[0] for c in COMMANDS}
    assert {"make", "corpus-tools", "source"} <= firsts
    made = {c.split()[1] for c in COMMANDS if c.startswith("make ")}
    assert {"run", "test", "report", "notebooks", "lab", "compare", "bench"} <= made


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("make ")])
def test_every_make_target_in_the_readme_exists(command):
    words = command.split()
    r = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, (command, r.stderr)
    assert "No rule to make target" not in r.stderr


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("corpus-tools ")])
def test_every_corpus_tools_command_in_the_readme_answers_help(command):
    subs = command.split()[1].split("|")
    for sub in subs:
        r = subprocess.run([str(BIN / "corpus-tools"), sub, "--help"], capture_output=True, text=True)
        assert r.returncode == 0, (sub, r.stderr)
        assert "usage: corpus-tools" in r.stdout


def test_activating_the_venv_gives_the_commands_the_readme_uses():
    assert "source .venv/bin/activate" in COMMANDS
    activate = BIN / "activate"
    assert activate.exists()
    for tool in {c.split()[0] for c in COMMANDS} - {"make", "source"}:
        assert "=" not in tool, f"{tool}: a command that needs an environment variable set by hand"
        in_venv = tool.startswith(".venv/bin/") and (BIN / Path(tool).name).exists()
        assert (BIN / tool).exists() or (ROOT / tool).exists() or in_venv, tool
    r = subprocess.run(["bash", "-c", f"source {activate} && command -v corpus-tools papermill jupyter"],
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert r.returncode == 0 and len(r.stdout.split()) == 3, r.stderr


def test_the_kwic_example_runs_on_the_booklet():
    r = subprocess.run([str(BIN / "corpus-tools"), "kwic", "数据湖", "--booklet", str(BOOKLET)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert "数据湖" in r.stdout


def test_make_compare_without_its_booklets_says_how_to_call_it():
    r = subprocess.run(["make", "-s", "compare"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode != 0 and "usage: make compare OLD=old.txt NEW=new.txt" in r.stderr


def test_the_python_example_runs_as_a_script(tmp_path, cache_dir):
    """The README's "In Python" block, saved as a script and run with the project's Python, writes the study:
    ``study.save`` draws the figures in worker processes, which import the script again, so the block needs its
    ``if __name__ == "__main__":`` guard (without it the script ran three times and ended in BrokenProcessPool).
    Run from a folder whose data/raw is the booklet's, with k = 7 as elsewhere in the tests (the session's cache
    holds that study; the README's own k is chosen by the rule, seconds more)."""
    import json

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"In Python[^\n]*\n\n```python\n(.*?)```", text, flags=re.S).group(1)
    assert 'if __name__ == "__main__":' in block and "study.save(" in block
    script = tmp_path / "example.py"
    script.write_text(block.replace("ct.Params(seed=0)", "ct.Params(seed=0, k=7)"), encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw").symlink_to(BOOKLET.parent, target_is_directory=True)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((tmp_path / "out" / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["params"]["k"] == 7 and (tmp_path / "out" / "report.html").is_file()
    assert len(list((tmp_path / "out" / "figures").glob("*.png"))) == 20
