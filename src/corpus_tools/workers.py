"""Worker processes that end with their parent.

:func:`parallel_map` runs ``fn`` over items in ``jobs`` worker processes. On Linux they are forked (they start
in milliseconds with the parent's modules already imported, and a script that calls ``analyse`` needs no
``if __name__ == "__main__"`` guard); elsewhere they are spawned. Each worker makes sure it dies when the process that started it dies, even by
``kill -9``:

* on Linux it asks the kernel for ``SIGKILL`` on parent death (``prctl(PR_SET_PDEATHSIG)``, set through ctypes);
* everywhere a watchdog thread checks every half second whether its parent is still the process that started it,
  and exits if not.

Functions and items are sent with cloudpickle (so lambdas and closures work, as with joblib); results come back
with pickle, in the order of the items. Results never depend on ``jobs``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1
_FN: Callable | None = None


def _die_with_parent(parent_pid: int) -> None:
    """In a worker: arrange to die when ``parent_pid`` dies (prctl on Linux, plus a polling watchdog)."""
    import signal

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog still works
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="corpus-tools-parent-watchdog", daemon=True).start()


def _init_worker(parent_pid: int, fn_payload: bytes) -> None:
    global _FN
    _die_with_parent(parent_pid)
    import cloudpickle

    _FN = cloudpickle.loads(fn_payload)


def _call(item_payload: bytes) -> Any:
    import cloudpickle

    assert _FN is not None
    return _FN(cloudpickle.loads(item_payload))


def parallel_map(fn: Callable[[T], R], items: Iterable[T], jobs: int = 2,
                 on_done: Callable[[], object] | None = None) -> list[R]:
    """``[fn(x) for x in items]``, computed in up to ``jobs`` worker processes that end with this process.

    ``jobs <= 1`` or a single item: computed here, in order, with no process started. The first exception raised
    by ``fn`` is raised here (remaining work is cancelled and the workers are stopped); so is
    ``KeyboardInterrupt``. Returns a list of the same length and order as ``items``. ``on_done()`` is called
    (in this process) after each item finishes, e.g. to advance a progress bar.
    """
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        out = []
        for x in items:
            out.append(fn(x))
            if on_done is not None:
                on_done()
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import cloudpickle

    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=ctx, initializer=_init_worker,
                               initargs=(os.getpid(), cloudpickle.dumps(fn)))
    try:
        futures = [pool.submit(_call, cloudpickle.dumps(x)) for x in items]
        if on_done is not None:
            from concurrent.futures import as_completed

            for _ in as_completed(futures):
                on_done()
        results = [f.result() for f in futures]
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _stop(pool) -> None:
    """Cancel what has not started and end the workers now (they may be busy for minutes)."""
    processes = list(getattr(pool, "_processes", {}).values())  # private, but stable since Python 3.2
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        try:
            p.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for p in processes:
        try:
            p.join(timeout=5)
        except (OSError, ValueError, AssertionError):
            pass
