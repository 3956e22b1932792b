"""The command line: outputs, Excel-friendly CSV, clear errors with a non-zero exit and no traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

import corpus_tools as ct
from conftest import BOOKLET


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "corpus_tools.cli", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_parse_writes_tables_and_report(tmp_path):
    out = tmp_path / "parsed"
    r = _cli("parse", str(BOOKLET), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "68 条问答，分属 9 个栏目" in r.stdout  # 【信息规划】 … 【科室管理】 (lines 26–3645)
    for name in ("entries", "turns", "askers", "people", "units", "hospitals", "lines", "warnings"):
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # BOM: Excel opens UTF-8
        assert len(pd.read_parquet(out / f"{name}.parquet")) == len(pd.read_csv(out / f"{name}.csv",
                                                                                encoding="utf-8-sig")), name
    assert (out / "parse_report.txt").read_text(encoding="utf-8").startswith("解析报告")
    entries = pd.read_csv(out / "entries.csv", encoding="utf-8-sig")
    assert entries.title.iloc[0] == "医院信息科为什么要具备规划能力？"
    reloaded = ct.Booklet.load(out)
    original = ct.read_booklet(BOOKLET)
    for name in ("entries", "turns", "askers", "people", "units"):
        pd.testing.assert_frame_equal(reloaded.table(name), original.table(name))


def test_bad_input_gives_one_clear_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    r = _cli("parse", str(empty), "-o", str(tmp_path / "o"))
    assert r.returncode == 2
    assert r.stderr.strip() == f"corpus-tools: error: {empty}: the file is empty"
    assert "Traceback" not in r.stderr
    r = _cli("parse", str(tmp_path / "missing.txt"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- every bad option: one line, exit 2

import os  # noqa: E402
import warnings  # noqa: E402

import pytest  # noqa: E402

from corpus_tools import cli  # noqa: E402


def _main(capsys, *args):
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("args,expected", [
    (["run", "-k", "0"], "-k/--topics: 0 is too small: must be ≥ 2"),
    (["run", "-k", "1"], "must be ≥ 2"),
    (["run", "-k", "100"], "has only 68 entries; choose 2 ≤ k ≤ 68"),
    (["topics", "-k", "abc"], "'abc' is not a number of topics"),
    (["run", "--seed", "-1"], "--seed: -1 is too small: must be ≥ 0"),
    (["run", "--seed", str(2**40)], "too large"),
    (["kwic", "  "], "the term is blank"),
    (["kwic", "数据", "-w", "-5"], "-w/--window: -5 is too small: must be ≥ 1"),
    (["kwic", "数据", "-w", "0"], "must be ≥ 1"),
    (["run", "--dpi", "10"], "--dpi: 10 is too small"),
    (["run", "--figure-size", "huge"], "invalid choice: 'huge'"),
    (["run", "--max-size", "0"], "must be a positive number of megabytes"),
    (["run", "--max-size", "nan"], "must be a positive number of megabytes"),
    (["run", "--curriculum", "/no/such/curriculum.csv"], "/no/such/curriculum.csv: no such file"),
    (["run", "--formats", "gif"], "invalid choice: 'gif'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["parse"], "the following arguments are required: input"),
    (["notebooks", "-k", "99"], "has only 68 entries"),
    (["parse", "/dev/zero"], "/dev/zero: is a device, not a booklet text file"),
])
def test_every_bad_option_gives_one_line_and_exit_2(capsys, args, expected):
    rc, out, err = _main(capsys, *args)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("corpus-tools") and ": error: " in err and expected in err
    assert "Traceback" not in err


def test_odd_inputs_give_one_line(capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args, expected in ((["notebooks", "--booklet", empty], "empty.txt: the file is empty"),
                           (["run", fifo, "-o", tmp_path / "o"], "pipe: is a named pipe (FIFO)"),
                           (["kwic", "数据湖", "--booklet", tmp_path], "is a directory"),
                           (["parse", BOOKLET, "--max-size", "0.1"], "larger than the input size limit of 0.1 MB")):
        rc, out, err = _main(capsys, *args)
        assert rc == 2 and len(err.strip().splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "o").exists()
    assert not list(tmp_path.glob("*.ipynb"))


def test_an_output_error_names_the_file(capsys, tmp_path):
    """An output folder given where a file is (or inside one) says so and what to give instead, in one line; before,
    "File exists" or "Not a directory"."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out, err = _main(capsys, "parse", BOOKLET, "-o", blocker / "out")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert f"{blocker / 'out'}: is inside {blocker}, which is a file, not a folder: give a folder" in err
    assert "Traceback" not in err
    rc, out, err = _main(capsys, "run", BOOKLET, "-o", blocker, "-k", "7")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert f"{blocker}: is a file, not a folder: give a folder for the outputs" in err, err
    assert blocker.read_text() == "x"


