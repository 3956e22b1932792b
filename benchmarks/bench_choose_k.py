"""Choosing k: the fast selection (3 seeds × 30 NMF fits per k at tol 1e-2, pooled into the final model) against
the earlier procedure (3 seeds × 30 fits per k at tol 1e-3, then a 30-fit refit), on the bundled booklet.

    .venv/bin/python benchmarks/bench_choose_k.py

Prints, for each procedure: seconds, the chosen k, its stability (pairwise ARI across seeds) and the AMI of the
final model against the editors' sections (mean over final-model seeds 0..4)."""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score

import corpus_tools as ct
from corpus_tools.features import document_term_matrix
from corpus_tools.paths import DEFAULT_BOOKLET
from corpus_tools.topics import (ConsensusNMF, TopicSettings, _scores, choose_k, fit_topics, select_and_fit)

import pandas as pd


def old_procedure(dtm, reference, ks, seed=0):
    X = dtm.tfidf()
    rows = []
    for k in ks:
        fits = []
        for s in range(3):
            est = ConsensusNMF(k, 30, tol=1e-3, random_state=seed + s).fit(X)
            fits.append(fit_topics(dtm, "consensus_nmf", k, seed + s, run_labels=est.run_labels_))
        rows.append(dict(model="consensus_nmf", k=k, **_scores(fits, dtm, k, reference, 10)))
    comp = pd.DataFrame(rows)
    return choose_k(comp), comp


def main() -> None:
    from corpus_tools.terms import build_tokens
    from corpus_tools.text import analysis_tokens

    b = ct.read_booklet(DEFAULT_BOOKLET)
    toks = analysis_tokens(build_tokens(b).tokens, "token")  # the words the topics stage uses
    s = TopicSettings()
    dtm = document_term_matrix(toks, b, s.view, s.min_df, s.max_df, dict(s.weights))
    ref = b.entries.section.to_numpy()
    t = time.perf_counter()
    fit, comp = select_and_fit(dtm, s, 0, reference=ref)
    t_new = time.perf_counter() - t
    amis = [adjusted_mutual_info_score(ref, select_and_fit(dtm, TopicSettings(k=fit.k), seed, None)[0].labels)
            for seed in range(5)]
    row = comp[comp.k == fit.k].iloc[0]
    print(f"fast: {t_new:.1f} s, k = {fit.k}, stability {row.stability_ari:.3f}, "
          f"AMI of final model {np.mean(amis):.3f} (min {np.min(amis):.3f}) over seeds 0..4")
    t = time.perf_counter()
    k_old, comp_old = old_procedure(dtm, ref, s.ks)
    t_old = time.perf_counter() - t
    X = dtm.tfidf()
    amis_old = [adjusted_mutual_info_score(ref, ConsensusNMF(k_old, 30, tol=1e-3, random_state=seed).fit(X).labels_)
                for seed in range(5)]
    r = comp_old[comp_old.k == k_old].iloc[0]
    print(f"earlier: {t_old:.1f} s, k = {k_old}, stability {r.stability_ari:.3f}, "
          f"AMI of final model {np.mean(amis_old):.3f} (min {np.min(amis_old):.3f}) over seeds 0..4")
    print(comp.round(3).to_string())
    print(comp_old.round(3).to_string())


if __name__ == "__main__":
    main()
