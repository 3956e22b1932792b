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

import math
import re

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import chi2

from . import stats

MIN_FREQ = 5  # a term needs this many occurrences (group + rest) to be tested for keyness
MIN_DOCS = 2  # … and must occur in at least this many entries


def content_tokens(tokens: pd.DataFrame) -> pd.DataFrame:
    """The tokens that count as words here: content words that are not names when the table marks them
    (``is_content`` / ``is_name`` of :func:`corpus_tools.text.tokens_table`); the table as it is otherwise (an
    older or already filtered table, e.g. :func:`corpus_tools.text.analysis_tokens`)."""
    keep = pd.Series(True, index=tokens.index)
    if "is_content" in tokens:
        keep &= tokens.is_content.fillna(False).astype(bool)
    if "is_name" in tokens:
        keep &= ~tokens.is_name.fillna(False).astype(bool)
    return tokens if bool(keep.all()) else tokens[keep]


def entry_units(entries: pd.DataFrame) -> pd.DataFrame:
    """``entries`` with a readable ``unit`` label column (see :func:`unit_labels`)."""
    return entries.assign(unit=unit_labels(entries))


def with_groups(tokens: pd.DataFrame, entries: pd.DataFrame, by: str) -> pd.DataFrame:
    """``tokens`` with the entry's ``by`` column attached (cohort, section, unit …)."""
    e = entry_units(entries) if by == "unit" else entries
    return tokens.merge(e[["entry_id", by]], on="entry_id", how="left")


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
    t = with_groups(content_tokens(tokens), entries, by)
    t = t[t[by].notna()]
    totals = t.groupby(by).size().rename("group_tokens")
    e = entry_units(entries) if by == "unit" else entries
    n_docs = e.groupby(by).entry_id.nunique().rename("n_docs")
    f = t.groupby([by, column]).agg(count=(column, "size"), doc_freq=("entry_id", "nunique")).reset_index()
    f = f.merge(totals, on=by).merge(n_docs, on=by)
    f["per_10k"] = f["count"] / f["group_tokens"] * 10_000
    f["doc_share"] = f["doc_freq"] / f["n_docs"]
    f = f[f["count"] >= min_count].rename(columns={column: "term", by: "group"})
    f = f.sort_values(["group", "count", "term"], ascending=[True, False, True], kind="stable")
    return f[["group", "term", "count", "per_10k", "doc_freq", "n_docs", "doc_share", "group_tokens"]].reset_index(
        drop=True)


# ---------------------------------------------------------------- token-level statistics (descriptive)

def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """Dunning's G² for the 2×2 table [[a, b], [c, d]] (a: term in target, b: term in reference, c/d: the other
    tokens); 0·log 0 counts as 0."""
    return float(g2_array(a, b, c, d))


def g2_array(a, b, c, d) -> np.ndarray:
    """:func:`log_likelihood` on arrays of equal shape (vectorised)."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    g = np.zeros(np.broadcast(a, b, c, d).shape)
    for obs, row, col in ((a, a + b, a + c), (b, a + b, b + d), (c, c + d, a + c), (d, c + d, b + d)):
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(obs > 0, obs * np.log(obs * n / (row * col)), 0.0)
        g = g + term
    return 2 * g


def chi_square(a: float, b: float, c: float, d: float) -> tuple[float, bool]:
    """Pearson's χ² for the 2×2 table, with Yates' continuity correction when an expected count is under 5;
    returns ``(chi2, corrected)``."""
    x2, corrected = chi_square_array(a, b, c, d)
    return float(x2), bool(corrected)


def chi_square_array(a, b, c, d) -> tuple[np.ndarray, np.ndarray]:
    """:func:`chi_square` on arrays (vectorised): ``(chi2, corrected)``."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    exps = np.stack([(a + b) * (a + c), (a + b) * (b + d), (c + d) * (a + c), (c + d) * (b + d)]) / n
    corrected = exps.min(axis=0) < 5
    diff = np.abs(a * d - b * c)
    diff = np.where(corrected, np.maximum(0.0, diff - n / 2), diff)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = np.where(denom > 0, n * diff * diff / denom, 0.0)
    return x2, corrected


