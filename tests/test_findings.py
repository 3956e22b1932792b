"""Findings carry their statistic and entries; instructor dependence against hand-computed hypergeometric tails."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from corpus_tools import curriculum, findings, network, trends, unitfit
from corpus_tools.text import tokenizer_for, tokens_table

from test_trends_coverage import _synthetic  # the planted-trend corpus


# ---------------------------------------------------------------- instructor dependence (within sessions)

def _dependence_world():
    """12 entries of cohort 1 in 3 sessions (units), 2 topics.

    Unit 1: entries 1–4; topic 0 = 1, 2, 3. Unit 2: entries 5–8, 11, 12; topic 0 = 5. Unit 3: 9, 10 (topic 1).
    S answers 1, 2, 3, 5 (every topic-0 entry, nothing else); H answers 1, 4, 6, 7, 8, 9, 10; X answers 9, 11, 12."""
    answers = {1: ["S", "H"], 2: ["S"], 3: ["S"], 4: ["H"],                      # unit 1
               5: ["S"], 6: ["H"], 7: ["H"], 8: ["H"], 11: ["X"], 12: ["X"],   # unit 2
               9: ["H", "X"], 10: ["H"]}                                        # unit 3
    unit = {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 2, 8: 2, 11: 2, 12: 2, 9: 3, 10: 3}
    topic = {e: 0 if e in (1, 2, 3, 5) else 1 for e in answers}
    ids = sorted(answers)
    entries = pd.DataFrame(dict(entry_id=ids, cohort=1, session_type="unit", unit_no=[unit[e] for e in ids],
                                unit_title=[f"单元{unit[e]}" for e in ids], session_no=pd.NA,
                                answered_by=["、".join(answers[e]) for e in ids]))
    et = pd.DataFrame(dict(entry_id=ids, topic_id=[topic[e] for e in ids], rank=1))
    topics = pd.DataFrame(dict(topic_id=[0, 1], label=["甲", "乙"], size=[4, 8]))
    return entries, et, topics


def test_topic_dependence_within_sessions_by_hand():
    """S answers the 4 topic-0 entries (1, 2, 3 of unit 1; 5 of unit 2) and nothing else.
    Strata (sessions with entries in and out of topic 0): unit 1 (n = 4, 3 in the topic, S answers 3, a = 3) and
    unit 2 (n = 6, 1 in the topic, S answers 1, a = 1); unit 3 has no topic-0 entry.
    Unit 1: a ∈ {2, 3}, P(3) = C(3,3)·C(1,0)/C(4,3) = 1/4, P(2) = 3/4. Unit 2: P(1) = C(1,1)·C(5,0)/C(6,1) = 1/6,
    P(0) = 5/6. Sum: P(2) = 3/4·5/6 = 15/24, P(3) = 1/4·5/6 + 3/4·1/6 = 8/24, P(4) = 1/24 — observed 4, and no
    other sum is as improbable: two-sided p = 1/24 ≈ 0.042 < 0.05, flagged. Expected = 3·3/4 + 1·1/6 = 2.4167.
    Overall: S answers 4 of 12 entries, all 4 of the topic: P = C(4,4)/C(12,4) = 1/495, lift = 1/(4/12) = 3."""
    entries, et, topics = _dependence_world()
    dep = network.topic_dependence(entries, et, topics)
    s = dep[(dep.topic_id == 0) & (dep.instructor == "S")].iloc[0]
    assert (s.k, s.n_entries, s["rank"], s.tie, s.n_sessions, s.session_entries, s.session_k) == (4, 4, 1, False, 2,
                                                                                                10, 4)
    assert s.p_value == pytest.approx(1 / 24) and s.flagged
    assert s.expected == pytest.approx(3 * 3 / 4 + 1 / 6)
    assert s.p_overall == pytest.approx(1 / 495) and s.lift == pytest.approx(3.0)
    assert (s.rest_entries, s.rest_k, s.rest_share) == (6, 0, 0.0)  # S answers none of 4, 6, 7, 8, 11, 12
    # CMH by its formula: E = 9/4 + 1/6 = 29/12, Var = 3·1·3·1/(16·3) + 1·5·1·5/(36·5) = 3/16 + 5/36 = 47/144,
    # |4 − 29/12| − ½ = 13/12; χ² = (13/12)² / (47/144) = 169/47
    from scipy.stats import chi2
    assert s.p_cmh == pytest.approx(chi2.sf(169 / 47, 1))
    # H answers 1 of topic 0 (entry 1) against 3 of 6 … in unit 2: fewer than expected — never flagged
    h = dep[(dep.topic_id == 0) & (dep.instructor == "H")].iloc[0]
    assert h.k == 1 and h.k < h.expected and not h.flagged
    # topic 1 (4, 6–12): H answers 4, 6, 7, 8, 9, 10 (6), X answers 9, 11, 12 (3): ranks 1 and 2, no tie
    t1 = dep[dep.topic_id == 1].set_index("instructor")
    assert (t1.loc["H", "k"], t1.loc["H", "rank"], t1.loc["X", "k"], t1.loc["X", "rank"]) == (6, 1, 3, 2)
    assert not t1.tie.any()
    # the strata the exact test learns from: those where the instructor answers some but not all entries. S: both
    # (unit 1: 3 of 4; unit 2: 1 of 6). X on topic 1 (strata: unit 1 with 4 in the topic, 1–3 out; unit 2 with 6, 7,
    # 8, 11, 12 in, 5 out): X answers none of unit 1 (it tells nothing) and 11, 12 of unit 2
    assert (s.varying_sessions, s.varying_topic_k, s.varying_topic_entries, s.varying_rest_k,
            s.varying_rest_entries) == (2, 4, 4, 0, 6)
    assert s.varying_session_names == "第1期·第1单元 单元1、第1期·第2单元 单元2"  # in course order
    x = t1.loc["X"]
    assert (x.n_sessions, x.varying_sessions, x.varying_session_names) == (2, 1, "第1期·第2单元 单元2")
    assert (x.varying_topic_k, x.varying_topic_entries, x.varying_rest_k, x.varying_rest_entries) == (2, 5, 0, 1)
    from scipy.stats import false_discovery_control
    ok = dep.p_value.notna()
    assert dep.q_value[ok].to_numpy() == pytest.approx(false_discovery_control(dep.p_value[ok].to_numpy(), method="bh"))


def test_dependence_ties_stay_ties():
    """Two instructors answering the same number of a topic's entries share rank 1 and both carry ``tie``."""
    entries, et, topics = _dependence_world()
    entries.loc[entries.entry_id == 10, "answered_by"] = "H、X"  # X: 9, 10, 11, 12 → 4 of topic 1; H: 9, 10 + 4, 6, 7, 8
    dep = network.topic_dependence(entries, et, topics)
    t1 = dep[dep.topic_id == 1].set_index("instructor")
    # topic 1 = 4, 6, 7, 8, 9, 10, 11, 12: H answers 4, 6, 7, 8, 9, 10 (6), X answers 9, 10, 11, 12 (4)
    assert t1.loc["H", "k"] == 6 and t1.loc["H", "rank"] == 1
    entries.loc[entries.entry_id == 4, "answered_by"] = "S"
    entries.loc[entries.entry_id == 6, "answered_by"] = "S"
    dep = network.topic_dependence(entries, et, topics)
    t1 = dep[dep.topic_id == 1].set_index("instructor")
    assert t1.loc["H", "k"] == 4 and t1.loc["X", "k"] == 4
    assert t1.loc["H", "rank"] == t1.loc["X", "rank"] == 1 and t1.loc["H", "tie"] and t1.loc["X", "tie"]


