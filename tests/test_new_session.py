"""A booklet of another session — new cohort, units, sections and people, cleaner extraction — parses with no
code change; damaged input gives warnings naming lines."""

from __future__ import annotations

import pandas as pd

import corpus_tools as ct

FOURTH = """前言
本册收录第四期培训班答疑。
【人工智能应用】
大模型能否用于病历质控？★
请用微信扫码观看答疑视频
学员、第四期培训班班长、成都市第五人民医院信息科科长赵一鸣：我们想用大模型做病历内涵质控，
效果如何评估？
钱学林老师：先选一个病种做试点，用专家标注的病历做评测集。
学员、成都市第五人民医院信息科科长赵一鸣：评测集需要多大？
钱学林老师：几百份即可起步。
孙 小 梅 老 师 ：补 充 一 点 ， 要 关 注 隐 私 。
（上述内容来源于第四期培训班第 13 单元“人工智能与医疗”课程答疑环节，HIT 专家网整理，未经发言者本人审核确认）
【互联网医院】
互联网医院的处方流转如何监管？
学员，广州市红十字会医院（暨南大学附属广州红十字会医院）药学部主任药师李雪：处方流转的监管难点在哪里？
钱学林老师：要打通医保与药监的数据。
（上述内容来源于第四期培训班第二次答疑讨论课，HIT 专家网整理，未经发言者本人审核确认）
如何看待数据要素？
学员：数据要素对医院意味着什么？
孙小梅主任：意味着数据可以计价。
"""


def test_fourth_cohort_parses_without_code_change():
    b = ct.booklet_from_text(FOURTH, "fourth.txt")
    e = b.entries
    assert list(e.section) == ["人工智能应用", "互联网医院", "互联网医院"]
    assert list(e.title) == ["大模型能否用于病历质控？", "互联网医院的处方流转如何监管？", "如何看待数据要素？"]
    assert list(e.starred) == [True, False, False] and list(e.has_video) == [True, False, False]
    first = e.iloc[0]
    assert (first.cohort, first.session_type, first.unit_no, first.unit_title) == (4, "unit", 13, "人工智能与医疗")
    assert (e.iloc[1].session_type, e.iloc[1].session_no) == ("discussion", 2)
    assert list(e.n_turns) == [5, 2, 2]
    assert first.asked_by == "赵一鸣" and first.answered_by == "钱学林、孙小梅"
    assert first.question == "我们想用大模型做病历内涵质控，效果如何评估？"
    t = b.turns
    assert t[t.entry_id == 1].speaker.tolist() == ["赵一鸣", "钱学林", "赵一鸣", "钱学林", "孙小梅"]
    assert t[(t.entry_id == 1) & (t.turn_no == 5)].text.iloc[0] == "补充一点，要关注隐私。"
    a = b.askers
    zhao = a[a.entry_id == 1].iloc[0]
    assert (zhao.hospital, zhao.department, zhao.job_title, zhao.class_role) == (
        "成都市第五人民医院", "信息科", "科长", "第四期培训班班长")
    li = a[a.entry_id == 2].iloc[0]
    assert (li["name"], li.hospital, li.hospital_alias, li.department, li.job_title) == (
        "李雪", "广州市红十字会医院", "暨南大学附属广州红十字会医院", "药学部", "主任药师")
    assert set(b.people[b.people.role == "instructor"].name) == {"钱学林", "孙小梅"}
    u = b.units
    # the truncated last entry has no note, hence no cohort: it still gets a row, nothing is dropped
    assert list(zip(u.cohort.fillna(0), u.session_type, u.n_entries)) == [(4, "discussion", 1), (4, "unit", 1),
                                                                          (0, "", 1)]


def test_truncated_last_entry_is_reported_with_its_line():
    b = ct.booklet_from_text(FOURTH, "fourth.txt")
    w = b.warnings
    assert list(w.code) == ["no_source_note"]
    assert w.iloc[0].line_no == 18
    assert "第 18 行" in w.iloc[0].message and "截断" in w.iloc[0].message
    last = b.entries.iloc[-1]
    assert last.asked_by == "" and last.n_turns == 2
    assert pd.isna(last.cohort) and last.source_note == ""  # no note: the cohort is unknown, not guessed


def test_missing_note_between_entries_is_recovered():
    text = FOURTH.replace("（上述内容来源于第四期培训班第 13 单元“人工智能与医疗”课程答疑环节，HIT 专家网整理，未经发言者本人审核确认）\n", "")
    text = text.replace("【互联网医院】\n", "")
    text = text.replace("互联网医院的处方流转如何监管？\n", "互联网医院的处方流转如何监管？\n请用微信扫码观看答疑视频\n")
    b = ct.booklet_from_text(text, "damaged.txt")
    assert len(b.entries) == 3
    assert b.entries.iloc[1].title == "互联网医院的处方流转如何监管？"
    assert "no_source_note_before_title" in set(b.warnings.code)
