"""The parsed booklet: plain tables (entries, turns, askers, people, units, hospitals, sections, lines, warnings)
plus how the file was read. :func:`read_booklet` is the entry point; :meth:`Booklet.save` writes CSV (UTF-8 with
BOM, so Excel opens it) and Parquet, with a parse report.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import BookletError
from .ingest import SourceText, display_width, read_text, text_from_bytes
from .parse import ParseResult, Warning_, join_parts, parse_lines, parse_note
from .people import canonical_hospitals
from .schema import PARSED_TABLES, conform, empty


LINE_KINDS_ZH = {"blank": "空行", "content": "正文", "footer": "页脚", "page_number": "页码", "url": "网址"}
WARNINGS_ZH = {"no_source_note": "缺来源说明", "unclosed_source_note": "来源说明未闭合", "no_turns": "没有发言",
               "no_section": "不在任何栏目下", "no_source_note_before_title": "下一条开始前缺来源说明",
               "unassigned_line": "无法归属的行", "same_text_other_note": "与另一合集的问答同文、来源不同",
               "cohort_conflict": "期次冲突"}

@dataclass
class Booklet:
    """Tables of one parsed booklet. Every DataFrame follows :mod:`corpus_tools.schema`."""

    entries: pd.DataFrame
    turns: pd.DataFrame
    askers: pd.DataFrame
    people: pd.DataFrame
    units: pd.DataFrame
    hospitals: pd.DataFrame
    sections: pd.DataFrame
    lines: pd.DataFrame
    warnings: pd.DataFrame
    front_matter: str = ""
    meta: dict = field(default_factory=dict)
    # several booklets (corpus_tools.programme): entries left out as reprints of an earlier booklet's; None: none
    reprinted_entries: pd.DataFrame | None = None

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    # ------------------------------------------------------------ report
    def report(self) -> str:
        """The parse report in plain Chinese (``parse_report.txt``): how the file was read, counts per section /
        cohort / session, and the warnings with their lines."""
        m = self.meta
        e = self.entries
        kinds = ", ".join(f"{LINE_KINDS_ZH.get(k, k)} {v}" for k, v in m.get("line_kinds", {}).items())
        lines = [
            f"解析报告 — {m.get('source', '')}",
            f"  编码 {m.get('encoding')}（{'带' if m.get('bom') else '无'} BOM），换行符 {m.get('newline')}，"
            f"SHA-256 校验值 {m.get('sha256', '')[:12]}…",
            f"  共 {m.get('n_lines', 0)} 行：" + kinds.replace(", ", "，"),
            f"  {len(e)} 条问答，分属 {len(self.sections)} 个栏目；发言 {len(self.turns)} 段，"
            f"学员 {(self.people.role == 'trainee').sum()} 人，教员 {(self.people.role == 'instructor').sum()} 人，"
            f"医院 {len(self.hospitals)} 家，课次 {len(self.units)} 个",
            "",
        ]
        for b in m.get("booklets", []):  # several booklets (corpus_tools.programme)
            lines.append(f"  合集 {b['name']}：{b['n_entries']} 条问答，期次顺延 {b['cohort_offset']} 期"
                         f"（{b['source']}）")
        rep = self.reprinted_entries
        if rep is not None and len(rep):
            lines.append(f"  {len(rep)} 条重印的问答未计入（见表 reprinted_entries）")
        if m.get("booklets"):
            lines.append("")
        lines.append("各栏目的问答条数：")
        for _, s in self.sections.iterrows():
            lines.append(f"  {s.section:<10} {s.n_entries:>3} 条（第 {s.line_no} 行起）")
        lines.append("")
        lines.append("各期次、课次的问答条数：")
        for _, u in self.units.iterrows():
            if pd.isna(u.cohort) and u.session_type not in ("unit", "discussion"):
                lines.append(f"  {'来源说明缺失（期次、单元不明）':<31} {u.n_entries:>3} 条")
                continue
            if u.session_type == "unit":
                what = f"第 {u.unit_no} 单元“{u.unit_title}”" if not pd.isna(u.unit_no) else f"单元“{u.unit_title}”"
            else:
                what = "答疑讨论课" if pd.isna(u.session_no) else f"第{u.session_no}次答疑讨论课"
            cohort = "期次不明" if pd.isna(u.cohort) else f"第{u.cohort}期"
            lines.append(f"  {cohort} {what:<28} {u.n_entries:>3} 条")
        lines.append("")
        if len(self.warnings):
            lines.append(f"解析警告（{len(self.warnings)} 条）：")
            for _, w in self.warnings.iterrows():
                where = f"第 {int(w.line_no)} 行" if not pd.isna(w.line_no) else "整个文件"
                if m.get("booklets") and isinstance(w.booklet, str) and w.booklet:
                    where = f"{w.booklet} {where}"  # several booklets: whose line
                lines.append(f"  {WARNINGS_ZH.get(w.code, w.code)}（{w.code}），{where}：{w.message}")
        else:
            lines.append("解析警告：无")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------ save / load
    def save(self, outdir: str | Path, formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
        """Write every table, ``parse_report.txt`` and ``booklet_meta.json`` under ``outdir`` (see
        :func:`corpus_tools.save.write_booklet`, which does the writing through ``store``)."""
        from .save import write_booklet

        return write_booklet(self, outdir, formats)

    @classmethod
    def load(cls, outdir: str | Path) -> "Booklet":
        """Read tables written by :meth:`save` (Parquet if present, else CSV)."""
        src = Path(outdir)
        from .store import read_table, read_text_file

        tables = {}
        for name in PARSED_TABLES:
            df = read_table(src, name)
            if df is None:
                raise BookletError(str(src), f"no {name}.parquet or {name}.csv: not a parsed booklet folder")
            tables[name] = conform(name, df)
        meta_path = src / "booklet_meta.json"
        meta = json.loads(read_text_file(meta_path, "utf-8")) if meta_path.exists() else {}
        front = meta.pop("front_matter", "")
        return cls(**tables, front_matter=front, meta=meta)


# ---------------------------------------------------------------- building tables

def read_booklet(path: str | Path) -> Booklet:
    """Read and parse a booklet text file (UTF-8 with or without BOM, UTF-16, GB18030/GBK; LF or CRLF).

    Raises :class:`~corpus_tools.errors.BookletError` naming the file (and line) for input that yields nothing
    usable: empty, binary, undecodable, or without a single entry.
    """
    return build_booklet(read_text(path))


def booklet_from_text(text: str, name: str = "<text>") -> Booklet:
    """Parse booklet text held in a string (handy in tests and notebooks)."""
    return build_booklet(text_from_bytes(text.encode("utf-8"), name))


def build_booklet(src: SourceText) -> Booklet:
    result = parse_lines(src.lines)
    if not result.entries:
        n_content = len(src.content())
        hint = ("no section header 【…】 was found" if not result.sections else
                "sections were found but no entry title after them")
        raise BookletError(src.path, f"no Q&A entries found in {n_content} content lines ({hint})",
                           result.sections[0][1] if result.sections else None)
    width = result.wrap_width
    name = booklet_name(src.path)
    entries, turns, askers = [], [], []
    for e in result.entries:
        note = join_parts(e.note_parts, None).replace("\n", "")
        info = parse_note(note) if note else parse_note("")
        if note and info["cohort"] is None:
            result.warnings.append(Warning_(e.line_end, "note_without_cohort",
                                         f"the source note of entry {e.entry_id} (line {e.line_end}) names no cohort"))
        if note and not info["session_type"]:
            result.warnings.append(Warning_(e.line_end, "note_without_session",
                                         f"the source note of entry {e.entry_id} (line {e.line_end}) names neither "
                                         f"a unit nor a discussion class"))
        opening = _opening_turns(e)
        answering = dict.fromkeys(t.speaker for t in e.turns if t.role == "instructor" and t not in opening)
        for t in e.turns:
            turns.append(dict(entry_id=e.entry_id, booklet=name, turn_no=t.turn_no, speaker=t.speaker, role=t.role,
                              is_question=t in opening, text=join_parts(t.parts, width), label=t.label, line_start=t.line_start,
                              line_end=t.line_end))
        seen: set[str] = set()
        for t in e.turns:
            if t.role == "instructor" and t.turn_no != 1:
                continue
            if t.role == "instructor":
                askers.append(dict(entry_id=e.entry_id, booklet=name, name=t.speaker, role="instructor", hospital="",
                                   hospital_alias="", department="", job_title="", class_role="", former=False,
                                   former_affiliation="", affiliation_raw="", first_turn_no=t.turn_no,
                                   opens_entry=True, line_start=t.line_start))
                continue
            for a in t.speakers or []:
                key = a.name or f"<anonymous {t.turn_no}>"
                if key in seen:
                    continue
                seen.add(key)
                askers.append(dict(entry_id=e.entry_id, booklet=name, name=a.name, role="trainee", hospital=a.hospital,
                                   hospital_alias=a.hospital_alias, department=a.department, job_title=a.job_title,
                                   class_role=a.class_role, former=a.former,
                                   former_affiliation=a.former_affiliation, affiliation_raw=a.affiliation_raw,
                                   first_turn_no=t.turn_no, opens_entry=t in opening, line_start=t.line_start))
        first = e.turns[0] if e.turns else None
        entries.append(dict(
            entry_id=e.entry_id, booklet=name, booklet_entry_no=e.entry_id, section=e.section,
            title=join_parts(e.title_parts, None).replace("\n", ""),
            starred=e.starred, has_video=e.has_video, cohort=info["cohort"], cohort_printed=info["cohort"],
            session_type=info["session_type"],
            unit_no=info["unit_no"], unit_title=info["unit_title"], session_no=info["session_no"],
            asked_by="、".join(dict.fromkeys(t.speaker for t in opening)),
            asked_by_role=first.role if first else "",
            answered_by="、".join(answering),
            n_turns=len(e.turns), question=join_parts(first.parts, width) if first else "",
            source_note=note, line_start=e.line_start, line_end=e.line_end))

    canon = canonical_hospitals([a["hospital"] for a in askers])
    for a in askers:
        a["hospital_canonical"] = canon.get(a["hospital"], "")
    kinds = Counter(ln.kind for ln in src.lines)
    meta = dict(source=src.path, encoding=src.encoding, bom=src.bom, newline=src.newline, sha256=src.sha256,
                n_lines=len(src.lines), line_kinds=dict(sorted(kinds.items())), wrap_width=width)
    entries_df = _table("entries", entries)
    return Booklet(
        entries=entries_df, turns=_table("turns", turns), askers=_table("askers", askers),
        people=_people(turns, askers), units=_units(entries, turns), hospitals=_hospitals(askers),
        sections=_sections(result, entries_df, name), lines=_lines(src, result, name),
        warnings=_table("warnings", [dict(booklet=name, line_no=w.line_no, code=w.code, message=w.message)
                                     for w in result.warnings]),
        front_matter=_front_matter(result, width), meta=meta)


def booklet_name(path: str | Path) -> str:
    """A booklet's name in the tables: its file name without the extension (``<text>`` for text in memory)."""
    p = str(path)
    return Path(p).stem if p and not p.startswith("<") else p


