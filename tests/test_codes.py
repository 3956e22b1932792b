"""Coding rules: expression parsing (AND / OR / NOT, parentheses, text: patterns), codebook errors naming the
file and line, coding the booklet's entries, crosstabs with adjusted residuals, the heat map."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from corpus_tools.codes import (CodebookError, EntryFacts, Evidence, code_crosstab, code_entries, code_tables,
                                codebook_table, entry_groups, entry_parts, load_codebook, parse_codebook,
                                parse_expression)
from corpus_tools.errors import BookletError
from corpus_tools.text import tokenizer_for, tokens_table


def ev(expr: str, words: set[str], text: str = "") -> bool:
    return parse_expression(expr).eval(EntryFacts(frozenset(words), text))


def parts_of(texts: dict[int, str]) -> pd.DataFrame:
    """Parts of entries whose whole text is one answer turn (turn 1)."""
    return pd.DataFrame(dict(entry_id=list(texts), turn_no=1, question=False, text=list(texts.values())))


def test_operators_and_precedence():
    assert ev("等保 OR 等级保护", {"等级保护"})
    assert not ev("安全 AND 漏洞", {"安全"})
    assert ev("安全 AND 漏洞", {"安全", "漏洞"})
    assert ev("NOT 科研", {"项目"}) and not ev("NOT 科研", {"科研"})
    # NOT binds tightest, then AND, then OR: a OR b AND c = a OR (b AND c)
    assert ev("等保 OR 安全 AND 漏洞", {"等保"})
    assert not ev("(等保 OR 安全) AND 漏洞", {"等保"})
    assert ev("项目 AND NOT 科研", {"项目"}) and not ev("项目 AND NOT 科研", {"项目", "科研"})
    assert ev("等保 OR (安全 AND (漏洞 OR 攻击))", {"安全", "攻击"})


def test_text_patterns_and_quoted_terms():
    assert ev("text:照单全收", set(), "电子病历系统接收检查检验报告可以“照单全收”")
    assert not ev("照单全收", set(), "可以“照单全收”")  # a plain term needs the word, not the text
    assert ev('"Nature Medicine" OR 论文', {"Nature Medicine"})


@pytest.mark.parametrize("expr, message", [
    ("", "表达式为空"),
    ("等保 OR", "缺少词语"),
    ("(等保 OR 安全", "缺少“)”"),
    ("等保 OR 安全)", "多余的“)”"),
    ("等保 安全", "缺少运算符"),
    ("AND 等保", "之前缺少词语"),
    ('"未闭合 OR 等保', "引号未闭合"),
])
def test_malformed_expressions(expr, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_expression(expr)


def test_codebook_errors_name_file_and_line(tmp_path):
    path = tmp_path / "codes.yaml"
    path.write_text("# 注释\n安全: 等保 OR 网络安全\n采购: 招标 AND\n", encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        load_codebook(path)
    assert str(exc.value).startswith(f"{path}:3: ") and "采购" in str(exc.value)
    assert isinstance(exc.value, BookletError) and "\n" not in str(exc.value)
    with pytest.raises(CodebookError, match=r":3: .*重复"):
        parse_codebook("a: x\nb: y\na: z\n", "dup.yaml")
    with pytest.raises(CodebookError, match=r"bad\.yaml:2: YAML"):
        parse_codebook("a: x\n  b: [y\n", "bad.yaml")
    with pytest.raises(CodebookError, match=r"list\.yaml:1: .*映射"):
        parse_codebook("- a\n- b\n", "list.yaml")
    with pytest.raises(CodebookError, match=r"empty\.yaml: .*为空"):
        parse_codebook("# nothing\n", "empty.yaml")
    with pytest.raises(CodebookError, match=r"nested\.yaml:1: "):
        parse_codebook("a:\n  - x\n", "nested.yaml")


def test_shipped_codebook():
    codes = load_codebook()
    assert [c.name for c in codes] == ["信息规划", "架构与选型", "集成与标准", "数据治理与利用", "网络与信息安全",
                                       "运维服务", "项目与采购", "科室管理"]
    table = codebook_table(codes)
    assert "等保" in table.set_index("code").terms["网络与信息安全"].split("、")


def test_code_entries_match_tokens_and_concepts():
    codes = parse_codebook("部门: 信息部门\n安全: 等保 AND NOT 科研\n原话: text:照单全收\n")
    tokens = pd.DataFrame({"entry_id": [1, 1, 2, 3], "token": ["信息科", "等保", "科研", "等保"],
                           "concept": ["信息部门", "等保", "科研", "等保"]})
    coded = code_entries(codes, tokens, [1, 2, 3, 4], parts_of({4: "照单全收"}))
    assert coded.index.tolist() == [1, 2, 3, 4]
    assert coded["部门"].tolist() == [True, False, False, False]  # 信息科 → concept 信息部门
    assert coded["安全"].tolist() == [True, False, True, False]
    assert coded["原话"].tolist() == [False, False, False, True]


def test_code_entries_agree_with_each_entrys_eval():
    """code_entries evaluates every expression on all entries at once; each cell must be what the expression's
    eval says for that entry's words and text (nested NOT / AND / OR, words as tokens or concepts, text: terms,
    an entry listed twice, an entry without tokens)."""
    codes = parse_codebook("甲: 等保 AND NOT (科研 OR 教学)\n乙: NOT 等保 OR (安全 AND text:漏洞)\n"
                           "丙: NOT NOT 信息部门\n丁: (A OR B) AND (C OR NOT D)\n")
    tokens = pd.DataFrame({"entry_id": [1, 1, 2, 2, 3, 4, 4, 5, 5, 5],
                           "token": ["等保", "科研", "等保", "安全", "信息科", "A", "D", "B", "C", "教学"],
                           "concept": ["等保", "科研", "等保", "安全", "信息部门", "A", "D", "B", "C", "教学"]})
    texts = {2: "发现漏洞", 3: "漏洞", 6: "无"}
    ids = [1, 2, 3, 4, 5, 6, 2]
    coded = code_entries(codes, tokens, ids, parts_of(texts))
    for i, e in enumerate(ids):
        words = set(tokens.token[tokens.entry_id == e]) | set(tokens.concept[tokens.entry_id == e])
        facts = EntryFacts(frozenset(words), "\n" + texts.get(e, ""))
        for c in codes:
            assert coded.iloc[i][c.name] == c.tree.eval(facts), (e, c.name)
    # by hand: entry 2 (等保, 安全, text 漏洞) is 甲 and 乙; entry 4 (A, D) is not 丁, entry 5 (B, C) is
    assert coded.iloc[1][["甲", "乙"]].tolist() == [True, True]
    assert coded.iloc[3]["丁"] == False and coded.iloc[4]["丁"] == True  # noqa: E712
    assert coded.iloc[2]["丙"] == True and coded.iloc[5]["乙"] == True  # noqa: E712  (6: no 等保)


def test_crosstab_residuals_by_hand():
    # 4 entries in group A (3 coded), 4 in B (1 coded): O=3, E=4·4/8=2, var = 2·(1-4/8)·(1-4/8) = 0.5
    coded = pd.DataFrame({"c": [True, True, True, False, True, False, False, False]},
                         index=pd.Index(range(1, 9), name="entry_id"))
    groups = pd.Series(["A"] * 4 + ["B"] * 4, index=range(1, 9))
    x = code_crosstab(coded, groups).set_index("group")
    assert x.loc["A", "entries"] == 3 and x.loc["A", "n_group"] == 4 and x.loc["A", "share"] == 0.75
    assert x.loc["A", "expected"] == 2
    assert x.loc["A", "residual"] == pytest.approx(1 / math.sqrt(0.5))
    assert x.loc["B", "residual"] == pytest.approx(-1 / math.sqrt(0.5))


def test_booklet_coding(booklet, tmp_path_factory):
    tk = tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))
    tables = code_tables(load_codebook(), tokens_table(booklet, tk), booklet)
    coded = tables["code_entries"].set_index("entry_id")
    e = booklet.entries.set_index("entry_id")
    # the entry titled 外网没有做三级等保… (line 3199) is about security
    eid = int(e.index[e.title.str.contains("外网没有做三级等保")][0])
    assert coded.loc[eid, "网络与信息安全"]
    x = tables["code_crosstab"]
    assert set(x.by) == {"cohort", "unit", "section"}  # no topic fit given
    by_section = x[x.by == "section"]
    assert set(by_section.code) == set(coded.columns)
    assert by_section.groupby("code").n_group.sum().eq(68).all()
    assert list(dict.fromkeys(by_section.group)) == list(booklet.sections.section)  # booklet order
    # the security code is over-used in the 网络安全 section (each entry of it printed about 等保, 安全 …)
    sec = by_section[(by_section.code == "网络与信息安全") & (by_section.group == "网络安全")].iloc[0]
    assert sec.residual > 1.96
    assert set(tables) == {"codebook", "code_entries", "code_crosstab"}
    groups = entry_groups(booklet.entries, "cohort")
    assert list(groups.cat.categories) == sorted(groups.cat.categories, key=lambda c: int(c[1:-1]))
    units = list(dict.fromkeys(x[x.by == "unit"].group))
    # by number, not as text (第10单元 would sort before 第3单元)
    assert units.index("第1期·第3单元 信息规划与系统设计方法") < units.index("第1期·第10单元 医学信息学基础")


def test_code_heatmap_draws(booklet):
    from corpus_tools.plots.codes import code_heatmap

    x = pd.DataFrame({"group": ["A", "B"] * 2, "code": ["c1", "c1", "c2", "c2"], "entries": [3, 1, 0, 2],
                      "n_group": [4, 4, 4, 4], "share": [0.75, 0.25, 0.0, 0.5], "expected": [2, 2, 1, 1],
                      "residual": [1.41, -1.41, np.nan, 2.5]})
    fig = code_heatmap(x, "编码 × 分组")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c1", "c2"]
    assert any(t.get_text().startswith("75%") for t in ax.texts)