def test_dependence_findings_name_the_entries():
    entries, et, topics = _dependence_world()
    dep = network.topic_dependence(entries, et, topics)
    rows = pd.DataFrame(findings.dependence_findings(dep, entries, et))
    s = rows[rows.text.str.contains("“甲”") & rows.text.str.contains("S作答")].iloc[0]
    assert s.entry_ids == "1,2,3,5" and s.p_value == pytest.approx(1 / 24)
    assert "S作答该主题的 4/4 条、其余问题的 0/6 条（0%）" in s.text  # others: entries 4, 6, 7, 8, 11, 12
    assert "S作答 4 条（100%：第 1 条、第 2 条、第 3 条、第 5 条）" in s.text  # which entries (no titles here)
    assert "3 条只有他/她作答" in s.caveat  # 2, 3, 5; entry 1 is answered with H
    # a flag whose q is ≤ 0.05 says "depends"; one whose q is above says it is not significant after correction
    claims = "这个主题依赖这位教员，不只是因为"
    assert (claims in s.text) == (s.q_value <= 0.05)
    assert (f"q = {s.q_value:.3f} > 0.05，不显著" in s.text) == (s.q_value > 0.05)


def test_booklet_dependence_within_sessions(study):
    """Read from the booklet. 刘新平 answers in 7 entries: 16 (l.1015), 38 (l.2385), 56 (l.3452), 58 (l.3522),
    60 (l.3615), 67 (l.4072), 68 (l.4125). The operations topic (the one holding 56, 58, 60, 67, 68) comes, for
    his entries, from 第1期第6单元 (entries 40, 56, 58, 59, 64, 68; source notes l.3468 …) and 第1期第5单元 (36, 41,
    50, 60, 63, 67); he answers none of 40, 59, 64 nor 36, 41, 50, 63. The topic's other sessions he never
    answers in (0 in every table: no variation). Unit 6: 3 of 6 entries in the topic, he answers 3 (a = 3):
    P(a) = C(3,a)·C(3,3−a)/20 = 1, 9, 9, 1 (/20); unit 5: 2 of 6 in the topic, he answers 2 (a = 2):
    P(a) = C(2,a)·C(4,2−a)/15 = 6, 8, 1 (/15). Sum of the two (/300): 6, 62, 127, 87, 17, 1 for 0 … 5. Observed 5:
    two-sided p = 1/300 ≈ 0.0033 < 0.05: flagged, though he answers fewer than half the topic (the old rule).

    集成平台: 薛万国 answers 11 of the 12 entries of the integration topic (22–32; entry 16, l.1015, is 刘新平's).
    Its sessions: 第1期第4单元 (23, 25, 31, 32 in the topic, 49 not; he answers all 5 — no variation), 第1期第11单元
    (22, 24, 26, 27, 29, 30 in, 14 and 21 out; he answers 7 of 8, not 14, l.924–963), 第2期第4单元 (28 in; 11, 45,
    47, 48, 54 out; he answers all but 47), 第2期第5单元 (16 in; 6, 18, 38 out; he answers none). Unit 11: n 8, 6 in,
    he answers 7, a = 6: P(6) = C(7,6)/C(8,6) = 7/28, P(5) = 21/28. Cohort 2 unit 4: n 6, 1 in, he answers 5:
    P(1) = 5/6, P(0) = 1/6. Sum 7: 7/28·5/6 = 35/168; 6: 21/28·5/6 + 7/28·1/6 = 112/168; 5: 21/168. Two-sided
    p = (35 + 21)/168 = 1/3: not significant within sessions, though overall p < 0.01."""
    dep = study.tables["topic_dependence"]
    et = study.tables["entry_topics"]
    first = et[et["rank"] == 1].set_index("entry_id").topic_id
    ops = int(first[60])
    assert {int(first[e]) for e in (56, 58, 60, 67, 68)} == {ops}
    liu = dep[(dep.topic_id == ops) & (dep.instructor == "刘新平")].iloc[0]
    assert liu.k == 5 and liu.share < 0.5
    assert liu.p_value == pytest.approx(1 / 300) and liu.flagged
    integ = int(first[22])
    assert {int(first[e]) for e in range(22, 33)} == {integ}
    assert set(first.index[first == integ]) == set(range(22, 33)) | {16}
    xue = dep[(dep.topic_id == integ) & (dep.instructor == "薛万国")].iloc[0]
    assert (xue.k, xue.n_entries) == (11, 12) and xue.p_overall < 0.01
    assert xue.p_value == pytest.approx(1 / 3) and not xue.flagged
    f = study.tables["findings"]
    dep_rows = f[f.kind == "dependence"]
    assert dep_rows.text.str.contains("刘新平作答 5 条").any()
    # flagged at p = 1/300, but BH over every tested (topic, instructor) pair gives q > 0.05: the sentence states
    # q and does not say the topic depends on him
    liu_row = dep_rows[dep_rows.text.str.contains("刘新平作答 5 条")].iloc[0]
    assert liu.q_value > 0.05 and f"q = {liu.q_value:.3f} > 0.05，不显著" in liu_row.text
    assert "这个主题依赖这位教员，不只是因为" not in liu_row.text and "不能据此说这个主题依赖这位教员" in liu_row.text
    # p printed with three significant digits, so that q = 32 × p can be checked (r10: "0.003" could not)
    assert "课次之内的差异单看显著（p = 0.00333）" in liu_row.text and liu.q_value == pytest.approx(
        liu.p_value * int(dep.p_value.notna().sum()))
    # of his 6 sessions, he answers in 2 (units 5 and 6 of 第1期: some entries, not all); the other 4 tell the
    # test nothing: the evidence is those two sessions, 5/5 of the topic's entries and 0/7 of the others (r10)
    assert ("其中只有 2 个课次（第1期·第5单元 信息化建设与项目管理、第1期·第6单元 运维服务管理）刘新平作答了部分而非全部问答，"
            "检验的证据只来自这 2 个课次：该主题 5/5 条、其余问题 0/7 条") in liu_row.text
    # the sentence says what his five entries ask (titles: l.3421, 3508, 3599, 4064, 4114): IT operations, which
    # the topic's label (its words, e.g. 网络) may not convey (r9)
    assert ("刘新平作答 5 条（45%：第 56 条“IT 运维服务台用总调度模式还是双调度模式好？”、第 58 条“工单登记率很低，"
            "怎么办？”、第 60 条“医院 IT“预支费用、分季度采购”的技术服务模式，具体是怎样的？”、第 67 条“医院“信息查房”"
            "应如何实践？”、第 68 条“医院信息资产盘点怎么做效率更高？”；第 67 条的学员在提问里点了刘新平的名）") in liu_row.text
    # l.4068 曹坤: “能否请刘新平老师介绍一下信息查房的具体做法？” — a question put to him (r13); and l.3788 方卫青
    # asks “王力华老师，每月的考核标准应如何形成？” in entry 62, one of 王力华's four
    wang = dep_rows[dep_rows.text.str.contains("王力华作答 4 条")]
    assert len(wang) == 1 and "；第 62 条的学员在提问里点了王力华的名）" in wang.iloc[0].text
    seeming = dep_rows[dep_rows.text.str.contains(r"薛万国作答 11 条（第 22 条“如何界定各类信息标准的应用场景？”、.*"
                                                  r"……等 11 条），看似依赖")]
    # 4 sessions: 5 + 8 + 6 + 4 entries, 12 of the topic (he answers 11), 11 others (he answers 49, 21, 11, 45, 48, 54)
    assert len(seeming) == 1 and "薛万国作答该主题的 11/12 条、其余问题的 6/11 条（55%）" in seeming.iloc[0].text
    # he answers every entry of 第1期第4单元 and none of 第2期第5单元: the evidence is unit 11 (6/6 of the topic, 21
    # but not 14 of the others) and 第2期第4单元 (28; 4 of 5 others): 7/7 against 5/7, the dependence's direction,
    # but too few to tell — the sentence neither clears him nor claims it (r10 read the old one as a clearance)
    text = seeming.iloc[0].text
    assert ("其中只有 2 个课次（第1期·第11单元 医学信息标准、第2期·第4单元 医院信息系统架构治理）薛万国作答了部分而非全部问答，"
            "检验的证据只来自这 2 个课次：该主题 7/7 条、其余问题 5/7 条。同一课次之内比较，差异不显著（p = 0.333），"
            "方向与依赖一致，但可比较的问答太少。") in text
    assert "既不能说这个主题依赖这位教员，也不能排除" in text and "可以由他/她在哪些单元答疑来解释" not in text


