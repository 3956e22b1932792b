"""A programme: several booklets (one per round of cohorts) read as one study.

:func:`read_booklets` parses each booklet as it is (:func:`corpus_tools.booklet.read_booklet`) and
:func:`combine_booklets` puts their tables together into one :class:`~corpus_tools.booklet.Booklet`:

- **Entries** keep their booklet (``booklet`` = the file name without extension) and their number in it
  (``booklet_entry_no``); ``entry_id`` is renumbered 1, 2, … in programme order (booklet by booklet), so it is unique
  across the study, and every table keyed by entry (turns, askers, lines) follows. Line numbers stay those of the
  booklet named beside them.
- **Cohorts** are ordered across the programme: ``cohort`` = the printed cohort (``cohort_printed``) + the booklet's
  cohort offset. Offsets given by the analyst (``--cohort-offset FILE=N`` or a programme CSV) are used as given.
  Otherwise a booklet whose printed cohorts are already taken by an earlier booklet (both print 第一期) is a
  conflict: a ``cohort_conflict`` warning names both files, and the later booklet's cohorts are numbered after the
  highest cohort so far (never merged silently).
- **People** are matched by name and role: the same name as trainee in two booklets is one person (one
  ``person_id``; ``people.booklets`` lists the booklets). Hospitals are matched by the booklet's own spelling rules
  (:func:`corpus_tools.people.canonical_hospitals`) over every booklet's labels at once.
- **Reprints**: an entry of a later booklet whose normalised text (title and every turn, white space removed) and
  source note equal an earlier booklet's entry is a reprint: listed in ``reprinted_entries`` and left out of the
  analysis (the first printing is kept). The same text under another source note is kept, with a
  ``same_text_other_note`` warning naming both entries.

Pure functions on tables, except :func:`read_booklets`, which reads the files through
:func:`~corpus_tools.booklet.read_booklet`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from .booklet import Booklet, _hospitals, _people, _units, booklet_name, read_booklet
from .people import canonical_hospitals
from .schema import conform, empty

REPRINT_COLUMNS = ["booklet", "booklet_entry_no", "line_start", "line_end", "title", "source_note",
                   "kept_booklet", "kept_booklet_entry_no", "kept_entry_id"]


def read_booklets(paths: Sequence[str | Path], cohort_offsets: Mapping[str, int] | None = None) -> Booklet:
    """Read the booklets ``paths`` (in programme order: earliest first) as one :class:`Booklet` (see the module
    docstring). ``cohort_offsets``: booklet → offset added to its printed cohorts; a booklet is named by its path,
    its file name or its name (file name without extension). One path and no offset: the booklet as
    :func:`~corpus_tools.booklet.read_booklet` gives it."""
    paths = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
    if not paths:
        raise ValueError("read_booklets needs at least one booklet")
    check_offsets(cohort_offsets or {}, paths)
    booklets = [read_booklet(p) for p in paths]
    return combine_booklets(booklets, cohort_offsets)


def unique_names(sources: Sequence[str]) -> list[str]:
    """Each booklet's name (:func:`~corpus_tools.booklet.booklet_name`); a name taken by an earlier booklet gets
    " (2)", " (3)" …"""
    seen: Counter = Counter()
    out = []
    for s in sources:
        n = booklet_name(s)
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def parse_offset_specs(specs: Iterable[str]) -> dict[str, int]:
    """``["B.txt=3", …]`` (``--cohort-offset FILE=N``) → ``{"B.txt": 3}``; raises ValueError naming a bad one."""
    out: dict[str, int] = {}
    for spec in specs:
        name, sep, value = str(spec).rpartition("=")
        if not sep or not name.strip() or not re.fullmatch(r"\s*\d+\s*", value):
            raise ValueError(f"--cohort-offset {spec!r}: expected FILE=N with N a whole number ≥ 0 (e.g. B.txt=3)")
        out[name.strip()] = int(value)
    return out


def offsets_from_table(df: pd.DataFrame) -> dict[str, int]:
    """A programme table (CSV with columns ``booklet`` and ``cohort_offset``) → ``{booklet: offset}``."""
    missing = [c for c in ("booklet", "cohort_offset") if c not in df.columns]
    if missing:
        raise ValueError(f"a programme file needs the columns booklet, cohort_offset (missing: {', '.join(missing)})")
    out = {}
    for i, (b, o) in enumerate(zip(df.booklet, df.cohort_offset), start=2):
        if pd.isna(b) or not str(b).strip() or pd.isna(o) or not re.fullmatch(r"\s*\d+\s*", str(o)):
            raise ValueError(f"line {i}: booklet {b!r} with cohort_offset {o!r} (expected a name and a whole number "
                             f"≥ 0)")
        out[str(b).strip()] = int(str(o))
    return out


def check_offsets(offsets: Mapping[str, int], paths: Sequence[str | Path]) -> None:
    """Raise ValueError naming an offset given for a booklet that is none of ``paths`` (by path, file name or
    name)."""
    known = set()
    for p, n in zip(map(str, paths), unique_names([str(p) for p in paths])):
        known |= {p, Path(p).name, n, booklet_name(p)}
    unknown = [k for k in offsets if k not in known]
    if unknown:
        raise ValueError(f"a cohort offset is given for {', '.join(unknown)}, which is none of the booklets "
                         f"({', '.join(map(str, paths))})")


def _offset_for(offsets: Mapping[str, int], source: str, name: str) -> int | None:
    for key in (source, Path(source).name, name, booklet_name(source)):
        if key in offsets:
            return int(offsets[key])
    return None


def _norm(text) -> str:
    return re.sub(r"\s+", "", "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text))


def entry_fingerprints(b: Booklet) -> dict[int, str]:
    """entry_id → the entry's normalised text: title and every turn's speaker label and text, white space
    removed (so a reprint set with other line breaks or page breaks is still the same text)."""
    parts: dict[int, list[str]] = {int(e): [_norm(t)] for e, t in zip(b.entries.entry_id, b.entries.title)}
    for e, label, text in zip(b.turns.entry_id, b.turns.label, b.turns.text):
        parts.setdefault(int(e), []).append(_norm(label) + "：" + _norm(text))
    return {e: "\n".join(p) for e, p in parts.items()}


def combine_booklets(booklets: Sequence[Booklet], cohort_offsets: Mapping[str, int] | None = None) -> Booklet:
    """One :class:`Booklet` of the programme from its booklets in programme order (see the module docstring).
    ``booklets[i].meta["source"]`` names each; ``cohort_offsets`` as :func:`read_booklets`."""
    if len(booklets) == 1 and not cohort_offsets:
        return booklets[0]
    sources = [str(b.meta.get("source", f"<booklet {i + 1}>")) for i, b in enumerate(booklets)]
    names = unique_names(sources)
    warnings: list[dict] = []  # the programme's own warnings (reprints with another note, cohort conflicts)
    dropped, reprints = _reprints(booklets, names, warnings)
    booklet_offset = _offsets(booklets, dropped, dict(cohort_offsets or {}), sources, names, warnings)
    new_id: dict[tuple[int, int], int] = {}
    for i, b in enumerate(booklets):
        for e in b.entries.entry_id.astype(int):
            if (i, e) not in dropped:
                new_id[(i, e)] = len(new_id) + 1
    entries_df, turns_df, askers_df, lines_df, warnings_df = _renumbered(booklets, names, dropped, new_id,
                                                                         booklet_offset, warnings)
    # records for the shared builders: booklet_no orders rows across booklets (line numbers restart per booklet)
    no = {n: i for i, n in enumerate(names)}
    t_rec = _records(turns_df, no)
    a_rec = _records(askers_df, no)
    e_rec = _records(entries_df, no)
    rep = pd.DataFrame(reprints, columns=REPRINT_COLUMNS[:-1] + ["_key"])
    rep["kept_entry_id"] = [new_id.get(k) for k in rep._key]
    rep = conform("reprinted_entries", rep.drop(columns="_key")) if len(rep) else empty("reprinted_entries")
    return Booklet(entries=entries_df, turns=turns_df, askers=askers_df, people=_people(t_rec, a_rec),
                   units=_units(e_rec, t_rec), hospitals=_hospitals(a_rec),
                   sections=_sections(booklets, names, entries_df), lines=lines_df, warnings=warnings_df,
                   front_matter=booklets[0].front_matter,
                   meta=_programme_meta(booklets, names, sources, booklet_offset, entries_df),
                   reprinted_entries=rep)


def _reprints(booklets: Sequence[Booklet], names: list[str],
              warnings: list[dict]) -> tuple[set[tuple[int, int]], list[dict]]:
    """Reprints: entries with the same normalised text and the same note as an entry of an earlier booklet —
    ``(dropped (booklet no, entry_id) pairs, reprinted_entries rows)``; the same text with another note is kept
    and reported in ``warnings``."""
    first_seen: dict[str, tuple[int, int]] = {}  # fingerprint → (booklet no, entry_id) of its first printing
    dropped: set[tuple[int, int]] = set()
    reprints: list[dict] = []
    notes_of = [dict(zip(b.entries.entry_id.astype(int), b.entries.source_note)) for b in booklets]
    for i, b in enumerate(booklets):
        fp = entry_fingerprints(b)
        notes = notes_of[i]
        rows = b.entries.set_index(b.entries.entry_id.astype(int))
        for e in rows.index:
            key = fp.get(int(e), "")
            if key in first_seen and first_seen[key][0] != i:
                j, e0 = first_seen[key]
                note0 = notes_of[j][e0]
                r = rows.loc[e]
                if _norm(note0) == _norm(notes[e]):
                    dropped.add((i, int(e)))
                    reprints.append(dict(booklet=names[i], booklet_entry_no=int(e), line_start=r.line_start,
                                         line_end=r.line_end, title=r.title, source_note=r.source_note,
                                         kept_booklet=names[j], kept_booklet_entry_no=e0, _key=(j, e0)))
                else:
                    warnings.append(dict(booklet=names[i], line_no=r.line_start, code="same_text_other_note",
                                         message=f"{names[i]} 的第 {e} 条问答（第 {r.line_start} 行）与 {names[j]} "
                                                 f"的第 {e0} 条文字相同，但来源说明不同"
                                                 f"（{_norm(notes[e])} / {_norm(note0)}）：两条都保留"))
            else:
                first_seen.setdefault(key, (i, int(e)))
    return dropped, reprints


def _offsets(booklets: Sequence[Booklet], dropped: set[tuple[int, int]], offsets: dict[str, int],
             sources: list[str], names: list[str], warnings: list[dict]) -> list[int]:
    """Each booklet's cohort offset, in programme order: the one given, else 0, or — when its printed cohorts
    clash with an earlier booklet's — after the highest cohort so far (reported in ``warnings``)."""
    used: dict[int, str] = {}  # programme cohort → the booklet that first uses it
    booklet_offset: list[int] = []
    for i, b in enumerate(booklets):
        keep = [(i, int(e)) not in dropped for e in b.entries.entry_id]
        printed = sorted({int(c) for c in b.entries.cohort_printed[keep].dropna()})
        given = _offset_for(offsets, sources[i], names[i])
        if given is not None:
            off = given
        else:
            clash = [c for c in printed if c in used]
            off = 0
            if clash:
                off = max(used) - min(printed) + 1
                others = "、".join(dict.fromkeys(used[c] for c in clash))
                cohorts = "、".join(f"第{c}期" for c in clash)
                line = int(b.entries.line_start[keep].min()) if any(keep) else None
                warnings.append(dict(
                    booklet=names[i], line_no=line, code="cohort_conflict",
                    message=f"期次冲突：{names[i]}（{sources[i]}）与 {others} 都印有 {cohorts}；"
                            f"{names[i]} 的期次接在已有的最高期次之后编号（顺延 {off} 期：其第{printed[0]}期"
                            f"即整个项目的第{printed[0] + off}期）。如果这个顺序不对，请用 "
                            f"--cohort-offset {Path(sources[i]).name}=N（或项目 CSV）给出每本合集的顺延期数"))
        booklet_offset.append(off)
        for c in printed:
            used.setdefault(c + off, names[i])
    return booklet_offset