def log_ratio(a: float, b: float, total_a: float, total_b: float) -> float:
    """Effect size: log₂ of the ratio of relative frequencies, with 0.5 added to zero counts."""
    return math.log2(((a or 0.5) / total_a) / ((b or 0.5) / total_b))


def _log_ratio_array(a, b, total_a, total_b) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.log2((np.where(a > 0, a, 0.5) / total_a) / (np.where(b > 0, b, 0.5) / total_b))


def _pvalue(stat):
    return chi2.sf(stat, df=1)


# ---------------------------------------------------------------- entries × terms

def _group_keys(entries: pd.DataFrame, by: str) -> pd.Series:
    e = entry_units(entries) if by == "unit" else entries
    return pd.Series(e[by].to_numpy(), index=e.entry_id.to_numpy())


def _count_matrix(tokens: pd.DataFrame, entry_ids, column: str = "token"):
    """Entries × terms count matrix (scipy CSR, rows in the order of ``entry_ids``) and the terms (sorted)."""
    ids = pd.Index(pd.Series(entry_ids).astype("int64"))
    t = tokens[tokens.entry_id.isin(ids)]
    rows = ids.get_indexer(t.entry_id.astype("int64"))
    cols, terms = pd.factorize(t[column].astype(object).to_numpy(), sort=True)
    terms = np.asarray(terms, dtype=object)
    m = sparse.csr_matrix((np.ones(len(t), dtype=np.int64), (rows, cols)), shape=(len(ids), len(terms)))
    m.sum_duplicates()
    return m, terms


def _indicator(labels: np.ndarray, values) -> sparse.csr_matrix:
    """Groups × entries 0/1 matrix: row g marks the entries whose label is ``values[g]``."""
    lab = pd.Index(list(values))
    g = lab.get_indexer(labels)
    ok = g >= 0
    return sparse.csr_matrix((np.ones(ok.sum(), dtype=np.int64), (g[ok], np.flatnonzero(ok))),
                             shape=(len(lab), len(labels)))


# ---------------------------------------------------------------- keyness

def keyness(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort", min_freq: int = MIN_FREQ,
            min_docs: int = MIN_DOCS, column: str = "token") -> pd.DataFrame:
    """**Descriptive** token-level keyness: each group of ``by`` against all other entries. One row per
    (group, term) tested: counts, G², its p-value, χ² (``yates`` says if corrected), its p-value, log ratio, entries
    using the term in the group. Tokens of one answer are not independent, so the p-values describe, they do not
    test — use :func:`keyness_entries` for inference. Terms with fewer than ``min_freq`` occurrences in total or in
    fewer than ``min_docs`` entries are left out. Sorted by group, then signed G² (key terms first), then term."""
    e = entries[entries[by].notna()] if by != "unit" else entries
    keys = _group_keys(e, by).dropna()
    C, terms = _count_matrix(content_tokens(tokens), keys.index, column)
    cols = ["group", "term", "count", "count_rest", "group_tokens", "rest_tokens", "doc_freq", "g2", "p_g2", "chi2",
            "yates", "p_chi2", "log_ratio"]
    if C.shape[1] == 0:
        return pd.DataFrame(columns=cols)
    groups = sorted(keys.unique())
    G = _indicator(keys.to_numpy(), groups)
    counts = np.asarray((G @ C).todense())  # groups × terms
    size = counts.sum(axis=1, keepdims=True)  # tokens per group (all terms)
    docs = np.asarray((G @ (C > 0).astype(np.int64)).todense())
    total_n = counts.sum(axis=0)
    keep = (total_n >= min_freq) & (docs.sum(axis=0) >= min_docs)
    counts, docs, terms, total_n = counts[:, keep], docs[:, keep], terms[keep], total_n[keep]
    total = size.sum()
    a = counts
    b = total_n[None, :] - a
    c = size - a
    d = (total - size) - b
    g2 = g2_array(a, b, c, d)
    x2, yates = chi_square_array(a, b, c, d)
    lr = _log_ratio_array(a, b, size, total - size)
    n_g, n_t = a.shape
    out = pd.DataFrame(dict(group=np.repeat(np.array(groups, dtype=object), n_t), term=np.tile(terms, n_g),
                            count=a.ravel(), count_rest=b.ravel(), group_tokens=np.repeat(size.ravel(), n_t),
                            rest_tokens=np.repeat((total - size).ravel(), n_t), doc_freq=docs.ravel(),
                            g2=np.where(lr.ravel() >= 0, g2.ravel(), -g2.ravel()), p_g2=_pvalue(g2.ravel()),
                            chi2=x2.ravel(), yates=yates.ravel(), p_chi2=_pvalue(x2.ravel()), log_ratio=lr.ravel()))
    # rows: the terms a group uses, and those whose absence is itself significant; the others (a term missing
    # from a small group, p ≈ 1) say nothing and would make the table groups × terms long
    out = out[(out["count"] > 0) | (out.p_g2 < 0.05)]
    return out.sort_values(["group", "g2", "term"], ascending=[True, False, True], kind="stable").reset_index(
        drop=True)[cols]


