"""Keyword statistics checked against values computed by hand / by scipy, KWIC and coverage on the booklet."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from corpus_tools import coverage, stats, trends
from corpus_tools.text import tokenizer_for, tokens_table

from conftest import BOOKLET


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
        assert stats.log_likelihood(a, b, c, d) == pytest.approx(g2_scipy)
        x2, corrected = stats.chi_square(a, b, c, d)
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


def _synthetic():
    """A booklet-like corpus with planted patterns. Units 规划, 运维, 安全 have 8 entries in each of cohorts 1 and 2;
    unit 标准 has 10 entries, all in cohort 2. Every entry: a trainee's question (turn 1) and an instructor's
    answer (turn 2, instructors 甲 乙 丙 in turn); 中台 is said by 丁 alone, in an extra turn 3.

    - 云计算, a real trend: 1 of 24 entries in cohort 1, 18 of 34 in cohort 2, 6 of 8 in each shared unit;
    - 评价, a one-entry burst: 30 uses in entry 30, 1 use in entries 31 and 32 (3 entries of 34, none before);
    - 标准化, a unit effect: in all 10 entries of unit 标准 (cohort 2 only), nowhere else;
    - 中台, one speaker: 12 entries of cohort 2 (4 per shared unit), every use by 丁."""
    rows, turns, entries = [], [], []
    eid = 0
    plan = [(1, u, 8) for u in ("规划", "运维", "安全")] + [(2, u, 8) for u in ("规划", "运维", "安全")] + [(2, "标准", 10)]
    for cohort, unit, n in plan:
        for i in range(n):
            eid += 1
            entries.append(dict(entry_id=eid, cohort=cohort, section=unit, session_type="unit",
                                unit_no={"规划": 1, "运维": 2, "安全": 3, "标准": 4}[unit], unit_title=unit))
            q = ["医院", "系统", f"问{eid}"]
            a = ["医院", "建设", f"答{eid}"]
            extra = []
            if (cohort == 1 and unit == "规划" and i == 0) or (cohort == 2 and unit != "标准" and i < 6):
                a += ["云计算", "云计算"]
            if unit == "标准":
                a += ["标准化"]
            if cohort == 2 and unit != "标准" and i >= 4:
                extra = ["中台"]
            turns.append(dict(entry_id=eid, turn_no=1, speaker=f"学员{eid}", role="trainee", is_question=True))
            turns.append(dict(entry_id=eid, turn_no=2, speaker="甲乙丙"[eid % 3], role="instructor",
                              is_question=False))
            for turn_no, words in ((1, q), (2, a), (3, extra)):
                rows += [(eid, turn_no, k, w) for k, w in enumerate(words)]
            if extra:
                turns.append(dict(entry_id=eid, turn_no=3, speaker="丁", role="instructor", is_question=False))
    for eid, n in ((30, 30), (31, 1), (32, 1)):
        rows += [(eid, 2, 100 + k, "评价") for k in range(n)]
    tokens = pd.DataFrame(rows, columns=["entry_id", "turn_no", "token_no", "token"])
    return pd.DataFrame(entries), tokens, pd.DataFrame(turns)


def test_planted_trend_is_called_and_burst_is_not():
    entries, tokens, turns = _synthetic()
    assert entries.entry_id[entries.entry_id.isin([30, 31, 32])].size == 3
    assert set(entries[entries.entry_id.isin([30, 31, 32])].cohort) == {2}
    ef = trends.emerging_fading(tokens, entries, turns).set_index("term")
    row = ef.loc["云计算"]
    assert (row.docs_from, row.n_from, row.docs_to, row.n_to) == (1, 24, 18, 34)
    assert row.call == "emerging" and row.q_value <= 0.05 and row.within_unit and row.shared_units == 3
    assert not row.one_speaker
    burst = ef.loc["评价"]
    assert (burst.docs_from, burst.docs_to) == (0, 3)
    assert burst.top_entry == 30 and burst.top_entry_share == pytest.approx(30 / 32)
    assert burst.call == "" and burst.q_value > 0.05
    assert burst.g2_tokens > 10  # the token-level G² alone would have called it
    unit = ef.loc["标准化"]
    assert unit.q_value <= 0.05 and not unit.within_unit and unit.call == "unit effect"
    one = ef.loc["中台"]
    assert one.one_speaker and one.top_speaker == "丁" and one.top_speaker_share == 1.0
    # 医院 is in every entry: tested, never called; 问1 (one entry) is not tested at all
    assert ef.loc["医院", "call"] == "" and "问1" not in ef.index
    assert set(trends.EF_COLUMNS) <= set(ef.reset_index().columns)


def test_emerging_fading_p_and_q_by_hand():
    entries, tokens, turns = _synthetic()
    ef = trends.emerging_fading(tokens, entries, turns)
    from scipy.stats import false_discovery_control, fisher_exact
    for r in ef.itertuples():
        want = fisher_exact([[r.docs_to, r.n_to - r.docs_to], [r.docs_from, r.n_from - r.docs_from]]).pvalue
        assert r.p_value == pytest.approx(want)
    assert np.allclose(ef.q_value, false_discovery_control(ef.p_value, method="bh"))
    assert (ef.docs_from + ef.docs_to >= 3).all()


def test_entry_keyness_synthetic():
    entries, tokens, _ = _synthetic()
    key = trends.keyness_entries(tokens, entries, "cohort").set_index(["group", "term"])
    row = key.loc[(2, "云计算")]
    assert (row.docs_group, row.n_group, row.docs_rest, row.n_rest) == (18, 34, 1, 24)
    assert row.key == "over" and row.log_ratio > 0
    assert key.loc[(1, "云计算"), "key"] == "under"
    assert key.loc[(2, "评价"), "key"] == ""
    # q counted every pair tested; rows where the group lacks the term are kept only when that absence is significant
    flat = key.reset_index()
    assert key.attrs["n_tests"] >= len(flat)
    assert (flat[flat.docs_group == 0].key != "").all()


def _dense_entry_keyness(tokens, entries, by, min_docs=3):
    """Every (group, term) of the entry-level test, from a dense groups × terms table (the definition)."""
    from corpus_tools import stats

    docs = tokens.merge(entries[["entry_id", by]], on="entry_id").drop_duplicates(["entry_id", "token"])
    tab = pd.crosstab(docs[by], docs.token)
    tab = tab.loc[:, tab.sum() >= min_docs]
    n = entries.groupby(by).size().reindex(tab.index).to_numpy()[:, None]
    dg = tab.to_numpy()
    dr, nr = dg.sum(axis=0)[None, :] - dg, len(entries) - n
    p = stats.fisher_test(dg, np.broadcast_to(n, dg.shape), dr, np.broadcast_to(nr, dg.shape))
    return tab, p, stats.bh_qvalues(p)


def test_entry_keyness_sparse_equals_the_dense_table():
    """The sparse test (absent terms tested once per margin) gives every p and q of the full table, bit for bit."""
    entries, tokens, _ = _synthetic()
    tab, p, q = _dense_entry_keyness(tokens, entries, "section")
    # sections 规划 运维 安全 (16 entries each) and 标准 (10); terms in ≥ 3 entries: 医院 系统 建设 云计算 评价 标准化 中台
    assert tab.shape == (4, 7)
    every = trends.keyness_entries(tokens, entries, "section", all_pairs=True)
    assert len(every) == every.attrs["n_tests"] == 4 * 7
    got = every.set_index(["group", "term"])
    for i, g in enumerate(tab.index):
        for j, term in enumerate(tab.columns):
            row = got.loc[(g, term)]
            assert row.docs_group == tab.iloc[i, j]
            assert row.p_value == p[i, j] and row.q_value == q[i, j]
    # the default table: the same rows where the group uses the term or its absence is significant
    key = trends.keyness_entries(tokens, entries, "section")
    assert key.attrs["n_tests"] == 28
    want = every[(every.docs_group > 0) | (every.key != "")].reset_index(drop=True)
    pd.testing.assert_frame_equal(key, want)
    # 标准化 is in all 10 entries of 标准 and in none of the 48 others
    row = key.set_index(["group", "term"]).loc[("标准", "标准化")]
    assert (row.docs_group, row.n_group, row.docs_rest, row.n_rest, row.key) == (10, 10, 0, 48, "over")
    # by cohort: 标准化 (10 entries) and 中台 (12) are cohort 2's only; their absence from cohort 1 (0 of 24) is
    # significant and kept as a row, with the p and q of the dense table
    tab, p, q = _dense_entry_keyness(tokens, entries, "cohort")
    key = trends.keyness_entries(tokens, entries, "cohort")
    assert key.attrs["n_tests"] == tab.size == 2 * 7
    absent = key[key.docs_group == 0].set_index(["group", "term"])
    assert sorted(absent.index) == [(1, "中台"), (1, "标准化")] and (absent.key == "under").all()
    for term in ("中台", "标准化"):
        j = list(tab.columns).index(term)
        assert absent.loc[(1, term), "p_value"] == p[0, j] and absent.loc[(1, term), "q_value"] == q[0, j]


def test_token_keyness_sparse_keeps_the_significant_absences():
    """Token-level keyness keeps a group's unused terms exactly when G² of the absence has p < 0.05, as the dense
    table would."""
    entries, tokens, _ = _synthetic()
    key = trends.keyness(tokens, entries, "section", min_freq=1, min_docs=1)
    t = tokens.merge(entries[["entry_id", "section"]], on="entry_id")
    counts = pd.crosstab(t.section, t.token)
    size, total_n, total = counts.sum(axis=1), counts.sum(axis=0), int(counts.to_numpy().sum())
    n_rows = 0
    for g in counts.index:
        for term in counts.columns:
            a = int(counts.loc[g, term])
            b, c = int(total_n[term]) - a, int(size[g]) - a
            g2 = stats.log_likelihood(a, b, c, total - int(size[g]) - b)
            kept = key[(key.group == g) & (key.term == term)]
            assert len(kept) == int(a > 0 or stats.chi2_pvalue(g2) < 0.05), (g, term)
            n_rows += len(kept)
            if len(kept):
                assert kept.iloc[0]["count"] == a and abs(kept.iloc[0].g2) == g2
    assert n_rows == len(key)
    # 标准化 (10 tokens, all in 标准) is significantly absent from 规划 (16 entries × ≥ 6 tokens)
    assert ((key.group == "规划") & (key.term == "标准化") & (key["count"] == 0)).sum() == 1


def test_trends_on_the_booklet(booklet, tokens):
    """The issue's reading of the booklet: no cohort difference survives an entry-level test with BH, and the
    token-level G² points the wrong way for 数据中心."""
    _, toks = tokens
    ef = trends.emerging_fading(toks, booklet.entries, booklet.turns)
    assert (ef.call == "").all() and ef.q_value.min() > 0.05
    n = booklet.entries.groupby("cohort").size()
    assert (n[1], n[2], n[3]) == (41, 16, 11)
    dc = ef[(ef.term == "数据中心") & (ef.from_cohort == 2)].iloc[0]
    # entry 19 (line 1123, 第2期) alone repeats 数据中心 many times: tokens fall 2→3 while the share of entries rises
    assert dc.top_entry == 19 and dc.n_from == 16 and dc.n_to == 11
    assert dc.docs_to / dc.n_to > dc.docs_from / dc.n_from and dc.per_10k_to < dc.per_10k_from
    # 评价: entry 10 (line 625, "如何评价医院信息化建设的产出效能") holds 11 of its uses
    pj = ef[(ef.term == "评价") & (ef.from_cohort == 2)].iloc[0]
    assert pj.top_entry == 10 and pj.top_entry_share >= 0.8
    # 第2期 and 第3期 share no unit title: no difference between them can be told apart from a unit effect
    assert (ef[ef.from_cohort == 2].shared_units == 0).all()
    assert (ef[ef.from_cohort == 1].shared_units == 3).all()  # 规划与系统设计方法, 架构治理, 建设与项目管理


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
    # with the booklet's lines, each occurrence says the line it is printed on: 曹坤's question in entry 22 begins
    # at l.1372 and prints 集成平台 at l.1378 (“还是要通过集成平台或其他方式进行交互”); 冯敏's in entry 23 begins and
    # prints it at l.1420; without the lines the occurrence's line is unknown (NA), not the turn's first line
    on = trends.kwic(booklet.turns, "集成平台", lines=booklet.lines)
    first = on.iloc[0]
    assert (first.entry_id, first.turn_no, first.line_start, first.line) == (22, 1, 1372, 1378)
    raw = BOOKLET.read_text(encoding="utf-8").splitlines()
    assert "集成平台" in raw[1378 - 1]
    # every one of the 78 occurrences is on its line, or starts there and runs on to the next printed line (entry
    # 31's “集成平” at the end of l.1970, “台” at l.1972)
    assert len(on) == 78 and on.line.notna().all() and (on.line >= on.line_start).all()
    split = [(r.entry_id, int(r.line)) for r in on.itertuples() if "集成平台" not in raw[int(r.line) - 1]]
    assert split == [(31, 1970)] and raw[1970 - 1].rstrip().endswith("集成平") and raw[1972 - 1].startswith("台")
    assert trends.kwic(booklet.turns, "集成平台").line.isna().all()


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


def test_curriculum_is_the_units_seen_plus_the_discussion_class(booklet):
    c = coverage.curriculum(booklet.units)
    first = c[c.cohort == 1].set_index("unit_no")
    # 第一期 drew questions from units 3–7 and 10–12: nothing is inferred for 1, 2, 8, 9
    assert list(first.index) == [3, 4, 5, 6, 7, 10, 11, 12]
    assert first.loc[11, "n_entries"] == 8 and (c.title_source == "booklet").all()
    assert "第3期·答疑讨论课" in set(c.label) and c.n_entries.sum() == 68
    low = coverage.low_draw_units(c)
    assert low.empty  # every unit of the booklet drew ≥ 2 entries


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
    # the discussion class is a row of the coverage table (3 entries, lines 202–…)
    assert table.set_index("unit_title").loc["答疑讨论课", "n_questions"] == 3
