"""Column declarations of every table, in one place: the writer, the data dictionary and the tests read them.

Each table is a tuple of :class:`Column` (name, pandas dtype, meaning). :func:`conform` orders and types a
DataFrame to its declaration and fails loudly on a missing column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pandas dtype: "Int64" (nullable int), "string", "boolean", "Float64"
    doc: str


def _cols(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


TABLES: dict[str, tuple[Column, ...]] = {
    "entries": _cols(
        ("entry_id", "Int64", "1, 2, … in booklet order"),
        ("section", "string", "section heading without 【】, e.g. 信息规划"),
        ("title", "string", "the entry's question title, wrapped lines joined, without ★"),
        ("starred", "boolean", "title marked ★"),
        ("has_video", "boolean", "entry has the line 请用微信扫码观看答疑视频"),
        ("cohort", "Int64", "training cohort from the source note (第三期 → 3); empty if the note is missing"),
        ("session_type", "string", "\"unit\" (a course unit's Q&A) or \"discussion\" (答疑讨论课); empty if unknown"),
        ("unit_no", "Int64", "course unit number (第 N 单元); empty for a discussion class"),
        ("unit_title", "string", "course unit title inside “…”; empty for a discussion class"),
        ("session_no", "Int64", "number of the discussion class (第一次答疑讨论课 → 1); empty for a unit"),
        ("asked_by", "string", "name(s) of the trainee(s) who open the entry, joined by 、 (an instructor when an "
                               "instructor asks; empty for an anonymous trainee)"),
        ("asked_by_role", "string", "\"trainee\" or \"instructor\": who asked the opening question"),
        ("answered_by", "string", "instructors answering in the entry, in order of first turn, joined by 、"),
        ("n_turns", "Int64", "number of speaker turns"),
        ("question", "string", "text of the first turn (without the speaker label)"),
        ("source_note", "string", "the closing source note as printed, wrapped lines joined"),
        ("line_start", "Int64", "input line of the title"),
        ("line_end", "Int64", "input line where the entry ends (its source note's last line)"),
    ),
    "turns": _cols(
        ("entry_id", "Int64", "entry the turn belongs to"),
        ("turn_no", "Int64", "1, 2, … within the entry"),
        ("speaker", "string", "speaker's name (two trainees in one label joined by 、; empty if anonymous)"),
        ("role", "string", "\"trainee\" or \"instructor\""),
        ("is_question", "boolean", "the turn poses the entry's opening question (the first turn, and trainee "
                                   "turns right after it)"),
        ("text", "string", "what was said: wrapped lines joined, paragraphs separated by a newline"),
        ("label", "string", "the speaker label as printed (without the colon)"),
        ("line_start", "Int64", "input line where the label starts"),
        ("line_end", "Int64", "input line where the turn ends"),
    ),
    "askers": _cols(
        ("entry_id", "Int64", "entry"),
        ("name", "string", "trainee's name; empty for an anonymous trainee"),
        ("role", "string", "\"trainee\" (or \"instructor\" when an instructor asks the opening question)"),
        ("hospital", "string", "institution as written in the label, without a bracketed alias"),
        ("hospital_alias", "string", "other name of the hospital given in brackets, e.g. 深圳市第九人民医院"),
        ("hospital_canonical", "string", "one spelling per hospital across the booklet (see hospitals)"),
        ("department", "string", "department within the hospital, e.g. 信息中心"),
        ("job_title", "string", "job title, e.g. 副主任"),
        ("class_role", "string", "role in the training class, e.g. 第二期培训班学习委员"),
        ("former", "boolean", "label gives a former post (原…): hospital/department/title are the former ones"),
        ("former_affiliation", "string", "a former post given in brackets (（原…）), as printed"),
        ("affiliation_raw", "string", "the label text for this trainee, as printed (without 学员、)"),
        ("first_turn_no", "Int64", "the trainee's first turn in the entry"),
        ("opens_entry", "boolean", "the trainee asks the entry's opening question"),
        ("line_start", "Int64", "input line of that turn's label"),
    ),
    "people": _cols(
        ("person_id", "string", "stable id: T01… for trainees, I01… for instructors, in order of first appearance"),
        ("name", "string", "name"),
        ("role", "string", "\"trainee\" or \"instructor\""),
        ("n_entries", "Int64", "entries with a turn by this person"),
        ("n_turns", "Int64", "turns by this person"),
        ("n_entries_opened", "Int64", "entries whose opening question this person asked"),
        ("affiliations", "string", "distinct affiliations as printed, joined by ；"),
        ("hospitals", "string", "distinct canonical hospitals, joined by ；"),
        ("class_roles", "string", "distinct class roles, joined by ；"),
        ("first_line", "Int64", "input line of the person's first turn"),
    ),
    "units": _cols(
        ("cohort", "Int64", "training cohort"),
        ("session_type", "string", "\"unit\" or \"discussion\""),
        ("unit_no", "Int64", "unit number; empty for a discussion class"),
        ("unit_title", "string", "unit title; empty for a discussion class"),
        ("session_no", "Int64", "discussion class number; empty for a unit"),
        ("n_entries", "Int64", "entries from this session"),
        ("n_turns", "Int64", "turns in those entries"),
        ("n_trainees", "Int64", "distinct named trainees speaking in those entries"),
        ("instructors", "string", "instructors answering, most turns first, joined by 、"),
        ("sections", "string", "sections the entries stand in, joined by 、"),
        ("first_line", "Int64", "input line of the first entry"),
    ),
    "hospitals": _cols(
        ("hospital", "string", "canonical spelling"),
        ("spellings", "string", "spellings seen in labels, joined by ；"),
        ("aliases", "string", "bracketed aliases seen, joined by ；"),
        ("n_trainees", "Int64", "distinct trainees from this hospital"),
        ("trainees", "string", "their names, joined by 、"),
        ("n_entries", "Int64", "entries with a turn by one of them"),
    ),
    "sections": _cols(
        ("section_no", "Int64", "1, 2, … in booklet order"),
        ("section", "string", "section heading without 【】"),
        ("n_entries", "Int64", "entries in the section"),
        ("line_no", "Int64", "input line of the heading"),
    ),
    "lines": _cols(
        ("line_no", "Int64", "input line (1-based)"),
        ("kind", "string", "blank | url | footer | page_number | content"),
        ("role", "string", "for content: front_matter | section | title | star | video | label | turn | note | "
                           "unassigned; for noise: the kind"),
        ("entry_id", "Int64", "entry the piece belongs to"),
        ("turn_no", "Int64", "turn the piece belongs to"),
        ("text", "string", "the piece of the line (a line split between label and turn gives two rows)"),
    ),
    "warnings": _cols(
        ("line_no", "Int64", "input line the warning is about"),
        ("code", "string", "short machine-readable code"),
        ("message", "string", "what is wrong, naming the line"),
    ),
}

PARSED_TABLES = ("entries", "turns", "askers", "people", "units", "hospitals", "sections", "lines", "warnings")


def conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the declared columns, in order, with the declared dtypes."""
    cols = TABLES[name]
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks columns {missing}")
    out = df[[c.name for c in cols]].copy()
    for c in cols:
        out[c.name] = out[c.name].astype(c.dtype)
    return out.reset_index(drop=True)


def empty(name: str) -> pd.DataFrame:
    return conform(name, pd.DataFrame({c.name: [] for c in TABLES[name]}))


def data_dictionary_markdown() -> str:
    """The data dictionary (Markdown), generated from the declarations."""
    out = []
    for name, cols in TABLES.items():
        out.append(f"### `{name}`\n\n| column | type | meaning |\n|---|---|---|")
        out.extend(f"| `{c.name}` | {c.dtype} | {c.doc} |" for c in cols)
        out.append("")
    return "\n".join(out)
