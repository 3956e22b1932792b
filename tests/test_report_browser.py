"""The review report in a real browser (headless Debian Chromium through Playwright): it loads without errors,
search, sort, filters, opening an entry, a finding's link to its entries, a phone-width layout, readable cells,
the embedded font, and the PDF. Expected values come from the booklet and its hand annotation."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from browser import ARTEFACTS, assert_clean, open_page, screenshot
from conftest import ANNOTATION, BOOKLET
from corpus_tools.report import Report, build_review, report_pdf, table_block, table_view

CJK = re.compile(r"[\u3400-\u9fff]")


def _annotation() -> list[dict]:
    return [json.loads(x) for x in ANNOTATION.read_text(encoding="utf-8").splitlines() if x.strip()]


def _entry_texts() -> dict[int, str]:
    """Each entry's text in the booklet, from its title line to the end of its source note (hand annotation),
    wrapped lines joined."""
    lines = BOOKLET.read_text(encoding="utf-8").split("\n")
    return {i: "".join(x.strip() for x in lines[e["title_line"] - 1:e["note_end_line"]])
            for i, e in enumerate(_annotation(), start=1)}


@pytest.fixture(scope="module")
def report_file(study, tmp_path_factory):
    """The report of the shared session study (conftest: the bundled booklet, k given)."""
    assert len(study.tables["findings"])
    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(build_review(study).render(), encoding="utf-8")
    return out


@pytest.fixture()
def page(browser, report_file):
    p = open_page(browser, report_file)
    yield p
    assert_clean(p)
    p.context.close()


def visible_ids(page) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all("#entries-table tbody.entry:not([hidden])",
                                                      "els => els.map(e => e.dataset.id)")]


def column_texts(page, col: int) -> list[str]:
    return page.eval_on_selector_all(
        "#entries-table tbody.entry:not([hidden]) > tr.row",
        f"rows => rows.map(r => r.cells[{col}].textContent.trim())")


def test_page_loads_without_errors_and_needs_no_network(page, report_file):
    html = report_file.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert page.inner_text("#entry-count") == "68"
    assert len(visible_ids(page)) == 68
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), "duplicate element ids"
    screenshot(page, "report_top.png")
    page.locator("#coverage").scroll_into_view_if_needed()
    screenshot(page, "report_coverage.png")


def test_search_keeps_only_matching_entries(page, study):
    # the search covers each entry's text (title, question, answers, source note) and the row's columns;
    # 数据湖 is in the text of entries 48, 50, 51 and in no section, unit, person or hospital name
    term = "数据湖"
    by_text = {i for i, t in _entry_texts().items() if term in t}
    assert by_text == {48, 50, 51}
    et, topics = study.tables["entry_topics"], study.tables["topics"]
    labelled = set(topics.topic_id[topics.label.str.contains(term)])
    by_topic = set(et[(et["rank"] == 1) & et.topic_id.isin(labelled)].entry_id)
    page.fill("#entry-search", term)
    shown = visible_ids(page)
    assert set(shown) == by_text | by_topic
    assert page.inner_text("#entry-count") == str(len(shown))
    # answers are searched, not only titles: entry 50's title does not contain the term
    assert term not in _annotation()[49]["title"] and 50 in shown
    page.fill("#entry-search", "")
    assert len(visible_ids(page)) == 68


def test_search_finds_a_phrase_of_an_answer(page):
    # line 3171: 衡反修老师：我们建设数据湖的目的是什… (entry 51's answer)
    page.fill("#entry-search", "我们建设数据湖的目的")
    assert visible_ids(page) == [51]


def test_sort_by_cohort_and_unit_is_numeric(page):
    ann = _annotation()
    page.click("#entries-table th[data-column=cohort]")
    cohorts = [int(re.search(r"\d+", t).group()) for t in column_texts(page, 3)]
    assert cohorts == sorted(e["cohort"] for e in ann)
    page.click("#entries-table th[data-column=cohort]")
    cohorts = [int(re.search(r"\d+", t).group()) for t in column_texts(page, 3)]
    assert cohorts == sorted((e["cohort"] for e in ann), reverse=True)
    page.click("#entries-table th[data-column=unit]")
    units = [int(m.group(1)) if (m := re.match(r"第(\d+)单元", t)) else None for t in column_texts(page, 4)]
    numbered = [u for u in units if u is not None]
    expected = sorted(e["unit_no"] for e in ann if e["session_type"] == "unit")
    assert numbered == expected and expected[0] < 10 <= expected[-1]  # 第3单元 before 第10单元
    assert units[len(numbered):] == [None] * (len(units) - len(numbered))  # discussion classes last
    page.click("#entries-table th[data-column=entry_id]")
    page.click("#entries-table th[data-column=entry_id]")
    assert visible_ids(page) == list(range(68, 0, -1))


def test_sort_is_numeric_aware_in_any_table(browser, tmp_path):
    df = pd.DataFrame({"cohort": [10, 3, 2], "unit": ["第11单元 数据治理", "第2单元 医院信息规划", "第10单元 基础"],
                       "n_entries": [5, 12, 7]})
    rep = Report("排序", "")
    rep.add("t", "表", table_block(table_view(df, "t1")))
    path = tmp_path / "t.html"
    path.write_text(rep.render(embed_font=False), encoding="utf-8")
    p = open_page(browser, path)
    col = lambda i: p.eval_on_selector_all("#t1 tbody tr", f"rs => rs.map(r => r.cells[{i}].textContent)")  # noqa
    p.click("#t1 th[data-column=cohort]")
    assert col(0) == ["第2期", "第3期", "第10期"]
    p.click("#t1 th[data-column=unit]")
    assert [x.split()[0] for x in col(1)] == ["第2单元", "第10单元", "第11单元"]
    p.click("#t1 th[data-column=n_entries]")
    assert col(2) == ["5", "7", "12"]
    assert_clean(p)
    p.context.close()


def test_filters_by_cohort_section_and_topic(page, study):
    ann = _annotation()
    page.select_option("select[data-field=cohort]", "2")
    assert set(visible_ids(page)) == {i for i, e in enumerate(ann, 1) if e["cohort"] == 2}
    page.select_option("select[data-field=section]", "系统集成")
    assert set(visible_ids(page)) == {i for i, e in enumerate(ann, 1) if e["cohort"] == 2
                                      and e["section"] == "系统集成"}
    page.select_option("select[data-field=cohort]", "")
    assert set(visible_ids(page)) == {i for i, e in enumerate(ann, 1) if e["section"] == "系统集成"} and len(
        visible_ids(page)) == 12
    page.select_option("select[data-field=section]", "")
    et = study.tables["entry_topics"]
    topic = int(study.tables["topics"].topic_id.iloc[0])
    page.select_option("select[data-field=topic]", str(topic))
    assert set(visible_ids(page)) == set(et[(et["rank"] == 1) & (et.topic_id == topic)].entry_id)
    assert page.inner_text("#entry-count") == str(len(visible_ids(page)))


def test_every_entry_opens_to_its_full_text(page):
    ann = _annotation()
    full = page.eval_on_selector_all("#entries-table tbody.entry", "els => els.map(e => e.rows[1].textContent)")
    assert len(full) == len(ann) == 68
    for e, text in zip(ann, full):
        for t in e["turns"]:  # the opening words of every turn (hand annotation) are in the entry's full text
            assert re.sub(r"\s", "", t["text_start"]) in re.sub(r"\s", "", text), (e["title"], t["text_start"])
    row = page.locator("#entry-1 > tr.row")
    assert not page.locator("#entry-1 > tr.full").is_visible()
    row.click()
    assert page.locator("#entry-1 > tr.full").is_visible()
    assert "上次课我们讲了，" in page.locator("#entry-1 > tr.full").inner_text()
    screenshot(page, "report_entry_open.png")
    row.click()
    assert not page.locator("#entry-1 > tr.full").is_visible()


def test_a_finding_links_to_its_entries(page, study):
    f = study.tables["findings"]
    first = f[f.entry_ids.fillna("").astype(str).str.strip() != ""].iloc[0]
    ids = [int(x) for x in str(first.entry_ids).split(",")]
    link = page.locator("#findings-table a.show-entries").first
    assert link.inner_text() == f"查看 {len(ids)} 条问答"
    link.click()
    assert sorted(visible_ids(page)) == sorted(ids)
    assert page.locator("#id-filter").is_visible()
    top, bottom = page.evaluate("[document.getElementById('id-filter').getBoundingClientRect().top, innerHeight]")
    assert 0 <= top < bottom  # the page scrolled to the filtered table
    page.click("#id-filter-clear")
    assert len(visible_ids(page)) == 68
    # a topic's link shows that topic's entries
    et = study.tables["entry_topics"]
    t0 = int(study.tables["topics"].topic_id.iloc[0])
    page.locator("#topics a.show-entries").first.click()
    assert set(visible_ids(page)) == set(et[(et["rank"] == 1) & (et.topic_id == t0)].entry_id)


def test_phone_width_has_no_sideways_scroll(browser, report_file):
    p = open_page(browser, report_file, width=390, height=844)
    assert p.evaluate("document.scrollingElement.scrollWidth") <= 390
    box = p.locator("#entries-table").evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert box[0] > box[1]  # the wide table scrolls inside its own box
    # figures keep a legible width and scroll inside their own box too
    fig = p.locator("#fig-topics_section_heatmap .svg-box").evaluate(
        "b => [b.scrollWidth, b.clientWidth, b.querySelector('svg').getBoundingClientRect().width]")
    assert fig[2] >= 600 and fig[0] > fig[1]
    p.locator("#entries").scroll_into_view_if_needed()
    p.locator("#entry-1 > tr.row").click()
    assert p.evaluate("document.scrollingElement.scrollWidth") <= 390
    # the opened text fits the screen: its box is no wider than the viewport
    assert p.locator("#entry-1 .qa").evaluate("e => e.getBoundingClientRect().width") <= 390
    screenshot(p, "report_phone.png")
    assert_clean(p)
    p.context.close()


def test_cells_and_headers_are_for_readers(page, study):
    heads = page.eval_on_selector_all("th", "els => els.map(e => e.textContent.trim())")
    assert heads and all(CJK.search(h) for h in heads), [h for h in heads if not CJK.search(h)]
    cells = page.eval_on_selector_all("td", "els => els.map(e => e.textContent.trim())")
    bad = [c for c in cells if c in {"True", "False", "nan", "<NA>", "None", "-0", "-0.0", "-0.00"}
           or re.fullmatch(r"-?\d+\.\d{4,}", c) or re.fullmatch(r"\d(\.\d+)?e-\d+", c)]
    assert not bad, bad[:10]
    assert {"是", "否"} & set(cells)  # booleans (e.g. 依赖单一教员) in words
    assert any(re.fullmatch(r"\d+(\.\d)?%", c) for c in cells)  # shares as percent
    ef = study.tables["emerging_fading_terms"]
    called = ef[ef["call"].fillna("") != ""]
    if len(called):  # the table lists exactly the terms called emerging or fading
        assert page.locator("#table-emerging_fading_terms tbody tr").count() == min(len(called), 40)
    else:  # no term passed the test: the page says so instead of showing an empty table
        assert "没有哪个词" in page.inner_text("#trends")
    about = page.inner_text("#about")
    assert f"主题数 k 由用户指定为 {len(study.tables['topics'])}" in about and "随机种子 0" in about
    assert "Params(" not in about
    # figures at full width of their section
    widths = page.eval_on_selector_all(".svg-box svg", "els => els.map(e => e.getBoundingClientRect().width)")
    section = page.evaluate("document.querySelector('#coverage').clientWidth")
    assert widths and min(widths) > 0.85 * section
    captions = page.eval_on_selector_all("figcaption", "els => els.map(e => e.textContent)")
    assert all(CJK.search(c) for c in captions)


def test_font_covers_every_character_of_the_booklet_and_interface(report_file):
    from fontTools.ttLib import TTFont

    html = report_file.read_text(encoding="utf-8")
    b64 = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", html).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(b64)))
    cmap = font.getBestCmap()
    booklet_chars = {c for c in BOOKLET.read_text(encoding="utf-8") if ord(c) > 32}
    placeholder = re.search(r'id="entry-search" type="search" placeholder="([^"]+)"', html).group(1)
    missing = [c for c in booklet_chars | set(placeholder) | set("显示全部筛选期次栏目主题") if ord(c) not in cmap]
    assert not missing, missing[:20]
    assert len(b64) * 3 / 4 < 1_500_000  # the subset stays well under the full font (16 MB)


def test_pdf_has_pages_and_chinese_text(report_file, tmp_path):
    assert shutil.which("pdftotext"), "poppler-utils is needed: scripts/ensure_chromium.sh installs it"
    pdf = report_pdf(report_file, tmp_path / "report.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 5
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "课程评审报告" in text and "全部问答" in text
    assert "医院信息科为什么要具备规划能力？" in text  # entry 1's title, from the booklet (line 27)
    ARTEFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTEFACTS / "report.pdf")


def test_booklet_text_is_escaped():
    rep = Report("<script>alert(1)</script>标题", "副标题")
    rep.add("x", "表", table_block(table_view(pd.DataFrame({"title": ['<img src=x onerror="alert(1)">如何？']}), "x1")))
    out = rep.render(embed_font=False)
    assert "<script>alert(1)</script>" not in out and "<img src=x" not in out
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;如何？" in out


def test_numbers_are_formatted_for_readers():
    from corpus_tools.report import fmt_cell, header, params_sentence
    from corpus_tools.study import Params

    assert fmt_cell("top_share", 0.18181818181818182) == ("18.2%", 0.18181818181818182)
    assert fmt_cell("entropy", -0.0)[0] == "0" and fmt_cell("log_ratio", -0.001)[0] == "0.00"
    assert fmt_cell("entropy", 0.876684)[0] == "0.88"
    assert fmt_cell("p_value", 0.0004)[0] == "<0.001" and fmt_cell("q_value", 0.0031)[0] == "0.003"
    assert fmt_cell("relies_on_one", True)[0] == "是" and fmt_cell("within_unit", False)[0] == "否"
    assert fmt_cell("cohort", 3) == ("第3期", 3.0) and fmt_cell("unit_no", 11)[0] == "第11单元"
    assert fmt_cell("n_entries", pd.NA) == ("", None)
    assert header("top_share") == "最高占比"
    assert params_sentence(Params(k=8), 8).startswith("主题数 k 由用户指定为 8；随机种子 0")
    assert "规则" in params_sentence(Params(), 7) and "选定为 7" in params_sentence(Params(), 7)
