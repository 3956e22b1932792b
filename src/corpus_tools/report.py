"""The HTML review report: one self-contained file for curriculum designers who do not open Jupyter.

The page is rendered from jinja2 templates (``templates/``, autoescape on: every piece of booklet text is escaped,
only SVG drawn by matplotlib is inserted as markup). It holds key numbers, the findings with links to their entries,
figures at full width with their captions, tables with Chinese headers and formatted numbers, a sortable table
of every entry whose full Q&A opens in place — its search box searches what the entries print (title, question,
answers), counts and highlights the matches; section, cohort, unit, topic, person and hospital are separate filters —
and a word index (KWIC) computed in the page. A subset of the CJK font covering every
character the page can show (the whole booklet plus the interface text) is embedded, so it reads the same on any
machine. :func:`report_pdf` prints it to PDF with Chromium.

The report reads a study (``booklet``, ``params``, ``tables``, ``figures``), never files.
"""

from __future__ import annotations

import math
import numbers as _numbers
import re
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import pandas as pd

from .fonts import FontSubset, font_chars, font_subset, source_chars  # noqa: F401 - also used from here

TEMPLATES = Path(__file__).parent / "templates"

# ---------------------------------------------------------------- words readers see

#: Chinese header of every column the report or the comparison shows (unknown columns keep their name).
HEADERS: dict[str, str] = {
    # booklet
    "entry_id": "编号", "section": "栏目", "title": "问题", "cohort": "期次", "unit_no": "单元", "unit_title": "单元标题",
    "session_type": "课型", "asked_by": "提问人", "answered_by": "作答教员", "line_start": "起始行",
    "hospital": "医院", "name": "姓名", "role": "身份", "n_entries": "问答条数", "n_turns": "发言数",
    # topics and network
    "topic_id": "主题", "label": "主题名", "size": "条数", "top_terms": "关键词", "n_instructors": "作答教员数",
    "top_instructor": "主要作答教员", "top_share": "最高占比", "second_share": "次高占比", "relies_on_one": "依赖单一教员",
    "tie": "并列", "k": "其作答条数", "base_share": "其在全部问答中的作答占比", "lift": "是其总体作答比例的倍数", "flagged": "值得关注",
    "instructor": "教员", "n_topics": "涉及主题数", "p_overall": "p 值（不分课次）", "n_sessions": "课次数",
    "session_entries": "这些课次的问答条数", "session_k": "其在这些课次中作答条数", "rest_entries": "这些课次的其余问答条数",
    "rest_k": "其在其余问答中作答条数", "rest_share": "其在这些课次其余问答中的作答占比",
    "varying_sessions": "提供证据的课次数（其部分作答）", "varying_session_names": "提供证据的课次",
    "varying_topic_entries": "其中该主题条数", "varying_topic_k": "其中其作答该主题条数",
    "varying_rest_entries": "其中其余问答条数", "varying_rest_k": "其中其作答其余问答条数",
    "or_mh": "共同优势比（MH）", "p_cmh": "p 值（CMH）", "entropy": "主题分散度", "specialisation": "专注度",
    # coverage
    "unit": "单元", "unit_nos": "单元序号", "cohorts": "期次", "n_questions": "问答条数", "sections": "栏目",
    "main_topics": "主要主题", "key_terms": "关键词", "instructors": "作答教员", "top_hospitals": "提问最多的医院",
    "title_source": "标题来源", "n_without_home": "与单元无共同实词的问答", "share_without_home": "无归属占比",
    "has_home": "与单元有共同实词", "description": "单元简介", "lecturer": "授课教师", "in_curriculum": "在课程表中",
    "in_booklet": "合集中有问答", "same_number_titles": "他期同号单元的标题", "shared_terms": "共同词", "unit_terms": "单元标题词",
    # unit fit (the judgement of whether a question fits its unit)
    "fit": "契合", "fits": "契合单元", "fit_score": "与本单元的契合度", "margin": "差距", "n_units": "单元数",
    "representation": "文本表示", "best_unit": "最契合的单元", "best_score": "最高契合度",
    "judgement": "判断", "reason": "理由", "similarity": "相似度", "rank": "排名", "score": "得分",
    # trends
    "term": "词", "count": "次数", "count_rest": "其余组次数", "per_10k": "每万词", "doc_freq": "出现条数",
    "from_cohort": "起始期次", "to_cohort": "对比期次", "count_from": "前期次数", "count_to": "后期次数",
    "per_10k_from": "前期每万词", "per_10k_to": "后期每万词", "docs_from": "前期条数", "docs_to": "后期条数",
    "g2": "G²（对数似然比）", "p": "p 值", "p_g2": "p 值", "p_chi2": "p 值（χ²）", "chi2": "χ²",
    "log_ratio": "对数比（log₂，大于 0 表示本组用得多）",
    "call": "变化", "group": "组", "n_from": "前期问答条数", "n_to": "后期问答条数", "share_from": "前期占比",
    "share_to": "后期占比", "top_entry": "用得最多的问答", "top_entry_share": "该条占比", "top_speaker": "用得最多的发言人",
    "top_speaker_share": "该人占比", "one_speaker": "集中于一人", "shared_units": "两期共同单元数",
    "p_within_unit": "同单元内 p 值", "within_unit": "同单元内也显著", "g2_tokens": "G²（按词次）",
    # findings
    "kind": "类型", "text": "发现", "statistic": "统计量", "p_value": "p 值", "q_value": "q（校正后的显著性）",
    "entry_ids": "相关问答", "caveat": "注意",
    "code": "编码", "expression": "规则", "terms": "词语", "docs_group": "本组含该词条数", "n_group": "本组条数",
    "docs_rest": "其余含该词条数", "n_rest": "其余条数", "share_group": "本组占比", "share_rest": "其余占比",
    "key": "显著", "entries": "条数", "expected": "期望条数", "residual": "调整残差", "share": "占比",
    "z_margin": "标准化差值", "own_p": "本单元 p", "best_p": "另一单元 p",
    "half": "样本", "n_judged": "人工判读条数", "n_yes": "人工判为是", "n_coded": "规则命中", "tp": "命中且判为是",
    "fp": "误报", "fn": "漏报", "precision": "精确率", "recall": "召回率",
    "z_margin": "标准化差值", "own_p": "本单元 p", "best_p": "另一单元 p", "flag": "标记", "top_z": "最高标准化得分",
    "ranking": "大纲最贴近的单元（前三）", "about": "关键词", "evidence": "教员的说明", "evidence_unit": "教员所指单元",
    "evidence_line": "原文行", "evidence_quote": "教员原话", "syllabus": "单元依据",
    "n_code": "含该编码条数", "ci_low": "95% 区间下限", "ci_high": "95% 区间上限", "trend_z": "趋势 z",
    "trend_p": "趋势 p 值", "trend_q": "趋势 q 值", "within_units_z": "共有单元内趋势 z",
    "within_units_p": "共有单元内趋势 p 值", "p_without_one_cohort": "去掉任一期后最大的 p 值",
    # comparison
    "status": "状态", "old": "旧版", "new": "新版", "old_name": "旧版名称", "new_name": "新版名称",
    "n_old": "旧版条数", "n_new": "新版条数", "old_label": "旧版主题", "new_label": "新版主题", "old_topic": "旧版主题号",
    "new_topic": "新版主题号", "jaccard": "关键词重合度", "count_old": "旧版次数", "count_new": "新版次数",
    "per_10k_old": "旧版每万词", "per_10k_new": "新版每万词", "old_title": "旧版标题", "new_title": "新版标题",
    "old_entry": "旧版编号", "new_entry": "新版编号", "note": "说明", "docs_old": "旧版含该词条数", "docs_new": "新版含该词条数",
    "share_old": "旧版占比", "share_new": "新版占比", "what": "对象", "n_new_items": "新增",
    "n_gone": "消失", "n_kept": "保留", "n_renamed": "更名",
}