def keyness_entries(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort", min_docs: int = 3,
                    alpha: float = 0.05, column: str = "token", all_pairs: bool = False) -> pd.DataFrame:
    """Entry-level keyness: for each group of ``by`` and each term in ≥ ``min_docs`` entries, the entries of the
    group containing it (``docs_group`` of ``n_group``) against those of all other groups (``docs_rest`` of
    ``n_rest``); Fisher's exact two-sided ``p_value``; Benjamini–Hochberg ``q_value`` over every row of the table;
    ``log_ratio`` = log₂ of the ratio of entry shares (½ added to every count, 1 to every total); ``key`` = "over"
    / "under" where q ≤ ``alpha``. Sorted by group, then q, then term."""
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
    docs = np.asarray((G @ P).todense())
    n_group = np.asarray(G.sum(axis=1)).ravel().astype(np.int64)[:, None]
    n_total = len(keys)
    dg, ng = docs, np.broadcast_to(n_group, docs.shape)
    dr, nr = docs_all[None, :] - docs, n_total - ng
    p = stats.fisher_test(dg, ng, dr, nr)
    q = stats.bh_qvalues(p)
    lr = np.log2(((dg + 0.5) / (ng + 1)) / ((dr + 0.5) / (nr + 1)))
    n_g, n_t = docs.shape
    out = pd.DataFrame(dict(group=np.repeat(np.array(groups, dtype=object), n_t), term=np.tile(terms, n_g),
                            docs_group=dg.ravel(), n_group=ng.ravel(), docs_rest=dr.ravel(), n_rest=nr.ravel(),
                            share_group=(dg / ng).ravel(), share_rest=(dr / np.maximum(nr, 1)).ravel(),
                            log_ratio=lr.ravel(), p_value=p.ravel(), q_value=q.ravel()))
    out["key"] = np.where(out.q_value <= alpha, np.where(out.log_ratio > 0, "over", "under"), "")
    # q counts every (group, term) tested; the table keeps the terms a group uses and the significant absences
    # (a term missing from a small group, p ≈ 1, says nothing and would make the table groups × terms long)
    n_tests = len(out)
    if not all_pairs:  # ``all_pairs``: every (group, term) row, e.g. to see what one of two booklets lacks
        out = out[(out.docs_group > 0) | (out.key != "")]
    out = out.sort_values(["group", "q_value", "term"], kind="stable").reset_index(drop=True)[cols]
    out.attrs["n_tests"] = n_tests
    return out


# ---------------------------------------------------------------- cohort trends

DISCUSSION = "答疑讨论课"


