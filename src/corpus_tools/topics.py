"""Stage 5a — topics: models, their comparison, the chosen model's tables.

Models (each takes a document–term matrix and returns one topic per document, plus term weights):

- ``nmf``: NMF on tf-idf, random initialisation with the given seed;
- ``consensus_nmf``: ``n_runs`` NMF fits from seeds drawn from the given seed, combined through their
  co-assignment matrix by average-linkage clustering — the project's default, because single NMF fits on 68
  documents disagree with each other (pairwise ARI ≈ 0.6) while their consensus is stable;
- ``lda``: LatentDirichletAllocation on counts;
- ``kmeans``: k-means on l2-normalised tf-idf;
- ``agglomerative``: average-linkage clustering of tf-idf by cosine distance (deterministic).

Evaluation, side by side for every (model, k): topic coherence (mean NPMI of the top terms' document
co-occurrence over the corpus), stability (mean pairwise ARI of the assignments over seeds), and agreement with the
booklet's own sections (AMI, ARI). Section labels are used only to score, never to fit or to choose k.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import NMF, LatentDirichletAllocation
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import normalize

from .features import DocumentTermMatrix

MODELS = ("consensus_nmf", "nmf", "lda", "kmeans", "agglomerative")


@dataclass(frozen=True)
class TopicFit:
    """One fitted model: ``labels[i]`` is the topic of document i; ``term_weights`` is (k, n_terms);
    ``doc_weights`` (n_docs, k) says how strongly each document belongs to each topic (rows sum to 1)."""

    model: str
    k: int
    seed: int
    labels: np.ndarray
    term_weights: np.ndarray
    doc_weights: np.ndarray


def _nmf(X, k: int, seed: int, max_iter: int = 300) -> tuple[NMF, np.ndarray]:
    """Fitted NMF and its document weights W (n_docs, k)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = NMF(n_components=k, init="random", random_state=seed, max_iter=max_iter, tol=1e-3)
        return m, m.fit_transform(X)


def _relabel(labels: np.ndarray, doc_weights: np.ndarray, term_weights: np.ndarray):
    """Number topics 0..k-1 by size (largest first, ties by first document) so outputs are stable."""
    k = doc_weights.shape[1]
    sizes = np.bincount(labels, minlength=k)
    first = np.array([np.argmax(labels == t) if sizes[t] else len(labels) for t in range(k)])
    order = sorted(range(k), key=lambda t: (-sizes[t], first[t]))
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    return remap[labels], doc_weights[:, order], term_weights[order]


def _centroid_terms(X, labels: np.ndarray, k: int) -> np.ndarray:
    X = sparse.csr_matrix(X)
    out = np.zeros((k, X.shape[1]))
    for t in range(k):
        rows = labels == t
        if rows.any():
            out[t] = np.asarray(X[rows].mean(axis=0)).ravel()
    return out


def fit_topics(dtm: DocumentTermMatrix, model: str = "consensus_nmf", k: int = 9, seed: int = 0,
               n_runs: int = 30) -> TopicFit:
    """Fit one model on ``dtm`` (tf-idf for all but LDA, which takes counts)."""
    X = dtm.tfidf()
    n = X.shape[0]
    if model == "nmf":
        m, W = _nmf(X, k, seed)
        labels, H = W.argmax(1), m.components_
        doc = normalize(W + 1e-12, norm="l1")
    elif model == "consensus_nmf":
        rng = np.random.RandomState(seed)
        co = np.zeros((n, n))
        for s in rng.randint(0, 2**31 - 1, size=n_runs):
            lab = _nmf(X, k, int(s))[1].argmax(1)
            co += lab[:, None] == lab[None, :]
        co /= n_runs
        labels = AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average").fit_predict(1 - co)
        doc = np.stack([co[:, labels == t].mean(axis=1) if (labels == t).any() else np.zeros(n)
                        for t in range(k)], axis=1)
        doc = normalize(doc + 1e-12, norm="l1")
        H = _centroid_terms(X, labels, k)
    elif model == "lda":
        m = LatentDirichletAllocation(n_components=k, random_state=seed, learning_method="batch", max_iter=50)
        doc = m.fit_transform(dtm.matrix)
        labels, H = doc.argmax(1), m.components_
    elif model == "kmeans":
        Xn = normalize(X)
        m = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(Xn)
        labels = m.labels_
        dist = m.transform(Xn)
        doc = normalize(np.exp(-dist * 5), norm="l1")
        H = m.cluster_centers_
    elif model == "agglomerative":
        labels = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(X.toarray())
        H = _centroid_terms(X, labels, k)
        sims = (normalize(X) @ normalize(H).T)
        doc = normalize(np.asarray(sims) + 1e-12, norm="l1")
    else:
        raise ValueError(f"unknown model {model!r}; choose one of {MODELS}")
    labels, doc, H = _relabel(np.asarray(labels), np.asarray(doc), np.asarray(H))
    return TopicFit(model, k, seed, labels, H, doc)


