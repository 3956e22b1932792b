"""Seconds and peak memory of each analysis stage on synthetic corpora of N copies of the booklet (k = 7).

Run: ``.venv/bin/python benchmarks/bench_stages.py [N ...]`` (default sizes 10 30; add 100 for the large run).
Each size runs in a fresh interpreter: ``corpus_tools.analyse(booklet, Params(k=7), progress=…)`` with a progress
reporter that reads the clock and ``ru_maxrss`` (peak RSS of the process so far, MiB) before each stage and at the
end, so each stage's row shows its seconds and the peak after it; a stage that does not raise the peak shows the
previous one. Figures and saving are not part of ``analyse`` and are not timed here (``bench_run.py`` times the
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

class R:
    def __init__(self):
        self.rows, self.cur, self.t = [], None, None
    def _close(self):
        if self.cur is not None:
            self.rows.append((self.cur, time.perf_counter() - self.t, peak()))
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
            print(f"  {'stage':10s} {'seconds':>8s} {'peak MiB':>9s}")
            peak_before, prev = None, r["parsed_peak"]
            for name, sec, peak in r["rows"]:
                if name == LATER[0] and peak_before is None:
                    peak_before = prev
                print(f"  {name:10s} {sec:8.2f} {peak:9.0f}")
                prev = peak
            later = [(s, p) for name, s, p in r["rows"] if name in LATER]
            if later and peak_before is not None:
                print(f"  after topics: {sum(s for s, _ in later):.2f} s, peak +{later[-1][1] - peak_before:.0f} MiB "
                      f"(from {peak_before:.0f} MiB)", flush=True)


if __name__ == "__main__":
    main()
