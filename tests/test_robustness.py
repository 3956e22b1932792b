"""Hostile input and faults (issue 12): formula-safe CSV, well-formed XML, input checks, transactional output
with a lock, workers that end with their parent, an unwritable cache, literal figure labels, anonymisation."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import corpus_tools as ct
from corpus_tools.anonymise import anonymise_booklet, anonymise_frame, anonymise_tables, trainee_codes
from corpus_tools.errors import BookletError, OutputError, OutputLocked
from corpus_tools.ingest import input_size_limit, read_input_bytes
from corpus_tools.network import export_graph
from corpus_tools.plots.labels import plain_label, short_label
from corpus_tools.store import (LOCK_NAME, RunLock, StagedOutput, atomic_write, csv_safe, write_table, write_text,
                                writable_dir)
from conftest import BOOKLET, alive

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "=cmd|' /C calc'!A0", "+1+2医院", "@SUM(1+1)医院",
           "\t=1+1", "\r=1+1", "-2+3", "信息-数据中心", "普通医院"]


# ---------------------------------------------------------------- 1. CSV cells that cannot execute


def test_csv_cells_that_would_execute_get_an_apostrophe(tmp_path):
    df = pd.DataFrame({"hospital": HOSTILE, "n": range(-4, 5), "share": [-0.5] * 9,
                       "name": pd.array(HOSTILE, dtype="string")})
    write_table(df, tmp_path, "t")
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", keep_default_na=False)
    expected = ["'=HYPERLINK(\"http://evil.example\",\"点我\")", "'=cmd|' /C calc'!A0", "'+1+2医院", "'@SUM(1+1)医院",
                "'\t=1+1", "'\r=1+1", "'-2+3", "信息-数据中心", "普通医院"]
    assert back.hospital.tolist() == expected
    assert back.name.tolist() == expected
    # numbers stay numbers, negative ones included
    assert back.n.tolist() == list(range(-4, 5)) and back.n.dtype.kind == "i"
    assert back.share.tolist() == [-0.5] * 9
    # no cell in the file starts with a formula character
    import csv

    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 10 and all(len(r) == 4 for r in rows)
    assert not [c for r in rows[1:] for c in (r[0], r[3]) if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    # Parquet keeps the raw values
    pq = pd.read_parquet(tmp_path / "t.parquet")
    assert pq.hospital.tolist() == HOSTILE and pq.n.tolist() == list(range(-4, 5))


def test_csv_safe_keeps_shape_and_leaves_input_alone():
    df = pd.DataFrame({"a": ["=1", None, 3, "-"], "b": [1.0, -2.0, None, 4.0]})
    out = csv_safe(df)
    assert out.a.tolist()[0] == "'=1" and out.a.tolist()[3] == "'-" and out.a.tolist()[2] == 3
    assert pd.isna(out.a.tolist()[1])
    assert df.a.tolist()[0] == "=1"  # the input is not changed
    assert out.b.equals(df.b)


# ---------------------------------------------------------------- 2. well-formed XML


def test_graph_files_are_well_formed_with_control_characters(tmp_path):
    bad = "郑州\x01市中心\x1b医院\ufffe"
    G = nx.Graph(name="图\x02")
    G.add_node(bad, label=bad, type="hospital", note="ok\tkept\nline")
    G.add_node("topic:1", label="主题\x0b一", type="topic")
    G.add_edge(bad, "topic:1", weight=3, distance=0.3, label="边\x1f")
    paths = export_graph(G, tmp_path / "hospital_topic")
    assert [p.suffix for p in paths] == [".gexf", ".graphml"]
    for p in paths:
        ET.parse(p)  # raises on XML 1.0 errors
        text = p.read_text(encoding="utf-8")
        assert not any(c in text for c in "\x01\x1b\ufffe\x02\x0b\x1f")
    for H in (nx.read_gexf(paths[0]), nx.read_graphml(paths[1])):
        assert H.number_of_nodes() == 2 and H.number_of_edges() == 1
        node = next(n for n in H.nodes if n != "topic:1")
        assert node == "郑州\ufffd市中心\ufffd医院\ufffd"
        assert H.nodes[node]["label"] == "郑州\ufffd市中心\ufffd医院\ufffd"
        assert H.nodes[node]["note"] == "ok\tkept\nline"
    assert "\x01" in G.nodes[bad]["label"]  # the graph given is not changed


# ---------------------------------------------------------------- 3. input checks


def test_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "booklet.fifo"
    os.mkfifo(fifo)
    t0 = time.perf_counter()
    with pytest.raises(BookletError, match=r"booklet.fifo: is a named pipe \(FIFO\)"):
        ct.read_booklet(fifo)
    assert time.perf_counter() - t0 < 2


def test_devices_and_folders_are_refused():
    with pytest.raises(BookletError, match="/dev/zero: is a device"):
        ct.read_booklet("/dev/zero")
    with pytest.raises(BookletError, match="is a directory"):
        read_input_bytes(BOOKLET.parent)


def test_size_limit_and_how_to_lift_it(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(BOOKLET.read_bytes() * 3)  # about 0.7 MB
    size_mb = big.stat().st_size / 1e6
    with pytest.raises(BookletError, match=r"big.txt: is larger than the input size limit of 0.5 MB.*--max-size"):
        read_input_bytes(big, max_mb=0.5)
    with input_size_limit(0.5):
        with pytest.raises(BookletError, match="limit of 0.5 MB"):
            ct.read_booklet(big)
    with input_size_limit(size_mb + 1):
        assert len(read_input_bytes(big)) == big.stat().st_size
    assert read_input_bytes(BOOKLET) == BOOKLET.read_bytes()  # the default (20 MB) takes the bundled booklet


# ---------------------------------------------------------------- 4. transactional output


def _previous_run(out: Path) -> dict[str, bytes]:
    files = {"data/processed/entries.csv": "旧的条目\n".encode(), "figures/a.svg": b"<svg>old</svg>",
             "report.html": "<p>旧报告</p>".encode(), "figures/only_old.svg": b"<svg>gone later</svg>"}
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    manifest = {"outputs": {"all": sorted(files)},
                "output_sha256": {rel: hashlib.sha256(d).hexdigest() for rel, d in files.items()}}
    (out / "run_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / "notes_by_user.txt").write_text("用户自己的笔记", encoding="utf-8")
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_failed_run_leaves_the_previous_run_exactly_as_it_was(tmp_path):
    out = tmp_path / "out"
    before = _previous_run(out)
    with pytest.raises(RuntimeError, match="stage failed"):
        with StagedOutput(out, command="test") as stage:
            write_table(pd.DataFrame({"x": ["新"]}), stage / "data" / "processed", "entries")
            write_text(stage / "report.html", "新报告")
            (stage / "figures").mkdir()
            atomic_write(stage / "figures" / "a.svg", lambda p: Path(p).write_bytes(b"<svg>new</svg>"))
            raise RuntimeError("stage failed")
    assert _snapshot(out) == before
    manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    for rel, sha in manifest["output_sha256"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha
    assert not (out / LOCK_NAME).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or backup folder left


def test_a_good_run_replaces_the_outputs_and_drops_only_what_the_old_manifest_listed(tmp_path):
    out = tmp_path / "out"
    _previous_run(out)
    with StagedOutput(out, command="test") as stage:
        (stage / "figures").mkdir()
        (stage / "figures" / "a.svg").write_bytes(b"<svg>new</svg>")
        write_text(stage / "report.html", "新报告")
        write_text(stage / "data" / "processed" / "entries.csv", "新的条目\n")
        write_text(stage / "run_manifest.json", json.dumps({"outputs": {"all": ["figures/a.svg", "report.html",
                                                                             "data/processed/entries.csv"]}}))
    assert (out / "figures" / "a.svg").read_bytes() == b"<svg>new</svg>"
    assert (out / "report.html").read_text(encoding="utf-8") == "新报告"
    assert not (out / "figures" / "only_old.svg").exists()  # listed by the old manifest, not made any more
    assert (out / "notes_by_user.txt").read_text(encoding="utf-8") == "用户自己的笔记"  # never listed: kept
    assert json.loads((out / "run_manifest.json").read_text())["outputs"]["all"][0] == "figures/a.svg"
    assert not (out / LOCK_NAME).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_prune_false_keeps_what_this_run_does_not_produce(tmp_path):
    out = tmp_path / "out"
    before = _previous_run(out)
    with StagedOutput(out, command="topics only", prune=False) as stage:
        write_text(stage / "report.html", "新报告")
    after = _snapshot(out)
    assert after["report.html"] == "新报告".encode()
    assert {k: v for k, v in after.items() if k != "report.html"} == \
        {k: v for k, v in before.items() if k != "report.html"}


def test_a_failure_while_moving_in_rolls_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    before = _previous_run(out)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src, dst):
        if Path(src).is_relative_to(tmp_path) and ".staging-" in str(src):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    with pytest.raises(OutputError, match="No space left on device"):
        with StagedOutput(out, command="test") as stage:
            for rel in ("figures/a.svg", "report.html", "data/processed/entries.csv"):
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                (stage / rel).write_bytes(b"new")
            monkeypatch.setattr(os, "replace", flaky_replace)
    monkeypatch.setattr(os, "replace", real_replace)
    assert _snapshot(out) == before


def test_a_second_run_into_the_same_folder_is_refused_with_the_running_ones_pid(tmp_path):
    out = tmp_path / "out"
    with StagedOutput(out, command="corpus-tools run booklet.txt") as stage:
        (stage / "x.txt").write_text("1")
        record = json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))
        assert record["pid"] == os.getpid() and record["command"] == "corpus-tools run booklet.txt"
        with pytest.raises(OutputLocked) as info:
            with StagedOutput(out, command="second"):
                pass
        msg = str(info.value)
        assert f"run {os.getpid()}" in msg and record["started"] in msg and "corpus-tools run booklet.txt" in msg
        assert "\n" not in msg
    assert (out / "x.txt").read_text() == "1"  # the first run finished normally
    assert not (out / LOCK_NAME).exists()


def test_a_stale_lock_is_taken_over_with_a_warning(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    import socket
    (out / LOCK_NAME).write_text(json.dumps({"pid": dead_pid, "host": socket.gethostname(),
                                             "started": "2026-01-01T00:00:00+00:00", "command": "old"}))
    with pytest.warns(RuntimeWarning, match=f"pid {dead_pid}.*is gone; taking the lock over"):
        with StagedOutput(out, command="new") as stage:
            (stage / "y.txt").write_text("2")
            assert json.loads((out / LOCK_NAME).read_text())["command"] == "new"
    assert (out / "y.txt").read_text() == "2" and not (out / LOCK_NAME).exists()


def test_a_lock_of_another_host_is_never_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "t0", "command": "x"}))
    with pytest.raises(OutputLocked, match="on elsewhere"):
        RunLock(out).acquire()


def test_a_write_error_names_the_file_not_the_temp_name(tmp_path):
    target = tmp_path / "data" / "entries.csv"

    def disk_full(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError) as info:
        atomic_write(target, disk_full)
    assert info.value.filename == str(target) and info.value.errno == errno.ENOSPC
    assert str(info.value) == f"{target}: No space left on device"
    assert list(target.parent.iterdir()) == []  # the unique temp file is gone
    # a real full device: /dev/full refuses every write
    if Path("/dev/full").exists():
        with pytest.raises(OutputError, match="entries2.csv: No space left on device"):
            atomic_write(tmp_path / "entries2.csv", lambda p: Path("/dev/full").write_bytes(b"x" * 10))


def test_temp_names_are_unique(tmp_path):
    seen = []
    atomic_write(tmp_path / "a.txt", lambda p: seen.append(p) or Path(p).write_text("1"))
    atomic_write(tmp_path / "a.txt", lambda p: seen.append(p) or Path(p).write_text("2"))
    assert seen[0] != seen[1] and Path(seen[0]).name.startswith(".a.txt.")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


# ---------------------------------------------------------------- 5. workers end with their parent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and kill -9")
def test_kill_9_of_the_parent_ends_the_workers(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from corpus_tools.workers import parallel_map

        def work(i):
            Path({str(tmp_path)!r}, f"worker{{i}}.pid").write_text(str(os.getpid()))
            time.sleep(120)
            return i

        if __name__ == "__main__":
            parallel_map(work, [0, 1], jobs=2)
    """))
    # (its temporary files in tmp_path: a parent killed with -9 cannot remove the workers' spool and sockets)
    parent = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len([p for p in tmp_path.glob("worker*.pid") if p.read_text()]) < 2:
            time.sleep(0.1)  # (a file is created before its pid is written into it)
        pids = [int(p.read_text()) for p in tmp_path.glob("worker*.pid")]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.time() + 5
        while time.time() < deadline and any(alive(p) for p in pids):
            time.sleep(0.1)
        assert not any(alive(p) for p in pids), "workers outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in tmp_path.glob("worker*.pid"):
            try:
                os.kill(int(p.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


def test_parallel_map_keeps_order_and_raises_the_workers_error():
    from corpus_tools.workers import parallel_map

    assert parallel_map(lambda x: x * x, range(7), jobs=2) == [x * x for x in range(7)]
    assert parallel_map(lambda x: x + 1, [1], jobs=4) == [2]
    done = []
    assert parallel_map(lambda x: -x, [3, 1, 2], jobs=2, on_done=lambda: done.append(1)) == [-3, -1, -2]
    assert len(done) == 3
    with pytest.raises(ZeroDivisionError):
        parallel_map(lambda x: 1 // x, [1, 0, 2], jobs=2)


# ---------------------------------------------------------------- caches, labels, notebooks


def test_an_unwritable_cache_warns_and_tokenising_still_works(tmp_path):
    from corpus_tools.text import ChineseTokenizer

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.warns(RuntimeWarning, match="cannot be written.*running without the cache"):
        assert writable_dir(blocker / "cache") is False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tk = ChineseTokenizer(cache_dir=blocker / "cache")
        assert "医院" in tk.segment("医院信息科建设集成平台")
    assert any("running without the cache" in str(w.message) for w in caught)
    assert not (blocker.parent / "cache").exists()


def test_mathtext_in_labels_is_shown_literally(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    name = r"$\badcmd{x}$ section"

    def figure():
        fig = Figure(figsize=(4, 3))
        FigureCanvasAgg(fig)
        return fig, fig.add_subplot()

    fig, ax = figure()
    ax.set_title(name)
    with pytest.raises(ValueError):  # unescaped: matplotlib's mathtext parser fails
        fig.savefig(tmp_path / "bad.svg", format="svg")
    fig, ax = figure()
    ax.set_title(plain_label(name))
    ax.bar([short_label(name, 8)], [1])
    fig.savefig(tmp_path / "ok.svg", format="svg")
    svg = (tmp_path / "ok.svg").read_text(encoding="utf-8")
    assert r"$\badcmd{x}$ section" in svg and r"$\badcm…" in svg  # the SVG keeps the drawn text as comments


def test_short_labels_are_cut_with_an_ellipsis():
    assert short_label("第" * 3000, 24) == "第" * 23 + "…"
    assert short_label("短标题", 24) == "短标题"
    assert short_label("$1$2$3", 4) == r"\$1\$…"
    assert plain_label("a\x01b\nc") == "ab c"


def test_a_failed_notebook_is_never_left_under_its_final_name(tmp_path):
    import nbformat

    from corpus_tools.notebooks import run_notebooks

    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell("booklet = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise ValueError('坏的输入')")]
    nbformat.write(nb, folder / "01_parse.ipynb")
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match=r"notebook 01_parse.ipynb failed \(ValueError: 坏的输入\)"):
        run_notebooks(out, booklet=str(BOOKLET), folder=folder)
    assert not (out / "01_parse.ipynb").exists()
    assert sorted(p.name for p in out.iterdir()) == ["01_parse.failed.ipynb"]


# ---------------------------------------------------------------- anonymise


def test_anonymise_replaces_every_trainee_name_in_every_table(booklet):
    codes = trainee_codes(booklet.people)
    assert codes["李晓莉"].startswith("T") and len(codes) == (booklet.people.role == "trainee").sum()
    tokens = pd.DataFrame({"entry_id": [12, 12, 14], "token": ["李晓莉", "HIS", "李晓莉主任"],
                           "n": [-1, 2, 3]})
    out = anonymise_tables({"tokens": tokens, "graph": "not a table"}, booklet.people)
    assert out["tokens"].token.tolist() == [codes["李晓莉"], "HIS", codes["李晓莉"] + "主任"]
    assert out["tokens"].n.tolist() == [-1, 2, 3] and out["graph"] == "not a table"
    assert tokens.token.iloc[0] == "李晓莉"
    anon = anonymise_booklet(booklet)
    for name in ("entries", "turns", "askers", "people", "hospitals", "lines", "warnings", "units"):
        text = anon.table(name).astype(str).to_csv()
        assert not [n for n in codes if n in text], name
        assert list(anon.table(name).dtypes) == list(booklet.table(name).dtypes)
    assert "李晓莉" in booklet.turns.text.str.cat()  # the original booklet is not changed
    instructors = booklet.people[booklet.people.role == "instructor"].name
    assert set(instructors) <= set(anon.people.name)  # instructors stay named


def test_anonymise_frame_handles_columns_and_index():
    codes = {"王华": "T04", "王华东": "T09"}
    df = pd.DataFrame({"王华": [1], "who": ["王华东和王华"]}, index=["王华"])
    out = anonymise_frame(df, codes)
    assert list(out.columns) == ["T04", "who"] and out.who.iloc[0] == "T09和T04" and list(out.index) == ["T04"]


SMALL_LINES = 1004  # entries 1–15 of the bundled booklet (entry 16 starts on line 1005); 李晓莉 asks 12, 14, 15
# The whole runs on small booklets below use one process (-j 1): what they check does not depend on the worker
# processes, and starting them costs more than such a booklet's fits and figures; the session's run (conftest) and
# the hostile run keep the workers, and test_pipeline checks that their results equal one process's.


def _run_cli_here(argv: list[str]) -> tuple[int, str]:
    """``corpus-tools`` in this process, for a module's shared run: exit code and stderr (never a traceback)."""
    import contextlib
    import io

    from corpus_tools.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    text = err.getvalue()
    assert "Traceback" not in text and "unexpected" not in text, text
    return rc, text


@pytest.fixture(scope="module")
def anonymised_run(tmp_path_factory, booklet) -> tuple[Path, list[str]]:
    """One anonymised run (SVG figures: text the tests can search, unlike PNG pixels, which they never read)
    shared by the anonymisation tests: entries 1–15, plus entry 29, where an
    instructor names a trainee inside his answer (line 1849: "刚刚看到李晓莉主任留言说"): that name became a token
    and leaked into tokens and term_freq tables. Entry 10 is among them: its asker's name 刘鸿齐 is cut by a line end
    (lines 629/631). Returns the output folder and the booklet's trainee names."""
    d = tmp_path_factory.mktemp("anonymised")
    lines = BOOKLET.read_text(encoding="utf-8").splitlines()
    e = booklet.entries.set_index("entry_id")
    entry29 = lines[int(e.line_start[29]) - 1:int(e.line_start[30]) - 1]
    assert "刚刚看到李晓莉主任留言说" in "".join(entry29)
    small = d / "small.txt"
    small.write_text("\n".join(lines[:SMALL_LINES] + entry29) + "\n", encoding="utf-8")
    out = d / "out"
    rc, err = _run_cli_here(["run", str(small), "-o", str(out), "-k", "3", "--anonymise", "-q", "-j", "1",
                             "--formats", "svg", "--all-figures"])  # every figure, also those the report leaves out
    assert rc == 0, err
    names = [n for n in ct.read_booklet(small).people.query("role == 'trainee'").name if n]
    return out, names


def test_anonymised_run_writes_no_trainee_name_anywhere(anonymised_run):
    out, names = anonymised_run
    assert "李晓莉" in names
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".csv", ".gexf", ".graphml", ".svg",
                                                                       ".html", ".json", ".txt")]
    kinds = {p.suffix for p in files}
    assert {".csv", ".gexf", ".graphml", ".svg", ".html", ".json"} <= kinds
    assert (out / "figures" / "network_term_cooccurrence.svg").is_file()  # drawn: --all-figures
    leaks = {str(p.relative_to(out)): [n for n in names if n in p.read_text(encoding="utf-8", errors="replace")]
             for p in files}
    leaks = {k: v for k, v in leaks.items() if v}
    assert not leaks, leaks
    tokens = pd.read_parquet(out / "data" / "processed" / "tokens.parquet")
    col = "token" if "token" in tokens.columns else tokens.columns[-1]
    assert "李晓莉" not in set(tokens[col].astype(str))