def _order(r: dict) -> tuple[int, int]:
    """Reading order of a row across the booklets of a programme: (booklet number, line); one booklet: (0, line)."""
    return r.get("booklet_no", 0), r["line_start"]


def _front_matter(result: ParseResult, width: int | None) -> str:
    """Text before the first section (the preface); a short first line is its heading, kept on its own line."""
    parts = [(t, display_width(t)) for _, t in result.front_matter]
    if parts and parts[0][1] <= 12:
        rest = join_parts(parts[1:], width)
        return parts[0][0] + ("\n" + rest if rest else "")
    return join_parts(parts, width)


def _opening_turns(e) -> list:
    """The turns that pose the entry's question: the first turn, plus the trainee turns right after it when a
    trainee opens (two trainees may ask one after the other before anyone answers)."""
    if not e.turns:
        return []
    out = [e.turns[0]]
    if e.turns[0].role == "trainee":
        for t in e.turns[1:]:
            if t.role != "trainee":
                break
            out.append(t)
    return out


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    return conform(name, pd.DataFrame(rows)) if rows else empty(name)


def _people(turns: list[dict], askers: list[dict]) -> pd.DataFrame:
    """One row per (name, role): trainees from the askers rows (one person may carry several affiliations),
    instructors from the turns. Anonymous trainees are not people (they are counted in the report)."""
    rows: list[dict] = []
    groups: dict[tuple[str, str], list[dict]] = {}
    for a in askers:  # askers holds every trainee of every entry, with the affiliation of that entry
        if a["name"] and a["role"] == "trainee":
            groups.setdefault((a["name"], "trainee"), []).append(a)
    for t in turns:
        if t["role"] == "instructor":
            groups.setdefault((t["speaker"], "instructor"), []).append(t)
    turns_of: dict[tuple[str, str], list[dict]] = {}
    for t in turns:
        for name in t["speaker"].split("、"):
            turns_of.setdefault((name, t["role"]), []).append(t)
    opened = {(a["name"], a["role"]) for a in askers if a["opens_entry"]}
    opened_count: dict[tuple[str, str], int] = {}
    for a in askers:
        if a["opens_entry"]:
            opened_count[(a["name"], a["role"])] = opened_count.get((a["name"], a["role"]), 0) + 1
    for role, prefix in (("trainee", "T"), ("instructor", "I")):
        keys = sorted((k for k in groups if k[1] == role), key=lambda k: min(_order(r) for r in groups[k]))
        for n, key in enumerate(keys, start=1):
            mine, spoken = groups[key], turns_of.get(key, [])
            rows.append(dict(
                person_id=f"{prefix}{n:02d}", name=key[0], role=role,
                n_entries=len({t["entry_id"] for t in spoken}), n_turns=len(spoken),
                n_entries_opened=opened_count.get(key, 0) if key in opened else 0,
                affiliations="；".join(dict.fromkeys(r.get("affiliation_raw", "") for r in mine if r.get("affiliation_raw"))),
                hospitals="；".join(dict.fromkeys(r.get("hospital_canonical", "") for r in mine
                                                 if r.get("hospital_canonical"))),
                class_roles="；".join(dict.fromkeys(r.get("class_role", "") for r in mine if r.get("class_role"))),
                first_line=min(spoken or mine, key=_order)["line_start"],
                booklets="、".join(dict.fromkeys(r["booklet"] for r in sorted(spoken + mine, key=_order)))))
    return _table("people", rows)


