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
    assert "68 entries in 9 sections" in r.stdout
    for name in ("entries", "turns", "askers", "people", "units", "hospitals", "lines", "warnings"):
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # BOM: Excel opens UTF-8
        assert (out / f"{name}.parquet").exists()
    assert (out / "parse_report.txt").read_text(encoding="utf-8").startswith("Parse report")
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
