"""Questions asked in several parts (corpus_tools.parts): the split, by hand on made-up turns, and on the booklet's
own lines."""

from __future__ import annotations

import pytest

from corpus_tools.parts import merge_background, question_sentence, split_parts, turn_parts


def _pieces(text, pieces):
    return [text[a:b] for a, b in pieces]


def test_cut_after_question_marks_and_before_markers():
    text = "问题一，如何做规划？问题二，要不要调整。问题三，怎么落实？"
    assert _pieces(text, split_parts(text)) == ["问题一，如何做规划？", "问题二，要不要调整。", "问题三，怎么落实？"]


def test_background_joins_the_question_after_it_and_a_trailing_remark_the_one_before():
    text = "我院有两个院区。如何统一建设？各院区的厂商不同。"
    assert _pieces(text, merge_background(text, split_parts(text))) == [text]
    # a last piece that asks something stays a part of its own (请教 …, no question mark)
    text = "如何统一建设？另外想请教老师招标的做法。"
    assert _pieces(text, merge_background(text, split_parts(text))) == ["如何统一建设？", "另外想请教老师招标的做法。"]


def test_a_request_that_names_nothing_new_or_offers_the_other_choice_joins_the_one_before():
    text = "集成平台如何选型？这个问题该怎么解决呢？厂商的接口如何开放？是全部开放，还是只开放一部分？"
    words = [("集成平台", "集成平台"), ("选型", "选型"), ("厂商", "厂商"), ("接口", "接口"), ("开放", "开放"),
             ("开放", "开放"), ("开放", "开放")]
    assert _pieces(text, turn_parts(text, words)) == ["集成平台如何选型？这个问题该怎么解决呢？",
                                                      "厂商的接口如何开放？是全部开放，还是只开放一部分？"]


def test_the_question_sentence_of_a_part_leaves_its_background_out():
    text = "临床不会提需求。这就面临一个问题：如何确定参数的依据？"
    a, b = question_sentence(text, 0, len(text))
    assert text[a:b] == "这就面临一个问题：如何确定参数的依据？"


@pytest.fixture(scope="module")
def parts(study):
    return study.tables["question_parts"]


def test_entry_3_asks_three_numbered_questions_on_their_lines(parts):
    """l.207 问题一 …, l.209 问题二 …, l.211 问题三 … (戴赢 and 王华 sign one question, l.205–207)."""
    p = parts[parts.entry_id == 3]
    assert list(p.line) == [207, 209, 211] and set(p.n_parts) == {3}
    assert p.quote.iloc[1].startswith("问题二，信息科临时性新增业务较多")


def test_entry_20_asks_five_things_about_hyperconvergence(parts):
    """问题一 (database on 超融合, l.1217), 问题二 (the 8-node claim, l.1219) with its follow-up (资源孤岛, l.1221),
    问题三 (private cloud, l.1224) and the storage question (l.1228)."""
    p = parts[parts.entry_id == 20]
    assert list(p.line) == [1217, 1219, 1221, 1224, 1228]
    assert "资源孤岛" in p.quote.iloc[2] and "分布式存储" in p.quote.iloc[4]


def test_alternatives_and_later_remarks_are_not_parts(parts):
    """Entry 18 (l.1092–1094): "用什么工具存档比较好？是自行开发软件，还是有成熟的软件？" is one request. Entry 26's trainee
    speaks again at l.1691 and l.1716 only to remark (现在很多厂商都不支持按照 HL7 标准来做): one part. Entry 9 is asked
    by an instructor (陈金雄老师): no trainee part."""
    assert list(parts[parts.entry_id == 18].n_parts) == [1]
    assert list(parts[parts.entry_id == 26].line) == [1631]
    assert 9 not in set(parts.entry_id)


def test_the_findings_list_the_entries_asked_in_several_parts(study, parts):
    f = study.tables["findings"]
    row = f[f.kind == "parts"].iloc[0]
    several = parts[parts.n_parts >= 2]
    assert row.entry_ids == ",".join(str(i) for i in sorted(set(several.entry_id)))
    # by number of parts, most first: 5 (#20, l.1217–1228), 4 (#24, l.1459–1465), … 2 (#7, l.448–450)
    assert "分成 5 问的第 20 条；4 问的第 24、" in row.text and "；3 问的第 3、" in row.text and "；2 问的第 7、" in row.text
    # parts cut at question marks and numbers, not matters judged one by one (r16: 59's four question marks include
    # two examples after “比如：”, l.3569–3574): the sentence says how they were counted
    assert f"共 {len(several)} 问" in row.text
    assert "不判断每一问是否都答到" in row.text  # a reading list, not a verdict (see parts.py)
    assert row.text.startswith(f"{len(set(several.entry_id))} 条问答里，学员的提问按问号与编号切分不止一问")
    # entry 9's question is put by an instructor (l.530 “陈金雄老师：薛万国老师强调…”): not counted, and said so (r15)
    assert "67 条问答共" in row.statistic and "（另 1 条没有学员的提问，不计：第 9 条）" in row.statistic
    assert 9 not in set(parts.entry_id)


def test_the_report_lists_only_the_questions_asked_in_several_parts(run_dir, parts):
    """The review's table is the reading list: every part of #20 (five, l.1217–1228), none of #2 (one, l.100)."""
    import re

    page = (run_dir / "report.html").read_text(encoding="utf-8")
    table = page[page.index('id="table-question_parts"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr") - 1 == len(parts[parts.n_parts >= 2])
    shown = re.sub(r"<[^>]+>", "", table)
    assert "问题三，如果利用超融合技术建立私有云" in shown and "如何提升医院信息中心能力金字塔模型" not in shown
