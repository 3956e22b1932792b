"""Coding rules: expression parsing (AND / OR / NOT, parentheses, text: patterns), codebook errors naming the
file and line, coding the booklet's entries, crosstabs with adjusted residuals, the heat map."""

from __future__ import annotations

import math
import re
from pathlib import Path

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
    terms = table.set_index("code").terms["网络与信息安全"].split("、")
    assert "等保" in terms and len(terms) == len(set(terms))  # each once, though asked (q:) and counted (many:)


def test_one_passing_mention_never_makes_a_shipped_code():
    """Each term of the shipped codebook, printed once in one answer turn (and nowhere else), does not code the
    entry: a code needs the question, or several mentions in the answers."""
    for code in load_codebook():
        for term in code.tree.terms():
            facts = EntryFacts(words=frozenset({term.word}), text="\n" + term.word,
                               answers=(((term.word,), term.word),))
            assert not code.tree.eval(facts), (code.name, term.label)


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
    assert set(tables) == {"codebook", "code_entries", "code_crosstab", "code_validation"}
    assert tables["code_validation"].empty  # no judgement given
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


# ---------------------------------------------------------------- where a term must occur (q:, many:, n>=K:)

def test_scoped_terms_parse():
    t = parse_expression("q:text:照单全收")
    assert (t.word, t.text, t.scope, t.label) == ("照单全收", True, "q", "q:text:照单全收")
    t = parse_expression("n>=3:数据")
    assert (t.word, t.scope, t.k, t.label) == ("数据", "n", 3, "n>=3:数据")
    t = parse_expression('q:"Nature Medicine"')
    assert (t.word, t.scope) == ("Nature Medicine", "q")
    g = parse_expression("many:(text:招标 OR 采购) AND NOT q:科研")
    group = g.args[0]
    assert group.label == "many:(text:招标 OR 采购)"
    assert [x.label for x in g.terms()] == ["many:text:招标", "many:采购", "q:科研"]
    assert parse_expression("q:(招标 OR 采购)").terms()[1].label == "q:采购"
    assert parse_expression("qq:招标").label == "qq:招标"  # not a prefix: a word with a colon


# A small booklet of four entries (line numbers of SYNTHETIC: title of entry 1 at line 4, of entry 2 at 10 …).
SYNTHETIC = """前言
本册为编码规则的测试而编。
【项目管理】
信息科如何做好招标？
学员、甲市人民医院信息科科长张一：招标参数怎么定？
李明老师：先做市场调研，再定参数。
学员、甲市人民医院信息科科长张一：还有，到货验收怎么做？
李明老师：按合同逐项核对。
（上述内容来源于第四期培训班第 7 单元“信息化建设与项目管理”课程答疑环节，HIT 专家网整理，未经发言者本人审核确认）
如何提升用户体验？
学员、乙县人民医院信息科科长王二：用户总是抱怨。
李明老师：运维要规范，运维要有工单，运维要有回访。
（上述内容来源于第四期培训班第 8 单元“运维服务管理”课程答疑环节，HIT 专家网整理，未经发言者本人审核确认）
如何看待新技术？
学员、乙县人民医院信息科科长王二：想听听老师的看法。
李明老师：运维团队要跟上。
赵亮老师：运维也要学习。
（上述内容来源于第四期培训班第 8 单元“运维服务管理”课程答疑环节，HIT 专家网整理，未经发言者本人审核确认）
检验科的试剂怎么管？
学员、丙市中心医院信息科科长刘三：试剂种类很多。
李明老师：先招标，再采购，试剂到了要验收。
（上述内容来源于第四期培训班第 7 单元“信息化建设与项目管理”课程答疑环节，HIT 专家网整理，未经发言者本人审核确认）
"""


