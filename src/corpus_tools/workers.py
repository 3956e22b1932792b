"""Worker processes that end with their parent: :class:`concurrent.futures.ProcessPoolExecutor` with a small
priority queue on top.

Workers are started by a fork server where the platform has one (Linux, macOS) and spawned elsewhere, never by a
``fork()`` of the calling process, which is threaded (the executor's own threads, OpenBLAS, Jupyter). The fork
server imports the first pool's ``warm`` modules once, with one BLAS thread, so each worker starts in milliseconds
with those modules already imported.

Each worker holds the read end of a pipe whose only write end is in the process that opened the pool; a thread of
the worker waits on it and ends the worker when it closes — when the pool is stopped, or when the kernel closes it
because that process died (even by ``kill -9``).

As with every start method but ``fork``, a script that opens a pool (e.g. through :func:`corpus_tools.run`) needs
the ``if __name__ == "__main__":`` guard: each worker imports the script's module. :func:`corpus_tools.analyse`
without an executor starts no process.

Functions and items are sent with cloudpickle (so lambdas and closures work, as with joblib); results come back
with pickle, in the order of the items. Results never depend on ``jobs``.
"""

from __future__ import annotations

import contextlib
import heapq
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from .store import Spool, read_file_bytes

T = TypeVar("T")
R = TypeVar("R")

# The cyclic garbage collector of a run's processes: a collection of the youngest objects every 20,000
# allocations instead of 700 (matplotlib and pandas allocate millions of short-lived objects, nearly all freed by
# reference counting)
GC_THRESHOLDS = (20000, 20, 20)
#: a task pickled to more bytes than this goes to its worker in a file (:class:`corpus_tools.store.Spool`), not
#: through the executor's call queue: a pipe holds 64 KiB, and a worker ended while the queue's feeder thread
#: writes a larger task into it leaves that thread, and every shutdown of the executor, blocked for ever where
#: the interpreter lacks the fix of cpython gh-94777 (Debian 12's 3.11.2 lacks it; 3.11.7 and 3.12 have it): a run
#: refused at once stopped its workers while the booklet's text, sent for the font subset, was still being
#: written. With at most ``jobs`` + 1 tasks queued, the queue's items stay far below the pipe's size.
SPOOL_ABOVE = 4096
#: a result (or an error) pickled to more bytes than this comes back from its worker in a file, so that every
#: message on the executor's result pipe fits one atomic write (Linux: PIPE_BUF, 4,096 bytes with the message's
#: header). A worker ended while it writes a larger result leaves part of a message in the pipe, and the executor's
#: thread that reads it waits for the rest for ever — and with it every shutdown of the executor: a run refused at
#: once (test_parameter_files_over_a_limit_are_refused_with_file_and_line) hung so in CI, stopping its workers
#: while one sent back a result.
RESULT_INLINE = 3584

#: what the package's workers import for their tasks (topic-model fits, figures, the font subset). A process's
#: fork server is started by its first pool and serves every later one, importing nothing more once it runs: so
#: it imports these before it forks its first worker, whichever pool starts it (one that needs none of them, e.g. a
#: ``parallel_map``'s, too), instead of every worker of every later run importing them on its own
WORKER_MODULES = ("numpy", "sklearn.decomposition", "corpus_tools.topics", "corpus_tools.render",
                  "corpus_tools.plots.style", "corpus_tools.plots.overview", "corpus_tools.plots.trends",
                  "corpus_tools.plots.topics", "corpus_tools.plots.network", "corpus_tools.plots.codes", "wordcloud",
                  "matplotlib.backends.backend_svg", "PIL.PngImagePlugin", "uharfbuzz", "fontTools.ttLib")

# the environment the fork server (and so every worker) starts with: one thread per numerical library and no
# background thread in pyarrow's jemalloc (pandas imports pyarrow), so the server is a single-threaded process
# when it forks
ONE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                  "JE_ARROW_MALLOC_CONF": "background_thread:false"}


