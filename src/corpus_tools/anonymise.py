"""Trainees as stable codes everywhere: no trainee name in any table, figure, network or report.

Every trainee of the booklet's ``people`` table has a stable code (``person_id``: T01, T02 … in order of first
appearance). With ``--anonymise`` each occurrence of a trainee's name, in every text cell of every table — names
in ``people``/``askers``/``turns.speaker``/``entries.asked_by``, names inside the Q&A text and the raw ``lines``,
and a name that jieba kept as a token (``tokens``, ``term_freq_*``) — is replaced by that code. Longer names are
replaced first, so a name that contains another is replaced whole. Instructors stay named.

Pure functions: DataFrames in, new DataFrames out (the inputs are not changed).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from typing import Any

import pandas as pd


def trainee_codes(people: pd.DataFrame) -> dict[str, str]:
    """``{name: code}`` of every named trainee (role ``trainee``, non-empty name), e.g. ``{"张敦明": "T01"}``."""
    t = people[people["role"] == "trainee"]
    out: dict[str, str] = {}
    for name, pid in zip(t["name"], t["person_id"]):
        if isinstance(name, str) and name.strip() and isinstance(pid, str) and name != pid:
            out[name.strip()] = pid
    return out


def _pattern(codes: dict[str, str]) -> re.Pattern | None:
    if not codes:
        return None
    names = sorted(codes, key=lambda n: (-len(n), n))
    return re.compile("|".join(re.escape(n) for n in names))


def anonymise_text(text: str, codes: dict[str, str], pattern: re.Pattern | None = None) -> str:
    """``text`` with every trainee name replaced by its code (longest names first)."""
    pattern = pattern if pattern is not None else _pattern(codes)
    if pattern is None or not isinstance(text, str):
        return text
    return pattern.sub(lambda m: codes[m.group()], text)


def _value(v: Any, codes: dict[str, str], pattern: re.Pattern) -> Any:
    if isinstance(v, str):
        return pattern.sub(lambda m: codes[m.group()], v)
    if isinstance(v, (list, tuple)):
        return type(v)(_value(x, codes, pattern) for x in v)
    return v


def anonymise_frame(df: pd.DataFrame, codes: dict[str, str]) -> pd.DataFrame:
    """A copy of ``df`` with trainee names replaced by codes in every text cell, text column label and text index.
    Numeric columns are untouched; column dtypes are kept."""
    pattern = _pattern(codes)
    if pattern is None:
        return df.copy()
    out = df.copy()
    for i, col in enumerate(out.columns):
        s = out.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            new = s.astype(object).map(lambda v: _value(v, codes, pattern)).astype("category")
        elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            new = s.map(lambda v: _value(v, codes, pattern))
            if not pd.api.types.is_object_dtype(s.dtype):
                new = new.astype(s.dtype)
        else:
            continue
        out.isetitem(i, new)
    out.columns = [_value(c, codes, pattern) for c in out.columns]
    if pd.api.types.is_object_dtype(out.index.dtype) or pd.api.types.is_string_dtype(out.index.dtype):
        out.index = out.index.map(lambda v: _value(v, codes, pattern))
    return out


def anonymise_tables(tables: dict[str, Any], people: pd.DataFrame) -> dict[str, Any]:
    """Every DataFrame of ``tables`` through :func:`anonymise_frame` with the trainees of ``people``; other
    values (graphs, objects) come back unchanged. A new dict; table names and order are kept."""
    codes = trainee_codes(people)
    return {name: anonymise_frame(df, codes) if isinstance(df, pd.DataFrame) else df
            for name, df in tables.items()}


def anonymise_pieces(texts: list[str], codes: dict[str, str], pattern: re.Pattern | None = None) -> list[str]:
    """The pieces of one text cut at line ends (``texts``, in order), with every trainee name replaced by its code
    also where a line end cuts it: the code goes where the name starts, the rest of the name is removed from the
    next pieces (["…处长刘鸿", "齐："] → ["…处长T09", "："]). As many pieces as given."""
    pattern = pattern if pattern is not None else _pattern(codes)
    if pattern is None or not texts:
        return list(texts)
    joined = "".join(texts)
    ends = list(itertools.accumulate(len(t) for t in texts))
    out: list[list[str]] = [[] for _ in texts]

    def copy(a: int, b: int) -> None:  # joined[a:b] back to the pieces it came from
        k = bisect.bisect_right(ends, a)
        while a < b:
            cut = min(b, ends[k])
            out[k].append(joined[a:cut])
            a, k = cut, k + 1

    pos = 0
    for m in pattern.finditer(joined):
        copy(pos, m.start())
        out[bisect.bisect_right(ends, m.start())].append(codes[m.group()])
        pos = m.end()
    copy(pos, len(joined))
    return ["".join(p) for p in out]


def anonymise_lines(lines: pd.DataFrame, codes: dict[str, str]) -> pd.DataFrame:
    """The ``lines`` table (pieces of the booklet's lines, each with the role, entry and turn the parse gave it)
    with trainee names replaced also where a line end cuts them: the pieces of one label, one turn's text or one
    title (same entry, turn and role, in line order — where the parse located the speaker's name) are joined,
    the names replaced, and the pieces cut again (:func:`anonymise_pieces`). Then every cell as in
    :func:`anonymise_frame`."""
    pattern = _pattern(codes)
    if pattern is None or not len(lines) or not {"entry_id", "turn_no", "role", "text"} <= set(lines.columns):
        return anonymise_frame(lines, codes)
    texts = lines["text"].astype(object).to_numpy().copy()
    placed = lines["entry_id"].notna().to_numpy()
    key = list(zip(lines["entry_id"].astype("Int64").fillna(-1), lines["turn_no"].astype("Int64").fillna(-1),
                   lines["role"].astype(object)))
    groups: dict[tuple, list[int]] = {}
    for i in range(len(lines)):
        if placed[i] and isinstance(texts[i], str):
            groups.setdefault(key[i], []).append(i)
    for rows in groups.values():
        if len(rows) > 1:
            for i, t in zip(rows, anonymise_pieces([texts[i] for i in rows], codes, pattern)):
                texts[i] = t
    out = lines.copy()
    out["text"] = pd.Series(texts, index=lines.index).astype(lines["text"].dtype)
    return anonymise_frame(out, codes)


def anonymise_cut(text: str, codes: dict[str, str], mark: str = "…") -> str:
    """``text`` whose excerpts were cut with ``mark`` (a parse warning quotes the first 30 characters of a line:
    "…处长刘鸿…"), with the start of a trainee name cut there replaced by its code too (longest start first)."""
    if not isinstance(text, str) or mark not in text or not codes:
        return text
    starts = sorted({(n[:k], c) for n, c in codes.items() for k in range(1, len(n))}, key=lambda x: -len(x[0]))
    parts = text.split(mark)
    for i, part in enumerate(parts[:-1]):
        for start, code in starts:
            if part.endswith(start):
                parts[i] = part[: len(part) - len(start)] + code
                break
    return mark.join(parts)


def anonymise_booklet(booklet):
    """A copy of a :class:`~corpus_tools.booklet.Booklet` whose tables (people, askers, turns, entries, lines,
    hospitals, warnings …) and front matter carry codes instead of trainee names. Analysing this copy gives
    figures, networks and a report without names; ``people.name`` of a trainee becomes their code."""
    codes = trainee_codes(booklet.people)
    changes = {f.name: (anonymise_lines if f.name == "lines" else anonymise_frame)(getattr(booklet, f.name), codes)
               for f in dataclasses.fields(booklet) if isinstance(getattr(booklet, f.name), pd.DataFrame)}
    w = changes.get("warnings")
    if w is not None and "message" in w.columns:  # excerpts cut short may end inside a name
        w = w.copy()
        w["message"] = w["message"].map(lambda m: anonymise_cut(m, codes)).astype(booklet.warnings["message"].dtype)
        changes["warnings"] = w
    changes["front_matter"] = anonymise_text(booklet.front_matter, codes)
    meta = dict(booklet.meta)
    meta["anonymised"] = True
    changes["meta"] = meta
    return dataclasses.replace(booklet, **changes)
