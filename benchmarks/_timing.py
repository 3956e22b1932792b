"""Shared helper of the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def median_seconds(fn, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls of ``fn``."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)