def test_specialisation_needs_three_entries():
    """10 entries, 3 topics: host H answers 6 (2 in topic 0, 1 in topic 1, 3 in topic 2), S the 3 of topic 0,
    X and Y 2 each of topic 1, Z one of topic 2."""
    answers = {1: ["S", "H"], 2: ["S", "H"], 3: ["S"], 4: ["X", "H"], 5: ["X"], 6: ["Y"], 7: ["Y"],
               8: ["H"], 9: ["H"], 10: ["H", "Z"]}
    topic = {e: (0 if e <= 3 else 1 if e <= 7 else 2) for e in answers}
    turns = pd.DataFrame([dict(entry_id=e, turn_no=k + 2, speaker=s, role="instructor", text="答" * 10)
                          for e, names in answers.items() for k, s in enumerate(names)])
    et = pd.DataFrame(dict(entry_id=list(topic), topic_id=list(topic.values()), rank=1))
    topics = pd.DataFrame(dict(topic_id=[0, 1, 2], label=["甲", "乙", "丙"], size=[3, 4, 3]))
    G = network.instructor_topic(turns, et, topics)
    spec = network.specialisation(G, 3).set_index("instructor")
    assert set(spec.index) == {"H", "S"}  # X, Y (2 entries) and Z (1) are left out
    assert spec.loc["S", "specialisation"] == pytest.approx(1.0)
    p = [2 / 6, 1 / 6, 3 / 6]
    assert spec.loc["H", "entropy"] == pytest.approx(-sum(x * math.log(x) for x in p) / math.log(3))


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
    # the preface says he took part in reviewing every cohort's Q&A (l.17–19), not that he chaired: the sentence
    # says what the entries show. 16 sessions have entries (8 units of 第一期, 5 of 第二期, 2 units and a discussion
    # class of 第三期); he answers in none of 第一期 第7单元 (17, 52, 53, 55), 第10单元 (13, 43, 46) and 第二期
    # 第5单元 (6, 16, 18, 38). Next after him: 衡反修 in 10 entries (3, 4, 5, 10, 19, 35, 37, 44, 51, 57; e.g. l.215)
    text = host.iloc[0].text
    assert "主持" not in text and "（作答次多的教员 10 条），有问答入册的 16 个课次中 13 个有他/她的回答" in text
    # the answer share is computed from the content words: instructor turns' words / all words (titles included)
    words = toks[toks.is_content.astype(bool) & ~toks.is_name.astype(bool)]
    roles = words.merge(booklet.turns[["entry_id", "turn_no", "role"]], on=["entry_id", "turn_no"], how="left").role
    share = (roles.fillna("title") == "instructor").mean()
    assert share > 0.75
    assert cav.text.str.contains(f"约 {share:.0%}").any()


