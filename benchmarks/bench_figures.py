"""CPU seconds of drawing each figure of the booklet's study, in one process, as a worker of a run draws them.

Run: ``.venv/bin/python benchmarks/bench_figures.py [--passes 3]``. The study is ``corpus_tools.analyse(booklet,
Params(k=7, seed=0))`` (not timed); each figure is then drawn as the run draws it (``render._render_bytes``: make
the figure, PNG and SVG bytes, with the run's font subset) ``--passes`` times. CPU time (``time.process_time``), not
wall time: the machine is shared. Prints each pass's total, then each figure's least CPU seconds over the passes and
their sum (the first pass also pays for imports and font loading, as a worker's first figures do).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOKLET = ROOT / "data" / "raw" / "hit_cio_training_qa.txt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    import corpus_tools as ct
    from corpus_tools import render
    from corpus_tools.plots import style

    style.use_offscreen_backend()
    study = ct.analyse(ct.read_booklet(BOOKLET), ct.Params(k=7, seed=0))
    p = study.params
    with tempfile.TemporaryDirectory() as tmp:
        font = render.source_font((BOOKLET.read_bytes(), "", None, tmp))[1]
        best: dict[str, float] = {}
        for i in range(a.passes):
            total = 0.0
            for stem, spec in study.figures.items():
                formats = ("png",) if spec.raster_only else tuple(p.formats)
                t = time.process_time()
                render._render_bytes(spec, formats, p.dpi, p.figure_size, font)
                dt = time.process_time() - t
                total += dt
                best[stem] = min(best.get(stem, dt), dt)
            print(f"pass {i}: {total:.2f} CPU-s")
    for stem, v in best.items():
        print(f"{stem:34s} {v:6.3f}")
    print(f"{'sum of least per figure':34s} {sum(best.values()):6.2f} CPU-s ({len(best)} figures)")


if __name__ == "__main__":
    sys.exit(main())
