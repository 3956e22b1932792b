"""Unit fit: a planted question that fits no unit's syllabus, the instructors' deferrals read from the booklet,
titles-only silence, planted misplaced questions under the earlier rules, leave-one-out, the calibration, the
curriculum loader, and the run's own flags against the hand judgements (tests/data/unit_fit_judgement.csv,
tests/data/coverage_judgement.csv) on the development half, the held-out half and all entries (protocol in the
corpus_tools.unitfit docstring) — the numbers the report quotes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from corpus_tools import curriculum as cur
from corpus_tools import unitfit
from corpus_tools.errors import BookletError

DATA = Path(__file__).parent / "data"

QUESTIONS = {
    "网络安全防护": ["防火墙策略如何配置才能抵御病毒攻击？", "等保测评发现漏洞，网络安全整改怎么排序？",
                 "勒索病毒入侵后如何恢复，防火墙日志怎么审计？", "网络安全等保三级需要哪些漏洞扫描？",
                 "终端病毒防护和防火墙边界防护如何配合？"],
    "项目管理方法": ["项目进度滞后，验收节点如何控制？", "招标预算超支，项目经理如何调整进度计划？",
                 "项目验收时厂商交付物不全怎么办？", "如何编制项目预算并控制招标成本？",
                 "多个项目并行时进度和验收如何统筹？"],
    "医学术语标准": ["医学术语编码如何与国际标准映射？", "检验项目编码标准不统一，术语如何对照？",
                 "诊断术语标准化时编码版本如何管理？", "互操作标准测评对术语编码有什么要求？",
                 "药品编码标准和术语字典如何维护？"],
}
# planted: a security question asked in the project unit, a terminology question asked in the security unit
PLANTED = {("项目管理方法", "如何扫描漏洞并升级防火墙以防病毒攻击？"): "网络安全防护",
           ("网络安全防护", "术语编码标准与医学术语字典如何对照映射？"): "医学术语标准"}


def _synthetic():
    entries, turns = [], []
    eid = 0
    items = [(u, q) for u, qs in QUESTIONS.items() for q in qs] + list(PLANTED)
    for unit, q in items:
        eid += 1
        entries.append(dict(entry_id=eid, title=q[:8], cohort=1, session_type="unit",
                            unit_no=list(QUESTIONS).index(unit) + 1, unit_title=unit))
        turns.append(dict(entry_id=eid, turn_no=1, speaker="学员", role="trainee", is_question=True, text=q))
        turns.append(dict(entry_id=eid, turn_no=2, speaker="老师", role="instructor", is_question=False,
                          text="这个问题很好，我们课上讲过。"))
    return pd.DataFrame(entries), pd.DataFrame(turns)


def test_planted_misplaced_questions_are_found():
    """The earlier rule (char bigrams, ≥ 25 % and ≥ 0.05 better) finds both planted questions and nothing else."""
    entries, turns = _synthetic()
    fit = unitfit.unit_fit(entries, turns, representation="char", idf="questions", rule="margin")
    assert len(fit) == 17 and set(fit.columns) >= {"entry_id", "unit", "fit_score", "best_unit", "best_score",
                                                   "margin", "flagged"}
    planted = fit[fit.entry_id.isin([16, 17])].set_index("entry_id")
    assert planted.loc[16, "flagged"] and planted.loc[16, "best_unit"] == "网络安全防护"
    assert planted.loc[17, "flagged"] and planted.loc[17, "best_unit"] == "医学术语标准"
    assert (planted.margin > 0).all() and (planted["rank"] > 1).all()
    # the well-placed questions are not flagged
    assert not fit[~fit.entry_id.isin([16, 17])].flagged.any()


def test_planted_questions_under_the_background_rule():
    """The default rule ranks the two planted questions first by z_margin and names their home; but with 5
    questions a unit, a unit's background is 10–12 questions, so the smallest p-value, 1/(n + 1) ≥ 1/13, cannot
    reach alpha_best = 0.05: nothing is flagged. The rule needs ≥ 19 questions outside a unit."""
    entries, turns = _synthetic()
    fit = unitfit.unit_fit(entries, turns, rule="background")
    assert (fit.representation == "char").all()  # no tokens table → char bigrams
    top = fit.sort_values("z_margin", ascending=False, kind="stable").head(2).set_index("entry_id")
    assert set(top.index) == {16, 17}
    assert top.loc[16, "best_unit"] == "网络安全防护" and top.loc[17, "best_unit"] == "医学术语标准"
    assert (fit.best_p >= 1 / 13 - 1e-9).all() and not fit.flagged.any()


def test_calibration_p_values():
    """Background of the unit = rows 1–3 (scores 0.1, 0.2, 0.3); a background row does not count itself."""
    import numpy as np
    s = np.array([[0.25], [0.1], [0.2], [0.3]])
    member = np.array([[True], [False], [False], [False]])
    z, p = unitfit.calibrate(s, member)
    assert p[0, 0] == pytest.approx((1 + 1) / (3 + 1))  # only 0.3 ≥ 0.25
    assert p[3, 0] == pytest.approx((0 + 1) / (2 + 1))  # nothing else ≥ 0.3
    assert z[0, 0] == pytest.approx((0.25 - 0.2) / 0.1)


def test_leave_one_out():
    """A unit with one question is its title alone for that question: the question never fits itself."""
    entries, turns = _synthetic()
    e = pd.concat([entries, pd.DataFrame([dict(entry_id=99, title="x", cohort=1, session_type="unit", unit_no=9,
                                                unit_title="运维工单")])], ignore_index=True)
    t = pd.concat([turns, pd.DataFrame([dict(entry_id=99, turn_no=1, speaker="学员", role="trainee",
                                             is_question=True, text="防火墙病毒漏洞")])], ignore_index=True)
    S, units = unitfit.fit_scores(e, t)
    # its own unit's profile is the title 运维工单 only, which shares no bigram with the question
    assert S.loc[99, "运维工单"] == pytest.approx(0.0)
    fit = unitfit.unit_fit(e, t, rule="margin").set_index("entry_id")
    assert fit.loc[99, "best_unit"] == "网络安全防护" and fit.loc[99, "flagged"]


def test_discussion_class_has_no_score(booklet):
    fit = unitfit.unit_fit(booklet.entries, booklet.turns, names=tuple(booklet.people.name))
    disc = fit[fit.unit == "答疑讨论课"]
    # the three entries of 第三期第一次答疑讨论课 (lines 202, 297, …): closest unit named, no score, no flag
    assert len(disc) == 3 and disc.fit_score.isna().all() and not disc.flagged.any()
    assert (disc.best_unit != "").all()
    assert len(fit) == 68 and fit.n_units.iloc[0] == 12  # 12 distinct unit titles in the booklet


def test_curriculum_description_enters_the_unit_profile():
    entries, turns = _synthetic()
    given = pd.DataFrame(dict(cohort=[1, 1, 1], unit_no=[1, 2, 3], unit_title=list(QUESTIONS),
                              description=["", "", ""]))
    base = unitfit.fit_scores(entries, turns, given)[0]
    given.loc[1, "description"] = "防火墙 病毒 漏洞"
    more = unitfit.fit_scores(entries, turns, given)[0]
    assert more.loc[16, "项目管理方法"] > base.loc[16, "项目管理方法"]


def _judgement():
    return pd.read_csv(DATA / "unit_fit_judgement.csv", keep_default_na=False)


def test_the_protocol_split():
    """Development half = even entry ids, held-out = odd, fixed before any variant was tried. The judgement's
    misfits (JUDGEMENT_README: no = 17 27 29 34 44 50 54 57 63; partly = 2 6 10 16 19 24 30 33 39 40 51 60 67)."""
    j = _judgement()
    dev = unitfit.dev_mask(j.entry_id)
    assert (j.fits == "no").sum() == 9 and (j.fits == "partly").sum() == 13 and (j.fits == "n/a").sum() == 3
    assert (j.fits[dev] == "no").sum() == 4 and (j.fits[dev] == "partly").sum() == 8
    assert (j.fits[~dev] == "no").sum() == 5 and (j.fits[~dev] == "partly").sum() == 5


def test_compare_representations_lists_every_variant(booklet, study):
    """The earlier rules (title + other questions as the unit's profile), on the run's own tokens table."""
    comp = unitfit.compare_representations(booklet.entries, booklet.turns, study.tables["tokens"],
                                           names=tuple(booklet.people.name), judgement=_judgement())
    assert len(comp) == len(unitfit.VARIANTS) and set(comp.representation) == {"char", "token", "concept", "lsa"}
    c = comp.set_index(["representation", "idf", "rule"])
    assert c.loc[("char", "questions", "margin"), "top1"] > 1 / 12 * 3  # far above chance (12 units)
    chosen = c.loc[("concept", "units", "background")]
    # chosen on the development half: its dev precision is the highest there (LSA ties), …
    assert chosen.precision_dev == pytest.approx(comp.precision_dev.max())
    # … and on the held-out half no variant reaches 0.8, nor exceeds 0.5
    assert (comp.precision_held.fillna(0) <= 0.5).all()
    assert {"flags_dev", "precision_held", "recall_all", "precision_no_all"} <= set(comp.columns)


# ---------------------------------------------------------------- curriculum file

def test_example_curriculum_matches_the_booklet(booklet):
    ex = cur.example_curriculum()
    # the source notes name 15 units (grep '第.期培训班第 N 单元“…”') and one discussion class (line 295)
    assert len(ex) == 16 and (ex.session_type == "discussion").sum() == 1
    row = ex[(ex.cohort == 1) & (ex.unit_no == 11)].iloc[0]
    assert row.unit_title == "医学信息标准"
    c = cur.curriculum(booklet.units, ex)
    assert c.in_curriculum.all() and c.in_booklet.all() and c.n_entries.sum() == 68
    assert c.set_index("label").loc["第1期·第11单元 医学信息标准", "n_entries"] == 8


def test_curriculum_without_file_infers_nothing(booklet):
    c = cur.curriculum(booklet.units)
    first = c[(c.cohort == 1) & (c.session_type == "unit")]
    assert list(first.unit_no) == [3, 4, 5, 6, 7, 10, 11, 12]  # no gap filled, no title borrowed
    assert c.in_curriculum.isna().all() and (c.n_entries > 0).all()
    assert cur.units_without_entries(c).empty
    # 第2期 unit 1 = 领导力与团队建设, 第3期 unit 1 = 信息中心组织与管理: both shown
    u1 = c[(c.cohort == 3) & (c.unit_no == 1)].iloc[0]
    assert u1.unit_title == "信息中心组织与管理" and u1.same_number_titles == "第2期：领导力与团队建设"
    disc = c[c.session_type == "discussion"]
    assert list(disc.label) == ["第3期·答疑讨论课"] and disc.n_entries.iloc[0] == 3


def test_curriculum_file_lists_units_without_entries(booklet):
    text = ("cohort,unit_no,title,description\n1,1,领导力与团队建设,\n1,11,医学信息标准,标准与互操作\n"
            "第3期,1,信息中心组织与管理,\n")
    given = cur.parse_curriculum(text, "c.csv")
    c = cur.curriculum(booklet.units, given)
    empty = cur.units_without_entries(c)
    assert list(empty.label) == ["第1期·第1单元 领导力与团队建设"]
    # a unit of the booklet that the file does not list is kept and marked
    assert not c.set_index("label").loc["第1期·第3单元 信息规划与系统设计方法", "in_curriculum"]


def test_a_curriculum_title_the_booklet_prints_otherwise_is_noted_with_its_line(booklet):
    """The booklet's notes call 第一期第 4 单元 “医院信息系统架构治理” (l.1451) and 第 11 单元 “医学信息标准”
    (l.961). A file giving 第4单元 another title is noted, naming the file, its line and both titles; a title that
    differs only by a space, a unit the booklet has no entry from, and the shipped example curriculum (the
    booklet's own titles) give no note. Before, the file's title replaced the booklet's without a word."""
    text = ("cohort,unit_no,title\n一,4,坏行\n1,11,医学信息 标准\n1,1,领导力与团队建设\n")
    notes = cur.title_differences(cur.parse_curriculum(text, "c.csv"), booklet.units, "c.csv")
    assert notes == ["课程表 c.csv 第 2 行：第1期第4单元题为“坏行”，合集的来源说明写作“医院信息系统架构治理”；"
                     "报告用课程表的题目，请核对"]
    assert cur.title_differences(cur.example_curriculum(), booklet.units, "example.csv") == []


@pytest.mark.parametrize("text, line, words", [
    ("", None, "为空"),
    ("cohort,title\n1,规划\n", 1, "unit_no"),
    ("cohort,unit_no,title\n1,3,规划\nx,4,运维\n", 3, "期别"),
    ("cohort,unit_no,title\n1,3,规划\n1,三点五,运维\n", 3, "单元号"),
    ("cohort,unit_no,title\n1,3,规划\n\n1,3,运维\n", 4, "重复"),
    ("cohort,unit_no,title\n1,,规划\n", 2, "单元号为空"),
    ("cohort,unit_no,title\n1,2,\n", 2, "标题为空"),
    ("cohort,unit_no,title\n1,2,a,b\n", 2, "字段"),
])
def test_curriculum_errors_name_file_and_line(text, line, words):
    with pytest.raises(cur.CurriculumError) as err:
        cur.parse_curriculum(text, "my_curriculum.csv")
    assert isinstance(err.value, BookletError)
    assert err.value.path == "my_curriculum.csv" and err.value.line == line
    assert words in str(err.value) and str(err.value).startswith("my_curriculum.csv")


def test_read_curriculum_missing_file(tmp_path):
    with pytest.raises(cur.CurriculumError) as err:
        cur.read_curriculum(tmp_path / "nope.csv")
    assert "nope.csv" in str(err.value)


# ---------------------------------------------------------------- the syllabus rule

SYLLABI = {"网络安全防护": "防火墙、病毒防护、漏洞扫描、等保测评与网络安全整改。",
           "项目管理方法": "项目进度、招标、预算、验收与项目经理的计划控制。",
           "医学术语标准": "医学术语编码、检验项目编码、诊断术语标准化与互操作标准测评。"}
CAFETERIA = "医院食堂的菜单如何搭配荤素，午餐窗口排队太长怎么办？"


def _with_cafeteria():
    """The synthetic booklet plus entry 18: a cafeteria-menu question asked in the project unit."""
    entries, turns = _synthetic()
    entries = pd.concat([entries, pd.DataFrame([dict(entry_id=18, title="食堂菜单", cohort=1, session_type="unit",
                                                     unit_no=2, unit_title="项目管理方法")])], ignore_index=True)
    turns = pd.concat([turns, pd.DataFrame([
        dict(entry_id=18, turn_no=1, speaker="学员", role="trainee", is_question=True, text=CAFETERIA),
        dict(entry_id=18, turn_no=2, speaker="老师", role="instructor", is_question=False,
             text="食堂排队可以错峰就餐，菜单每周公示。")])], ignore_index=True)
    given = pd.DataFrame(dict(cohort=[1, 1, 1], unit_no=[1, 2, 3], unit_title=list(SYLLABI),
                              description=list(SYLLABI.values())))
    return entries, turns, given


def test_cafeteria_question_fits_no_unit():
    """A question about cafeteria menus shares no word with any syllabus: it is flagged fits_no_unit, and it is
    the only one (each of the other questions shares words with its own unit's syllabus)."""
    entries, turns, given = _with_cafeteria()
    fit = unitfit.unit_fit(entries, turns, given).set_index("entry_id")
    assert (fit.syllabus == "file").all() and (fit.representation == "char").all()
    assert fit.loc[18, "flag"] == "fits_no_unit" and fit.loc[18, "flagged"]
    assert fit.loc[18, "top_z"] < unitfit.Z_NONE
    assert list(fit.index[fit.flag == "fits_no_unit"]) == [18]
    assert (fit.flagged == (fit.flag != "")).all()
    # every row ranks three units
    assert fit.ranking.str.count(" > ").eq(2).all()


def test_titles_only_are_silent_on_the_cafeteria_question():
    """Without descriptions the titles are too short to decide: the ranking is there, no similarity flag."""
    entries, turns, given = _with_cafeteria()
    fit = unitfit.unit_fit(entries, turns, given.assign(description="")).set_index("entry_id")
    assert (fit.syllabus == "titles").all() and not fit.flagged.any()
    assert fit.loc[18, "ranking"] != ""


def test_planted_misplaced_question_against_the_syllabus():
    """Entry 16 (a firewall/virus question asked in the project unit) is closest to the security syllabus."""
    entries, turns, given = _with_cafeteria()
    fit = unitfit.unit_fit(entries, turns, given).set_index("entry_id")
    assert fit.loc[16, "ranking"].startswith("网络安全防护") and fit.loc[16, "rank"] > 1
    assert fit.loc[17, "ranking"].startswith("医学术语标准") and fit.loc[17, "rank"] > 1


def test_answer_evidence_in_the_booklet(booklet):
    """Read in the booklet: l.104 (entry 2, in 第3期 信息中心组织与管理) "培训班的后续课程，衡反修老师会针对信息科发展
    规划能力进行专题讲解"; l.2120 (entry 34, in 第2期 领导力与团队建设) "培训班后续还有好几门课程会涉及，包括“需求管理”、
    “项目立项”"; l.1159/1168 (entry 19) "也是今天课程“信息规划”提到的……下一单元会讲医院信息系统的顶层架构";
    l.2526 (entry 40) "要重视今天课程提到的组织验收流程"; entry 4's "刚才提到的" (l.180s) is the same discussion,
    not a course."""
    ex = cur.example_curriculum()
    syl = dict(zip(ex.unit_title, (t + "。" + d for t, d in zip(ex.unit_title, ex.description))))
    ev = unitfit.answer_evidence(booklet.entries, booklet.turns, syl, booklet.lines).set_index("entry_id")
    assert ev.loc[2, "evidence"] == "defer" and ev.loc[2, "evidence_unit"] == "医院信息规划"
    assert ev.loc[2, "evidence_line"] == 104 and "发展规划能力" in ev.loc[2, "evidence_quote"]
    assert ev.loc[34, "evidence"] == "defer" and ev.loc[34, "evidence_unit"] == "信息化建设与项目管理"
    assert ev.loc[34, "evidence_line"] == 2120
    assert ev.loc[19, "evidence"] == "both" and ev.loc[19, "evidence_line"] == 1168
    assert ev.loc[19, "evidence_unit"] == "医院信息系统架构治理"
    assert ev.loc[40, "evidence"] == "own" and ev.loc[40, "evidence_line"] == 2526
    assert 4 not in ev.index


def test_titles_only_flags_only_the_instructors_deferrals(booklet):
    """Without a curriculum (titles only) the only flags are entries 2 and 34, whose instructors defer the subject
    to a unit of the same cohort (l.104, l.2120); entry 19's instructor also ties it to today's course (l.1159)."""
    fit = unitfit.unit_fit(booklet.entries, booklet.turns, names=tuple(booklet.people.name), lines=booklet.lines)
    assert (fit.syllabus == "titles").all()
    f = fit[fit.flagged].set_index("entry_id")
    assert list(f.index) == [2, 34] and (f.flag == "closer_elsewhere").all()
    assert f.loc[34, "best_unit"] == "信息化建设与项目管理" and f.loc[2, "best_unit"] == "医院信息规划"


def test_matching_example(booklet):
    """The example curriculum lists exactly the booklet's 15 units and one discussion class; a booklet missing one
    of them (or a curriculum with one more) does not match."""
    assert cur.matching_example(booklet.units) is not None
    assert cur.matching_example(booklet.units.iloc[1:]) is None
    other = booklet.units.copy()
    other.loc[other.index[0], "unit_title"] = "别的单元"
    assert cur.matching_example(other) is None


def _coverage():
    return pd.read_csv(DATA / "coverage_judgement.csv", keep_default_na=False)


def test_coverage_judgement_counts():
    """JUDGEMENT_README (coverage): covered = no for entries 16 and 17; partly for 10 15 20 42 44 46 47 55."""
    c = _coverage().set_index("entry_id")
    assert len(c) == 68 and set(c.index[c.covered == "no"]) == {16, 17}
    assert set(c.index[c.covered == "partly"]) == {10, 15, 20, 42, 44, 46, 47, 55}


def _run_fit(run_dir) -> pd.DataFrame:
    """The run's own unit_fit table, as written to disk."""
    fit = pd.read_csv(run_dir / "data" / "processed" / "unit_fit.csv", keep_default_na=False, na_values=[""])
    return fit.assign(flag=fit.flag.fillna(""), evidence=fit.evidence.fillna(""))


def test_the_run_judges_against_the_example_syllabus(study, booklet):
    """The bundled booklet's units are exactly the example curriculum's, so the run (no --curriculum) reads the
    example's descriptions; passing --curriculum with the example gives the same table (only ``syllabus`` says
    "file")."""
    fit = study.tables["unit_fit"]
    assert (fit.syllabus == "example").all() and len(fit) == 68
    same = unitfit.unit_fit(booklet.entries, booklet.turns, cur.example_curriculum(), study.tables["tokens"],
                            names=tuple(n for n in booklet.people.name if n), lines=booklet.lines)
    assert (same.syllabus == "file").all()
    pd.testing.assert_frame_equal(fit.drop(columns="syllabus").reset_index(drop=True),
                                  same.drop(columns="syllabus").reset_index(drop=True), check_dtype=False)


def test_run_flags_against_the_hand_judgements(run_dir):
    """The run's own flags against the hand judgements, split by entry-id parity before tuning. The held-out
    half's numbers are the ones the report quotes (unitfit.HELD_OUT); they are below the aim of 0.6, so the report
    makes no "closer elsewhere" claims. Judgement counts per half: unit fit 4 no / 8 partly (even), 5 / 5 (odd);
    coverage: gap 16 (even), 17 (odd)."""
    fit = _run_fit(run_dir)
    v = unitfit.validation(fit, _judgement()).set_index(["half", "positive"])
    assert v.loc[("dev", "no"), "misfits"] == 4 and v.loc[("held", "no"), "misfits"] == 5
    assert v.loc[("dev", "no+partly"), "misfits"] == 12 and v.loc[("held", "no+partly"), "misfits"] == 10
    h = unitfit.HELD_OUT["closer_elsewhere"]
    assert v.loc[("held", "no"), "flagged"] == h["flagged"]
    assert v.loc[("held", "no"), "true_positives"] == h["no"]
    assert v.loc[("held", "no+partly"), "true_positives"] == h["no_partly"]
    assert v.loc[("held", "no"), "precision"] < unitfit.PRECISION_AIM
    # the development half, on which the rule was chosen, did better (it does not hold)
    assert v.loc[("dev", "no"), "precision"] >= unitfit.PRECISION_AIM
    c = unitfit.coverage_validation(fit, _coverage()).set_index(["half", "positive"])
    g = unitfit.HELD_OUT["fits_no_unit"]
    assert c.loc[("held", "no"), "gaps"] == 1 and c.loc[("dev", "no"), "gaps"] == 1
    assert c.loc[("held", "no"), "flagged"] == g["flagged"]
    assert c.loc[("held", "no"), "true_positives"] == g["no"]
    assert c.loc[("held", "no+partly"), "true_positives"] == g["no_partly"]
    r = unitfit.ranking_validation(fit, _judgement()).set_index("half").loc["held"]
    assert r.to_dict() == unitfit.HELD_OUT["ranking"]
    assert r.n_yes == 21 and r.n_moved == 10  # judgement: odd ids, 21 yes; 10 no/partly all with a better unit
    # entry 16 (SPD of laboratory reagents, l.1005; covered = no) is flagged fits_no_unit
    assert fit.set_index("entry_id").loc[16, "flag"] == "fits_no_unit"


def test_report_quotes_the_precision_of_the_run(run_dir):
    """The precision the findings and the report quote is the one computed from the run's own unit_fit table."""
    fit = _run_fit(run_dir)
    v = unitfit.validation(fit, _judgement()).set_index(["half", "positive"])
    quoted = (f"精确率 {v.loc[('held', 'no'), 'precision']:.2f} / {v.loc[('held', 'no+partly'), 'precision']:.2f}"
              f"，低于 {unitfit.PRECISION_AIM}")
    findings = pd.read_csv(run_dir / "data" / "processed" / "findings.csv", keep_default_na=False)
    uf = findings[findings.kind == "unit_fit"]
    assert quoted in uf.caveat.iloc[0]
    c = unitfit.coverage_validation(fit, _coverage()).set_index(["half", "positive"])
    quoted_gap = (f"精确率 {c.loc[('held', 'no'), 'precision']:.2f} / "
                  f"{c.loc[('held', 'no+partly'), 'precision']:.2f}")
    nu = findings[findings.kind == "no_unit"]
    assert quoted_gap in nu.caveat.iloc[0]
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    r = unitfit.ranking_validation(fit, _judgement()).set_index("half").loc["held"]
    ranked = f"人工判为契合本单元的 {r.n_yes} 条有 {r.own_first} 条本单元排第一"
    assert ranked in uf.caveat.iloc[0]
    assert quoted in html and quoted_gap in html and ranked in html
    # no "closer elsewhere" claim: the report's unit-fit rows are the ranking and the instructors' own words
    assert "更应放在另一单元" in uf.text.iloc[0] and not uf.text.str.contains("与“.*”更接近").any()
    # the summary lists every fits_no_unit entry; its held-out precision is below the aim, so (like "closer
    # elsewhere") there is no per-entry "no unit covers it" claim: one row, saying it measured words only
    ids = set(fit.entry_id[fit.flag == "fits_no_unit"])
    assert {int(x) for x in nu.entry_ids.iloc[0].split(",")} == ids
    assert c.loc[("held", "no"), "precision"] < unitfit.PRECISION_AIM and len(nu) == 1
    assert "用词上与各单元大纲" in nu.text.iloc[0] and "都不接近" in nu.text.iloc[0] and "不是课程缺口" in nu.text.iloc[0]
    assert not nu.text.str.contains("没有哪个单元的大纲明显覆盖|没有单元覆盖|是候选的课程缺口").any()
    assert "用词上与各单元大纲都不接近的问题（阅读清单，不是课程缺口）" in html


def test_unit_fit_rows_list_every_unit_an_instructor_points_to(run_dir):
    """The summary says it lists the questions whose instructors say the subject is taught in another unit. Read
    in the booklet: entries 2 (l.104) and 34 (l.2120) only point elsewhere; entry 19 (l.1157–1159 "也是今天课程
    “信息规划”提到的", l.1168 "下一单元会讲医院信息系统的顶层架构") and entry 39 (l.2438 "后续的课程中我们有专门章节
    进行介绍", l.2439–2440 "今天在谈到 IT 治理机制时，有个小环节也说到了需求管理") say both: partly here, partly
    later. The hand judgement, made before the method, calls 19 and 39 "partly" with the same other units
    (tests/data/unit_fit_judgement.csv)."""
    findings = pd.read_csv(run_dir / "data" / "processed" / "findings.csv", keep_default_na=False)
    uf = findings[findings.kind == "unit_fit"].iloc[1:]
    by_entry = dict(zip(uf.entry_ids.astype(str), uf.text))
    assert set(by_entry) == {"2", "19", "34", "39"}
    # the instructor who said it is named (l.1168 薛万国老师, l.2438 陈金雄老师), and that he answered anyway (r10):
    # the characters after the sentence are the deferral table's count, checked against the booklet in
    # test_needs (511 for entry 19, r4/r8)
    for e, who, unit in (("19", "薛万国", "医院信息系统架构治理"), ("39", "陈金雄", "信息化建设与项目管理")):
        assert f"{who}老师说本单元已讲到其中一部分，后续或其他课程还会讲（本次也作了回答：这句之后又说了约 " in by_entry[e]
        assert f"推定为“{unit}”：这条问答部分属于本单元、部分属于那个单元" in by_entry[e]
        judged = _judgement().set_index("entry_id").loc[int(e)]
        assert judged.fits == "partly" and judged.better_unit == unit
    assert "第 1168 行" in uf[uf.entry_ids.astype(str) == "19"].statistic.iloc[0]
    assert "本单元已讲到" not in by_entry["2"] + by_entry["34"]
    # entry 34's instructor names several later courses (l.2120 "培训班后续还有好几门课程会涉及，包括“需求管理”、
    # “项目立项”等"): the unit guessed from his words is the closest of them, not the one (r9); entry 2's (l.104)
    # names one, 衡反修's lecture on planning
    assert "（本次也作了回答：这句之后又说了约 511 字）" in by_entry["19"]
    assert ("薛万国老师说这一内容后续还有不止一门课程会讲（本次也作了回答：这句之后又说了约 771 字）；按这句话与各单元大纲的"
            "字面重合，最接近的是“信息化建设与项目管理”（这句话提到的其他课程无法由此确定）") in by_entry["34"]
    assert "薛万国老师说这一内容后续或其他课程还会讲（本次也作了回答" in by_entry["2"]  # l.100
    assert "按这句话与各单元大纲的字面重合，推定为“医院信息规划”" in by_entry["2"]


def test_a_sentence_naming_several_later_courses_is_told_apart():
    """The instructors' sentences of entries 34 (l.2120), 2 (l.104), 19 (l.1168) and 39 (l.2438), as printed."""
    from corpus_tools.findings import SEVERAL_COURSES

    several = "“招标需求说明拟定”这一问题，培训班后续还有好几门课程会涉及，包括“需求管理”、“项目立项”等，今天先简单做一个回答"
    one = ["培训班的后续课程，衡反修老师会针对信息科发展规划能力进行专题讲解，在这里我只强调一点",
           "下一单元会讲医院信息系统的顶层架构，其中会专门涉及数据架构的设计问题",
           "这涉及需求管理的问题，后续的课程中我们有专门章节进行介绍"]
    assert SEVERAL_COURSES.search(several)
    assert SEVERAL_COURSES.search("包括“需求管理”、“项目立项”等")  # the list alone says so too
    assert not [q for q in one if SEVERAL_COURSES.search(q)]


def test_only_discussion_classes_rank_nothing():
    """A booklet whose entries all come from a discussion class has no unit to rank: every row, no flag."""
    entries = pd.DataFrame(dict(entry_id=[1, 2], title=["甲", "乙"], cohort=[1, 1], session_type=["discussion"] * 2,
                                unit_no=[None, None], unit_title=["", ""]))
    turns = pd.DataFrame(dict(entry_id=[1, 2], turn_no=[1, 1], speaker=["学员甲", "学员乙"], role=["trainee"] * 2,
                              is_question=[True, True], text=["医院食堂菜单怎么定？", "停车场收费怎么管？"]))
    fit = unitfit.unit_fit(entries, turns)
    assert list(fit.entry_id) == [1, 2] and not fit.flagged.any() and (fit.n_units == 0).all()


def test_no_unit_row_says_the_syllabus_is_the_shipped_example(study):
    """The booklet prints unit titles only (e.g. l.92 第 2 单元“医院信息规划”); the descriptions the flag compares
    with are the package's example, written from those titles. A designer must not read them as the programme's
    own syllabus (a cold reader's correction), so the reading-list row says which syllabus it used."""
    f = study.tables["findings"]
    row = f[f.kind == "no_unit"].iloc[0]
    assert (study.tables["unit_fit"].syllabus == "example").all()
    assert "分析工具自带的示例大纲" in row.text and "不是本培训班的正式大纲" in row.text