def test_booklet_trend_findings_say_nothing_survives(booklet_findings):
    """Cohort 1 has units 3–7, 10–12, cohort 2 units 1–5, cohort 3 units 1–2 and a discussion class (source notes);
    units 3, 4, 5 carry the same titles in cohorts 1 and 2, cohorts 2 and 3 share no title."""
    f, _ = booklet_findings
    tr = f[f.kind == "trend"]
    one_two = tr[tr.text.str.contains("第1期→第2期：没有一个词的使用")]
    assert len(one_two) == 1
    # no power is not "no change" (r12 read "两期关心的话题看不出可靠的增减" as stable interests)
    assert "这不说明两期关心的话题没有变化" in one_two.iloc[0].text and "看不出可靠的增减" not in one_two.iloc[0].text
    # …and how much of each cohort they hold: units 3, 4, 5 gave 4 + 5 + 6 of 第1期's 41 entries and 2 + 6 + 4 of
    # 第2期's 16 (source notes; r10 asked for the base of the comparison)
    assert ("第1期与第2期都有问答入册的单元只有第3、4、5单元（信息规划与系统设计方法、医院信息系统架构治理、信息化建设与项目管理）"
            "（第1期 41 条中 15 条、第2期 16 条中 12 条问答来自这些单元）" in one_two.iloc[0].text)
    # 2 → 3 share no unit: no "nothing changed" row (a contrast that cannot be drawn), only the reason; its tests
    # are still in the table and in the correction, and the row says so (it said "不检验" before: r9)
    assert not tr.text.str.contains("第2期→第3期：没有一个词的使用").any()
    assert tr.text.str.contains("第2期与第3期的问答没有一个共同的单元（按单元标题比较）.*不据此判断.*仍列在表中，并计入多重检验校正",
                                regex=True).any()
    assert not tr.text.str.contains("问答增多|问答减少").any()
    # the statistic names the tests its q corrects for, so that a reader can check it: a cold reader (r9) found
    # the smallest q (0.659) larger than 402 tests × the smallest p (0.0012) allow, since q corrects for both
    # cohort pairs' tests together
    stat = one_two.iloc[0].statistic
    m = re.search(r"检验 (\d+) 个词.*按相邻各期之间的全部 (\d+) 次检验（第1期→第2期 (\d+) 个、第2期→第3期 (\d+) 个）一起校正"
                  r"；最小 p = ([\d.]+)，最小 q（校正后的显著性） = ([\d.]+)", stat)
    assert m, stat
    n12, total, n12_again, n23 = (int(m.group(i)) for i in range(1, 5))
    p_min, q_min = float(m.group(5)), float(m.group(6))
    assert n12 == n12_again and total == n12 + n23 and n23 > 0
    assert p_min * n12 < q_min <= p_min * total * 1.01  # 1 %: the rounding of the printed p