def _renumbered(booklets: Sequence[Booklet], names: list[str], dropped: set[tuple[int, int]],
                new_id: dict[tuple[int, int], int], booklet_offset: list[int], warnings: list[dict]) -> tuple:
    """The booklets' entries, turns, askers, lines and warnings as one table each (entries renumbered by
    ``new_id``, reprints left out, cohorts shifted by each booklet's offset, a ``booklet`` column added):
    ``(entries, turns, askers, lines, warnings)``, the programme's own ``warnings`` after the booklets'."""

    def ids(i: int, col: pd.Series) -> list:
        return [new_id.get((i, int(e))) if not pd.isna(e) else None for e in col]

    entries, turns, askers, lines, warn = [], [], [], [], []
    for i, b in enumerate(booklets):
        keep_e = [(i, int(e)) not in dropped for e in b.entries.entry_id]
        e = b.entries[keep_e].copy()
        e["booklet_entry_no"] = e.entry_id.astype("Int64")
        e["entry_id"] = ids(i, e.entry_id)
        e["booklet"] = names[i]
        e["cohort"] = e.cohort_printed + booklet_offset[i]
        entries.append(e)
        for src, out in ((b.turns, turns), (b.askers, askers)):
            t = src[[(i, int(x)) not in dropped for x in src.entry_id]].copy()
            t["entry_id"] = ids(i, t.entry_id)
            t["booklet"] = names[i]
            out.append(t)
        ln = b.lines.copy()
        ln["entry_id"] = ids(i, ln.entry_id)  # a reprint's lines stay, belonging to no entry
        ln["booklet"] = names[i]
        lines.append(ln)
        w = b.warnings.copy()
        w["booklet"] = names[i]
        warn.append(w)
    entries_df = conform("entries", pd.concat(entries, ignore_index=True))
    turns_df = conform("turns", pd.concat(turns, ignore_index=True))
    askers_df = pd.concat(askers, ignore_index=True)
    canon = canonical_hospitals(list(askers_df.hospital.fillna("")))
    askers_df["hospital_canonical"] = [canon.get(h, "") if h else "" for h in askers_df.hospital.fillna("")]
    askers_df = conform("askers", askers_df)
    lines_df = conform("lines", pd.concat(lines, ignore_index=True))
    warnings_df = pd.concat(warn + [pd.DataFrame(warnings, columns=["booklet", "line_no", "code", "message"])],
                            ignore_index=True)
    warnings_df = conform("warnings", warnings_df) if len(warnings_df) else empty("warnings")
    return entries_df, turns_df, askers_df, lines_df, warnings_df


