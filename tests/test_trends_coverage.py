"""Keyword statistics checked against values computed by hand / by scipy, KWIC and coverage on the booklet."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from corpus_tools import coverage, findings, trends
from corpus_tools.text import tokenizer_for, tokens_table


def _tiny():
    """Two cohorts: cohort 1 = entries 1, 2; cohort 2 = entries 3, 4."""
    entries = pd.DataFrame(dict(entry_id=[1, 2, 3, 4], cohort=[1, 1, 2, 2], section=["甲", "甲", "乙", "乙"],
                                session_type="unit", unit_no=[1, 1, 2, 2], unit_title=["规划", "规划", "运维", "运维"]))
    words = {1: ["规划"] * 6 + ["数据"] * 4, 2: ["规划"] * 4 + ["数据"] * 6,
             3: ["运维"] * 8 + ["数据"] * 2, 4: ["运维"] * 2 + ["数据"] * 8 + ["规划"] * 0}
    rows = [(e, 1, k, w) for e, ws in words.items() for k, w in enumerate(ws)]
    tokens = pd.DataFrame(rows, columns=["entry_id", "turn_no", "token_no", "token"])
    return entries, tokens


def test_log_likelihood_and_chi2_match_scipy():
    for a, b, c, d in ((10, 0, 10, 20), (30, 5, 170, 795), (3, 1, 50, 60)):
        table = np.array([[a, b], [c, d]])
        g2_scipy = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
        assert trends.log_likelihood(a, b, c, d) == pytest.approx(g2_scipy)
        x2, corrected = trends.chi_square(a, b, c, d)
        expected_min = chi2_contingency(table, correction=False)[3].min()
        assert corrected == (expected_min < 5)
        assert x2 == pytest.approx(chi2_contingency(table, correction=corrected)[0])


def test_keyness_by_hand():
    entries, tokens = _tiny()
    key = trends.keyness(tokens, entries, "cohort", min_freq=1, min_docs=1)
    row = key[(key.group == 1) & (key.term == "规划")].iloc[0]
    # cohort 1 has 20 tokens, 10 of them 规划; cohort 2 has 20 tokens, no 规划
    assert (row["count"], row.count_rest, row.group_tokens, row.rest_tokens) == (10, 0, 20, 20)
    g2 = 2 * (10 * math.log(10 / 5) + 10 * math.log(10 / 15) + 20 * math.log(20 / 15))  # the 0 cell adds 0
    assert row.g2 == pytest.approx(g2)
    assert row.log_ratio == pytest.approx(math.log2((10 / 20) / (0.5 / 20)))
    assert row.p_g2 < 0.001
    under = key[(key.group == 2) & (key.term == "规划")].iloc[0]
    assert under.g2 == pytest.approx(-g2)  # negative: under-used in cohort 2


def test_frequencies_per_10k_and_document_frequency():
    entries, tokens = _tiny()
    f = trends.term_frequencies(tokens, entries, "cohort")
    row = f[(f.group == 2) & (f.term == "运维")].iloc[0]
    assert (row["count"], row.doc_freq, row.n_docs) == (10, 2, 2)
    assert row.per_10k == pytest.approx(10 / 20 * 10_000)


def test_emerging_and_fading_calls():
    entries, tokens = _tiny()
    ef = trends.emerging_fading(tokens, entries, min_freq=1, min_docs=2).set_index("term")
    assert ef.loc["运维", "call"] == "emerging" and ef.loc["运维", "docs_to"] == 2
    assert ef.loc["规划", "call"] == "fading"
    assert ef.loc["数据", "call"] == ""  # 10 vs 10: no change


def test_emerging_needs_more_than_one_entry():
    entries, tokens = _tiny()
    tokens = tokens[~((tokens.entry_id == 4) & (tokens.token == "运维"))]  # 运维 only in entry 3 now
    ef = trends.emerging_fading(tokens, entries, min_freq=1, min_docs=2).set_index("term")
    assert ef.loc["运维", "p"] < 0.05 and ef.loc["运维", "call"] == ""


def test_kwic_on_the_booklet(booklet):
    hits = trends.kwic(booklet.turns, "数据湖", window=10)
    assert len(hits) == sum(t.count("数据湖") for t in booklet.turns.text)
    first = hits.iloc[0]
    # line 3004: 学员、…刘鸿齐：数据湖、ODS、数据仓库等这些概念…
    assert (first.entry_id, first.speaker, first.role, first.line_start) == (48, "刘鸿齐", "trainee", 3004)
    assert first.left == "" and first.right.startswith("、ODS、数据")
    # the booklet prints "CDR 中" (line 3115): the search bridges the Latin–Chinese space
    cdr = trends.kwic(booklet.turns, "CDR中")
    assert any(h.term == "CDR 中" and h.entry_id == 49 for h in cdr.itertuples())
    with pytest.raises(ValueError):
        trends.kwic(booklet.turns, " ")


@pytest.fixture(scope="module")
def tokens(booklet, tmp_path_factory):
    tk = tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))
    return tk, tokens_table(booklet, tk)


def test_unit_by_section_matches_annotation(booklet, annotation):
    table = coverage.unit_by(booklet.entries, "section")
    counts: dict[tuple[str, str], int] = {}
    for a in annotation:
        unit = (f"第{a['cohort']}期·第{a['unit_no']}单元 {a['unit_title']}" if a["session_type"] == "unit"
                else f"第{a['cohort']}期·答疑讨论课")
        counts[(unit, a["section"])] = counts.get((unit, a["section"]), 0) + 1
    assert table.to_numpy().sum() == 68
    for (unit, section), n in counts.items():
        assert table.loc[unit, section] == n
    assert table.loc["第1期·第11单元 医学信息标准", "系统集成"] == 7


def test_curriculum_gaps(booklet):
    c = coverage.curriculum(booklet.units)
    first = c[c.cohort == 1].set_index("unit_no")
    # 第一期 drew questions from units 3–7 and 10–12 only
    assert list(first.index) == list(range(1, 13))
    assert sorted(first[first.n_entries == 0].index) == [1, 2, 8, 9]
    assert first.loc[1, "unit_title"] == "领导力与团队建设" and first.loc[1, "title_source"] == "inferred"
    assert first.loc[8, "title_source"] == "unknown"
    assert first.loc[11, "n_entries"] == 8
    low = coverage.low_draw_units(c)
    assert set(zip(low.cohort, low.unit_no)) == {(1, 1), (1, 2), (1, 8), (1, 9)}


def test_instructors_per_unit(booklet):
    ipu = coverage.instructors_per_unit(booklet.entries, booklet.turns)
    row = ipu[(ipu.unit == "第3期·第1单元 信息中心组织与管理") & (ipu.instructor == "薛万国")].iloc[0]
    assert row.n_entries == 5  # entries at lines 96, 2615, 3646, 3968, 4014


def test_coverage_table_and_findings(booklet, tokens):
    tk, toks = tokens
    table = coverage.coverage_table(booklet.entries, booklet.units, toks, booklet.askers, booklet.turns)
    std = table.set_index("unit_title").loc["医学信息标准"]
    assert (std.n_questions, std.cohorts) == (8, "第1期")
    assert "刘海一" in std.instructors and "薛万国" in std.instructors
    assert table.n_questions.sum() == 68
    home = coverage.home_table(booklet.entries, toks, tk, booklet.turns)
    assert home.has_home.isna().sum() == 3  # the three entries of the discussion class have no unit title
    c = coverage.curriculum(booklet.units)
    text = findings.coverage_findings(c, table, coverage.homeless_share(home, booklet.entries, "section"))
    assert any("第1期有 4 个单元没有问答入册" in s for s in text)
    assert text[0].startswith("问答最多的课程单元是")