# ---------------------------------------------------------------- evaluation

def top_terms(fit: TopicFit, terms: np.ndarray, n: int = 10) -> list[list[str]]:
    """The ``n`` heaviest terms of each topic (ties broken by term, so the order is stable)."""
    out = []
    for row in fit.term_weights:
        idx = sorted(range(len(row)), key=lambda j: (-row[j], terms[j]))[:n]
        out.append([str(terms[j]) for j in idx if row[j] > 0])
    return out


def npmi_coherence(topics: list[list[str]], dtm: DocumentTermMatrix) -> float:
    """Mean NPMI over all pairs of each topic's top terms, with documents (entries) as the co-occurrence window.
    NPMI = log(p(a,b) / p(a)p(b)) / -log p(a,b); a pair never seen together scores -1. Range [-1, 1]."""
    index = {t: j for j, t in enumerate(dtm.terms)}
    B = (dtm.matrix > 0).astype(np.float64).tocsc()
    n = B.shape[0]
    scores = []
    for topic in topics:
        cols = [index[t] for t in topic if t in index]
        for a, b_ in itertools.combinations(cols, 2):
            pa, pb = B[:, a].sum() / n, B[:, b_].sum() / n
            pab = B[:, a].multiply(B[:, b_]).sum() / n
            if pab == 0:
                scores.append(-1.0)
            elif pab == 1:
                scores.append(1.0)
            else:
                scores.append(float(np.log(pab / (pa * pb)) / -np.log(pab)))
    return float(np.mean(scores)) if scores else float("nan")


def pairwise_ari(label_sets: list[np.ndarray]) -> float:
    """Mean adjusted Rand index over all pairs of assignments (1.0 = identical partitions)."""
    pairs = list(itertools.combinations(label_sets, 2))
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])) if pairs else 1.0


def compare_models(dtm: DocumentTermMatrix, reference: np.ndarray | None = None,
                   models: tuple[str, ...] = MODELS, ks: tuple[int, ...] = tuple(range(6, 13)),
                   seeds: tuple[int, ...] = tuple(range(10)), n_terms: int = 10, n_runs: int = 30,
                   n_jobs: int = 2) -> pd.DataFrame:
    """The model-comparison table: one row per (model, k) with coherence, stability and — if ``reference``
    labels are given (the sections) — AMI / NMI / ARI against them, as mean and minimum over seeds. Fits run in
    ``n_jobs`` processes; each is seeded, so the table does not depend on ``n_jobs``."""
    from joblib import Parallel, delayed

    jobs = [(model, k, s) for model in models for k in ks
            for s in ((seeds[0],) if model == "agglomerative" else seeds)]
    fitted = Parallel(n_jobs=n_jobs)(delayed(fit_topics)(dtm, m, k, s, n_runs=n_runs) for m, k, s in jobs)
    by_key: dict[tuple[str, int], list[TopicFit]] = {}
    for (model, k, _), f in zip(jobs, fitted):
        by_key.setdefault((model, k), []).append(f)
    rows = []
    for (model, k), fits in by_key.items():
        row = dict(model=model, k=k, n_seeds=len(fits),
                   npmi=float(np.mean([npmi_coherence(top_terms(f, dtm.terms, n_terms), dtm) for f in fits])),
                   stability_ari=pairwise_ari([f.labels for f in fits]),
                   min_topic_size=int(min(np.bincount(f.labels, minlength=k).min() for f in fits)))
        if reference is not None:
            ami = [adjusted_mutual_info_score(reference, f.labels) for f in fits]
            row.update(ami=float(np.mean(ami)), ami_min=float(np.min(ami)),
                       nmi=float(np.mean([normalized_mutual_info_score(reference, f.labels) for f in fits])),
                       ari=float(np.mean([adjusted_rand_score(reference, f.labels) for f in fits])))
        rows.append(row)
    return pd.DataFrame(rows)


def choose_k(comparison: pd.DataFrame, model: str = "consensus_nmf", min_stability: float = 0.8) -> int:
    """The documented rule for k, blind to the sections: among the model's k whose stability (pairwise ARI over
    seeds) is at least ``min_stability`` and whose smallest topic has at least 3 entries, take the k with the
    highest mean of coherence (NPMI rescaled to [0, 1]) and stability; ties go to the smaller k."""
    c = comparison[(comparison.model == model)].copy()
    ok = c[(c.stability_ari >= min_stability) & (c.min_topic_size >= 3)]
    if ok.empty:
        ok = c
    score = ((ok.npmi + 1) / 2 + ok.stability_ari) / 2
    best = ok.assign(score=score).sort_values(["score", "k"], ascending=[False, True], kind="stable")
    return int(best.iloc[0].k)