def test_a_run_in_another_process_holds_the_folder(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from corpus_tools.store import StagedOutput
        with StagedOutput({str(out)!r}, command="corpus-tools run first.txt") as stage:
            print("locked", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputLocked, match=rf"in use by run {holder.pid} on .*started .*corpus-tools run first.txt"):
            with StagedOutput(out, command="second"):
                pass
        holder.kill()  # the first run dies without releasing its lock: the next run takes the stale lock over
        holder.wait(timeout=10)
        with pytest.warns(RuntimeWarning, match=f"pid {holder.pid}"):
            with StagedOutput(out, command="third") as stage:
                (stage / "z.txt").write_text("3")
        assert (out / "z.txt").read_text() == "3" and not (out / LOCK_NAME).exists()
        assert not [p for p in out.iterdir() if p.name.startswith(".corpus-tools")]  # its staging folder is gone
    finally:
        if holder.poll() is None:
            holder.kill()


def test_a_commit_cut_short_by_kill_9_is_rolled_back_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    before = _previous_run(out)
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from corpus_tools.store import StagedOutput
        real_replace, calls = os.replace, [0]

        def dies_midway(src, dst):  # kill -9 after three new files went in
            if ".corpus-tools.staging-" in str(src):
                calls[0] += 1
                if calls[0] == 4:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real_replace(src, dst)

        with StagedOutput({str(out)!r}, command="killed") as stage:
            for rel in ("data/processed/entries.csv", "figures/a.svg", "figures/new_only.svg", "report.html"):
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                (stage / rel).write_bytes(b"new")
            os.replace = dies_midway
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr
    mixed = _snapshot(out)
    assert mixed.get("data/processed/entries.csv") == b"new" and "figures/new_only.svg" in mixed  # a mix now
    assert (out / LOCK_NAME).exists()  # left by the killed run: stale
    # entries.csv, a.svg (old ones back), new_only.svg (removed), report.html (moved aside, not yet replaced)
    with pytest.warns(RuntimeWarning, match="previous run's 4 files were restored"), \
            pytest.warns(RuntimeWarning, match="is gone; taking the lock over"):
        with pytest.raises(RuntimeError, match="stop here"), StagedOutput(out, command="next"):
            now = {k: v for k, v in _snapshot(out).items() if not k.startswith(".corpus-tools")}
            assert now == before  # recovered as soon as the next run holds the folder
            raise RuntimeError("stop here")
    assert _snapshot(out) == before


# ---------------------------------------------------------------- damaged and tiny booklets (issue 24 §4)


def _booklet_lines() -> list[str]:
    return BOOKLET.read_text(encoding="utf-8").splitlines()


def _without_source_notes(lines: list[str]) -> list[str]:
    """The booklet with every source note cut: a note starts "（上述内容来源于…" (line 92, 198, 293 …) and ends
    with "…审核确认）" on the same or the next non-blank line (line 94)."""
    out, inside = [], False
    for ln in lines:
        if ln.strip().startswith("（上述内容来源于"):
            inside = "确认）" not in ln
            continue
        if inside:
            inside = "确认）" not in ln
            continue
        out.append(ln)
    return out


# the line each entry starts on (its title), read in the booklet: entry 2 on line 96 (如何提升医院信息科的发展规划
# 能力？★), entry 3 on 202, entry 4 on 297 (如何统筹不同法人医院的集团化一体化建设？★), entry 6 on 389, entry 10 on
# 625 (如何评价医院信息化建设的产出效能，以获取更多支持？), entry 11 on 706
ENTRY_START = {2: 96, 3: 202, 4: 297, 6: 389, 10: 625, 11: 706}


def _first_entries(n: int) -> list[str]:
    """The booklet up to (not including) entry n + 1: its preface, first section heading and first n entries."""
    return _booklet_lines()[:ENTRY_START[n + 1] - 1]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_cli(argv: list[str], capsys) -> tuple[int, str]:
    from corpus_tools.cli import main

    rc = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unexpected" not in err, err
    return rc, err


def _every_stage_ran_or_says_why(out: Path) -> dict:
    from corpus_tools.stages import STAGES

    manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    ran, skipped = set(manifest["stages"]), manifest["skipped"]
    assert {s.name for s in STAGES} == ran | set(skipped), manifest
    assert all(isinstance(why, str) and why for why in skipped.values())
    assert (out / "report.html").is_file()
    return manifest


def test_a_booklet_without_source_notes_runs(tmp_path, capsys):
    lines = _booklet_lines()
    cut = _without_source_notes(lines)
    assert sum("上述内容来源于" in ln for ln in lines) == 68 and not any("上述内容来源于" in ln for ln in cut)
    src = _write(tmp_path / "no_notes.txt", cut)
    b = ct.read_booklet(src)
    # (without the note that closes it, an entry whose answer runs into the next title may swallow that entry)
    assert len(b.entries) >= 60 and b.entries.cohort.isna().all() and b.units.cohort.isna().all() and len(b.warnings) >= 60
    # the run: entries 1–15 without their notes (15 entries parse, none with a cohort) are enough for every stage
    small = _write(tmp_path / "no_notes15.txt", _without_source_notes(lines[:SMALL_LINES]))
    assert len(ct.read_booklet(small).entries) == 15
    out = tmp_path / "out"
    rc, err = _run_cli(["run", str(small), "-o", str(out), "-k", "5", "-q", "--formats", "svg", "-j", "1",
                        "--all-figures"], capsys)
    assert rc == 0, err
    manifest = _every_stage_ran_or_says_why(out)
    # with 15 entries every stage runs; what needs a cohort or a unit is left out and said so
    assert manifest["skipped"] == {}
    assert "trends_top_terms_by_cohort" not in {p.stem for p in (out / "figures").glob("*.svg")}
    # and the report says what was left out, and why
    assert "未画各期高频词趋势图：没有注明期次的问答" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "figures" / "matrix_instructor_topic.svg").is_file()  # what needs no cohort is drawn
    assert len(pd.read_csv(out / "data" / "processed" / "unit_fit.csv", encoding="utf-8-sig")) == 0


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_tiny_booklets_run_every_stage_or_say_why(tmp_path, capsys, n):
    src = _write(tmp_path / f"first{n}.txt", _first_entries(n))
    assert len(ct.read_booklet(src).entries) == n
    out = tmp_path / "out"
    rc, err = _run_cli(["run", str(src), "-o", str(out), "-q", "--formats", "svg", "-j", "1"], capsys)
    assert rc == 0, err
    manifest = _every_stage_ran_or_says_why(out)
    assert "topics" in manifest["skipped"] and "10" in manifest["skipped"]["topics"]  # topics need 10 entries
    assert f"“主题”未运行：问答只有 {n} 条" in (out / "report.html").read_text(encoding="utf-8")
    assert {"overview", "tokens", "trends"} <= set(manifest["stages"])
    for svg in (out / "figures").glob("*.svg"):
        ET.parse(svg)