def test_unexpected_errors_are_one_line_with_a_debug_hint(capsys, monkeypatch):
    def boom(args):
        raise KeyError("内部\n错误")

    monkeypatch.setattr(cli, "_cmd_parse", boom)
    rc, out, err = _main(capsys, "parse", BOOKLET)
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("corpus-tools: error: unexpected KeyError: ") and "--debug" in err
    rc, out, err = _main(capsys, "parse", BOOKLET, "--debug")
    assert rc == 2 and "Traceback" in err and "KeyError" in err

    def oom(args):
        raise MemoryError()

    monkeypatch.setattr(cli, "_cmd_parse", oom)
    rc, out, err = _main(capsys, "parse", BOOKLET)
    assert rc == 2 and err.count("\n") == 1 and "out of memory" in err


def test_warnings_are_one_line(capsys, monkeypatch):
    def warn(args):
        warnings.warn("缓存目录不可写\n改为不用缓存", RuntimeWarning)
        return 0

    monkeypatch.setattr(cli, "_cmd_parse", warn)
    rc, out, err = _main(capsys, "parse", BOOKLET)
    assert rc == 0 and err == "corpus-tools: warning: 缓存目录不可写 改为不用缓存\n"


def test_every_option_is_documented_with_its_default():
    import argparse

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) >= {"parse", "kwic", "run", "topics", "network", "trends", "coverage", "report",
                                "notebooks", "compare"}
    for name, p in sub.choices.items():
        assert p.description, name
        for action in p._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            assert action.help and "default" in action.help, (name, action.option_strings)
            rendered = p.format_help()
            assert "%(default)s" not in rendered
    for option in ("--curriculum", "--codes", "--fresh", "--dpi", "--figure-size", "--max-size", "--pdf",
                   "--debug"):
        assert option in sub.choices["run"].format_help()
    assert "(default: 150)" in " ".join(sub.choices["run"].format_help().split())


def test_kwic_help_explains_the_output():
    import argparse

    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = sub.choices["kwic"].format_help()
    assert "[entry·turn] speaker" in text and "…left【term】right…" in text and "Exit status" in text


def test_kwic_count_line_says_entry_for_one_entry(capsys):
    """等保 is said 9 times, all in entry 52's turns (l.3207, 3209, 3217 ×2, 3221 ×2, 3223, 3231, 3233; its title on
    l.3199 is not a turn): "in 1 entry", not "in 1 entries"; 集成平台 is in more than one."""
    rc, out, err = _main(capsys, "kwic", "等保")
    assert rc == 0, err
    assert out.strip().splitlines()[-1] == "9 occurrences of “等保” in 1 entry: 52"
    rc, out, err = _main(capsys, "kwic", "集成平台")
    assert rc == 0 and " entries: " in out.strip().splitlines()[-1]


def test_kwic_csv_writes_exactly_the_path_given_and_never_overwrites_silently(capsys, tmp_path):
    target = tmp_path / "hits.txt"
    rc, out, err = _main(capsys, "kwic", "数据湖", "--csv", target)
    assert rc == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.txt"]
    assert out.strip().endswith(f"written to {target}")
    hits = pd.read_csv(target, encoding="utf-8-sig")
    assert (hits.term == "数据湖").all() and len(hits) == out.count("【数据湖】")
    before = target.read_bytes()
    rc, out, err = _main(capsys, "kwic", "等保", "--csv", target)
    assert rc == 2 and "hits.txt: the file exists; add --force" in err and err.count("\n") == 1
    assert target.read_bytes() == before
    rc, out, err = _main(capsys, "kwic", "等保", "--csv", target, "--force")
    assert rc == 0 and pd.read_csv(target, encoding="utf-8-sig").term.eq("等保").all()
    rc, out, err = _main(capsys, "kwic", "量子纠缠引擎")
    assert rc == 1 and "0 occurrences" in out


def test_run_options_reach_the_parameters():
    args = cli.build_parser().parse_args(["run", "-k", "5", "--seed", "7", "--dpi", "300", "--figure-size",
                                          "single", "--anonymise", "--max-size", "50", "--fresh", "--all-figures"])
    params = cli.make_params(args)
    assert params.k == 5 and params.seed == 7 and params.anonymise is True and params.all_figures is True
    assert cli.make_params(cli.build_parser().parse_args(["run"])).all_figures is False
    for name, value in (("dpi", 300), ("figure_size", "single"), ("max_size", 50.0), ("fresh", True)):
        if hasattr(params, name):
            assert getattr(params, name) == value


