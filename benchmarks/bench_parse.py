"""Parse time of the bundled booklet and of synthetic booklets 10× and 100× its size (linear growth expected).

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_parse.py``). Prints a table of median seconds.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from _timing import median_seconds

from corpus_tools.booklet import build_booklet
from corpus_tools.ingest import text_from_bytes
from corpus_tools.parse import parse_lines

ROOT = Path(__file__).resolve().parents[1]
BOOKLET = ROOT / "data" / "raw" / "hit_cio_training_qa.txt"


def synthetic(times: int) -> bytes:
    """The booklet's sections repeated ``times`` times, section names numbered so each copy is a new section."""
    text = BOOKLET.read_text(encoding="utf-8")
    head, body = text.split("【", 1)
    copies = [re.sub(r"【([^】]+)】", lambda m, k=k: f"【{m.group(1)}{k}】", "【" + body) for k in range(times)]
    return (head + "".join(copies)).encode("utf-8")


def main() -> None:
    rows = []
    for times, repeat in ((1, 21), (10, 5), (100, 3)):
        data = synthetic(times)
        src = text_from_bytes(data, f"x{times}")
        t_ingest = median_seconds(lambda: text_from_bytes(data, "x"), repeat)
        t_parse = median_seconds(lambda: parse_lines(src.lines), repeat)
        t_tables = median_seconds(lambda: build_booklet(src), repeat)
        rows.append((times, len(src.lines), t_ingest, t_parse, t_tables))
    print(f"{'size':>6} {'lines':>8} {'ingest s':>9} {'parse s':>9} {'all s':>9} {'all s per 1x':>13}")
    for times, n, a, b, c in rows:
        print(f"{times:>5}x {n:>8} {a:>9.4f} {b:>9.4f} {c:>9.4f} {c / times:>13.4f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