PERCENT_COLUMNS = {"top_share", "second_share", "share_without_home", "doc_share", "answer_share", "share",
                   "share_from", "share_to", "top_entry_share", "top_speaker_share", "base_share",
                   "share_old", "share_new", "rest_share", "ci_low", "ci_high", "cum_share", "share_kind",
                   "share_rest"}
P_COLUMNS = {"p", "p_g2", "p_chi2", "p_value", "q_value", "p_within_unit", "p_overall", "p_cmh", "trend_p", "trend_q",
             "within_units_p", "own_p", "best_p", "p_without_one_cohort"}
TIMES_COLUMNS = {"lift"}  # ratios read as "1.7 倍"

#: Headers that depend on the table (a column name meaning something else there).
TABLE_HEADERS: dict[str, dict[str, str]] = {
    "curriculum": {"label": "期次与单元"},
    "keyness_entries_by_section": {"group": "栏目"},
    "unit_fit": {"unit": "提问所在单元", "rank": "本单元的大纲排名"},
    "no_unit": {"unit": "提问所在单元", "ranking": "相对最接近的单元"},
    "code_share_by_cohort": {"shared_units": "各期共有的单元"},
    "topic_dependence": {"p_value": "p 值（同课次内比较）", "rank": "在该主题中的作答排名"},
    "recurring_needs": {"need_id": "需求", "label": "需求（共同词）", "unit": "单元", "similarity": "组内相似度"},
    "deferred_questions": {"turn_no": "发言", "line": "行号", "quote": "原文", "to_unit": "指向的课程", "subject": "推迟的内容",
                           "speaker": "教员", "asked_in": "提问所在单元"},
    "question_parts": {"part_no": "第几问", "n_parts": "本条问数", "turn_no": "发言", "line": "行号", "quote": "提问原文"},
    "askers_summary": {"asker": "提问学员", "n_entries": "开启条数", "n_cohort_entries": "本期条数",
                       "cum_share": "累计占比"},
    "hospital_kinds": {"label": "医院类型", "evidence": "依据（名称中的字样）", "askers": "提问学员"},
    "carried_topics": {"topic_id": "已有主题", "label": "主题名称", "fit": "吻合度（余弦）",
                       "runner_up_topic_id": "次接近的主题", "runner_up_fit": "其吻合度", "known_terms": "已知词数",
                       "new_theme": "候选的新主题"},
    "cohort_overview": {"cohort": "期次", "booklet": "合集", "cohort_printed": "合集所印期次", "n_entries": "问答条数",
                        "n_units": "单元数", "units": "单元（条数）", "topics": "主要主题（条数）",
                        "codes": "主要编码（条数）", "recurring_needs": "与其他期共有的需求", "entry_ids": "问答"},
    "booklets_overview": {"booklet": "合集", "cohorts": "期次", "n_entries": "分析的问答条数",
                          "n_reprints": "重印而未计入的条数"},
    "carried_topic_shares": {"topic_id": "主题", "label": "主题名称", "n_old": "上一本条数", "total_old": "上一本总条数",
                             "n_new": "本册条数", "total_new": "本册归入主题的条数", "share_old": "上一本占比",
                             "share_new": "本册占比", "direction": "变化"},
}

#: Columns shown for tables with many (the rest are in the CSV files); a table not listed shows all its columns.
SHOW_COLUMNS: dict[str, list[str]] = {
    "unit_fit": ["entry_id", "unit", "rank", "ranking", "evidence", "evidence_line", "evidence_quote"],
    "no_unit": ["entry_id", "title", "unit", "about", "ranking", "top_z"],
    "topic_dependence": ["topic_id", "label", "instructor", "rank", "tie", "n_entries", "k", "share", "base_share",
                         "lift", "p_overall", "n_sessions", "rest_entries", "rest_k", "rest_share", "varying_sessions",
                         "varying_session_names", "expected", "p_value", "q_value", "flagged"],
    "recurring_needs": ["need_id", "label", "entry_id", "title", "cohort", "unit", "section", "similarity"],
    "deferred_questions": ["entry_id", "kind", "asked_in", "to_unit", "subject", "speaker", "line", "quote"],
    "askers_summary": ["cohort", "rank", "asker", "hospital", "n_entries", "n_cohort_entries", "cum_share", "entry_ids"],
    "hospital_kinds": ["label", "hospital", "evidence", "askers", "n_entries", "entry_ids"],
    "emerging_fading_terms": ["from_cohort", "to_cohort", "term", "call", "docs_from", "n_from", "docs_to", "n_to",
                              "share_from", "share_to", "p_value", "q_value", "top_speaker", "one_speaker",
                              "within_unit"],
}
COHORT_COLUMNS = {"cohort", "from_cohort", "to_cohort"}
#: Short labels that must not wrap mid-word (信息规/划): a section's or kind's name stays on one line.
NOWRAP_COLUMNS = {"section", "group", "kind", "call", "key", "status", "role", "cohort", "from_cohort", "to_cohort",
                  "unit_no", "term"}
UNIT_COLUMNS = {"unit_no"}

#: Codes inside tables shown as words.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "title_source": {"booklet": "合集原文", "inferred": "据他期推断", "unknown": "未知"},
    "call": {"emerging": "增多", "fading": "减少", "unit effect": "单元效应", "rising": "上升", "falling": "下降",
             "one cohort": "只靠一期", "one speaker": "只靠一位学员", "": ""},
    "key": {"over": "显著多", "under": "显著少", "": ""},
    "direction": {"more": "本册更多", "fewer": "本册更少", "": ""},
    "status": {"new": "新增", "gone": "消失", "kept": "保留", "renamed": "更名", "rising": "增多", "falling": "减少",
               "returning": "保留", "vanished": "消失", "gained": "新增", "lost": "消失"},
    "role": {"trainee": "学员", "instructor": "教员", "host": "主持人", "unknown": "未知"},
    "session_type": {"unit": "课程单元", "discussion": "答疑讨论课"},
    "half": {"dev": "开发集（偶数号，规则据此调整）", "held_out": "留出集（奇数号）", "all": "全部"},
    "flag": {"closer_elsewhere": "更接近另一单元", "fits_no_unit": "用词上与各单元大纲都不接近", "": ""},
    "evidence": {"defer": "留给其他课程", "own": "本课讲过", "both": "本课讲过，其他课程另讲", "": ""},
    "syllabus": {"file": "课程表文件的单元说明", "example": "示例课程表的单元说明", "titles": "仅单元标题"},
    "kind": {"caveat": "注意事项", "keyness": "关键词", "coverage": "课程覆盖", "gap": "缺口", "topic": "主题",
             "trend": "趋势", "network": "作答教员",
             "dependence": "依赖某位教员", "code_share": "各期编码占比", "cohort_trend": "多期趋势", "homeless": "无归属问题",
             "unit_fit": "单元契合", "emerging": "增多的词", "no_unit": "与各单元都不接近",
             "fading": "减少的词", "low_draw": "问答少的单元", "specialisation": "教员专注度",
             "need": "可能的共同需求", "deferral": "指向后续课程或未答", "parts": "一次问了几件事", "askers": "谁在提问", "defer": "指出后续课程会讲",
             "out_of_scope": "不属本单元", "sidestep": "称难以回答",
             "hedged": "称难答，也作了回答", "carried_topic": "沿用的主题"},
}
BADGES = {"new": "new", "gone": "gone", "renamed": "renamed", "vanished": "gone", "gained": "new", "lost": "gone",
          "rising": "new", "falling": "gone"}

