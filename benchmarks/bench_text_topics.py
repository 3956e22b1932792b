"""Tokens + matrices + the chosen topic model on the booklet, against bare jieba segmentation of the same text,
measured in one run (target: ≤ 3× bare segmentation). Also the time of choosing k.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_text_topics.py``).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from _timing import median_seconds

from corpus_tools import read_booklet
from corpus_tools.features import document_term_matrix
from corpus_tools.text import tokenizer_for, tokens_table
from corpus_tools.topics import TopicSettings, fit_topics, select_and_fit

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    warnings.simplefilter("ignore")
    b = read_booklet(ROOT / "data" / "raw" / "hit_cio_training_qa.txt")
    tk = tokenizer_for(b)
    texts = [*b.entries.title, *b.turns.text]
    tk.jieba.lcut("预热")  # dictionary loaded once, outside the timings
    s = TopicSettings()
    bare = median_seconds(lambda: [tk.jieba.lcut(t) for t in texts])
    tokens = tokens_table(b, tk)
    t_tokens = median_seconds(lambda: tokens_table(b, tk))
    t_dtm = median_seconds(lambda: document_term_matrix(tokens, b, s.view, s.min_df, s.max_df, dict(s.weights),
                                                set(tk.names)))
    dtm = document_term_matrix(tokens, b, s.view, s.min_df, s.max_df, dict(s.weights), set(tk.names))
    t0 = time.perf_counter()
    fit, _ = select_and_fit(dtm, s, seed=0)
    t_select = time.perf_counter() - t0
    t_model = median_seconds(lambda: fit_topics(dtm, s.model, fit.k, 0, n_runs=s.n_runs))
    total = t_tokens + t_dtm + t_model
    print(f"bare jieba segmentation      {bare:8.3f} s")
    print(f"tokens table                 {t_tokens:8.3f} s")
    print(f"document-term matrix         {t_dtm:8.3f} s")
    print(f"chosen model (k={fit.k}, {s.n_runs} NMF runs) {t_model:8.3f} s")
    print(f"tokens + matrix + model      {total:8.3f} s  = {total / bare:.1f}× bare segmentation (target ≤ 3×)")
    print(f"choosing k ({len(s.ks)} k × {len(s.selection_seeds)} seeds) {t_select:8.3f} s (once per booklet)")


if __name__ == "__main__":
    main()
