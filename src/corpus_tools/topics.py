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
from sklearn.base import BaseEstimator, ClusterMixin
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


def _nmf(X, k: int, seed: int, max_iter: int = 300, tol: float = 1e-3) -> tuple[NMF, np.ndarray]:
    """Fitted NMF and its document weights W (n_docs, k)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = NMF(n_components=k, init="random", random_state=seed, max_iter=max_iter, tol=tol)
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


# ---------------------------------------------------------------- consensus NMF, a scikit-learn estimator

PAIRWISE_LIMIT = 3000  # up to this many documents the consensus clusters all pairs; beyond, k-means (linear memory)


def nmf_doc_weights(X, k: int, seed: int, tol: float = 1e-2, max_iter: int = 300) -> np.ndarray:
    """Document weights W (n_docs, k) of one NMF fit: the same as ``NMF(n_components=k, init="random",
    random_state=seed, tol=tol, max_iter=max_iter).fit_transform(X)``, through scikit-learn's public function
    ``non_negative_factorization`` (coordinate descent), which skips the estimator's bookkeeping."""
    from sklearn.decomposition import non_negative_factorization

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W, _, _ = non_negative_factorization(X, n_components=k, init="random", random_state=seed, tol=tol,
                                             max_iter=max_iter, solver="cd")
    return W


def nmf_run_labels(X, k: int, seeds, tol: float = 1e-2, max_iter: int = 300) -> np.ndarray:
    """Topic of every document in each of several NMF fits: shape (n_docs, len(seeds)), one column per seed."""
    return np.stack([nmf_doc_weights(X, k, int(s), tol=tol, max_iter=max_iter).argmax(1) for s in seeds], axis=1)


def _one_hot_runs(run_labels: np.ndarray) -> sparse.csr_matrix:
    """Documents × (run, topic) indicator matrix: row i · row j = number of runs that put i and j together."""
    n, r = run_labels.shape
    width = int(run_labels.max()) + 1 if run_labels.size else 1
    cols = (np.arange(r)[None, :] * width + run_labels).ravel()
    rows = np.repeat(np.arange(n), r)
    return sparse.csr_matrix((np.ones(n * r), (rows, cols)), shape=(n, r * width))


def consensus_labels(run_labels: np.ndarray, k: int, seed: int = 0,
                     pairwise_limit: int = PAIRWISE_LIMIT) -> np.ndarray:
    """One partition into ``k`` topics agreeing best with many: average-linkage clustering of the co-assignment
    distance (share of runs that separate two documents), computed as condensed Hamming distances (n·(n−1)/2
    floats, never an n × n matrix). Past ``pairwise_limit`` documents, k-means on the run indicators instead
    (memory linear in n; the squared distance between two rows is 2 × the number of runs separating them)."""
    from scipy.cluster.hierarchy import cut_tree, linkage
    from scipy.spatial.distance import pdist

    n = run_labels.shape[0]
    if n <= k:
        return np.arange(n) % max(k, 1)
    if n <= pairwise_limit:
        dist = pdist(run_labels, metric="hamming")
        return cut_tree(linkage(dist, method="average"), n_clusters=k).ravel().astype(int)
    onehot = _one_hot_runs(run_labels)
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(onehot)