def test_booklet_keyness_finding(booklet_findings):
    """系统集成 is entries 21–32; 消息 is printed in entries 24, 26, 27, 29, 30, 31, 32 (l.1478, 1633, 1758, 1843, 1899,
    1933, 1968 …) and in no other entry: 7/12 and 0/56. 集成平台 (10/12, 0/56) restates the section's name (系统集成,
    sharing 集成) and is not listed."""
    f, _ = booklet_findings
    row = f[(f.kind == "keyness") & f.text.str.contains("栏目“系统集成”")].iloc[0]
    assert "消息（7/12 条，其余 0/56）" in row.text and row.q_value < 0.01
    # words used more, not words of the section alone: 接口 is printed in 8 entries outside it (7, 9, 12, 17, 33,
    # 37, 45, 54: l.466, 544, 793, 1082, 2049, 2346, 2847, 3318), so the sentence does not call them "特有"
    assert "接口（11/12 条，其余 8/56）" in row.text
    assert row.text.startswith("栏目“系统集成”的问答比其余栏目明显多用的词：") and "特有" not in row.text
    assert "集成平台" not in row.text and "集成（" not in row.text
    # whose word: in 24 (刘海一 l.1478, 薛万国 l.1511), 27 (薛万国 l.1758) and 30 (邱明辉 l.1899) only an instructor
    # says 消息; in 26 (l.1633) and 29 (l.1843) the trainee does, in 31 and 32 the title (l.1933, l.1983). Every
    # entry of the section is answered by 薛万国 (r11): its words may be his — with others in 21, 22, 24, 28 and 30
    # (r12: "都由薛万国作答" read as his alone). 7 of the 12 are 第1期第11单元 医学信息标准 (21, 22, 24, 26, 27, 29, 30)
    assert "“消息”的 7 条中 3 条只出现在教员的回答里，标题和学员的发言里没有" in row.caveat
    assert "本栏目 12 条都有薛万国作答（其中 5 条另有其他教员）：多用的词也可能是他/她的用词。" in row.caveat
    assert "本栏目 12 条中 7 条来自第1期·第11单元 医学信息标准。" in row.caveat


