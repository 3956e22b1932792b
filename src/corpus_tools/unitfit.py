"""Unit fit: how well each question fits the unit it was asked in, compared with every other unit.

A question is its entry's title plus the trainee's question turns (the answers wander and are left out). A unit
is represented by its title, its description when a curriculum file gives one, and the *other* questions asked
in it — the entry itself is left out (leave-one-out), so that a question never makes its own unit look close.
Units are identified by title: the same title taught in two cohorts is one unit. The discussion class has no
unit: its entries get their closest unit but no fit score and no flag.

Two representations are offered (``representation=``):

- ``"char"`` — tf-idf of character bigrams of the raw text (sublinear tf, l2 rows; people's names blanked).
  Needs no word segmentation, so a 6-character title such as 运维服务管理 still shares 运维, 服务, 管理 … with a
  question that says 运维服务 or 运维管理, and a compound the segmenter splits differently still matches.
  Bigrams were chosen over 2–3-grams and 2–4-grams by the check below (top-1 0.43 vs 0.35 and 0.35).
- ``"lsa"`` — tf-idf of the segmented word tokens (or concept ids: ``column="concept"``) reduced by truncated SVD
  (latent semantic analysis, ``n_components`` dimensions): copes with synonyms that co-occur, but on ~70 short
  questions the latent space is unstable and titles of 2–3 words land close to the centre.

The score is the cosine between the question and a unit's profile, ``profile = t̂ + q̄`` (re-normalised), where t̂
is the unit's title/description vector (l2-normalised) and q̄ the mean of the unit's other questions' vectors —
title and questions weigh the same. ``margin`` = best other unit's score − own unit's score; an entry is
**flagged** only when another unit fits clearly better: ``best_score ≥ (1 + rel_margin) · fit_score`` *and*
``margin ≥ min_margin`` (defaults: 25 % better and at least 0.05 in cosine). A flag is a signal to read the entry
("asked in X, closest to Y"), not a verdict.

:func:`compare_representations` reports, for each representation, how often the unit an entry was asked in is
its best-scoring unit (top-1) and the mean reciprocal rank of that unit — a check that uses only the booklet's
own unit labels, not any judgement of fit. On the bundled booklet (65 unit entries, 12 unit titles) "char" gives top-1
0.43, MRR 0.58; "lsa" (20 dimensions, content words) 0.35, 0.52, and its scores scatter so widely that the
same rule flags 35 of 65 entries. "char" is the default.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

DISCUSSION = "答疑讨论课"
NGRAMS = (2, 2)  # character n-gram range of the "char" representation
REL_MARGIN = 0.25
MIN_MARGIN = 0.05
COLUMNS = ["entry_id", "unit", "fit_score", "best_unit", "best_score", "margin", "rank", "n_units", "flagged",
           "representation"]
_NON_TEXT = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]+")


def _clean(text: str, names: tuple[str, ...]) -> str:
    for n in names:
        text = text.replace(n, " ")
    return _NON_TEXT.sub(" ", text).strip()


def question_texts(entries: pd.DataFrame, turns: pd.DataFrame) -> pd.Series:
    """Title + the question turns of each entry (``turns.is_question``), indexed by entry_id."""
    q = turns[turns.is_question.fillna(False).astype(bool)]
    body = q.groupby("entry_id").text.apply(lambda s: "\n".join(s))
    return pd.Series([f"{t}\n{body.get(e, '')}" for e, t in zip(entries.entry_id, entries.title)],
                     index=entries.entry_id.astype("int64").to_numpy())


def _unit_of(entries: pd.DataFrame) -> pd.Series:
    return pd.Series([t if s == "unit" and isinstance(t, str) and t else DISCUSSION
                      for s, t in zip(entries.session_type, entries.unit_title)],
                     index=entries.entry_id.astype("int64").to_numpy())


def _unit_texts(units: list[str], given: pd.DataFrame | None) -> list[str]:
    """Title (+ descriptions from the curriculum file, every cohort's) per unit."""
    desc: dict[str, list[str]] = {}
    if given is not None and "description" in given:
        col = "unit_title" if "unit_title" in given else "title"
        for t, d in zip(given[col], given.description):
            if isinstance(d, str) and d.strip():
                desc.setdefault(t, []).append(d.strip())
    return [" ".join([u] + desc.get(u, [])) for u in units]


def _vectors(representation: str, q_docs, u_docs, q_tokens, u_tokens, n_components: int, seed: int):
    """l2-normalised vectors of questions and unit texts (rows), in one space: sparse for "char", dense for
    "lsa"."""
    if representation == "char":
        vec = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True)
        vec.fit(list(q_docs) + list(u_docs))
        return vec.transform(q_docs).tocsr(), vec.transform(u_docs).tocsr()
    if representation == "lsa":
        cv = CountVectorizer(analyzer=lambda d: d)
        counts = cv.fit_transform(list(q_tokens) + list(u_tokens))
        tf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
        k = max(2, min(n_components, tf.shape[0] - 1, tf.shape[1] - 1))
        z = TruncatedSVD(n_components=k, random_state=seed).fit_transform(tf)
        z = normalize(z)
        return sparse.csr_matrix(z[:len(q_tokens)]), sparse.csr_matrix(z[len(q_tokens):])
    raise ValueError(f"unknown representation {representation!r}; use 'char' or 'lsa'")