def test_question_and_mention_count_terms_on_a_synthetic_booklet(tmp_path_factory):
    import corpus_tools as ct

    b = ct.booklet_from_text(SYNTHETIC, "codes.txt")
    parts = entry_parts(b)
    # the question: the title and the trainees' turns (entry 1: title, turns 1 and 3); the answers: the rest
    q = parts[parts.question]
    assert q[q.entry_id == 1].turn_no.tolist() == [0, 1, 3]
    tk = tokenizer_for(b, cache_dir=tmp_path_factory.mktemp("cache"))
    tokens = tokens_table(b, tk)
    codes = parse_codebook(
        "问招标: q:招标\n"                     # entry 1 asks (title, l.4); entry 4 mentions it once in an answer
        "提到招标: 招标\n"                     # anywhere: entries 1 and 4
        "问验收: q:text:验收\n"                # entry 1's follow-up question (l.7); entry 4 only in the answer
        "运维多: many:text:运维\n"             # entry 2: 3 times in one answer (l.12); entry 3: once in 2 answers
        "运维三次: n>=3:text:运维\n"           # entry 2 only
        "运维四次: n>=4:text:运维\n"           # none
        "采购验收: many:(text:招标 OR text:采购 OR text:验收)\n"  # entry 4: 3 mentions together (l.21)
        "只采购: many:text:采购\n"             # none: 采购 once
        "问题里的运维: q:text:运维\n")         # none: 运维 is never asked about
    coded = code_entries(codes, tokens, b.entries.entry_id, parts)
    expected = {"问招标": [1], "提到招标": [1, 4], "问验收": [1], "运维多": [2, 3], "运维三次": [2], "运维四次": [],
                "采购验收": [4], "只采购": [], "问题里的运维": []}
    for name, ids in expected.items():
        assert coded.index[coded[name]].tolist() == ids, name
    # the per-entry evaluation agrees with the table, from the same evidence
    ev = Evidence(tokens, b.entries.entry_id, parts, {"招标"})
    for e in coded.index:
        for c in codes:
            assert c.tree.eval(ev.facts(e)) == coded.loc[e, c.name], (e, c.name)
    # without the parts (no turn roles), only turn 0 is the question and text: terms match nothing
    bare = code_entries(codes, tokens, b.entries.entry_id)
    assert bare.index[bare["问招标"]].tolist() == [1] and not bare["运维多"].any()


@pytest.mark.parametrize("expr, message", [
    ("n>=0:数据", "不小于 1"),
    ("n>3:数据", "n>=K:"),
    ("q:many:数据", "只能有一个范围前缀"),
    ("text:q:数据", "应写在 text: 之前"),
    ("q:", "缺少要匹配的词语"),
    ("q:text:", "缺少要匹配的文字"),
    ("many:(q:数据 OR 信息)", "只能是用 OR 连接"),
    ("many:(数据 AND 信息)", "只能是用 OR 连接"),
    ("many:(数据 OR 信息", "缺少“)”"),
])
def test_malformed_scopes_name_file_and_line(expr, message):
    # the bad expression quoted: YAML would read a final ':' (q:) as a key
    text = f"# 注释\n安全: q:等保\n采购: >-\n  q:招标\n  OR many:采购\n坏的: '{expr}'\n"
    with pytest.raises(CodebookError) as exc:
        parse_codebook(text, "scopes.yaml")
    assert str(exc.value).startswith("scopes.yaml:6: ") and "坏的" in str(exc.value), str(exc.value)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    # a folded (multi-line) expression: the error names the code's line
    with pytest.raises(CodebookError, match=r"^folded\.yaml:3: .*采购"):
        parse_codebook("安全: q:等保\n\n采购: >-\n  q:招标\n  OR n>=0:采购\n", "folded.yaml")


# ---------------------------------------------------------------- the booklet: passing mentions, validation

def test_passing_mentions_do_not_make_codes(study):
    """The run's own coding of the bundled booklet, read against the text."""
    coded = study.tables["code_entries"].set_index("entry_id")
    # #16 检验试剂 SPD: 验收 only as receiving reagents, once (l.1047 "以及验收和日常核查要求")
    assert not coded.loc[16, "项目与采购"]
    # #19 数据中心: 绩效考核 names a future data centre, once (l.1188-1190 "类似绩效考核等可能还会要求建设自己的数据中心")
    assert not coded.loc[19, "科室管理"]
    # #6 年度规划: 人员 (l.424 "人员工作量安排比较合理") and 管理 (l.426 "医院管理科室") in passing
    assert not coded.loc[6, "科室管理"]
    # #10 信息化效能: 用户满意度 is one yardstick of evaluation (l.647, l.649)
    assert not coded.loc[10, "运维服务"]
    # … while questions about the subject are coded: #40 asks about 验收 (title, l.2498), #62 about
    # 人员激励和绩效考核 (title, l.3700), #56 about the 运维服务台 (title, l.3421), #52 about 三级等保 (title, l.3199)
    assert coded.loc[40, "项目与采购"] and coded.loc[62, "科室管理"] and coded.loc[56, "运维服务"]
    assert coded.loc[52, "网络与信息安全"]


JUDGEMENT = Path(__file__).parent / "data" / "code_judgement.csv"


