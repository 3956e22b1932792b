"""The share of each code (competency area) by cohort: how many of a cohort's entries a code's rule matches, with
Wilson 95 % intervals, and whether the share rises or falls across the ordered cohorts.

A trend across cohorts is confounded with the units each cohort's entries come from (the booklet draws cohort 3 from
two units only): beside the Cochran–Armitage test over all entries, the same trend is tested within the units that
several cohorts share (Mantel's stratified extension), NaN where no unit is shared. Pure functions on tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CODE_SHARE_COLUMNS = ["code", "cohort", "n_entries", "n_code", "share", "ci_low", "ci_high", "trend_z", "trend_p",
                      "trend_q", "within_units_z", "within_units_p", "shared_units"]


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
    Wilson interval ``ci_low``–``ci_high``; per code (repeated on its rows) the Cochran–Armitage ``trend_z`` and
    ``trend_p`` across cohorts (scores = cohort numbers), ``trend_q`` (Benjamini–Hochberg over codes), and the trend
    within shared units ``within_units_z`` / ``within_units_p`` (strata = unit titles, only entries of units that
    ≥ 2 cohorts share), ``shared_units`` = those titles joined by 、.

    ``code_entries``: ``entry_id`` and one boolean column per code (as :func:`corpus_tools.codes.code_tables`
    gives it); ``entries``: the booklet's entries (``cohort``, ``session_type``, ``unit_title``)."""
    from .stats import bh_qvalues, cochran_armitage, stratified_trend_test

    codes = [c for c in code_entries.columns if c != "entry_id"]
    e = entries[["entry_id", "cohort", "session_type", "unit_title"]].dropna(subset=["cohort"])
    e = e.assign(entry_id=e.entry_id.astype("int64"), cohort=e.cohort.astype("int64"))
    ce = code_entries.assign(entry_id=code_entries.entry_id.astype("int64"))
    m = e.merge(ce, on="entry_id", how="left")
    cohorts = sorted(m.cohort.unique())
    shared = shared_unit_titles(e, cohorts)
    in_shared = (m.session_type == "unit") & m.unit_title.isin(shared)
    rows = []
    for code in codes:
        hit = m[code].fillna(False).astype(bool)
        n = np.array([(m.cohort == c).sum() for c in cohorts])
        r = np.array([(hit & (m.cohort == c)).sum() for c in cohorts])
        z, p = cochran_armitage(r, n, cohorts)
        s = m[in_shared]
        cells = s.assign(hit=hit[in_shared]).groupby(["unit_title", "cohort"], sort=True).hit.agg(["sum", "size"])
        if len(cells):
            wz, wp = stratified_trend_test(cells["sum"].to_numpy(), cells["size"].to_numpy(),
                                           cells.index.get_level_values("cohort").to_numpy(),
                                           cells.index.get_level_values("unit_title").to_numpy())
        else:
            wz, wp = float("nan"), float("nan")
        for c, k, nn in zip(cohorts, r, n):
            lo, hi = wilson_interval(int(k), int(nn), confidence)
            rows.append(dict(code=code, cohort=int(c), n_entries=int(nn), n_code=int(k),
                             share=float(k / nn) if nn else float("nan"), ci_low=lo, ci_high=hi, trend_z=z,
                             trend_p=p, within_units_z=wz, within_units_p=wp, shared_units="、".join(shared)))
    out = pd.DataFrame(rows, columns=[c for c in CODE_SHARE_COLUMNS if c != "trend_q"])
    if len(out):
        per_code = out.drop_duplicates("code")
        q = dict(zip(per_code.code, bh_qvalues(per_code.trend_p.to_numpy(dtype=float))))
        out["trend_q"] = out.code.map(q).astype(float)
    else:
        out["trend_q"] = pd.Series(dtype=float)
    return out[CODE_SHARE_COLUMNS]
