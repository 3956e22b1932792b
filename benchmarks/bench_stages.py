"""Seconds and peak memory of each analysis stage on synthetic corpora of N copies of the booklet (k = 7).

Run: ``.venv/bin/python benchmarks/bench_stages.py [N ...]`` (default sizes 10 30; add 100 for the large run).
Each size runs in a fresh interpreter: ``corpus_tools.analyse(booklet, Params(k=7), progress=…)`` with a progress
reporter that reads the clock, ``ru_maxrss`` (peak RSS of the process so far, MiB) and the current RSS before each
stage and at the end, so each stage's row shows its seconds, the peak after it (a stage that does not raise the peak
shows the previous one) and the RSS left when it ends (its tables stay in the study). Figures and saving are not part of ``analyse`` and are not timed here (``bench_run.py`` times the
whole run). Targets (issue 13, 2-core machine, 100×): the stages after ``topics`` together ≤ ~15 s and ≤ ~300 MiB
above the peak before them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import corpus_tools
from bench_run import synthetic

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def current():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

class R:
    def __init__(self):
        self.rows, self.cur, self.t = [], None, None
    def _close(self):
        if self.cur is not None:
            self.rows.append((self.cur, time.perf_counter() - self.t, peak(), current()))
    def stage(self, stage, i, n):
        self._close()
        self.cur, self.t = stage.name, time.perf_counter()
    def counter(self, total, desc):
        return lambda *a, **k: None

n, path = int(sys.argv[2]), Path(sys.argv[3])
b = corpus_tools.read_booklet(synthetic(n, path))
before = peak()
r = R()
corpus_tools.analyse(b, corpus_tools.Params(k=7), progress=r)
r._close()
print(json.dumps(dict(n=n, entries=len(b.entries), units=len(b.units), parsed_peak=before, rows=r.rows)))
"""

LATER = ("network", "trends", "coverage", "codes", "findings")


def run(n: int, tmp: Path) -> dict:
    """One fresh interpreter on ``n`` copies: per-stage seconds and peak RSS (MiB)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(HERE), str(n), str(tmp / f"x{n}.txt")], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10, 30]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = run(n, Path(tmp))
            print(f"{n} copies: {r['entries']} entries, {r['units']} units; peak after parsing {r['parsed_peak']:.0f} MiB")
            print(f"  {'stage':10s} {'seconds':>8s} {'peak MiB':>9s} {'RSS MiB':>8s}")
            before, prev = None, (r["parsed_peak"], r["parsed_peak"])
            for name, sec, peak, rss in r["rows"]:
                if name == LATER[0] and before is None:
                    before = prev
                print(f"  {name:10s} {sec:8.2f} {peak:9.0f} {rss:8.0f}")
                prev = (peak, rss)
            later = [row for row in r["rows"] if row[0] in LATER]
            if later and before is not None:
                top = max(row[2] for row in later)
                print(f"  after topics: {sum(row[1] for row in later):.2f} s; RSS {before[1]:.0f} → {later[-1][3]:.0f} MiB "
                      f"(+{later[-1][3] - before[1]:.0f}); peak {before[0]:.0f} → {top:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
