"""Stage 5b — keyword trends, keyness and KWIC.

The unit of evidence is the **entry** (one question with its answers), not the token: a term that one long answer
repeats twenty times is one entry's term. Every test below counts entries that contain the term.

- :func:`term_frequencies`: counts per group (cohort, unit, section …), per 10,000 tokens, with document frequency
  beside them — description, not inference.
- :func:`emerging_fading`: terms whose share of *entries* changes from one cohort to the next: Fisher's exact test
  on entries, Benjamini–Hochberg q over every term tested, how concentrated the term is (largest single entry's
  share of its uses, whether one speaker accounts for ≥ 80 % of them), and whether the difference holds *within*
  the units both cohorts share (exact stratified test). A call is made only where q ≤ 0.05; where the difference
  does not hold within units it is called a unit effect, not a trend.
- :func:`keyness_entries`: each group against the rest, on entries (Fisher, BH q, log ratio of entry shares).
- :func:`keyness`: token-level G² and χ² of each group against the rest — **descriptive** only (tokens of one
  answer are not independent observations); kept for word lists and figures.
- :func:`kwic`: every use of a term in the turns, with its left and right context.

All functions take DataFrames and return DataFrames; nothing here reads or writes files. ``column`` selects the
token column ("token" by default, "concept" where the tokens table has concept ids). Where the tokens table marks
``is_content`` / ``is_name``, only content words that are not names are counted (:func:`content_tokens`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse

from . import stats
from .stats import chi2_pvalue, chi_square_array, g2_array, log_ratio_array

MIN_FREQ = 5  # a term needs this many occurrences (group + rest) to be tested for keyness
MIN_DOCS = 2  # … and must occur in at least this many entries


def content_tokens(tokens: pd.DataFrame) -> pd.DataFrame:
    """The tokens that count as words here: content words that are not names when the table marks them
    (``is_content`` / ``is_name`` of :func:`corpus_tools.text.tokens_table`); the table as it is otherwise (an
    older or already filtered table, e.g. :func:`corpus_tools.text.analysis_tokens`)."""
    keep = content_mask(tokens)
    return tokens if bool(keep.all()) else tokens[keep]


def content_mask(tokens: pd.DataFrame) -> np.ndarray:
    """The rows of :func:`content_tokens` as a bool array (to select columns without copying the table)."""
    keep = np.ones(len(tokens), dtype=bool)
    if "is_content" in tokens:
        keep &= tokens.is_content.fillna(False).astype(bool).to_numpy()
    if "is_name" in tokens:
        keep &= ~tokens.is_name.fillna(False).astype(bool).to_numpy()
    return keep


def entry_units(entries: pd.DataFrame) -> pd.DataFrame:
    """``entries`` with a readable ``unit`` label column (see :func:`unit_labels`)."""
    return entries.assign(unit=unit_labels(entries))


def unit_labels(df: pd.DataFrame) -> list[str]:
    """A readable label per row: ``第1期·第11单元 医学信息标准`` or ``第3期·答疑讨论课``."""
    from .curriculum import unit_label

    return [unit_label(c, "unit" if s == "unit" and not pd.isna(n) else "discussion", n, title)
            for c, s, n, title in zip(df.cohort, df.session_type, df.unit_no, df.unit_title)]


def term_frequencies(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort",
                     min_count: int = 1, column: str = "token") -> pd.DataFrame:
    """One row per (group, term): ``count``, ``per_10k`` (per 10,000 tokens of the group), ``doc_freq`` (entries of
    the group using the term), ``n_docs`` (entries in the group), ``doc_share``. Sorted by group, then count.
    Description only: see :func:`keyness_entries` and :func:`emerging_fading` for tests."""
    e = entry_units(entries) if by == "unit" else entries
    t = content_tokens(tokens)
    # each token's group as an integer code (the tokens table is not widened by a column of group labels)
    g_of_entry, groups = pd.factorize(e[by])  # −1: no group
    row = pd.Index(e.entry_id).get_indexer(t.entry_id)
    g = np.where(row >= 0, g_of_entry[row], -1)
    on = g >= 0
    t = pd.DataFrame({"g": g[on], "term": t[column][on].array, "entry_id": t.entry_id[on].array})
    totals = np.bincount(t.g.to_numpy(), minlength=len(groups)).astype(np.int64)  # tokens per group
    n_docs = e.entry_id.groupby(g_of_entry).nunique()
    f = t.groupby(["g", "term"]).agg(count=("term", "size"), doc_freq=("entry_id", "nunique")).reset_index()
    code = f.g.to_numpy()
    f.insert(0, "group", groups.take(code))
    f["group_tokens"] = totals[code]
    f["n_docs"] = n_docs.reindex(code).to_numpy().astype(np.int64)
    f["per_10k"] = f["count"] / f["group_tokens"] * 10_000
    f["doc_share"] = f["doc_freq"] / f["n_docs"]
    f = f[f["count"] >= min_count][["group", "term", "count", "per_10k", "doc_freq", "n_docs", "doc_share",
                                     "group_tokens"]]
    return _sorted(f, ["group", "count", "term"], ascending=[True, False, True])


# ---------------------------------------------------------------- token-level statistics (descriptive)

# ---------------------------------------------------------------- entries × terms

def _group_keys(entries: pd.DataFrame, by: str) -> pd.Series:
    e = entry_units(entries) if by == "unit" else entries
    return pd.Series(e[by].to_numpy(), index=e.entry_id.to_numpy())


def _token_codes(tokens: pd.DataFrame, entry_ids, column: str = "token"):
    """For the tokens of the entries ``entry_ids``: each one's row (position of its entry in ``entry_ids``), its
    term's index, and the terms (sorted)."""
    ids = pd.Index(pd.Series(entry_ids).astype("int64"))
    m = tokens.entry_id.isin(ids).to_numpy()
    every = bool(m.all())  # the usual case: no copy of the tokens table, not even of one column
    rows = ids.get_indexer((tokens.entry_id if every else tokens.entry_id[m]).astype("int64"))
    cols, terms = pd.factorize(tokens[column] if every else tokens[column][m], sort=True)
    return rows.astype(np.int64), cols.astype(np.int64), np.asarray(terms, dtype=object)


