"""The programme view: a study of several booklets (or of many cohorts) cohort by cohort — what the report's
section 逐期总览 and notebook 06_programme show.

:func:`cohort_overview` gives one row per cohort, in the programme's order: the booklet(s) it comes from, its
entries and units, its commonest topics and codes, and the recurring needs (table ``recurring_needs``) it shares
with other cohorts. Pure function on the run's tables; every part is left empty when its table is missing (a run
without topics or codes).
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

#: The view's columns (the report's headers are in report.TABLE_HEADERS["cohort_overview"]).
OVERVIEW_COLUMNS = ["cohort", "booklet", "cohort_printed", "n_entries", "n_units", "units", "topics", "codes",
                    "recurring_needs", "entry_ids"]


def shows_programme(entries: pd.DataFrame) -> bool:
    """Whether a study is a programme worth a cohort-by-cohort view: more than one booklet, or more than three
    cohorts (the bundled booklet alone has three, and its other sections already show them)."""
    several = "booklet" in entries and entries.booklet.nunique() > 1
    return bool(several or entries.cohort.nunique() > 3)


def _top(counts: pd.Series, k: int) -> str:
    """The ``k`` largest counts as "name（n）", largest first (ties by name), joined by 、."""
    if counts is None or not len(counts):
        return ""
    c = counts[counts > 0]
    order = sorted(c.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))[:k]
    return "、".join(f"{name}（{int(n)}）" for name, n in order)


def cohort_overview(entries: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None,
                    k: int = 3) -> pd.DataFrame:
    """One row per cohort (ascending: the programme's order): ``booklet`` (the booklets its entries come from,
    joined by 、), ``cohort_printed`` (as the source notes print it), ``n_entries``, ``n_units`` and ``units`` (unit
    titles by entries, 答疑讨论课 for a discussion class), ``topics`` (the ``k`` topics most of its entries are
    assigned to: label（entries）), ``codes`` (the ``k`` codes matching most of its entries: code（entries）),
    ``recurring_needs`` (each need of ``recurring_needs`` with an entry in this cohort and in another:
    需求 id“label”（this cohort's entries; the other cohorts, the first 6 named)), ``entry_ids`` (the cohort's entries, "1,2,3").
    ``tables``: the run's tables (``entry_topics``, ``topics``, ``code_entries``, ``recurring_needs`` are used)."""
    from .trends import unit_strata

    tables = tables or {}
    e = entries[entries.cohort.notna()].sort_values("entry_id", kind="stable")
    unit_of = unit_strata(e)

    topic_of: dict[int, str] = {}
    et, topics = tables.get("entry_topics"), tables.get("topics")
    if et is not None and topics is not None and len(et):
        label = dict(zip(topics.topic_id.astype("int64"), topics.label.astype(str)))
        first = et[et["rank"] == 1]
        topic_of = {int(i): f"主题{int(t)} {label.get(int(t), '')}".strip()
                    for i, t in zip(first.entry_id, first.topic_id)}

    codes = tables.get("code_entries")
    code_cols = [c for c in codes.columns if c != "entry_id"] if codes is not None else []
    coded = codes.set_index(codes.entry_id.astype("int64"))[code_cols].fillna(False).astype(bool) if code_cols else None

    needs = tables.get("recurring_needs")
    need_rows: dict[int, list[str]] = {}
    if needs is not None and len(needs):
        n = needs[needs.cohort.notna()]
        for need_id, g in n.groupby("need_id", sort=True):
            cohorts = sorted({int(c) for c in g.cohort})
            if len(cohorts) < 2:
                continue
            for c in cohorts:
                here = sorted(int(i) for i in g.entry_id[g.cohort.astype("int64") == c])
                rest = [f"第{o}期" for o in cohorts if o != c]
                others = "、".join(rest) if len(rest) <= 6 else "、".join(rest[:6]) + f"等 {len(rest)} 期"
                need_rows.setdefault(c, []).append(
                    f"需求{int(need_id)}“{g.label.iloc[0]}”（第 {'、'.join(map(str, here))} 条；也见于{others}）")

    rows = []
    for c, g in e.groupby(e.cohort.astype("int64"), sort=True):
        gid = [int(i) for i in g.entry_id]
        units = unit_of.loc[gid].value_counts()
        topic_counts = pd.Series([topic_of[i] for i in gid if i in topic_of], dtype=object).value_counts()
        code_counts = coded.reindex(gid).fillna(False).astype(bool).sum() if coded is not None else None
        books = list(dict.fromkeys(str(b) for b in g.booklet)) if "booklet" in g else []
        printed = sorted({int(p) for p in g.cohort_printed.dropna()}) if "cohort_printed" in g else []
        rows.append(dict(cohort=int(c), booklet="、".join(books), cohort_printed="、".join(map(str, printed)),
                         n_entries=len(gid), n_units=len(units), units=_top(units, len(units)),
                         topics=_top(topic_counts, k), codes=_top(code_counts, k),
                         recurring_needs="；".join(need_rows.get(int(c), [])), entry_ids=",".join(map(str, gid))))
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)


def booklets_overview(entries: pd.DataFrame, reprinted: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per booklet, in programme order: ``booklet``, ``cohorts`` (its cohorts in the programme's order,
    "4–6" or "4、6"), ``n_entries`` (entries analysed), ``n_reprints`` (its entries left out as reprints of an
    earlier booklet's, table ``reprinted_entries``)."""
    if "booklet" not in entries:
        return pd.DataFrame(columns=["booklet", "cohorts", "n_entries", "n_reprints"])
    rows = []
    for b, g in entries.groupby("booklet", sort=False):
        cs = sorted({int(c) for c in g.cohort.dropna()})
        span = (f"{cs[0]}–{cs[-1]}" if cs and cs == list(range(cs[0], cs[-1] + 1)) and len(cs) > 1
                else "、".join(map(str, cs)))
        n_rep = int((reprinted.booklet == b).sum()) if reprinted is not None and len(reprinted) else 0
        rows.append(dict(booklet=str(b), cohorts=span, n_entries=len(g), n_reprints=n_rep))
    return pd.DataFrame(rows, columns=["booklet", "cohorts", "n_entries", "n_reprints"])
