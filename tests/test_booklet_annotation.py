"""The parsed bundled booklet against a hand annotation of all its entries."""

from __future__ import annotations

import re

import pandas as pd


def _ns(s) -> str:
    return re.sub(r"\s", "", s or "")


def test_every_entry_found_and_none_invented(booklet, annotation):
    assert len(annotation) == 68
    assert list(booklet.entries.line_start) == [a["title_line"] for a in annotation]


def test_entry_fields_match_annotation(booklet, annotation):
    entries = booklet.entries.set_index("line_start")
    for a in annotation:
        e = entries.loc[a["title_line"]]
        where = f"entry at line {a['title_line']}"
        assert e.section == a["section"], where
        assert _ns(e.title) == _ns(a["title"]), where
        assert "\n" not in e.title and "★" not in e.title, where
        assert bool(e.starred) == a["starred"], where
        assert bool(e.has_video) == a["has_video"], where
        assert e.cohort == a["cohort"], where
        assert e.session_type == a["session_type"], where
        assert (None if pd.isna(e.unit_no) else int(e.unit_no)) == a["unit_no"], where
        assert e.unit_title == (a["unit_title"] or ""), where
        assert e.line_end == a["note_end_line"], where


def test_turns_match_annotation(booklet, annotation):
    entries = booklet.entries.set_index("line_start")
    for a in annotation:
        eid = entries.loc[a["title_line"]].entry_id
        turns = booklet.turns[booklet.turns.entry_id == eid]
        assert len(turns) == len(a["turns"]) == entries.loc[a["title_line"]].n_turns
        for t, want in zip(turns.itertuples(), a["turns"]):
            where = f"entry line {a['title_line']}, turn at line {want['label_line']}"
            assert t.speaker == want["speaker"], where
            assert t.role == want["role"], where
            assert t.line_start == want["label_line"], where
            assert _ns(t.text).startswith(_ns(want["text_start"])), where


def test_askers_match_annotation(booklet, annotation):
    entries = booklet.entries.set_index("line_start")
    checked, differ = 0, []
    for a in annotation:
        e = entries.loc[a["title_line"]]
        opening = booklet.askers[(booklet.askers.entry_id == e.entry_id) & booklet.askers.opens_entry]
        for want in a["askers"]:
            assert want["name"] in e.asked_by.split("、") or (want["name"] == "" and e.asked_by == "")
            row = opening[opening.name == want["name"]].iloc[0]
            assert row.role == want["role"]
            hospital = f"{row.hospital}（{row.hospital_alias}）" if row.hospital_alias else row.hospital
            for got, key in ((hospital, "hospital"), (row.department, "department"), (row.job_title, "job_title"),
                             (row.class_role, "class_role")):
                checked += 1
                if _ns(got) != _ns(want[key]):
                    differ.append((e.entry_id, key, got, want[key]))
    assert checked > 250
    assert differ == []  # every annotated field agrees (276 of 276 when last measured)


