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

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1

# The cyclic garbage collector of a run's processes: a collection of the youngest objects every 20,000
# allocations instead of 700 (matplotlib and pandas allocate millions of short-lived objects, nearly all freed by
# reference counting; at 700 a worker spent ~0.15 s per run in the collector, at 20,000 ~0.05 s)
GC_THRESHOLDS = (20000, 20, 20)


@contextlib.contextmanager
def run_gc() -> Iterator[None]:
    """Inside the block: the objects alive now (imported modules, mostly) are left out of collections
    (``gc.freeze``) and collections are rarer (:data:`GC_THRESHOLDS`); both undone on leaving."""
    import gc

    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


@contextlib.contextmanager
def one_thread_each() -> Iterator[None]:
    """Inside the block: the numerical libraries (OpenBLAS, OpenMP) use one thread in this process and in the
    workers forked from it. A run already keeps every core busy with processes; a BLAS call that also starts
    threads only makes them wait for each other (a truncated SVD of the booklet's 68 × 865 matrix took 0.24 s
    while the workers drew figures, 0.01 s alone)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


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


def _init_worker(parent_pid: int, warm: tuple[str, ...] = ()) -> None:
    import signal

    # a fork keeps the parent's signal handlers (the CLI turns SIGTERM into KeyboardInterrupt): a worker ended by
    # its parent just ends, and Ctrl-C is the parent's to handle (it stops the workers)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    import importlib

    for name in warm:  # modules the work will need, imported while this process waits for its first task
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - the task that needs it will say so
            pass
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # as in the process that forked it (see one_thread_each)
    import gc

    gc.freeze()  # the modules' objects live as long as the worker: its collections need not scan them again
    gc.set_threshold(*GC_THRESHOLDS)


def _call(payload: bytes) -> Any:
    import cloudpickle

    fn, item = cloudpickle.loads(payload)
    return fn(item)




class WorkerPool:
    """``jobs`` worker processes kept for a whole run, so that work from different steps shares them: figures
    start drawing while later stages still compute, and a stage's own parallel work (topic model fits) shares
    the same processes instead of starting more processes than there are cores.

    Work waits here, not in the workers' queue, and the next task to start is the one of highest ``priority``
    (first come first served among equals): work that later stages wait for (the topic model fits) overtakes
    work nothing waits for (figures already queued). ``inline=False`` with one job: that job still runs in a
    process of its own (work started early, beside this process).

    Use it as a context manager; while it is open, :func:`parallel_map` given it sends its work here. On an exception
    (or ``KeyboardInterrupt``) inside the block, unfinished work is cancelled and the workers are ended."""

    def __init__(self, jobs: int = 2, inline: bool = True, warm: tuple[str, ...] = ()) -> None:
        self.jobs = max(1, int(jobs))
        self.inline = inline and self.jobs == 1  # one job: computed in this process (False: in one worker)
        self.warm = tuple(warm)
        self._pool = None
        self._previous: WorkerPool | None = None
        self._waiting: list = []  # heap of (-priority, sequence number, payload, future)
        self._open: set = set()  # futures not finished yet (waiting or running)
        self._running = 0
        self._count = 0
        self._lock = threading.Lock()

    def _executor(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                             initargs=(os.getpid(), self.warm))
        return self._pool

    def start(self) -> "WorkerPool":
        """Start the workers now (they are forked from this process as it is at this moment: start them before
        loading large data, so each worker does not carry a copy of it; inside :func:`run_gc`, so that their
        collectors leave the objects inherited from this process alone and those pages stay shared). Does not wait
        for them: each imports its ``warm`` modules meanwhile."""
        if not self.inline:
            for _ in range(self.jobs):
                self._executor().submit(os.getpid)  # forks every worker (fork start method)
        return self

    def submit(self, fn: Callable[[T], R], item: T, priority: int = 0) -> "Future[R]":
        """Run ``fn(item)`` in a worker; returns its future (``jobs`` = 1 and ``inline``: computed now, in this
        process). Of the work waiting, the highest ``priority`` starts first."""
        import heapq
        from concurrent.futures import Future

        f: Future = Future()
        if self.inline:
            try:
                f.set_result(fn(item))
            except Exception as e:  # noqa: BLE001 - handed to the caller through the future
                f.set_exception(e)
            return f
        import cloudpickle

        payload = cloudpickle.dumps((fn, item))
        self._executor()
        with self._lock:
            self._count += 1
            heapq.heappush(self._waiting, (-priority, self._count, payload, f))
            self._open.add(f)
        f.add_done_callback(self._closed)  # also when it is cancelled while it waits
        self._dispatch()
        return f

    def _closed(self, f) -> None:
        with self._lock:
            self._open.discard(f)

    def _dispatch(self) -> None:
        """Hand waiting work to the workers: as many tasks as there are workers, plus one queued so that a worker
        finishing one starts the next at once."""
        import heapq

        while True:
            with self._lock:
                if self._running >= self.jobs + 1 or not self._waiting or self._pool is None:
                    return
                _, _, payload, f = heapq.heappop(self._waiting)
                if not f.set_running_or_notify_cancel():  # cancelled while it waited
                    continue
                self._running += 1
                pool = self._pool
            try:
                inner = pool.submit(_call, payload)
            except RuntimeError as e:  # the pool was shut down meanwhile
                with self._lock:
                    self._running -= 1
                f.set_exception(e)
                continue
            inner.add_done_callback(lambda done, f=f: self._done(done, f))

    def _done(self, inner, f) -> None:
        with self._lock:
            self._running -= 1
        if inner.cancelled():
            f.set_exception(RuntimeError("the worker pool was stopped"))
        elif inner.exception() is not None:
            f.set_exception(inner.exception())
        else:
            f.set_result(inner.result())
        self._dispatch()

    def _wait_all(self) -> None:
        """Until no work waits or runs (work finishing may start more)."""
        from concurrent.futures import wait

        while True:
            with self._lock:
                open_ = list(self._open)
            if not open_:
                return
            wait(open_)

    def _cancel_waiting(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for *_, f in waiting:
            f.cancel()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._pool is not None:
            if exc_type is None:
                self._wait_all()
                self._pool.shutdown(wait=True)
            else:
                self._cancel_waiting()
                _stop(self._pool)
            self._pool = None


def parallel_map(fn: Callable[[T], R], items: Iterable[T], jobs: int = 2,
                 on_done: Callable[[], object] | None = None, priority: int = 1,
                 pool: "WorkerPool | None" = None) -> list[R]:
    """``[fn(x) for x in items]``, computed in up to ``jobs`` worker processes that end with this process.

    ``jobs <= 1`` or a single item: computed here, in order, with no process started. Given an open ``pool``
    (:class:`WorkerPool`, the caller's) the work goes to its workers, ahead of waiting work of lower ``priority``
    (by default a map, whose caller waits for it, overtakes figures, priority 0, that nothing waits for);
    otherwise a pool of ``jobs`` workers is started for this map alone. The first exception
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
    if pool is not None and pool.jobs > 1:
        return _map_in(pool, fn, items, on_done, priority)
    with WorkerPool(min(jobs, len(items))) as pool:  # ended on leaving, stopped at once on an error
        return _map_in(pool, fn, items, on_done, priority)


def _map_in(pool: WorkerPool, fn: Callable[[T], R], items: list[T], on_done, priority: int) -> list[R]:
    from concurrent.futures import as_completed

    futures = []
    try:
        futures = [pool.submit(fn, x, priority) for x in items]
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