SEARCH_PLACEHOLDER = "搜索问答原文：标题、提问与回答……"
UI_TEXT = ("全部显示仅显示：条。点击表头可排序按筛选搜索此表中问答期次栏目主题展开收起相关注意是否第单元期"
           "▲▼▸▾ ·—…“”‘’（）《》【】，。、：；？！%<>≤≥±×→←＋－÷°·" + SEARCH_PLACEHOLDER)


def header(column: str) -> str:
    """Chinese header of a column (its name when no translation is known)."""
    return HEADERS.get(str(column), str(column))


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def fmt_number(x: float, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals, never ``-0.00``; integers without decimals."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    s = f"{x:.{digits}f}"
    return s[1:] if re.fullmatch(r"-0\.?0*", s) else s


def fmt_p(p: float) -> str:
    """A p- or q-value as people write it: ``<0.001``, ``0.003``, ``0.04``, ``0.50``."""
    if p < 0.001:
        return "<0.001"
    if p < 0.01:
        return f"{p:.3f}"
    return f"{p:.2f}"


def fmt_cell(column: str, value: Any) -> tuple[str, float | None]:
    """Display text and numeric sort key of one cell (sort key ``None``: sort by the text, numbers inside it
    compared as numbers)."""
    if is_missing(value):
        return "", None
    col = str(column)
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return ("是" if value else "否"), float(bool(value))
    if col in VALUE_LABELS and isinstance(value, str):
        return VALUE_LABELS[col].get(value, value), None
    if isinstance(value, _numbers.Number):
        x = float(value)
        if col in COHORT_COLUMNS:
            return f"第{int(x)}期", x
        if col in UNIT_COLUMNS:
            return f"第{int(x)}单元", x
        if col in PERCENT_COLUMNS or col.startswith("share_") or col.endswith("_share"):
            return fmt_number(100 * x, 1) + "%", x
        if col in P_COLUMNS:
            return fmt_p(x), x
        if col in TIMES_COLUMNS:
            return fmt_number(x, 1) + " 倍", x
        return fmt_number(x), x
    return str(value), None


# ---------------------------------------------------------------- page pieces (data for the templates)

@dataclass
class Cell:
    text: str
    sort: float | str | None = None
    cls: str = ""
    ids: list[str] | None = None  # a link that shows these entries in the table of all entries
    label: str = ""               # what that link shows, in words
    badge: str = ""


@dataclass
class Column:
    name: str
    label: str


@dataclass
class TableView:
    id: str
    columns: list[Column]
    rows: list[list[Cell]]
    title: str = ""
    intro: str = ""
    note: str = ""
    searchable: bool = False
    hint: str = ""  # how to use the table on screen (hidden on paper)


def sort_text(x: float | None) -> str | None:
    return None if x is None else repr(float(x))


def table_view(df: pd.DataFrame, table_id: str, title: str = "", intro: str = "", note: str = "",
               max_rows: int | None = None, searchable: bool = False,
               cells: Mapping[str, Callable[[Any, Any], Cell]] | None = None,
               headers: Mapping[str, str] | None = None, drop_empty: bool = True) -> TableView:
    """A table for the page: Chinese headers (``headers`` overrides :data:`HEADERS` for this table), formatted
    cells with numeric sort keys, columns with no value at all left out (``drop_empty``). ``cells`` maps a column
    to a function (value, row) → :class:`Cell` for special columns (links)."""
    if drop_empty and len(df):
        df = df[[c for c in df.columns if not df[c].map(lambda v: is_missing(v) or v == "").all()]]
    d = df if max_rows is None or len(df) <= max_rows else df.head(max_rows)
    if max_rows is not None and len(df) > max_rows and not note:
        note = f"表中只列出前 {max_rows} 行（共 {len(df)} 行），完整数据见 data/processed/。"
    cols = [Column(str(c), (headers or {}).get(str(c)) or header(c)) for c in d.columns]
    rows = []
    for rec in d.itertuples(index=False):
        row = []
        for c, v in zip(d.columns, rec):
            if cells and c in cells:
                row.append(cells[c](v, rec))
                continue
            text, key = fmt_cell(c, v)
            numeric = key is not None and text not in ("是", "否")
            row.append(Cell(text, sort_text(key), "num" if numeric and c not in COHORT_COLUMNS | UNIT_COLUMNS
                            else ("wide" if len(text) > 40 else "nowrap" if c in NOWRAP_COLUMNS else ""),
                            badge=BADGES.get(str(v), "") if c == "status" else ""))
        rows.append(row)
    return TableView(table_id, cols, rows, title, intro, note, searchable)


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list[dict] = field(default_factory=list)


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True, finalize=_xml_safe_value)


def _xml_safe_value(value):
    """Every value a page prints, through the XML character rule of the graphs and figures
    (:func:`corpus_tools.text.xml_safe`); markup stays markup (escaped later only if it was plain text)."""
    from markupsafe import Markup

    from .text import xml_safe

    if isinstance(value, Markup):
        return Markup(xml_safe(str(value)))
    return xml_safe(value)


def figure_svg(fig) -> str:
    """A matplotlib figure as SVG text (in the project's figure style)."""
    from .plots.style import figure_bytes

    return figure_bytes(fig, "svg").decode("utf-8")


_SVG_ID = re.compile(r'(\bid=")([^"]+)(")|(url\(#)([^)]+)(\))|((?:xlink:)?href="#)([^"]+)(")')


def strip_svg(svg: str, prefix: str = "") -> str:
    """The ``<svg>`` element of an SVG file (no XML prolog or doctype); with ``prefix``, every id inside it (and
    every reference to one) is prefixed, so several figures inlined in one page never share an id."""
    svg = svg[svg.index("<svg"):]
    if not prefix:
        return svg

    def sub(m: re.Match) -> str:
        g = m.groups()
        for i in (0, 3, 6):
            if g[i] is not None:
                return f"{g[i]}{prefix}-{g[i + 1]}{g[i + 2]}"
        return m.group(0)  # pragma: no cover

    return _SVG_ID.sub(sub, svg)


#: stands for the embedded font's base64 text while a page is rendered (see :func:`render_with_font_slot`)
FONT_SLOT = "corpus-tools-font-slot-3c9e1b"