def _units(entries: list[dict], turns: list[dict]) -> pd.DataFrame:
    """One row per (cohort, session): a course unit or a discussion class; entries without a note form a row
    with an empty cohort, so nothing is dropped."""
    groups: dict[tuple, list[dict]] = {}
    for e in entries:
        groups.setdefault((e["cohort"], e["session_type"], e["unit_no"], e["session_no"]), []).append(e)
    turns_by_entry: dict[int, list[dict]] = {}
    for t in turns:
        turns_by_entry.setdefault(t["entry_id"], []).append(t)
    rows = []
    for (cohort, stype, unit_no, session_no), grp in groups.items():
        tt = [t for e in grp for t in turns_by_entry.get(e["entry_id"], [])]
        trainees = {n for t in tt if t["role"] == "trainee" for n in t["speaker"].split("、") if n}
        counts: dict[str, int] = {}
        for t in tt:
            if t["role"] == "instructor":
                counts[t["speaker"]] = counts.get(t["speaker"], 0) + 1
        instructors = sorted(counts, key=lambda n: -counts[n])  # stable: ties keep order of first turn
        titles = [e["unit_title"] for e in grp if e["unit_title"]]
        rows.append(dict(cohort=cohort, session_type=stype, unit_no=unit_no, session_no=session_no,
                         unit_title=max(set(titles), key=lambda x: (titles.count(x), -titles.index(x))) if titles else "",
                         n_entries=len(grp), n_turns=len(tt), n_trainees=len(trainees),
                         instructors="、".join(instructors), sections="、".join(dict.fromkeys(e["section"] for e in grp)),
                         first_line=min(grp, key=_order)["line_start"],
                         booklets="、".join(dict.fromkeys(e["booklet"] for e in sorted(grp, key=_order)))))
    rows.sort(key=lambda r: (r["cohort"] is None, r["cohort"] or 0, r["session_type"], r["unit_no"] or 0,
                             r["session_no"] or 0))
    return _table("units", rows)


