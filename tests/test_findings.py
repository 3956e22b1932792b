"""Findings carry their statistic and entries; instructor dependence against hand-computed hypergeometric tails."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from corpus_tools import curriculum, findings, network, trends, unitfit
from corpus_tools.text import tokenizer_for, tokens_table

from test_trends_coverage import _synthetic  # the planted-trend corpus


# ---------------------------------------------------------------- instructor dependence

def _dependence_world():
    """10 entries, 3 topics. Host H answers 6 entries (2 in topic 0, 1 in topic 1, 3 in topic 2); specialist S
    answers the 3 entries of topic 0 and nothing else; X and Y answer 2 entries each of topic 1 (a tie)."""
    answers = {1: ["S", "H"], 2: ["S", "H"], 3: ["S"],            # topic 0 (3 entries)
               4: ["X", "H"], 5: ["X"], 6: ["Y"], 7: ["Y"],       # topic 1 (4 entries)
               8: ["H"], 9: ["H"], 10: ["H", "Z"]}                # topic 2 (3 entries)
    topic = {e: (0 if e <= 3 else 1 if e <= 7 else 2) for e in answers}
    turns = pd.DataFrame([dict(entry_id=e, turn_no=k + 2, speaker=s, role="instructor", text="答" * 10)
                          for e, names in answers.items() for k, s in enumerate(names)])
    et = pd.DataFrame(dict(entry_id=list(topic), topic_id=list(topic.values()), rank=1))
    topics = pd.DataFrame(dict(topic_id=[0, 1, 2], label=["甲", "乙", "丙"], size=[3, 4, 3]))
    entries = pd.DataFrame(dict(entry_id=list(answers), answered_by=["、".join(v) for v in answers.values()]))
    return network.instructor_topic(turns, et, topics), topics, et, entries


def test_topic_dependence_by_hand():
    G, topics, _, _ = _dependence_world()
    dep = network.topic_dependence(G, topics).set_index("topic_id")
    t0 = dep.loc[0]
    # S answers 3 of 10 entries, all 3 of topic 0: P(X ≥ 3) = C(3,3)C(7,0)/C(10,3) = 1/120
    assert (t0.top_instructor, t0.k, t0.n_entries, t0.tie) == ("S", 3, 3, False)
    assert t0.base_share == pytest.approx(0.3) and t0.lift == pytest.approx(1 / 0.3)
    assert t0.p_value == pytest.approx(1 / 120) and t0.flagged
    t1 = dep.loc[1]
    assert t1.top_instructor == "X、Y" and t1.tie and t1.k == 2
    # X and Y both answer 2 of 10; P(X ≥ 2 | N=10, K=2, n=4) = C(4,2)/C(10,2) = 6/45
    assert t1.p_value == pytest.approx(6 / 45) and not t1.flagged
    t2 = dep.loc[2]
    # the host answers 6 of 10 entries and all 3 of topic 2: P = C(6,3)/C(10,3) = 20/120 — not flagged
    assert (t2.top_instructor, t2.k) == ("H", 3) and t2.p_value == pytest.approx(20 / 120) and not t2.flagged
    from scipy.stats import false_discovery_control
    assert dep.sort_index().q_value.to_numpy() == pytest.approx(
        false_discovery_control(dep.sort_index().p_value.to_numpy(), method="bh"))


def test_specialisation_needs_three_entries():
    G, _, _, _ = _dependence_world()
    spec = network.specialisation(G, 3).set_index("instructor")
    assert set(spec.index) == {"H", "S"}  # X, Y (2 entries) and Z (1) are left out
    assert spec.loc["S", "specialisation"] == pytest.approx(1.0)
    p = [2 / 6, 1 / 6, 3 / 6]
    assert spec.loc["H", "entropy"] == pytest.approx(-sum(x * math.log(x) for x in p) / math.log(3))


def test_dependence_findings_name_the_entries():
    G, topics, et, entries = _dependence_world()
    dep = network.topic_dependence(G, topics)
    rows = pd.DataFrame(findings.dependence_findings(dep, entries, et))
    s = rows[rows.text.str.contains("“甲”")].iloc[0]
    assert s.entry_ids == "1,2,3" and s.p_value == pytest.approx(1 / 120)
    assert "1 条只有他/她作答" in s.caveat  # entry 3 only; 1 and 2 are answered with H


# ---------------------------------------------------------------- synthetic trends

def test_trend_findings_synthetic():
    entries, tokens, turns = _synthetic()
    ef = trends.emerging_fading(tokens, entries, turns)
    rows = pd.DataFrame(findings.trend_findings(ef, entries, tokens))
    called = rows[rows.text.str.contains("“云计算”")].iloc[0]
    with_term = set(tokens.entry_id[tokens.token == "云计算"])
    assert {int(i) for i in called.entry_ids.split(",")} == with_term
    assert called.q_value <= 0.05 and "1/24 → 18/34" in called.text
    unit = rows[rows.text.str.contains("“标准化”")].iloc[0]
    assert "单元效应" in unit.text
    assert not rows.text.str.contains("“评价”的问答").any()  # the one-entry burst is never a trend


def test_no_trend_is_said_plainly():
    entries, tokens, turns = _synthetic()
    tokens = tokens[~tokens.token.isin(["云计算", "标准化", "中台"])]
    ef = trends.emerging_fading(tokens, entries, turns)
    rows = pd.DataFrame(findings.trend_findings(ef, entries, tokens))
    assert rows.text.str.contains("没有一个词的使用").any()
    assert rows.iloc[0].q_value > 0.05


# ---------------------------------------------------------------- the booklet

@pytest.fixture(scope="module")
def booklet_findings(booklet, tmp_path_factory):
    tk = tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))
    toks = tokens_table(booklet, tk)
    tables = dict(tokens=toks, curriculum=curriculum.curriculum(booklet.units),
                  unit_fit=unitfit.unit_fit(booklet.entries, booklet.turns, names=tuple(booklet.people.name)),
                  emerging_fading_terms=trends.emerging_fading(toks, booklet.entries, booklet.turns),
                  keyness_entries_by_section=trends.keyness_entries(toks, booklet.entries, "section"))
    return findings.build_findings(tables, booklet), toks


def test_findings_rows_carry_existing_entries(booklet, booklet_findings):
    f, _ = booklet_findings
    assert list(f.columns) == findings.FINDING_COLUMNS
    valid = set(booklet.entries.entry_id)
    for r in f.itertuples():
        ids = [int(i) for i in r.entry_ids.split(",") if i]
        assert set(ids) <= valid, r.text
        assert r.text and r.statistic, r.text
    # every non-caveat finding but the booklet-wide ones rests on named entries
    assert (f[f.kind.isin(["unit_fit", "keyness"])].entry_ids != "").all()


def test_booklet_caveats(booklet, booklet_findings):
    f, toks = booklet_findings
    cav = f[f.kind == "caveat"]
    assert cav.statistic.str.contains("现将答疑环节部分精彩问答整理成册").any()  # preface, line 11
    assert cav.statistic.str.contains("68/68 条问答的来源说明注明").any()  # every source note says 未经…审核确认
    host = cav[cav.text.str.startswith("薛万国在 37/68 条问答中作答")]
    assert len(host) == 1 and len(host.iloc[0].entry_ids.split(",")) == 37
    # the answer share is computed from the content words: instructor turns' words / all words (titles included)
    words = toks[toks.is_content.astype(bool) & ~toks.is_name.astype(bool)]
    roles = words.merge(booklet.turns[["entry_id", "turn_no", "role"]], on=["entry_id", "turn_no"], how="left").role
    share = (roles.fillna("title") == "instructor").mean()
    assert share > 0.75
    assert cav.text.str.contains(f"约 {share:.0%}").any()


def test_booklet_trend_findings_say_nothing_survives(booklet_findings):
    f, _ = booklet_findings
    tr = f[f.kind == "trend"]
    assert tr.text.str.contains("第1期→第2期：没有一个词的使用").any()
    assert tr.text.str.contains("第2期→第3期：没有一个词的使用").any()
    assert tr.text.str.contains("第2期与第3期的问答没有一个共同的单元").any()
    assert not tr.text.str.contains("问答增多|问答减少").any()


def test_booklet_keyness_finding(booklet_findings):
    f, _ = booklet_findings
    row = f[(f.kind == "keyness") & f.text.str.contains("栏目“系统集成”")].iloc[0]
    # 集成平台 occurs in 10 of the 12 entries of 系统集成 (entries 22–32 region) and in none elsewhere
    assert "集成平台（10/12 条，其余 0/56）" in row.text and row.q_value < 0.001


def test_keyness_finding_says_what_its_counts_count(study):
    """规划 is printed in entries outside 信息规划 that the count leaves out — entries 13 (line 865) and 19 (line 1155)
    of 系统建设 have it only inside 整体规划 — so the run's finding states that its counts are of words as segmented,
    compounds and source notes not counted."""
    f = study.tables["findings"]
    row = f[(f.kind == "keyness") & f.text.str.contains("栏目“信息规划”")].iloc[0]
    tokens = study.tables["tokens"]
    for entry in (13, 19):
        words = set(tokens.token[tokens.entry_id == entry])
        assert "整体规划" in words and "规划" not in words
    assert "规划（6/6 条，其余 5/62）" in row.text
    assert "复合词" in row.caveat and "整体规划" in row.caveat and "出处注记" in row.caveat


def test_reversed_trend_names_the_share_of_which_uses(study):
    """提升 in the booklet's text: cohort 2 uses it once in each of entries 6, 10, 34, 39 (4/16 entries), cohort 3
    in entries 2 (3 times) and 42 (5 times) (2/11): entry 42 alone holds 5 of the 12 uses of the two cohorts, and
    the finding says so of both cohorts' uses, not of cohort 3's (where it would be 5/8)."""
    f = study.tables["findings"]
    row = f[(f.kind == "trend") & f.text.str.contains("“提升”")].iloc[0]
    assert "（4/16 → 2/11）" in row.text
    assert "第 42 条一条就占了两期中它全部词次的 42%" in row.text


def test_term_entries_index_answers_as_a_scan_of_the_tokens():
    """The term → entries index the findings use: entries 1–24 are cohort 1, 25–58 cohort 2 (规划 25–32, 运维
    33–40, 安全 41–48, 标准 49–58); 中台 is in the last four entries of each shared unit of cohort 2, 评价 in
    entries 30, 31, 32."""
    _, tokens, _ = _synthetic()
    index = findings.TermEntries(tokens)
    assert index("中台", range(25, 33)) == [29, 30, 31, 32]
    assert index("中台", range(1, 59)) == [29, 30, 31, 32, 37, 38, 39, 40, 45, 46, 47, 48]
    assert index("评价", {30, 31, 32, 33}) == [30, 31, 32]
    assert index("标准化", range(1, 25)) == []  # cohort 1 never uses it
    assert index("没有这个词", range(1, 59)) == []
    # the same as reading the whole table for each term
    for term in ("中台", "评价", "云计算", "医院"):
        scan = sorted({int(e) for e in tokens.entry_id[tokens.token == term] if 20 <= e <= 40})
        assert index(term, range(20, 41)) == scan