def unit_strata(entries: pd.DataFrame) -> pd.Series:
    """The stratum of each entry for within-unit checks: its unit title (the same title in two cohorts is the same
    unit), "答疑讨论课" for a discussion class. Indexed by entry_id."""
    lab = [t if s == "unit" and isinstance(t, str) and t else DISCUSSION
           for s, t in zip(entries.session_type, entries.unit_title)]
    return pd.Series(lab, index=entries.entry_id.astype("int64").to_numpy())


def _speakers(tokens: pd.DataFrame, turns: pd.DataFrame | None) -> pd.Series:
    """Speaker of each token (titles, turn 0, are the editor's: "（标题）"); empty without turns."""
    if turns is None:
        return pd.Series("", index=tokens.index)
    key = ["entry_id", "turn_no"]
    who = turns[key + ["speaker"]].astype({"entry_id": "int64", "turn_no": "int64", "speaker": object})
    m = tokens[key].astype("int64").merge(who.drop_duplicates(key), on=key, how="left")
    return pd.Series(m.speaker.fillna("（标题）").to_numpy(), index=tokens.index)


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
    e = entries[entries.cohort.notna()]
    cohort_of = pd.Series(e.cohort.astype("int64").to_numpy(), index=e.entry_id.astype("int64").to_numpy())
    strata = unit_strata(e)
    t = content_tokens(tokens)
    t = t[t.entry_id.isin(cohort_of.index)]
    speakers = _speakers(t, turns)
    cohorts = sorted(cohort_of.unique())
    frames = []
    for prev, nxt in zip(cohorts, cohorts[1:]):
        ids = cohort_of.index[cohort_of.isin([prev, nxt])]
        C, terms = _count_matrix(t, ids, column)
        is_to = (cohort_of.loc[ids] == nxt).to_numpy()
        P = (C > 0).astype(np.int64)
        docs_to = np.asarray(P[is_to].sum(axis=0)).ravel()
        docs_from = np.asarray(P[~is_to].sum(axis=0)).ravel()
        keep = docs_to + docs_from >= min_docs
        if not keep.any():
            continue
        C, P, terms, docs_to, docs_from = C[:, keep], P[:, keep], terms[keep], docs_to[keep], docs_from[keep]
        n_to, n_from = int(is_to.sum()), int((~is_to).sum())
        count_to = np.asarray(C[is_to].sum(axis=0)).ravel()
        count_from = np.asarray(C[~is_to].sum(axis=0)).ravel()
        tok_to = int(t.entry_id.isin(ids[is_to]).sum())
        tok_from = int(t.entry_id.isin(ids[~is_to]).sum())
        total = count_to + count_from
        top_row = np.asarray(C.argmax(axis=0)).ravel()
        top_cnt = np.asarray(C.max(axis=0).todense()).ravel()
        # speakers: the largest share of a term's uses by one speaker
        sub = pd.DataFrame(dict(term=t[column].astype(str).to_numpy(), speaker=speakers.to_numpy()))[
            t.entry_id.isin(ids).to_numpy()]
        sub = sub[sub.term.isin(terms)]
        by_sp = sub.groupby(["term", "speaker"]).size().reset_index(name="n")
        by_sp = by_sp.sort_values(["term", "n", "speaker"], ascending=[True, False, True], kind="stable")
        top_sp = by_sp.drop_duplicates("term").set_index("term").reindex(terms)
        share_from, share_to = docs_from / n_from, docs_to / n_to
        frame = pd.DataFrame(dict(
            from_cohort=prev, to_cohort=nxt, term=terms, docs_from=docs_from, n_from=n_from, docs_to=docs_to,
            n_to=n_to, share_from=share_from, share_to=share_to,
            log_ratio=np.log2(((docs_to + 0.5) / (n_to + 1)) / ((docs_from + 0.5) / (n_from + 1))),
            p_value=stats.fisher_test(docs_to, n_to, docs_from, n_from),
            top_entry=np.asarray(ids)[top_row], top_entry_share=top_cnt / total,
            top_speaker=top_sp.speaker.fillna("").to_numpy() if turns is not None else "",
            top_speaker_share=(top_sp.n.to_numpy() / total) if turns is not None else np.nan,
            count_from=count_from, count_to=count_to, per_10k_from=count_from / max(tok_from, 1) * 10_000,
            per_10k_to=count_to / max(tok_to, 1) * 10_000,
            g2_tokens=g2_array(count_to, count_from, tok_to - count_to, tok_from - count_from)))
        # within units: strata = unit titles with entries in both cohorts
        st = strata.loc[ids].to_numpy()
        both = sorted(set(st[is_to]) & set(st[~is_to]))
        frame["shared_units"] = len(both)
        frames.append((frame, P, st, is_to, both))
    if not frames:
        return pd.DataFrame(columns=EF_COLUMNS)
    q = stats.bh_qvalues(np.concatenate([f.p_value.to_numpy() for f, *_ in frames]))
    out_frames, start = [], 0
    for frame, P, st, is_to, both in frames:
        frame["q_value"] = q[start:start + len(frame)]
        start += len(frame)
        p_within = np.full(len(frame), np.nan)
        direction = np.sign(frame.share_to - frame.share_from).to_numpy()
        within = np.zeros(len(frame), dtype=bool)
        candidates = np.flatnonzero(frame.q_value.to_numpy() <= alpha)
        if len(candidates) and both:
            G = _indicator(st, both)  # units × entries
            n_s = np.asarray(G.sum(axis=1)).ravel()
            n1_s = np.asarray(G[:, is_to].sum(axis=1)).ravel()
            Pc = P[:, candidates]
            m1 = np.asarray((G @ Pc).todense())  # units × candidates: entries with the term
            a = np.asarray((G[:, is_to] @ Pc[is_to]).todense())  # … of the later cohort
            for j, col in enumerate(candidates):
                p_within[col] = stats.stratified_exact_test(a[:, j], n1_s, m1[:, j], n_s)
                _, _, delta, _ = stats.cmh_test(a[:, j], n1_s, m1[:, j], n_s)
                within[col] = (p_within[col] < alpha) and np.sign(delta) == direction[col]
        frame["p_within_unit"] = p_within
        frame["within_unit"] = within
        call = np.where(frame.q_value <= alpha,
                        np.where(within, np.where(direction > 0, "emerging", "fading"), "unit effect"), "")
        frame["call"] = call
        frame["one_speaker"] = frame.top_speaker_share.fillna(0).to_numpy() >= one_speaker_share
        out_frames.append(frame)
    out = pd.concat(out_frames, ignore_index=True)
    out = out.sort_values(["from_cohort", "q_value", "p_value", "term"], kind="stable").reset_index(drop=True)
    return out[EF_COLUMNS]


