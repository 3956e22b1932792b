"""Affiliation split of trainee labels (examples copied from the booklet)."""

from __future__ import annotations

import pytest

from corpus_tools.people import canonical_hospitals, parse_affiliation


@pytest.mark.parametrize("raw,want", [
    ("中山大学附属第一医院信息数据中心信息主管张敦明", ("张敦明", "中山大学附属第一医院", "信息数据中心", "信息主管", "")),
    ("江西省妇幼保健院互联网医院管理办公室主任金忠林", ("金忠林", "江西省妇幼保健院", "互联网医院管理办公室", "主任", "")),
    ("和睦家医疗 IT 部副总裁邢建宾", ("邢建宾", "和睦家医疗", "IT 部", "副总裁", "")),
    ("第一期培训班副班长、浙江省台州医院信息中心副主任曹坤", ("曹坤", "浙江省台州医院", "信息中心", "副主任", "第一期培训班副班长")),
    ("大坪医院信息科主任助理刘沛", ("刘沛", "大坪医院", "信息科", "主任助理", "")),
    ("郑州人民医院信息化建设和研发部主任兼数据中心主任张司露", ("张司露", "郑州人民医院", "信息化建设和研发部", "主任兼数据中心主任", "")),
    ("深圳市宝安区妇幼保健院马亦良", ("马亦良", "深圳市宝安区妇幼保健院", "", "", "")),
    ("南京医科大学第二附属医院信息化建设与管理处柳明", ("柳明", "南京医科大学第二附属医院", "信息化建设与管理处", "", "")),
    ("深圳大学华南医院信息部主任欧阳杰", ("欧阳杰", "深圳大学华南医院", "信息部", "主任", "")),
    ("台州恩泽医疗中心（集团）恩泽医院信息中心副主任戴赢", ("戴赢", "台州恩泽医疗中心（集团）恩泽医院", "信息中心", "副主任", "")),
])
def test_parse_affiliation(raw, want):
    a = parse_affiliation(raw)
    assert (a.name, a.hospital, a.department, a.job_title, a.class_role) == want
    assert a.affiliation_raw == raw


def test_a_title_missing_from_the_list_is_still_split():
    b = parse_affiliation("成都市第五人民医院信息中心调度长王五")  # 调度长 is not in job_titles.txt
    assert (b.name, b.department, b.job_title) == ("王五", "信息中心", "调度长")
    c = parse_affiliation("某某县人民医院网络中心干事欧阳明")  # 干事 is in the list now; a compound surname
    assert (c.name, c.department, c.job_title) == ("欧阳明", "网络中心", "干事")


def test_alias_and_former():
    a = parse_affiliation("深圳市龙岗中心医院（深圳市第九人民医院）医学信息管理办公室副主任童杰")
    assert (a.hospital, a.hospital_alias, a.department) == ("深圳市龙岗中心医院", "深圳市第九人民医院", "医学信息管理办公室")
    b = parse_affiliation("原郑州人民医院信息化建设和研发部主任兼数据中心主任张司露")
    assert b.former and b.hospital == "郑州人民医院" and b.name == "张司露"


def test_canonical_hospitals_merge_only_place_prefixes():
    m = canonical_hospitals(["北京积水潭医院", "积水潭医院", "郑州市中心医院", "湖州市中心医院", "台州恩泽医疗中心（集团）",
                             "浙江省台州恩泽医疗中心", "浙江省台州医院"])
    assert m["积水潭医院"] == "北京积水潭医院"
    assert m["台州恩泽医疗中心（集团）"] == "浙江省台州恩泽医疗中心"
    assert m["郑州市中心医院"] != m["湖州市中心医院"]
    assert m["浙江省台州医院"] == "浙江省台州医院"
