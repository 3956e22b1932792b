from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import corpus_tools as ct

ROOT = Path(__file__).resolve().parents[1]
BOOKLET = ROOT / "data" / "raw" / "hit_cio_training_qa.txt"
ANNOTATION = Path(__file__).parent / "data" / "booklet_annotation.jsonl"


# The test files that cost the most CPU (whole runs, notebook kernels, a browser), most first: ``make test`` hands
# them out first (``--dist loadfile --no-loadscope-reorder``), so that no heavy file starts last and runs alone
# while the other test process has nothing left to do (xdist's own order, by number of tests, put test_fuzz —
# six tests, about a minute — near the end). Measured 2026-12-06, CPU-s of each file alone: robustness ~85,
# fuzz ~65, notebooks ~45, programme ~40, report_browser and figures_publication ~25 besides the session's run,
# pipeline ~30 (its second, cold run). A file missing here only runs later.
HEAVY_FIRST = ("test_robustness.py", "test_fuzz.py", "test_notebooks.py", "test_programme.py",
               "test_report_browser.py", "test_figures_publication.py", "test_pipeline.py", "test_compare_report.py")


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: it exists and is not a zombie (ended, not yet reaped by its parent).
    Linux only (/proc). A process that ends while its stat file is read is gone too (the read fails with ESRCH)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"  # the state follows the ")" of the name
    except OSError:  # FileNotFoundError, ProcessLookupError
        return False


def pytest_collection_modifyitems(items):
    """The heavy files first (see :data:`HEAVY_FIRST`), each file's tests in their order, the other files after."""
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(HEAVY_FIRST)))


@pytest.fixture(scope="session")
def booklet() -> ct.Booklet:
    return ct.read_booklet(BOOKLET)


@pytest.fixture(scope="session")
def annotation() -> list[dict]:
    """Hand annotation of every entry, made by reading the booklet (see tests/data/README.md)."""
    return [json.loads(line) for line in ANNOTATION.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (see tests/browser.py), shared by the page tests."""
    from browser import launch

    with launch() as b:
        yield b


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, request) -> Path:
    """A folder shared by the session's test processes (pytest-xdist workers): their common parent temp folder,
    or the session's own folder when the tests run in one process."""
    worker = getattr(request.config, "workerinput", None)
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker is not None else base


@pytest.fixture(scope="session")
def cache_dir(shared_dir):
    """The result cache of the session's run (empty at the start of the session, shared by its test processes);
    laid out as the user's cache is, ``$CORPUS_TOOLS_CACHE/results``, so a kernel given
    ``CORPUS_TOOLS_CACHE=cache_dir.parent`` shares it."""
    d = shared_dir / "session-cache" / "results"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session", autouse=True)
def _session_cache_home(cache_dir):
    """Every run of the session (in-process CLI calls, notebook kernels) caches under the session's folder, as on a
    fresh machine: nothing is read from or left in the user's ~/.cache."""
    import os

    before = os.environ.get("CORPUS_TOOLS_CACHE")
    key_before = os.environ.get("CORPUS_TOOLS_CACHE_KEY")
    os.environ["CORPUS_TOOLS_CACHE"] = str(cache_dir.parent)
    os.environ["CORPUS_TOOLS_CACHE_KEY"] = str(cache_dir.parent / "key" / "cache-key")  # outside results/
    yield
    if key_before is None:
        os.environ.pop("CORPUS_TOOLS_CACHE_KEY", None)
    else:
        os.environ["CORPUS_TOOLS_CACHE_KEY"] = key_before
    if before is None:
        os.environ.pop("CORPUS_TOOLS_CACHE", None)
    else:
        os.environ["CORPUS_TOOLS_CACHE"] = before


@contextmanager
def _one_process_at_a_time(lock_file: Path) -> Iterator[None]:
    """Inside the block, this test process holds ``lock_file``'s lock (``fcntl.flock``): the session's other test
    processes wait at the same block until it leaves (or ends: the kernel releases the lock)."""
    import fcntl

    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def run_result(tmp_path_factory, cache_dir, shared_dir):
    """One whole run of the bundled booklet (k = 7, seed 0, starting from an empty cache), written to disk: its
    Study and its files are shared by every test that reads one (see ``study`` and ``run_dir``). The study is
    computed once per session: the first test process computes it under a file lock, the others then take every
    stage and figure from the shared cache (verified, see corpus_tools.resultcache)."""
    from corpus_tools.pipeline import Params, run

    out = tmp_path_factory.mktemp("run")
    with _one_process_at_a_time(shared_dir / "session-run.lock"):
        return run(BOOKLET, out, Params(k=7, seed=0), progress=False, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def study(run_result):
    """The in-memory Study of that run (what ``corpus_tools.analyse(booklet, Params(k=7))`` returns)."""
    return run_result.study


@pytest.fixture(scope="session")
def run_dir(run_result):
    """The folder that run wrote."""
    return run_result.outdir


@pytest.fixture(scope="session")
def later_booklet_path(tmp_path_factory, cache_dir, shared_dir) -> Path:
    """test_compare_report's later booklet (``later_booklet``), written in this test process's folder as
    ``later.txt``, its stages up to the topics analysed once per session (k = 7, seed 0: the comparison of
    test_compare_report and the notebooks of test_notebooks analyse it so) into the session's cache, under a file
    lock: whichever of the two files comes first computes them, the other (in ``make test``, often in the other
    test process at the same time) reads them from the cache (verified, see corpus_tools.resultcache)."""
    from corpus_tools.analysis import analyse
    from corpus_tools.resultcache import DiskCache
    from corpus_tools.pipeline import Params
    from test_compare_report import later_booklet

    path = later_booklet(tmp_path_factory.mktemp("later") / "later.txt")
    with _one_process_at_a_time(shared_dir / "later-booklet.lock"):
        analyse(ct.read_booklet(path), Params(k=7, seed=0), stages=["topics"], cache=DiskCache(cache_dir))
    return path
