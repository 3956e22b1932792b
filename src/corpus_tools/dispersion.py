"""Where terms occur across the booklet's entries: the key terms of each group placed entry by entry (quanteda's
``textplot_xray``), and terms clustered by the entries they share (KH Coder's hierarchical cluster analysis of
words). Pure functions on tables; the figures are in :mod:`corpus_tools.plots.trends` and
:mod:`corpus_tools.plots.network`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

XRAY_COLUMNS = ["term", "group", "g2", "doc_freq", "entry_id", "position", "section"]
CLUSTER_COLUMNS = ["term", "entries", "entry_ids", "leaf", "cluster"]


def xray_terms(key: pd.DataFrame, groups: list, per_group: int = 2, min_docs: int = 2) -> pd.DataFrame:
    """The key terms of a group contrast: for each group of ``groups`` (booklet order) its ``per_group`` most
    over-used terms of the keyness table ``key`` (:func:`corpus_tools.trends.keyness`: G² > 0, p(G²) < 0.05,
    used in ≥ ``min_docs`` of the group's entries — the top of that group's keyness panel), by G² descending; a
    term key in several groups is counted for the group where its G² is highest. Columns ``term, group, g2,
    doc_freq``, groups in the order of ``groups``."""
    cols = ["term", "group", "g2", "doc_freq"]
    k = key[key.group.isin(list(groups)) & (key.p_g2 < 0.05) & (key.g2 > 0) & (key.doc_freq >= min_docs)]
    k = k.sort_values(["g2", "term"], ascending=[False, True], kind="stable").drop_duplicates("term")
    rows = [k[k.group == g].head(per_group)[cols] for g in groups]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def xray_table(tokens: pd.DataFrame, entries: pd.DataFrame, terms: pd.DataFrame) -> pd.DataFrame:
    """One row per (term, entry using it): the ticks of a dispersion plot. ``tokens``: an analysis view
    (``entry_id``, ``token``; the concept view, as keyness counts); ``entries``: the booklet's entries in booklet
    order (``position`` = 1-based place of the entry there, ``section`` its section); ``terms``: rows of
    :func:`xray_terms`, in the order they are drawn. Columns :data:`XRAY_COLUMNS`, terms in ``terms`` order,
    entries in booklet order."""
    pos = pd.DataFrame({"entry_id": entries.entry_id.astype("int64").to_numpy(),
                        "position": np.arange(1, len(entries) + 1), "section": entries.section.astype(str).to_numpy()})
    used = tokens[tokens.token.isin(set(terms.term))][["token", "entry_id"]].drop_duplicates()
    used = used.rename(columns={"token": "term"}).assign(entry_id=lambda d: d.entry_id.astype("int64"))
    out = terms.reset_index(drop=True).reset_index().merge(used, on="term").merge(pos, on="entry_id")
    return out.sort_values(["index", "position"], kind="stable")[XRAY_COLUMNS].reset_index(drop=True)


def term_clusters(tokens: pd.DataFrame, terms: list[str], n_clusters: int | None = None) -> pd.DataFrame:
    """Terms clustered by the entries they share: Jaccard distance between the sets of entries using each term
    (1 − |both| / |either|), average linkage (UPGMA, :func:`scipy.cluster.hierarchy.linkage`), leaves in the
    dendrogram's order (``leaf`` 0 = top), ``cluster`` = flat clusters of the tree cut into ``n_clusters``
    (default √(number of terms / 2), rounded; ``maxclust``) numbered in leaf order from 1 (leaf 0 is drawn at the
    bottom of a dendrogram set sideways). ``tokens``: an
    analysis view (``entry_id``, ``token``). Columns :data:`CLUSTER_COLUMNS` (``entry_ids``: the entries joined
    by ``;``), one row per term of ``terms`` that occurs, in leaf order."""
    docs = (tokens[tokens.token.isin(set(terms))][["token", "entry_id"]].drop_duplicates()
            .groupby("token").entry_id.apply(lambda s: sorted(int(x) for x in s)))
    names = [t for t in sorted(terms) if t in docs.index]
    if len(names) < 2:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    Z = linkage_of(names, [docs[t] for t in names])
    from scipy.cluster.hierarchy import fcluster, leaves_list

    k = n_clusters or max(2, int(round(np.sqrt(len(names) / 2))))
    flat = fcluster(Z, t=k, criterion="maxclust")
    order = list(leaves_list(Z))
    renumber: dict[int, int] = {}
    for i in order:
        renumber.setdefault(int(flat[i]), len(renumber) + 1)
    rows = [dict(term=names[i], entries=len(docs[names[i]]), entry_ids=";".join(map(str, docs[names[i]])),
                 leaf=leaf, cluster=renumber[int(flat[i])]) for leaf, i in enumerate(order)]
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


def linkage_of(terms: list[str], entry_ids: list) -> np.ndarray:
    """The average-linkage tree (scipy's linkage matrix, (n − 1) × 4) of ``terms`` by the Jaccard distance of
    their entry sets ``entry_ids`` (one list of entry ids per term)."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import pdist

    ids = sorted({int(e) for es in entry_ids for e in es})
    col = {e: j for j, e in enumerate(ids)}
    X = np.zeros((len(terms), len(ids)), dtype=bool)
    for i, es in enumerate(entry_ids):
        X[i, [col[int(e)] for e in es]] = True
    return linkage(pdist(X, metric="jaccard"), method="average")


def cluster_linkage(table: pd.DataFrame) -> np.ndarray:
    """The tree of a :func:`term_clusters` table, rebuilt from its rows (terms in alphabetical order, as
    :func:`term_clusters` built it)."""
    t = table.sort_values("term", kind="stable")
    return linkage_of(list(t.term), [[int(x) for x in str(s).split(";") if x] for s in t.entry_ids])
