"""Stage 5b — keyword trends, keyness and KWIC.

- :func:`term_frequencies`: counts per group (cohort, unit, section …), per 10,000 tokens, with document frequency
  beside them, so that one long answer cannot make a trend on its own.
- :func:`emerging_fading`: terms that grow or fade from one cohort to the next, each call backed by Dunning's G²,
  its p-value, the log ratio and the number of entries using the term in each cohort.
- :func:`keyness`: each group against the rest — G², χ² (Yates-corrected when an expected count is under 5), p-values
  and the log ratio effect size.
- :func:`kwic`: every use of a term in the turns, with its left and right context.

All functions take DataFrames and return DataFrames; nothing here reads or writes files.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from scipy.stats import chi2

MIN_FREQ = 5  # a term needs this many occurrences (group + rest) to be tested for keyness
MIN_DOCS = 2  # … and must occur in at least this many entries


def entry_units(entries: pd.DataFrame) -> pd.DataFrame:
    """``entries`` with a readable ``unit`` label column (see :func:`unit_labels`)."""
    return entries.assign(unit=unit_labels(entries))


def with_groups(tokens: pd.DataFrame, entries: pd.DataFrame, by: str) -> pd.DataFrame:
    """``tokens`` with the entry's ``by`` column attached (cohort, section, unit …)."""
    e = entry_units(entries) if by == "unit" else entries
    return tokens.merge(e[["entry_id", by]], on="entry_id", how="left")


def unit_labels(df: pd.DataFrame) -> list[str]:
    """A readable label per row: ``第1期·第11单元 医学信息标准`` or ``第3期·答疑讨论课``."""
    out = []
    for c, s, n, title in zip(df.cohort, df.session_type, df.unit_no, df.unit_title):
        head = f"第{int(c)}期" if not pd.isna(c) else "第?期"
        out.append(f"{head}·第{int(n)}单元 {title}" if s == "unit" and not pd.isna(n) else f"{head}·答疑讨论课")
    return out


def term_frequencies(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort",
                     min_count: int = 1) -> pd.DataFrame:
    """One row per (group, term): ``count``, ``per_10k`` (per 10,000 tokens of the group), ``doc_freq`` (entries of
    the group using the term), ``n_docs`` (entries in the group), ``doc_share``. Sorted by group, then count."""
    t = with_groups(tokens, entries, by)
    t = t[t[by].notna()]
    totals = t.groupby(by).size().rename("group_tokens")
    e = entry_units(entries) if by == "unit" else entries
    n_docs = e.groupby(by).entry_id.nunique().rename("n_docs")
    f = t.groupby([by, "token"]).agg(count=("token", "size"), doc_freq=("entry_id", "nunique")).reset_index()
    f = f.merge(totals, on=by).merge(n_docs, on=by)
    f["per_10k"] = f["count"] / f["group_tokens"] * 10_000
    f["doc_share"] = f["doc_freq"] / f["n_docs"]
    f = f[f["count"] >= min_count].rename(columns={"token": "term", by: "group"})
    f = f.sort_values(["group", "count", "term"], ascending=[True, False, True], kind="stable")
    return f[["group", "term", "count", "per_10k", "doc_freq", "n_docs", "doc_share", "group_tokens"]].reset_index(
        drop=True)


# ---------------------------------------------------------------- statistics

def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """Dunning's G² for the 2×2 table [[a, b], [c, d]] (a: term in target, b: term in reference, c/d: the other
    tokens); 0·log 0 counts as 0."""
    n = a + b + c + d
    g = 0.0
    for obs, row, col in ((a, a + b, a + c), (b, a + b, b + d), (c, c + d, a + c), (d, c + d, b + d)):
        exp = row * col / n
        if obs > 0:
            g += obs * math.log(obs / exp)
    return 2 * g


def chi_square(a: float, b: float, c: float, d: float) -> tuple[float, bool]:
    """Pearson's χ² for the 2×2 table, with Yates' continuity correction when an expected count is under 5;
    returns ``(chi2, corrected)``."""
    n = a + b + c + d
    exps = [(a + b) * (a + c) / n, (a + b) * (b + d) / n, (c + d) * (a + c) / n, (c + d) * (b + d) / n]
    corrected = min(exps) < 5
    diff = abs(a * d - b * c)
    if corrected:
        diff = max(0.0, diff - n / 2)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    return (n * diff * diff / denom if denom else 0.0), corrected


