"""Stage 4 — tokens → document–term matrices, for two document views of each entry:

- ``question``: the title plus the opening question (the trainee turns before the first answer);
- ``entry``: the title plus every turn.

Matrices are built with scikit-learn's ``CountVectorizer`` on the already segmented tokens (``analyzer`` is the
identity), so its default ``token_pattern`` — which drops single Chinese characters and splits nothing Chinese
correctly — never sees the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

VIEWS = ("question", "entry")


def _identity(doc: list[str]) -> list[str]:
    return doc


@dataclass(frozen=True)
class DocumentTermMatrix:
    """Counts: ``matrix[i, j]`` = occurrences of ``terms[j]`` in document ``doc_ids[i]`` (an entry)."""

    view: str
    doc_ids: np.ndarray  # entry_id per row, shape (n_docs,)
    terms: np.ndarray  # shape (n_terms,)
    matrix: sparse.csr_matrix  # shape (n_docs, n_terms), int counts

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def tfidf(self, sublinear_tf: bool = True) -> sparse.csr_matrix:
        """tf-idf weights (l2-normalised rows), same shape as ``matrix``."""
        return TfidfTransformer(sublinear_tf=sublinear_tf).fit_transform(self.matrix).tocsr()



def token_parts(tokens: pd.DataFrame, turns: pd.DataFrame) -> pd.Series:
    """Which part of its entry each token comes from: "title", "question" (the opening question's turns, as
    ``turns.is_question`` marks them) or "answer" (every other turn)."""
    question = set(zip(turns.entry_id[turns.is_question], turns.turn_no[turns.is_question]))
    parts = ["title" if t == 0 else ("question" if (e, t) in question else "answer")
             for e, t in zip(tokens.entry_id, tokens.turn_no)]
    return pd.Series(parts, index=tokens.index, dtype="string")


def documents(tokens: pd.DataFrame, booklet, view: str, weights: dict[str, int] | None = None,
              exclude: set[str] | frozenset[str] = frozenset()) -> tuple[np.ndarray, list[list[str]]]:
    """Entry ids and their token lists for ``view``: "question" (title + opening question) or "entry" (all).

    ``weights`` repeats the tokens of each part (e.g. ``{"title": 3, "question": 2, "answer": 1}``): the title and
    the question state what an entry is about, long answers wander. ``exclude`` drops tokens (e.g. names)."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {VIEWS}")
    weights = {"title": 1, "question": 1, "answer": 1, **(weights or {})}
    parts = token_parts(tokens, booklet.turns)
    keep = parts != "answer" if view == "question" else pd.Series(True, index=tokens.index)
    keep &= ~tokens.token.isin(list(exclude))
    ids = booklet.entries.entry_id.to_numpy()
    docs: dict[int, list[str]] = {int(i): [] for i in ids}
    for e, tok, part in zip(tokens.entry_id[keep], tokens.token[keep], parts[keep]):
        docs[int(e)].extend([tok] * weights[part])
    return ids, [docs[int(i)] for i in ids]


def document_term_matrix(tokens: pd.DataFrame, booklet, view: str = "entry", min_df: int = 1,
                         max_df: float = 1.0, weights: dict[str, int] | None = None,
                         exclude: set[str] | frozenset[str] = frozenset()) -> DocumentTermMatrix:
    """Count matrix for one view. ``min_df``/``max_df`` as in scikit-learn (documents, or a share of them)."""
    ids, docs = documents(tokens, booklet, view, weights, exclude)
    vec = CountVectorizer(analyzer=_identity, lowercase=False, min_df=min_df, max_df=max_df)
    m = vec.fit_transform(docs).tocsr()
    return DocumentTermMatrix(view, ids, vec.get_feature_names_out(), m)