def render_with_font_slot(template, ctx: dict) -> tuple[str, Callable[[str], str]]:
    """``template`` rendered once without its font: ``(page, fill)``, where ``page`` is the page without the font's
    text and ``fill(font_b64)`` the page with it — the same text as rendering again with ``font_b64`` (base64 needs
    no escaping), without rendering twice. Should the page's own text hold :data:`FONT_SLOT`, it is rendered again."""
    slotted = template.render(font_b64=FONT_SLOT, **ctx)
    if slotted.count(FONT_SLOT) != 1:
        return template.render(font_b64="", **ctx), lambda b64: template.render(font_b64=b64, **ctx)
    head, tail = slotted.split(FONT_SLOT)
    return head + tail, lambda b64: head + b64 + tail


def covering_font(needed: frozenset, font: FontSubset | None = None,
                  cut: Callable[[frozenset], FontSubset] = font_subset) -> FontSubset:
    """``font`` if it holds every character of ``needed``, else a subset cut to both by ``cut`` (a page whose font
    was prepared before it was rendered shows a character that was not foreseen)."""
    if font is not None and needed <= font.chars:
        return font
    return cut(needed | (font.chars if font is not None else frozenset()))


def base_chars(booklet: Any, extra: str = "") -> frozenset:
    """Characters known before any analysis (:func:`source_chars` of the parsed booklet's text)."""
    return source_chars(booklet_text(booklet), extra)


def report_chars(study: StudyLike, extra: str = "") -> frozenset:
    """What a study's pages may show: :func:`base_chars` and the characters of every text cell of the study's
    tables and of the figures' titles and captions. Usually nothing beyond :func:`base_chars` (the tables hold
    words of the booklet and of the parameter files), so the font can be cut before the analysis ends."""
    parts = []
    for df in study.tables.values():
        parts.append("".join(map(str, df.columns)))
        for col in df.columns:
            s = df[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                parts.append("".join(map(str, s.cat.categories)))
            elif s.dtype == object or str(s.dtype) == "string":
                parts.append("".join(map(str, s.unique())))  # distinct values, no object copy of the column
    for spec in study.figures.values():
        parts += [str(getattr(spec, a, "") or "") for a in ("title", "caption", "method")]
    return base_chars(study.booklet, extra) | font_chars("".join(parts))


@dataclass
class Report:
    """A page: title, subtitle, sections of blocks; :meth:`render` gives the whole HTML document.
    ``font_text`` is text the page may show beyond what it contains (e.g. the whole booklet, for search)."""

    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)
    template: str = "report.html.j2"
    font_text: str = ""

    def add(self, anchor: str, title: str, *blocks: dict) -> Section:
        s = Section(anchor, title, [b for b in blocks if b])
        self.sections.append(s)
        return s

    def render(self, embed_font: bool = True, font: FontSubset | None = None) -> str:
        """The HTML document, with the CJK font cut to the characters it shows (``font``: a subset prepared
        earlier, used when it holds every character of the page, else extended)."""
        if not embed_font:
            ctx = dict(title=self.title, subtitle=self.subtitle, sections=self.sections)
            return _environment().get_template(self.template).render(font_b64="", **ctx)
        return self.render_later()({}, font)  # no figure slot to fill

    def render_later(self) -> Callable[[Mapping[str, str], FontSubset | None], str]:
        """Render the page now, its figures and font later: ``finish(svgs, font)`` puts each figure's SVG (stem →
        SVG text) where a :func:`figure_slot` stands and embeds the font as :meth:`render` does — the page
        :meth:`render` gives with those SVGs in the figure blocks. (A run renders the page while its workers
        draw the last figures.)"""
        import html as _html

        ctx = dict(title=self.title, subtitle=self.subtitle, sections=self.sections)
        page, fill_font = render_with_font_slot(_environment().get_template(self.template), ctx)

        def finish(svgs: Mapping[str, str], font: FontSubset | None = None) -> str:
            # every character of the page: text, attribute values (placeholders, labels), text inside the figures
            shown = _html.unescape(_fill_figure_slots(page, svgs))
            font = covering_font(font_chars(shown + self.font_text + UI_TEXT), font)
            return _fill_figure_slots(fill_font(font.woff_b64), svgs)

        return finish

    def __str__(self) -> str:
        return self.render()


_FIGURE_SLOT = re.compile(r'<svg data-figure-slot="([a-z0-9_]+)"></svg>')


def figure_slot(stem: str) -> str:
    """What stands for figure ``stem``'s SVG in a page rendered before the figure is drawn (see
    :meth:`Report.render_later`)."""
    return f'<svg data-figure-slot="{stem}"></svg>'


def _fill_figure_slots(page: str, svgs: Mapping[str, str]) -> str:
    return _FIGURE_SLOT.sub(lambda m: strip_svg(svgs[m.group(1)], f"fig-{m.group(1)}"), page)


# ---------------------------------------------------------------- blocks

def numbers_block(items: list[tuple[str, object]]) -> dict:
    return dict(kind="numbers", items=[(k, v) for k, v in items])


def text_block(text: str) -> dict:
    return dict(kind="text", text=text)


def heading_block(text: str) -> dict:
    return dict(kind="heading", text=text)


def table_block(view: TableView) -> dict:
    return dict(kind="table", table=view)


def figure_block(stem: str, svg: str, title: str, caption: str = "", method: str = "", source: str = "",
                 folder: str = "") -> dict:
    """A figure shown at the page's full width; ``folder`` (e.g. ``figures/``): where its SVG and ``data/<stem>.csv``
    are written beside the page, linked under the caption (a designer takes the file and its data from there)."""
    from markupsafe import Markup

    return dict(kind="figure", stem=stem, svg=Markup(strip_svg(svg, f"fig-{stem}")), title=title, caption=caption,
                method=method, source=source, folder=folder)


# ---------------------------------------------------------------- the review report

class FigureSpecLike(Protocol):
    stem: str
    make: Callable[[], Any]
    title: str
    caption: str
    method: str
    source: str


class StudyLike(Protocol):
    booklet: Any
    params: Any
    tables: dict[str, pd.DataFrame]
    figures: dict[str, FigureSpecLike]


def params_sentence(params: Any, k: int | None) -> str:
    """The run's parameters as one sentence (k: the number of topics the model has)."""
    given = getattr(params, "k", None)
    parts = []
    if k is not None:
        parts.append(f"主题数 k 由用户指定为 {k}" if given is not None else
                     f"主题数 k 由稳定性与一致性规则（k = 5…12 中稳定性 ≥ 0.8、每个主题至少 3 条问答者，"
                     f"取一致性与稳定性均值最高）选定为 {k}")
    seed = getattr(params, "seed", None)
    if seed is not None:
        parts.append(f"随机种子 {seed}（同一输入、同一种子，结果完全相同）")
    parts.append("学员以编号代替姓名" if getattr(params, "anonymise", False) else "学员显示姓名")
    curriculum = getattr(params, "curriculum", None)
    parts.append(f"课程表取自 {Path(str(curriculum)).name}" if curriculum else "未提供课程表（单元取自问答合集本身）")
    if getattr(params, "codes", None):
        parts.append(f"编码规则取自 {Path(str(params.codes)).name}")
    formats = getattr(params, "formats", None)
    if formats:
        parts.append("图表另存为 " + "、".join(str(f).upper() for f in formats) + " 文件")
    return "；".join(parts) + "。"


