"""Nothing lost, nothing run that we did not write (issue 24): cache entries verified before use, a clean-up that
only removes what this tool wrote, a lock that cannot be taken twice and is taken before any computing, scratch
folders inside the output folder."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import corpus_tools as ct
from corpus_tools import cli
from corpus_tools.resultcache import MAGIC, TAG_SIZE, DiskCache
from corpus_tools.errors import OutputError, OutputLocked
from corpus_tools.pipeline import Params, run
from corpus_tools.store import LOCK_NAME, RunLock, StagedOutput, recover
from conftest import BOOKLET


class _Planted:
    """A pickle that, when loaded, creates a file of the attacker's choosing."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A cache folder and a key file of this test's own."""
    monkeypatch.setenv("CORPUS_TOOLS_CACHE_KEY", str(tmp_path / "config" / "cache-key"))
    return DiskCache(tmp_path / "cache" / "results")


# ---------------------------------------------------------------- the cache: verified before use


def test_a_planted_pickle_is_never_unpickled(private_cache, tmp_path):
    marker = tmp_path / "owned.txt"
    payload = pickle.dumps(_Planted(marker))
    folder = private_cache.root / "stages"
    folder.mkdir(parents=True)
    (folder / "overview-k1.pkl").write_bytes(payload)  # a bare pickle
    (folder / "overview-k2.pkl").write_bytes(MAGIC + b"\0" * TAG_SIZE + payload)  # our header, a forged tag
    for key in ("k1", "k2"):
        with pytest.warns(RuntimeWarning, match=rf"overview-{key}\.pkl"):
            assert private_cache.get("overview", key) is None
    assert not marker.exists()
    assert private_cache.rejected == ["stages/overview-k1.pkl", "stages/overview-k2.pkl"]


def test_a_planted_pickle_in_a_runs_cache_is_not_run_and_the_stage_is_recomputed(booklet, private_cache, tmp_path):
    first = ct.analyse(booklet, Params(), stages=["overview"], cache=private_cache)
    entry = private_cache.root / "stages" / f"overview-{first.stage_keys['overview']}.pkl"
    assert entry.exists()
    marker = tmp_path / "owned.txt"
    entry.write_bytes(pickle.dumps(_Planted(marker)))
    with pytest.warns(RuntimeWarning, match="overview-.*未被使用"):
        again = ct.analyse(booklet, Params(), stages=["overview"], cache=private_cache)
    assert not marker.exists() and again.cached == []
    third = ct.analyse(booklet, Params(), stages=["overview"], cache=private_cache)  # rewritten, verified
    assert third.cached == ["overview"]


def test_an_entry_cut_short_or_overwritten_is_not_used(private_cache):
    private_cache.put_bytes("figures", "abc", "png", b"\x89PNG" + bytes(range(256)) * 40)
    path = private_cache.root / "figures" / "abc.png"
    whole = path.read_bytes()
    assert private_cache.get_bytes("figures", "abc", "png") == b"\x89PNG" + bytes(range(256)) * 40
    for damaged in (whole[: len(whole) // 2], whole[:-1] + bytes([whole[-1] ^ 1]), os.urandom(len(whole))):
        path.write_bytes(damaged)
        with pytest.warns(RuntimeWarning, match="abc.png"):
            assert private_cache.get_bytes("figures", "abc", "png") is None
        assert not path.exists()  # removed: the next run writes a good one


def test_an_entry_moved_to_another_key_is_not_used(private_cache):
    """The tag covers the entry's name: a valid entry copied under another key is rejected."""
    private_cache.put_bytes("reports", "one", "html", "<p>报告一</p>".encode())
    (private_cache.root / "reports" / "two.html").write_bytes((private_cache.root / "reports" / "one.html").read_bytes())
    with pytest.warns(RuntimeWarning, match="two.html"):
        assert private_cache.get_bytes("reports", "two", "html") is None
    assert private_cache.get_bytes("reports", "one", "html") == "<p>报告一</p>".encode()