def log_ratio(a: float, b: float, total_a: float, total_b: float) -> float:
    """Effect size: log₂ of the ratio of relative frequencies, with 0.5 added to zero counts."""
    return math.log2(((a or 0.5) / total_a) / ((b or 0.5) / total_b))


def _pvalue(stat: float) -> float:
    return float(chi2.sf(stat, df=1))


def keyness(tokens: pd.DataFrame, entries: pd.DataFrame, by: str = "cohort", min_freq: int = MIN_FREQ,
            min_docs: int = MIN_DOCS) -> pd.DataFrame:
    """Each group of ``by`` against all other entries. One row per (group, term) tested: counts, G², its p-value,
    χ² (``yates`` says if corrected), its p-value, log ratio, entries using the term in the group. Terms with fewer
    than ``min_freq`` occurrences in total or in fewer than ``min_docs`` entries are not tested. Sorted by group,
    then G² of the positively key terms first."""
    t = with_groups(tokens, entries, by)
    t = t[t[by].notna()]
    total = len(t)
    overall = t.groupby("token").agg(n=("token", "size"), docs=("entry_id", "nunique"))
    tested = overall[(overall.n >= min_freq) & (overall.docs >= min_docs)].index
    rows = []
    for group, g in t.groupby(by, sort=True):
        size = len(g)
        counts = g.groupby("token").agg(a=("token", "size"), doc_freq=("entry_id", "nunique"))
        for term in tested:
            a = int(counts.a.get(term, 0))
            b = int(overall.n[term]) - a
            c, d = size - a, (total - size) - b
            g2 = log_likelihood(a, b, c, d)
            x2, yates = chi_square(a, b, c, d)
            lr = log_ratio(a, b, size, total - size)
            rows.append(dict(group=group, term=term, count=a, count_rest=b, group_tokens=size,
                             rest_tokens=total - size, doc_freq=int(counts.doc_freq.get(term, 0)),
                             g2=g2 if lr >= 0 else -g2, p_g2=_pvalue(g2), chi2=x2, yates=yates, p_chi2=_pvalue(x2),
                             log_ratio=lr))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(["group", "g2", "term"], ascending=[True, False, True], kind="stable").reset_index(
        drop=True)


def emerging_fading(tokens: pd.DataFrame, entries: pd.DataFrame, min_freq: int = MIN_FREQ,
                    min_docs: int = MIN_DOCS, alpha: float = 0.05) -> pd.DataFrame:
    """Terms whose use changes between consecutive cohorts. A call (``emerging`` / ``fading``) needs G² with
    p < ``alpha`` and the term in at least ``min_docs`` entries of the cohort where it is frequent."""
    t = with_groups(tokens, entries, "cohort")
    t = t[t.cohort.notna()]
    cohorts = sorted(int(c) for c in t.cohort.unique())
    rows = []
    for prev, nxt in zip(cohorts, cohorts[1:]):
        a_tok, b_tok = t[t.cohort == prev], t[t.cohort == nxt]
        na, nb = len(a_tok), len(b_tok)
        ca = a_tok.groupby("token").agg(n=("token", "size"), docs=("entry_id", "nunique"))
        cb = b_tok.groupby("token").agg(n=("token", "size"), docs=("entry_id", "nunique"))
        for term in sorted(set(ca.index) | set(cb.index)):
            a, b = int(ca.n.get(term, 0)), int(cb.n.get(term, 0))
            if a + b < min_freq:
                continue
            g2 = log_likelihood(b, a, nb - b, na - a)
            lr = log_ratio(b, a, nb, na)
            da, db = int(ca.docs.get(term, 0)), int(cb.docs.get(term, 0))
            p = _pvalue(g2)
            call = ""
            if p < alpha and lr > 0 and db >= min_docs:
                call = "emerging"
            elif p < alpha and lr < 0 and da >= min_docs:
                call = "fading"
            rows.append(dict(from_cohort=prev, to_cohort=nxt, term=term, count_from=a, count_to=b,
                             per_10k_from=a / na * 10_000, per_10k_to=b / nb * 10_000, docs_from=da, docs_to=db,
                             g2=g2, p=p, log_ratio=lr, call=call))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(["from_cohort", "call", "g2", "term"], ascending=[True, True, False, True],
                           kind="stable").reset_index(drop=True)


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