def test_option_defaults_are_the_parameters_defaults(monkeypatch):
    """The CLI copies no default: with no option, run and compare give ``Params()``; a changed default follows."""
    from corpus_tools.study import Params

    assert cli.make_params(cli.build_parser().parse_args(["run"])) == Params()
    compare = cli.build_parser().parse_args(["compare", "a.txt", "b.txt"])
    assert (compare.seed, tuple(compare.formats), compare.k) == (Params().seed, Params().formats, Params().k)
    parse = cli.build_parser().parse_args(["parse", "a.txt"])
    assert tuple(parse.formats) == Params().table_formats
    monkeypatch.setattr(cli, "DEFAULTS", Params(seed=11, dpi=300, formats=("pdf",), jobs=1))
    args = cli.build_parser().parse_args(["run"])
    assert (args.seed, args.dpi, tuple(args.formats), args.jobs) == (11, 300, ("pdf",), 1)


def test_a_failed_parse_leaves_the_previous_tables_as_they_were(capsys, tmp_path, monkeypatch):
    from pathlib import Path

    import corpus_tools.store as store_module  # the one writer (save.write_booklet) writes through store

    out = tmp_path / "parsed"
    assert _main(capsys, "parse", BOOKLET, "-o", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = store_module.write_table

    def full_disk_at_lines(df, outdir, name, formats=("csv", "parquet")):
        if name == "lines":
            raise OSError(28, "No space left on device", str(Path(outdir) / "lines.csv"))
        return real(df, outdir, name, formats)

    monkeypatch.setattr(store_module, "write_table", full_disk_at_lines)
    small = tmp_path / "small.txt"
    small.write_text("\n".join(BOOKLET.read_text(encoding="utf-8").splitlines()[:400]) + "\n", encoding="utf-8")
    rc, out_text, err = _main(capsys, "parse", small, "-o", out)
    assert rc == 2 and "lines.csv: No space left on device" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parsed", "small.txt"]


def test_an_unwritable_home_gives_one_warning_line(tmp_path):
    import os
    import subprocess
    import sys

    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    env = dict(os.environ, HOME=str(blocker / "me"), XDG_CACHE_HOME="", XDG_CONFIG_HOME="")
    env.pop("MPLCONFIGDIR", None)
    env.pop("CORPUS_TOOLS_CACHE", None)
    code = ("import sys, warnings; from corpus_tools import cli; from corpus_tools.text import ChineseTokenizer;"
            "cli._cmd_run = lambda a: (ChineseTokenizer().segment('医院信息化'), 0)[1];"
            "sys.exit(cli.main(['topics', '-q']))")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines and all(ln.startswith("corpus-tools: warning: ") for ln in lines), r.stderr
    assert any("matplotlib" in ln for ln in lines) and any("running without the cache" in ln for ln in lines)


def test_a_second_run_into_a_busy_folder_is_one_line_naming_the_first(capsys, tmp_path):
    import json
    import socket
    import subprocess
    import sys

    out = tmp_path / "parsed"
    out.mkdir()
    first = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".corpus-tools.lock").write_text(json.dumps({
            "pid": first.pid, "host": socket.gethostname(), "started": "2026-11-25T21:00:00+00:00",
            "command": "corpus-tools parse first.txt"}), encoding="utf-8")
        rc, _, err = _main(capsys, "parse", BOOKLET, "-o", out)
        assert rc == 2 and err.count("\n") == 1
        assert f"run {first.pid} on" in err and "started 2026-11-25T21:00:00+00:00" in err
        assert "corpus-tools parse first.txt" in err
        assert sorted(p.name for p in out.iterdir()) == [".corpus-tools.lock"]
    finally:
        first.kill()
        first.wait()


def test_sigterm_discards_the_staged_run_and_releases_the_lock(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    code = f"""
import sys, time
from corpus_tools import cli
from corpus_tools.store import StagedOutput

def slow(args):
    with StagedOutput({str(out)!r}) as stage:
        (stage / "half.csv").write_text("x")
        print("writing", flush=True)
        time.sleep(60)
    return 0

cli._cmd_parse = slow
sys.exit(cli.main(["parse", "whatever.txt"]))
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    t0 = time.time()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and time.time() - t0 < 10
    assert err == "corpus-tools: error: interrupted; unfinished outputs were discarded\n"
    assert out.is_dir() and list(out.iterdir()) == []  # no half.csv, no staging folder, no lock


def test_the_command_exits_with_mains_code_and_leaves_the_exit_collections_out(monkeypatch):
    """`corpus-tools` (pyproject's entry point, and `python -m corpus_tools.cli`) is cli.entry: main's exit code,
    after moving the objects left out of the garbage collector's sight (gc.freeze: the collections at exit would
    walk the whole study)."""
    import gc
    import tomllib

    from conftest import ROOT

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["corpus-tools"] == "corpus_tools.cli:entry"
    monkeypatch.setattr(cli, "main", lambda: 3)
    try:
        with pytest.raises(SystemExit) as exited:
            cli.entry()
        assert exited.value.code == 3 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
