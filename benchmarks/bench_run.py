"""The whole run (parse → … → figures → report) on the booklet and on synthetic corpora of N copies of it, in
fresh processes with an empty cache: wall time and peak memory (max RSS of the largest process, workers included).
Also the unchanged rerun (same input, same parameters: the up-to-date check) and a rerun after only the figure
formats changed (stages from the cache, figures drawn).

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_run.py [N ...]``; default sizes 1 10 100).
Targets (issue 13, 2-core machine): whole run with k chosen ≤ 10 s; unchanged rerun ≤ 2 s; 10× ≤ 30 s and
≤ 1.2 GB; 100× ≤ 120 s and ≤ 1.5 GB. The synthetic runs fix k = 7 (choosing k is timed on the booklet).
Cohort numbers beyond 十 are written as digits.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOKLET = ROOT / "data" / "raw" / "hit_cio_training_qa.txt"
CLI = [sys.executable, "-m", "corpus_tools.cli", "run", "-q"]


def synthetic(times: int, path: Path) -> Path:
    """``times`` sessions of the booklet in one file: the same nine sections each time (as a real multi-session
    corpus would have), cohorts renumbered per copy (第一期 → 第四期 …) so units multiply as sessions do."""
    text = BOOKLET.read_text(encoding="utf-8")
    head, body = text.split("【", 1)
    numerals = "一二三四五六七八九十"
    copies = []
    for k in range(times):
        def cohort(m, k=k):
            n = numerals.index(m.group(1)) + 1 + 3 * k
            return f"第{n}期"
        copies.append(re.sub(r"第([一二三])期", cohort, "【" + body))
    path.write_text(head + "".join(copies), encoding="utf-8")
    return path


def _env(cache: Path) -> dict:
    import os

    return {**os.environ, "CORPUS_TOOLS_CACHE": str(cache)}


WRAPPER = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed(args: list[str], cache: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the largest process of the run, workers included) of one command, run
    under a fresh interpreter (cache folder ``cache``) so that each measurement is its own."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WRAPPER, *args], check=True, capture_output=True, text=True,
                         env=_env(cache))
    return time.perf_counter() - t, int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 10, 100]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        full, cache = tmp / "full", tmp / "cache-full"
        wall, peak = timed(CLI + [str(BOOKLET), "-o", str(full)], cache)
        print(f"booklet, k chosen by the rule:   {wall:7.1f} s   peak RSS {peak:6.0f} MiB   (target ≤ 10 s)")
        wall, peak = timed(CLI + [str(BOOKLET), "-o", str(full)], cache)
        print(f"unchanged rerun:                 {wall:7.1f} s   peak RSS {peak:6.0f} MiB   (target ≤ 2 s)")
        wall, peak = timed(CLI + [str(BOOKLET), "-o", str(full), "--formats", "png", "svg", "pdf"], cache)
        print(f"rerun, PDF added (figures only): {wall:7.1f} s   peak RSS {peak:6.0f} MiB")
        print(f"{'copies':>6} {'entries':>8} {'seconds':>9} {'s per copy':>11} {'peak MiB':>9}")
        for n in sizes:
            src = synthetic(n, tmp / f"x{n}.txt")
            wall, peak = timed(CLI + [str(src), "-o", str(tmp / f"out{n}"), "-k", "7"], tmp / f"cache{n}")
            print(f"{n:>6} {68 * n:>8} {wall:>9.1f} {wall / n:>11.2f} {peak:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
