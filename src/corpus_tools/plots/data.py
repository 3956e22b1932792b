"""The tables figures draw, without matplotlib: what a stage computes for a figure (the words of a comparison
cloud, the edges of the co-occurrence network, the cells of an answer matrix) and what a figure's data file holds
(``figures/data/<stem>.csv``: :data:`PLOTTED`). The pipeline's own process imports this module, and the figures
are drawn in worker processes (:class:`corpus_tools.study.PlotRef`): so a run's main process never imports
matplotlib. The figure modules that need one of these (:mod:`.trends`: ``keyness_rows``; :mod:`.codes`:
``ca_contributions``) import it from here."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd


def keyness_rows(key: pd.DataFrame, groups: list, n: int = 8, min_docs: int = 2,
                 group_entries: dict | None = None) -> pd.DataFrame:
    """The rows :func:`keyness_bars` draws, group by group in the order of ``groups``: the ``n`` most over-used
    terms (G² > 0, in ≥ ``min_docs`` of the group's entries) and the ``n`` most under-used, p(G²) < 0.05, each
    group's rows by signed G² (bottom to top of its panel); with ``group_entries``, a column ``n_group``."""
    parts = []
    for grp in groups:
        g = key[(key.group == grp) & (key.p_g2 < 0.05)]
        over = g[(g.g2 > 0) & (g.doc_freq >= min_docs)] if "doc_freq" in g else g[g.g2 > 0]
        parts.append(pd.concat([over.head(n), g[g.g2 < 0].tail(n)]).sort_values("g2", kind="stable"))
    out = pd.concat(parts) if parts else key.iloc[0:0]
    if group_entries is not None:
        out = out.assign(n_group=out.group.map(group_entries))
    return out


def ca_contributions(rows: pd.DataFrame, inertia: pd.DataFrame) -> pd.Series:
    """Each row point's contribution to the plane of dimensions 1–2 (Greenacre ch. 11): mass × (f₁² + f₂²) /
    (λ₁ + λ₂), a share in [0, 1] summing to 1 over all row points; indexed like ``rows``."""
    eig = list(inertia.sort_values("dim").eigenvalue[:2]) + [0.0, 0.0]
    plane = float(eig[0] + eig[1]) or 1.0
    return rows.mass * (rows.dim1 ** 2 + rows.dim2 ** 2) / plane


def ca_plotted(coords: pd.DataFrame, inertia: pd.DataFrame, *args, analysis: str | None = None, **kwargs):
    """The data file of a CA map: its points with each row point's contribution to the plane and its rank (the
    double-column map draws ranks 1–30, the single-column 1–20; column points have no rank)."""
    if analysis is not None:
        coords = coords[coords["analysis"] == analysis]
        inertia = inertia[inertia["analysis"] == analysis]
    kinds = list(dict.fromkeys(coords.kind))
    rows = coords[coords.kind == kinds[0]]
    ctr = ca_contributions(rows, inertia)
    rank = ctr.rank(ascending=False, method="first")
    return coords.assign(contribution=ctr.reindex(coords.index), rank=rank.reindex(coords.index).astype("Int64"))


SHARE_COLUMNS = ["code", "cohort", "n_entries", "n_code", "share", "ci_low", "ci_high", "trend_z", "trend_q",
                 "within_units_p"]


def cloud_table(clouds: pd.DataFrame, tokens: pd.DataFrame, entries: pd.DataFrame, by: str, groups: list,
                n: int = 20, min_entries: int = 2) -> pd.DataFrame:
    """The words a comparison cloud draws, as a table: ``group, term, g2, count, entries, n_group`` — for each of
    ``groups`` (in that order) its ``n`` most key terms of ``clouds`` (a :func:`corpus_tools.terms.distinctive_terms`
    table: p < 0.05, over-used, by G²), with the entries of the group using the term (``entries``, counted in
    ``tokens``, an analysis view) out of the group's ``n_group`` entries; a word in fewer than ``min_entries`` of
    the group's entries is left out (one long answer does not make a key word). ``entries`` holds ``entry_id``
    and ``by``. This table is the figure's data file (``rank``: the word's place in its group, 1 = largest)."""
    cols = ["group", "rank", "term", "g2", "count", "entries", "n_group"]
    e = entries[["entry_id", by]].dropna()
    key = e.set_index("entry_id")[by].astype(str)
    t = tokens[["entry_id", "token"]].assign(group=lambda d: key.reindex(d.entry_id.astype(int)).to_numpy())
    docs = t.dropna(subset=["group"]).drop_duplicates(["group", "token", "entry_id"]).groupby(
        ["group", "token"]).size()
    sizes = key.value_counts()
    parts = []
    for g in groups:
        c = clouds[clouds.group.astype(str) == str(g)].sort_values(["g2", "term"], ascending=[False, True],
                                                                  kind="stable")
        used = np.array([int(docs.get((str(g), str(x)), 0)) for x in c.term], dtype=int)
        c, used = c[used >= min_entries].head(n), used[used >= min_entries][:n]
        parts.append(pd.DataFrame({
            "group": str(g), "rank": np.arange(1, len(c) + 1), "term": c.term.astype(str).to_numpy(),
            "g2": c.g2.astype(float).to_numpy(), "count": c["count"].astype(int).to_numpy(), "entries": used,
            "n_group": int(sizes.get(str(g), 0))}))
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


NOUN_TAGS = ("n", "vn", "eng", "nz", "j")  # jieba tags of nouns, verbal nouns, English terms, abbreviations


def cooccurrence_threshold(tokens, min_entries: int = 3, max_terms: int = 75, tags=NOUN_TAGS,
                           vague: tuple[str, ...] | None = None) -> tuple[int, "pd.Series"]:
    """The words of the co-occurrence network and the entry threshold that chose them: nouns (POS ``tags``) not in
    ``vague`` (default ``resources/network_vague_words.txt``), used in at least ``k`` entries, where ``k`` is the
    smallest value ≥ ``min_entries`` that leaves at most ``max_terms`` words (KH Coder picks its default minimum
    frequency the same way, so that the network holds a readable number of words). Returns ``(k, entries)``:
    ``entries`` maps each chosen word to the frozenset of its entry ids."""
    from ..resources import load_list

    vague = set(load_list("network_vague_words.txt") if vague is None else vague)
    t = tokens[tokens.pos.astype(str).isin(tags)][["entry_id", "token"]].astype({"token": str}).drop_duplicates()
    t = t[~t.token.isin(vague)]
    docs = t.groupby("token").entry_id.apply(frozenset)
    sizes = docs.map(len)
    k = int(min_entries)
    while (sizes >= k).sum() > max_terms:
        k += 1
    return k, docs[sizes >= k]


def cooccurrence_edges(tokens, min_entries: int = 3, n_edges: int = 60, seed: int = 0, tags=NOUN_TAGS,
                       max_terms: int = 75, min_both: int = 2, vague: tuple[str, ...] | None = None):
    """KH Coder's co-occurrence network as a table of edges: the words of :func:`cooccurrence_threshold` (nouns,
    vague words left out, used in ≥ ``min_entries`` entries, the threshold raised until at most ``max_terms``
    words remain), the ``n_edges`` pairs with the highest Jaccard coefficient over entries (|entries with both| /
    |entries with either|; ties by pair) among the pairs that share at least ``min_both`` entries (a pair seen in
    one entry only says nothing), and for each word its community (greedy modularity on the Jaccard-weighted graph
    of those edges, numbered by size, largest 0) and its entries. Columns ``term_a, term_b, jaccard, both,
    entries_a, entries_b, community_a, community_b, min_entries`` (the threshold used, the same in every row)."""
    import itertools

    import networkx as nx

    cols = ["term_a", "term_b", "jaccard", "both", "entries_a", "entries_b", "community_a", "community_b",
            "min_entries"]
    k, docs = cooccurrence_threshold(tokens, min_entries, max_terms, tags, vague)
    rows = []
    for a, b in itertools.combinations(sorted(docs.index), 2):
        both = len(docs[a] & docs[b])
        if both >= max(min_both, 1):
            rows.append((a, b, both / len(docs[a] | docs[b]), both))
    if not rows:
        return pd.DataFrame(columns=cols)
    e = pd.DataFrame(rows, columns=["term_a", "term_b", "jaccard", "both"])
    e = e.sort_values(["jaccard", "both", "term_a", "term_b"], ascending=[False, False, True, True],
                      kind="stable").head(n_edges).reset_index(drop=True)
    G = nx.Graph()
    G.add_weighted_edges_from(e[["term_a", "term_b", "jaccard"]].itertuples(index=False))
    comms = nx.community.greedy_modularity_communities(G, weight="weight")
    comms = sorted((sorted(c) for c in comms), key=lambda c: (-len(c), c[0]))
    community = {n: i for i, c in enumerate(comms) for n in c}
    return e.assign(entries_a=e.term_a.map(lambda x: len(docs[x])), entries_b=e.term_b.map(lambda x: len(docs[x])),
                    community_a=e.term_a.map(community), community_b=e.term_b.map(community), min_entries=k)[cols]


def answer_matrix(turns, entries, by: str, groups: list | None = None, names: dict | None = None):
    """Who answered what, as a long table ``instructor, group, entries``: the entries each instructor answered
    (at least one turn with role "instructor"), counted per value of ``entries[by]`` (section, cohort, topic_id
    …; an entry counts once per instructor). ``groups`` fixes the column order (default: order of appearance);
    ``names`` maps a group to its column label. Rows: instructors by entries answered (most first), then name."""
    t = turns[turns.role == "instructor"][["entry_id", "speaker"]].drop_duplicates()
    e = entries[["entry_id", by]].dropna()
    m = t.merge(e, on="entry_id")
    groups = list(groups) if groups is not None else list(dict.fromkeys(e[by]))
    counts = m.groupby(["speaker", by]).entry_id.nunique()
    totals = m.groupby("speaker").entry_id.nunique()
    people = sorted(totals.index, key=lambda p: (-int(totals[p]), str(p)))
    rows = [dict(instructor=str(p), group=str((names or {}).get(g, g)), entries=int(counts.get((p, g), 0)))
            for p in people for g in groups]
    return pd.DataFrame(rows, columns=["instructor", "group", "entries"])


def _first(table, *args, **kwargs):
    """The data file of a figure that draws its first argument as given (a table of words, edges, cells …)."""
    return table


def keyness_plotted(key, groups, *args, **kwargs):
    """The data file of :func:`corpus_tools.plots.trends.keyness_bars`: the rows of the double-column version."""
    return keyness_rows(key, groups, 8, kwargs.get("min_docs", 2), kwargs.get("group_entries"))


def code_heatmap_plotted(crosstab, *args, by=None, **kwargs):
    """The data file of :func:`corpus_tools.plots.codes.code_heatmap`: the cells drawn (the rows of one grouping)."""
    if by is None and len(args) <= 2:
        return crosstab
    return crosstab[crosstab["by"] == (by if by is not None else args[2])]


def code_share_plotted(shares, *args, **kwargs):
    """The data file of :func:`corpus_tools.plots.codes.code_share_dots`: the dots and lines drawn."""
    return shares[SHARE_COLUMNS]


#: figure function (``module.name`` under corpus_tools.plots) → the table it draws, from the same arguments; a
#: figure not listed gets its source table as its data file
PLOTTED: dict[str, Callable] = {
    "topics.comparison_cloud": _first,  # exactly the words offered
    "trends.keyness_bars": keyness_plotted,
    "trends.xray_plot": _first,  # one row per tick drawn
    "network.answer_matrix_figure": _first,  # the cells drawn
    "network.cooccurrence_figure": _first,  # the edges drawn
    "network.term_dendrogram": _first,  # the leaves drawn
    "codes.ca_biplot": ca_plotted,
    "codes.code_heatmap": code_heatmap_plotted,
    "codes.code_share_dots": code_share_plotted,
}


def plotted_data(fn) -> Callable | None:
    """The :data:`PLOTTED` function of a figure function (a :class:`corpus_tools.study.PlotRef` or the function
    itself), or None."""
    module, name = getattr(fn, "module", None), getattr(fn, "name", None)
    if module is None or name is None:
        module, name = getattr(fn, "__module__", ""), getattr(fn, "__name__", "")
    return PLOTTED.get(f"{module.rsplit('.', 1)[-1]}.{name}")
