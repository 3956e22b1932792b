"""The share of each code by cohort: Wilson intervals, the trend across cohorts, the trend within shared units."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from corpus_tools import codeshare, findings


def test_wilson_interval_by_its_formula():
    """Wilson: (k + z²/2)/(n + z²) ± z/(n + z²)·√(k(n − k)/n + z²/4), z = 1.959964 for 95 %. k = 1, n = 41:
    centre = 2.920729/44.841459 = 0.065134, half = 0.043709·√(0.975610 + 0.960372) = 0.060818 → 0.0043–0.1260."""
    lo, hi = codeshare.wilson_interval(1, 41)
    assert lo == pytest.approx(0.00432, abs=5e-5) and hi == pytest.approx(0.12595, abs=5e-5)
    z = 1.959963984540054
    for k, n in ((0, 10), (5, 11), (11, 11)):
        c = (k + z * z / 2) / (n + z * z)
        h = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
        assert codeshare.wilson_interval(k, n) == pytest.approx((max(0.0, c - h), min(1.0, c + h)))
    assert all(math.isnan(x) for x in codeshare.wilson_interval(0, 0))


def _world():
    """Cohort 1: units 规划 (entries 1–4) and 运维 (5–8); cohort 2: 规划 (9–12) and 安全 (13–16). Code A matches
    1, 9, 10, 13, 14, 15 (1/8 → 5/8); code B matches 2, 3, 11 (2/8 → 1/8)."""
    unit = {**{e: "规划" for e in (1, 2, 3, 4, 9, 10, 11, 12)}, **{e: "运维" for e in (5, 6, 7, 8)},
            **{e: "安全" for e in (13, 14, 15, 16)}}
    ids = list(range(1, 17))
    entries = pd.DataFrame(dict(entry_id=ids, cohort=[1 if e <= 8 else 2 for e in ids], session_type="unit",
                                unit_no=[{"规划": 1, "运维": 2, "安全": 3}[unit[e]] for e in ids],
                                unit_title=[unit[e] for e in ids]))
    codes = pd.DataFrame(dict(entry_id=ids, A=[e in (1, 9, 10, 13, 14, 15) for e in ids],
                              B=[e in (2, 3, 11) for e in ids]))
    return entries, codes


def test_number_ranges():
    assert findings._number_ranges([12, 3, 4, 5, 7, 10, 11, 3]) == "3–5、7、10–12"
    assert findings._number_ranges([2]) == "2" and findings._number_ranges([]) == ""


def test_code_share_by_cohort_by_hand():
    entries, codes = _world()
    t = codeshare.code_share_by_cohort(codes, entries)
    a = t[t.code == "A"].set_index("cohort")
    assert (a.loc[1, "n_code"], a.loc[1, "n_entries"], a.loc[2, "n_code"]) == (1, 8, 5)
    assert a.loc[2, "share"] == pytest.approx(5 / 8)
    assert (a.loc[2, "ci_low"], a.loc[2, "ci_high"]) == pytest.approx(codeshare.wilson_interval(5, 8))
    # two cohorts: the trend test is Pearson's χ² of [[1, 7], [5, 3]]: χ² = 16·(1·3 − 7·5)²/(8·8·6·10) = 4.2667
    assert a.loc[1, "trend_z"] ** 2 == pytest.approx(16 * (1 * 3 - 7 * 5) ** 2 / (8 * 8 * 6 * 10))
    assert a.loc[1, "trend_z"] > 0
    # within the shared unit 规划 only (1–4 vs 9–12): A is in 1 of 4, then 2 of 4: N = 8, R = 3, Σnt = 4 + 8 = 12,
    # Σnt² = 4 + 16 = 20, T = 1 + 4 = 5, E = 3·12/8 = 4.5, V = 3·5·(8·20 − 144)/(64·7) = 240/448; z = 0.5/√(15/28)
    assert a.loc[1, "within_units_z"] == pytest.approx(0.5 / math.sqrt(240 / 448))
    assert set(t.shared_units) == {"规划"}
    from scipy.stats import false_discovery_control
    per = t.drop_duplicates("code")
    assert per.trend_q.to_numpy() == pytest.approx(false_discovery_control(per.trend_p.to_numpy(), method="bh"))


def test_code_share_findings_state_the_units():
    entries, codes = _world()
    t = codeshare.code_share_by_cohort(codes[["entry_id", "A"]], entries)  # one code: q = p
    rows = pd.DataFrame(findings.code_share_findings(t, entries, codes, alpha=0.05))
    a = rows[rows.text.str.contains("“A”")].iloc[0]  # p = P(χ²₁ ≥ 4.27) = 0.039
    assert "第1期 1/8" in a.text and "第2期 5/8" in a.text and "逐期上升" in a.text
    assert a.entry_ids == "1,9,10,13,14,15"
    assert "第1期与第2期都有问答入册的单元只有第1单元（规划）" in a.caveat
    assert "只看第1期与第2期共有的单元（第1单元（规划））" in a.statistic


def test_a_code_is_called_rising_only_when_its_q_is_small():
    """With codes A and B, A's p = 0.039 but BH q = 2 · 0.039 = 0.078 > 0.05: no rise is claimed; A goes with the
    codes without a significant trend, its p and q stated."""
    entries, codes = _world()
    t = codeshare.code_share_by_cohort(codes, entries)
    a = t[t.code == "A"].iloc[0]
    assert a.trend_p < 0.05 < a.trend_q
    rows = pd.DataFrame(findings.code_share_findings(t, entries, codes, alpha=0.05))
    assert not rows.text.str.contains("占比逐期|占比总体").any()
    rest = rows[rows.text.str.contains("其余 2 个编码（A、B）")].iloc[0]
    assert "q 都 > 0.05" in rest.text and f"“A” p = {a.trend_p:.3f}，校正后 q = {a.trend_q:.3f}" in rest.statistic


def test_within_unit_sentence_names_the_cohorts_the_shared_units_cover():
    """Three cohorts; the shared unit 规划 is in cohorts 1 and 2 only (cohort 3 asks in 网络): the sentence says
    so, and that the change to cohort 3 cannot be checked within units."""
    entries, codes = _world()
    e3 = pd.DataFrame(dict(entry_id=range(17, 25), cohort=3, session_type="unit", unit_no=4, unit_title="网络"))
    entries = pd.concat([entries, e3], ignore_index=True)
    codes = pd.concat([codes[["entry_id", "A"]], pd.DataFrame(dict(entry_id=range(17, 25), A=True))],
                      ignore_index=True)
    t = codeshare.code_share_by_cohort(codes, entries)
    rows = pd.DataFrame(findings.code_share_findings(t, entries, codes, alpha=0.05))
    a = rows[rows.text.str.contains("“A”")].iloc[0]
    assert "只看第1期与第2期共有的单元" in a.statistic and "第3期没有这些单元的问答" in a.statistic
    assert "到第3期的变化无法在单元之内检验" in a.caveat
    # the headline itself says the change to cohort 3 goes with its own unit (网络, unit 4), which no other cohort has
    assert "到第3期的变化与入册的单元分不开：第3期的问答只来自第4单元“网络”，没有一个单元与其他期相同（按单元标题比较）。" in a.text
    assert a.text.endswith("这一升降不能直接当作学员关注点的变化。")
    # cohorts 1 and 2 share 规划: with two cohorts the headline carries no such clause
    two = pd.DataFrame(findings.code_share_findings(codeshare.code_share_by_cohort(codes[codes.entry_id <= 16],
                                                                                   entries[entries.cohort < 3]),
                                                    entries[entries.cohort < 3], codes, alpha=0.05))
    assert "分不开" not in two[two.text.str.contains("“A”")].iloc[0].text


def test_run_code_share_is_the_code_table_counted(study):
    """The run's table counts the run's code table by cohort. Cohort sizes from the source notes: 41 entries of
    第一期, 16 of 第二期, 11 of 第三期 (e.g. l.963 第一期 … 第 11 单元; l.1051 第二期 … 第 5 单元)."""
    t = study.tables["code_share_by_cohort"]
    ce = study.tables["code_entries"]
    e = study.booklet.entries
    assert dict(t.drop_duplicates("cohort").set_index("cohort").n_entries) == {1: 41, 2: 16, 3: 11}
    cohort = dict(zip(e.entry_id, e.cohort))
    for r in t.itertuples():
        hit = ce.entry_id[ce[r.code].astype(bool)]
        assert r.n_code == sum(1 for i in hit if cohort[int(i)] == r.cohort)
    # every code-share finding that claims a trend rests on the code's entries and states the shared units
    f = study.tables["findings"]
    for r in f[(f.kind == "code_share") & f.text.str.contains("占比逐期|占比总体")].itertuples():
        code = r.text.split("”")[0].lstrip("“")
        assert r.entry_ids == ",".join(str(int(i)) for i in sorted(ce.entry_id[ce[code].astype(bool)]))
        assert "第1期与第2期都有问答入册的单元只有第3、4、5单元" in r.caveat and "第2期与第3期的问答没有来自同一单元的" in r.caveat
        # the part of the course each cohort's entries come from (source notes: 第一期 units 3–7, 10–12, e.g. l.963
        # 第 11 单元; 第二期 units 1–5, l.2183 第 1 单元; 第三期 units 1–2, l.198, l.92, and three discussion classes,
        # l.293, l.386, l.2370)
        assert ("各期问答所在的单元：第1期第3–7、10–12单元，第2期第1–5单元，第3期第1–2单元和答疑讨论课（3 条）。"
                in r.caveat)
        # only codes with q ≤ 0.05 are called rising/falling (运维服务: p = 0.047, q = 0.126 is not); units 3–5
        # are shared by cohorts 1 and 2 only (cohort 3: 第1、2单元 and the discussion class, e.g. l.104, l.3169)
        assert r.q_value <= 0.05 and "第3期没有这些单元的问答" in r.statistic and "只看第1期与第2期共有的单元" in r.statistic
        # the headline says that the change to cohort 3 goes with its units: its 11 entries come from 第1单元
        # (l.198 第三期培训班第 1 单元“信息中心组织与管理”), 第2单元 (l.92 “医院信息规划”) and discussion classes
        # (l.293 第一次答疑讨论课); cohort 2's units 1 and 2 bear other titles (l.2183 领导力与团队建设, l.2099 医院 IT 治理)
        assert ("到第3期的变化与入册的单元分不开：第3期的问答只来自第1单元“信息中心组织与管理”、"
                "第2单元“医院信息规划”和答疑讨论课，没有一个单元与其他期相同（按单元标题比较）。") in r.text
        # … and that without cohort 1 neither trend holds (the p of test_a_trend_that_rests_on_one_cohort_says_so
        # for 信息规划's 1/41, 3/16, 6/11): the headline says it is not a change of interest
        assert "去掉第1期后不再显著（p = " in r.text and r.text.endswith("这一升降不能直接当作学员关注点的变化。")
        shares = t[t.code == code].sort_values("cohort")
        for x in shares.itertuples():
            assert f"第{int(x.cohort)}期 {int(x.n_code)}/{int(x.n_entries)}（{x.share:.0%}" in r.text
    # 集成与标准: 8 of cohort 1's 41 entries come from 第11单元“医学信息标准” (source notes of entries 14, 21, 22,
    # 24, 26, 27, 29, 30, e.g. l.963), a unit no other cohort has entries of
    down = f[(f.kind == "code_share") & f.text.str.contains("“集成与标准”")].iloc[0]
    assert "第1期第11单元“医学信息标准”8/41 条（其他期没有这一单元的问答）" in down.caveat
    assert "第1期第3单元“信息规划与系统设计方法”4/41 条、" in f[f.text.str.contains("“信息规划”")].iloc[0].caveat
    per = t.drop_duplicates("code")
    rest = f[(f.kind == "code_share") & f.text.str.startswith("其余")].iloc[0]
    assert set(per.code[per.trend_q > 0.05]) == set(rest.text.split("（")[1].split("）")[0].split("、"))
    # 运维服务 (p = 0.047, q = 0.126): cohort 1's 第6单元“运维服务管理” gave 6 entries (40, 56, 58, 59, 64, 68; e.g.
    # the source notes at l.2546, 3466, 3559, 3594, 3964, 4152) and no other cohort has that unit — the rest row says its nominal change
    # goes with the units too
    assert ("“运维服务”的名义变化（p < 0.05）也与入册单元有关：标题含这一领域名称的单元是第1期第6单元“运维服务管理”"
            "6/41 条（其他期没有这一单元的问答）。") in rest.caveat


def test_a_trend_that_rests_on_one_cohort_says_so():
    """The booklet's 信息规划 shape: 1 of 41, 3 of 16, 6 of 11. Without cohort 1 the test is Pearson's of 3/16 vs 6/11:
    pooled 9/27, z = (6/11 − 3/16)/√(1/3 · 2/3 · (1/16 + 1/11)) = 0.35795/0.18463 = 1.939, p = 0.0525 > 0.05 —
    without cohort 2 (1/41 vs 6/11) and cohort 3 (1/41 vs 3/16) it stays significant. The finding names cohort 1."""
    ids = list(range(1, 69))
    cohort = [1] * 41 + [2] * 16 + [3] * 11
    entries = pd.DataFrame(dict(entry_id=ids, cohort=cohort, session_type="unit", unit_no=1, unit_title="规划"))
    hit = {1} | {42, 43, 44} | {58, 59, 60, 61, 62, 63}
    codes = pd.DataFrame(dict(entry_id=ids, A=[e in hit for e in ids]))
    t = codeshare.code_share_by_cohort(codes, entries)
    g = t[t.code == "A"].sort_values("cohort")
    cohort_left, p = findings._leave_one_cohort_out(g, float(g.trend_z.iloc[0]))
    assert cohort_left == 1 and p == pytest.approx(0.0525, abs=5e-4)
    rows = pd.DataFrame(findings.code_share_findings(t, entries, codes, alpha=0.05))
    a = rows[rows.text.str.contains("“A”")].iloc[0]
    assert "逐期上升" in a.text and "去掉第1期（41 条问答）后 p = 0.05" in a.caveat and "不再显著" in a.caveat
    assert "去掉第1期后不再显著（p = 0.05" in a.text and "不能直接当作学员关注点的变化" in a.text


def test_run_cohort_trend_row_names_each_unstable_trend(study):
    """The run says no term rises steadily across the three cohorts, and names each term with q ≤ 0.05 and why it
    does not hold. The 信息规划 code (1/41, 3/16, 6/11, by the code table) is reported once, by the code-share row,
    which says it loses significance without cohort 1 — the cohort-trend row names no code."""
    f = study.tables["findings"]
    row = f[f.kind == "cohort_trend"].iloc[0]
    ct = study.tables["cohort_trends"]
    near = ct[(ct.q_value <= 0.05) & (ct.kind == "term")]
    assert f"{len(near)} 个词 q ≤ 0.05" in row.text and "没有一个词的问答占比随期次的升降经得起检查" in row.text
    for x in near.itertuples():
        assert f"“{x.term}”" in row.text
    # 战略 is printed only in cohort 3's entries 1 (l.71), 2 (l.161), 3 (l.227) and 5 (l.351): without cohort 3
    # there is nothing left to rise — the sentence names that cohort and the counts, not just "one cohort"
    assert "“战略”（第1期 0/41 → 第2期 0/16 → 第3期 4/11）去掉第3期后消失" in row.text
    assert {1, 2, 3, 5} <= {int(i) for i in row.entry_ids.split(",")}
    # the concept 信息规划 counts 信息化规划 (resources/synonyms, l.17; entry 1 prints 信息化规划 at l.33): the sentence
    # says so, as a reader searching for 信息规划 finds it only in entries 19 (l.1159) and 34 (l.2128)
    assert "“信息规划”（含“信息化规划”；第1期 0/41 → 第2期 2/16 → 第3期 4/11）" in row.text
    # 分析 counts as a word of its own: a reader searching the characters also finds 需求分析 (entry 34, l.2146),
    # so the row says how words are counted
    assert "在复合词里" in row.caveat
    assert "编码“" not in row.text and f"检验 {int((ct.kind == 'term').sum())} 个词" in row.statistic
    share = f[(f.kind == "code_share") & f.text.str.contains("“信息规划”")].iloc[0]
    assert "去掉第1期（41 条问答）后 p = 0.05" in share.caveat


def test_codes_are_trend_tested_once_as_their_own_family(study):
    """One trend test per code: the code-share table carries the code rows of cohort_trends (z, p, q, the
    within-unit test, the leave-one-cohort-out p and the call), and q is Benjamini–Hochberg over the codes alone
    (not over codes and hundreds of terms); the terms' q is BH over the terms alone."""
    from scipy.stats import false_discovery_control

    ct = study.tables["cohort_trends"]
    share = study.tables["code_share_by_cohort"].drop_duplicates("code").set_index("code")
    codes = ct[ct.kind == "code"].set_index("term")
    assert set(codes.index) == set(share.index) and len(codes) == 8
    for col_share, col_ct in (("trend_z", "statistic"), ("trend_p", "p_value"), ("trend_q", "q_value"),
                              ("within_units_p", "p_within_unit"), ("p_without_one_cohort", "p_without_one_cohort")):
        assert share[col_share].to_numpy(float) == pytest.approx(codes.loc[share.index, col_ct].to_numpy(float),
                                                                 nan_ok=True), col_share
    assert list(share.call) == list(codes.loc[share.index, "call"].fillna(""))
    assert codes.q_value.to_numpy(float) == pytest.approx(false_discovery_control(codes.p_value.to_numpy(float)))
    terms = ct[ct.kind == "term"]
    assert terms.q_value.to_numpy(float) == pytest.approx(false_discovery_control(terms.p_value.to_numpy(float)))
    # 信息规划: 1/41, 3/16, 6/11 (the code table's counts); without cohort 1 p = 0.053 (the by-hand test above)
    assert share.loc["信息规划", "call"] == "one cohort"
    assert share.loc["信息规划", "p_without_one_cohort"] == pytest.approx(0.0525, abs=5e-4)
