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
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1


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


def _init_worker(parent_pid: int) -> None:
    _die_with_parent(parent_pid)


def _call(payload: bytes) -> Any:
    import cloudpickle

    fn, item = cloudpickle.loads(payload)
    return fn(item)


_ACTIVE: "WorkerPool | None" = None


class WorkerPool:
    """``jobs`` worker processes kept for a whole run, so that work from different steps shares them: figures
    start drawing while later stages still compute, and a stage's own parallel work (topic model fits) queues
    behind them instead of starting more processes than there are cores.

    Use it as a context manager; while it is open, :func:`parallel_map` sends its work here. On an exception
    (or ``KeyboardInterrupt``) inside the block, unfinished work is cancelled and the workers are ended."""

    def __init__(self, jobs: int = 2) -> None:
        self.jobs = max(1, int(jobs))
        self._pool = None
        self._previous: WorkerPool | None = None

    def _executor(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                             initargs=(os.getpid(),))
        return self._pool

    def start(self) -> "WorkerPool":
        """Start the workers now (they are forked from this process as it is at this moment: start them before
        loading large data, so each worker does not carry a copy of it)."""
        if self.jobs > 1:
            for f in [self._executor().submit(os.getpid) for _ in range(self.jobs)]:
                f.result()
        return self

    def submit(self, fn: Callable[[T], R], item: T) -> "Future[R]":
        """Run ``fn(item)`` in a worker; returns its future (``jobs`` = 1: computed now, in this process)."""
        from concurrent.futures import Future

        if self.jobs <= 1:
            f: Future = Future()
            try:
                f.set_result(fn(item))
            except Exception as e:  # noqa: BLE001 - handed to the caller through the future
                f.set_exception(e)
            return f
        import cloudpickle

        return self._executor().submit(_call, cloudpickle.dumps((fn, item)))

    def __enter__(self) -> "WorkerPool":
        global _ACTIVE
        self._previous, _ACTIVE = _ACTIVE, self
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        global _ACTIVE
        _ACTIVE = self._previous
        if self._pool is not None:
            if exc_type is None:
                self._pool.shutdown(wait=True)
            else:
                _stop(self._pool)
            self._pool = None


def active_pool() -> WorkerPool | None:
    """The :class:`WorkerPool` open in this process, if any."""
    return _ACTIVE


def parallel_map(fn: Callable[[T], R], items: Iterable[T], jobs: int = 2,
                 on_done: Callable[[], object] | None = None) -> list[R]:
    """``[fn(x) for x in items]``, computed in up to ``jobs`` worker processes that end with this process.

    ``jobs <= 1`` or a single item: computed here, in order, with no process started. Inside an open
    :class:`WorkerPool` the work goes to its workers (queued after what they already have). The first exception
    raised by ``fn`` is raised here (remaining work is cancelled); so is ``KeyboardInterrupt``. Returns a list of
    the same length and order as ``items``. ``on_done()`` is called (in this process) after each item finishes,
    e.g. to advance a progress bar.
    """
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        out = []
        for x in items:
            out.append(fn(x))
            if on_done is not None:
                on_done()
        return out
    if _ACTIVE is not None and _ACTIVE.jobs > 1:
        return _map_in(_ACTIVE, fn, items, on_done)
    with WorkerPool(min(jobs, len(items))) as pool:  # ended on leaving, stopped at once on an error
        return _map_in(pool, fn, items, on_done)


def _map_in(pool: WorkerPool, fn: Callable[[T], R], items: list[T], on_done) -> list[R]:
    from concurrent.futures import as_completed

    futures = []
    try:
        futures = [pool.submit(fn, x) for x in items]
        if on_done is not None:
            for _ in as_completed(futures):
                on_done()
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:  # what has not started is dropped (a shared pool keeps serving its other work)
            f.cancel()
        raise


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