def _programme_meta(booklets: Sequence[Booklet], names: list[str], sources: list[str], booklet_offset: list[int],
                    entries_df: pd.DataFrame) -> dict:
    """The programme's ``meta``: its sources, encodings, line counts, a checksum of the booklets and offsets, and
    per booklet its name, source, checksum, offset and entries."""
    shas = [str(b.meta.get("sha256", "")) for b in booklets]
    kinds: Counter = Counter()
    for b in booklets:
        kinds.update(b.meta.get("line_kinds", {}))
    return dict(
        source="、".join(sources), encoding="、".join(dict.fromkeys(str(b.meta.get("encoding")) for b in booklets)),
        bom=any(b.meta.get("bom") for b in booklets),
        newline="、".join(dict.fromkeys(str(b.meta.get("newline")) for b in booklets)),
        sha256=hashlib.sha256(json.dumps([names, shas, booklet_offset]).encode()).hexdigest(),
        n_lines=sum(int(b.meta.get("n_lines", 0)) for b in booklets), line_kinds=dict(sorted(kinds.items())),
        wrap_width=booklets[0].meta.get("wrap_width"),
        booklets=[dict(name=n, source=s, sha256=h, cohort_offset=o,
                       n_entries=int((entries_df.booklet == n).sum()))
                  for n, s, h, o in zip(names, sources, shas, booklet_offset)])


