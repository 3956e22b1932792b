"""Topics carried forward (issue 21, item 3): a run's topic model as a JSON record, and a new booklet's entries
assigned to those topics.

The saved model (``data/processed/topic_model.json``, written by :mod:`corpus_tools.save`) holds what is needed
to place a new entry among the old topics: the vocabulary, its idf, how documents were built (view, part weights,
min_df / max_df), the topic × term centroids (the mean l2-normalised tf-idf row of each topic's entries — what the
consensus model keeps as ``components_``), the labels, k, seed, package version and the booklet's checksum.

How a new entry is assigned — the same rule that reproduces the consensus on the old booklet: its tf-idf row
(old vocabulary and idf; words the old model never saw are ignored; sublinear tf, l2 norm) is compared by cosine
with each centroid, and the entry goes to the nearest topic. The consensus itself is a clustering of co-assignments,
not a transform; on the bundled booklet the nearest centroid gives every entry its consensus topic (68/68), and
with the entry left out of its topic's centroid 63/68 (``self_check`` in the record). The cosine is the entry's
*fit*. An entry fits no existing topic — a candidate new theme — when its fit is below a threshold fixed before
looking at any new booklet: the 10th percentile of the old entries' own fits, each computed with the entry left out
of its centroid (the fit it would have had as a new entry).

Shares: each old topic's entries in the old booklet (its consensus size) against the new entries assigned to it
(candidate new themes counted in no topic), Fisher's exact test per topic, Benjamini–Hochberg over the topics.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .errors import BookletError

SCHEMA = "corpus_tools.topic_model/1"
MODEL_FILE = "topic_model.json"
FIT_PERCENTILE = 10  # an entry fits no topic below this percentile of the old entries' own (left-out) fits
REQUIRED = ("schema", "package_version", "booklet_sha256", "k", "seed", "model", "settings", "vocabulary", "idf",
            "centroids", "topics", "fit_threshold", "n_entries")
SETTINGS_REQUIRED = ("view", "weights", "min_df", "max_df", "sublinear_tf")


class TopicModelError(BookletError):
    """A saved topic model that cannot be used (unreadable, not JSON, another schema, missing or malformed
    fields): one line naming the file and the problem."""


@dataclass(frozen=True)
class TopicModel:
    """A saved topic model: ``centroids`` (k, n_terms), unit rows; ``idf`` (n_terms,); ``vocabulary`` (n_terms,);
    ``topics`` one row per topic (topic_id, label, label_terms, size, top_terms); ``record`` the JSON as read."""

    source: str
    vocabulary: np.ndarray
    idf: np.ndarray
    centroids: np.ndarray
    topics: pd.DataFrame
    fit_threshold: float
    view: str
    weights: dict[str, int]
    sublinear_tf: bool
    record: dict

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])


# ---------------------------------------------------------------- building and reading the record

def _unit_rows(M: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    return np.divide(M, norms, out=np.zeros_like(M, dtype=float), where=norms > 0)


def left_out_fits(X, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each document (rows of ``X``, l2-normalised tf-idf), the cosine to every topic's centroid with the
    document itself left out of its own topic's centroid: shape (n_docs, k). Returns ``(cosines, nearest)``;
    a topic left empty by the removal gets cosine 0."""
    Xd = sparse.csr_matrix(X)
    n = Xd.shape[0]
    sums = np.zeros((k, Xd.shape[1]))
    sizes = np.bincount(labels, minlength=k).astype(float)
    for t in range(k):
        if sizes[t]:
            sums[t] = np.asarray(Xd[labels == t].sum(axis=0)).ravel()
    cent = _unit_rows(sums / np.where(sizes == 0, 1, sizes)[:, None])
    cos = np.asarray(Xd @ cent.T)
    # the own topic's centroid without the document is (sum − x) / (size − 1): its cosine with x from dot products
    rows = np.arange(n)
    xs = np.asarray(Xd @ sums.T)[rows, labels]  # x · sum of its topic
    xx = np.asarray(Xd.multiply(Xd).sum(axis=1)).ravel()  # ‖x‖²
    ss = (sums ** 2).sum(axis=1)[labels]  # ‖sum‖²
    norm = np.sqrt(np.maximum(ss - 2 * xs + xx, 0.0))
    ok = (sizes[labels] > 1) & (norm > 1e-12) & (xx > 0)
    cos[rows, labels] = np.where(ok, (xs - xx) / np.where(ok, norm * np.sqrt(np.where(xx > 0, xx, 1)), 1), 0.0)
    return cos, cos.argmax(axis=1)