def _cohort_text(v: Any) -> str:
    return "" if is_missing(v) else f"第{int(v)}期"


def _unit_text(r: Any) -> tuple[str, float | None]:
    if r.session_type == "unit" and not is_missing(r.unit_no):
        return f"第{int(r.unit_no)}单元 {r.unit_title or ''}".strip(), float(r.unit_no)
    if r.session_type == "discussion":
        n = "" if is_missing(getattr(r, "session_no", None)) else f" {int(r.session_no)}"
        return f"答疑讨论课{n}", 1000.0 + (0 if not n else int(n))
    return "", None


def _first_topics(tables: Mapping[str, pd.DataFrame]) -> tuple[dict[int, int], dict[int, str]]:
    et, topics = tables.get("entry_topics"), tables.get("topics")
    if et is None or topics is None:
        return {}, {}
    first = et[et["rank"] == 1]
    labels = {int(t.topic_id): str(t.label) for t in topics.itertuples()}
    return {int(r.entry_id): int(r.topic_id) for r in first.itertuples()}, labels


def _unit_key(r: Any) -> str:
    """The filter value of an entry's unit: ``1-u3`` (cohort 1, unit 3), ``3-d1`` (cohort 3, discussion class 1)."""
    c = "" if is_missing(r.cohort) else str(int(r.cohort))
    if r.session_type == "unit" and not is_missing(r.unit_no):
        return f"{c}-u{int(r.unit_no)}"
    if r.session_type == "discussion":
        return f"{c}-d{'' if is_missing(getattr(r, 'session_no', None)) else int(r.session_no)}"
    return ""


def _multi(values) -> str:
    """Several filter values in one data attribute: ``|a|b|`` (the page tests ``|value|`` inside it)."""
    vals = [str(v) for v in dict.fromkeys(values) if str(v)]
    return "|" + "|".join(vals) + "|" if vals else ""


def entries_block(booklet: Any, tables: Mapping[str, pd.DataFrame], names: Mapping[str, str]) -> dict:
    """Every entry: one row (number, question, section, cohort, unit, topic, askers, their hospitals,
    instructors) and its full Q&A (every turn, the source note), which opens on a click.

    The search box searches what the reader reads (the title, the question and the answers, spaces and line
    breaks ignored) and highlights it; section, unit, cohort, topic, person and hospital are separate filters
    (each entry carries its values as ``data-*`` attributes)."""
    e = booklet.entries
    topic_of, labels = _first_topics(tables)
    a = booklet.askers[booklet.askers.opens_entry] if "opens_entry" in booklet.askers else booklet.askers
    hosp = a.groupby("entry_id").hospital_canonical.apply(lambda s: "、".join(dict.fromkeys(x for x in s if x)))
    turns = booklet.turns.sort_values(["entry_id", "turn_no"], kind="stable")
    by_entry = {k: g for k, g in turns.groupby("entry_id", sort=False)}
    hidden = {n: c for n, c in names.items() if n != c and len(n) >= 2}

    def hide(s: str) -> str:
        for n, c in hidden.items():
            s = s.replace(n, c)
        return s

    columns = [Column(n, l) for n, l in (("entry_id", "编号"), ("title", "问题"), ("section", "栏目"),
                                          ("cohort", "期次"), ("unit", "单元"), ("topic", "主题"),
                                          ("asked_by", "提问人"), ("hospital", "提问人医院"),
                                          ("answered_by", "作答教员"))]
    rows = []
    people_of: dict[str, set[int]] = {}
    units: dict[str, tuple[float, str]] = {}
    for r in e.itertuples():
        eid = int(r.entry_id)
        unit, unit_key = _unit_text(r)
        ukey = _unit_key(r)
        if ukey:
            units[ukey] = ((0 if is_missing(r.cohort) else float(r.cohort)) * 10000 + (unit_key or 0),
                           f"{_cohort_text(r.cohort)} {unit}".strip())
        t = topic_of.get(eid)
        topic = f"{t} {labels.get(t, '')}" if t is not None else ""
        askers = "、".join(names.get(n, n) for n in str(r.asked_by or "").split("、") if n) or (
            "（匿名学员）" if r.asked_by_role == "trainee" else "")
        cells = [Cell(str(eid), repr(float(eid)), "num"), Cell(hide(str(r.title))), Cell(str(r.section), cls="nowrap"),
                 Cell(_cohort_text(r.cohort), None if is_missing(r.cohort) else repr(float(r.cohort)), "nowrap"),
                 Cell(unit, sort_text(unit_key)), Cell(topic, None if t is None else repr(float(t))),
                 Cell(askers), Cell(str(hosp.get(r.entry_id, ""))), Cell(str(r.answered_by or ""))]
        mine = by_entry.get(r.entry_id, pd.DataFrame())
        people = [n for x in (r.asked_by, r.answered_by) for n in str(x or "").split("、") if n]
        people += [n for sp in (mine.speaker if len(mine) else []) for n in str(sp or "").split("、") if n]
        people = [names.get(n, n) for n in dict.fromkeys(people)]
        for n in people:
            people_of.setdefault(n, set()).add(eid)
        qa = _qa_turns(mine, names, hide)
        note = (f"{hide(str(r.source_note or ''))}　（原书第 {int(r.line_start)}–{int(r.line_end)} 行）")
        rows.append(dict(id=eid, cells=cells, turns=qa, note=note,
                         data={"cohort": _multi(["" if is_missing(r.cohort) else str(int(r.cohort))]),
                               "section": _multi([str(r.section)]), "topic": _multi(["" if t is None else str(t)]),
                               "unit": _multi([ukey]), "people": _multi(people),
                               "hospital": _multi(str(hosp.get(r.entry_id, "")).split("、"))}))
    filters = _entry_filters(booklet, names, units, labels, people_of, hosp)
    return dict(kind="entries", entries=dict(
        columns=columns, rows=rows, filters=filters, title_col=1, placeholder=SEARCH_PLACEHOLDER,
        help="搜索范围：每条问答的标题、提问与回答原文（空格与换行不影响匹配），匹配处在展开的问答中以底色标出；"
             "栏目、期次、单元、主题、人物、医院用搜索框旁的筛选框。",
        hint="点击表头排序，点击一行展开完整问答。"))


def _qa_turns(turns: pd.DataFrame, names: Mapping[str, str], hide: Callable[[str], str]) -> list[dict]:
    """The turns of one entry as the page shows them: role, speaker (a trainee by code when ``names`` replaces
    them), text, and the short speaker line; every name ``hide`` replaces, replaced in the text too."""
    qa = []
    for tr in turns.itertuples():
        role = str(tr.role)
        if role == "trainee" and names.get(tr.speaker, tr.speaker) != tr.speaker:
            who = f"学员 {names[tr.speaker]}"
        else:
            who = str(tr.label or tr.speaker or VALUE_LABELS["role"].get(role, ""))
        short = "、".join(names.get(n, n) for n in str(tr.speaker or "").split("、") if n)
        short = f"{short}（{VALUE_LABELS['role'].get(role, '')}）".replace("（）", "") if short else hide(who)
        qa.append(dict(role=role, who=hide(who), text=hide(str(tr.text)), short=short))
    return qa


