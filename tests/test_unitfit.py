"""Unit fit: planted misplaced questions in a synthetic curriculum, leave-one-out, the curriculum loader, and the
flags' agreement with the hand judgement of the booklet (tests/data/unit_fit_judgement.csv)."""

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
    entries, turns = _synthetic()
    fit = unitfit.unit_fit(entries, turns)
    assert len(fit) == 17 and set(fit.columns) >= {"entry_id", "unit", "fit_score", "best_unit", "best_score",
                                                   "margin", "flagged"}
    planted = fit[fit.entry_id.isin([16, 17])].set_index("entry_id")
    assert planted.loc[16, "flagged"] and planted.loc[16, "best_unit"] == "网络安全防护"
    assert planted.loc[17, "flagged"] and planted.loc[17, "best_unit"] == "医学术语标准"
    assert (planted.margin > 0).all() and (planted["rank"] > 1).all()
    # the well-placed questions are not flagged
    assert not fit[~fit.entry_id.isin([16, 17])].flagged.any()


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
    fit = unitfit.unit_fit(e, t).set_index("entry_id")
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


def test_agreement_with_the_hand_judgement(booklet):
    """Measured once the method was fixed (character bigrams, ≥ 25 % and ≥ 0.05 better). The judgement was made
    before the method existed. The flags do NOT reach the precision the issue aims for (0.8): 12 flags, 1 of them
    on one of the 9 entries judged "no", 6 on entries judged "no" or "partly". These are the true numbers."""
    judgement = pd.read_csv(DATA / "unit_fit_judgement.csv")
    fit = unitfit.unit_fit(booklet.entries, booklet.turns, names=tuple(booklet.people.name))
    no = unitfit.flag_agreement(fit, judgement, ("no",))
    both = unitfit.flag_agreement(fit, judgement, ("no", "partly"))
    assert (no["misfits"], both["misfits"]) == (9, 22)
    assert no["flagged"] == 12 and no["true_positives"] == 1
    assert both["true_positives"] == 6 and both["precision"] == pytest.approx(0.5)
    assert both["recall"] == pytest.approx(6 / 22)


def test_char_representation_separates_units_better_than_lsa(booklet, tokens):
    comp = unitfit.compare_representations(booklet.entries, booklet.turns, tokens,
                                           names=tuple(booklet.people.name)).set_index("representation")
    assert comp.loc["char", "top1"] > comp.loc["lsa", "top1"] and comp.loc["char", "mrr"] > comp.loc["lsa", "mrr"]
    assert comp.loc["char", "top1"] > 1 / 12 * 3  # far above chance (12 units)


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