def _with_entries_1_to_5_twice_more(lines: list[str]) -> list[str]:
    """``lines`` (the first 10 entries, edited or not) followed by its entries 1–5 twice more: lines 27–388 of the
    booklet (entry 1's title is on line 27, entry 6's on line 389), as they stand in ``lines``."""
    first5 = lines[ENTRY_START[2] - 70:ENTRY_START[6] - 1]
    return lines + first5 + first5


def test_a_booklet_with_duplicated_entries_runs(hostile_run):
    """The booklet of the hostile run below is also one with duplicated entries: entries 1–10, then entries 1–5
    twice more (see ``_with_entries_1_to_5_twice_more``). Every stage runs on it."""
    lines = _booklet_lines()
    assert lines[26].strip() == "医院信息科为什么要具备规划能力？★"
    assert _with_entries_1_to_5_twice_more(_first_entries(10))[ENTRY_START[11] - 1] == lines[26]
    src, out, _ = hostile_run
    b = ct.read_booklet(src)
    assert len(b.entries) == 20 and b.entries.title.duplicated().sum() == 10
    assert _every_stage_ran_or_says_why(out)["skipped"] == {}


def test_compare_with_tiny_booklets_says_what_it_did_not_compare(tmp_path, capsys):
    old = _write(tmp_path / "first2.txt", _first_entries(2))
    new = _write(tmp_path / "first9.txt", _first_entries(9))
    out = tmp_path / "cmp"
    rc, err = _run_cli(["compare", str(old), str(new), "-o", str(out)], capsys)
    assert rc == 0, err
    entries = pd.read_csv(out / "entries_diff.csv", encoding="utf-8-sig")
    assert entries.status.value_counts().to_dict() == {"kept": 2, "new": 7}
    assert len(pd.read_csv(out / "topics_diff.csv", encoding="utf-8-sig")) == 0
    manifest = json.loads((out / "comparison_manifest.json").read_text(encoding="utf-8"))
    assert "10" in manifest["skipped"]["topics_diff"]
    # every file it wrote, with its checksum (as run's manifest: what the next compare may replace)
    assert set(manifest["output_sha256"]) == set(manifest["files"]) == \
        {p.name for p in out.iterdir() if p.name != "comparison_manifest.json"}
    for rel, sha in manifest["output_sha256"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha
    assert "未比较" in (out / "comparison.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- compare staged and locked (issue 24 §5)


def test_a_failed_compare_leaves_the_old_comparison_byte_for_byte(tmp_path, monkeypatch):
    import corpus_tools.store as store
    from corpus_tools.compare import compare_booklets

    first2 = _write(tmp_path / "first2.txt", _first_entries(2))
    first5 = _write(tmp_path / "first5.txt", _first_entries(5))
    out = tmp_path / "cmp"
    compare_booklets(first2, first5, out, formats=("svg",))
    (out / "notes_by_user.txt").write_text("用户自己的笔记", encoding="utf-8")
    before = _snapshot(out)
    assert {"comparison.html", "comparison_manifest.json", "entries_diff.csv", "compare_changes.svg"} <= set(before)
    real, calls = store.write_bytes, {"n": 0}

    def disk_full_at_the_second_figure(path, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(store, "write_bytes", disk_full_at_the_second_figure)
    with pytest.raises(OSError, match="No space left on device") as info:
        compare_booklets(first2, _write(tmp_path / "first9.txt", _first_entries(9)), out, formats=("svg",))
    assert calls["n"] == 2
    assert info.value.filename == str(out / "compare_key_terms.svg")  # the file's name, not its staging copy
    assert _snapshot(out) == before  # nothing new beside the old comparison, nothing changed, no staging left
    assert not (out / LOCK_NAME).exists()


def test_a_compare_into_a_folder_in_use_is_refused_before_computing(tmp_path, monkeypatch):
    import corpus_tools.analysis as analysis
    from corpus_tools.compare import compare_booklets

    def no_analysis(*args, **kwargs):
        raise AssertionError("analysed although the folder is locked")

    monkeypatch.setattr(analysis, "analyse", no_analysis)
    first2 = _write(tmp_path / "first2.txt", _first_entries(2))
    out = tmp_path / "cmp"
    with RunLock(out, command="corpus-tools compare a b"):
        with pytest.raises(OutputLocked, match=r"in use by run .*corpus-tools compare a b"):
            compare_booklets(first2, first2, out)
    assert [p.name for p in out.iterdir()] == []


# ---------------------------------------------------------------- anonymise names cut by a line end (issue 24 §6)

# line 629 ends "…信息处处长刘鸿" and line 631 (after a blank line) starts "齐： 我想提一个困惑" — one label, one name
# (刘鸿齐, who asks entry 10); "刘鸿" occurs nowhere else in the booklet than in this name (lines 629, 1129, 3004)


def test_anonymise_replaces_a_name_cut_by_a_line_end(booklet):
    from corpus_tools.anonymise import anonymise_pieces

    codes = trainee_codes(booklet.people)
    code = codes["刘鸿齐"]
    assert anonymise_pieces(["山西医科大学第二医院信息处处长刘鸿", "齐："], codes) == ["山西医科大学第二医院信息处处长" + code, "："]
    assert anonymise_pieces(["刘", "鸿", "齐说"], codes) == [code, "", "说"]
    lines = booklet.lines
    assert lines[lines.line_no == 629].text.iloc[0].endswith("刘鸿")  # the damage, in the parsed table
    anon = anonymise_booklet(booklet)
    pieces = anon.lines[anon.lines.line_no.isin([629, 631]) & (anon.lines.role == "label")]
    assert pieces.text.tolist() == ["学员、第二期培训班学习委员、山西医科大学第二医院信息处处长" + code, "："]
    for name in PARSED_TABLE_NAMES:
        text = anon.table(name).astype(str).to_csv()
        assert "刘鸿" not in text, name
        assert not [n for n in codes if n in text], name
    assert len(anon.lines) == len(lines) and anon.lines.line_no.tolist() == lines.line_no.tolist()


PARSED_TABLE_NAMES = ("entries", "turns", "askers", "people", "hospitals", "lines", "warnings", "units", "sections")


def test_an_anonymised_run_writes_no_half_name_in_any_file(anonymised_run):
    out, names = anonymised_run  # entries 1–15 and 29: entry 10 is asked by 刘鸿齐 (lines 629/631)
    assert "刘鸿齐" in names
    lines = pd.read_csv(out / "data" / "processed" / "lines.csv", encoding="utf-8-sig")
    assert lines[lines.line_no == 631].text.iloc[0] == "："
    leaks = {}
    for p in out.rglob("*"):
        if not p.is_file() or p.suffix in (".png",):
            continue
        text = pd.read_parquet(p).to_csv() if p.suffix == ".parquet" else p.read_text(encoding="utf-8",
                                                                                       errors="replace")
        found = [n for n in names + ["刘鸿"] if n in text]
        if found:
            leaks[str(p.relative_to(out))] = found
    assert not leaks, leaks
    assert {"lines.csv", "lines.parquet"} <= {p.name for p in out.rglob("lines.*")}


# ---------------------------------------------------------------- every SVG and page well-formed (issue 24 §7)


def _embedded_svgs(html: str) -> list[str]:
    import re

    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> tuple[Path, Path, str]:
    """One run (PNG and SVG, every figure: --all-figures, progress on) of entries 1–10 carrying characters XML 1.0 forbids and characters no
    font has (emoji), each in the booklet's places that reach figures, networks and pages, followed by its entries
    1–5 twice more (a booklet with duplicated entries, too); shared by the tests below and by
    test_a_booklet_with_duplicated_entries_runs. Returns the booklet, the output folder and stderr."""
    d = tmp_path_factory.mktemp("hostile")
    lines = _first_entries(10)
    # XML: line 31: 学员、中山大学附属第一医院…张敦明 (entry 1's asker); line 100: 学员、大坪医院…刘沛 (entry 2's);
    # line 27: entry 1's title 医院信息科为什么要具备规划能力？★
    assert lines[30].startswith("学员、中山大学附属第一医院") and lines[99].startswith("学员、大坪医院")
    assert lines[26].strip() == "医院信息科为什么要具备规划能力？★"
    lines[30] = lines[30].replace("中山大学", "中山\ufffe大学")
    lines[99] = lines[99].replace("大坪医院", "大坪\x1b医\uffff院")
    lines[26] = lines[26].replace("为什么", "为\x01什\ufffe么")
    # line 26: the section heading 【信息规划】, printed in the overview figure of sections
    assert lines[25].strip() == "【信息规划】"
    lines[25] = lines[25].replace("信息规划", "信息\ufffe规划")
    # emoji: line 205: entry 3's asker, 台州恩泽医疗中心; line 300: entry 4's, 深圳市龙岗中心医院; line 37: 薛万国's
    # answer to entry 1; line 441: the section heading 【系统架构】 (entries 7–9), printed in the sections figure
    assert lines[204].strip().startswith("学员、台州恩泽医疗中心") and lines[299].strip().startswith("学员、深圳市龙岗")
    lines[204] = lines[204].replace("台州恩泽", "台州🏥恩泽")
    lines[299] = lines[299].replace("深圳市龙岗", "深圳市🚑龙岗")
    lines[36] = "👍数据" + lines[36]
    assert lines[440].strip() == "【系统架构】"
    lines[440] = lines[440].replace("系统架构", "系统🏥架构")
    src = _write(d / "hostile.txt", _with_entries_1_to_5_twice_more(lines))
    out = d / "out"
    rc, err = _run_cli_here(["run", str(src), "-o", str(out), "-k", "3", "--all-figures"])
    assert rc == 0, err
    return src, out, err


def test_characters_xml_forbids_never_reach_a_figure_or_a_page(hostile_run):
    src, out, _ = hostile_run
    hospitals = set(ct.read_booklet(src).askers.hospital)
    assert "中山\ufffe大学附属第一医院" in hospitals  # the parse keeps the booklet's characters
    svgs = sorted(out.rglob("*.svg"))
    assert "overview_entries_by_section.svg" in {p.name for p in svgs} and len(svgs) >= 10
    for p in svgs + sorted(out.rglob("*.gexf")) + sorted(out.rglob("*.graphml")):
        ET.parse(p)  # raises on a character XML 1.0 forbids
    assert "信息\ufffd规划" in (out / "figures" / "overview_entries_by_section.svg").read_text(encoding="utf-8")
    gexf = (out / "data" / "processed" / "networks" / "hospital_topic.gexf").read_text(encoding="utf-8")
    assert "中山\ufffd大学附属第一医院" in gexf  # hospitals appear in no figure now, but in the Gephi export
    pages = sorted(out.rglob("*.html"))
    assert {"report.html", "index.html"} <= {p.name for p in pages}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not any(c in html for c in "\x01\x1b\ufffe\uffff"), page
        for svg in _embedded_svgs(html):
            ET.fromstring(svg)
    assert len(_embedded_svgs((out / "report.html").read_text(encoding="utf-8"))) >= 5


def _figure_with(title: str, ticks: list[str], note: str):
    from corpus_tools.plots.style import new_figure, styled

    @styled  # as every figure function of corpus_tools.plots
    def draw():
        fig = new_figure()
        ax = fig.add_subplot()
        ax.set_title(title)
        ax.set_xticks(range(len(ticks)), ticks)
        ax.annotate(note, (0.5, 0.5))
        return fig

    return draw()


def test_figure_texts_pass_the_xml_rule():
    from corpus_tools.plots.style import figure_bytes

    fig = _figure_with("医院\ufffe名", ["a\x01", "b\uffff"], "注\x1b释")
    svg = figure_bytes(fig, "svg").decode("utf-8")
    ET.fromstring(svg)
    assert "医院\ufffd名" in svg and "注\ufffd释" in svg
    ax = fig.axes[0]
    assert ax.get_title() == "医院\ufffd名"  # the text itself: PNG and PDF show the same
    # tick labels, made again from their formatter whenever the figure is drawn
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\ufffd", "b\ufffd"]
    assert plain_label("大坪\x1b医\uffff院\ud800") == "大坪医\ufffd院\ufffd"  # the labels of every figure


# ---------------------------------------------------------------- parameter files with limits (issue 24 §8)

LONG = "长" * 140_000  # over the csv module's own field limit (131,072), which it reported without file or line
PARAMETER_CASES = {
    "curriculum field over the csv limit": ("--curriculum", "c.csv", f"cohort,unit_no,title\n1,1,{LONG}\n",
                                            r"c\.csv:2: 字段超过上限 1,000 个字符"),
    "curriculum field over 1,000": ("--curriculum", "c.csv", f"cohort,unit_no,title\n1,1,标题\n2,1,{'长' * 1001}\n",
                                    r"c\.csv:3: 字段长 1,001 个字符，超过上限 1,000"),
    "cohort of 20 digits": ("--curriculum", "c.csv", "cohort,unit_no,title\n12345678901234567890,1,标题\n",
                            r"c\.csv:2: 期别超出范围：123456789012…（20 位）（应为 1–1000）"),
    "unit number 5000": ("--curriculum", "c.csv", "cohort,unit_no,title\n1,5000,标题\n",
                         r"c\.csv:2: 单元号超出范围：5000（应为 1–1000）"),
    "synonyms field over the csv limit": ("--synonyms", "s.csv", f"concept,variant\n信息部门,信息科\n信息部门,{LONG}\n",
                                          r"s\.csv:3: 字段超过上限 1,000 个字符"),
    "3,000 nested parentheses": ("--codes", "k.yaml", "安全: " + "(" * 3000 + "等保" + ")" * 3000 + "\n",
                                 r"k\.yaml:1: 编码 安全 的表达式有误：括号或 NOT 嵌套超过 50 层"),
    "51 nested NOTs": ("--codes", "k.yaml", "网络: 等保\n安全: " + "NOT " * 51 + "等保\n",
                       r"k\.yaml:2: 编码 安全 的表达式有误：括号或 NOT 嵌套超过 50 层"),
    "3,000 NOTs": ("--codes", "k.yaml", "安全: " + "NOT " * 3000 + "等保\n",
                   r"k\.yaml:1: 编码 安全 的表达式有误：字段长 12,002 个字符，超过上限 10,000"),
    "3,000 nested YAML lists": ("--codes", "k.yaml", "安全: " + "[" * 3000 + "]" * 3000 + "\n",
                                r"k\.yaml:1: YAML 嵌套超过 50 层"),
    "code name over 1,000": ("--codes", "k.yaml", f"{'长' * 1001}: 等保\n", r"k\.yaml:1: 编码名字段长 1,001 个字符"),
}


@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_parameter_files_over_a_limit_are_refused_with_file_and_line(tmp_path, capsys, case):
    from corpus_tools.cli import main

    option, name, text, message = PARAMETER_CASES[case]
    param = tmp_path / name
    param.write_text(text, encoding="utf-8")
    src = _write(tmp_path / "first2.txt", _first_entries(2))
    t0 = time.perf_counter()
    rc = main(["run", str(src), "-o", str(tmp_path / "out"), "-q", option, str(param)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("corpus-tools: error: ") and "unexpected" not in err, err
    import re

    assert re.search(message, err), err
    assert time.perf_counter() - t0 < 20  # refused before the analysis


def test_nesting_up_to_the_limit_is_accepted():
    from corpus_tools.codes import parse_codebook, parse_expression

    assert parse_expression("(" * 50 + "等保" + ")" * 50).word == "等保"
    assert parse_expression("NOT " * 50 + "等保").op == "NOT"
    assert [c.name for c in parse_codebook("安全: " + "NOT (" * 25 + "等保" + ")" * 25 + "\n")] == ["安全"]


def test_codebook_and_synonyms_may_be_gb18030_like_the_curriculum(tmp_path):
    from corpus_tools.codes import load_codebook
    from corpus_tools.curriculum import read_curriculum
    from corpus_tools.text import load_synonyms

    (tmp_path / "k.yaml").write_bytes("网络安全: 等保 OR 网络安全\n".encode("gb18030"))
    (tmp_path / "s.csv").write_bytes("concept,variant\n信息部门,信息科\n".encode("gb18030"))
    (tmp_path / "c.csv").write_bytes("cohort,unit_no,title\n2,3,信息规划与系统设计方法\n".encode("gb18030"))
    assert [(c.name, c.expression) for c in load_codebook(tmp_path / "k.yaml")] == [("网络安全", "等保 OR 网络安全")]
    assert load_synonyms(tmp_path / "s.csv") == {"信息科": "信息部门", "信息部门": "信息部门"}
    assert read_curriculum(tmp_path / "c.csv").unit_title.tolist() == ["信息规划与系统设计方法"]


# ---------------------------------------------------------------- emoji: a box, not a warning per figure (issue 24 §10)


def test_characters_without_a_glyph_are_drawn_as_a_box_without_warnings():
    import matplotlib

    from corpus_tools.plots.style import FALLBACK_GLYPH, figure_bytes, style_rc

    fig = _figure_with("医院🏥名 log₂", ["数据👍", "ok"], "注🚑释")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = {fmt: figure_bytes(fig, fmt) for fmt in ("png", "svg", "pdf")}
    assert not [str(w.message) for w in caught if "Glyph" in str(w.message)]
    svg = files["svg"].decode("utf-8")
    # the CJK font and DejaVu Sans have 医, 院, ₂ but not 🏥 👍 🚑 (DejaVu Sans has some, e.g. 😀)
    assert f"医院{FALLBACK_GLYPH}名 log₂" in svg and f"数据{FALLBACK_GLYPH}" in svg and f"注{FALLBACK_GLYPH}释" in svg
    from corpus_tools.plots.style import printable

    # invisible format characters the fonts lack (the direction isolates U+2066, U+2069, the Arabic letter mark
    # U+061C) are dropped, not boxed
    with matplotlib.rc_context(style_rc()):
        assert printable("信息\u2066化\u2069") == printable("信息化\u061c") == "信息化"


def test_a_run_with_emoji_warns_about_no_glyph(hostile_run):
    _, out, err = hostile_run
    assert "Glyph" not in err, err
    assert "系统□架构" in (out / "figures" / "overview_entries_by_section.svg").read_text(encoding="utf-8")


def test_parse_report_says_a_source_note_is_missing(tmp_path):
    b = ct.read_booklet(_write(tmp_path / "no_notes.txt", _without_source_notes(_first_entries(5))))
    report = b.report()
    assert "第?期" not in report and "第次" not in report
    assert "来源说明缺失（期次、单元不明）" in report
    # its line named once: "第 93 行：新一条问答的标题开始了 …" (entry 2's title, line 96 of the booklet, is
    # line 93 once the three lines of entry 1's note, 92–94, are cut)
    assert "第 93 行：第 93 行" not in report and "第 93 行：新一条问答的标题开始了，但第 1 条问答没有来源说明" in report
    full = ct.read_booklet(BOOKLET).report()  # the bundled booklet's units read as before
    assert "第3期 第 2 单元“医院信息规划”" in full and "第3期 第1次答疑讨论课" in full


def test_anonymise_replaces_the_start_of_a_name_a_warning_excerpt_cuts(tmp_path):
    lines = _first_entries(10)
    # after entry 10's title (line 625) and its video line (627) a line that is neither title nor label: the parse
    # warns and quotes its first 30 characters — 28 characters, then 刘鸿齐 (entry 10's asker): "…刘鸿…"
    assert lines[626] == "请用微信扫码观看答疑视频"
    filler = "这一行是编辑插入的说明文字用来测试警告摘录的截断位置补充"
    assert len(filler) == 28
    lines.insert(627, filler + "刘鸿齐提问")
    b = ct.read_booklet(_write(tmp_path / "cut.txt", lines))
    message = b.warnings[b.warnings.code == "unassigned_line"].message.iloc[0]
    assert message.endswith(filler + "刘鸿…")
    code = trainee_codes(b.people)["刘鸿齐"]
    anon = anonymise_booklet(b)
    assert anon.warnings[anon.warnings.code == "unassigned_line"].message.iloc[0].endswith(filler + code + "…")
    assert "刘鸿" not in anon.warnings.astype(str).to_csv() and "刘鸿" not in anon.lines.astype(str).to_csv()