def model_record(fit, dtm, topics: pd.DataFrame, settings, booklet_sha: str | None, version: str,
                 percentile: float = FIT_PERCENTILE) -> dict:
    """The JSON-ready record of a fitted topic model (see the module docstring). ``fit``: a
    :class:`~corpus_tools.topics.TopicFit`; ``dtm``: the counts it was fitted on; ``topics``: the topics table;
    ``settings``: the :class:`~corpus_tools.topics.TopicSettings` used."""
    from sklearn.feature_extraction.text import TfidfTransformer

    tf = TfidfTransformer(sublinear_tf=True).fit(dtm.matrix)
    X = tf.transform(dtm.matrix)  # = dtm.tfidf()
    labels = np.asarray(fit.labels)
    sizes = np.bincount(labels, minlength=fit.k).astype(float)
    sums = np.vstack([np.asarray(X[labels == t].sum(axis=0)).ravel() for t in range(fit.k)])
    cent = sums / np.where(sizes == 0, 1, sizes)[:, None]
    inside = np.asarray(X @ _unit_rows(cent).T).argmax(axis=1)
    loo, loo_nearest = left_out_fits(X, labels, fit.k)
    loo_fit = loo.max(axis=1)
    threshold = float(np.percentile(loo_fit, percentile)) if len(loo_fit) else 0.0
    cols = ["topic_id", "label", "label_terms", "size", "top_terms"]
    return dict(
        schema=SCHEMA, package_version=version, booklet_sha256=booklet_sha, k=int(fit.k), seed=int(fit.seed),
        model=fit.model, n_entries=int(len(labels)),
        settings=dict(view=settings.view, weights={p: int(w) for p, w in settings.weights},
                      min_df=settings.min_df, max_df=settings.max_df, sublinear_tf=True, smooth_idf=True,
                      norm="l2", tokens="content words as printed, names left out"),
        assignment="cosine of the entry's tf-idf (saved vocabulary and idf) to each topic's centroid; nearest wins",
        vocabulary=[str(t) for t in dtm.terms], idf=[float(v) for v in tf.idf_],
        centroids=[[float(v) for v in row] for row in cent],
        topics=[{c: (r[c].item() if hasattr(r[c], "item") else r[c]) for c in cols}
                for r in topics[cols].to_dict("records")],
        fit_threshold=threshold, fit_percentile=percentile,
        self_check=dict(nearest_matches_consensus=int((inside == labels).sum()),
                        left_out_matches_consensus=int((loo_nearest == labels).sum()), n_entries=int(len(labels))),
    )


def model_json(record: dict) -> str:
    """The record as the text of ``topic_model.json`` (UTF-8, Chinese as printed, stable key order)."""
    return json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True)


def model_file(path: str | Path) -> Path:
    """The model file of ``path``: an output folder of a run (its ``data/processed/topic_model.json``), a
    ``data/processed`` folder, or the JSON file itself."""
    p = Path(path)
    if p.is_dir():
        for cand in (p / "data" / "processed" / MODEL_FILE, p / MODEL_FILE):
            if cand.exists():
                return cand
        return p / "data" / "processed" / MODEL_FILE
    return p


