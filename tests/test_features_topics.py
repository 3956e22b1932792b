"""Document–term matrices and topic models: hand-checkable values, determinism, and the quality bar."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.metrics import adjusted_mutual_info_score

from corpus_tools.features import DocumentTermMatrix, document_term_matrix
from corpus_tools.terms import discover_booklet_terms
from corpus_tools.text import analysis_tokens, tokenizer_for, tokens_table, with_terms
from corpus_tools.topics import (TopicSettings, choose_k, class_tfidf, compare_models, entry_scores, fit_topics,
                                 label_scores, label_terms,
                                 nmf_doc_weights, npmi_coherence, pairwise_ari, select_and_fit, top_terms,
                                 topic_tables)


@pytest.fixture(scope="module")
def tokens(booklet, tmp_path_factory):
    """The analysis view the pipeline models: discovered terms compounded, content words, names out."""
    tk = tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))
    tk = with_terms(tk, discover_booklet_terms(booklet, tk).term)
    return tk, analysis_tokens(tokens_table(booklet, tk))


def test_single_chinese_characters_survive_the_vectorizer(booklet):
    toks = pd.DataFrame({"entry_id": [1, 1, 2], "turn_no": [0, 1, 1], "token_no": [0, 0, 0],
                         "token": ["库", "数据湖", "库"]})
    dtm = document_term_matrix(toks, booklet, "entry")
    assert "库" in set(dtm.terms)  # scikit-learn's default token_pattern would have dropped it
    row = list(dtm.doc_ids).index(1)
    assert dtm.matrix[row, list(dtm.terms).index("库")] == 1


def test_question_view_keeps_title_and_question_only(booklet, tokens):
    tk, toks = tokens
    q = document_term_matrix(toks, booklet, "question")
    e = document_term_matrix(toks, booklet, "entry")
    assert q.matrix.sum() < e.matrix.sum()
    # entry 1 (line 27): the title asks about 规划能力; 咨询公司 is only said in 薛万国's answer (line 47), which
    # is not part of the question view
    row = list(q.doc_ids).index(1)
    terms = {t for t, n in zip(q.terms, q.matrix[row].toarray().ravel()) if n}
    assert "规划能力" in terms or "规划" in terms
    assert "咨询公司" not in terms and "咨询" not in terms


def test_weights_repeat_title_tokens(booklet, tokens):
    tk, toks = tokens
    plain = document_term_matrix(toks, booklet, "entry")
    heavy = document_term_matrix(toks, booklet, "entry", weights={"title": 4})
    title_tokens = len(toks[toks.turn_no == 0])
    assert heavy.matrix.sum() - plain.matrix.sum() == 3 * title_tokens


def test_npmi_by_hand():
    # 4 documents; a,b always together (p=.5 each, p(ab)=.5): NPMI = log(.5/.25)/-log(.5) = 1
    # a,c never together: -1
    m = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]))
    dtm = DocumentTermMatrix("entry", np.arange(4), np.array(["a", "b", "c"]), m)
    assert npmi_coherence([["a", "b"]], dtm) == pytest.approx(1.0)
    assert npmi_coherence([["a", "c"]], dtm) == pytest.approx(-1.0)
    # a in docs 0,1; d in docs 1,2 of 4: p(a)=p(d)=.5, p(ad)=.25 → log(.25/.25)/-log(.25) = 0
    m2 = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 1], [0, 0]]))
    dtm2 = DocumentTermMatrix("entry", np.arange(4), np.array(["a", "d"]), m2)
    assert npmi_coherence([["a", "d"]], dtm2) == pytest.approx(0.0)


def test_pairwise_ari_and_choose_k_rule():
    assert pairwise_ari([np.array([0, 0, 1]), np.array([1, 1, 0])]) == 1.0
    table = pd.DataFrame([
        dict(model="consensus_nmf", k=6, npmi=0.10, stability_ari=0.95, min_topic_size=4),
        dict(model="consensus_nmf", k=7, npmi=0.30, stability_ari=0.90, min_topic_size=4),
        dict(model="consensus_nmf", k=8, npmi=0.50, stability_ari=0.70, min_topic_size=4),  # unstable
        dict(model="consensus_nmf", k=9, npmi=0.60, stability_ari=0.99, min_topic_size=1),  # singleton topic
    ])
    # k=6: (0.55+0.95)/2 = 0.75; k=7: (0.65+0.90)/2 = 0.775 → 7
    assert choose_k(table) == 7


def test_models_are_deterministic_and_tables_consistent(booklet, tokens):
    tk, toks = tokens
    s = TopicSettings()
    dtm = document_term_matrix(toks, booklet, s.view, s.min_df, s.max_df, dict(s.weights), set(tk.names))
    for model in ("consensus_nmf", "nmf", "lda", "kmeans", "agglomerative"):
        a, b = fit_topics(dtm, model, 5, seed=3, n_runs=5), fit_topics(dtm, model, 5, seed=3, n_runs=5)
        assert np.array_equal(a.labels, b.labels), model
        assert a.doc_weights.shape == (68, 5) and np.allclose(a.doc_weights.sum(1), 1)
        sizes = np.bincount(a.labels, minlength=5)
        assert list(sizes) == sorted(sizes, reverse=True)  # topics numbered by size
    tables = topic_tables(a, dtm)
    assert tables["topics"]["size"].sum() == 68
    first = tables["entry_topics"][tables["entry_topics"]["rank"] == 1]
    assert len(first) == 68 and list(first.topic_id) == list(a.labels)
    assert set(tables["topic_terms"].topic_id) == set(range(5))


def test_lean_nmf_is_scikit_learns_nmf_bit_for_bit(booklet, tokens):
    """The consensus' fits skip the estimator's overhead but must give exactly its W: on the booklet's entry
    matrix (k at both ends of the range searched, several seeds) and on a random sparse matrix, where a fit runs
    to max_iter (tol = 0) and where it stops early."""
    from sklearn.decomposition import NMF

    tk, toks = tokens
    s = TopicSettings()
    X = document_term_matrix(toks, booklet, s.view, s.min_df, s.max_df, dict(s.weights), set(tk.names)).tfidf()
    rng = np.random.default_rng(7)
    other = sparse.random(40, 120, density=0.08, format="csr", random_state=rng)
    cases = [(X, k, seed, s.tol, 300) for k in (5, 12) for seed in (0, 1, 29)] + \
        [(other, 4, 3, 0.0, 25), (other, 9, 11, 1e-3, 300)]
    for M, k, seed, tol, max_iter in cases:
        expected = NMF(n_components=k, init="random", random_state=seed, tol=tol, max_iter=max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the max_iter case does not converge, on purpose
            want = expected.fit_transform(M)
        got = nmf_doc_weights(M, k, seed, tol=tol, max_iter=max_iter)
        assert got.dtype == want.dtype and np.array_equal(got, want), (M.shape, k, seed)


def test_topic_quality_bar(booklet, tokens):
    """The chosen model agrees with the booklet's sections (AMI ≥ 0.42, mean over 10 seeds) and is stable
    (pairwise ARI ≥ 0.8 over 10 seeds), while k is chosen without looking at the sections. The vocabulary rules
    (POS content words, discovered terms, names out) were fixed before this agreement was measured. The rule
    chooses k = 7 on the booklet, as the earlier, slower 3 × 30-fit procedure did (AMI 0.44 there; issue 13 asks
    for the same k and AMI); with 20 fits per seed it chose 9 (AMI 0.52) at seed 0 but 6 at seeds 1–4, which is
    why it now pools 30. The earlier 0.58 came from a stopword list tuned while looking at it."""
    tk, toks = tokens
    s = TopicSettings(n_jobs=1)  # in this process (the results do not depend on the number of processes)
    dtm = document_term_matrix(toks, booklet, s.view, s.min_df, s.max_df, dict(s.weights), set(tk.names))
    fit, comparison = select_and_fit(dtm, s, seed=0)
    assert "ami" not in comparison.columns  # selection never saw the sections
    sections = booklet.entries.section.to_numpy()
    fits = [fit_topics(dtm, s.model, fit.k, seed, n_runs=s.n_runs) for seed in range(10)]
    ami = [adjusted_mutual_info_score(sections, f.labels) for f in fits]
    assert np.mean(ami) >= 0.42
    assert pairwise_ari([f.labels for f in fits]) >= 0.8
    # the chosen k is the rule's choice, and it meets the rule's bars (stability ≥ 0.8, no topic under 3 entries)
    assert fit.k == choose_k(comparison)
    row = comparison.set_index("k").loc[fit.k]
    assert row.stability_ari >= 0.8 and row.min_topic_size >= 3
    assert all(math.isfinite(x) for x in comparison.npmi)


def test_class_tfidf_and_label_terms_by_hand():
    # topic 0 = docs 0, 1; topic 1 = doc 2. Counts: 集成平台 only in topic 0, 平台 in both, 数据 only in topic 1
    m = sparse.csr_matrix(np.array([[2, 1, 0], [2, 1, 0], [0, 1, 3]]))
    dtm = DocumentTermMatrix("entry", np.arange(3), np.array(["集成平台", "平台", "数据"]), m)
    c = class_tfidf(dtm, np.array([0, 0, 1]), 2)
    # words per topic: 6 and 4, A = 5; f = (4, 3, 3); tf(集成平台 | 0) = 4/6 → 4/6 · log(1 + 5/4)
    assert c[0, 0] == pytest.approx(4 / 6 * math.log(1 + 5 / 4))
    assert c[1, 0] == 0 and c[0, 2] == 0
    assert c[0, 0] > c[0, 1]
    # 平台 is inside 集成平台, so it is skipped; names in exclude are skipped
    assert label_terms(c[0], dtm.terms, 3) == ["集成平台"]
    assert label_terms(c[1], dtm.terms, 3, exclude={"数据"}) == ["平台"]


def test_label_scores_by_hand():
    """Topic 0 = documents 0–2, topic 1 = 3–5. A is in 0, 1 (2/3 of topic 0, none of topic 1); B in 0 (1/3); C in
    all six (as common in both: never a label); D in 3 (1/3 of topic 1).
    score(A | 0) = 2/3 · log₂(((2 + ½)/4) / ((0 + ½)/4)) = 2/3 · log₂ 5; score(B | 0) = 1/3 · log₂ 3;
    score(C | ·) = 1 · log₂(1) = 0; with a 40 % bar B (33 %) drops out."""
    m = sparse.csr_matrix(np.array([[1, 2, 1, 0], [1, 0, 3, 0], [0, 0, 1, 0],
                                    [0, 0, 1, 5], [0, 0, 1, 0], [0, 0, 1, 0]]))
    dtm = DocumentTermMatrix("entry", np.arange(6), np.array(["A", "B", "C", "D"]), m)
    labels = np.array([0, 0, 0, 1, 1, 1])
    cov, score = label_scores(dtm, labels, 2)
    assert cov[0] == pytest.approx([2 / 3, 1 / 3, 1, 0]) and cov[1] == pytest.approx([0, 0, 1, 1 / 3])
    assert score[0] == pytest.approx([2 / 3 * math.log2(5), 1 / 3 * math.log2(3), 0, 0])
    assert score[1] == pytest.approx([0, 0, 0, 1 / 3 * math.log2(3)])
    assert label_terms(score[0], dtm.terms, 3) == ["A", "B"]  # fewer than 3 when fewer qualify
    _, strict = label_scores(dtm, labels, 2, min_coverage=0.4)
    assert label_terms(strict[0], dtm.terms, 3) == ["A"]


def test_entry_scores_by_hand():
    """Rows (1, 0), (0, 1), (0.6, 0.8); topic 0 = rows 0, 1 (centroid (½, ½), direction (1, 1)/√2), topic 1 = row 2.
    Cosines to topic 0: 1/√2, 1/√2, (0.6 + 0.8)/√2; to topic 1: 0.6, 0.8, 1."""
    X = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    s = entry_scores(X, np.array([0, 0, 1]), 2)
    r = 1 / math.sqrt(2)
    assert s[:, 0] == pytest.approx([r, r, 1.4 * r]) and s[:, 1] == pytest.approx([0.6, 0.8, 1.0])


def test_run_labels_are_used_by_their_topics(study):
    """Each label term of the run's topics is printed in ≥ 30 % of its topic's entries — counted here from the run's
    tokens table (an entry uses a term when one of its title or turn tokens is that word) — and the representative
    title is the member with the highest score. (Issue 19: 超融合 and 考核 were each in 1 of 11 entries of their
    topic, 一体化 in 1 of 7, 验收 in 2 of 13.)"""
    t = study.tables
    tokens, et, topics = t["tokens"], t["entry_topics"], t["topics"]
    first = et[et["rank"] == 1]
    titles = study.booklet.entries.set_index("entry_id").title
    names = set(study.booklet.people.name)
    for r in topics.itertuples():
        members = set(first.entry_id[first.topic_id == r.topic_id])
        terms = [x for x in str(r.label_terms).split("·") if x]
        assert terms, r.label
        for term in terms:
            users = set(tokens.entry_id[tokens.token == term]) & members
            assert len(users) >= 0.3 * len(members), (r.topic_id, term, len(users), len(members))
            assert term not in names
        mine = first[first.topic_id == r.topic_id]
        best = mine.sort_values(["score", "entry_id"], ascending=[False, True]).entry_id.iloc[0]
        assert r.representative_title == titles[best]
        assert mine.score.max() > mine.score.min()  # the score separates the members
    # the entry map circles the same representative entries
    from corpus_tools.plots.topics import representative_entries
    reps = representative_entries(et)
    assert {t: titles[e] for t, e in reps.items()} == dict(zip(topics.topic_id, topics.representative_title))


def test_labels_have_no_names_or_repeats_and_diagnostics(booklet, tokens):
    tk, toks = tokens
    s = TopicSettings()
    dtm = document_term_matrix(toks, booklet, s.view, s.min_df, s.max_df, dict(s.weights))
    fit = fit_topics(dtm, "consensus_nmf", 8, seed=0, n_runs=10)
    titles = booklet.entries.set_index("entry_id").title
    tables = topic_tables(fit, dtm, titles=titles, exclude=set(tk.names))
    topics = tables["topics"]
    assert list(topics.columns[:4]) == ["topic_id", "label", "size", "top_terms"]
    assert {"label_terms", "representative_title", "coherence", "distinctiveness", "catch_all"} <= set(topics)
    names = set(booklet.people.name) | set(booklet.hospitals.hospital) | {"长庚医院"}
    for lt, label, catch in zip(topics.label_terms, topics.label, topics.catch_all):
        terms = lt.split("·")
        assert len(terms) == len(set(terms)) >= 2
        assert not any(a != b and a in b for a in terms for b in terms), lt  # no term inside another
        assert not set(terms) & names
        assert label.startswith("综合：") == bool(catch)
    assert set(topics.representative_title) <= set(booklet.entries.title)
    assert topics.coherence.between(-1, 1).all() and topics.distinctiveness.between(0, 1).all()
    # the representative title is a member of its topic
    et = tables["entry_topics"]
    first = et[et["rank"] == 1].merge(booklet.entries[["entry_id", "title"]], on="entry_id")
    for t, title in zip(topics.topic_id, topics.representative_title):
        assert title in set(first.title[first.topic_id == t])
    # ties: a rank-1 row is tied exactly when another member of its topic has the same weight
    for t, g in first.groupby("topic_id"):
        w = g.weight.round(6)
        assert list(g.tied) == list(w.duplicated(keep=False))
    assert not et.tied[et["rank"] > 1].any()


def test_catch_all_rule_and_ties_by_hand():
    from corpus_tools.topics import TopicFit

    # topic 0: four entries with nothing in common but words the other topics use (a catch-all);
    # topics 1 and 2: two entries each sharing their own words. Sizes 4, 2, 2 (mean 2.67).
    terms = np.array(["等保", "漏洞", "接口", "标准", "规划", "预算"])
    m = np.array([[1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 1, 0], [0, 0, 0, 1, 0, 1], [1, 0, 0, 0, 0, 1],
                  [1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0]])
    dtm = DocumentTermMatrix("entry", np.arange(1, 9), terms, sparse.csr_matrix(m))
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    w = np.full((8, 3), 0.1)
    w[np.arange(8), labels] = 0.8
    w[0, 0] = w[1, 0] = 0.7  # two tied members of topic 0 (the others 0.8 and 0.8: tied too)
    w[2, 0], w[3, 0] = 0.8, 0.75
    w = w / w.sum(1, keepdims=True)
    fit = TopicFit("consensus_nmf", 3, 0, labels, np.zeros((3, 6)), w)
    titles = pd.Series({i: f"问题{i}" for i in range(1, 9)})
    t = topic_tables(fit, dtm, titles=titles)
    topics = t["topics"].set_index("topic_id")
    assert list(topics.catch_all) == [True, False, False]
    assert topics.label[0].startswith("综合：") and not topics.label[1].startswith("综合：")
    # the representative member is the one with the highest score (cosine to the centroid), not the highest weight
    et = t["entry_topics"]
    mine = et[(et["rank"] == 1) & (et.topic_id == 0)].sort_values(["score", "entry_id"], ascending=[False, True])
    assert topics.representative_title[0] == f"问题{int(mine.entry_id.iloc[0])}"
    assert mine.score.iloc[0] > mine.score.iloc[1]
    first = t["entry_topics"][t["entry_topics"]["rank"] == 1].set_index("entry_id")
    assert list(first.tied[[1, 2, 3, 4]]) == [True, True, False, False]
    assert first.tied[[5, 6]].all()  # topic 1's two members have the same weight


def _three_groups(groups=(9, 8, 7), signal: float = 2.0, noise: float = 0.3, seed: int = 0) -> DocumentTermMatrix:
    """Documents of three groups, each using its own 8 of 30 words (Poisson ``signal``) over Poisson ``noise``."""
    rng = np.random.RandomState(seed)
    rows = []
    for g, n in enumerate(groups):
        for _ in range(n):
            v = rng.poisson(noise, 30).astype(float)
            v[g * 8:(g + 1) * 8] += rng.poisson(signal, 8)
            rows.append(v)
    m = sparse.csr_matrix(np.array(rows))
    return DocumentTermMatrix("entry", np.arange(1, m.shape[0] + 1), np.array([f"w{i}" for i in range(30)]), m)


@pytest.mark.parametrize("signal,noise,seed,ks", [(2.0, 0.3, 0, (2, 3, 4, 5, 6)), (2.0, 1.0, 0, (2, 3, 4, 5, 6)),
                                                 (2.0, 0.5, 3, (2, 3, 4, 5, 6)), (0.0, 1.0, 2, (4, 5, 6))])
def test_select_k_drops_a_k_only_when_the_rule_could_never_choose_it(signal, noise, seed, ks):
    """select_k stops fitting a k once one seed's consensus has a topic under 3 documents (choose_k's bar is the
    smallest topic over seeds). Against every seed fitted for every k (the bar set to 0 so nothing drops): the
    same k is chosen, every k still fitted has the same row, and each dropped k has a topic under 3. Pure noise
    (signal 0): no k is stable (k = 5, 6 have a topic under 3 at the first seed, k = 4 is unstable), the rule then
    compares every k, so every k gets all its seeds."""
    from unittest import mock

    from corpus_tools import topics

    dtm = _three_groups(signal=signal, noise=noise, seed=seed)
    _, fast = topics.select_k(dtm, ks, seed=seed, n_seeds=3, runs_per_seed=10, n_jobs=1)
    with mock.patch.object(topics, "MIN_TOPIC_SIZE", 0):
        _, full = topics.select_k(dtm, ks, seed=seed, n_seeds=3, runs_per_seed=10, n_jobs=1)
    assert choose_k(fast) == choose_k(full)
    kept = fast.n_seeds == 3
    pd.testing.assert_frame_equal(fast[kept].reset_index(drop=True), full[kept].reset_index(drop=True))
    assert (fast[~kept].min_topic_size < 3).all() and fast[~kept].stability_ari.isna().eq(fast[~kept].n_seeds == 1).all()
    assert (fast.n_fits == fast.n_seeds * 10).all()
    if signal == 0.0:
        assert not (full.stability_ari >= 0.8).any() and kept.all() and (full.min_topic_size < 3).any()
    else:
        assert (~kept).any()  # the test exercises the dropping


def test_single_precision_fits_give_the_double_precision_labels(booklet, tokens):
    """The fits read the tf-idf matrix in float32 (topics._fit_input, for speed). At the chosen k = 7, three seeds
    of 30 fits each label every entry as the same fits on the float64 matrix do."""
    from corpus_tools.topics import ConsensusNMF, _fit_input, nmf_run_labels

    tk, toks = tokens
    s = TopicSettings()
    dtm = document_term_matrix(toks, booklet, s.view, s.min_df, s.max_df, dict(s.weights), set(tk.names))
    X = _fit_input(dtm.tfidf())
    assert X.dtype == np.float32
    for seed in range(3):
        seeds = ConsensusNMF(7, 30, random_state=seed).run_seeds()
        single = nmf_run_labels(X, 7, seeds)
        double = nmf_run_labels(dtm.tfidf().toarray(), 7, seeds)
        assert single.shape == (68, 30) and np.array_equal(single, double)