def _counts(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sparse.csr_matrix:
    """Rows × columns count matrix (CSR, canonical) of the pairs ``(rows[i], cols[i])``."""
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(n_rows, n_cols))
    m.sum_duplicates()
    return m


def _count_matrix(tokens: pd.DataFrame, entry_ids, column: str = "token"):
    """Entries × terms count matrix (scipy CSR, rows in the order of ``entry_ids``) and the terms (sorted)."""
    rows, cols, terms = _token_codes(tokens, entry_ids, column)
    return _counts(rows, cols, len(pd.Index(entry_ids)), len(terms)), terms


def _indicator(labels: np.ndarray, values) -> sparse.csr_matrix:
    """Groups × entries 0/1 matrix: row g marks the entries whose label is ``values[g]``."""
    lab = pd.Index(list(values))
    g = lab.get_indexer(labels)
    ok = g >= 0
    return sparse.csr_matrix((np.ones(ok.sum(), dtype=np.int64), (g[ok], np.flatnonzero(ok))),
                             shape=(len(lab), len(labels)))


def _sorted(df: pd.DataFrame, by: list[str], ascending=True) -> pd.DataFrame:
    """``df.sort_values(by, ascending, kind="stable").reset_index(drop=True)`` with one copy of the table instead
    of three (the order is found on the key columns alone)."""
    order = df[by].sort_values(by, ascending=ascending, kind="stable").index
    out = df.take(order)
    out.index = pd.RangeIndex(len(out))
    return out