def _entry_filters(booklet: Any, names: Mapping[str, str], units: Mapping[str, tuple[float, str]],
                   labels: Mapping[int, str], people_of: Mapping[str, set[int]], hosp: pd.Series) -> list[dict]:
    """The filters of the entries table: section, cohort, unit (in programme order), topic, people (instructors
    first, then by entries) and hospital (by entries)."""
    cohorts = sorted(int(c) for c in booklet.entries.cohort.dropna().unique())
    filters = [dict(field="section", label="栏目", options=[(s, s) for s in booklet.sections.section]),
               dict(field="cohort", label="期次", options=[(str(c), f"第{c}期") for c in cohorts]),
               dict(field="unit", label="单元", options=[(k, v[1]) for k, v in sorted(units.items(),
                                                                                    key=lambda kv: kv[1][0])])]
    if labels:
        filters.append(dict(field="topic", label="主题", options=[(str(t), f"{t} {l}") for t, l in
                                                                 sorted(labels.items())]))
    role_of = dict(zip(booklet.people.name.map(lambda n: names.get(n, n)), booklet.people.role))
    ranked = sorted(people_of.items(), key=lambda kv: (role_of.get(kv[0]) != "instructor", -len(kv[1]), kv[0]))
    filters.append(dict(field="people", label="人物", options=[
        (n, f"{n}（{VALUE_LABELS['role'].get(str(role_of.get(n, '')), '')}，{len(ids)} 条）".replace("（，", "（"))
        for n, ids in ranked]))
    hospitals = sorted({h for v in hosp for h in str(v).split("、") if h}, key=lambda h: (
        -sum(h in str(v).split("、") for v in hosp), h))
    filters.append(dict(field="hospital", label="医院", options=[(h, h) for h in hospitals]))
    return filters


def kwic_block() -> dict:
    """The concordance (KWIC) in the page: a term box listing every use of the term in the entries' titles and
    turns — left context, the term, right context, entry, speaker — each line linking to its entry. Computed in
    the page from the entries' text (nothing is precomputed), so it works offline for any term."""
    return dict(kind="kwic", window=20, help=(
        "输入一个词，列出它在全部问答（标题、提问与回答）中的每一次出现：左侧上下文、该词、右侧上下文、所在问答与发言人。"
        "空格与换行不影响匹配。"), hint="点击“第 N 条”打开该条问答；点击表头可按左侧或右侧上下文排序。")


def _ids_cell(value: Any, row: Any) -> Cell:
    ids = [s.strip() for s in str("" if is_missing(value) else value).split(",") if s.strip()]
    if not ids:
        return Cell("")
    return Cell(f"查看 {len(ids)} 条问答", ids=ids, label=f"“{str(getattr(row, 'text', ''))[:40]}”的 {len(ids)} 条问答")


def _entry_cell(value: Any, row: Any) -> Cell:
    """An entry number that shows the entry in the table of all entries."""
    if is_missing(value):
        return Cell("")
    i = str(int(value))
    return Cell(i, repr(float(value)), "num", ids=[i], label=f"第 {i} 条问答")


def findings_block(findings: pd.DataFrame) -> dict:
    """The findings table (kind, text, statistic, p_value, q_value, entry_ids, caveat), each row linking to its
    entries."""
    cols = [c for c in ("kind", "text", "statistic", "p_value", "q_value", "entry_ids", "caveat")
            if c in findings.columns]
    view = table_view(findings[cols], "findings-table", cells={"entry_ids": _ids_cell}, intro=(
        "每条发现都由数据表计算得出；p 值越小越不像偶然，q（校正后的显著性）已按同时检验的个数校正"
        "（q < 0.05 可视为可靠，除非这一行说明它经不起复核，例如去掉某一期后不再显著）。"))
    view.hint = "点击“查看 … 条问答”可在下方表中只显示相关问答。"
    return table_block(view)


REVIEW_LAYOUT: list[tuple[str, str, list[str], list[tuple[str, str, int | None]]]] = [
    # anchor, title, figure stems, tables (name, title, max rows)
    ("coverage", "课程覆盖与缺口",
     ["coverage_questions_per_unit", "coverage_unit_by_section", "coverage_unit_by_topic", "overview_entries_by_unit"],
     [("coverage_units", "每个课程单元一行", None), ("curriculum", "各期的课程单元与问答条数", None),
      ("unit_fit", "最贴近的不是所在单元的问答，与教员说明在别处讲的问答（大纲排名是翻阅的线索，不是“放错单元”的结论）",
       None)]),
    ("no_unit", "用词上与各单元大纲都不接近的问题（阅读清单，不是课程缺口）", [],
     [("no_unit", "用词上与各单元大纲都不接近的问答：只比较了用词，人工核对中多数其实有单元覆盖（精确率见“主要发现”），"
       "请逐条阅读原文，不要当作课程缺口", None)]),
    ("needs", "学员的需求：可能反复出现的问题、指向后续课程或未答的问题、谁在提问", [],
     [("recurring_needs", "可能的共同需求（提问与回答用词相近、提问共有领域名词的问答归为一组；是否同一需求请读原文）", None),
      ("deferred_questions", "教员指出后续课程会讲、说不属本单元、未作回答或称难以回答的问题（带原文与行号；多数当场也作了回答）",
       None),
      ("question_parts", "问了不止一件事的问答，逐问列出（请逐问读回答，核对每一问是否都答到了；每条只问一件事的见 CSV）",
       None),
      ("askers_summary", "各期提问最多的学员（按开启的问答条数）", 30),
      ("hospital_kinds", "按医院名称判断的医院类型与其学员开启的问答", None)]),
    ("topics", "主题与例题", ["topics_section_heatmap", "topics_top_terms", "topics_entry_map"], []),
    ("carry", "沿用上一本的主题（--topics-from）", [],
     [("carried_topic_shares", "各主题的问答占比：上一本对本册（Fisher 精确检验，BH q ≤ 0.05 时标出变化）", None),
      ("carried_topics", "本册每条问答归入的已有主题与吻合度（低于阈值的是候选的新主题）", None)]),
    ("network", "谁问、谁答、关于什么",
     ["matrix_instructor_topic", "network_instructor_coanswer", "matrix_instructor_section"],
     [("topic_dependence", "主题是否依赖某位教员（同一课次内比较，分层精确检验）", None), ("instructor_specialisation", "教员的主题跨度", None)]),
    ("trends", "趋势与关键词",
     ["trends_top_terms_by_cohort", "trends_terms_by_unit", "keyness_by_cohort", "keyness_by_section",
      "keyness_xray", "cohort_trends"],  # cohort_trends: drawn only when a trend over the cohorts is called
     [("emerging_fading_terms", "相邻两期明显增多或减少的词", 40),
      ("reprinted_entries", "后出合集重印的问答（内容与来源说明都相同，只计一次；只在分析多本合集时出现）", None),
      ("keyness_entries_by_section", "各栏目明显多用的词（逐条问答计数，Fisher 检验，q ≤ 0.05）", 40)]),
    ("codes", "能力领域编码",
     ["codes_heatmap_section", "codes_heatmap_cohort", "codes_share_by_cohort", "ca_terms_sections",
      "ca_codes_sections"],
     [("codebook", "编码规则（可在 codebook.yaml 中修改，用 --codes 指定）", None),
      ("code_validation", "编码规则对照人工判读：精确率与召回率（看留出集；只对随包附带的这本合集计算）", None),
      ("code_share_by_cohort", "各期问答中每个编码的占比（Wilson 95% 区间；逐期趋势检验）", None)]),
]

