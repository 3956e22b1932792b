"""Stage 5d — speaker–topic networks: who asks, who answers, about what.

Graphs (networkx), built from the tables; every node has ``label`` and ``type`` attributes, every edge ``weight``:

- ``instructor_topic``: instructor — topic (bipartite); weight = entries of the topic the instructor answers in;
  ``answer_chars`` and ``answer_share`` = the instructor's share of all answer text in that topic;
- ``trainee_topic`` and ``hospital_topic``: trainee / hospital — topic (bipartite); weight = entries;
- ``trainee_instructor``: trainee → instructor (directed); weight = entries where the instructor answered the
  trainee's question;
- ``instructor_coanswer``: instructor — instructor; weight = entries both answer in;
- ``term_cooccurrence``: the top keywords; weight = turns in which both occur.

Trainees are real people: with ``anonymise=True`` every trainee is shown as their stable code from the people
table (T01, T02 … in order of first appearance), the same in every table, figure and run; instructors stay named.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from .stats import npmi
from .text import xml_safe  # the one XML character rule of every output (figures and pages too)

GRAPHS = ("instructor_topic", "trainee_topic", "hospital_topic", "trainee_instructor", "instructor_coanswer",
          "term_cooccurrence")


def trainee_names(people: pd.DataFrame, anonymise: bool) -> dict[str, str]:
    """Display name of each trainee: the name, or the stable person code when anonymising."""
    t = people[people.role == "trainee"]
    return {n: (pid if anonymise else n) for n, pid in zip(t.name, t.person_id)}


def _topic_node(t: int) -> str:
    return f"topic:{t}"


def _add_topics(G: nx.Graph, topics: pd.DataFrame) -> None:
    for r in topics.itertuples():
        G.add_node(_topic_node(int(r.topic_id)), label=f"主题{int(r.topic_id)} {r.label}", type="topic",
                   size=int(r.size))


def _assigned(entry_topics: pd.DataFrame) -> dict[int, int]:
    first = entry_topics[entry_topics["rank"] == 1]
    return dict(zip(first.entry_id, first.topic_id))


def instructor_topic(turns: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame) -> nx.Graph:
    G = nx.Graph(name="instructor_topic")
    _add_topics(G, topics)
    topic_of = _assigned(entry_topics)
    ans = turns[turns.role == "instructor"].assign(topic=lambda d: d.entry_id.map(topic_of),
                                                   chars=lambda d: d.text.str.len())
    topic_chars = ans.groupby("topic").chars.sum()
    for (name, topic), g in ans.groupby(["speaker", "topic"], sort=True):
        if name not in G:
            G.add_node(name, label=name, type="instructor")
        G.add_edge(name, _topic_node(int(topic)), weight=int(g.entry_id.nunique()), answer_chars=int(g.chars.sum()),
                   answer_share=float(g.chars.sum() / topic_chars[topic]))
    _volumes(G)
    return G


def _participant_topic(kind: str, pairs: list[tuple[str, int]], topics: pd.DataFrame, name: str) -> nx.Graph:
    G = nx.Graph(name=name)
    _add_topics(G, topics)
    counts: dict[tuple[str, int], set] = {}
    for who, topic, entry in pairs:
        counts.setdefault((who, topic), set()).add(entry)
    for (who, topic), entries in sorted(counts.items()):
        if who not in G:
            G.add_node(who, label=who, type=kind)
        G.add_edge(who, _topic_node(int(topic)), weight=len(entries))
    _volumes(G)
    return G


def trainee_topic(askers: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame,
                  names: dict[str, str]) -> nx.Graph:
    topic_of = _assigned(entry_topics)
    a = askers[(askers.role == "trainee") & (askers.name != "")]
    return _participant_topic("trainee", [(names.get(n, n), topic_of[e], e) for n, e in zip(a.name, a.entry_id)],
                              topics, "trainee_topic")


def hospital_topic(askers: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame) -> nx.Graph:
    topic_of = _assigned(entry_topics)
    a = askers[(askers.role == "trainee") & (askers.hospital_canonical != "")]
    return _participant_topic("hospital", [(h, topic_of[e], e) for h, e in zip(a.hospital_canonical, a.entry_id)],
                              topics, "hospital_topic")


def _answering(entries: pd.DataFrame) -> dict[int, list[str]]:
    """Instructors answering in each entry, from ``entries.answered_by`` (an instructor who only asks the
    entry's question is not among them)."""
    return {e: [n for n in str(a).split("、") if n] for e, a in zip(entries.entry_id, entries.answered_by)}


def trainee_instructor(askers: pd.DataFrame, entries: pd.DataFrame, names: dict[str, str]) -> nx.DiGraph:
    """Trainee → instructor: in each entry, every named trainee is linked to every instructor answering there."""
    G = nx.DiGraph(name="trainee_instructor")
    answering = _answering(entries)
    weights: dict[tuple[str, str], int] = {}
    for name, e, role in zip(askers.name, askers.entry_id, askers.role):
        if not name or role != "trainee":
            continue
        for instr in answering.get(e, []):
            key = (names.get(name, name), instr)
            weights[key] = weights.get(key, 0) + 1
    for (t, i), w in sorted(weights.items()):
        G.add_node(t, label=t, type="trainee")
        G.add_node(i, label=i, type="instructor")
        G.add_edge(t, i, weight=w)
    _volumes(G)
    return G


def instructor_coanswer(entries: pd.DataFrame) -> nx.Graph:
    """Instructor — instructor, weight = entries both answer in."""
    G = nx.Graph(name="instructor_coanswer")
    answering = _answering(entries)
    for name in dict.fromkeys(n for names in answering.values() for n in names):
        G.add_node(name, label=name, type="instructor")
    for names in answering.values():
        for a, b in itertools.combinations(sorted(set(names)), 2):
            w = G.edges[a, b]["weight"] + 1 if G.has_edge(a, b) else 1
            G.add_edge(a, b, weight=w)
    _volumes(G)
    return G


def term_cooccurrence(tokens: pd.DataFrame, n_terms: int = 40, min_npmi: float = 0.25,
                      min_count: int = 2) -> nx.Graph:
    """Top ``n_terms`` keywords by the number of turns using them; an edge when two occur in the same turn at
    least ``min_count`` times *and* more often than chance: NPMI (turns as windows) ≥ ``min_npmi``. Edge
    ``weight`` = turns with both, ``npmi`` = the association. Without the NPMI filter every frequent pair is
    linked and the graph is a hairball."""
    from scipy import sparse

    t = tokens[tokens.entry_id.notna() & tokens.turn_no.notna()]
    turn = t.groupby(["entry_id", "turn_no"], sort=False).ngroup().to_numpy()
    n = int(turn.max()) + 1 if len(turn) else 0  # turns (windows)
    used = pd.DataFrame(dict(turn=turn, token=t.token.astype(object).to_numpy())).drop_duplicates()
    counts = used.token.value_counts()
    df = dict(zip(counts.index, counts.to_numpy()))  # turns using each term
    top = sorted(df, key=lambda w: (-df[w], w))[:n_terms]
    # turns × top terms (terms in sorted order): co-occurrence counts of every pair a < b in one product
    cols = sorted(top)
    sel = used[used.token.isin(set(top))]
    X = sparse.csr_matrix((np.ones(len(sel), dtype=np.int64),
                           (sel.turn.to_numpy(), pd.Index(cols).get_indexer(sel.token.to_numpy()))),
                          shape=(n, len(cols)))
    co = np.asarray((X.T @ X).todense())
    pairs = {(cols[i], cols[j]): int(co[i, j]) for i, j in zip(*np.nonzero(np.triu(co, 1)))}
    G = nx.Graph(name="term_cooccurrence")
    for t in top:
        G.add_node(t, label=t, type="term", size=int(df[t]))
    for (a, b), c in sorted(pairs.items()):
        association = float(npmi(c / n, df[a] / n, df[b] / n))
        if c >= min_count and association >= min_npmi:
            G.add_edge(a, b, weight=c, npmi=round(association, 6))
    return G


def ordered_subgraph(G: nx.Graph, nodes) -> nx.Graph:
    """A copy of the subgraph on ``nodes`` with nodes and edges in ``G``'s order. (``G.subgraph`` iterates a set
    of the nodes when they are few, so its order — and any layout or solver fed with it — changes with Python's
    hash seed from one process to the next.)"""
    keep = set(nodes)
    sub = G.__class__()
    sub.add_nodes_from((n, d) for n, d in G.nodes(data=True) if n in keep)
    sub.add_edges_from((a, b, d) for a, b, d in G.edges(data=True) if a in keep and b in keep)
    return sub


def _volumes(G: nx.Graph) -> None:
    for n in G.nodes:
        G.nodes[n].setdefault("size", int(G.degree(n, weight="weight")))


# ---------------------------------------------------------------- measures

def measures(G: nx.Graph, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """Per node: weighted degree, betweenness (distance = 1/weight), eigenvector centrality (within the node's
    connected component), Louvain community (fixed seed). Returns the node table and the partition's
    modularity."""
    U = G.to_undirected() if G.is_directed() else G.copy()  # the caller's graph is left as it was
    if U.number_of_edges() == 0:
        nodes = pd.DataFrame(dict(node=list(G.nodes)))
        return nodes.assign(strength=0.0, betweenness=0.0, eigenvector=0.0, community=-1), float("nan")
    for a, b, d in U.edges(data=True):
        d["distance"] = 1.0 / d["weight"]
    btw = nx.betweenness_centrality(U, weight="distance", normalized=True)
    eig = {n: 0.0 for n in U}  # computed within each connected component; isolated nodes get 0
    for comp in nx.connected_components(U):
        if len(comp) > 2:
            eig.update(nx.eigenvector_centrality_numpy(ordered_subgraph(U, comp), weight="weight"))
        elif len(comp) == 2:
            eig.update({n: math.sqrt(0.5) for n in comp})
    comms = nx.community.louvain_communities(U, weight="weight", seed=seed)
    comms = sorted((sorted(c) for c in comms), key=lambda c: (-len(c), c[0]))
    member = {n: k for k, c in enumerate(comms) for n in c}
    modularity = nx.community.modularity(U, comms, weight="weight")
    rows = []
    for n, d in G.nodes(data=True):
        rows.append(dict(node=n, label=d.get("label", n), type=d.get("type", ""), size=d.get("size", 0),
                         strength=float(G.degree(n, weight="weight")), betweenness=round(float(btw[n]), 10),
                         # rounded: the eigen-solver's last digits vary between runs, the files must not
                         eigenvector=round(float(abs(eig[n])), 10), community=member.get(n, -1)))
    return pd.DataFrame(rows), float(modularity)


def specialisation(G: nx.Graph, n_topics: int, min_entries: int = 3) -> pd.DataFrame:
    """Per instructor of an instructor–topic graph who answers in ≥ ``min_entries`` entries (below that the
    measure says nothing: one entry is always "fully specialised"): entries, topics, normalised entropy of the
    topic distribution (0 = all in one topic, 1 = spread evenly over all topics) and specialisation = 1 − entropy."""
    rows = []
    for n, d in G.nodes(data=True):
        if d.get("type") != "instructor":
            continue
        w = np.array([G.edges[n, t]["weight"] for t in G.neighbors(n)], dtype=float)
        if w.sum() < min_entries:
            continue
        p = w / w.sum()
        h = max(0.0, float(-(p * np.log(p)).sum() / math.log(n_topics))) if n_topics > 1 else 0.0
        rows.append(dict(instructor=n, n_entries=int(w.sum()), n_topics=len(w), entropy=h, specialisation=1 - h))
    out = pd.DataFrame(rows, columns=["instructor", "n_entries", "n_topics", "entropy", "specialisation"])
    return out.sort_values(["n_topics", "n_entries", "instructor"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def session_keys(entries: pd.DataFrame) -> pd.Series:
    """The session each entry was asked in, indexed by entry_id: cohort + unit (``第1期·第11单元 医学信息标准``) or
    cohort + discussion class (``第3期·答疑讨论课（第1次）``), as :func:`corpus_tools.curriculum.unit_label` names
    them. Entries of one session share its instructors, so instructors are compared between topics within sessions."""
    from .curriculum import unit_label

    no = entries["session_no"] if "session_no" in entries else pd.Series(np.nan, index=entries.index)
    keys = [unit_label(c, "unit" if s == "unit" else "discussion", n, t, sn)
            for c, s, n, t, sn in zip(entries.cohort, entries.session_type, entries.unit_no, entries.unit_title, no)]
    return pd.Series(keys, index=entries.entry_id.astype("int64").to_numpy(), dtype=object)


DEPENDENCE_COLUMNS = ["topic_id", "label", "instructor", "rank", "tie", "n_entries", "k", "share", "base_share",
                      "lift", "p_overall", "n_sessions", "session_entries", "session_k", "rest_entries", "rest_k",
                      "rest_share", "varying_sessions", "varying_session_names", "varying_topic_entries",
                      "varying_topic_k", "varying_rest_entries", "varying_rest_k", "expected",
                      "or_mh", "p_cmh", "p_value", "q_value", "flagged"]


def topic_dependence(entries: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame, min_entries: int = 3,
                     alpha: float = 0.05) -> pd.DataFrame:
    """Does a topic rest on an instructor more than the sessions its questions were asked in explain?

    One row per topic and instructor who answers in ≥ ``min_entries`` entries overall and in ≥ 1 of the topic's
    ``n_entries`` entries (``k`` of them, ``share`` = k / n_entries; ``rank`` 1 = answers most of the topic's
    entries, tied instructors share a rank and ``tie``). Overall: ``base_share`` = the instructor's share of all
    entries, ``lift`` = share / base_share, ``p_overall`` = P(X ≥ k), X hypergeometric (as many of the topic's
    entries by chance, ignoring sessions).

    Within sessions (a session = cohort + unit, or cohort + discussion class; :func:`session_keys`): every session
    with entries both in and out of the topic is a stratum, a 2×2 table (in topic / not × answered by the
    instructor / not). ``n_sessions`` such strata, ``session_entries`` entries in them, ``session_k`` of which the
    instructor answers; ``rest_entries`` = those strata's entries outside the topic, ``rest_k`` = the instructor's
    among them, ``rest_share`` = rest_k / rest_entries; ``varying_sessions`` = the strata in which the instructor
    answers some but not all entries, the only ones the exact test learns from (``varying_session_names``, their
    names joined by "、"), with ``varying_topic_entries`` / ``varying_topic_k`` and ``varying_rest_entries`` /
    ``varying_rest_k`` counted in them alone;
    ``expected`` = Σ E(a) of the topic entries the instructor would answer if within a session the topic made no
    difference; ``or_mh`` = Mantel–Haenszel common odds ratio; ``p_cmh`` = CMH χ² (continuity-corrected);
    ``p_value`` = the exact conditional (stratified) test, two-sided (:func:`corpus_tools.stats.stratified_exact_test`);
    ``q_value`` = Benjamini–Hochberg over all rows; ``flagged`` = p_value < ``alpha`` and k > expected (the topic
    leans on the instructor — an instructor answering *fewer* of a topic than their sessions would give is not a
    dependence), whatever the share. NaN p where no stratum varies (e.g. the instructor answers every entry of
    the topic's sessions)."""
    from .stats import bh_qvalues, hypergeom_upper

    answering = _answering(entries)
    ids = entries.entry_id.astype("int64").to_numpy()
    N = len(ids)
    session = session_keys(entries)
    place = _session_order(entries, session)
    topic_of = {int(e): int(t) for e, t in _assigned(entry_topics).items()}
    totals: dict[str, int] = {}
    for e in ids:
        for who in set(answering.get(e, [])):
            totals[who] = totals.get(who, 0) + 1
    instructors = sorted(i for i, n in totals.items() if n >= min_entries)
    rows = []
    for r in topics.sort_values("topic_id").itertuples():
        t = int(r.topic_id)
        in_topic = np.array([topic_of.get(int(e)) == t for e in ids])
        size = int(in_topic.sum())
        strata = [s for s in pd.unique(session.loc[ids[in_topic]]) if ((session == s).to_numpy() & ~in_topic).any()]
        strata.sort(key=place.__getitem__)  # in course order
        strata_mask = session.isin(strata).to_numpy()
        masks = {s: (session == s).to_numpy() for s in strata}
        counts = {}
        for who in instructors:
            by = np.array([who in answering.get(int(e), ()) for e in ids])
            k = int((by & in_topic).sum())
            if k:
                counts[who] = by
        ks = {who: int((by & in_topic).sum()) for who, by in counts.items()}
        order = sorted(set(ks.values()), reverse=True)
        for who, by in counts.items():
            k = ks[who]
            expected, p_cmh, odds, p_exact = _within_sessions(strata, session, in_topic, by)
            rest = strata_mask & ~in_topic
            varying = [s for s in strata if 0 < int((by & masks[s]).sum()) < int(masks[s].sum())]
            vary = np.logical_or.reduce([masks[s] for s in varying]) if varying else np.zeros(N, dtype=bool)
            base = totals[who] / N
            rows.append(dict(
                topic_id=t, label=r.label, instructor=who, rank=order.index(k) + 1,
                tie=sum(v == k for v in ks.values()) > 1, n_entries=size, k=k, share=k / size, base_share=base,
                lift=(k / size) / base, p_overall=float(hypergeom_upper(k, N, totals[who], size)),
                n_sessions=len(strata), session_entries=int(strata_mask.sum()),
                session_k=int((strata_mask & by).sum()),
                rest_entries=int(rest.sum()), rest_k=int((rest & by).sum()),
                rest_share=float((rest & by).sum() / rest.sum()) if rest.any() else np.nan,
                varying_sessions=len(varying), varying_session_names="、".join(varying),
                varying_topic_entries=int((vary & in_topic).sum()), varying_topic_k=int((vary & in_topic & by).sum()),
                varying_rest_entries=int((vary & ~in_topic).sum()), varying_rest_k=int((vary & ~in_topic & by).sum()),
                expected=expected, or_mh=float(odds), p_cmh=float(p_cmh), p_value=float(p_exact)))
    out = pd.DataFrame(rows, columns=[c for c in DEPENDENCE_COLUMNS if c not in ("q_value", "flagged")])
    out["q_value"] = bh_qvalues(out.p_value.to_numpy(dtype=float))
    out["flagged"] = (out.p_value < alpha) & (out.k > out.expected)
    return out.sort_values(["p_value", "topic_id", "rank", "instructor"], kind="stable",
                           na_position="last").reset_index(drop=True)[DEPENDENCE_COLUMNS]


def _session_order(entries: pd.DataFrame, session: pd.Series) -> dict[str, tuple]:
    """A sort key per session name (see :func:`session_keys`): cohort, units before discussion classes, unit or
    class number (names alone sort 第1期·第11单元 before 第1期·第5单元)."""
    no = entries["session_no"] if "session_no" in entries else pd.Series(np.nan, index=entries.index)
    place: dict[str, tuple] = {}
    for key, c, st, un, sn in zip(session.to_numpy(), entries.cohort, entries.session_type, entries.unit_no, no):
        n = un if st == "unit" else sn
        k = (float(c) if not pd.isna(c) else math.inf, st != "unit", float(n) if not pd.isna(n) else math.inf, key)
        place[key] = min(place.get(key, k), k)
    return place


def _within_sessions(strata: list, session: pd.Series, in_topic: np.ndarray,
                     by: np.ndarray) -> tuple[float, float, float, float]:
    """``(expected, p_cmh, or_mh, p_exact)`` of one topic × instructor over the session ``strata`` (each a 2×2
    table: in the topic or not × answered by the instructor or not; ``in_topic`` and ``by`` mark the entries in
    the order of ``session``); NaN without a stratum. See :func:`topic_dependence`."""
    from .stats import cmh_test, stratified_exact_test

    if not len(strata):
        return np.nan, np.nan, np.nan, np.nan
    a, n1, m1, n = [], [], [], []
    for s in strata:
        m = (session == s).to_numpy()
        a.append(int((m & in_topic & by).sum()))
        n1.append(int((m & in_topic).sum()))
        m1.append(int((m & by).sum()))
        n.append(int(m.sum()))
    a_, n1_, m1_, n_ = (np.array(x, dtype=np.int64) for x in (a, n1, m1, n))
    expected = float((n1_ * m1_ / np.where(n_ > 0, n_, 1)).sum())
    _, p_cmh, _, odds = cmh_test(a_, n1_, m1_, n_)
    return expected, p_cmh, odds, stratified_exact_test(a_, n1_, m1_, n_)


# ---------------------------------------------------------------- all graphs, tables, files

@dataclass
class Networks:
    graphs: dict[str, nx.Graph]
    nodes: pd.DataFrame  # graph, node, label, type, size, strength, betweenness, eigenvector, community
    edges: pd.DataFrame  # graph, source, target, weight (+ answer_chars, answer_share)
    modularity: pd.DataFrame  # graph, n_nodes, n_edges, n_communities, modularity
    specialisation: pd.DataFrame
    topic_dependence: pd.DataFrame


def build_networks(booklet, tokens: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame,
                   anonymise: bool = False, seed: int = 0, n_terms: int = 40) -> Networks:
    names = trainee_names(booklet.people, anonymise)
    graphs = {
        "instructor_topic": instructor_topic(booklet.turns, entry_topics, topics),
        "trainee_topic": trainee_topic(booklet.askers, entry_topics, topics, names),
        "hospital_topic": hospital_topic(booklet.askers, entry_topics, topics),
        "trainee_instructor": trainee_instructor(booklet.askers, booklet.entries, names),
        "instructor_coanswer": instructor_coanswer(booklet.entries),
        "term_cooccurrence": term_cooccurrence(tokens, n_terms),
    }
    node_tables, edge_rows, mod_rows = [], [], []
    for name, G in graphs.items():
        nodes, q = measures(G, seed)
        node_tables.append(nodes.assign(graph=name))
        for n, row in nodes.set_index("node").iterrows():
            G.nodes[n].update(strength=row.strength, betweenness=row.betweenness, eigenvector=row.eigenvector,
                              community=int(row.community))
        for a, b, d in G.edges(data=True):
            edge_rows.append(dict(graph=name, source=a, target=b, **d))
        mod_rows.append(dict(graph=name, n_nodes=G.number_of_nodes(), n_edges=G.number_of_edges(),
                             n_communities=int(nodes.community.max() + 1) if len(nodes) else 0, modularity=q))
    nodes = pd.concat(node_tables, ignore_index=True)
    nodes = nodes[["graph", "node", "label", "type", "size", "strength", "betweenness", "eigenvector", "community"]]
    edges = pd.DataFrame(edge_rows)
    for col in ("answer_chars", "answer_share"):
        if col not in edges:
            edges[col] = np.nan
    edges = edges[["graph", "source", "target", "weight", "answer_chars", "answer_share"]]
    k = len(topics)
    return Networks(graphs, nodes, edges, pd.DataFrame(mod_rows),
                    specialisation(graphs["instructor_topic"], k),
                    topic_dependence(booklet.entries, entry_topics, topics))


def export_graph(G: nx.Graph, stem) -> list:
    """Write ``stem.gexf`` and ``stem.graphml`` (labels, types, weights and measures as attributes)."""
    from .store import write_graph

    return write_graph(xml_safe_graph(G), stem)




def xml_safe_graph(G: nx.Graph) -> nx.Graph:
    """A copy of ``G`` whose node ids and graph/node/edge string attributes are XML 1.0 safe (see :func:`xml_safe`).
    Two ids that become equal are kept apart by a trailing ``·``."""
    mapping, seen = {}, set()
    for n in G.nodes:
        new = xml_safe(n)
        while new in seen and new != n:
            new = f"{new}·"
        seen.add(new)
        if new != n:
            mapping[n] = new
    H = nx.relabel_nodes(G, mapping, copy=True) if mapping else G.copy()
    H.graph.update({xml_safe(k): xml_safe(v) for k, v in list(H.graph.items())})
    for _, d in H.nodes(data=True):
        for k in [k for k in d if isinstance(k, str) or isinstance(d[k], str)]:
            v = d.pop(k)
            d[xml_safe(k)] = xml_safe(v)
    for *_, d in H.edges(data=True):
        for k in [k for k in d if isinstance(k, str) or isinstance(d[k], str)]:
            v = d.pop(k)
            d[xml_safe(k)] = xml_safe(v)
    return H