def _rowdot(a, b) -> np.ndarray:
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def _profile_scores(Q, T, member) -> np.ndarray:
    """Cosine of every question (rows of Q, l2-normalised) with every unit's profile t̂ⱼ + mean of the unit's
    questions, leaving the question itself out of its own unit. Closed form on sparse matrices:
    for a unit with question sum Sⱼ over m questions, a = t̂ⱼ + Sⱼ/m, score = q·a / ‖a‖; for the question's own
    unit the profile is a − q/m with m = nⱼ − 1 (‖a − q/m‖² = ‖a‖² − 2 a·q/m + ‖q‖²/m²)."""
    S = (member.T @ Q).tocsr()  # units × dims
    n = np.asarray(member.sum(axis=0)).ravel().astype(float)  # questions per unit
    TT, TS, SS = _rowdot(T, T), _rowdot(T, S), _rowdot(S, S)
    qT = np.asarray((Q @ T.T).todense())
    qS = np.asarray((Q @ S.T).todense())
    qq = _rowdot(Q, Q)[:, None]

    def cos(dot, norm2):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(norm2 > 1e-12, dot / np.sqrt(np.maximum(norm2, 1e-12)), 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(n > 0, 1 / n, 0.0)[None, :]
        other = cos(qT + qS * inv, (TT + 2 * TS * inv[0] + SS * inv[0] ** 2)[None, :])
        m = n - 1
        invm = np.where(m > 0, 1 / m, 0.0)[None, :]
        a_q = qT + qS * invm
        a2 = (TT + 2 * TS * invm[0] + SS * invm[0] ** 2)[None, :]
        own = cos(a_q - qq * invm, a2 - 2 * a_q * invm + qq * invm ** 2)
    mem = np.asarray(member.todense()).astype(bool)
    return np.where(mem, own, other)


def _token_docs(tokens: pd.DataFrame | None, turns: pd.DataFrame, ids: np.ndarray, column: str) -> list[list[str]]:
    if tokens is None:
        raise ValueError("representation 'lsa' needs the tokens table")
    from .trends import content_tokens

    tokens = content_tokens(tokens)
    q = set(zip(turns.entry_id[turns.is_question.fillna(False).astype(bool)].astype("int64"),
                turns.turn_no[turns.is_question.fillna(False).astype(bool)].astype("int64")))
    keep = [(t == 0) or ((int(e), int(t)) in q) for e, t in zip(tokens.entry_id, tokens.turn_no)]
    t = tokens[keep]
    docs = t.groupby(t.entry_id.astype("int64"))[column].apply(lambda s: [str(x) for x in s])
    return [docs.get(int(i), []) for i in ids]


def fit_scores(entries: pd.DataFrame, turns: pd.DataFrame, given: pd.DataFrame | None = None,
               tokens: pd.DataFrame | None = None, representation: str = "char", names: tuple[str, ...] = (),
               column: str = "token", n_components: int = 20, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Entries × units matrix of fit scores (cosine, leave-one-out for the entry's own unit), as a DataFrame
    indexed by entry_id with one column per unit (curriculum order: units of ``given`` first, then the booklet's).
    ``names`` (people's names) are blanked out of the texts before the char representation."""
    ids = entries.entry_id.astype("int64").to_numpy()
    unit_of = _unit_of(entries)
    units = []
    if given is not None:
        col = "unit_title" if "unit_title" in given else "title"
        units += [t for t in given[col] if t != DISCUSSION]
    units += [u for u in unit_of if u != DISCUSSION]
    units = list(dict.fromkeys(units))
    names = tuple(sorted({n for n in names if n}, key=len, reverse=True))
    q_docs = [_clean(t, names) for t in question_texts(entries, turns).loc[ids]]
    u_docs = _unit_texts(units, given)
    q_tok = u_tok = None
    if representation == "lsa":
        q_tok = _token_docs(tokens, turns, ids, column)
        # unit titles through the same segmentation: the tokens of the entries' unit titles are not in the tokens
        # table, so titles are split into the question tokens they contain (longest first) plus the title itself
        vocab = sorted({w for d in q_tok for w in d}, key=len, reverse=True)
        u_tok = [[w for w in vocab if len(w) >= 2 and w in text] + [text] for text in u_docs]
    Q, T = _vectors(representation, q_docs, u_docs, q_tok, u_tok, n_components, seed)
    col = pd.Index(units).get_indexer(unit_of.loc[ids].to_numpy())
    ok = col >= 0
    member = sparse.csr_matrix((np.ones(ok.sum()), (np.flatnonzero(ok), col[ok])), shape=(len(ids), len(units)))
    scores = _profile_scores(Q, T, member)
    return pd.DataFrame(scores, index=pd.Index(ids, name="entry_id"), columns=units), units


def unit_fit(entries: pd.DataFrame, turns: pd.DataFrame, given: pd.DataFrame | None = None,
             tokens: pd.DataFrame | None = None, representation: str = "char", names: tuple[str, ...] = (),
             rel_margin: float = REL_MARGIN, min_margin: float = MIN_MARGIN, column: str = "token",
             n_components: int = 20, seed: int = 0) -> pd.DataFrame:
    """Table ``unit_fit``: per entry ``entry_id, unit`` (title of the unit it was asked in, or 答疑讨论课),
    ``fit_score`` (cosine with its own unit's leave-one-out profile; empty for the discussion class),
    ``best_unit`` / ``best_score`` (the best-scoring *other* unit), ``margin`` = best_score − fit_score,
    ``rank`` of its own unit among all units (1 = fits best), ``n_units``, ``flagged`` (another unit fits
    clearly better: see the module doc), ``representation``. Entry order as in ``entries``."""
    S, units = fit_scores(entries, turns, given, tokens, representation, names, column, n_components, seed)
    unit_of = _unit_of(entries).loc[S.index]
    scores = S.to_numpy()
    own = pd.Index(units).get_indexer(unit_of.to_numpy())
    has = own >= 0
    rows = np.arange(len(S))
    fit = np.where(has, scores[rows, np.maximum(own, 0)], np.nan)
    others = scores.copy()
    others[rows[has], own[has]] = -np.inf
    best = others.argmax(axis=1)  # the first unit in curriculum order among equals
    best_score = others[rows, best]
    margin = best_score - fit
    rank = np.where(has, 1 + (others > fit[:, None]).sum(axis=1), -1)
    flagged = has & (best_score >= (1 + rel_margin) * fit) & (margin >= min_margin)
    out = pd.DataFrame(dict(entry_id=S.index.to_numpy(), unit=unit_of.to_numpy(), fit_score=fit,
                            best_unit=np.array(units, dtype=object)[best] if units else "",
                            best_score=best_score, margin=margin, rank=rank, n_units=len(units), flagged=flagged,
                            representation=representation), columns=COLUMNS)
    out["rank"] = out["rank"].astype("Int64").mask(~has)
    return out


def compare_representations(entries: pd.DataFrame, turns: pd.DataFrame, tokens: pd.DataFrame | None = None,
                            given: pd.DataFrame | None = None, names: tuple[str, ...] = (),
                            representations: tuple[str, ...] = ("char", "lsa"), column: str = "token",
                            seed: int = 0) -> pd.DataFrame:
    """Per representation: ``top1`` = share of unit entries whose own unit scores best, ``mrr`` = mean reciprocal
    rank of the own unit, ``n_flagged``, ``n_entries`` — how well it tells the curriculum's units apart, using
    only the units the booklet says the questions were asked in."""
    rows = []
    for rep in representations:
        if rep == "lsa" and tokens is None:
            continue
        f = unit_fit(entries, turns, given, tokens, rep, names, column=column, seed=seed)
        f = f[f.fit_score.notna()]
        r = f["rank"].astype(float)
        rows.append(dict(representation=rep, n_entries=len(f), top1=float((r == 1).mean()),
                         mrr=float((1 / r).mean()), n_flagged=int(f.flagged.sum())))
    return pd.DataFrame(rows)


def flag_agreement(fit: pd.DataFrame, judgement: pd.DataFrame, positive: tuple[str, ...] = ("no",)) -> dict:
    """Precision and recall of ``fit.flagged`` against a hand judgement (``entry_id, fits``): an entry is a true
    misfit when ``fits`` is in ``positive``. Entries judged "n/a" (discussion class) are left out."""
    j = judgement[judgement.fits.astype(str).str.strip() != "n/a"][["entry_id", "fits"]]
    m = fit.merge(j, on="entry_id")
    truth = m.fits.astype(str).str.strip().isin(positive)
    flag = m.flagged.astype(bool)
    tp = int((flag & truth).sum())
    return dict(n=len(m), flagged=int(flag.sum()), misfits=int(truth.sum()), true_positives=tp,
                precision=tp / flag.sum() if flag.sum() else float("nan"),
                recall=tp / truth.sum() if truth.sum() else float("nan"))