def consensus_weights(run_labels: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(n_docs, k): mean co-assignment of each document with the members of each topic, rows summing to 1;
    computed run by run, so memory stays linear in n."""
    onehot = _one_hot_runs(run_labels)
    member = np.zeros((len(labels), k))
    member[np.arange(len(labels)), labels] = 1
    sizes = member.sum(axis=0)
    member /= np.where(sizes == 0, 1, sizes)
    doc = np.asarray(onehot @ (onehot.T @ member)) / run_labels.shape[1]
    return normalize(doc + 1e-12, norm="l1")


class ConsensusNMF(BaseEstimator, ClusterMixin):
    """Consensus of ``n_runs`` NMF fits (random starts), combined by average-linkage clustering of their
    co-assignments: a single NMF fit on a few dozen documents changes with its seed, the consensus does not.

    Parameters: ``n_components`` (k), ``n_runs``, ``tol`` / ``max_iter`` of each NMF fit, ``random_state``.
    After ``fit(X)`` (X: documents × terms, tf-idf): ``labels_`` (n_docs,), ``components_`` (k, n_terms: mean
    tf-idf of each topic's documents), ``doc_weights_`` (n_docs, k), ``run_labels_`` (n_docs, n_runs).
    """

    def __init__(self, n_components: int = 8, n_runs: int = 30, tol: float = 1e-2, max_iter: int = 300,
                 random_state: int = 0):
        self.n_components = n_components
        self.n_runs = n_runs
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def run_seeds(self) -> np.ndarray:
        return np.random.RandomState(self.random_state).randint(0, 2**31 - 1, size=self.n_runs)

    def fit(self, X, y=None, run_labels: np.ndarray | None = None) -> "ConsensusNMF":
        """Fit on ``X``; ``run_labels`` (n_docs, runs) reuses NMF fits already made (no refit)."""
        k = self.n_components
        if run_labels is None:  # the fits as select_k makes them (same input, same labels)
            run_labels = nmf_run_labels(_fit_input(X), k, self.run_seeds(), self.tol, self.max_iter)
        self.run_labels_ = run_labels
        labels = consensus_labels(run_labels, k, self.random_state)
        doc = consensus_weights(run_labels, labels, k)
        self.labels_, self.doc_weights_, self.components_ = _relabel(labels, doc, _centroid_terms(X, labels, k))
        return self


def fit_topics(dtm: DocumentTermMatrix, model: str = "consensus_nmf", k: int | None = None, seed: int = 0,
               n_runs: int = 30, run_labels: np.ndarray | None = None) -> TopicFit:
    """Fit one model on ``dtm`` (tf-idf for all but LDA, which takes counts). For ``consensus_nmf``,
    ``run_labels`` reuses NMF fits already made (see :func:`select_k`). ``k`` is required: no number of topics
    suits every booklet (:func:`select_and_fit` chooses one)."""
    if k is None:
        raise ValueError("fit_topics needs k, the number of topics (select_and_fit chooses one)")
    X = dtm.tfidf()
    if model == "nmf":
        m, W = _nmf(X, k, seed)
        labels, H = W.argmax(1), m.components_
        doc = normalize(W + 1e-12, norm="l1")
    elif model == "consensus_nmf":
        est = ConsensusNMF(n_components=k, n_runs=n_runs, random_state=seed).fit(X, run_labels=run_labels)
        return TopicFit(model, k, seed, est.labels_, est.components_, est.doc_weights_)
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


def npmi_matrix(B) -> np.ndarray:
    """NPMI between all columns of a documents × terms 0/1 matrix (shape (n_terms, n_terms)):
    log(p(a,b) / p(a)p(b)) / −log p(a,b), with documents as the co-occurrence window; −1 for pairs never seen
    together, 1 for pairs in every document. The one NPMI of the project (topics and term networks use it)."""
    from .stats import npmi

    B = sparse.csc_matrix(B, dtype=np.float64)
    n = B.shape[0]
    joint = np.asarray((B.T @ B).todense()) / n
    p = np.diag(joint).copy()
    return npmi(joint, p[:, None], p[None, :])


def npmi_coherence(topics: list[list[str]], dtm: DocumentTermMatrix) -> float:
    """Mean NPMI over all pairs of each topic's top terms, with documents (entries) as the co-occurrence window
    (see :func:`npmi_matrix`). Range [-1, 1]."""
    index = {t: j for j, t in enumerate(dtm.terms)}
    cols = sorted({index[t] for topic in topics for t in topic if t in index})
    if not cols:
        return float("nan")
    pos = {c: i for i, c in enumerate(cols)}
    N = npmi_matrix((dtm.matrix[:, cols] > 0))
    scores = [N[pos[a], pos[b]] for topic in topics
              for a, b in itertools.combinations([index[t] for t in topic if t in index], 2)]
    return float(np.mean(scores)) if scores else float("nan")


def pairwise_ari(label_sets: list[np.ndarray]) -> float:
    """Mean adjusted Rand index over all pairs of assignments (1.0 = identical partitions)."""
    pairs = list(itertools.combinations(label_sets, 2))
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])) if pairs else 1.0


def _scores(fits: list[TopicFit], dtm: DocumentTermMatrix, k: int, reference, n_terms: int) -> dict:
    row = dict(npmi=float(np.mean([npmi_coherence(top_terms(f, dtm.terms, n_terms), dtm) for f in fits])),
               stability_ari=pairwise_ari([f.labels for f in fits]) if len(fits) > 1 else float("nan"),
               min_topic_size=int(min(np.bincount(f.labels, minlength=k).min() for f in fits)))
    if reference is not None:
        ami = [adjusted_mutual_info_score(reference, f.labels) for f in fits]
        row.update(ami=float(np.mean(ami)), ami_min=float(np.min(ami)),
                   nmi=float(np.mean([normalized_mutual_info_score(reference, f.labels) for f in fits])),
                   ari=float(np.mean([adjusted_rand_score(reference, f.labels) for f in fits])))
    return row


def compare_models(dtm: DocumentTermMatrix, reference: np.ndarray | None = None,
                   models: tuple[str, ...] = MODELS, ks: tuple[int, ...] = tuple(range(6, 13)),
                   seeds: tuple[int, ...] = tuple(range(10)), n_terms: int = 10, n_runs: int = 30,
                   n_jobs: int = 2) -> pd.DataFrame:
    """The model-comparison table: one row per (model, k) with coherence, stability and — if ``reference``
    labels are given (the sections) — AMI / NMI / ARI against them, as mean and minimum over seeds. Fits run in
    ``n_jobs`` processes; each is seeded, so the table does not depend on ``n_jobs``."""
    from .workers import parallel_map

    jobs = [(model, k, s) for model in models for k in ks
            for s in ((seeds[0],) if model == "agglomerative" else seeds)]
    fitted = parallel_map(_fit_job, [(dtm, m, k, s, n_runs) for m, k, s in jobs], jobs=n_jobs)
    by_key: dict[tuple[str, int], list[TopicFit]] = {}
    for (model, k, _), f in zip(jobs, fitted):
        by_key.setdefault((model, k), []).append(f)
    return pd.DataFrame([dict(model=model, k=k, n_seeds=len(fits), **_scores(fits, dtm, k, reference, n_terms))
                         for (model, k), fits in by_key.items()])


def _fit_job(a) -> TopicFit:
    dtm, model, k, seed, n_runs = a
    return fit_topics(dtm, model, k, seed, n_runs=n_runs)


# up to this many cells (documents × terms) the selection's NMF fits read tf-idf as a dense array: the same fits
# (on the booklet, 68 × 865, the 720 fits' labels are identical and W differs by < 1e-12) about 15 % faster, as
# scikit-learn's coordinate descent then does no sparse products; past it, sparse (memory, and the copies sent to
# the workers)
DENSE_FIT_LIMIT = 500_000


def _fit_input(X):
    """``X`` (sparse or dense) as the NMF fits read it, in single precision (scikit-learn's NMF keeps float32 input
    in float32: the coordinate-descent fits take about a sixth less time, and on the booklet every fit gives the
    same labels as in double precision): a dense array when it has at most :data:`DENSE_FIT_LIMIT` cells."""
    if sparse.issparse(X) and X.shape[0] * X.shape[1] <= DENSE_FIT_LIMIT:
        X = X.toarray()
    return X.astype(np.float32)


def _runs_job(a) -> np.ndarray:
    X, k, seeds, tol = a
    return nmf_run_labels(X, k, seeds, tol)


MIN_STABILITY = 0.8  # choose_k's bars: pairwise ARI between the seeds' consensuses, and
MIN_TOPIC_SIZE = 3  # entries in the smallest topic of every seed's consensus


def select_k(dtm: DocumentTermMatrix, ks: tuple[int, ...], seed: int = 0, n_seeds: int = 3, runs_per_seed: int = 20,
             reference: np.ndarray | None = None, n_terms: int = 10, n_jobs: int = 2,
             tol: float = 1e-2, on_done=None, pool=None) -> tuple[dict[int, np.ndarray], pd.DataFrame]:
    """NMF fits for every k, seed by seed: ``runs_per_seed`` fits per (k, seed) give that seed's consensus (its
    stability is the pairwise ARI between the seeds' consensuses); all fits of a k pooled give that k's final
    consensus, so the chosen model is never refit.

    A k whose consensus at some seed has a topic under :data:`MIN_TOPIC_SIZE` entries fails :func:`choose_k`'s bar
    (the smallest topic over seeds) whatever its other seeds give, so its remaining seeds are not fitted — unless
    no fully fitted k then meets both bars, when the rule looks at every k and the dropped ones are completed. The
    chosen k is therefore the one all ``n_seeds`` × ``runs_per_seed`` fits of every k would give (on the booklet,
    k = 10–12 drop after one seed, k = 5 after two: 510 of 720 fits). Returns the run labels per k (n_docs,
    fits made) and the comparison table (one row per k; ``n_seeds`` / ``n_fits`` say what was fitted).
    ``pool``: the caller's open :class:`~corpus_tools.workers.WorkerPool` (else one is started for the fits)."""
    from .workers import parallel_map

    X = _fit_input(dtm.tfidf())
    runs: dict[tuple[int, int], np.ndarray] = {}
    fits: dict[tuple[int, int], TopicFit] = {}

    def fit_seeds(pairs: list[tuple[int, int]]) -> None:
        jobs = [(X, k, ConsensusNMF(k, runs_per_seed, random_state=seed + s).run_seeds(), tol) for k, s in pairs]
        for (k, s), labels in zip(pairs, parallel_map(_runs_job, jobs, jobs=n_jobs, on_done=on_done, pool=pool)):
            runs[(k, s)] = labels
            fits[(k, s)] = fit_topics(dtm, "consensus_nmf", k, seed + s, run_labels=labels)

    def small(k: int) -> bool:
        return any(np.bincount(f.labels, minlength=k).min() < MIN_TOPIC_SIZE for (kk, _), f in fits.items() if kk == k)

    active = list(ks)
    for s in range(n_seeds):
        fit_seeds([(k, s) for k in active])
        active = [k for k in active if not small(k)]
    if not any(_stable(fits, k, n_seeds) for k in active):  # no k meets both bars: the rule compares every k
        fit_seeds([(k, s) for k in ks for s in range(n_seeds) if (k, s) not in runs])
    elif on_done is not None:  # the dropped seeds count as done for the progress bar
        for _ in range(len(ks) * n_seeds - len(runs)):
            on_done()
    rows, pooled = [], {}
    for k in ks:
        done = [s for s in range(n_seeds) if (k, s) in runs]
        pooled[k] = np.hstack([runs[(k, s)] for s in done])
        rows.append(dict(model="consensus_nmf", k=k, n_seeds=len(done), n_fits=len(done) * runs_per_seed,
                         **_scores([fits[(k, s)] for s in done], dtm, k, reference, n_terms)))
    return pooled, pd.DataFrame(rows)


def _stable(fits: dict[tuple[int, int], TopicFit], k: int, n_seeds: int) -> bool:
    """Whether all ``n_seeds`` consensuses of ``k`` were fitted and agree at least :data:`MIN_STABILITY`."""
    labels = [fits[(k, s)].labels for s in range(n_seeds) if (k, s) in fits]
    return len(labels) == n_seeds and pairwise_ari(labels) >= MIN_STABILITY


def choose_k(comparison: pd.DataFrame, model: str = "consensus_nmf", min_stability: float = MIN_STABILITY) -> int:
    """The documented rule for k, blind to the sections: among the model's k whose stability (pairwise ARI over
    seeds) is at least ``min_stability`` and whose smallest topic has at least :data:`MIN_TOPIC_SIZE` entries,
    take the k with the highest mean of coherence (NPMI rescaled to [0, 1]) and stability; ties go to the smaller
    k. A k fitted with fewer seeds (see :func:`select_k`) has a topic under the bar, so it is never among them."""
    c = comparison[(comparison.model == model)].copy()
    ok = c[(c.stability_ari >= min_stability) & (c.min_topic_size >= MIN_TOPIC_SIZE)]
    if ok.empty:
        ok = c
    score = ((ok.npmi + 1) / 2 + ok.stability_ari) / 2
    best = ok.assign(score=score).sort_values(["score", "k"], ascending=[False, True], kind="stable")
    return int(best.iloc[0].k)


# ---------------------------------------------------------------- tables

def class_tfidf(dtm: DocumentTermMatrix, labels: np.ndarray, k: int) -> np.ndarray:
    """Class-based tf-idf (c-TF-IDF, as in BERTopic), shape (k, n_terms): the counts of each topic's entries
    pooled into one document, tf = count / words of the topic, weighted by log(1 + A / f), A = mean words per
    topic, f = the term's count over all topics. High for terms frequent in one topic and rare elsewhere."""
    counts = np.zeros((k, dtm.matrix.shape[1]))
    for t in range(k):
        rows = labels == t
        if rows.any():
            counts[t] = np.asarray(dtm.matrix[rows].sum(axis=0)).ravel()
    words = counts.sum(axis=1, keepdims=True)
    tf = np.divide(counts, words, out=np.zeros_like(counts), where=words > 0)
    f = counts.sum(axis=0)
    A = words.mean()
    idf = np.log(1 + np.divide(A, f, out=np.zeros_like(f), where=f > 0))
    return tf * idf


def label_terms(scores: np.ndarray, terms: np.ndarray, n: int = 3,
                exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The ``n`` best terms by ``scores`` (ties by term) such that no chosen term contains another or is
    contained in one (集成平台 and 平台 never together) and none is in ``exclude`` (names)."""
    order = sorted(range(len(terms)), key=lambda j: (-scores[j], str(terms[j])))
    chosen: list[str] = []
    for j in order:
        if scores[j] <= 0 or len(chosen) >= n:
            break
        t = str(terms[j])
        if t in exclude or any(t in c or c in t for c in chosen):
            continue
        chosen.append(t)
    return chosen


def label_scores(dtm: DocumentTermMatrix, labels: np.ndarray, k: int,
                 min_coverage: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Which words describe each topic, from entry-level coverage. Returns ``(coverage, score)``, both (k, n_terms):
    ``coverage[t, j]`` = share of topic t's entries that use term j (0–1); ``score`` = coverage × log₂ of the ratio of
    the term's entry share in the topic to its share in the other entries (½ added to counts, 1 to totals) — high
    for a word most of the topic uses and the rest rarely does. ``score`` is 0 where the coverage is below
    ``min_coverage`` or the term is no commoner in the topic than elsewhere: such a term never labels it (a rare word
    that only a single entry prints is not what a topic is about)."""
    present = sparse.csr_matrix(dtm.matrix > 0, dtype=np.float64)
    n_docs = present.shape[0]
    cov = np.zeros((k, present.shape[1]))
    score = np.zeros_like(cov)
    total = np.asarray(present.sum(axis=0)).ravel()
    for t in range(k):
        rows = labels == t
        n_in = int(rows.sum())
        if not n_in:
            continue
        d_in = np.asarray(present[rows].sum(axis=0)).ravel()
        d_out = total - d_in
        cov[t] = d_in / n_in
        lr = np.log2(((d_in + 0.5) / (n_in + 1)) / ((d_out + 0.5) / (n_docs - n_in + 1)))
        score[t] = np.where((cov[t] >= min_coverage) & (lr > 0), cov[t] * lr, 0.0)
    return cov, score


def entry_scores(X, labels: np.ndarray, k: int) -> np.ndarray:
    """(n_docs, k): cosine of each document's tf-idf row (``X``) to each topic's centroid (the mean tf-idf row of its
    members). Separates the members of a consensus cluster, whose co-assignment weights are often all equal: the
    member closest to the centroid is the topic's most typical question."""
    cent = normalize(_centroid_terms(X, labels, k))
    return np.asarray(normalize(sparse.csr_matrix(X)) @ cent.T)


CATCH_ALL_PREFIX = "综合："
NO_SHARED_WORDS = "（无多数问答共用的词）"  # the label of a topic no term qualifies for


def topic_tables(fit: TopicFit, dtm: DocumentTermMatrix, n_terms: int = 30, titles: pd.Series | None = None,
                 exclude: set[str] | frozenset[str] = frozenset(), n_label: int = 3) -> dict[str, pd.DataFrame]:
    """The chosen model's tables.

    ``topics``: ``topic_id, label, size, top_terms`` and the diagnostics ``label_terms`` (up to ``n_label`` terms
    by :func:`label_scores`: each used in ≥ 30 % of the topic's entries and commoner there than elsewhere, best
    coverage × log-ratio first, none containing another, none in ``exclude``, joined by ·; fewer when fewer
    qualify), ``representative_title`` (the member entry with the highest ``score``, :func:`entry_scores`, then
    booklet order; needs ``titles``: entry_id → title),
    ``coherence`` (NPMI of the ten most distinctive terms, :func:`npmi_coherence`), ``distinctiveness``
    (1 − the mean cosine similarity of the topic's c-TF-IDF vector to the other topics'; 1 = shares no term
    with any; the mean, not the largest, so that the two closest topics do not share one value),
    ``catch_all`` (rule: the topic is larger than the mean topic and both its distinctiveness and its coherence
    are below the median of the topics — a large topic without a vocabulary of its own, whose entries come from
    several sections; its label starts with 综合：).
    ``label`` = label terms joined by ·, with the catch-all prefix. ``top_terms``: the ten heaviest model terms.

    ``entry_topics``: ``entry_id, topic_id, weight, rank`` (every topic per entry, rank 1 = assigned), ``score``
    (cosine of the entry's tf-idf to the topic's centroid, :func:`entry_scores`) and
    ``tied`` (rank-1 rows only: another member of the same topic has the same weight, to 6 decimals — the model
    does not separate them). ``topic_terms``: ``topic_id, rank, term, weight`` (model weights)."""
    tops = top_terms(fit, dtm.terms, n_terms)
    sizes = np.bincount(fit.labels, minlength=fit.k)
    ctf = class_tfidf(dtm, fit.labels, fit.k)
    _, lscore = label_scores(dtm, fit.labels, fit.k)
    labels_terms = [label_terms(lscore[t], dtm.terms, n_label, exclude) for t in range(fit.k)]
    distinct_top = [[str(dtm.terms[j]) for j in sorted(range(len(dtm.terms)), key=lambda j: (-ctf[t, j],
                     str(dtm.terms[j])))[:10] if ctf[t, j] > 0 and str(dtm.terms[j]) not in exclude]
                    for t in range(fit.k)]
    coherence = [npmi_coherence([terms], dtm) if len(terms) > 1 else float("nan") for terms in distinct_top]
    unit = normalize(ctf)
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    distinct = 1 - sim.sum(axis=1) / (fit.k - 1) if fit.k > 1 else np.ones(1)
    coh = np.nan_to_num(np.asarray(coherence, dtype=float), nan=-1.0)
    catch_all = (sizes > sizes.mean()) & (distinct < np.median(distinct)) & (coh < np.median(coh))
    # representative member: the highest score (cosine to the topic's centroid), then booklet order
    scores = entry_scores(dtm.tfidf(), fit.labels, fit.k)
    rep_titles = []
    for t in range(fit.k):
        members = np.flatnonzero(fit.labels == t)
        if not len(members):
            rep_titles.append("")
            continue
        best = sorted(members, key=lambda i: (-round(float(scores[i, t]), 12), i))[0]
        eid = dtm.doc_ids[best]
        rep_titles.append(str(titles.get(eid, "")) if titles is not None else "")
    label = [(CATCH_ALL_PREFIX if c else "") + ("·".join(lt) or NO_SHARED_WORDS) for lt, c in zip(labels_terms, catch_all)]
    topics = pd.DataFrame(dict(topic_id=np.arange(fit.k), label=label, size=sizes,
                               top_terms=["、".join(t[:10]) for t in tops],
                               label_terms=["·".join(lt) for lt in labels_terms], representative_title=rep_titles,
                               coherence=coherence, distinctiveness=distinct, catch_all=catch_all))
    rows = []
    for i, entry_id in enumerate(dtm.doc_ids):
        w = fit.doc_weights[i]
        order = sorted(range(fit.k), key=lambda t: (t != fit.labels[i], -w[t], t))
        for r, t in enumerate(order, start=1):
            rows.append((entry_id, t, float(w[t]), r, float(scores[i, t])))
    entry_topics = pd.DataFrame(rows, columns=["entry_id", "topic_id", "weight", "rank", "score"])
    first = entry_topics["rank"] == 1
    rounded = entry_topics.weight.round(6)
    dup = rounded[first].groupby(entry_topics.topic_id[first]).transform(lambda s: s.duplicated(keep=False))
    entry_topics["tied"] = False
    entry_topics.loc[dup.index, "tied"] = dup.to_numpy(dtype=bool)
    term_rows = []
    index = {term: j for j, term in enumerate(dtm.terms)}
    for t, row in enumerate(fit.term_weights):
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
    The model pools ``n_seeds`` × ``runs_per_seed`` NMF fits (tolerance ``tol``) into one consensus.
    """

    view: str = "entry"
    weights: tuple[tuple[str, int], ...] = (("title", 4), ("question", 4), ("answer", 1))
    min_df: int = 2
    max_df: float = 0.25
    model: str = "consensus_nmf"
    n_seeds: int = 3
    # 30 fits per seed: with 20, the stability estimates were noisy enough to move the chosen k with the seed
    # (seed 0 → 9, seeds 1–4 → 6 on the booklet); with 30 the rule chooses 7 for seeds 0–3, as the earlier
    # 3 × 30-fit procedure did (benchmarks/bench_choose_k.py)
    runs_per_seed: int = 30
    tol: float = 1e-2
    k: int | None = None  # None: chosen by choose_k over ks
    ks: tuple[int, ...] = tuple(range(5, 13))
    n_jobs: int = 2

    @property
    def n_runs(self) -> int:
        return self.n_seeds * self.runs_per_seed


def select_and_fit(dtm: DocumentTermMatrix, settings: TopicSettings = TopicSettings(), seed: int = 0,
                   reference: np.ndarray | None = None, on_done=None, pool=None) -> tuple[TopicFit, pd.DataFrame]:
    """Choose k (unless ``settings.k`` is set) with :func:`choose_k` on :func:`select_k`'s comparison over
    ``settings.ks``, then take that k's pooled consensus (no refit). With k given, the same fits are made for that
    k alone, so a fixed k gives the same model as a chosen one. Returns the fit and the comparison table
    (``reference`` labels, if given, only add AMI/ARI columns)."""
    n = dtm.shape[0]
    ks = tuple(k for k in settings.ks if k < n) or (max(2, min(n - 1, 2)),)
    if settings.k is not None:
        ks = (settings.k,)
    runs, comparison = select_k(dtm, ks, seed, settings.n_seeds, settings.runs_per_seed,
                                reference=reference, n_jobs=settings.n_jobs, tol=settings.tol, on_done=on_done,
                                pool=pool)
    k = choose_k(comparison, settings.model) if settings.k is None else settings.k
    fit = fit_topics(dtm, "consensus_nmf", k, seed, run_labels=runs[k])
    return fit, comparison


def tsne_perplexity(n_docs: int) -> float:
    """The t-SNE perplexity used for ``n_docs`` documents: a third of them, between 2 and 10."""
    return float(max(2, min(10, (n_docs - 1) // 3)))


def entry_coordinates(dtm: DocumentTermMatrix, seed: int = 0) -> np.ndarray:
    """2-D coordinates of the documents (shape (n_docs, 2)): tf-idf reduced by LSA (truncated SVD, ≤ 20
    dimensions), then t-SNE with cosine distances and a fixed seed, so the same input gives the same map."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.manifold import TSNE

    X = dtm.tfidf()
    n_comp = max(2, min(20, X.shape[0] - 1, X.shape[1] - 1))
    lsa = normalize(TruncatedSVD(n_components=n_comp, random_state=seed).fit_transform(X))
    perplexity = tsne_perplexity(X.shape[0])
    # exact gradients for a small booklet (68 entries: 0.3 s instead of 0.8 s); Barnes–Hut past EXACT_TSNE_LIMIT
    method = "exact" if X.shape[0] <= EXACT_TSNE_LIMIT else "barnes_hut"
    import sklearn

    # the neighbours' cosine distances in blocks of ≤ 64 MB (sklearn's default of 1 GB makes one n × n block:
    # 370 MB and as much again in temporaries for 6,800 entries); the same distances, so the same map
    with sklearn.config_context(working_memory=64):
        return TSNE(n_components=2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed,
                    max_iter=1000, method=method).fit_transform(lsa)


EXACT_TSNE_LIMIT = 100  # documents; exact t-SNE is O(n²) per step