def test_known_facts_read_in_the_booklet(booklet):
    e = booklet.entries
    # 【信息规划】 starts the booklet with six entries; 【科室管理】 ends it with eight
    assert list(booklet.sections.section) == ["信息规划", "系统架构", "系统建设", "系统集成", "项目管理", "数据应用",
                                              "网络安全", "IT 运维", "科室管理"]
    assert list(booklet.sections.n_entries) == [6, 3, 11, 12, 9, 10, 4, 5, 8]
    # line 526: an instructor (陈金雄) asks the question, 薛万国 answers, 陈金雄 sums up (line 597)
    row = e[e.line_start == 526].iloc[0]
    assert (row.asked_by, row.asked_by_role, row.answered_by) == ("陈金雄", "instructor", "薛万国、陈金雄")
    # line 205: two trainees in one label, the second one's hospital wrapped across lines ("复\n旦大学")
    two = booklet.askers[booklet.askers.line_start == 205]
    assert list(two.name) == ["戴赢", "王华"]
    assert list(two.hospital) == ["台州恩泽医疗中心（集团）恩泽医院", "复旦大学附属闵行医院"]
    # line 1888: a letter-spaced instructor label "邱 明 辉 老 师 ："
    t = booklet.turns[booklet.turns.line_start == 1888].iloc[0]
    assert (t.speaker, t.role) == ("邱明辉", "instructor")
    assert t.text.startswith("可以让电子病历系统生成一个标准的 CDA（Clinical Document Architecture，临床文档结构）")
    # line 629/631: a name wrapped across lines ("刘鸿\n齐：")
    t = booklet.turns[booklet.turns.line_start == 629].iloc[0]
    assert t.speaker == "刘鸿齐" and t.text.startswith("我想提一个困惑")
    # line 3605: current post plus a former one in brackets
    z = booklet.askers[booklet.askers.line_start == 3605].iloc[0]
    assert (z.hospital, z.department, z.job_title) == ("阜外华中心血管病医院", "医务处", "副处长")
    assert z.former_affiliation == "郑州人民医院信息化建设和研发部主任兼数据中心主任"
    # line 1555: "原…" — a former post
    z = booklet.askers[booklet.askers.line_start == 1555].iloc[0]
    assert bool(z.former) and z.hospital == "郑州人民医院"
    # line 3008: "肖识战老师在课上说：" inside a question is not a turn
    assert 3008 not in set(booklet.turns.line_start)
    # an anonymous trainee ("学员：", line 1771)
    t = booklet.turns[booklet.turns.line_start == 1771].iloc[0]
    assert (t.speaker, t.role) == ("", "trainee")
    # line 486 ends "从 C/S", line 488 goes on "两层架构": the booklet's space between Latin and Chinese is kept
    assert "从 C/S 两层架构" in booklet.turns[booklet.turns.line_start == 486].iloc[0].text
    # 任连仲主任 (line 3894) is an instructor
    assert booklet.turns[booklet.turns.line_start == 3894].iloc[0].speaker == "任连仲"


def test_units_and_cohorts(booklet):
    u = booklet.units
    # 第一期第 11 单元“医学信息标准” draws eight entries; 第三期 has one discussion class with three
    row = u[(u.cohort == 1) & (u.unit_no == 11)].iloc[0]
    assert (row.unit_title, row.n_entries) == ("医学信息标准", 8)
    disc = u[u.session_type == "discussion"]
    assert len(disc) == 1 and disc.iloc[0].cohort == 3 and disc.iloc[0].n_entries == 3
    assert u.n_entries.sum() == len(booklet.entries)
    assert sorted(booklet.entries.cohort.unique()) == [1, 2, 3]


def test_people_resolution(booklet):
    p = booklet.people.set_index(["name", "role"])
    # 曹坤 appears under four spellings of his affiliation, one person
    caokun = p.loc[("曹坤", "trainee")]
    assert caokun.n_entries == 7 and len(caokun.affiliations.split("；")) == 4
    # 薛万国 answers in 37 entries
    assert p.loc[("薛万国", "instructor")].n_entries == 37
    # 陈金雄 is one instructor, opening one entry
    assert p.loc[("陈金雄", "instructor")].n_entries_opened == 1
    assert booklet.people.person_id.is_unique
    assert not (booklet.people.name == "").any()


def test_hospitals_join_spellings(booklet):
    h = booklet.hospitals.set_index("hospital")
    assert set(h.loc["北京积水潭医院"].spellings.split("；")) == {"北京积水潭医院", "积水潭医院"}
    assert h.loc["深圳市龙岗中心医院"].aliases == "深圳市第九人民医院"
    # different hospitals of one group are not merged
    assert "浙江省台州医院" in h.index and "台州恩泽医疗中心（集团）恩泽医院" in h.index
    assert h.loc["解放军总医院"].n_trainees == 2