def start_method() -> str:
    """How workers are started: ``"forkserver"`` where available, else ``"spawn"`` (never ``"fork"``)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


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
    """Inside the block: the numerical libraries (OpenBLAS, OpenMP) use one thread in this process. A run already
    keeps every core busy with processes; a BLAS call that also starts threads only makes them wait for each
    other."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` updated with ``values`` inside the block (processes started in it inherit them)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker(stop, warm: tuple[str, ...]) -> None:
    """In a worker, before its first task: end when ``stop`` (a pipe's read end) closes; imports ``warm``."""
    import gc
    import importlib
    import signal
    from multiprocessing.connection import wait as wait_ready

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops the workers)

    def watch() -> None:
        wait_ready([stop])
        os._exit(1)

    threading.Thread(target=watch, name="corpus-tools-stop", daemon=True).start()
    for name in warm:
        with contextlib.suppress(ImportError):  # the task that needs it will say so
            importlib.import_module(name)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    gc.freeze()  # the modules' objects live as long as the worker: its collections need not scan them again
    gc.set_threshold(*GC_THRESHOLDS)


class SpooledError(Exception):
    """A worker's error too large to send through the pipe (see :data:`RESULT_INLINE`): ``path`` holds it."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker process, as text (the ``__cause__`` of the error)."""


def _call(payload: bytes | str, results: str) -> tuple[str, bytes | str]:
    """Run a task in a worker: ``("inline", pickled result)``, or ``("file", path)`` of the pickled result
    written in ``results`` (a spool folder) when it is larger than :data:`RESULT_INLINE`; an error larger than that
    is raised as :class:`SpooledError` naming its file."""
    import pickle

    import cloudpickle

    from .store import Spool

    if isinstance(payload, str):  # a path: the task was handed over in a file (see SPOOL_ABOVE)
        from .store import take_spooled

        payload = take_spooled(payload)
    fn, item = cloudpickle.loads(payload)
    try:
        data = pickle.dumps(fn(item), pickle.HIGHEST_PROTOCOL)
    except BaseException as e:
        import traceback

        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        try:
            error = pickle.dumps((e, text), pickle.HIGHEST_PROTOCOL)
        except Exception:  # an error that cannot be pickled: its type and message
            error = pickle.dumps((RuntimeError(f"{type(e).__name__}: {e}"), text), pickle.HIGHEST_PROTOCOL)
        if len(error) <= RESULT_INLINE:
            raise
        raise SpooledError(Spool(results).put(error)) from None
    return ("inline", data) if len(data) <= RESULT_INLINE else ("file", Spool(results).put(data))


class WorkersLost(BrokenProcessPool):
    """A worker process ended while it ran or started a task: killed, out of memory, or (in a script without the
    ``if __name__ == "__main__":`` guard) stopped by the script it runs again as it starts."""


def _lost_message() -> str:
    """What :class:`WorkersLost` says: the likely causes, and the guard a script needs when the run was started
    from a script file (whose module each worker imports again as it starts)."""
    import sys

    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) if getattr(main, "__spec__", None) is None else None
    text = "a worker process ended abruptly (killed, or out of memory)"
    if not script:
        return text
    try:
        guarded = b"__main__" in read_file_bytes(script)
    except OSError:  # e.g. "<stdin>": the workers cannot read it again either
        return (f"{text}, or it could not run the script {script} again as it started (Python's multiprocessing "
                "does so): save the script as a file with its code under `if __name__ == \"__main__\":`, or pass "
                "Params(jobs=1) to use no worker process")
    if guarded:  # e.g. the corpus-tools command's own script
        return text
    return (f"{text}. The workers run the script {script} again as they start (Python's multiprocessing): put the "
            "code that reads, analyses and saves under `if __name__ == \"__main__\":` (see the README, In Python), "
            "or pass Params(jobs=1) to use no worker process")


def _as_lost(error: BaseException | None) -> BaseException | None:
    """``error``, or for a broken pool the :class:`WorkersLost` that says what to do (caused by it)."""
    if isinstance(error, BrokenProcessPool) and not isinstance(error, WorkersLost):
        lost = WorkersLost(_lost_message())
        lost.__cause__ = error
        return lost
    return error