# ---------------------------------------------------------------- tables

def topic_tables(fit: TopicFit, dtm: DocumentTermMatrix, n_terms: int = 30) -> dict[str, pd.DataFrame]:
    """``topics`` (topic_id, label, size), ``entry_topics`` (entry_id, topic_id, weight, rank — every topic per
    entry, rank 1 = assigned), ``topic_terms`` (topic_id, rank, term, weight)."""
    tops = top_terms(fit, dtm.terms, n_terms)
    sizes = np.bincount(fit.labels, minlength=fit.k)
    topics = pd.DataFrame(dict(topic_id=np.arange(fit.k), label=["·".join(t[:3]) for t in tops], size=sizes,
                               top_terms=["、".join(t[:10]) for t in tops]))
    rows = []
    for i, entry_id in enumerate(dtm.doc_ids):
        w = fit.doc_weights[i]
        order = sorted(range(fit.k), key=lambda t: (t != fit.labels[i], -w[t], t))
        for r, t in enumerate(order, start=1):
            rows.append((entry_id, t, float(w[t]), r))
    entry_topics = pd.DataFrame(rows, columns=["entry_id", "topic_id", "weight", "rank"])
    term_rows = []
    for t, row in enumerate(fit.term_weights):
        index = {term: j for j, term in enumerate(dtm.terms)}
        for r, term in enumerate(tops[t], start=1):
            term_rows.append((t, r, term, float(row[index[term]])))
    topic_terms = pd.DataFrame(term_rows, columns=["topic_id", "rank", "term", "weight"])
    return dict(topics=topics, entry_topics=entry_topics, topic_terms=topic_terms)


# ---------------------------------------------------------------- the chosen model

@dataclass(frozen=True)
class TopicSettings:
    """How the project models topics by default (see the module docstring and notebook 02).

    The entry view weights the title and the opening question ×4 against the answers (they state what the entry
    is about; long answers wander), drops people's and hospitals' names, keeps terms in 2 to 25 % of the entries.
    """

    view: str = "entry"
    weights: tuple[tuple[str, int], ...] = (("title", 4), ("question", 4), ("answer", 1))
    min_df: int = 2
    max_df: float = 0.25
    model: str = "consensus_nmf"
    n_runs: int = 30
    k: int | None = None  # None: chosen by choose_k over ks
    ks: tuple[int, ...] = tuple(range(5, 13))
    selection_seeds: tuple[int, ...] = (0, 1, 2)
    n_jobs: int = 2


def select_and_fit(dtm: DocumentTermMatrix, settings: TopicSettings = TopicSettings(), seed: int = 0,
                   reference: np.ndarray | None = None) -> tuple[TopicFit, pd.DataFrame]:
    """Choose k (unless ``settings.k`` is set) with :func:`choose_k` on a comparison of the settings' model over
    ``settings.ks``, then fit with ``seed``. Returns the fit and the comparison table (``reference`` labels, if
    given, only add AMI/ARI columns to the table)."""
    if settings.k is None:
        seeds = tuple(seed + s for s in settings.selection_seeds)
        comparison = compare_models(dtm, reference, models=(settings.model,), ks=settings.ks, seeds=seeds,
                                    n_runs=settings.n_runs, n_jobs=settings.n_jobs)
        k = choose_k(comparison, settings.model)
    else:
        comparison = pd.DataFrame()
        k = settings.k
    return fit_topics(dtm, settings.model, k, seed, n_runs=settings.n_runs), comparison


def entry_coordinates(dtm: DocumentTermMatrix, seed: int = 0) -> np.ndarray:
    """2-D coordinates of the documents (shape (n_docs, 2)): tf-idf reduced by LSA (truncated SVD, ≤ 20
    dimensions), then t-SNE with cosine distances and a fixed seed, so the same input gives the same map."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.manifold import TSNE

    X = dtm.tfidf()
    n_comp = max(2, min(20, X.shape[0] - 1, X.shape[1] - 1))
    lsa = normalize(TruncatedSVD(n_components=n_comp, random_state=seed).fit_transform(X))
    perplexity = float(max(2, min(10, (X.shape[0] - 1) // 3)))
    return TSNE(n_components=2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed,
                max_iter=1000).fit_transform(lsa)