def test_keyness_leaves_out_the_sections_own_name(study):
    """信息规划 is entries 1–6. 战略 is printed in entries 1 (l.71), 2, 3 and 5 and in no other entry (4/6, 0/62); 规划
    is in all six but is the section's own name, so the run's finding lists 战略 and not 规划."""
    f = study.tables["findings"]
    row = f[(f.kind == "keyness") & f.text.str.contains("栏目“信息规划”")].iloc[0]
    # 战略 is the instructors' word: l.71 (entry 1), 161 (2), 227 … (3), 351 (5) are all in answers (r12)
    assert "战略（4/6 条，其余 0/62；都只出现在教员的回答里）" in row.text and "规划（" not in row.text
    # entries 1–5 are 第三期 (source notes l.92, 198, 293, 339, 386), entry 6 第二期 (l.438): the four entries with
    # 战略 are all cohort 3, as are five of the section's six — section and cohort cannot be told apart here
    assert "使用“战略”的 4 条都来自第3期，本栏目 6 条中 5 条来自第3期：栏目与期次在这里分不开。" in row.caveat
    assert "复合词" in row.caveat and "与栏目名称重复的词" in row.caveat


def test_restates_name():
    assert findings.restates_name("规划", "信息规划")
    assert findings.restates_name("集成平台", "系统集成")  # share 集成
    assert findings.restates_name("标准", "第1期·第11单元 医学信息标准")
    assert not findings.restates_name("单元", "第1期·第11单元 医学信息标准")  # the label's prefix is not the name
    assert not findings.restates_name("战略", "信息规划") and not findings.restates_name("消息", "系统集成")