def _hospitals(askers: list[dict]) -> pd.DataFrame:
    """One row per canonical hospital, from every trainee turn's affiliation (askers holds all of them)."""
    groups: dict[str, list[dict]] = {}
    for a in askers:
        if a["role"] == "trainee" and a["hospital"]:
            groups.setdefault(a["hospital_canonical"], []).append(a)
    rows = []
    for hosp, grp in groups.items():
        names = list(dict.fromkeys(a["name"] for a in grp if a["name"]))
        rows.append(dict(hospital=hosp, spellings="；".join(dict.fromkeys(a["hospital"] for a in grp)),
                         aliases="；".join(dict.fromkeys(a["hospital_alias"] for a in grp if a["hospital_alias"])),
                         n_trainees=len(names), trainees="、".join(names),
                         n_entries=len({a["entry_id"] for a in grp})))
    rows.sort(key=lambda r: (-r["n_entries"], r["hospital"]))
    return _table("hospitals", rows)


def _sections(result: ParseResult, entries: pd.DataFrame, name: str = "") -> pd.DataFrame:
    """One row per section name, in order of first appearance (a heading repeated later, as in a booklet of
    several sessions put together, is the same section)."""
    counts = entries.groupby("section", sort=False).size()
    first: dict[str, int] = {}
    for sec, line in result.sections:
        first.setdefault(sec, line)
    rows = [dict(section_no=k, section=sec, n_entries=int(counts.get(sec, 0)), line_no=line, booklets=name)
            for k, (sec, line) in enumerate(first.items(), start=1)]
    return conform("sections", pd.DataFrame(rows)) if rows else empty("sections")


def _lines(src: SourceText, result: ParseResult, name: str = "") -> pd.DataFrame:
    by_line: dict[int, list] = {}
    for s in result.spans:
        by_line.setdefault(s.line_no, []).append(s)
    rows = []
    for ln in src.lines:
        if ln.kind != "content":
            rows.append(dict(booklet=name, line_no=ln.line_no, kind=ln.kind, role=ln.kind, entry_id=None, turn_no=None,
                             text=ln.raw.strip()))
            continue
        spans = by_line.get(ln.line_no)
        if not spans:
            rows.append(dict(booklet=name, line_no=ln.line_no, kind="content", role="unassigned", entry_id=None,
                             turn_no=None, text=ln.text))
            continue
        for s in spans:
            rows.append(dict(booklet=name, line_no=ln.line_no, kind="content", role=s.role, entry_id=s.entry_id,
                             turn_no=s.turn_no, text=s.text))
    return conform("lines", pd.DataFrame(rows))