#: the figures the review report shows (the key numbers' figure and those of :data:`REVIEW_LAYOUT`): what a run
#: draws unless it is asked for every figure (``Params.all_figures``)
REPORT_FIGURES: frozenset[str] = frozenset(
    ["overview_entries_by_section", *(stem for _, _, stems, _ in REVIEW_LAYOUT for stem in stems)])


def build_review(study: StudyLike, svgs: Mapping[str, str] | None = None) -> Report:
    """The review report of a study (``booklet``, ``params``, ``tables``, ``figures`` of FigureSpec). ``svgs`` maps a
    figure stem to its SVG text already rendered; figures not in it are drawn with their ``make()``."""
    from .network import trainee_names

    b = study.booklet
    tables = study.tables
    anonymise = bool(getattr(study.params, "anonymise", False))
    fig = _figure_blocks(study.figures, dict(svgs or {}))
    topics = tables.get("topics")
    k = len(topics) if topics is not None else None
    rep = Report(title="培训班问答合集 · 课程评审报告",
                 subtitle=f"{Path(str(b.meta.get('source', ''))).name} · {len(b.entries)} 条问答 · "
                          f"{len(b.sections)} 个栏目 · 文件校验码 {str(b.meta.get('sha256', ''))[:12]}")
    rep.add("numbers", "关键数字", numbers_block(_key_numbers(b, k)), fig("overview_entries_by_section"))
    if "findings" in tables and len(tables["findings"]):
        rep.add("findings", "主要发现", findings_block(tables["findings"]))
    from .programmeview import shows_programme

    if shows_programme(b.entries):
        rep.add("programme", "逐期总览（多本合集）", *programme_blocks(b, tables))
    topic_of, labels = _first_topics(tables)
    for anchor, title, stems, names_ in REVIEW_LAYOUT:
        blocks = []
        if anchor == "topics" and topics is not None:
            blocks.append(_topics_block(b, tables, topic_of))
        blocks += [fig(s) for s in stems]
        for name, ttitle, max_rows in names_:
            blocks += _table_blocks(name, ttitle, max_rows, tables, b)
        blocks = [x for x in blocks if x]
        if blocks:
            rep.add(anchor, title, *blocks)
    rep.add("entries", "全部问答", entries_block(b, tables, trainee_names(b.people, anonymise)))
    rep.add("kwic", "词语索引（上下文中的每一次出现）", kwic_block())
    rep.add("about", "说明与参数", *_about_blocks(study, k, anonymise))
    rep.font_text = booklet_text(b)
    return rep


def _figure_blocks(figures: Mapping[str, Any], svgs: dict[str, str]) -> Callable[[str], dict | None]:
    """``fig(stem)``: the figure block of ``stem`` (its SVG from ``svgs``, else drawn now), a note in its place when
    it cannot be drawn (one broken figure must not cost the reader the whole report), None for no such figure."""

    def fig(stem: str) -> dict | None:
        spec = figures.get(stem)
        if spec is None and stem not in svgs:
            return None
        svg = svgs.get(stem)
        if svg is None:
            try:
                svg = figure_svg(spec.make())
            except Exception as exc:  # noqa: BLE001 - reported in the page and as a warning
                warnings.warn(f"figure {stem} could not be drawn: {exc!r}", RuntimeWarning, stacklevel=2)
                return text_block(f"（图“{getattr(spec, 'title', '') or stem}”未能生成：{type(exc).__name__}）")
        return figure_block(stem, svg, getattr(spec, "title", "") or stem, getattr(spec, "caption", ""),
                            getattr(spec, "method", ""), getattr(spec, "source", ""), folder="figures/")

    return fig


def _key_numbers(b: Any, k: int | None) -> list[tuple[str, object]]:
    """The 关键数字 of the booklet (entries, sections, cohorts, units, trainees, instructors, hospitals, topics)."""
    numbers = [("条问答", len(b.entries)), ("个栏目", len(b.sections)), ("个期次", int(b.entries.cohort.nunique())),
               ("个单元/讨论课", len(b.units)), ("位提问学员", int((b.people.role == "trainee").sum())),
               ("位作答教员", int((b.people.role == "instructor").sum())), ("家医院", len(b.hospitals))]
    if k is not None:
        numbers.append(("个主题", k))
    return numbers


def _called_terms(df: pd.DataFrame) -> pd.DataFrame:
    """emerging_fading_terms: the rows with a call, by p."""
    if "call" not in df:
        return df
    by = [c for c in ("p_value", "p", "term") if c in df.columns]
    return df[df["call"].fillna("") != ""].sort_values(by, kind="stable")


def _key_sections(df: pd.DataFrame) -> pd.DataFrame:
    """keyness_entries_by_section: the positively key terms with q ≤ 0.05, by section and q."""
    if "q_value" not in df:
        return df
    return df[(df["q_value"] <= 0.05) & (df["log_ratio"] > 0)].sort_values(["group", "q_value", "term"],
                                                                          kind="stable")


def _unit_fit_rows(df: pd.DataFrame) -> pd.DataFrame:
    """unit_fit: the entries whose own unit is not the best fit, or with evidence to show."""
    if "ranking" not in df:
        return df
    return df[(df["rank"].astype("Int64") > 1).fillna(False) | (df["evidence"].fillna("") != "")]


#: table name → the rows the review shows of it (the rest are shown whole)
def _codebook_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The codebook with each rule said in words (提问中有…), not in the codebook's syntax."""
    from .codes import expression_zh

    return df.assign(expression=df["expression"].map(expression_zh)) if "expression" in df else df


def _several_parts(parts: pd.DataFrame) -> pd.DataFrame:
    """The parts of the questions asked in several parts (the review's reading list; the CSV keeps every part)."""
    return parts[parts.n_parts >= 2]


REVIEW_ROWS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "emerging_fading_terms": _called_terms, "keyness_entries_by_section": _key_sections, "unit_fit": _unit_fit_rows,
    "codebook": _codebook_rows, "question_parts": _several_parts}


def _table_blocks(name: str, ttitle: str, max_rows: int | None, tables: Mapping[str, pd.DataFrame],
                  b: Any) -> list[dict]:
    """The blocks of one table of :data:`REVIEW_LAYOUT`: its rows the review shows (:data:`REVIEW_ROWS`, columns
    :data:`SHOW_COLUMNS`), a sentence where having no row is itself a result, nothing otherwise."""
    df = tables.get(name) if name != "no_unit" else _no_unit_rows(tables, b.entries)
    if name == "no_unit" and df is not None and not len(df):
        syllabus = tables["unit_fit"]["syllabus"].iloc[0] if len(tables["unit_fit"]) else "titles"
        return [text_block("只有单元标题、没有单元说明时，无法判断问题是否落在课程之外。"
                           if syllabus == "titles" else "每条问答都至少与一个单元的大纲较为接近。")]
    if df is None or not len(df):
        return []
    if name in REVIEW_ROWS:
        df = REVIEW_ROWS[name](df)
        if not len(df):
            if name == "emerging_fading_terms":
                return [heading_block(ttitle),
                        text_block("相邻两期之间，没有哪个词在使用它的问答条数上显著增多或减少"
                                   "（逐条问答计数，Fisher 精确检验，q ≤ 0.05）。这本身也是一个结果。")]
            return []
    if name in SHOW_COLUMNS:
        df = df[[c for c in SHOW_COLUMNS[name] if c in df.columns]]
    return [table_block(table_view(df, f"table-{name}", title=ttitle, max_rows=max_rows,
                                   cells={"entry_id": _entry_cell, "top_entry": _entry_cell},
                                   headers=TABLE_HEADERS.get(name)))]


