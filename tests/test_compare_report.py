"""Another session: compare two booklets; the HTML report: self-contained, escaped, renders in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import corpus_tools as ct
from corpus_tools.compare import compare_booklets, match_topics
from conftest import BOOKLET

ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _new_session(tmp_path) -> Path:
    """The bundled booklet as a later session: 【网络安全】 (lines 3198–3419, 4 entries) dropped, unit 11 renamed."""
    lines = BOOKLET.read_text(encoding="utf-8").split("\n")
    kept = lines[:3197] + lines[3419:]
    text = "\n".join(kept).replace("“医学信息标准”", "“医疗数据标准与互操作”")
    path = tmp_path / "new_session.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_match_topics_by_terms():
    m = match_topics([["a", "b", "c"], ["x", "y"]], [["a", "b", "d"], ["p", "q"]], ["A", "X"], ["A2", "P"])
    kept = m[m.status == "kept"].iloc[0]
    assert (kept.old_label, kept.new_label, kept.shared_terms) == ("A", "A2", "a、b")
    assert set(m[m.status == "new"].new_label) == {"P"} and set(m[m.status == "vanished"].old_label) == {"X"}


def test_compare_two_sessions(tmp_path):
    new = _new_session(tmp_path)
    c = compare_booklets(BOOKLET, new, tmp_path / "cmp")
    units = c.tables["units_diff"].set_index("unit_title").status
    assert units["医疗数据标准与互操作"] == "gained" and units["医学信息标准"] == "lost"
    assert units["系统安全与可靠性管理"] == "kept"  # unit 7 also drew 数字化手术室 (line 1053), outside 网络安全
    hosp = c.tables["hospitals_diff"].set_index("hospital").status
    # trainees only seen in 【网络安全】: 张洪彪 (白城中心医院) and 韩虎 (武汉市东西湖区人民医院)
    assert hosp["白城中心医院"] == "gone" and hosp["武汉市东西湖区人民医院"] == "gone"
    assert hosp["郑州市中心医院"] == "returning"
    people = c.tables["people_diff"].set_index(["name", "role"]).status
    assert people[("傅昊阳", "instructor")] == "gone" and people[("薛万国", "instructor")] == "returning"
    assert people[("张洪彪", "trainee")] == "gone"
    html = (tmp_path / "cmp" / "comparison.html").read_text(encoding="utf-8")
    assert "医疗数据标准与互操作" in html and "<svg" in html
    assert (tmp_path / "cmp" / "topic_matches.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Comparison" in c.summary()


def test_notebooks_run_on_another_booklet(tmp_path):
    new = _new_session(tmp_path)
    r = subprocess.run([sys.executable, "-m", "corpus_tools.cli", "notebooks", "--booklet", str(new), "-o",
                        str(tmp_path / "nb"), "-k", "6"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    import nbformat

    nb = nbformat.read(tmp_path / "nb" / "01_parse.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "new_session.txt" in text and "64 entries in 8 sections" in text
    assert len(list((tmp_path / "nb").glob("*.ipynb"))) == 5