def test_garbage_in_the_font_and_report_caches_is_a_warning_not_an_abort(private_cache):
    for kind, name in (("fonts", "k.woff.b64"), ("fonts", "k.otf"), ("reports", "k.html")):
        (private_cache.root / kind).mkdir(parents=True, exist_ok=True)
        (private_cache.root / kind / name).write_bytes(b"\xff\xfe\x00garbage" * 10)
    from corpus_tools.render import _cached_font

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert private_cache.get_bytes("reports", "k", "html") is None
        assert private_cache.get_bytes("fonts", "k", "otf") is None
        assert _cached_font(frozenset("医院"), private_cache) is None
    assert any("k.html" in str(w.message) for w in caught) and any("k.otf" in str(w.message) for w in caught)


def test_cache_folders_are_private_and_the_key_lives_outside_the_cache(private_cache, tmp_path):
    private_cache.put("overview", "k", {"x": 1})
    for d in (private_cache.root, private_cache.root / "stages"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    key = tmp_path / "config" / "cache-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert not key.resolve().is_relative_to(private_cache.root.parent.resolve())
    entry = private_cache.root / "stages" / "overview-k.pkl"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert DiskCache(private_cache.root).get("overview", "k") == {"x": 1}  # another process, same user: reused


def test_a_key_file_others_can_read_is_not_trusted(private_cache, tmp_path):
    private_cache.put_bytes("figures", "k", "png", b"drawn")
    key = tmp_path / "config" / "cache-key"
    key.chmod(0o644)
    other = DiskCache(private_cache.root)
    with pytest.warns(RuntimeWarning, match="can be read by other users"):
        assert other.get_bytes("figures", "k", "png") is None  # not reused under a key others may know
    assert other.ephemeral_key


def test_a_library_upgrade_changes_every_stage_key(booklet, monkeypatch):
    import corpus_tools.keys as keys

    before = ct.analyse(booklet, Params(), stages=["overview"]).stage_keys["overview"]
    upgraded = dict(keys.library_versions(), **{"scikit-learn": "99.0"})
    monkeypatch.setattr(keys, "library_versions", lambda: upgraded)
    after = ct.analyse(booklet, Params(), stages=["overview"]).stage_keys["overview"]
    assert after != before


def test_the_cache_is_pruned_least_recently_used_first(private_cache):
    for i in range(5):
        private_cache.put_bytes("figures", f"f{i}", "png", bytes(1000))
        os.utime(private_cache.root / "figures" / f"f{i}.png", (1_000_000 + i, 1_000_000 + i))
    assert private_cache.get_bytes("figures", "f0", "png") == bytes(1000)  # used now: the newest
    size = (private_cache.root / "figures" / "f0.png").stat().st_size
    removed = private_cache.prune(max_bytes=3 * size)
    assert sorted(p.name for p in removed) == ["f1.png", "f2.png"]
    info = private_cache.info()
    assert info["kinds"]["figures"]["entries"] == 3 and info["total_bytes"] == 3 * size
    assert private_cache.clear() == 3 and private_cache.info()["total_bytes"] == 0


def test_the_cache_command_shows_and_clears(private_cache, capsys, monkeypatch):
    monkeypatch.setenv("CORPUS_TOOLS_CACHE", str(private_cache.root.parent))
    private_cache.put_bytes("figures", "a", "png", b"x" * 100)
    assert cli.main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(private_cache.root) in out and "figures" in out and "key file" in out
    # the cap in the unit $CORPUS_TOOLS_CACHE_MAX_MB and the README give it (2**20 bytes): "1024 MB", not "1074 MB"
    monkeypatch.delenv("CORPUS_TOOLS_CACHE_MAX_MB", raising=False)
    assert cli.main(["cache"]) == 0 and "of at most 1024 MB" in capsys.readouterr().out
    assert cli.main(["cache", "--clear"]) == 0
    assert "removed 1 cached files" in capsys.readouterr().out
    assert not (private_cache.root / "figures" / "a.png").exists()


def test_a_corrupt_figure_cache_gives_correct_figures_with_a_warning(tmp_path, monkeypatch):
    """The attack of issue 24: every cached figure replaced by random bytes or half of itself, then a run into a
    new folder: its figures are drawn again (byte-identical to the first run's), with a warning per entry."""
    monkeypatch.setenv("CORPUS_TOOLS_CACHE_KEY", str(tmp_path / "config" / "cache-key"))
    cache = tmp_path / "cache" / "results"
    params = Params(k=7, seed=0, formats=("png", "svg"))
    first = run(BOOKLET, tmp_path / "one", params, progress=False, only=("overview",), cache_dir=cache)
    figs = sorted((first.outdir / "figures").glob("overview_*.*"))
    assert len(figs) == 4
    entries = sorted((cache / "figures").iterdir())
    for i, p in enumerate(entries):
        data = p.read_bytes()
        p.write_bytes(os.urandom(len(data)) if i % 2 else data[: len(data) // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = run(BOOKLET, tmp_path / "two", params, progress=False, only=("overview",), cache_dir=cache)
    named = [str(w.message) for w in caught if "缓存条目" in str(w.message)]
    assert len(named) == len(entries) and all(any(p.name in m for m in named) for p in entries)
    for f in figs:
        assert (second.outdir / "figures" / f.name).read_bytes() == f.read_bytes(), f.name
    manifest = json.loads((second.outdir / "run_manifest.json").read_text(encoding="utf-8"))
    for rel, sha in manifest["output_sha256"].items():
        assert hashlib.sha256((second.outdir / rel).read_bytes()).hexdigest() == sha


# ---------------------------------------------------------------- clean-up: only what this tool wrote


def _write_run(out: Path, files: dict[str, bytes], listed_extra: tuple[str, ...] = ()) -> None:
    """A previous run as save_study leaves it: files and a manifest with their checksums."""
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    sums = {rel: hashlib.sha256(d).hexdigest() for rel, d in files.items()}
    manifest = {"outputs": {"all": sorted(files) + list(listed_extra)}, "output_sha256": sums}
    (out / "run_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _commit(out: Path, files: dict[str, bytes]) -> StagedOutput:
    staged = StagedOutput(out, command="test")
    with staged as stage:
        for rel, data in files.items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            (stage / rel).write_bytes(data)
        (stage / "run_manifest.json").write_text(json.dumps({
            "outputs": {"all": sorted(files)},
            "output_sha256": {r: hashlib.sha256(d).hexdigest() for r, d in files.items()}}), encoding="utf-8")
    return staged


def test_a_manifest_entry_through_a_symlink_never_deletes_outside_the_folder(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim"
    victim.mkdir()
    (victim / "secret.txt").write_text("不能删", encoding="utf-8")
    out.mkdir()
    (out / "victimlink").symlink_to(victim, target_is_directory=True)
    (tmp_path / "outside.txt").write_text("也不能删", encoding="utf-8")
    _write_run(out, {"report.html": b"old"}, listed_extra=("victimlink/secret.txt", "../outside.txt",
                                                           str(tmp_path / "outside.txt")))
    with pytest.warns(RuntimeWarning, match="symbolic link"):
        _commit(out, {"report.html": b"new"})
    assert (victim / "secret.txt").read_text(encoding="utf-8") == "不能删"
    assert (tmp_path / "outside.txt").read_text(encoding="utf-8") == "也不能删"
    assert (out / "report.html").read_bytes() == b"new"


def test_writing_through_a_symlinked_folder_is_refused_and_nothing_changes(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    _write_run(out, {"report.html": b"old"})
    (out / "figures").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="symbolic link"):
        _commit(out, {"report.html": b"new", "figures/a.png": b"png"})
    assert list(elsewhere.iterdir()) == [] and (out / "report.html").read_bytes() == b"old"


def test_an_edited_output_is_kept_aside_not_deleted_or_overwritten(tmp_path):
    """The README invites editing the SVGs: a rerun with --formats png (the SVG no longer produced) and a rerun
    that replaces an edited file both keep the user's version, under kept/<time>/, with a warning naming it."""
    out = tmp_path / "out"
    _write_run(out, {"figures/a.svg": b"<svg>drawn</svg>", "figures/a.png": b"png1", "figures/b.svg": b"<svg>b</svg>",
                     "report.html": b"old"})
    (out / "figures" / "a.svg").write_bytes(b"<svg>edited by hand</svg>")
    (out / "report.html").write_bytes(b"annotated by the user")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        staged = _commit(out, {"figures/a.png": b"png2", "report.html": b"new"})
    messages = " ".join(str(w.message) for w in caught)
    assert "a.svg was changed after the last run" in messages and "report.html was changed" in messages
    kept = {Path(*p.relative_to(out / "kept").parts[1:]).as_posix(): p.read_bytes() for p in staged.kept}
    assert kept == {"figures/a.svg": b"<svg>edited by hand</svg>", "report.html": b"annotated by the user"}
    assert not (out / "figures" / "b.svg").exists()  # unchanged and no longer produced: removed as before
    assert (out / "figures" / "a.png").read_bytes() == b"png2" and (out / "report.html").read_bytes() == b"new"


def test_a_file_no_run_wrote_is_kept_when_an_output_would_replace_it(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("我自己的报告", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="not written by an earlier run"):
        staged = _commit(out, {"report.html": b"new"})
    assert [p.read_text(encoding="utf-8") for p in staged.kept] == ["我自己的报告"]


def test_kept_files_come_back_in_place_when_the_commit_fails(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _write_run(out, {"figures/a.svg": b"drawn", "report.html": b"old"})
    (out / "figures" / "a.svg").write_bytes(b"edited")
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = os.replace

    def failing(src, dst):
        if str(dst).endswith("run_manifest.json") and ".corpus-tools.staging-" in str(src):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OutputError):
        _commit(out, {"report.html": b"new"})
    monkeypatch.setattr(os, "replace", real)
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


# ---------------------------------------------------------------- the lock


def test_two_processes_racing_for_a_stale_lock_cannot_both_take_it(tmp_path):
    """Both find the same lock of a dead run at once; the kernel lock lets exactly one through, every time."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    script = textwrap.dedent("""
        import sys, time
        from corpus_tools.store import RunLock
        from corpus_tools.errors import OutputLocked
        folder, go = sys.argv[1], float(sys.argv[2])
        time.sleep(max(0.0, go - time.time() - 0.005))  # asleep until 5 ms before the start …
        while time.time() < go:  # … then both spin to it together
            pass
        try:
            lock = RunLock(folder, "racer").acquire()
        except OutputLocked:
            print("refused", flush=True)
        else:
            print("took", flush=True)
            time.sleep(1.0)
            lock.release()
    """)
    import time

    folders = [tmp_path / f"out{i}" for i in range(4)]  # four races at once, two racers each
    for out in folders:
        out.mkdir()
        (out / LOCK_NAME).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                                 "started": "t0", "command": "dead"}))
    go = time.time() + 1.5
    procs = {out: [subprocess.Popen([sys.executable, "-W", "ignore", "-c", script, str(out), str(go)],
                                    stdout=subprocess.PIPE, text=True) for _ in range(2)] for out in folders}
    for out, racers in procs.items():
        results = sorted(p.communicate(timeout=60)[0].strip() for p in racers)
        assert results == ["refused", "took"], (out.name, results)


def test_a_second_run_is_refused_before_anything_is_computed(tmp_path, monkeypatch):
    import corpus_tools.pipeline as pipeline

    out = tmp_path / "out"

    def computing(*args, **kwargs):
        raise AssertionError("the second run started computing")

    monkeypatch.setattr(pipeline, "_run_analysis", computing)
    with RunLock(out, "corpus-tools run first.txt"):
        with pytest.raises(OutputLocked, match="corpus-tools run first.txt"):
            run(BOOKLET, out, Params(k=7), progress=False, cache_dir=tmp_path / "cache")
    assert not (out / LOCK_NAME).exists()


def test_scratch_folders_live_in_the_output_folder_and_a_killed_runs_are_removed(tmp_path):
    out = tmp_path / "out"
    left = out / ".corpus-tools.scratch-abc123"
    left.mkdir(parents=True)
    (left / "figure-font.otf").write_bytes(b"font")
    with RunLock(out):
        recover(out)
    assert not left.exists()
    from corpus_tools.store import scratch_folder

    with scratch_folder(out) as scratch:
        assert scratch.parent == out and scratch.name.startswith(".corpus-tools.scratch-")
    assert not scratch.exists()


def test_a_write_error_inside_the_staging_folder_names_the_final_file(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError) as info:
        with StagedOutput(out, command="test") as stage:
            raise OSError(28, "No space left on device", str(stage / "figures" / "a.png"))
    assert info.value.filename == str(out / "figures" / "a.png") and "No space left" in str(info.value)
    assert ".corpus-tools.staging" not in str(info.value)
