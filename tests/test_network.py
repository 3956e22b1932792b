"""Network facts checked against the booklet (via the hand annotation), exports, pseudonymisation."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from corpus_tools import network


@pytest.fixture(scope="module")
def nets(booklet, study):
    toks, t = study.tables["tokens"], study.tables
    named = network.build_networks(booklet, toks, t["entry_topics"], t["topics"])
    coded = network.build_networks(booklet, toks, t["entry_topics"], t["topics"], anonymise=True)
    return named, coded, study


def _answerers(a: dict) -> list[str]:
    """Instructors answering in an annotated entry (an instructor who asks the question is not answering it)."""
    turns = a["turns"]
    asker = turns[0]["speaker"] if turns[0]["role"] == "instructor" else None
    out = []
    for i, t in enumerate(turns):
        if t["role"] == "instructor" and not (i == 0 and t["speaker"] == asker):
            out.append(t["speaker"])
    return list(dict.fromkeys(out))


def test_coanswer_edges_match_annotation(nets, annotation):
    G = nets[0].graphs["instructor_coanswer"]
    expected: dict[frozenset, int] = {}
    for a in annotation:
        for x, y in itertools.combinations(sorted(set(_answerers(a))), 2):
            expected[frozenset((x, y))] = expected.get(frozenset((x, y)), 0) + 1
    got = {frozenset((x, y)): d["weight"] for x, y, d in G.edges(data=True)}
    assert got == expected
    # line 3867: 孟晓阳, 任连仲 and 薛万国 answer the software-testing question together
    assert G.has_edge("孟晓阳", "任连仲") and G.has_edge("任连仲", "薛万国")
    # line 1283: 刘丹红, 薛万国, 刘海一, 邱明辉 answer together
    assert all(G.has_edge(x, y) for x, y in itertools.combinations(["刘丹红", "薛万国", "刘海一", "邱明辉"], 2))


def test_trainee_instructor_weights(nets, annotation):
    G = nets[0].graphs["trainee_instructor"]
    caokun = {}
    for a in annotation:
        trainees = {t["speaker"] for t in a["turns"] if t["role"] == "trainee"}
        if "曹坤" in trainees:
            for i in _answerers(a):
                caokun[i] = caokun.get(i, 0) + 1
    assert {i: G.edges["曹坤", i]["weight"] for i in G.successors("曹坤")} == caokun
    assert caokun["薛万国"] == 3
    assert G.is_directed()


def test_instructor_topic_weights_add_up(nets, booklet):
    G = nets[0].graphs["instructor_topic"]
    # 薛万国 answers in 37 entries; each entry has one topic, so his edge weights add up to 37
    assert sum(d["weight"] for _, _, d in G.edges("薛万国", data=True)) == 37
    for t in [n for n, d in G.nodes(data=True) if d["type"] == "topic"]:
        shares = [G.edges[t, i]["answer_share"] for i in G.neighbors(t)]
        assert sum(shares) == pytest.approx(1.0)


def test_measures_and_tables(nets):
    named = nets[0]
    assert set(named.modularity.graph) == set(network.GRAPHS)
    nodes = named.nodes[named.nodes.graph == "instructor_coanswer"].set_index("node")
    assert nodes.strength.idxmax() == "薛万国"
    assert nodes.loc["薛万国", "betweenness"] > 0
    spec = named.specialisation.set_index("instructor")
    assert spec.loc["薛万国", "n_entries"] == 37 and 0 <= spec.loc["薛万国", "entropy"] <= 1
    one = named.specialisation[named.specialisation.n_topics == 1]
    assert (one.specialisation == 1).all()
    dep = named.topic_dependence
    assert set(dep.columns) >= {"topic_id", "instructor", "share", "base_share", "p_value", "p_cmh", "flagged"}


def test_pseudonyms_are_stable_codes(nets, booklet):
    coded = nets[1]
    people = booklet.people.set_index("name")
    code = people.loc["曹坤", "person_id"]
    assert code.startswith("T")
    G = coded.graphs["trainee_instructor"]
    assert code in G and "曹坤" not in G
    all_labels = set(coded.nodes.label) | set(coded.edges.source) | set(coded.edges.target)
    trainees = set(booklet.people[booklet.people.role == "trainee"].name)
    assert not (all_labels & trainees)
    assert "薛万国" in all_labels  # instructors stay named


def test_gexf_and_graphml_round_trip(nets, tmp_path):
    G = nets[0].graphs["instructor_topic"]
    paths = network.export_graph(G, tmp_path / "instructor_topic")
    gexf = nx.read_gexf(paths[0])
    graphml = nx.read_graphml(paths[1])
    for H in (gexf, graphml):
        assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges()
    assert gexf.nodes["薛万国"]["type"] == "instructor"
    assert graphml.nodes["薛万国"]["label"] == "薛万国"


def test_term_cooccurrence_by_hand():
    """Five turns: (1,1) 云 数据 医院, (1,2) 云 数据, (2,1) 云 医院, (2,2) 数据 数据, (3,1) 其他. Turns using each
    term: 云 3, 数据 3, 医院 2, 其他 1; pairs (same turn): 云–数据 2, 云–医院 2, 医院–数据 1."""
    import math

    import pandas as pd

    rows = [(1, 1, "云"), (1, 1, "数据"), (1, 1, "医院"), (1, 2, "云"), (1, 2, "数据"), (2, 1, "云"), (2, 1, "医院"),
            (2, 2, "数据"), (2, 2, "数据"), (3, 1, "其他")]
    tokens = pd.DataFrame(rows, columns=["entry_id", "turn_no", "token"])
    G = network.term_cooccurrence(tokens, n_terms=3, min_npmi=0.25, min_count=2)
    assert list(G.nodes) == ["云", "数据", "医院"]  # by turns (3, 3, 2), ties by term; 其他 is not among the 3
    assert [G.nodes[n]["size"] for n in G.nodes] == [3, 3, 2]
    # 云–医院: NPMI = log(0.4 / (0.6 · 0.4)) / −log 0.4 ≈ 0.557 ≥ 0.25; 云–数据: log(0.4 / 0.36) / −log 0.4 ≈ 0.115;
    # 医院–数据: one turn only (< min_count)
    assert list(G.edges) == [("云", "医院")]
    assert G.edges["云", "医院"]["weight"] == 2
    assert G.edges["云", "医院"]["npmi"] == pytest.approx(math.log(0.4 / 0.24) / -math.log(0.4), abs=1e-6)
    loose = network.term_cooccurrence(tokens, n_terms=3, min_npmi=-1, min_count=1)
    assert {frozenset(e): d["weight"] for *e, d in loose.edges(data=True)} == {
        frozenset({"云", "数据"}): 2, frozenset({"云", "医院"}): 2, frozenset({"医院", "数据"}): 1}