def _by_hand(coded: pd.DataFrame, judgement: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(code, half) → (tp, fp, fn), counted one entry at a time."""
    out: dict[tuple[str, str], list[int]] = {}
    for r in judgement.itertuples():
        pred = bool(coded.loc[r.entry_id, r.code])
        truth = r.applies == "yes"
        for half in ("dev" if r.entry_id % 2 == 0 else "held_out", "all"):
            for code in (r.code, "合计"):
                c = out.setdefault((code, half), [0, 0, 0])
                c[0] += pred and truth
                c[1] += pred and not truth
                c[2] += truth and not pred
    return {k: tuple(v) for k, v in out.items()}


def test_code_validation_is_the_runs_own_coding_against_the_hand_coding(study):
    """code_validation (written by the run) equals tp / fp / fn counted here from the run's code_entries and the
    hand coding in tests/data; the package's bundled copy of the judgement is that file."""
    from corpus_tools.resources import resource_path

    assert resource_path("validation/code_judgement.csv").read_bytes() == JUDGEMENT.read_bytes()
    judgement = pd.read_csv(JUDGEMENT)
    assert len(judgement) == 68 * 8 and set(judgement.applies) == {"yes", "no"}
    coded = study.tables["code_entries"].set_index("entry_id")
    v = study.tables["code_validation"]
    assert len(v) == 9 * 3 and list(dict.fromkeys(v.code))[:-1] == list(coded.columns)
    counts = _by_hand(coded, judgement)
    for r in v.itertuples():
        tp, fp, fn = counts[(r.code, r.half)]
        assert (r.tp, r.fp, r.fn) == (tp, fp, fn), (r.code, r.half)
        assert r.precision == pytest.approx(tp / (tp + fp)) and r.recall == pytest.approx(tp / (tp + fn))
        assert r.n_judged == {"dev": 34, "held_out": 34, "all": 68}[r.half] * (8 if r.code == "合计" else 1)


def test_readme_quotes_the_runs_held_out_numbers(study):
    """The README's held-out table is the run's code_validation (precision and recall to two decimals)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- code-validation:start -->")[1].split("<!-- code-validation:end -->")[0]
    quoted = {}
    for line in block.splitlines():
        m = re.match(r"\|\s*([^|]+?)\s*\|\s*([\d.]+) \((\d+)/(\d+)\)\s*\|\s*([\d.]+) \((\d+)/(\d+)\)\s*\|", line)
        if m:
            quoted[m.group(1)] = m.groups()[1:]
    v = study.tables["code_validation"]
    held = v[v.half == "held_out"].set_index("code")
    assert set(quoted) == set(held.index)
    for code, (p, tp, coded, r, tp2, yes) in quoted.items():
        row = held.loc[code]
        assert (int(tp), int(coded), int(tp2), int(yes)) == (row.tp, row.tp + row.fp, row.tp, row.tp + row.fn), code
        assert f"{row.precision:.2f}" == p and f"{row.recall:.2f}" == r, code


def test_no_validation_for_another_booklet():
    from corpus_tools.codes import code_validation, load_code_judgement, parse_code_judgement

    assert load_code_judgement("0" * 64) is None and load_code_judgement(None) is None
    j = parse_code_judgement("entry_id,code,applies\n1,甲,yes\n2,甲,no\n3,甲,yes\n4,乙,yes\n")
    coded = pd.DataFrame({"甲": [True, True, False, False]}, index=pd.Index([1, 2, 3, 4], name="entry_id"))
    v = code_validation(coded, j).set_index(["code", "half"])
    # 甲: entry 1 tp (held_out), 2 fp (dev), 3 fn (held_out); 乙 is not in the codebook: left out
    assert v.loc[("甲", "held_out"), ["tp", "fp", "fn"]].tolist() == [1, 0, 1]
    assert v.loc[("甲", "dev"), ["tp", "fp", "fn"]].tolist() == [0, 1, 0]
    assert np.isnan(v.loc[("甲", "dev"), "recall"]) and v.loc[("甲", "dev"), "precision"] == 0
    assert "乙" not in v.index.get_level_values(0)
    with pytest.raises(CodebookError, match=r"j\.csv:3: "):
        parse_code_judgement("entry_id,code,applies\n1,甲,yes\n2,甲,maybe\n", "j.csv")


def test_a_rule_reads_in_words():
    """The report's 规则 column: the codebook's syntax said in Chinese (the module doc's two examples)."""
    from corpus_tools.codes import expression_zh

    assert expression_zh("三级等保 OR q:(text:安全 OR text:隐私) OR many:(text:等保 OR text:隐私 OR text:加密)") == (
        "三级等保 或 提问中有（安全 或 隐私） 或 回答中多次提到（等保 或 隐私 或 加密）")
    assert expression_zh("(q:招标 OR many:招标) AND NOT q:科研") == "（提问中有 招标 或 回答中多次提到 招标） 并且 提问中没有 科研"
    assert expression_zh("n>=2:工单 AND NOT 科研") == "回答中至少 2 次提到 工单 并且 没有 科研"
