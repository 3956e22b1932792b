"""Unit fit: planted misplaced questions in a synthetic curriculum, leave-one-out, the calibration, the curriculum
loader, and the flags' agreement with the hand judgement of the booklet (tests/data/unit_fit_judgement.csv) on the
development half, the held-out half and all entries (protocol in the corpus_tools.unitfit docstring)."""

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
    fit = unitfit.unit_fit(entries, turns)
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


def test_agreement_with_the_hand_judgement(booklet, tokens):
    """Measured once the method was fixed on the development half (concept tf-idf with idf over unit profiles,
    background calibration, alphas 0.10 / 0.05). The judgement was made before the method existed. These are the
    true numbers: precision 0.83 on the development half did NOT hold on the held-out half (0.20); over all
    entries 6 of 11 flags are on entries judged "no" or "partly" (the earlier rule: 6 of 12)."""
    j = _judgement()
    fit = unitfit.unit_fit(booklet.entries, booklet.turns, tokens=tokens, names=tuple(booklet.people.name))
    assert (fit.representation == "concept").all()
    dev = unitfit.dev_mask(fit.entry_id)
    d = unitfit.flag_agreement(fit[dev], j, ("no", "partly"))
    h = unitfit.flag_agreement(fit[~dev], j, ("no", "partly"))
    a = unitfit.flag_agreement(fit, j, ("no", "partly"))
    no = unitfit.flag_agreement(fit, j, ("no",))
    assert (d["misfits"], h["misfits"], a["misfits"], no["misfits"]) == (12, 10, 22, 9)
    assert (d["flagged"], d["true_positives"]) == (6, 5) and d["precision"] >= 0.8
    assert (h["flagged"], h["true_positives"]) == (5, 1) and h["precision"] >= 0.2
    assert (a["flagged"], a["true_positives"]) == (11, 6) and a["precision"] >= 0.5
    assert a["recall"] == pytest.approx(6 / 22) and no["true_positives"] == 1
    # every flag names another unit and its margin; a flagged entry's own unit does not single it out
    f = fit[fit.flagged]
    assert (f.best_unit != f.unit).all() and (f.z_margin > 0).all() and f.margin.notna().all()
    assert (f.own_p > 0.10).all() and (f.best_p <= 0.05).all()
    # the earlier rule, for comparison: 12 flags, 6 on "no"/"partly", 1 on "no"
    old = unitfit.unit_fit(booklet.entries, booklet.turns, names=tuple(booklet.people.name), representation="char",
                           idf="questions", rule="margin")
    o = unitfit.flag_agreement(old, j, ("no", "partly"))
    assert (o["flagged"], o["true_positives"]) == (12, 6)
    assert unitfit.flag_agreement(old, j, ("no",))["true_positives"] == 1


def test_compare_representations_lists_every_variant(booklet, tokens):
    comp = unitfit.compare_representations(booklet.entries, booklet.turns, tokens, names=tuple(booklet.people.name),
                                           judgement=_judgement())
    assert len(comp) == len(unitfit.VARIANTS) and set(comp.representation) == {"char", "token", "concept", "lsa"}
    c = comp.set_index(["representation", "idf", "rule"])
    assert c.loc[("char", "questions", "margin"), "top1"] > 1 / 12 * 3  # far above chance (12 units)
    chosen = c.loc[("concept", "units", "background")]
    # chosen on the development half: its dev precision is the highest there (LSA ties), …
    assert chosen.precision_dev == pytest.approx(comp.precision_dev.max())
    # … and on the held-out half no variant reaches 0.8, nor exceeds 0.5
    assert (comp.precision_held.fillna(0) <= 0.5).all()
    assert {"flags_dev", "precision_held", "recall_all", "precision_no_all"} <= set(comp.columns)


@pytest.fixture(scope="module")
def tokens(booklet, tmp_path_factory):
    from corpus_tools.text import tokenizer_for, tokens_table
    return tokens_table(booklet, tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache")))


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
