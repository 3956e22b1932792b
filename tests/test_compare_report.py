"""compare on a later booklet a user would make from this one: cohorts renumbered, a section renamed, a section's
entries dropped, an entry repeated under a new title. Every expected status follows from those edits (and the
hand annotation of the booklet), and comparison.html passes the same browser checks as the report."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from browser import assert_clean, open_page, screenshot
from conftest import ANNOTATION, BOOKLET
from corpus_tools.compare import (changes_figure, compare_booklets, group_diff, terms_diff, terms_figure,
                                  topics_diff)

ANN = [json.loads(x) for x in ANNOTATION.read_text(encoding="utf-8").splitlines() if x.strip()]
DROPPED = [i for i, e in enumerate(ANN, 1) if e["section"] == "网络安全"]  # entries 52–55, lines 3198–3419
MOVED = [i for i, e in enumerate(ANN, 1) if e["cohort"] == 3 and e["unit_no"] == 1]  # 第三期 第 1 单元
REPEAT_TITLE = "医院信息科为什么需要规划能力？（续）"


def later_booklet(path):
    """The bundled booklet edited as a later session's would be:
    - the source notes of 第三期 第 1 单元 (lines 198, 2685, 3697, 4010, 4061) say 第四期;
    - 【系统集成】 (line 1282) is renamed 【系统集成与互联互通】;
    - 【网络安全】 and its 4 entries (lines 3198–3419) are dropped;
    - entry 1 (lines 27–94) appears again, right after itself, under a new title."""
    lines = BOOKLET.read_text(encoding="utf-8").split("\n")
    assert lines[3197] == " 【网络安全】" and lines[3419] == " 【IT 运维】" and lines[1281] == " 【系统集成】"
    del lines[3197:3419]
    lines[1281] = " 【系统集成与互联互通】"
    repeat = lines[26:94]
    assert repeat[0] == " 医院信息科为什么要具备规划能力？★"
    lines[94:94] = [f" {REPEAT_TITLE}★"] + repeat[1:] + [""]
    text = "\n".join(lines)
    assert text.count("第三期培训班第 1 单元") == len(MOVED) == 5
    path.write_text(text.replace("第三期培训班第 1 单元", "第四期培训班第 1 单元"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, run_result, later_booklet_path, cache_dir):
    """The bundled booklet against a later one; the old booklet's stages come from the session run's cache, the
    new one's from the session's analysis of it (conftest's ``later_booklet_path``, shared with the notebooks)."""
    from corpus_tools.resultcache import DiskCache

    d = tmp_path_factory.mktemp("compare")
    return compare_booklets(BOOKLET, later_booklet_path, d / "out", k=7, cache=DiskCache(cache_dir))


def _rows(df: pd.DataFrame, **where) -> pd.DataFrame:
    m = pd.Series(True, index=df.index)
    for k, v in where.items():
        m &= df[k] == v
    return df[m]


def test_cohorts(comparison):
    c = comparison.tables["cohorts_diff"].set_index(["old_name", "new_name"])
    n3 = sum(e["cohort"] == 3 for e in ANN)
    assert c.loc[("第3期", "第3期")].status == "kept"
    assert c.loc[("第3期", "第3期")].n_new == n3 - len(MOVED) + 1  # entry 1 (第三期) repeated
    assert c.loc[("", "第4期")].status == "new" and c.loc[("", "第4期")].n_new == len(MOVED)
    for k in (1, 2):
        n = sum(e["cohort"] == k for e in ANN)
        dropped = sum(ANN[i - 1]["cohort"] == k for i in DROPPED)
        assert tuple(c.loc[(f"第{k}期", f"第{k}期")][["status", "n_old", "n_new"]]) == ("kept", n, n - dropped)


def test_sections(comparison):
    s = comparison.tables["sections_diff"]
    renamed = _rows(s, status="renamed")
    assert list(zip(renamed.old_name, renamed.new_name)) == [("系统集成", "系统集成与互联互通")]
    assert tuple(renamed[["n_old", "n_new"]].iloc[0]) == (12, 12)
    assert list(_rows(s, status="gone").old_name) == ["网络安全"]
    assert len(_rows(s, status="kept")) == 7 and not len(_rows(s, status="new"))


def _unit(e: dict) -> str:
    if e["session_type"] == "discussion":
        return f"第{e['cohort']}期·答疑讨论课"
    return f"第{e['cohort']}期·第{e['unit_no']}单元 {e['unit_title']}"


def test_units(comparison):
    u = comparison.tables["units_diff"]
    r = _rows(u, status="renamed")
    assert list(zip(r.old_name, r.new_name)) == [("第3期·第1单元 信息中心组织与管理", "第4期·第1单元 信息中心组织与管理")]
    assert r.n_new.iloc[0] == len(MOVED)
    # units whose every entry was in 【网络安全】 are gone; no unit is new
    units = {}
    for i, e in enumerate(ANN, 1):
        units.setdefault(_unit(e), set()).add(i)
    gone = {k for k, ids in units.items() if ids <= set(DROPPED)}
    assert {re.sub(r"（第\d+次）", "", x) for x in _rows(u, status="gone").old_name} == gone
    assert not len(_rows(u, status="new"))
    assert len(_rows(u, status="kept")) == len(units) - len(gone) - 1


def test_entries(comparison):
    e = comparison.tables["entries_diff"]
    assert sorted(_rows(e, status="gone").old_entry) == DROPPED
    assert set(_rows(e, status="gone").old_title) == {ANN[i - 1]["title"] for i in DROPPED}
    new = _rows(e, status="new")
    assert list(new.new_title) == [REPEAT_TITLE] and list(new.note) == ["提问与旧版第 1 条相同"]
    assert len(_rows(e, status="kept")) == 68 - len(DROPPED) and not len(_rows(e, status="renamed"))


def test_people_and_hospitals(comparison):
    p = comparison.tables["people_diff"]
    key = lambda name, role: p[((p.old_name == name) | (p.new_name == name)) & (p.role == role)].status.item()  # noqa
    # 张洪彪 and 韩虎 ask only in 【网络安全】, 傅昊阳 answers only there (lines 3370, 3407)
    assert key("张洪彪", "trainee") == "gone" and key("韩虎", "trainee") == "gone"
    assert key("傅昊阳", "instructor") == "gone" and key("薛万国", "instructor") == "kept"
    assert not len(_rows(p, status="new"))
    h = comparison.tables["hospitals_diff"]
    status = dict(zip(h.old_name.where(h.old_name != "", h.new_name), h.status))
    assert status["白城中心医院"] == "gone" and status["武汉市东西湖区人民医院"] == "gone"
    assert status["郑州市中心医院"] == "kept"


def test_topics_and_terms_are_accounted_for(comparison):
    t = comparison.tables["topics_diff"]
    k = len(comparison.old.tables["topics"])  # every topic of either booklet appears once
    assert sorted(t.old_topic.dropna()) == list(range(k)) and sorted(t.new_topic.dropna()) == list(range(k))
    assert set(t.status) <= {"kept", "renamed", "new", "gone"}
    assert (t[t.status == "renamed"].old_name != t[t.status == "renamed"].new_name).all()
    terms = comparison.tables["terms_diff"]
    assert set(terms.status) <= {"new", "gone", "rising", "falling"}
    assert (terms[terms.status == "gone"].docs_new == 0).all()


def test_summary_and_outputs(comparison):
    text = comparison.summary()
    assert "更名：系统集成 → 系统集成与互联互通" in text and "新增：第4期" in text
    assert "comparison.html" in text
    out = comparison.outdir
    for name in ("cohorts_diff", "sections_diff", "units_diff", "people_diff", "hospitals_diff", "topics_diff",
                 "terms_diff", "entries_diff"):
        assert (out / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    svg = (out / "compare_changes.svg").read_text(encoding="utf-8")
    assert "<text" in svg and "<path" in svg
    # the key-terms chart is drawn exactly when some term changed; otherwise the page says so in a sentence
    html = (out / "comparison.html").read_text(encoding="utf-8")
    changed = len(comparison.tables["terms_diff"]) > 0
    assert (out / "compare_key_terms.svg").exists() == changed
    assert ('id="fig-compare_key_terms"' in html) == changed and ("关键词的变化没有画图" in html) == (not changed)
    # each figure's caption names the file beside the page (compare writes no figures/ folder)
    assert "文件：compare_changes.svg" in html and "figures/" not in html


def test_comparison_page_in_a_browser(browser, comparison):
    path = comparison.outdir / "comparison.html"
    html = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    p = open_page(browser, path)
    heads = p.eval_on_selector_all("th", "els => els.map(e => e.textContent.trim())")
    assert heads and all(re.search(r"[\u4e00-\u9fff]", h) for h in heads), heads
    statuses = p.eval_on_selector_all("#table-sections_diff tbody tr",
                                      "rs => rs.map(r => r.cells[0].textContent.trim())")
    assert sorted(statuses) == sorted(["更名", "消失"] + ["保留"] * 7)
    # sort by the number of entries in the new booklet
    p.click("#table-cohorts_diff th[data-column=n_new]")
    n_new = p.eval_on_selector_all("#table-cohorts_diff tbody tr", "rs => rs.map(r => +r.cells[4].textContent)")
    assert n_new == sorted(n_new)
    p.click("#table-cohorts_diff th[data-column=new_name]")
    names = p.eval_on_selector_all("#table-cohorts_diff tbody tr", "rs => rs.map(r => r.cells[2].textContent)")
    assert names == ["第1期", "第2期", "第3期", "第4期"]
    # a table's own search box filters that table
    p.fill("input[data-table=table-entries_diff]", "（续）")
    shown = p.eval_on_selector_all("#table-entries_diff tbody tr:not([hidden])", "rs => rs.length")
    assert shown == 1
    # the overview chart (8 bars) fits in about half a screen at desktop width
    box = p.eval_on_selector("#fig-compare_changes svg", "e => e.getBoundingClientRect().height")
    assert box <= 560, box
    screenshot(p, "comparison_top.png")
    assert_clean(p)
    p.context.close()
    m = open_page(browser, path, width=390, height=844)
    assert m.evaluate("document.scrollingElement.scrollWidth") <= 390
    screenshot(m, "comparison_phone.png")
    assert_clean(m)
    m.context.close()


def _terms_changed() -> pd.DataFrame:
    """Two rising and one gone term, as terms_diff writes them."""
    return pd.DataFrame({"status": ["new", "rising", "gone"], "term": ["数据湖", "互联互通", "等保"],
                         "log_ratio": [3.0, 1.2, -2.5]})


def test_the_key_terms_chart_is_drawn_or_left_out_with_a_sentence(comparison):
    """The page never shows an empty chart: with changed terms it draws one bar per term; without, no figure and a
    sentence saying why. (The pages are rendered without their embedded font: what is checked is the HTML.)"""
    import dataclasses

    from corpus_tools.compare import NO_TERMS, comparison_report

    empty = dataclasses.replace(comparison, tables={**comparison.tables, "terms_diff": _terms_changed().iloc[:0]})
    html = comparison_report(empty).render(embed_font=False)
    assert 'id="fig-compare_key_terms"' not in html and NO_TERMS in html
    drawn = dataclasses.replace(comparison, tables={**comparison.tables, "terms_diff": _terms_changed()})
    html = comparison_report(drawn).render(embed_font=False)
    assert 'id="fig-compare_key_terms"' in html and NO_TERMS not in html
    fig = terms_figure(_terms_changed())
    assert len(fig.axes[0].patches) == 3
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["等保（消失）", "互联互通（增多）", "数据湖（新增）"]


def test_figure_heights_suit_the_number_of_bars():
    """Eight kinds of things make eight bars: the overview is wider than high (it was 5 in high for 6.9 in wide,
    about 900 px on a 1280 px page); three terms make a short chart, not a page."""
    from corpus_tools.compare import DIFF_TABLES

    eight = {n: pd.DataFrame({"status": ["new", "kept"]}) for n in DIFF_TABLES}
    assert len(eight) == 8
    w, h = changes_figure(eight).get_size_inches()
    assert len(changes_figure(eight).axes[0].patches) == 8 and h <= 0.45 * w
    w, h = terms_figure(_terms_changed()).get_size_inches()
    assert h <= 0.4 * w


def test_figures_are_never_empty():
    same = {n: pd.DataFrame({"status": ["kept", "kept"]}) for n in ("cohorts_diff", "sections_diff")}
    fig = changes_figure(same)
    assert any("没有变化" in t.get_text() for ax in fig.axes for t in ax.texts)
    fig = terms_figure(pd.DataFrame(columns=["status", "term", "log_ratio"]))
    assert any("没有" in t.get_text() for ax in fig.axes for t in ax.texts)
    fig = changes_figure({"sections_diff": pd.DataFrame({"status": ["kept", "renamed", "gone"]})})
    assert len(fig.axes[0].patches) == 2  # one bar piece for 更名, one for 消失


def test_group_and_topic_matching_rules():
    pairs = pd.DataFrame({"old_entry": [1, 2, 3, 4], "new_entry": [1, 2, 3, 4]})
    old = pd.Series(["A", "A", "B", "C"], index=[1, 2, 3, 4])
    new = pd.Series(["A2", "A2", "B", "D"], index=[1, 2, 3, 4])
    d = group_diff(old, new, pairs, ["A", "B", "C"], ["A2", "B", "D"])
    got = {(r.status, r.old_name, r.new_name) for r in d.itertuples()}
    assert got == {("renamed", "A", "A2"), ("kept", "B", "B"), ("renamed", "C", "D")}
    t_old = pd.DataFrame({"topic_id": [0, 1], "label": ["甲·乙", "丙"], "size": [3, 2], "top_terms": ["甲、乙、丁", "丙、戊"]})
    t_new = pd.DataFrame({"topic_id": [0, 1], "label": ["甲·乙", "己"], "size": [3, 2], "top_terms": ["甲、乙、庚", "己、辛"]})
    m = topics_diff(t_old, t_new)
    assert {(r.status, r.old_name, r.new_name) for r in m.itertuples()} == {
        ("kept", "甲·乙", "甲·乙"), ("gone", "丙", ""), ("new", "", "己")}


def test_terms_new_and_gone():
    def tokens(entries_terms):
        rows = [dict(entry_id=i, turn_no=1, token_no=k, token=t, pos="n", concept=t, is_content=True, is_name=False)
                for i, ts in entries_terms.items() for k, t in enumerate(ts)]
        return pd.DataFrame(rows)
    old = {i: ["系统", "等保"] if i <= 3 else ["系统", "平台"] for i in range(1, 11)}
    new = {i: ["系统", "数据湖"] if i <= 4 else ["系统", "平台"] for i in range(1, 11)}
    d = terms_diff(tokens(old), pd.DataFrame({"entry_id": list(old)}), tokens(new),
                   pd.DataFrame({"entry_id": list(new)}))
    st = dict(zip(d.term, d.status))
    assert st["等保"] == "gone" and st["数据湖"] == "new" and "系统" not in st and "平台" not in st


def test_a_cut_list_in_the_summary_says_how_many_there_are(comparison, monkeypatch):
    import corpus_tools.compare as compare

    monkeypatch.setattr(compare, "SUMMARY_ITEMS", 1)
    text = comparison.summary()
    listed = [compare._names(comparison.tables[name], status) for name in compare.DIFF_TABLES
              if name not in ("entries_diff", "terms_diff", "people_diff", "hospitals_diff")
              for status in ("new", "gone", "renamed")]
    long = [names for names in listed if len(names) > 1]
    assert long  # the later booklet gains and loses more than one of something
    for names in long:
        assert f"{names[0]}……等 {len(names)} 项" in text and names[1] not in text.split(names[0], 1)[1].split("\n")[0]