# ---------------------------------------------------------------- KWIC

def _term_pattern(term: str) -> re.Pattern[str]:
    """The term as printed or with the booklet's spaces between Latin and Chinese ("CDR中" finds "CDR 中")."""
    parts = []
    for i, ch in enumerate(term):
        parts.append(re.escape(ch))
        if i + 1 < len(term) and (ch.isascii() != term[i + 1].isascii()):
            parts.append(r"\s*")
    return re.compile("".join(parts), re.IGNORECASE if term.isascii() else 0)


def kwic(turns: pd.DataFrame, term: str, window: int = 20) -> pd.DataFrame:
    """Every occurrence of ``term`` in the turns: ``entry_id, turn_no, speaker, role, left, term, right,
    line_start`` with ``window`` characters of context each side (newlines shown as spaces)."""
    if not term.strip():
        raise ValueError("kwic needs a non-empty term")
    pat = _term_pattern(term.strip())
    rows = []
    for t in turns.itertuples():
        text = t.text.replace("\n", " ")
        for m in pat.finditer(text):
            rows.append(dict(entry_id=t.entry_id, turn_no=t.turn_no, speaker=t.speaker, role=t.role,
                             left=text[max(0, m.start() - window):m.start()], term=m.group(),
                             right=text[m.end():m.end() + window], line_start=t.line_start))
    cols = ["entry_id", "turn_no", "speaker", "role", "left", "term", "right", "line_start"]
    return pd.DataFrame(rows, columns=cols)


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
