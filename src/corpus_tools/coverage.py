"""Stage 5c — curriculum coverage: what each unit draws and who answers there.

The curriculum itself lives in :mod:`corpus_tools.curriculum` (``curriculum(units, given=None)``, re-exported
here): without a curriculum file only the units some entry comes from are known — nothing is inferred from gaps
in the numbering and no title is borrowed from another cohort. How well each question fits its unit is
:mod:`corpus_tools.unitfit` (it replaced the word-overlap "questions without a home"). The discussion class (答疑讨论课) is a row of every table here.
"""

from __future__ import annotations

import pandas as pd

from .curriculum import curriculum, units_without_entries  # noqa: F401  (re-exported)
from .trends import entry_units, keyness


def unit_by(entries: pd.DataFrame, column: str, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts of entries: one row per unit (label), one column per value of ``column`` (e.g. section, topic_id),
    units in curriculum order, columns in order of first appearance."""
    e = entry_units(entries)
    if extra is not None:
        e = e.merge(extra, on="entry_id", how="left")
    order = (e.sort_values(["cohort", "session_type", "unit_no"], kind="stable").unit.drop_duplicates().tolist())
    cols = list(dict.fromkeys(e[column].dropna()))
    return pd.crosstab(e.unit, e[column]).reindex(index=order, columns=cols, fill_value=0)


def low_draw_units(curric: pd.DataFrame, max_entries: int = 1) -> pd.DataFrame:
    """Rows of :func:`curriculum` with at most ``max_entries`` entries in the booklet (units with none appear only
    when a curriculum file lists them)."""
    return curric[curric.n_entries <= max_entries].reset_index(drop=True)


def instructors_per_unit(entries: pd.DataFrame, turns: pd.DataFrame) -> pd.DataFrame:
    """Long table: ``unit, instructor, n_entries, n_turns`` (who answers in which unit)."""
    t = turns[turns.role == "instructor"].merge(entry_units(entries)[["entry_id", "unit"]], on="entry_id")
    out = t.groupby(["unit", "speaker"]).agg(n_entries=("entry_id", "nunique"), n_turns=("turn_no", "size"))
    out = out.reset_index().rename(columns={"speaker": "instructor"})
    return out.sort_values(["unit", "n_entries", "instructor"], ascending=[True, False, True], kind="stable")


def coverage_table(entries: pd.DataFrame, units: pd.DataFrame, tokens: pd.DataFrame, askers: pd.DataFrame,
                   turns: pd.DataFrame, entry_topics: pd.DataFrame | None = None,
                   topics: pd.DataFrame | None = None, n_terms: int = 5) -> pd.DataFrame:
    """For designers: one row per unit title (across cohorts) with the cohorts it drew questions in, the number
    of questions, main topics, main key terms (keyness of the unit's entries against all others), the instructors
    who answered and the hospitals of the trainees who asked most."""
    e = entries[entries.session_type.notna()].copy()
    e["unit_key"] = [(t if s == "unit" else "答疑讨论课") for s, t in zip(e.session_type, e.unit_title)]
    key = keyness(tokens, e.assign(unit_key=e.unit_key), by="unit_key")
    key = key[(key.g2 > 0) & (key.p_g2 < 0.05)]
    key_terms = {u: g.term.head(n_terms).tolist() for u, g in key.groupby("group", sort=False)}
    # each table split by unit once (each row read once, not once per unit)
    unit_of = dict(zip(e.entry_id, e.unit_key))

    def by_unit(df: pd.DataFrame) -> dict:
        u = df.entry_id.map(unit_of)
        return {k: g for k, g in df[u.notna().to_numpy()].groupby(u[u.notna()].to_numpy(), sort=False)}

    et_by = ({} if entry_topics is None or topics is None
             else by_unit(entry_topics[entry_topics["rank"] == 1]))
    askers_by = by_unit(askers[(askers.role == "trainee") & (askers.hospital_canonical != "")])
    turns_by = by_unit(turns[turns.role == "instructor"])
    empty = pd.Series(dtype=object)
    rows = []
    for unit, grp in e.groupby("unit_key", sort=False):
        terms = key_terms.get(unit, [])
        topic_part = ""
        if entry_topics is not None and topics is not None:
            et = et_by.get(unit)
            counts = et.topic_id.value_counts() if et is not None else empty
            topic_part = "；".join(f"{t} {topics.label[t]}（{n}）" for t, n in
                                  sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
        a = askers_by.get(unit)
        hosp = a.hospital_canonical.value_counts() if a is not None else empty
        hospitals = "、".join(h for h, _ in sorted(hosp.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
        tt = turns_by.get(unit)
        instr = tt.speaker.value_counts() if tt is not None else empty
        rows.append(dict(
            unit_title=unit,
            unit_nos="、".join(sorted({str(int(n)) for n in grp.unit_no.dropna()}, key=int)),
            cohorts="、".join(f"第{int(c)}期" for c in sorted(grp.cohort.dropna().unique())),
            n_questions=len(grp), sections="、".join(grp.section.value_counts().index[:3]),
            main_topics=topic_part, key_terms="、".join(terms),
            instructors="、".join(n for n, _ in sorted(instr.items(), key=lambda kv: (-kv[1], kv[0]))[:4]),
            top_hospitals=hospitals))
    out = pd.DataFrame(rows)
    return out.sort_values(["n_questions", "unit_title"], ascending=[False, True], kind="stable").reset_index(
        drop=True)
