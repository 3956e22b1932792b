"""The share of each code (competency area) by cohort: how many of a cohort's entries a code's rule matches, with
Wilson 95 % intervals, and whether the share rises or falls across the ordered cohorts.

A trend across cohorts is confounded with the units each cohort's entries come from (the booklet draws cohort 3 from
two units only): beside the Cochran–Armitage test over all entries, the same trend is tested within the units that
several cohorts share (Mantel's stratified extension), NaN where no unit is shared. The tests are those of
:mod:`corpus_tools.cohorttrends` (codes as one family); this module adds the shares and their intervals. Pure
functions on tables.
"""

from __future__ import annotations

import pandas as pd

CODE_SHARE_COLUMNS = ["code", "cohort", "n_entries", "n_code", "share", "ci_low", "ci_high", "trend_z", "trend_p",
                      "trend_q", "within_units_z", "within_units_p", "p_without_one_cohort", "call", "shared_units"]


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion k / n (scipy's ``binomtest(k, n).proportion_ci(method="wilson")``);
    (NaN, NaN) for n = 0."""
    from scipy.stats import binomtest

    if n <= 0:
        return float("nan"), float("nan")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def shared_unit_titles(entries: pd.DataFrame, cohorts) -> list[str]:
    """Unit titles (the same title in two cohorts is the same unit) with entries in at least two of ``cohorts``,
    in order of first appearance in the booklet."""
    u = entries[entries.session_type == "unit"].dropna(subset=["cohort"])
    u = u[u.cohort.isin(list(cohorts))]
    n = u.groupby("unit_title", sort=False).cohort.nunique()
    return [str(t) for t in n.index if n[t] >= 2]


def code_share_by_cohort(code_entries: pd.DataFrame, entries: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per (code, cohort): ``n_entries`` of the cohort, ``n_code`` matched by the code, ``share`` and its
    Wilson interval ``ci_low``–``ci_high``; per code (repeated on its rows) the trend across cohorts as
    :func:`corpus_tools.cohorttrends.cohort_trends` tests it (the package's one trend test): Cochran–Armitage
    ``trend_z`` / ``trend_p`` (scores = cohort numbers), ``trend_q`` (Benjamini–Hochberg over the codes), the
    trend within shared units ``within_units_z`` / ``within_units_p`` (strata = unit titles, only entries of units
    that ≥ 2 cohorts share), ``p_without_one_cohort`` and its ``call``; ``shared_units`` = those titles joined by 、.

    ``code_entries``: ``entry_id`` and one boolean column per code (as :func:`corpus_tools.codes.code_tables`
    gives it); ``entries``: the booklet's entries (``cohort``, ``session_type``, ``unit_title``)."""
    from .cohorttrends import cohort_trends

    codes = [c for c in code_entries.columns if c != "entry_id"]
    e = entries.dropna(subset=["cohort"])
    e = e.assign(entry_id=e.entry_id.astype("int64"), cohort=e.cohort.astype("int64"))
    ce = code_entries.assign(entry_id=code_entries.entry_id.astype("int64"))
    m = e[["entry_id", "cohort"]].merge(ce, on="entry_id", how="left")
    cohorts = sorted(m.cohort.unique())
    shared = shared_unit_titles(e, cohorts)
    trend = cohort_trends(None, e, code_entries=ce)
    trend = trend[trend.kind == "code"].set_index("term")
    nan = float("nan")
    rows = []
    for code in codes:
        hit = m[code].fillna(False).astype(bool)
        t = trend.loc[code] if code in trend.index else None
        get = (lambda col: nan if t is None or pd.isna(t[col]) else float(t[col]))  # noqa: E731
        for c in cohorts:
            nn, k = int((m.cohort == c).sum()), int((hit & (m.cohort == c)).sum())
            lo, hi = wilson_interval(k, nn, confidence)
            rows.append(dict(code=code, cohort=int(c), n_entries=nn, n_code=k, share=k / nn if nn else nan,
                             ci_low=lo, ci_high=hi, trend_z=get("statistic"), trend_p=get("p_value"),
                             trend_q=get("q_value"), within_units_z=get("within_unit_statistic"),
                             within_units_p=get("p_within_unit"), p_without_one_cohort=get("p_without_one_cohort"),
                             call="" if t is None or pd.isna(t["call"]) else str(t["call"]),
                             shared_units="、".join(shared)))
    return pd.DataFrame(rows, columns=CODE_SHARE_COLUMNS)