def _about_blocks(study: StudyLike, k: int | None, anonymise: bool) -> list[dict | None]:
    """说明与参数: caveats, the parameters, what a damaged or tiny booklet did not allow (stages skipped and
    figures left out, each with its reason), where the files are."""
    from .stages import STAGES

    f = study.tables.get("findings")
    caveats = [] if f is None or "kind" not in f else list(f.text[f.kind == "caveat"])
    notes = ("".join(c for c in caveats[:2]) or "问答文字取自问答合集本身。") + ("学员以编号代替姓名。" if anonymise else "")
    titles = {st.name: st.title for st in STAGES}
    left_out = [f"“{titles.get(n, n)}”未运行：{why}" for n, why in study.skipped.items()] + list(study.notes)
    return [text_block(notes), text_block("参数：" + params_sentence(study.params, k)),
            text_block("未做的分析：" + "；".join(left_out) + "。") if left_out else None,
            text_block("全部数据表（CSV 可用 Excel 打开）在 data/processed/，图表在 figures/（PNG 与 SVG）；"
                       "run_manifest.json 记录输入文件的校验码、参数与软件版本。")]


def programme_blocks(b: Any, tables: Mapping[str, pd.DataFrame]) -> list[dict]:
    """The programme view (shown when the study has several booklets or more than three cohorts): the booklets,
    then one row per cohort in the programme's order (:func:`corpus_tools.programmeview.cohort_overview`)."""
    from .programmeview import booklets_overview, cohort_overview

    books = booklets_overview(b.entries, tables.get("reprinted_entries"))
    cohorts = cohort_overview(b.entries, tables)
    intro = (f"本研究包含 {len(books)} 本合集、{len(cohorts)} 期，共 {len(b.entries)} 条问答。期次按培训项目的先后排列"
             "（合集所印期次加上该本合集的期次偏移）；“与其他期共有的需求”列出在本期和其他期都出现的可能共同需求"
             "（见“学员的需求”）。")
    return [text_block(intro),
            table_block(table_view(books, "table-booklets_overview", title="各本合集",
                                   headers=TABLE_HEADERS["booklets_overview"])),
            table_block(table_view(cohorts, "table-cohort_overview", title="逐期：问答、单元、主题、编码与共同需求",
                                   cells={"entry_ids": _cohort_ids_cell}, headers=TABLE_HEADERS["cohort_overview"]))]


def _cohort_ids_cell(value: Any, row: Any) -> Cell:
    """A cohort's entries, shown in the table of all entries on click."""
    cell = _ids_cell(value, row)
    if cell.ids:
        cell.label = f"第{int(row.cohort)}期的 {len(cell.ids)} 条问答"
    return cell


def _no_unit_rows(tables: Mapping[str, pd.DataFrame], entries: pd.DataFrame) -> pd.DataFrame | None:
    """The ``fits_no_unit`` rows of the unit-fit table with each entry's title (None without the table)."""
    fit = tables.get("unit_fit")
    if fit is None or "flag" not in fit:
        return None
    rows = fit[fit["flag"].fillna("") == "fits_no_unit"].sort_values(["top_z", "entry_id"], kind="stable")
    return rows.merge(entries[["entry_id", "title"]], on="entry_id", how="left")


def _topics_block(b: Any, tables: Mapping[str, pd.DataFrame], topic_of: Mapping[int, int]) -> dict:
    et = tables["entry_topics"]
    by = "score" if "score" in et.columns else "weight"  # examples by their score (cosine to the centroid)
    first = et[et["rank"] == 1][["entry_id", "topic_id", by]].merge(b.entries[["entry_id", "title"]], on="entry_id")
    items = []
    for t in tables["topics"].itertuples():
        mine = first[first.topic_id == t.topic_id]
        ex = mine.sort_values([by, "entry_id"], ascending=[False, True], kind="stable").head(3)
        items.append(dict(topic_id=int(t.topic_id), label=str(t.label), size=int(t.size), terms=str(t.top_terms),
                          examples=list(ex.title), ids=[str(int(i)) for i in sorted(mine.entry_id)]))
    return dict(kind="topics", items=items)


def booklet_text(b: Any) -> str:
    """All text of a booklet a page may show or a reader may search for: every line of the file (``lines`` table)
    plus the parsed names."""
    parts = []
    lines = getattr(b, "lines", None)
    if lines is not None and "text" in lines:
        parts.append("".join(map(str, lines["text"].dropna())))
    parts.append("".join(map(str, b.turns["text"].dropna())) + "".join(map(str, b.entries["title"].dropna())))
    parts += ["".join(map(str, b.people.name)), "".join(map(str, b.hospitals.iloc[:, 0]))]
    return "".join(parts)


# ---------------------------------------------------------------- PDF

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium() -> str:
    """Path of a Chromium (or Chrome) executable; raises ``FileNotFoundError`` with what to install."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    raise FileNotFoundError("生成 PDF 需要 Chromium 浏览器：请安装（Debian/Ubuntu：apt-get install chromium），"
                            "或在浏览器中打开 report.html 后“打印 → 另存为 PDF”。")


def chromium_pdf_command(chromium: str, html_path: Path, pdf_path: str | Path, profile: str | Path) -> list[str]:
    """The command line that prints ``html_path`` to ``pdf_path`` (A4, the page's print stylesheet, no header or
    footer) with headless Chromium, using the throw-away profile folder ``profile``."""
    return [chromium, *CHROMIUM_ARGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000",
            f"--print-to-pdf={pdf_path}", Path(html_path).resolve().as_uri()]


def report_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = 180) -> Path:
    """Print an HTML report to PDF with headless Chromium (see :func:`chromium_pdf_command`); returns
    ``pdf_path``. The file is written through :func:`corpus_tools.store.atomic_write`, so a failure leaves no
    half-written PDF."""
    from .store import atomic_write

    chromium = find_chromium()

    def print_to(tmp: str) -> None:
        with tempfile.TemporaryDirectory(prefix="corpus-tools-chromium-") as profile:
            r = subprocess.run(chromium_pdf_command(chromium, Path(html_path), tmp, profile), capture_output=True,
                               text=True, timeout=timeout)
        if r.returncode != 0 or Path(tmp).stat().st_size == 0:
            raise RuntimeError(f"Chromium 未能生成 PDF（退出码 {r.returncode}）：{r.stderr[-500:]}")

    return atomic_write(Path(pdf_path), print_to)