def _records(df: pd.DataFrame, booklet_no: Mapping[str, int]) -> list[dict]:
    """Rows as plain dicts (None for missing values) with ``booklet_no`` (the booklet's place in the programme)."""
    recs = df.astype(object).where(df.notna(), None).to_dict("records")
    for r in recs:
        r["booklet_no"] = booklet_no[r["booklet"]]
        for k in ("former", "opens_entry", "is_question"):
            if k in r and r[k] is None:
                r[k] = False
        for k in ("hospital", "hospital_alias", "hospital_canonical", "name", "speaker", "section", "unit_title",
                  "affiliation_raw", "class_role"):
            if k in r and r[k] is None:
                r[k] = ""
    return recs


def _sections(booklets: Sequence[Booklet], names: Sequence[str], entries: pd.DataFrame) -> pd.DataFrame:
    """One row per section name over the programme, in order of first appearance; the same heading in two
    booklets is one section (its line is that of its first booklet)."""
    counts = entries.groupby("section", sort=False).size()
    first: dict[str, dict] = {}
    for b, n in zip(booklets, names):
        for s, line in zip(b.sections.section, b.sections.line_no):
            row = first.setdefault(s, dict(section=s, line_no=line, booklets=[]))
            if n not in row["booklets"]:
                row["booklets"].append(n)
    rows = [dict(section_no=k, section=r["section"], n_entries=int(counts.get(r["section"], 0)), line_no=r["line_no"],
                 booklets="、".join(r["booklets"])) for k, r in enumerate(first.values(), start=1)]
    return conform("sections", pd.DataFrame(rows)) if rows else empty("sections")


def reprinted_table(booklet: Booklet) -> pd.DataFrame:
    """The booklet's ``reprinted_entries`` (empty for a single booklet)."""
    rep = getattr(booklet, "reprinted_entries", None)
    return rep if rep is not None else empty("reprinted_entries")


__all__ = ["read_booklets", "combine_booklets", "check_offsets", "parse_offset_specs", "offsets_from_table",
           "entry_fingerprints", "reprinted_table", "unique_names"]
