"""The worker pool shared by a whole run: figures and topic-model fits go to the same processes, errors come back,
and the workers end with the block that opened them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import alive
from corpus_tools.workers import WorkerPool, parallel_map


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


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


def _length(data: bytes) -> int:
    return len(data)


def test_a_large_task_reaches_its_worker_in_a_file_not_through_the_executors_pipe():
    """The executor's call queue only ever carries tasks of at most SPOOL_ABOVE bytes: a larger one (a booklet's
    text, 1 MB here) goes as the path of a file, which the worker reads and removes. A pipe holds 64 KiB; a worker
    ended while a larger task is being written into it hangs the executor's shutdown on interpreters without the
    fix of cpython gh-94777 (Debian 12's Python 3.11.2: a run refused at once hung in stop())."""
    from corpus_tools.workers import SPOOL_ABOVE

    sent = []
    with WorkerPool(2) as pool:
        pool.submit(_length, b"").result()  # the executor exists from here on
        real = pool._pool.submit

        def spy(fn, arg, *rest):
            sent.append(arg)
            return real(fn, arg, *rest)

        pool._pool.submit = spy
        big, small = pool.submit(_length, b"x" * 1_000_000), pool.submit(_length, b"y" * 100)
        assert (big.result(), small.result()) == (1_000_000, 100)
        folder = pool._spool.folder
        assert folder is not None and os.listdir(folder) == []  # the worker removed the file it read
    assert len(sent) == 2 and all(len(a) <= SPOOL_ABOVE for a in sent)
    assert isinstance(sent[0], str) and isinstance(sent[1], bytes)
    assert not os.path.exists(folder)  # and the pool its folder


def _bytes_of(n: int) -> bytes:
    return b"z" * n


def _long_error(n: int) -> None:
    raise ValueError("长" * n)


def test_every_message_from_a_worker_fits_one_atomic_pipe_write():
    """What a worker sends back through the executor's result pipe is at most RESULT_INLINE bytes pickled, so a
    message (with its header and the executor's wrapping) is one write of at most PIPE_BUF (4,096 bytes on Linux),
    which a worker ended by stop() cannot leave half-written: a larger result or error (the bytes of a figure, an
    error with a long message) comes back in a file of the pool's spool, and arrives whole. A half-written message
    left the executor's reading thread, and the shutdown joining it, waiting for ever (a run refused at once hung
    so in CI)."""
    import pickle
    import select

    from corpus_tools.workers import RESULT_INLINE, RemoteTraceback

    assert RESULT_INLINE + 512 <= select.PIPE_BUF
    returned = []
    with WorkerPool(2) as pool:
        pool.submit(_length, b"").result()  # the executor exists from here on
        real = pool._pool.submit

        def spy(fn, *args):
            inner = real(fn, *args)
            inner.add_done_callback(lambda f: returned.append(f.exception() or f.result()))
            return inner

        pool._pool.submit = spy
        big, small = pool.submit(_bytes_of, 300_000), pool.submit(_bytes_of, 10)
        assert (big.result(), small.result()) == (b"z" * 300_000, b"z" * 10)
        long, short = pool.submit(_long_error, 5_000), pool.submit(_long_error, 3)
        with pytest.raises(ValueError) as raised:
            long.result()
        assert str(raised.value) == "长" * 5_000  # whole, read back from its file
        assert isinstance(raised.value.__cause__, RemoteTraceback) and "_long_error" in str(raised.value.__cause__)
        with pytest.raises(ValueError, match="^长长长$"):
            short.result()
        folder = pool._spool.folder
        assert os.listdir(folder) == []  # every spooled result was read and removed
    assert len(returned) == 4
    assert all(len(pickle.dumps(r, pickle.HIGHEST_PROTOCOL)) <= RESULT_INLINE + 256 for r in returned), \
        [len(pickle.dumps(r)) for r in returned]
    assert not os.path.exists(folder)


STOP_WHILE_SENDING = """
import sys, time
from corpus_tools.workers import WorkerPool

def big(n):
    return b"q" * n

if __name__ == "__main__":
    for i in range(10):
        pool = WorkerPool(2)
        pool.__enter__()
        pool.submit(len, b"").result()
        work = [pool.submit(big, 4_000_000) for _ in range(6)]
        time.sleep(0.005 * (i % 7))
        try:
            raise RuntimeError("refused")
        except RuntimeError as e:  # as a run refused at once leaves its pool: stop() ends the workers now
            pool.__exit__(type(e), e, None)
    print("stopped 10 times")
"""


def test_stopping_workers_while_they_send_results_never_hangs(tmp_path):
    """A pool stopped while its workers send results back (4 MB each, here) returns at once, ten times running.
    Before results over RESULT_INLINE came back in files, the second stop already hung for ever: a worker ended
    mid-message left the executor's reading thread waiting for the rest (run in a process of its own, so that a
    hang fails this test instead of holding the suite)."""
    script = tmp_path / "stop_while_sending.py"
    script.write_text(STOP_WHILE_SENDING, encoding="utf-8")
    try:
        r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("stopping a pool whose workers were sending results hung")
    assert r.returncode == 0 and r.stdout.strip() == "stopped 10 times", r.stderr[-2000:]


def test_an_error_in_a_worker_reaches_the_caller_and_the_workers_end():
    with pytest.raises(ValueError, match="three"):
        with WorkerPool(2):
            pids = {pid for pid, _ in parallel_map(_pid_and_square, range(4), jobs=2)}
            parallel_map(_fail_on_three, range(6), jobs=2)
    deadline = time.time() + 5
    while any(alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in pids)


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


def _parent_threads(_) -> tuple[int, int]:
    """(pid of this worker's parent, how many threads that process has), from /proc."""
    ppid = os.getppid()
    with open(f"/proc/{ppid}/status") as f:
        threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    return ppid, threads


def test_no_worker_is_forked_from_this_threaded_process(monkeypatch):
    """Python 3.12 warns (DeprecationWarning) when a process with several threads forks: this one has the
    executor's threads and OpenBLAS's. The rule is checked directly, on every version (the next test reads the
    warning itself on 3.12+): this process never calls ``os.fork``, and the process that does fork the workers (the fork server) has one thread
    when it does, even after importing numpy, scikit-learn (hence pandas and pyarrow) and matplotlib."""
    import multiprocessing

    from corpus_tools.workers import start_method

    assert start_method() in multiprocessing.get_all_start_methods() and start_method() != "fork"

    def no_fork():
        raise AssertionError("os.fork called in the process that opened the pool")

    monkeypatch.setattr(os, "fork", no_fork)
    with WorkerPool(2, warm=("numpy", "sklearn.decomposition", "matplotlib.pyplot")) as pool:
        parents = parallel_map(_parent_threads, range(4), jobs=2, pool=pool)
    assert all(ppid != os.getpid() for ppid, _ in parents)  # forked by the fork server, not by this process
    assert all(threads == 1 for _, threads in parents), parents


FORK_SERVER_SCRIPT = """
import os
import sys

import corpus_tools.workers as workers

def pid(_):
    return os.getpid(), sorted(set(workers.WORKER_MODULES) - set(sys.modules))

if __name__ == "__main__":
    if sys.argv[1:] == ["threaded"]:  # the fork server's numerical libraries may start threads
        workers.ONE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    with workers.WorkerPool(2) as pool:  # the process's first pool, no modules of its own: it starts the fork server
        got = workers.parallel_map(pid, range(6), jobs=2, pool=pool)
    print(len(got), flush=True)
    with workers.WorkerPool(2, warm=workers.WORKER_MODULES) as pool:  # a run's pool, served by that fork server
        got += workers.parallel_map(pid, range(2), jobs=2, pool=pool)
    print("not imported:", sorted({name for _, missing in got for name in missing}), flush=True)
"""


def test_the_fork_server_forks_without_pythons_threads_warning(tmp_path):
    """Python 3.12+ warns when a process with several threads (OpenBLAS's count too) calls ``os.fork``:
    "DeprecationWarning: This process (pid=…) is multi-threaded, use of fork() may lead to deadlocks in the
    child". Here the fork server forks, in a process of its own whose stderr is the script's. CPython clears that
    warning right after issuing it, so ``-W error::DeprecationWarning`` hides it instead of failing: the script
    runs with ``-W always::DeprecationWarning`` and its stderr is read. The same script with two BLAS threads
    instead of :data:`~corpus_tools.workers.ONE_THREAD_ENV` (OpenBLAS starts a thread in the fork server when it
    is imported there) shows that the check sees the warning, on 3.12+ with two cores or more (on CPython 3.13.5:
    once per worker). On 3.11 there is no such warning: there the previous test's thread count is the check."""
    script = tmp_path / "pool_script.py"
    script.write_text(FORK_SERVER_SCRIPT, encoding="utf-8")

    def stderr(*args: str) -> str:
        done = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", str(script), *args],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)
        # every worker, of the first pool and of the later one, starts with the package's worker modules imported
        # by the fork server (the later pool's initializer has nothing left to import)
        assert done.returncode == 0 and done.stdout.splitlines() == ["6", "not imported: []"], done
        return done.stderr

    got = stderr()
    assert "multi-threaded" not in got and "DeprecationWarning" not in got, got
    if sys.version_info >= (3, 12) and len(os.sched_getaffinity(0)) > 1:
        assert "is multi-threaded, use of fork() may lead to deadlocks" in stderr("threaded")


def test_stop_ends_busy_workers_at_once():
    """A worker busy for minutes is ended when the pool is stopped (as on Ctrl-C), not when its task ends."""
    pool = WorkerPool(2).start()
    pids = [pid for pid, _ in parallel_map(_pid_and_square, range(2), jobs=2, pool=pool)]
    busy = pool.submit(time.sleep, 120)
    time.sleep(0.5)
    t = time.monotonic()
    pool.stop()
    assert time.monotonic() - t < 10
    deadline = time.time() + 5
    while any(alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in pids)
    assert busy.done()


SLOW_START_SCRIPT = """
import json
import sys
import time

from corpus_tools.workers import WorkerPool

def when(_):
    return time.time()

if __name__ == "__main__":
    pool = WorkerPool(2, warm=("slowwarm",)).start()
    returned = time.time()  # start() has returned: this process goes on
    first = pool.submit(when, 0)  # waits until the workers run
    with pool:
        ran = first.result()
    print(json.dumps({"returned": returned, "ran": ran}))
"""


def test_start_returns_while_the_fork_server_still_imports(tmp_path):
    """The first pool of a process starts the fork server, which imports the ``warm`` modules (in a run: numpy,
    scikit-learn, matplotlib …, seconds) before it forks a worker. ``start()`` leaves that wait to a thread: it
    returns before the import ends, and work submitted meanwhile runs once the workers do. Here the warm module
    takes 3 s to import and writes when its import ended (a fresh process, so its fork server is not running)."""
    (tmp_path / "slowwarm.py").write_text(
        "import pathlib, time\ntime.sleep(3)\npathlib.Path(__file__).with_name('imported').write_text(str(time.time()))\n",
        encoding="utf-8")
    script = tmp_path / "slow_start.py"
    script.write_text(SLOW_START_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])})
    assert done.returncode == 0, done.stderr
    times = json.loads(done.stdout)
    imported = float((tmp_path / "imported").read_text())
    assert times["returned"] < imported - 1  # start() returned while the fork server was still importing
    assert times["ran"] >= imported  # the work waited for the workers


