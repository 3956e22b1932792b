"""The worker pool shared by a whole run: figures and topic-model fits go to the same processes, errors come back,
and the workers end with the block that opened them."""

from __future__ import annotations

import os
import time

import pytest

from corpus_tools.workers import WorkerPool, parallel_map


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_parallel_map_given_a_pool_uses_its_workers():
    with WorkerPool(2) as pool:
        first = parallel_map(_pid_and_square, range(8), jobs=2, pool=pool)
        second = parallel_map(_pid_and_square, range(8, 16), jobs=2, pool=pool)
        future = pool.submit(_pid_and_square, 5)
        assert future.result()[1] == 25
    assert [sq for _, sq in first + second] == [x * x for x in range(16)]  # order kept
    pids = {pid for pid, _ in first + second} | {future.result()[0]}
    assert os.getpid() not in pids
    assert len(pids) <= 2  # the same two processes served both maps and the single job


def test_an_error_in_a_worker_reaches_the_caller_and_the_workers_end():
    with pytest.raises(ValueError, match="three"):
        with WorkerPool(2):
            pids = {pid for pid, _ in parallel_map(_pid_and_square, range(4), jobs=2)}
            parallel_map(_fail_on_three, range(6), jobs=2)
    deadline = time.time() + 5
    while any(_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def test_one_job_computes_here():
    with WorkerPool(1) as pool:
        pid, sq = pool.submit(_pid_and_square, 4).result()
        assert (pid, sq) == (os.getpid(), 16)
        with pytest.raises(ValueError):
            pool.submit(_fail_on_three, 3).result()


def _started_at(x):
    t = time.monotonic()
    time.sleep(0.02)
    return x, t


def test_waiting_work_of_higher_priority_starts_first():
    """Topic-model fits (a map the stage waits for) overtake figures queued before them."""
    with WorkerPool(2) as pool:
        busy = [pool.submit(time.sleep, 0.3) for _ in range(3)]  # both workers, and the one task queued in them
        low = [pool.submit(_started_at, i) for i in range(4)]
        urgent = pool.submit(_started_at, "fit", priority=1)
        assert urgent.result()[1] < min(f.result()[1] for f in low)
        assert [f.result()[0] for f in low] == [0, 1, 2, 3]
        for f in busy:
            f.result()


def test_work_cancelled_while_waiting_never_runs():
    with WorkerPool(2) as pool:
        busy = [pool.submit(time.sleep, 0.2) for _ in range(3)]
        dropped = pool.submit(_started_at, "dropped")
        kept = pool.submit(_started_at, "kept")
        assert dropped.cancel()
        assert kept.result()[0] == "kept" and dropped.cancelled()
        for f in busy:
            f.result()