def parse_model(text: str, source: str = "<topic model>") -> TopicModel:
    """A :class:`TopicModel` from the text of a model file; :class:`TopicModelError` naming ``source`` and the
    problem when it is not JSON, has another schema, or lacks or malforms a field."""
    try:
        rec = json.loads(text)
    except ValueError as exc:
        raise TopicModelError(source, f"not a topic model: the file is not JSON ({exc.msg}, line {exc.lineno})") \
            from None
    if not isinstance(rec, dict):
        raise TopicModelError(source, "not a topic model: the JSON is not an object")
    if rec.get("schema") != SCHEMA:
        raise TopicModelError(source, f"not a topic model of this tool: schema is {rec.get('schema')!r}, "
                                      f"expected {SCHEMA!r}")
    missing = [f for f in REQUIRED if f not in rec]
    if missing:
        raise TopicModelError(source, f"topic model lacks the field(s) {', '.join(missing)}")
    s = rec["settings"]
    if not isinstance(s, dict) or any(f not in s for f in SETTINGS_REQUIRED):
        raise TopicModelError(source, f"topic model settings lack one of {', '.join(SETTINGS_REQUIRED)}")
    try:
        vocab = np.asarray([str(t) for t in rec["vocabulary"]], dtype=object)
        idf = np.asarray(rec["idf"], dtype=float)
        cent = np.asarray(rec["centroids"], dtype=float)
        topics = pd.DataFrame(rec["topics"])
        threshold = float(rec["fit_threshold"])
        weights = {str(p): int(w) for p, w in dict(s["weights"]).items()}
    except (TypeError, ValueError) as exc:
        raise TopicModelError(source, f"topic model has a malformed field: {exc}") from None
    k = rec["k"]
    if cent.ndim != 2 or cent.shape != (k, len(vocab)) or idf.shape != (len(vocab),):
        raise TopicModelError(source, f"topic model shapes disagree: {k} topics × {len(vocab)} terms expected, "
                                      f"centroids {cent.shape}, idf {idf.shape}")
    if not (np.isfinite(cent).all() and np.isfinite(idf).all()) or not math.isfinite(threshold):
        raise TopicModelError(source, "topic model holds values that are not finite numbers")
    if not {"topic_id", "label"} <= set(topics.columns) or sorted(topics.topic_id) != list(range(k)):
        raise TopicModelError(source, f"topic model's topics must list topic_id 0 … {k - 1} with a label")
    if s["view"] not in ("entry", "question"):
        raise TopicModelError(source, f"topic model has an unknown document view {s['view']!r}")
    return TopicModel(source, vocab, idf, _unit_rows(cent), topics.sort_values("topic_id").reset_index(drop=True),
                      threshold, str(s["view"]), weights, bool(s["sublinear_tf"]), rec)


def read_model(path: str | Path) -> TopicModel:
    """:func:`parse_model` of the model file of ``path`` (see :func:`model_file`)."""
    from .inputs import read_model_file

    f = read_model_file(model_file(path))
    return parse_model(f.text, f.source)


# ---------------------------------------------------------------- assigning a new booklet