def test_work_fails_with_the_reason_when_the_workers_cannot_start(monkeypatch):
    """If the worker processes cannot be started (here: the executor raises as a full process table would), the
    work submitted after ``start()`` fails with the reason instead of waiting for ever, and the block ends."""
    import corpus_tools.workers as workers

    def no_processes(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", no_processes)
    with WorkerPool(2).start() as pool:
        f = pool.submit(_pid_and_square, 3)
        with pytest.raises(RuntimeError, match="could not be started.*Resource temporarily unavailable"):
            f.result(timeout=60)
        later = pool.submit(_pid_and_square, 4)  # and so does work submitted after the failure
        with pytest.raises(RuntimeError, match="could not be started"):
            later.result(timeout=60)
    monkeypatch.undo()  # processes can be started again: the same pool, used again, starts them
    with pool:
        pid, square = pool.submit(_pid_and_square, 5).result(timeout=120)
    assert square == 25 and pid != os.getpid()


UNGUARDED_SCRIPT = """
import corpus_tools.workers as workers

print("top level ran")
with workers.WorkerPool(2) as pool:
    print(pool.submit(abs, -3).result())
"""


def test_a_script_without_the_main_guard_is_told_to_add_it(tmp_path):
    """A script that opens a pool at its top level (the README's example did, through ``study.save``) is run
    again by every worker as it starts (Python's multiprocessing imports the script's module there), where opening
    a pool fails and the worker ends. The script then failed with "BrokenProcessPool: A child process terminated
    abruptly", which says nothing of the cause; its last line now names the script, the guard to add, and
    ``Params(jobs=1)``. The same code under the guard runs."""
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.count("top level ran") >= 2, done  # the workers ran it too
    # the error the script ends with (multiprocessing's resource tracker may still warn after it)
    lost = [ln for ln in done.stderr.splitlines() if ln.startswith("corpus_tools.workers.WorkersLost: ")]
    assert len(lost) == 1 and "a worker process ended abruptly" in lost[0], done.stderr[-3000:]
    assert f"run the script {script} again" in lost[0] and 'if __name__ == "__main__":' in lost[0]
    assert "Params(jobs=1)" in lost[0] and "BrokenProcessPool: A" not in done.stderr.splitlines()[-1]
    body = "\n".join("    " + line for line in UNGUARDED_SCRIPT.strip().splitlines()[1:])
    script.write_text(UNGUARDED_SCRIPT.strip().splitlines()[0] + '\n\nif __name__ == "__main__":\n' + body + "\n",
                      encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.split() == ["top", "level", "ran", "3"], done


def test_a_lost_worker_of_a_guarded_script_or_the_command_names_no_guard(tmp_path, monkeypatch):
    """The hint about the guard is for a script without one: the ``corpus-tools`` command's own script (it has the
    guard) gets the plain cause; a script read from standard input, which the workers cannot run again, is told
    to be saved as a file."""
    import types

    import corpus_tools.workers as workers

    for text, expected in (('from x import main\nif __name__ == "__main__":\n    main()\n', None),
                           ("print(1)\n", "run the script"), (None, "could not run the script")):
        main = types.ModuleType("__main__")
        main.__spec__ = None
        main.__file__ = str(tmp_path / "s.py") if text is not None else "<stdin>"
        if text is not None:
            (tmp_path / "s.py").write_text(text, encoding="utf-8")
        monkeypatch.setitem(sys.modules, "__main__", main)
        message = workers._lost_message()
        assert message.startswith("a worker process ended abruptly (killed, or out of memory)")
        assert (expected is None) == ("__main__" not in message), message
        if expected:
            assert expected in message and "Params(jobs=1)" in message