def test_token_count_warnings_only_where_a_reader_would_draw_them(study):
    """提升 in the booklet's text: cohort 2 uses it once in each of entries 6, 10, 34, 39 (4/16 entries), cohort 3
    in entries 2 (3 times) and 42 (5 times) (2/11); 医嘱: cohort 1 4/41 entries, cohort 2 2/16. Their token counts
    move against the entry shares, but the token-level G² (3.6 and 3.8) is below 3.84 (p > 0.05): nobody would read a
    trend into them, so no "只看词次会误读" warning is printed for them."""
    f = study.tables["findings"]
    ef = study.tables["emerging_fading_terms"]
    warned = f[(f.kind == "trend") & f.text.str.contains("只看词次会误读")]
    for term in ("提升", "医嘱"):
        g2 = ef[ef.term == term].g2_tokens.max()
        assert 3.5 < g2 < 3.841
        assert not warned.text.str.contains(f"“{term}”").any()
    for r in warned.itertuples():  # any warning left is about a significant token-level difference
        assert float(r.statistic.split("G² = ")[1].split("（")[0]) >= 3.841


def test_a_comparison_without_power_says_so():
    """Two cohorts of 3 entries sharing one unit: the smallest p Fisher's test can give 3 vs 3 entries is 0.1, so no
    term can ever be called — the finding says the comparison has no power instead of "no change"."""
    rows, entries = [], []
    for e in range(1, 7):
        entries.append(dict(entry_id=e, cohort=1 if e <= 3 else 2, section="甲", session_type="unit", unit_no=1,
                            unit_title="规划"))
        rows += [(e, 1, 0, "医院"), (e, 1, 1, "系统" if e % 2 else "平台"), (e, 1, 2, "数据" if e < 5 else "网络")]
    tokens = pd.DataFrame(rows, columns=["entry_id", "turn_no", "token_no", "token"])
    entries = pd.DataFrame(entries)
    ef = trends.emerging_fading(tokens, entries)
    out = pd.DataFrame(findings.trend_findings(ef, entries, tokens))
    assert out.text.str.contains("没有检出能力").any()
    assert not out.text.str.contains("没有一个词的使用").any()
    assert out.statistic.str.contains("最小 p = 0.1").any()


def test_findings_are_ordered_for_a_designer(study):
    """Actionable kinds first (unit fit, dependence, code shares), description after, caveats last."""
    f = study.tables["findings"]
    ranks = [findings.kind_rank(k) for k in f.kind]
    assert ranks == sorted(ranks)
    assert f.kind.iloc[-1] == "caveat" and f.kind.iloc[0] != "caveat"
    assert findings.kind_rank("a_new_kind") < findings.kind_rank("trend")  # an unlisted kind counts as actionable


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


def test_the_most_asked_unit_and_the_most_asked_course(study, booklet):
    """One cohort's unit: 第1期第11单元“医学信息标准”, 8 source notes (“来源于第一期培训班第 11 单元”). A course taught
    in two cohorts draws more in all (a cold reader, r15): “医院信息系统架构治理”, 第一期第 4 单元 5 notes
    (l.1451, 1620, 1980, 2029, 3119) and 第二期第 4 单元 6 (l.770, 1834, 2855, 2996, 3081, 3355), 11 together."""
    f = study.tables["findings"]
    row = f[f.text.str.startswith("入册问答最多的单元")].iloc[0]
    assert row.text == ("入册问答最多的单元是第1期第11单元“医学信息标准”（8 条）。按课程计（各期同名的单元合并），最多的是"
                        "“医院信息系统架构治理”：第1期第4单元 5 条、第2期第4单元 6 条，共 11 条。")
    assert row.statistic == "8/68 条；“医院信息系统架构治理”11/68 条"
    e = booklet.entries.set_index("entry_id")
    ids = [int(i) for i in row.entry_ids.split(",")]
    course = [i for i in ids if e.unit_title[i] == "医院信息系统架构治理"]
    assert len(ids) == 19 and len(course) == 11 and set(e.cohort[course]) == {1, 2}
    # without a course taught more than its biggest unit, the sentence stops after the unit
    units = pd.DataFrame({"cohort": [1, 2], "unit_no": [1, 1], "unit_title": ["甲", "甲"], "n_entries": [5, 1],
                          "session_type": ["unit", "unit"]})
    title, taught, n = findings._most_asked_course(units, 5)
    assert (title, n, list(taught.cohort)) == ("甲", 6, [1, 2])
    assert findings._most_asked_course(units, 6) is None