def carried_tfidf(model: TopicModel, docs: list[list[str]]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """tf-idf rows (n_docs, n_terms) of token lists in the model's vocabulary and idf (unknown words ignored;
    sublinear tf as the model says; l2 rows), and the number of distinct known terms per document."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    vec = CountVectorizer(analyzer=lambda d: d, lowercase=False, vocabulary={t: j for j, t in
                                                                              enumerate(model.vocabulary)})
    counts = vec.transform(docs).tocsr().astype(float)
    known = np.diff(counts.indptr)
    if model.sublinear_tf:
        counts.data = 1.0 + np.log(counts.data)
    X = normalize(counts @ sparse.diags(model.idf), norm="l2")
    return sparse.csr_matrix(X), known


def carry_topics(model: TopicModel, tokens: pd.DataFrame, booklet) -> pd.DataFrame:
    """The ``carried_topics`` table: each entry of ``booklet`` (tokens: the analysis view, words as printed, names
    left out) placed among the model's topics — ``entry_id, topic_id, label, fit, runner_up_topic_id,
    runner_up_fit, known_terms, new_theme``. An entry with no known term has no topic (fit 0, topic empty)."""
    from .features import documents

    ids, docs = documents(tokens, booklet, model.view, model.weights)
    X, known = carried_tfidf(model, docs)
    cos = np.asarray(X @ model.centroids.T)
    order = np.argsort(-cos, axis=1, kind="stable")
    best = order[:, 0]
    second = order[:, 1] if model.k > 1 else np.full(len(ids), -1)
    fit = cos[np.arange(len(ids)), best]
    has = known > 0
    labels = model.topics.label.to_numpy()
    out = pd.DataFrame(dict(
        entry_id=ids,
        topic_id=pd.array(np.where(has, best, -1), dtype="Int64"),
        label=[str(labels[t]) if h else "" for t, h in zip(best, has)],
        fit=np.where(has, fit, 0.0),
        runner_up_topic_id=pd.array(np.where(has & (second >= 0), second, -1), dtype="Int64"),
        runner_up_fit=np.where(has & (second >= 0), cos[np.arange(len(ids)), np.maximum(second, 0)], np.nan),
        known_terms=known.astype(int),
    ))
    out.loc[~has, ["topic_id", "runner_up_topic_id"]] = pd.NA
    out.loc[out.runner_up_topic_id.isna(), "runner_up_fit"] = np.nan
    out["new_theme"] = out.fit < model.fit_threshold
    return out


def carried_shares(model: TopicModel, carried: pd.DataFrame) -> pd.DataFrame:
    """The ``carried_topic_shares`` table: per old topic, its entries in the old booklet (its consensus size, of
    ``total_old``) and the new entries assigned to it (of ``total_new``, the new entries that fit a topic: candidate
    new themes and entries without a known word are counted in no topic), Fisher's exact test and BH q over the
    topics; ``direction`` "more" / "fewer" where q ≤ 0.05."""
    from .stats import bh_qvalues, fisher_test

    sizes = model.topics["size"].to_numpy(dtype=int) if "size" in model.topics else np.zeros(model.k, int)
    total_old = int(model.record.get("n_entries", sizes.sum()))
    assigned = carried.topic_id[~carried.new_theme.astype(bool)].dropna().astype(int)
    counts = np.bincount(assigned, minlength=model.k)[: model.k]
    total_new = int(len(assigned))
    p = fisher_test(counts, np.full(model.k, total_new), sizes, np.full(model.k, total_old))
    q = bh_qvalues(p)
    share_new = counts / total_new if total_new else np.full(model.k, np.nan)
    share_old = sizes / total_old if total_old else np.full(model.k, np.nan)
    lr = np.log2(((counts + 0.5) / (total_new + 1)) / ((sizes + 0.5) / (total_old + 1)))
    direction = np.where(q <= 0.05, np.where(share_new > share_old, "more", "fewer"), "")
    return pd.DataFrame(dict(topic_id=model.topics.topic_id.to_numpy(), label=model.topics.label.to_numpy(),
                             n_old=sizes, total_old=total_old, n_new=counts, total_new=total_new,
                             share_old=share_old, share_new=share_new, log_ratio=lr, p_value=p, q_value=q,
                             direction=direction))


def carry_findings(carried: pd.DataFrame | None, shares: pd.DataFrame | None, entries: pd.DataFrame,
                   record: dict | None) -> list[dict]:
    """Findings rows (kind ``carried_topic``): how the entries fit the old topics and which fit none (candidate
    new themes), topics whose share changed (q ≤ 0.05), and how the assignment rule was checked."""
    from .findings import _fmt_p, _row

    if carried is None or shares is None or record is None:
        return []
    title = entries.set_index("entry_id").title
    n, k = len(carried), int(record.get("k", len(shares)))
    thr = float(record.get("fit_threshold", np.nan))
    src = f"上一本问答合集（{int(record.get('n_entries', 0))} 条问答，{k} 个主题）"
    new = carried[carried.new_theme]
    fitted = carried[~carried.new_theme]
    rows = [_row("carried_topic", f"按{src}的主题模型归类本册：{len(fitted)}/{n} 条问答落入已有主题，"
                                  f"{len(new)} 条与任何已有主题都不接近，是候选的新主题。",
                 f"吻合度 = 与主题中心的余弦；阈值 {thr:.3f}（上一本问答各自吻合度的第 {record.get('fit_percentile', 10)} "
                 f"百分位，每条都先从自己主题的中心中去掉）；中位吻合度 {carried.fit.median():.3f}", ids=new.entry_id,
                 caveat="只用上一本的词表：上一本没出现过的词不计入，所以新话题显得“不吻合”，而不是被硬塞进某个主题。")]
    for r in new.sort_values(["fit", "entry_id"], kind="stable").head(12).itertuples():
        near = f"最接近“{r.label}”，吻合度 {r.fit:.3f}" if r.known_terms else "没有一个词在上一本的词表中"
        rows.append(_row("carried_topic", f"第 {r.entry_id} 条“{title.get(r.entry_id, '')}”不属于任何已有主题（{near}），"
                                          f"是候选的新主题。", f"吻合度 {r.fit:.3f} < 阈值 {thr:.3f}；"
                                                              f"已知词 {r.known_terms} 个", ids=[r.entry_id]))
    sig = shares[shares.direction != ""]
    if sig.empty:
        rows.append(_row("carried_topic", f"本册与上一本相比，没有一个主题的问答占比在校正多重检验后有显著变化"
                                          f"（{len(shares)} 个主题，Fisher 精确检验，BH q ≤ 0.05）。",
                         f"最小 {_fmt_p(float(shares.p_value.min()))}" if len(shares) else ""))
    for r in sig.itertuples():
        ids = carried.entry_id[carried.topic_id == r.topic_id]
        word = "更多" if r.direction == "more" else "更少"
        rows.append(_row("carried_topic", f"主题“{r.label}”在本册问答中占比{word}：{r.n_new}/{r.total_new} 条，"
                                          f"上一本 {r.n_old}/{r.total_old} 条。",
                         f"log₂ 比 {r.log_ratio:.2f}；Fisher {_fmt_p(r.p_value)}", p=r.p_value, q=r.q_value,
                         ids=ids, caveat="占比比较的是两本合集的全部问答；两本的期次、单元不同时，差异可能来自课程安排。"))
    chk = record.get("self_check") or {}
    if chk:
        rows.append(_row("caveat", f"归类规则（与主题中心的余弦，最近者胜）在上一本上的检验：每条问答都按此规则归类时，"
                                   f"{chk.get('nearest_matches_consensus')}/{chk.get('n_entries')} 条与原主题一致；"
                                   f"把该条从主题中心中去掉再归类时 {chk.get('left_out_matches_consensus')}/"
                                   f"{chk.get('n_entries')} 条一致——这是对全新问答归类准确度的估计。",
                         "留一检验（上一本的问答）"))
    return rows


def carry_between(old_study, new_study) -> dict[str, pd.DataFrame]:
    """``carried_topics`` and ``carried_topic_shares`` of ``new_study``'s entries in ``old_study``'s topics (both
    studies ran the topics stage; the old one's model record is read back as if from its file) — what ``compare``
    adds to its tables."""
    from .stages import words

    model = parse_model(model_json(old_study.objects["topic_model"]), str(old_study.booklet.meta.get("source")))
    carried = carry_topics(model, words(new_study, "token"), new_study.booklet)
    return {"carried_topics": carried, "carried_topic_shares": carried_shares(model, carried)}
