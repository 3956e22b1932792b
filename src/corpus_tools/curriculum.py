"""The curriculum: which units each cohort was taught, from a curriculum file or from the booklet alone.

A curriculum file is a CSV (UTF-8, with or without BOM) with a header row and the columns

    cohort, unit_no, title[, description][, lecturer]

one row per unit taught (``cohort`` and ``unit_no`` integers; "第2期" is read as 2). A discussion class
(答疑讨论课) has an empty ``unit_no`` and the title "答疑讨论课". Chinese headers are accepted too
(期别, 单元, 标题, 说明, 教员). Errors name the file and the line (:class:`CurriculumError`).

Without a curriculum file nothing is inferred: the booklet shows only the units *some entry comes from*. The
preface says the booklet holds a selection of the Q&A ("现将答疑环节部分精彩问答整理成册"), so a unit without an
entry in the booklet may have been asked about all the same; and units are not numbered the same way in every
cohort (第2期's unit 1 is 领导力与团队建设, 第3期's is 信息中心组织与管理), so no title is borrowed from another
cohort. Where the same number carries different titles in different cohorts, ``same_number_titles`` shows them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .errors import BookletError
from .paramfiles import csv_rows, number_in_range
from .resources import resource_path

DISCUSSION = "答疑讨论课"
EXAMPLE = "curriculum_example.csv"
REQUIRED = ("cohort", "unit_no", "title")
OPTIONAL = ("description", "lecturer")
ALIASES = {"期别": "cohort", "期": "cohort", "单元": "unit_no", "单元号": "unit_no", "标题": "title",
           "单元标题": "title", "说明": "description", "简介": "description", "教员": "lecturer", "主讲": "lecturer"}
COLUMNS = ["cohort", "session_type", "unit_no", "unit_title", "label", "description", "lecturer", "title_source",
           "in_curriculum", "in_booklet", "n_entries", "same_number_titles"]
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


class CurriculumError(BookletError):
    """A curriculum file that cannot be read: names the file and the line."""


def _int(value: str) -> int | None:
    v = value.strip()
    m = re.fullmatch(r"第?\s*(\d+)\s*(期|单元)?", v)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"第?([一二三四五六七八九十])(期|单元)?", v)
    return _CN_DIGITS[m.group(1)] if m else None


def parse_curriculum(text: str, source: str = "<curriculum>") -> pd.DataFrame:
    """Curriculum rows from CSV ``text``: ``cohort, session_type, unit_no, unit_title, description, lecturer,
    line`` (``line`` = line number in the file). Raises :class:`CurriculumError` naming ``source`` and the line
    for: no header, a missing required column, a row with too many fields, a cohort or unit number that is not
    a number or not from 1 to :data:`~corpus_tools.paramfiles.MAX_NUMBER`, a field over
    :data:`~corpus_tools.paramfiles.MAX_FIELD_CHARS` characters, an empty title, the same (cohort, unit) twice, no
    rows at all."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CurriculumError(source, "课程表文件为空（需要表头：cohort, unit_no, title）")
    header = None
    rows, seen = [], {}
    for line, fields in csv_rows(text, source, CurriculumError):  # fields over the length limit are refused
        if not any(f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [ALIASES.get(f.strip(), f.strip().lower()) for f in fields]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise CurriculumError(source, f"表头缺少列：{', '.join(missing)}（需要 cohort, unit_no, title）", line)
            continue
        if len(fields) > len(header):
            raise CurriculumError(source, f"本行有 {len(fields)} 个字段，表头只有 {len(header)} 列", line)
        rec = dict(zip(header, [f.strip() for f in fields]))
        cohort = _int(rec.get("cohort", ""))
        if cohort is None or cohort < 1:
            raise CurriculumError(source, f"期别不是正整数：{rec.get('cohort', '')[:40]!r}", line)
        if number_in_range(cohort, "期别"):
            raise CurriculumError(source, number_in_range(cohort, "期别"), line)
        title = rec.get("title", "")
        if not title:
            raise CurriculumError(source, "单元标题为空", line)
        raw_no = rec.get("unit_no", "")
        if raw_no == "":
            if title != DISCUSSION:
                raise CurriculumError(source, f"单元号为空（只有“{DISCUSSION}”可以没有单元号）：{title}", line)
            unit_no, session_type = None, "discussion"
        else:
            unit_no = _int(raw_no)
            if unit_no is None or unit_no < 1:
                raise CurriculumError(source, f"单元号不是正整数：{raw_no[:40]!r}", line)
            if number_in_range(unit_no, "单元号"):
                raise CurriculumError(source, number_in_range(unit_no, "单元号"), line)
            session_type = "unit"
        key = (cohort, session_type, unit_no)
        if key in seen:
            raise CurriculumError(source, f"第{cohort}期" + (f"第{unit_no}单元" if unit_no else DISCUSSION)
                                  + f"重复出现（第 {seen[key]} 行已有）", line)
        seen[key] = line
        rows.append(dict(cohort=cohort, session_type=session_type, unit_no=unit_no, unit_title=title,
                         description=rec.get("description", ""), lecturer=rec.get("lecturer", ""), line=line))
    if header is None or not rows:
        raise CurriculumError(source, "课程表没有数据行")
    out = pd.DataFrame(rows)
    return out.astype({"cohort": "int64", "unit_no": "Int64"})


def read_curriculum(path: str | Path) -> pd.DataFrame:
    """:func:`parse_curriculum` of the file at ``path`` (UTF-8 or GB18030)."""
    from .store import read_parameter_text

    p = Path(path)
    text = read_parameter_text(p, "课程表", CurriculumError)
    return parse_curriculum(text, str(p))


def example_curriculum() -> pd.DataFrame:
    """The shipped example: the units seen in the bundled booklet (``resources/curriculum_example.csv``)."""
    return read_curriculum(resource_path(EXAMPLE))


def _unit_keys(cohort, session_type, unit_no, title) -> set[tuple]:
    return {(int(c), str(s), None if pd.isna(n) or s != "unit" else int(n), str(t) if s == "unit" else DISCUSSION)
            for c, s, n, t in zip(cohort, session_type, unit_no, title) if not pd.isna(c)}


def matching_example(units: pd.DataFrame) -> pd.DataFrame | None:
    """The shipped example curriculum when it describes exactly the booklet's units — the same cohorts, unit
    numbers and titles, nothing more or less (the bundled booklet) — else None. A run without ``--curriculum``
    judges unit fit against the example's syllabus descriptions only then: they were written for those units."""
    ex = example_curriculum()
    u = units[units.cohort.notna()]
    mine = _unit_keys(u.cohort, u.session_type.fillna("unit"), u.unit_no, u.unit_title)
    theirs = _unit_keys(ex.cohort, ex.session_type, ex.unit_no, ex.unit_title)
    return ex if mine == theirs else None


def unit_label(cohort, session_type, unit_no, title, session_no=None, unknown: str | None = "来源不明") -> str | None:
    """The one readable label of a unit: ``第1期·第11单元 医学信息标准``, ``第3期·答疑讨论课`` (with
    ``session_no``: ``第3期·答疑讨论课（第1次）``); ``unknown`` when the cohort (or a unit's number) is missing.
    Every table, figure and report row that names a unit uses it, so they group and sort alike."""
    if cohort is None or pd.isna(cohort):
        return unknown
    head = f"第{int(cohort)}期"
    if session_type == "unit":
        if unit_no is None or pd.isna(unit_no):
            return unknown
        return f"{head}·第{int(unit_no)}单元 {'' if title is None or pd.isna(title) else title}".rstrip()
    more = "" if session_no is None or pd.isna(session_no) else f"（第{int(session_no)}次）"
    return f"{head}·{DISCUSSION}{more}"


def curriculum(units: pd.DataFrame, given: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units per cohort, one row each (discussion classes included, one row per cohort that has them):
    ``cohort, session_type, unit_no, unit_title, label, description, lecturer, title_source, in_curriculum,
    in_booklet, n_entries, same_number_titles``.

    ``units`` is the booklet's units table. Without ``given`` the rows are the units the booklet's entries come
    from (``title_source = "booklet"``, ``in_curriculum`` empty: unknown). With ``given`` (a table from
    :func:`parse_curriculum`, or any table with cohort, unit_no and unit_title or title) the rows are its units,
    ``n_entries = 0`` for those no entry comes from, plus any unit of the booklet the curriculum lacks
    (``in_curriculum = False``). ``same_number_titles`` lists, for a unit number, the *other* titles that number
    has in other cohorts ("第2期：领导力与团队建设")."""
    u = units[units.cohort.notna()].copy()
    u["session_type"] = u.session_type.fillna("unit")
    u["unit_no"] = u.unit_no.astype("Int64")
    u.loc[u.session_type != "unit", "unit_no"] = pd.NA
    u["unit_title"] = [t if s == "unit" else DISCUSSION for s, t in zip(u.session_type, u.unit_title)]
    seen = (u.groupby(["cohort", "session_type", "unit_no", "unit_title"], dropna=False, sort=False)
            .n_entries.sum().reset_index())
    seen["cohort"] = seen.cohort.astype("int64")
    if given is None:
        c = seen.assign(description="", lecturer="", title_source="booklet", in_curriculum=pd.NA, in_booklet=True)
    else:
        g = given.rename(columns={"title": "unit_title"}).copy()
        if "session_type" not in g:
            g["session_type"] = ["unit" if not pd.isna(n) else "discussion" for n in g.unit_no]
        for col in ("description", "lecturer"):
            if col not in g:
                g[col] = ""
        g = g.astype({"cohort": "int64", "unit_no": "Int64"})
        key = ["cohort", "session_type", "unit_no"]
        c = g[key + ["unit_title", "description", "lecturer"]].merge(
            seen.rename(columns={"unit_title": "booklet_title"}), on=key, how="outer", indicator=True)
        c["in_curriculum"] = c._merge != "right_only"
        c["in_booklet"] = c._merge != "left_only"
        c["title_source"] = ["curriculum" if m != "right_only" else "booklet" for m in c._merge]
        c["unit_title"] = c.unit_title.fillna(c.booklet_title)
        c["n_entries"] = c.n_entries.fillna(0)
        for col in ("description", "lecturer"):
            c[col] = c[col].fillna("")
    c["n_entries"] = c.n_entries.astype("int64")
    c["in_curriculum"] = c.in_curriculum.astype("boolean")
    c["in_booklet"] = c.in_booklet.astype(bool)
    titles = c[c.session_type == "unit"].groupby("unit_no").apply(
        lambda d: list(zip(d.cohort, d.unit_title)), include_groups=False).to_dict()
    c["same_number_titles"] = [
        "；".join(f"第{int(k)}期：{t}" for k, t in sorted(titles.get(n, [])) if k != co and t != title)
        if s == "unit" else "" for co, s, n, title in zip(c.cohort, c.session_type, c.unit_no, c.unit_title)]
    c["label"] = [unit_label(*r) for r in zip(c.cohort, c.session_type, c.unit_no, c.unit_title)]
    c["_order"] = (c.session_type != "unit").astype(int)
    c = c.sort_values(["cohort", "_order", "unit_no"], kind="stable", na_position="last")
    return c[COLUMNS].reset_index(drop=True)


def title_differences(given: pd.DataFrame, units: pd.DataFrame, source: str) -> list[str]:
    """Notes (Chinese, one per unit) for the units a curriculum file (:func:`parse_curriculum`, from ``source``)
    titles otherwise than the booklet's source notes print for the same cohort and unit number — a typo, or a
    wrong number, in the file. The report goes on with the file's title; spaces do not count as a difference."""
    u = units[units.cohort.notna() & units.unit_no.notna() & (units.session_type.fillna("unit") == "unit")]
    printed: dict[tuple[int, int], list[str]] = {}
    for c, n, t in zip(u.cohort, u.unit_no, u.unit_title):
        printed.setdefault((int(c), int(n)), []).append(str(t))
    notes = []
    for r in given[given.session_type == "unit"].itertuples():
        titles = printed.get((int(r.cohort), int(r.unit_no)), [])
        if titles and "".join(str(r.unit_title).split()) not in {"".join(t.split()) for t in titles}:
            notes.append(f"课程表 {source} 第 {r.line} 行：第{r.cohort}期第{r.unit_no}单元题为“{r.unit_title}”，"
                         f"合集的来源说明写作“{'”“'.join(dict.fromkeys(titles))}”；报告用课程表的题目，请核对")
    return notes


def units_without_entries(curric: pd.DataFrame) -> pd.DataFrame:
    """Units a curriculum file lists that no entry of the booklet comes from (empty without a curriculum: the
    booklet alone cannot show them)."""
    return curric[curric.in_curriculum.fillna(False).astype(bool) & (curric.n_entries == 0)].reset_index(drop=True)