def _cells(m: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-zero cells of ``m`` in row-major order: ``(rows, cols, values)``."""
    m = sparse.csr_matrix(m)
    m.eliminate_zeros()
    m.sort_indices()
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    return rows, m.indices.astype(np.int64), m.data


def _classes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (sorted) and the class of each value (index into them)."""
    u, inv = np.unique(np.asarray(values), return_inverse=True)
    return u, inv.ravel().astype(np.int64)


def _zero_cells(nz_rows: np.ndarray, nz_cols: np.ndarray, shape: tuple[int, int], row_class: np.ndarray,
                col_class: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells ``(r, c)`` of a ``shape`` table that are not among the non-zero cells ``(nz_rows, nz_cols)`` and
    whose classes are wanted (``wanted[row_class[r], col_class[c]]``, a classes × classes bool array). Work and
    memory grow with the cells returned plus the non-zero cells, never with rows × columns."""
    n_rows, n_cols = shape
    col_order = np.argsort(col_class, kind="stable")
    col_size = np.bincount(col_class, minlength=wanted.shape[1])
    col_start = np.concatenate([[0], np.cumsum(col_size)[:-1]])
    rc, cc = np.nonzero(wanted[row_class])  # (row, column class) pairs wanted
    lens = col_size[cc]
    if lens.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.repeat(rc.astype(np.int64), lens)
    offs = np.repeat(col_start[cc] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
    cols = col_order[offs].astype(np.int64)
    lin = rows * n_cols + cols
    keep = ~np.isin(lin, nz_rows * n_cols + nz_cols)
    return rows[keep], cols[keep]


def _column_max(m: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Per column of a non-negative sparse matrix whose every column has a stored positive value: the first row
    holding the column's maximum and that maximum (as ``m.argmax(axis=0)``, ``m.max(axis=0)``, vectorised)."""
    c = sparse.csc_matrix(m)
    c.sum_duplicates()  # rows sorted within each column
    col = np.repeat(np.arange(c.shape[1]), np.diff(c.indptr))
    order = np.lexsort((c.indices, -c.data, col))
    first = order[np.r_[True, col[order][1:] != col[order][:-1]]] if len(order) else order
    return c.indices[first].astype(np.int64), c.data[first]


def _row_major(rows: np.ndarray, cols: np.ndarray, n_cols: int) -> np.ndarray:
    """The order that sorts cells ``(rows, cols)`` row-major (as a dense table raveled)."""
    return np.argsort(rows * n_cols + cols, kind="stable")


# ---------------------------------------------------------------- keyness

def keyness(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort", min_freq: int = MIN_FREQ,
            min_docs: int = MIN_DOCS, column: str = "token") -> pd.DataFrame:
    """**Descriptive** token-level keyness: each group of ``by`` against all other entries. One row per
    (group, term) tested: counts, G², its p-value, χ² (``yates`` says if corrected), its p-value, log ratio, entries
    using the term in the group. Tokens of one answer are not independent, so the p-values describe, they do not
    test — use :func:`keyness_entries` for inference. Terms with fewer than ``min_freq`` occurrences in total or in
    fewer than ``min_docs`` entries are left out. Rows: the terms a group uses, and those whose absence is
    significant (p of G² < 0.05). Sorted by group, then signed G² (key terms first), then term.

    Sparse: the groups × terms table is never made dense. A term a group does not use has G² fixed by the
    group's token count and the term's total, so those cells are evaluated once per (group size, term total)
    and only the significant ones become rows."""
    cols = ["group", "term", "count", "count_rest", "group_tokens", "rest_tokens", "doc_freq", "g2", "p_g2", "chi2",
            "yates", "p_chi2", "log_ratio"]
    cells = _keyness_cells(tokens, entries, by, min_freq, min_docs, column)
    if cells is None:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(cells, columns=cols)
    keep = (out["count"] > 0) | (out.p_g2 < 0.05)  # every cell chosen (no copy when all are)
    if not keep.all():
        out = out[keep]
    return _sorted(out, ["group", "g2", "term"], ascending=[True, False, True])


def _keyness_cells(tokens: pd.DataFrame, entries: pd.DataFrame, by: str, min_freq: int, min_docs: int,
                   column: str, absent: bool = True) -> dict[str, np.ndarray] | None:
    """The columns of :func:`keyness` (arrays, cells in group-then-term order, unsorted): every cell a group uses
    and, with ``absent``, the significant absences. None when there is no term at all, or fewer than two groups
    (a group is contrasted with the rest)."""
    e = entries[entries[by].notna()] if by != "unit" else entries
    keys = _group_keys(e, by).dropna()
    C, terms = _count_matrix(content_tokens(tokens), keys.index, column)
    if C.shape[1] == 0:
        return None
    groups = sorted(keys.unique())
    if len(groups) < 2:  # a group against the rest needs a rest (one section, or one cohort in a tiny booklet)
        return None
    G = _indicator(keys.to_numpy(), groups)
    size = np.asarray(G @ C.sum(axis=1)).ravel()  # tokens per group (all terms, before the filter below)
    total_n = np.asarray(C.sum(axis=0)).ravel()
    docs_all = np.asarray((C > 0).sum(axis=0)).ravel()
    keep = (total_n >= min_freq) & (docs_all >= min_docs)
    C, terms, total_n = C[:, keep], terms[keep], total_n[keep]
    counts = (G @ C).tocsr()  # groups × terms (sparse)
    docs = (G @ (C > 0).astype(np.int64)).tocsr()
    total = size.sum()
    n_g, n_t = len(groups), len(terms)
    # cells the group uses
    nz_g, nz_t, nz_a = _cells(counts)
    nz_d = _cells(docs)[2]  # the same cells (a group uses a term in some entry exactly when it counts it)
    # cells it does not use: G² of [[0, n], [s, N − s − n]] per (group size s, term total n)
    z_g = z_t = np.zeros(0, dtype=np.int64)
    if absent:
        s_val, s_cls = _classes(size)
        n_val, n_cls = _classes(total_n)
        s0, n0 = s_val[:, None], n_val[None, :]
        g2_0 = g2_array(np.zeros((len(s_val), len(n_val))), n0, s0, (total - s0) - n0)
        z_g, z_t = _zero_cells(nz_g, nz_t, (n_g, n_t), s_cls, n_cls, chi2_pvalue(g2_0) < 0.05)
    gi, ti = np.concatenate([nz_g, z_g]), np.concatenate([nz_t, z_t])
    zeros = np.zeros(len(z_g), dtype=np.int64)
    a, doc_freq = np.concatenate([nz_a, zeros]).astype(np.int64), np.concatenate([nz_d, zeros]).astype(np.int64)
    order = _row_major(gi, ti, n_t)
    gi, ti, a, doc_freq = gi[order], ti[order], a[order], doc_freq[order]
    sz = size[gi]
    b = total_n[ti] - a
    c = sz - a
    d = (total - sz) - b
    g2 = g2_array(a, b, c, d)
    x2, yates = chi_square_array(a, b, c, d)
    lr = log_ratio_array(a, b, sz, total - sz)
    return dict(group=np.array(groups, dtype=object)[gi], term=terms[ti], count=a, count_rest=b, group_tokens=sz,
                rest_tokens=total - sz, doc_freq=doc_freq, g2=np.where(lr >= 0, g2, -g2), p_g2=chi2_pvalue(g2), chi2=x2,
                yates=yates, p_chi2=chi2_pvalue(x2), log_ratio=lr)


def keyness_entries(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort", min_docs: int = 3,
                    alpha: float = 0.05, column: str = "token", all_pairs: bool = False) -> pd.DataFrame:
    """Entry-level keyness: for each group of ``by`` and each term in ≥ ``min_docs`` entries, the entries of the
    group containing it (``docs_group`` of ``n_group``) against those of all other groups (``docs_rest`` of
    ``n_rest``); Fisher's exact two-sided ``p_value``; Benjamini–Hochberg ``q_value`` over every (group, term)
    tested (``attrs["n_tests"]`` = groups × terms); ``log_ratio`` = log₂ of the ratio of entry shares (½ added to
    every count, 1 to every total); ``key`` = "over" / "under" where q ≤ ``alpha``. Rows: the terms a group uses
    and its significant absences (every (group, term) with ``all_pairs``). Sorted by group, then q, then term.

    Sparse: a term absent from a group has p fixed by the group's size and the term's entry count, so those cells
    are tested once per (group size, entry count) and enter BH with their multiplicity (the q-values are those of
    the full groups × terms table, bit for bit)."""
    keys = _group_keys(entries, by).dropna()
    C, terms = _count_matrix(content_tokens(tokens), keys.index, column)
    P = (C > 0).astype(np.int64)
    cols = ["group", "term", "docs_group", "n_group", "docs_rest", "n_rest", "share_group", "share_rest",
            "log_ratio", "p_value", "q_value", "key"]
    docs_all = np.asarray(P.sum(axis=0)).ravel()
    keep = docs_all >= min_docs
    if not keep.any():
        return pd.DataFrame(columns=cols)
    P, terms, docs_all = P[:, keep], terms[keep], docs_all[keep]
    groups = sorted(keys.unique())
    G = _indicator(keys.to_numpy(), groups)
    n_group = np.asarray(G.sum(axis=1)).ravel().astype(np.int64)
    n_total = len(keys)
    n_g, n_t = len(groups), len(terms)
    nz_g, nz_t, nz_d = _cells(G @ P)  # cells with docs_group > 0
    nz_d = nz_d.astype(np.int64)
    # their p-values, once per distinct (docs_group, n_group, docs_all)
    trip, inv = np.unique(np.stack([nz_d, n_group[nz_g], docs_all[nz_t]]), axis=1, return_inverse=True)
    inv = inv.ravel()
    p_trip = stats.fisher_test(trip[0], trip[1], trip[2] - trip[0], n_total - trip[1])
    # cells with docs_group = 0: p per (n_group, docs_all), each standing for as many cells as share them
    s_val, s_cls = _classes(n_group)
    d_val, d_cls = _classes(docs_all)
    ng0, da0 = np.broadcast_arrays(s_val[:, None], d_val[None, :])
    possible = da0 <= n_total - ng0  # else every group of that size uses every term of that entry count
    p0 = np.full(ng0.shape, np.nan)
    p0[possible] = stats.fisher_test(np.zeros(possible.sum(), dtype=np.int64), ng0[possible], da0[possible],
                                     n_total - ng0[possible])
    n0 = np.bincount(s_cls, minlength=len(s_val))[:, None] * np.bincount(d_cls, minlength=len(d_val))[None, :]
    n0 = n0.astype(np.int64).ravel()
    np.subtract.at(n0, s_cls[nz_g] * len(d_val) + d_cls[nz_t], 1)
    q_all = stats.bh_qvalues_counted(np.concatenate([p0.ravel(), p_trip]),
                                     np.concatenate([n0, np.bincount(inv, minlength=len(p_trip))]))
    q0, q_trip = q_all[:p0.size].reshape(p0.shape), q_all[p0.size:]
    wanted = np.ones(p0.shape, dtype=bool) if all_pairs else (q0 <= alpha)
    z_g, z_t = _zero_cells(nz_g, nz_t, (n_g, n_t), s_cls, d_cls, wanted & (n0.reshape(p0.shape) > 0))
    gi = np.concatenate([nz_g, z_g])
    ti = np.concatenate([nz_t, z_t])
    dg = np.concatenate([nz_d, np.zeros(len(z_g), dtype=np.int64)])
    p = np.concatenate([p_trip[inv], p0[s_cls[z_g], d_cls[z_t]]])
    q = np.concatenate([q_trip[inv], q0[s_cls[z_g], d_cls[z_t]]])
    order = _row_major(gi, ti, n_t)
    gi, ti, dg, p, q = gi[order], ti[order], dg[order], p[order], q[order]
    ng = n_group[gi]
    dr, nr = docs_all[ti] - dg, n_total - ng
    lr = np.log2(((dg + 0.5) / (ng + 1)) / ((dr + 0.5) / (nr + 1)))
    out = pd.DataFrame(dict(group=np.array(groups, dtype=object)[gi], term=terms[ti], docs_group=dg, n_group=ng,
                            docs_rest=dr, n_rest=nr, share_group=dg / ng, share_rest=dr / np.maximum(nr, 1),
                            log_ratio=lr, p_value=p, q_value=q,
                            key=np.where(q <= alpha, np.where(lr > 0, "over", "under"), "")), columns=cols)
    if not all_pairs:  # ``all_pairs``: every (group, term) row, e.g. to see what one of two booklets lacks
        keep = (out.docs_group > 0) | (out.key != "")  # every cell chosen above (no copy when all are)
        if not keep.all():
            out = out[keep]
    out = _sorted(out, ["group", "q_value", "term"])
    out.attrs["n_tests"] = n_g * n_t
    return out


# ---------------------------------------------------------------- cohort trends

DISCUSSION = "答疑讨论课"


def unit_strata(entries: pd.DataFrame) -> pd.Series:
    """The stratum of each entry for within-unit checks: its unit title (the same title in two cohorts is the same
    unit), "答疑讨论课" for a discussion class. Indexed by entry_id."""
    lab = [t if s == "unit" and isinstance(t, str) and t else DISCUSSION
           for s, t in zip(entries.session_type, entries.unit_title)]
    return pd.Series(lab, index=entries.entry_id.astype("int64").to_numpy())


TITLE_SPEAKER = "（标题）"  # the speaker of a title (turn 0, the editor's) or of a turn the turns table lacks


def _speaker_codes(tokens: pd.DataFrame, turns: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Speaker of each token as a code into the speakers' names (sorted, so codes order as names do): the first
    row of its (entry, turn) in ``turns``, "（标题）" where there is none (titles) or it names nobody. Without
    turns every token's speaker is ""."""
    if turns is None:
        return np.zeros(len(tokens), dtype=np.int64), np.array([""], dtype=object)
    key = ["entry_id", "turn_no"]
    who = turns[key + ["speaker"]].astype({"entry_id": "int64", "turn_no": "int64", "speaker": object})
    who = who.drop_duplicates(key)
    names = np.asarray(who.speaker.fillna(TITLE_SPEAKER).to_numpy(), dtype=object)
    codes, uniq = pd.factorize(np.append(names, TITLE_SPEAKER), sort=True)
    turn_code, title = codes[:-1], codes[-1]
    # the keys entry_id × span + turn_no are unique when span exceeds every turn number, of the turns and of the
    # tokens (either may be empty: a booklet without source notes has no token in any cohort)
    span = int(max([0] + [int(df.turn_no.max()) for df in (who, tokens) if len(df)])) + 1
    at = pd.Index(who.entry_id.to_numpy() * span + who.turn_no.to_numpy()).get_indexer(
        tokens.entry_id.astype("int64").to_numpy() * span + tokens.turn_no.astype("int64").to_numpy())
    return np.where(at >= 0, turn_code[at], title).astype(np.int64), np.asarray(uniq, dtype=object)


EF_COLUMNS = ["from_cohort", "to_cohort", "term", "docs_from", "n_from", "docs_to", "n_to", "share_from",
              "share_to", "log_ratio", "p_value", "q_value", "top_entry", "top_entry_share", "top_speaker",
              "top_speaker_share", "one_speaker", "shared_units", "p_within_unit", "within_unit", "call",
              "count_from", "count_to", "per_10k_from", "per_10k_to", "g2_tokens"]


def emerging_fading(tokens: pd.DataFrame, entries: pd.DataFrame, turns: pd.DataFrame | None = None,
                    min_docs: int = 3, alpha: float = 0.05, one_speaker_share: float = 0.8,
                    column: str = "token") -> pd.DataFrame:
    """Terms whose share of entries changes between consecutive cohorts (from → to).

    Per (cohort pair, term used in ≥ ``min_docs`` entries of the two cohorts): ``docs_from`` of ``n_from`` entries
    of the earlier cohort contain it, ``docs_to`` of ``n_to`` of the later one; ``p_value`` = Fisher's exact test
    (two-sided) of the two entry shares; ``q_value`` = Benjamini–Hochberg over every row of the table;
    ``log_ratio`` = log₂ of the ratio of entry shares (to / from; ½ added to counts, 1 to totals).
    Concentration: ``top_entry`` and ``top_entry_share`` (that entry's share of the term's uses in the two cohorts),
    ``top_speaker`` and ``top_speaker_share`` (needs ``turns``), ``one_speaker`` = that share ≥
    ``one_speaker_share``. Confounding with units: ``shared_units`` = unit titles with entries in both cohorts;
    where q ≤ ``alpha``, ``p_within_unit`` = exact stratified test over those units (conditional on each unit's
    margins, two-sided) and ``within_unit`` = p < ``alpha`` in the direction of the overall difference.
    ``call`` = "emerging" / "fading" where q ≤ ``alpha`` and the difference holds within units, "unit effect"
    where q ≤ ``alpha`` but it does not (the cohorts' entries come from different units), "" otherwise.
    Token counts and the token-level ``g2_tokens`` are kept as description. Sorted by cohort pair, q, term."""
    ix = _CohortIndex.of(tokens, entries, turns, column)
    parts, pairs = [], []  # per pair: its rows' columns; what the within-unit test needs
    for prev, nxt in zip(ix.cohorts, ix.cohorts[1:]):
        got = _pair_rows(ix, prev, nxt, min_docs, with_speakers=turns is not None)
        if got is not None:
            parts.append(got[0])
            pairs.append(got[1])
    if not parts:
        return pd.DataFrame(columns=EF_COLUMNS)
    # every pair's rows together: one Fisher test, BH over all of them
    col = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    docs_from, docs_to, n_from, n_to = col["docs_from"], col["docs_to"], col["n_from"], col["n_to"]
    col["share_from"], col["share_to"] = docs_from / n_from, docs_to / n_to
    col["log_ratio"] = np.log2(((docs_to + 0.5) / (n_to + 1)) / ((docs_from + 0.5) / (n_from + 1)))
    col["p_value"] = stats.fisher_test(docs_to, n_to, docs_from, n_from)
    q = col["q_value"] = stats.bh_qvalues(col["p_value"])
    direction = np.sign(col["share_to"] - col["share_from"])
    col["p_within_unit"], within = _within_units(parts, pairs, q, direction, alpha)
    col["within_unit"] = within
    col["call"] = np.where(q <= alpha, np.where(within, np.where(direction > 0, "emerging", "fading"), "unit effect"),
                           "")
    col["one_speaker"] = np.nan_to_num(col["top_speaker_share"], nan=0.0) >= one_speaker_share
    out = pd.DataFrame(col)
    out = out.sort_values(["from_cohort", "q_value", "p_value", "term"], kind="stable").reset_index(drop=True)
    return out[EF_COLUMNS]


class _CohortIndex:
    """What every cohort pair of :func:`emerging_fading` reads, built once (each token then belongs to at most two
    pairs): the entries × terms count matrix ``C_all`` (rows: the entries with a cohort, in ``cohort_of`` order),
    each token's entry row, term and speaker code, the tokens and the entry rows of each cohort, each entry's
    unit stratum."""

    @classmethod
    def of(cls, tokens: pd.DataFrame, entries: pd.DataFrame, turns: pd.DataFrame | None,
           column: str) -> "_CohortIndex":
        ix = cls()
        e = entries[entries.cohort.notna()]
        ix.cohort_of = cohort_of = pd.Series(e.cohort.astype("int64").to_numpy(),
                                             index=e.entry_id.astype("int64").to_numpy())
        strata = unit_strata(e)
        t = content_tokens(tokens)
        in_cohort = t.entry_id.isin(cohort_of.index).to_numpy()
        if not in_cohort.all():
            t = t[in_cohort]
        ix.sp_codes, ix.sp_names = _speaker_codes(t, turns)
        ix.cohorts = cohorts = sorted(cohort_of.unique())
        ix.tok_rows, ix.tok_terms, ix.terms_all = _token_codes(t, cohort_of.index, column)
        ix.C_all = _counts(ix.tok_rows, ix.tok_terms, len(cohort_of), len(ix.terms_all))
        ix.coh_row = coh_row = cohort_of.to_numpy()
        ix.tok_per_row = np.bincount(ix.tok_rows, minlength=len(coh_row))
        ix.tok_slice = _slices(coh_row[ix.tok_rows], cohorts)
        ix.row_slice = _slices(coh_row, cohorts)
        ix.local = np.full(len(ix.terms_all), -1, dtype=np.int64)  # scratch: a pair's own term numbers
        ix.strata_row = strata.loc[cohort_of.index].to_numpy()
        return ix


def _slices(cohort: np.ndarray, cohorts: list) -> dict:
    """Cohort → the positions of ``cohort`` holding it (ascending)."""
    order = np.argsort(cohort, kind="stable")
    bounds = np.searchsorted(cohort[order], cohorts + [np.inf], side="left")
    return {c: order[bounds[i]:bounds[i + 1]] for i, c in enumerate(cohorts)}


def _pair_rows(ix: _CohortIndex, prev, nxt, min_docs: int, with_speakers: bool) -> tuple[dict, tuple] | None:
    """The columns of one cohort pair's rows (terms in ≥ ``min_docs`` entries of the two cohorts: entry and token
    counts, top entry, top speaker, token G², shared units) and what its within-unit test needs
    ``(P: entries × terms presence, unit of each entry, later-cohort mask, shared units)``; None without a term."""
    rows = np.sort(np.concatenate([ix.row_slice[prev], ix.row_slice[nxt]]))  # entries in their order
    ids = ix.cohort_of.index[rows]
    C = ix.C_all[rows]
    present = np.unique(C.indices)  # the terms used in the two cohorts (sorted as the terms are)
    C = C[:, present]
    C.sort_indices()
    terms = ix.terms_all[present]
    is_to = ix.coh_row[rows] == nxt
    P = (C > 0).astype(np.int64)
    docs_to = np.asarray(P[is_to].sum(axis=0)).ravel()
    docs_from = np.asarray(P[~is_to].sum(axis=0)).ravel()
    keep = docs_to + docs_from >= min_docs
    if not keep.any():
        return None
    C, P, terms, docs_to, docs_from = C[:, keep], P[:, keep], terms[keep], docs_to[keep], docs_from[keep]
    n_to, n_from = int(is_to.sum()), int((~is_to).sum())
    count_to = np.asarray(C[is_to].sum(axis=0)).ravel()
    count_from = np.asarray(C[~is_to].sum(axis=0)).ravel()
    tok_to = int(ix.tok_per_row[rows[is_to]].sum())
    tok_from = int(ix.tok_per_row[rows[~is_to]].sum())
    total = count_to + count_from
    top_row, top_cnt = _column_max(C)
    top_sp_name, top_sp_n = _top_speakers(ix, present[keep], np.concatenate([ix.tok_slice[prev], ix.tok_slice[nxt]]))
    n = len(terms)
    st = ix.strata_row[rows]
    both = sorted(set(st[is_to]) & set(st[~is_to]))  # within units: unit titles with entries in both cohorts
    part = dict(
        from_cohort=np.full(n, prev), to_cohort=np.full(n, nxt), term=terms, docs_from=docs_from,
        n_from=np.full(n, n_from, dtype=np.int64), docs_to=docs_to, n_to=np.full(n, n_to, dtype=np.int64),
        top_entry=np.asarray(ids)[top_row], top_entry_share=top_cnt / total,
        top_speaker=top_sp_name if with_speakers else np.full(n, "", dtype=object),
        top_speaker_share=(top_sp_n / total) if with_speakers else np.full(n, np.nan),
        count_from=count_from, count_to=count_to, per_10k_from=count_from / max(tok_from, 1) * 10_000,
        per_10k_to=count_to / max(tok_to, 1) * 10_000,
        g2_tokens=g2_array(count_to, count_from, tok_to - count_to, tok_from - count_from),
        shared_units=np.full(n, len(both), dtype=np.int64))
    return part, (P, st, is_to, both)


def _top_speakers(ix: _CohortIndex, kept: np.ndarray, tok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the terms ``kept`` (indices into ``ix.terms_all``) and the tokens ``tok`` of a cohort pair: the speaker
    with the largest number of a term's uses and that number (ties: the first speaker by name; "" and 0 when no
    token of the term is among ``tok``)."""
    local = ix.local
    local[kept] = np.arange(len(kept))
    term_of = local[ix.tok_terms[tok]]
    on = term_of >= 0
    n_sp = max(len(ix.sp_names), 1)
    pair_key, n = np.unique(term_of[on] * n_sp + ix.sp_codes[tok][on], return_counts=True)
    local[kept] = -1
    k_term, k_sp = pair_key // n_sp, pair_key % n_sp
    first = np.lexsort((k_sp, -n, k_term))
    first = first[np.r_[True, k_term[first][1:] != k_term[first][:-1]]]
    name = np.full(len(kept), "", dtype=object)
    count = np.zeros(len(kept), dtype=np.int64)
    name[k_term[first]] = ix.sp_names[k_sp[first]]
    count[k_term[first]] = n[first]
    return name, count


def _within_units(parts: list[dict], pairs: list[tuple], q: np.ndarray, direction: np.ndarray,
                  alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``(p_within_unit, within_unit)`` of every row: for the rows with q ≤ ``alpha``, the exact stratified test
    over the units both cohorts share, and whether it is < ``alpha`` in the direction of the overall difference
    (the sign of the Mantel–Haenszel difference); NaN / False elsewhere."""
    p_within = np.full(len(q), np.nan)
    within = np.zeros(len(q), dtype=bool)
    start = 0
    for part, (P, st, is_to, both) in zip(parts, pairs):
        n = len(part["term"])
        candidates = np.flatnonzero(q[start:start + n] <= alpha)
        if len(candidates) and both:
            G = _indicator(st, both)  # units × entries
            n_s = np.asarray(G.sum(axis=1)).ravel()
            n1_s = np.asarray(G[:, is_to].sum(axis=1)).ravel()
            Pc = P[:, candidates]
            m1 = np.asarray((G @ Pc).todense())  # units × candidates: entries with the term
            a = np.asarray((G[:, is_to] @ Pc[is_to]).todense())  # … of the later cohort
            for j, c in enumerate(candidates):
                i = start + c
                p_within[i] = stats.stratified_exact_test(a[:, j], n1_s, m1[:, j], n_s)
                _, _, delta, _ = stats.cmh_test(a[:, j], n1_s, m1[:, j], n_s)
                within[i] = (p_within[i] < alpha) and np.sign(delta) == direction[i]
        start += n
    return p_within, within


# ---------------------------------------------------------------- KWIC

def _term_pattern(term: str) -> re.Pattern[str]:
    """The term as printed or with the booklet's spaces between Latin and Chinese ("CDR中" finds "CDR 中")."""
    parts = []
    for i, ch in enumerate(term):
        parts.append(re.escape(ch))
        if i + 1 < len(term) and (ch.isascii() != term[i + 1].isascii()):
            parts.append(r"\s*")
    return re.compile("".join(parts), re.IGNORECASE if term.isascii() else 0)


def kwic(turns: pd.DataFrame, term: str, window: int = 20, lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every occurrence of ``term`` in the turns: ``entry_id, turn_no, speaker, role, left, term, right,
    line_start, line`` with ``window`` characters of context each side (newlines shown as spaces); ``line_start``:
    the first line of the turn; ``line``: the booklet line the occurrence starts on — read from ``lines`` (the
    booklet's lines table), else missing."""
    from .deferrals import line_at, turn_texts

    if not term.strip():
        raise ValueError("kwic needs a non-empty term")
    pat = _term_pattern(term.strip())
    printed = turn_texts(lines) if lines is not None else {}
    rows = []
    for t in turns.itertuples():
        text = t.text.replace("\n", " ")
        found = list(pat.finditer(text))
        joined, starts = printed.get((int(t.entry_id), int(t.turn_no)), ("", None))
        # the k-th occurrence in the turn's text is the k-th in its printed lines (joined), when they hold as many
        at = [line_at(starts, p.start()) for p in pat.finditer(joined.replace("\n", " "))] if starts else []
        for k, m in enumerate(found):
            rows.append(dict(entry_id=t.entry_id, turn_no=t.turn_no, speaker=t.speaker, role=t.role,
                             left=text[max(0, m.start() - window):m.start()], term=m.group(),
                             right=text[m.end():m.end() + window], line_start=t.line_start,
                             line=at[k] if len(at) == len(found) else pd.NA))
    cols = ["entry_id", "turn_no", "speaker", "role", "left", "term", "right", "line_start", "line"]
    out = pd.DataFrame(rows, columns=cols)
    out["line"] = out["line"].astype("Int64")
    return out


def top_terms_by_group(freqs: pd.DataFrame, n: int = 10, min_doc_freq: int = 2) -> list[str]:
    """The ``n`` terms with the highest total count over all groups, among terms used in ≥ ``min_doc_freq``
    entries of some group — for trend figures."""
    f = freqs[freqs.doc_freq >= min_doc_freq]
    total = f.groupby("term")["count"].sum().sort_values(ascending=False, kind="stable")
    ranked = sorted(total.index, key=lambda t: (-total[t], t))
    return ranked[:n]


def trend_matrix(freqs: pd.DataFrame, terms: list[str], value: str = "per_10k") -> pd.DataFrame:
    """Terms × groups table of ``value`` (0 where absent), terms in the given order."""
    m = freqs[freqs.term.isin(terms)].pivot_table(index="term", columns="group", values=value, fill_value=0)
    return m.reindex(terms).fillna(0).astype(float)
