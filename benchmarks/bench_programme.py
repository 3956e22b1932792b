"""A programme of many booklets: N renumbered copies of the booklet, each its own file, run as one study
(``corpus-tools run copy001.txt … copyN.txt``), in fresh processes with an empty cache: wall time and peak memory
(max RSS of the largest process, workers included), at N = 10, 30, 100 by default — to show that time and memory
grow linearly past the fixed cost — and, with ``--compare``, the existing 100-copy benchmark (bench_run.py: the
same 6,800 entries as one file) in the same sitting, since the shared machine's speed varies by the quarter hour.

Run: ``.venv/bin/python benchmarks/bench_programme.py [--compare] [N ...]`` (heavy: minutes; not part of the tests).
Target (issue 21, item 6): 100 booklets (6,800 entries, 300 cohorts) within the 100-copy benchmark's time and
≈ 1.5 GB. Copy k prints cohorts 3k+1 … 3k+3 (digits beyond 十), so the booklets need no offsets and do not conflict;
every copy after the first repeats the first's text under other source notes (kept, one warning each).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import BOOKLET, CLI, _env, synthetic  # noqa: E402

# bench_run's wrapper, also giving the CPU seconds of the run (user + system, workers included): on a shared
# machine the wall time depends on the other sessions, the CPU time much less
WRAPPER = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); print(u.ru_maxrss, u.ru_utime + u.ru_stime)")


def timed(args: list[str], cache: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB, the largest process) of one command in a fresh interpreter."""
    import subprocess
    import time

    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, env=_env(cache))
    if out.returncode:  # say why: the run's own last lines, not only the wrapper's exit status
        raise RuntimeError(f"exit {out.returncode} after {time.perf_counter() - t:.0f} s: {out.stderr[-3000:]}")
    rss, cpu = out.stdout.strip().splitlines()[-1].split()
    return time.perf_counter() - t, float(cpu), int(rss) / 1024

NUMERALS = "一二三四五六七八九十"


def renumbered(k: int, path: Path) -> Path:
    """Copy ``k`` (0-based) of the booklet, its 第一/二/三期 printed as cohorts 3k+1, 3k+2, 3k+3."""
    text = BOOKLET.read_text(encoding="utf-8")

    def cohort(m: re.Match) -> str:
        n = NUMERALS.index(m.group(1)) + 1 + 3 * k
        return f"第{NUMERALS[n - 1] if n <= 10 else n}期"

    path.write_text(re.sub(r"第([一二三])期", cohort, text), encoding="utf-8")
    return path


def programme(n: int, folder: Path) -> list[Path]:
    """``n`` renumbered copies, each its own file (copy001.txt …), in programme order."""
    folder.mkdir(parents=True, exist_ok=True)
    return [renumbered(k, folder / f"copy{k + 1:03d}.txt") for k in range(n)]


def main() -> None:
    args = sys.argv[1:]
    compare = "--compare" in args
    sizes = [int(a) for a in args if a != "--compare"] or [10, 30, 100]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'booklets':>8} {'entries':>8} {'cohorts':>8} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9}")
        for n in sizes:
            files = programme(n, tmp / f"p{n}")
            wall, cpu, peak = timed(CLI + [*map(str, files), "-o", str(tmp / f"out{n}"), "-k", "7"],
                                    tmp / f"cache{n}")
            rows.append((n, wall, cpu, peak))
            print(f"{n:>8} {68 * n:>8} {3 * n:>8} {wall:>8.1f} {cpu:>8.1f} {peak:>9.0f}", flush=True)
        if len(rows) >= 2:  # the cost of one more booklet past the smallest run: linear if these agree
            n0, w0, c0, m0 = rows[0]
            for n, w, c, m in rows[1:]:
                print(f"past {n0}: {(w - w0) / (n - n0):.2f} wall s, {(c - c0) / (n - n0):.2f} CPU s and "
                      f"{(m - m0) / (n - n0):.1f} MiB per added booklet (up to {n})", flush=True)
        if compare:
            src = synthetic(100, tmp / "x100.txt")
            wall, cpu, peak = timed(CLI + [str(src), "-o", str(tmp / "single100"), "-k", "7"],
                                    tmp / "cache-single100")
            print(f"bench_run's 100 copies in one file: {wall:.1f} wall s, {cpu:.1f} CPU s, peak {peak:.0f} MiB",
                  flush=True)


if __name__ == "__main__":
    main()
