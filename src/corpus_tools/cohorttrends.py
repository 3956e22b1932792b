"""Trends over many cohorts: does the share of *entries* using a term (or matched by a code) rise or fall across
the ordered cohorts of a programme?

:func:`cohort_trends` tests every term used in ≥ ``min_docs`` entries and every code with the Cochran–Armitage
trend test (:func:`corpus_tools.stats.cochran_armitage`; scores = the cohort numbers in programme order), with
Benjamini–Hochberg q within each family — the terms (exploratory, hundreds) and the codes (the codebook's few areas,
declared before the data) — and then the checks :func:`corpus_tools.trends.emerging_fading` makes for two cohorts,
carried over to many. This is the one trend test of the package: the codes' rows are what
:func:`corpus_tools.codeshare.code_share_by_cohort` reports beside each code's shares.

- **one cohort**: the trend must survive leaving out any single cohort (``p_without_one_cohort`` = the largest p
  with one cohort left out, in the same direction): a burst in one cohort is not a trend;
- **one speaker / one entry**: how concentrated the term's uses are (``top_entry_share``, ``top_speaker_share``,
  ``one_speaker`` ≥ 80 %);
- **within units**: where cohorts share units (the same unit title), Mantel's stratified trend test within them
  (:func:`corpus_tools.stats.stratified_trend_test`): a trend that does not hold within units is a unit effect
  (the cohorts' entries come from different units).

Pure functions on tables.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import norm

from . import stats
from .codeshare import shared_unit_titles
from .schema import conform, empty
from .trends import _column_max, _count_matrix, _speaker_codes, content_tokens

MIN_DOCS = 3  # as emerging_fading: a term needs this many entries (all cohorts) to be tested
ALPHA = 0.05
ONE_SPEAKER = 0.8


def trend_z(r: np.ndarray, n: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cochran–Armitage z and two-sided p for many rows at once: ``r`` (rows × groups) successes of ``n``
    (groups) entries, scores ``t`` (groups) — row by row what :func:`corpus_tools.stats.cochran_armitage` gives.
    NaN where the pooled share is 0 or 1 or the scores do not vary."""
    r = np.atleast_2d(np.asarray(r, dtype=float))
    n, t = np.asarray(n, dtype=float), np.asarray(t, dtype=float)
    N, R = n.sum(), r.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = R / N
        var = p * (1 - p) * ((n * t * t).sum() - (n * t).sum() ** 2 / N)
        z = np.where(var > 0, (r * t).sum(axis=1) - R * (n * t).sum() / N, np.nan) / np.sqrt(var)
    z = np.where(var > 0, z, np.nan)
    return z, 2 * norm.sf(np.abs(z))