def _outcome(inner: Future) -> tuple[Any, BaseException | None]:
    """The result or the error of a task run by :func:`_call`, read back (from its file, when it was spooled). A
    worker lost is a :class:`WorkersLost` saying what to do."""
    import pickle

    from .store import take_spooled

    error = _as_lost(inner.exception())
    if isinstance(error, SpooledError):
        error, text = pickle.loads(take_spooled(error.path))
        error.__cause__ = RemoteTraceback(text)
    if error is not None:
        return None, error
    kind, data = inner.result()
    return pickle.loads(data if kind == "inline" else take_spooled(data)), None


class WorkerPool:
    """``jobs`` worker processes kept for a whole run (``warm``: modules their tasks will need, imported as they
    start), so that work from different steps shares them: figures
    start drawing while later stages still compute, and a stage's own parallel work (topic model fits) shares
    the same processes instead of starting more processes than there are cores.

    Work waits here, not in the executor's queue, and the next task to start is the one of highest ``priority``
    (first come first served among equals): work that later stages wait for (the topic model fits) overtakes
    work nothing waits for (figures already queued). ``jobs`` = 1 with ``inline``: each task is computed in this
    process when submitted; ``inline=False``: in one worker.

    Use it as a context manager. On an exception (or ``KeyboardInterrupt``) inside the block, work that has not
    started is cancelled and the workers are ended at once."""

    def __init__(self, jobs: int = 2, inline: bool = True, warm: tuple[str, ...] = ()) -> None:
        self.jobs = max(1, int(jobs))
        self.inline = inline and self.jobs == 1
        self.warm = tuple(warm)
        self._pool: ProcessPoolExecutor | None = None
        self._pipe: tuple = ()  # the workers' stop pipe (read end, write end)
        self._waiting: list = []  # heap of (-priority, sequence number, payload, future)
        self._open: set = set()  # futures not finished yet (waiting or running)
        self._running = 0
        self._count = 0
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._starter: threading.Thread | None = None  # the thread of start(), until the pool is stopped
        self._start_error: BaseException | None = None
        self._spool = Spool()  # the tasks over SPOOL_ABOVE bytes, until the pool is stopped

    def _executor(self) -> ProcessPoolExecutor:
        """The executor, its ``jobs`` processes started. Blocks until they run: the first pool of a process also
        starts the fork server, which imports ``warm`` before it forks (seconds). Published to :meth:`_dispatch`
        only once started, so that no other thread starts a process meanwhile."""
        with self._start_lock:
            if self._pool is None:
                ctx = multiprocessing.get_context(start_method())
                if ctx.get_start_method() == "forkserver":  # no effect once this process's fork server runs
                    ctx.set_forkserver_preload(list(dict.fromkeys(WORKER_MODULES + self.warm)))
                pipe = ctx.Pipe(duplex=False)
                pool = None
                try:
                    pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                               initargs=(pipe[0], self.warm))
                    with _environment(ONE_THREAD_ENV):  # the executor starts its processes as work arrives: now
                        for _ in range(self.jobs):
                            pool.submit(os.getpid)
                except BaseException:
                    for end in pipe:  # the processes already started end with the pipe
                        end.close()
                    if pool is not None:
                        pool.shutdown(wait=False, cancel_futures=True)
                    raise
                with self._lock:
                    self._pipe, self._pool = pipe, pool
        return self._pool

    def _close_pipe(self) -> None:
        for end in self._pipe:
            end.close()
        self._pipe = ()

    def start(self) -> "WorkerPool":
        """Start the workers in a thread of this process and return at once: this process goes on (parsing,
        importing) while the fork server imports the ``warm`` modules. Work submitted meanwhile waits and starts
        as soon as the workers run; if they cannot be started, that work fails with the reason. Until the fork
        server runs, this process's environment holds :data:`ONE_THREAD_ENV` (the server inherits it): a numerical
        library this process loads first meanwhile starts with one thread too."""
        if not self.inline and self._pool is None and self._starter is None:
            self._starter = threading.Thread(target=self._start_in_background, name="corpus-tools-pool-start",
                                             daemon=True)
            self._starter.start()
        return self

    def _start_in_background(self) -> None:
        try:
            self._executor()
        except BaseException as e:  # noqa: BLE001 - handed to the work waiting (see _dispatch)
            self._start_error = e
        self._dispatch()

    def _join_starter(self) -> None:
        """Wait for :meth:`start`'s thread (the pool is then started, or failed to start)."""
        if self._starter is not None:
            self._starter.join()  # it has failed the waiting work if it could not start the workers
            self._starter = self._start_error = None

    def submit(self, fn: Callable[[T], R], item: T, priority: int = 0) -> "Future[R]":
        """Run ``fn(item)`` in a worker; returns its future (``jobs`` = 1 and ``inline``: computed now, in this
        process). Of the work waiting, the highest ``priority`` starts first."""
        f: Future = Future()
        if self.inline:
            try:
                f.set_result(fn(item))
            except Exception as e:  # noqa: BLE001 - handed to the caller through the future
                f.set_exception(e)
            return f
        import cloudpickle

        payload = cloudpickle.dumps((fn, item))
        if self._starter is None:
            self._executor()  # not started by start(): start here, now
        with self._lock:
            self._count += 1
            heapq.heappush(self._waiting, (-priority, self._count, payload, f))
            self._open.add(f)
        f.add_done_callback(self._closed)  # also when it is cancelled while it waits
        self._dispatch()
        return f

    def _closed(self, f: Future) -> None:
        with self._lock:
            self._open.discard(f)

    def _dispatch(self) -> None:
        """Hand waiting work to the executor: as many tasks as there are workers, plus one queued so that a worker
        finishing one starts the next at once. If the workers could not be started, the waiting work fails."""
        while True:
            failed = None
            with self._lock:
                if self._start_error is not None:
                    failed, error, self._waiting = self._waiting, self._start_error, []
                elif self._running >= self.jobs + 1 or not self._waiting or self._pool is None:
                    return
                else:
                    _, _, payload, f = heapq.heappop(self._waiting)
                    if not f.set_running_or_notify_cancel():  # cancelled while it waited
                        continue
                    self._running += 1
                    pool = self._pool
            if failed is not None:
                for *_, waiting in failed:
                    if waiting.set_running_or_notify_cancel():
                        waiting.set_exception(RuntimeError(f"the worker processes could not be started: {error!r}"))
                return
            try:
                inner = pool.submit(_call, payload if len(payload) <= SPOOL_ABOVE else self._spool.put(payload),
                                    self._spool.folder_path())
            except RuntimeError as e:  # the pool was shut down meanwhile, or is broken
                with self._lock:
                    self._running -= 1
                f.set_exception(_as_lost(e))
                continue
            inner.add_done_callback(lambda done, f=f: self._done(done, f))

    def _done(self, inner: Future, f: Future) -> None:
        with self._lock:
            self._running -= 1
        if inner.cancelled():
            f.set_exception(RuntimeError("the worker pool was stopped"))
        else:
            try:
                result, error = _outcome(inner)
            except Exception as e:  # a spooled result that cannot be read back (its folder removed by stop())
                result, error = None, e
            if error is not None:
                f.set_exception(error)
            else:
                f.set_result(result)
        self._dispatch()

    def _wait_all(self) -> None:
        """Until no work waits or runs (work finishing may start more)."""
        while True:
            with self._lock:
                open_ = list(self._open)
            if not open_:
                return
            wait(open_)

    def stop(self) -> None:
        """Drop the work that has not started and end the workers now (they may be busy for minutes)."""
        self._join_starter()
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for *_, f in waiting:
            f.cancel()
        if self._pool is not None:
            self._close_pipe()  # each worker's watcher sees the pipe close and ends its process
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._spool.close()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._join_starter()
        if self._pool is None:
            return
        if exc_type is not None:
            self.stop()
            return
        self._wait_all()
        self._pool.shutdown(wait=True)
        self._close_pipe()
        self._pool = None
        self._spool.close()


def parallel_map(fn: Callable[[T], R], items: Iterable[T], jobs: int = 2,
                 on_done: Callable[[], object] | None = None, priority: int = 1,
                 pool: WorkerPool | None = None) -> list[R]:
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


__all__ = ["WORKER_MODULES", "WorkerPool", "parallel_map", "start_method", "run_gc", "one_thread_each"]