def leave_one_out_p(r: np.ndarray, n: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Per row, the largest two-sided p of the trend test with one cohort (column) left out; a left-out cohort
    after which the trend reverses or vanishes (NaN) counts as p = 1. NaN with fewer than 3 cohorts."""
    r = np.atleast_2d(np.asarray(r, dtype=float))
    if r.shape[1] < 3:
        return np.full(r.shape[0], np.nan)
    return leave_each_out_p(r, n, t, z).max(axis=1)


def leave_each_out_p(r: np.ndarray, n: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The two-sided p of the trend test with each cohort (column) left out in turn: rows × cohorts; a left-out
    cohort after which the trend reverses or vanishes (NaN) gives p = 1.

    Every left-out cohort at once: its sums are the full sums minus its own column, so the work is that of one
    test per (row, cohort), whatever the number of cohorts."""
    r = np.atleast_2d(np.asarray(r, dtype=float))
    n, t = np.asarray(n, dtype=float), np.asarray(t, dtype=float)
    N = n.sum() - n  # per left-out cohort
    snt = (n * t).sum() - n * t
    sntt = (n * t * t).sum() - n * t * t
    R = r.sum(axis=1, keepdims=True) - r  # rows × left-out cohort
    str_ = (r * t).sum(axis=1, keepdims=True) - r * t
    with np.errstate(divide="ignore", invalid="ignore"):
        p = R / N
        var = p * (1 - p) * (sntt - snt * snt / N)
        zc = (str_ - R * snt / N) / np.sqrt(var)
    zc = np.where(var > 0, zc, np.nan)
    pc = 2 * norm.sf(np.abs(zc))
    return np.where(np.isnan(zc) | (np.sign(zc) != np.sign(np.asarray(z, dtype=float))[:, None]), 1.0, pc)


def weakest_cohort(r, n, t, z: float) -> tuple[int, float]:
    """``(i, p)``: the position of the cohort whose removal weakens one trend most (``r`` successes of ``n``
    entries per cohort, scores ``t``, the trend's ``z``) and the trend test's p without it — 1.0 when the trend
    then vanishes or reverses (:func:`leave_each_out_p`)."""
    p = leave_each_out_p(np.asarray(r, dtype=float)[None, :], n, t, np.array([z]))[0]
    i = int(np.argmax(p))
    return i, float(p[i])


def _within(rc: np.ndarray, nc: np.ndarray, tc: np.ndarray, sc: np.ndarray) -> tuple[float, float]:
    return stats.stratified_trend_test(rc, nc, tc, sc)


def cohort_trends(tokens: pd.DataFrame | None, entries: pd.DataFrame, turns: pd.DataFrame | None = None,
                  code_entries: pd.DataFrame | None = None, min_docs: int = MIN_DOCS, alpha: float = ALPHA,
                  one_speaker_share: float = ONE_SPEAKER, column: str = "token") -> pd.DataFrame:
    """The ``cohort_trends`` table: one row per term used in ≥ ``min_docs`` entries with a cohort (``tokens``:
    the analysis view, content words without names; ``column`` "token" or "concept") and per code of
    ``code_entries`` (``entry_id`` + one boolean column per code), tested across the cohorts of ``entries``
    (needs ≥ 2 cohorts; else empty). Columns and the call: see :data:`corpus_tools.schema.TABLES`
    ["cohort_trends"]. Sorted by call (rising / falling first), q, kind, term."""
    e = entries[entries.cohort.notna()]
    e = e.assign(entry_id=e.entry_id.astype("int64"), cohort=e.cohort.astype("int64"))
    cohorts = np.array(sorted(e.cohort.unique()), dtype=np.int64)
    if len(cohorts) < 2 or len(e) == 0:
        return empty("cohort_trends")
    ids = pd.Index(e.entry_id.to_numpy())
    g = _groupings(e, cohorts, ids)
    parts: list[dict] = []
    if tokens is not None and len(tokens):
        parts.append(_term_rows(tokens, turns, ids, column, min_docs, g))
    if code_entries is not None and len(code_entries.columns) > 1:
        parts.append(_code_rows(code_entries, ids, g))
    parts = [p for p in parts if len(p["term"])]
    if not parts:
        return empty("cohort_trends")
    col = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    r = col.pop("r").astype(float)
    rc = col.pop("cells").astype(float)
    rb = col.pop("bcells").astype(float)
    n_c = g.n_c
    t = cohorts.astype(float)
    z, p = trend_z(r, n_c, t)
    kind = col["kind"]
    q = np.full(len(p), np.nan)
    for family in ("term", "code"):  # one Benjamini–Hochberg family per kind
        rows = kind == family
        q[rows] = stats.bh_qvalues(p[rows])
    loo = leave_one_out_p(r, n_c, t, z)
    # the stratified checks where a call is possible, and for every code (few; its table shows them all)
    wz, wp, bz, bp = _stratified_checks(rc, rb, z, (q <= alpha) | (kind == "code"), g)
    within = (wp < alpha) & (np.sign(wz) == np.sign(z))
    one_speaker = np.nan_to_num(col["top_speaker_share"], nan=0.0) >= one_speaker_share
    one_cohort = ~(loo < alpha) if len(cohorts) >= 3 else np.zeros(len(z), dtype=bool)
    sig = q <= alpha
    call = np.where(~sig, "", np.where(one_cohort, "one cohort", np.where(
        one_speaker, "one speaker", np.where(~within, "unit effect", np.where(z > 0, "rising", "falling")))))
    join = lambda a: "、".join(str(int(x)) for x in a)  # noqa: E731
    out = pd.DataFrame(dict(
        kind=col["kind"], term=col["term"], cohorts=join(cohorts), docs_by_cohort=[join(x) for x in r],
        n_by_cohort=join(n_c), docs=r.sum(axis=1).astype(np.int64), n_entries=int(n_c.sum()),
        share_first=r[:, 0] / n_c[0], share_last=r[:, -1] / n_c[-1], statistic=z, p_value=p, q_value=q,
        direction=np.where(np.isnan(z), "", np.where(z > 0, "rising", "falling")), p_without_one_cohort=loo,
        top_entry=pd.array(np.where(col["top_entry"] >= 0, col["top_entry"], 0), dtype="Int64"),
        top_entry_share=col["top_entry_share"], top_speaker=col["top_speaker"],
        top_speaker_share=col["top_speaker_share"], one_speaker=one_speaker, shared_units="、".join(g.shared),
        within_unit_statistic=wz, p_within_unit=wp, within_unit=within, within_booklet_statistic=bz,
        p_within_booklet=bp, call=call))
    out.loc[out.kind == "code", "top_entry"] = pd.NA
    rank = out.call.map({"rising": 0, "falling": 0}).fillna(1)
    out = out.assign(_r=rank).sort_values(["_r", "q_value", "kind", "term"], kind="stable").drop(columns="_r")
    return conform("cohort_trends", out)


def _groupings(e: pd.DataFrame, cohorts: np.ndarray, ids: pd.Index) -> SimpleNamespace:
    """The groupings of the entries ``ids`` the tests sum over, as indicator matrices (groups × entries):
    ``G`` cohorts (sizes ``n_c``); ``S`` (unit, cohort) cells of the unit titles with entries in ≥ 2 cohorts
    (``shared``; sizes ``n_cells``, cell cohort ``t_cells`` and unit ``s_cells``), the strata of the within-unit
    test; ``B`` (booklet, cohort) cells (sizes ``n_b``, keys ``b_keys``), the strata of the within-booklet check,
    made when ``several`` booklets share a cohort axis."""
    g = SimpleNamespace()
    coh_idx = np.searchsorted(cohorts, e.cohort.to_numpy())
    g.G = sparse.csr_matrix((np.ones(len(ids)), (coh_idx, np.arange(len(ids)))), shape=(len(cohorts), len(ids)))
    g.n_c = np.asarray(g.G.sum(axis=1)).ravel()
    g.shared = shared = shared_unit_titles(e, cohorts)
    in_shared = ((e.session_type == "unit") & e.unit_title.isin(shared)).to_numpy()
    unit_of = e.unit_title.to_numpy()[in_shared]
    cohort_of = e.cohort.to_numpy()[in_shared]
    if in_shared.any():
        cell_keys = pd.MultiIndex.from_arrays([unit_of, cohort_of]).unique().sort_values()
        cell_pos = cell_keys.get_indexer(pd.MultiIndex.from_arrays([unit_of, cohort_of]))
    else:
        cell_keys, cell_pos = pd.MultiIndex.from_arrays([[], []]), np.zeros(0, dtype=np.int64)
    g.S = sparse.csr_matrix((np.ones(len(cell_pos)), (cell_pos, np.flatnonzero(in_shared))),
                            shape=(len(cell_keys), len(ids)))
    g.n_cells = np.asarray(g.S.sum(axis=1)).ravel()
    bk = e.booklet.fillna("").astype(str).to_numpy() if "booklet" in e else np.full(len(e), "")
    g.b_keys = b_keys = pd.MultiIndex.from_arrays([bk, e.cohort.to_numpy()]).unique().sort_values()
    g.several = len(set(bk)) > 1 and (b_keys.get_level_values(0).value_counts() > 1).any()
    g.B = sparse.csr_matrix((np.ones(len(ids)), (b_keys.get_indexer(pd.MultiIndex.from_arrays(
        [bk, e.cohort.to_numpy()])), np.arange(len(ids)))), shape=(len(b_keys), len(ids)))
    g.n_b = np.asarray(g.B.sum(axis=1)).ravel()
    g.t_cells = np.asarray(cell_keys.get_level_values(1), dtype=float)
    g.s_cells = np.asarray(cell_keys.get_level_values(0), dtype=object)
    return g


def _term_rows(tokens: pd.DataFrame, turns: pd.DataFrame | None, ids: pd.Index, column: str, min_docs: int,
               g: SimpleNamespace) -> dict:
    """The columns of the term rows: each term used in ≥ ``min_docs`` of the entries ``ids``, its entries per
    cohort, per (unit, cohort) and per (booklet, cohort) cell, the entry and the speaker with most of its uses."""
    t = content_tokens(tokens)
    t = t[t.entry_id.astype("int64").isin(ids).to_numpy()]
    C, terms = _count_matrix(t, ids, column)
    P = (C > 0).astype(np.int64).tocsc()
    docs = np.asarray(P.sum(axis=0)).ravel()
    keep = docs >= min_docs
    C, P, terms = C.tocsc()[:, keep], P[:, keep], terms[keep]
    r = np.asarray((g.G @ P).todense()).T  # terms × cohorts
    top_row, top_cnt = _column_max(C) if C.shape[1] else (np.zeros(0, np.int64), np.zeros(0))
    total = np.asarray(C.sum(axis=0)).ravel()
    sp_name = np.full(len(terms), "", dtype=object)
    sp_share = np.full(len(terms), np.nan)
    if turns is not None and len(terms):
        codes, names = _speaker_codes(t, turns)
        col_of = pd.Index(terms).get_indexer(t[column])
        ok = col_of >= 0
        key = col_of[ok].astype(np.int64) * len(names) + codes[ok]
        u, cnt = np.unique(key, return_counts=True)
        k_term, k_sp = u // len(names), u % len(names)
        first = np.lexsort((k_sp, -cnt, k_term))
        first = first[np.r_[True, k_term[first][1:] != k_term[first][:-1]]]
        sp_name[k_term[first]] = names[k_sp[first]]
        sp_share[k_term[first]] = cnt[first] / total[k_term[first]]
    return dict(kind=np.full(len(terms), "term", dtype=object), term=np.asarray(terms, dtype=object),
                r=r, cells=np.asarray((g.S @ P).todense()).T if g.S.shape[0] else np.zeros((len(terms), 0)),
                bcells=np.asarray((g.B @ P).todense()).T,
                top_entry=np.asarray(ids)[top_row] if len(terms) else np.zeros(0, np.int64),
                top_entry_share=top_cnt / np.maximum(total, 1), top_speaker=sp_name, top_speaker_share=sp_share)


def _code_rows(code_entries: pd.DataFrame, ids: pd.Index, g: SimpleNamespace) -> dict:
    """The columns of the code rows: each code's entries per cohort, per (unit, cohort) and (booklet, cohort)."""
    names_c = [c for c in code_entries.columns if c != "entry_id"]
    ce = code_entries.assign(entry_id=code_entries.entry_id.astype("int64")).set_index("entry_id")
    Pc = sparse.csr_matrix(ce.reindex(ids)[names_c].fillna(False).astype(bool).to_numpy().astype(np.int64))
    k = len(names_c)
    return dict(kind=np.full(k, "code", dtype=object), term=np.asarray(names_c, dtype=object),
                r=np.asarray((g.G @ Pc).todense()).T,
                cells=np.asarray((g.S @ Pc).todense()).T if g.S.shape[0] else np.zeros((k, 0)),
                bcells=np.asarray((g.B @ Pc).todense()).T,
                top_entry=np.full(k, -1), top_entry_share=np.full(k, np.nan),
                top_speaker=np.full(k, "", dtype=object), top_speaker_share=np.full(k, np.nan))


def _stratified_checks(rc: np.ndarray, rb: np.ndarray, z: np.ndarray, checked: np.ndarray,
                       g: SimpleNamespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(within-unit z, p, within-booklet z, p)`` of the ``checked`` rows (boolean mask), NaN elsewhere: the
    trend test within the (unit, cohort) cells, and within booklets when several share the cohort axis (a step
    between two booklets may be the editors' selection, not the trainees)."""
    wz, wp = np.full(len(z), np.nan), np.full(len(z), np.nan)
    bz, bp = np.full(len(z), np.nan), np.full(len(z), np.nan)
    for i in np.flatnonzero(checked):
        if len(g.t_cells):
            wz[i], wp[i] = _within(rc[i], g.n_cells, g.t_cells, g.s_cells)
    if g.several:
        t_b = np.asarray(g.b_keys.get_level_values(1), dtype=float)
        s_b = np.asarray(g.b_keys.get_level_values(0), dtype=object)
        for i in np.flatnonzero(checked):
            bz[i], bp[i] = stats.stratified_trend_test(rb[i], g.n_b, t_b, s_b)
    return wz, wp, bz, bp


def trend_findings(ct: pd.DataFrame | None, entries: pd.DataFrame, tokens: pd.DataFrame | None = None,
                   max_items: int = 8, column: str = "token") -> list[dict]:
    """Findings rows (kind ``cohort_trend``) for the terms whose share rises or falls across the cohorts (call
    rising / falling), at most ``max_items`` by q; each row gives the shares cohort by cohort, z, q, the
    within-unit check and the entries containing the term. One row saying so when none is called, only where
    ≥ 3 cohorts were tested. The codes' rows are reported by the code-share findings
    (:func:`corpus_tools.findings.code_share_findings`), not here: one finding per test."""
    from .findings import _fmt_p, _row

    if ct is None or ct.empty:
        return []
    n_cohorts = len(str(ct.cohorts.iloc[0]).split("、"))
    n_codes = int((ct.kind == "code").sum())
    ct = ct[ct.kind == "term"]
    if ct.empty:
        return []
    called = ct[ct.call.isin(["rising", "falling"])].head(max_items)
    rows = []
    for r in called.itertuples():
        ids = _entries_with(r.term, entries, tokens, column)
        shares = "，".join(f"第{c}期 {d}/{n}" for c, d, n in zip(str(r.cohorts).split("、"),
                                                              str(r.docs_by_cohort).split("、"),
                                                              str(r.n_by_cohort).split("、")))
        what = f"含“{r.term}”的问答"
        verb = "随期次上升" if r.call == "rising" else "随期次下降"
        text = (f"{what}占各期问答的比例{verb}（{shares}）；去掉任何一期仍成立，"
                f"在多期共有的课程单元内也成立。")
        q = "q < 0.001" if r.q_value < 0.001 else f"q = {r.q_value:.3f}"
        stat = (f"Cochran–Armitage z = {r.statistic:.2f}，{_fmt_p(r.p_value)}，{q}；"
                f"去掉任一期后最大的 {_fmt_p(r.p_without_one_cohort)}；单元内 z = {r.within_unit_statistic:.2f}，"
                f"{_fmt_p(r.p_within_unit)}")
        caveat = ""
        if not pd.isna(r.p_within_booklet) and not (r.p_within_booklet < ALPHA and
                                                     np.sign(r.within_booklet_statistic) == np.sign(r.statistic)):
            caveat = (f"这一变化在各本合集内部并不成立（合集内 z = {r.within_booklet_statistic:.2f}，"
                      f"{_fmt_p(r.p_within_booklet)}）：它主要出现在不同合集之间，可能反映各本合集的编选不同，"
                      "而不一定是学员问题本身的变化。")
        rows.append(_row("cohort_trend", text, stat, r.p_value, r.q_value, ids, caveat))
    if not rows and n_cohorts >= 3:
        near = ct[ct.q_value <= ALPHA]
        shown = near.head(max_items)
        named = "；".join(_unstable_term(x, tokens, column) for x in shown.itertuples())
        more = f"（共 {len(near)} 个，只列 q 最小的 {len(shown)} 个）" if len(near) > len(shown) else ""
        head = (f"在 {n_cohorts} 期之间，没有一个词的问答占比随期次的升降经得起检查："
                + (f"{len(near)} 个词 q ≤ 0.05，但都站不住{more}：{named}。" if len(near) else
                   "没有一个词 q ≤ 0.05。"))
        codes = "；编码的逐期占比另见“各期编码占比”一类发现" if n_codes else ""
        ids = sorted({i for x in shown.itertuples() for i in _entries_with(x.term, entries, tokens, column)})
        from .findings import KEYNESS_COUNTS

        rows.append(_row("cohort_trend", head,
                         f"检验 {len(ct)} 个词，Cochran–Armitage 趋势检验，按同时检验的词数校正（q）{codes}", ids=ids,
                         caveat=KEYNESS_COUNTS if len(near) else ""))
    return rows


_UNSTABLE = {"one speaker": "主要来自一位学员", "unit effect": "在共有的课程单元之内不成立"}


def _unstable_term(x, tokens: pd.DataFrame | None, column: str) -> str:
    """One term of the "no steady trend" sentence: the term (with the words merged into it), its entries per
    cohort, and why the trend does not hold — for one cohort, which cohort: “分析”（第1期 2/41 → 第2期 6/16 →
    第3期 6/11）去掉第1期后不再显著（p = 0.381）."""
    from .findings import _fmt_p, term_label

    cohorts = str(x.cohorts).split("、")
    docs = [int(d) for d in str(x.docs_by_cohort).split("、")]
    ns = [int(n) for n in str(x.n_by_cohort).split("、")]
    shares = " → ".join(f"第{c}期 {d}/{n}" for c, d, n in zip(cohorts, docs, ns))
    if x.call != "one cohort":
        return f"{term_label(x.term, tokens, column, note=shares)}{_UNSTABLE.get(x.call, '')}"
    worst, p = weakest_cohort(docs, ns, [float(c) for c in cohorts], x.statistic)
    why = f"去掉第{cohorts[worst]}期后消失" if p >= 1 else f"去掉第{cohorts[worst]}期后不再显著（{_fmt_p(p)}）"
    return f"{term_label(x.term, tokens, column, note=shares)}{why}"


def _entries_with(term: str, entries: pd.DataFrame, tokens: pd.DataFrame | None, column: str) -> list[int]:
    """The entries with a cohort whose tokens include ``term``, in booklet order."""
    if tokens is None:
        return []
    with_cohort = set(entries.entry_id[entries.cohort.notna()].astype(int))
    return sorted({int(x) for x in tokens.entry_id[tokens[column] == term]} & with_cohort)
