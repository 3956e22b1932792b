"""Term discovery (planted compounds, the booklet's split terms), recall against the hand list, distinctive terms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from corpus_tools.terms import (DISCOVERED_COLUMNS, cloud_weights, discover_booklet_terms, discover_terms,
                                distinctive_table, distinctive_terms, score_pairs, term_recall)
from corpus_tools.text import ChineseTokenizer, analysis_tokens, normalise, tokenizer_for, tokens_table, with_terms

SAMPLE = Path(__file__).parent / "data" / "domain_terms_sample.csv"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return ChineseTokenizer(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def booklet_terms(booklet, tmp_path_factory):
    tk = tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))
    found = discover_booklet_terms(booklet, tk)
    return tk, found, with_terms(tk, found.term)


def test_lambda_and_z_by_hand():
    # clauses: "a b" ×3, "a c", "d b": pairs (a,b)=3, (a,c)=1, (d,b)=1; n = 5 pairs
    runs = [[("a", "n", 0), ("b", "n", 0)]] * 3 + [[("a", "n", 0), ("c", "n", 0)], [("d", "n", 0), ("b", "n", 0)]]
    s = score_pairs(runs).set_index(["first", "second"])
    # n11=3, n12=1 (a,c), n21=1 (d,b), n22=0; +0.5 each: λ = log(3.5·0.5 / (1.5·1.5))
    import math
    lam = math.log(3.5 * 0.5 / (1.5 * 1.5))
    sigma = math.sqrt(1 / 3.5 + 1 / 1.5 + 1 / 1.5 + 1 / 0.5)
    assert s.loc[("a", "b"), "count"] == 3
    assert s.loc[("a", "b"), "lambda"] == pytest.approx(lam)
    assert s.loc[("a", "b"), "z"] == pytest.approx(lam / sigma)


def test_mirror_tables_score_the_same_on_every_python():
    """A pair whose table is another's with n12 and n21 swapped has the same z bit for bit, and a term's
    branching entropy does not depend on the order of its neighbours' counts. With Python's plain float ``sum``
    (3.11) they differed in the last bit for these tables, with 3.12's compensated one not: two terms of the
    booklet with equal scores came out in a different order on 3.11 and 3.13 (discovered_terms is sorted by
    score, then term)."""
    from collections import Counter

    from corpus_tools.terms import _entropy, _lambda_z

    for n12, n21 in [(0, 17), (2, 5), (2, 23), (1, 33)]:
        assert _lambda_z(2, n12, n21, 9000) == _lambda_z(2, n21, n12, 9000)
    counts = [1, 1, 2, 1, 3]
    assert _entropy(Counter(dict(enumerate(counts)))) == _entropy(Counter(dict(enumerate(counts[::-1]))))


def test_planted_compounds_are_found_and_kept_whole(plain):
    # 电子 档案 and 外 网 are planted as units among varied contexts; 建设 + 集成平台 is a verb and its object
    texts = ["医院电子档案的管理很重要。", "电子档案需要专人管理。", "我们的电子档案放在院内。",
             "外网通道由服务号调用。", "医院外网没有等保。", "外网和内网分开。",
             "建设集成平台的经验。", "建设集成平台需要预算。", "纸质材料也要管理。", "档案室在二楼，电子设备很多。"]
    found = discover_terms(plain, texts, min_count=2, min_z=2.0)
    assert list(found.columns) == DISCOVERED_COLUMNS
    terms = set(found.term)
    assert {"电子档案", "外网"} <= terms
    assert "建设集成平台" not in terms
    row = found.set_index("term").loc["电子档案"]
    assert row.frequency == 3 and row.n_entries == 3 and row.parts == "电子|档案" and row.source == "collocation"
    tk = with_terms(plain, found.term)
    assert "电子档案" in tk.tokenize("新的电子档案系统") and "外网" in tk.tokenize("医院外网安全")
    assert "电子档案" not in plain.tokenize("新的电子档案系统")  # without discovery it is cut


def test_booklet_split_terms_end_up_whole(booklet, booklet_terms):
    tk, found, tk2 = booklet_terms
    text = "\n".join(normalise(t) for t in list(booklet.entries.title) + list(booklet.turns.text))
    toks = tokens_table(booklet, tk2)
    before = tokens_table(booklet, tk)
    # printed ≥ 2 times each (grep: lines 120-163, 1088-1115, 1884/3199/3221, 1987-2007)
    for term in ("外网", "数字化转型", "电子档案", "检查检验报告"):
        printed = text.count(term)
        assert printed >= 2
        assert (before.token == term).sum() == 0  # the curated dictionary alone splits them
        # after discovery every printed occurrence lies inside one token (the term or a longer discovered term)
        assert toks.token.str.contains(term, regex=False).sum() == printed, term
    assert not found.term.str.endswith("医院").any()
    assert found.term.is_unique and (found.frequency >= 2).all()


def test_recall_against_the_hand_list(booklet, booklet_terms):
    tk, found, tk2 = booklet_terms
    sample = pd.read_csv(SAMPLE)
    r0 = term_recall(tokens_table(booklet, tk), sample, booklet)
    r1 = term_recall(tokens_table(booklet, tk2), sample, booklet)
    assert r0.in_text.all()  # every hand-marked term is printed in its entry
    assert r1.found.mean() > r0.found.mean() + 0.05
    outside = ~r0.term.isin(tk.terms)
    assert r1.found[outside].mean() > r0.found[outside].mean()


def test_term_recall_by_hand(booklet):
    toks = pd.DataFrame({"entry_id": [1, 1, 2], "token": ["规划能力", "信息", "集成平台"]})
    sample = pd.DataFrame({"entry_id": [1, 1, 2], "term": ["规划能力", "咨询公司", "不在此处的词"]})
    r = term_recall(toks, sample, booklet)
    assert list(r.found) == [True, False, False]
    assert r.in_text.iloc[0]  # entry 1's title asks about 规划能力 (line 27)
    assert not r.in_text.iloc[2]


def test_distinctive_terms_are_positive_keyness_only(booklet, booklet_terms):
    tk, found, tk2 = booklet_terms
    a = analysis_tokens(tokens_table(booklet, tk2))
    d = distinctive_terms(a, booklet.entries, "section")
    assert (d.log_ratio > 0).all() and (d.g2 > 0).all() and (d.p_g2 < 0.05).all()
    sec = d[d.group == "网络安全"]
    assert "外网" in set(sec.term)  # the security section's entries talk about 外网 (lines 3199-3223)
    assert "系统" not in set(sec.term)  # frequent everywhere, distinctive nowhere
    w = cloud_weights(d, "网络安全")
    assert w and all(v > 0 for v in w.values())
    assert list(sec.g2) == sorted(sec.g2, reverse=True)

    stacked = distinctive_table(a, booklet.entries)
    assert set(stacked.by) == {"section", "cohort"}
    assert stacked[stacked.by == "section"].drop(columns="by").reset_index(drop=True).equals(
        d.assign(group=d.group.astype(str)))
    assert set(stacked.group[stacked.by == "cohort"]) <= {"1", "2", "3"}


def test_with_terms_reuses_the_loaded_dictionary_and_matches_a_fresh_build(booklet, booklet_terms, tmp_path):
    tk, found, tk2 = booklet_terms
    assert "jieba" in tk.__dict__  # loaded by discovery, so tk2 started from a copy
    fresh = tokenizer_for(booklet, cache_dir=tmp_path, extra_terms=tuple(found.term))
    assert set(fresh.extra_terms) == set(tk2.extra_terms)
    assert tokens_table(booklet, tk2).equals(tokens_table(booklet, fresh))
    assert "外网" not in tk.jieba.FREQ or tk.jieba.FREQ["外网"] != 2000  # the original is untouched


def test_build_tokens_in_one_call(booklet, tmp_path):
    from corpus_tools.terms import build_tokens

    syn = tmp_path / "syn.csv"
    syn.write_text("concept,variant\n平台,集成平台\n", encoding="utf-8")
    stage = build_tokens(booklet, synonyms=syn, cache_dir=tmp_path)
    assert set(stage.tokens.concept[stage.tokens.token == "集成平台"]) == {"平台"}
    assert set(stage.tokens.concept[stage.tokens.token == "信息科"]) == {"信息科"}  # not in this synonyms file
    assert "外网" in set(stage.discovered.term) and "外网" in set(stage.tokens.token)
    plain = build_tokens(booklet, discover=False, cache_dir=tmp_path)
    assert plain.discovered.empty and "外网" not in set(plain.tokens.token)
    assert set(plain.tokens.concept[plain.tokens.token == "信息科"]) == {"信息部门"}  # the shipped file


def test_term_shape_noun_verb_compounds_but_not_clauses(plain):
    from corpus_tools.terms import term_shape

    assert term_shape(plain, "数据", "n", "集成", "v")  # a noun before a verb: a compound (数据集成)
    assert term_shape(plain, "运营", "vn", "管理", "vn")
    assert not term_shape(plain, "建设", "vn", "专病库", "n")  # a verb before its object
    assert not term_shape(plain, "成熟", "a", "产品", "n")  # an adjective phrase
    assert not term_shape(plain, "数据", "n", "放在", "v")  # a verb-complement fragment as head
    assert not term_shape(plain, "我们", "r", "医院", "n")  # a pronoun
    texts = ["数据集成是基础。", "数据集成的方式很多。", "做好数据集成，", "医生开立医嘱。", "医生开立检查。",
             "医生开立处方。", "数据集成。", "医生开立医嘱后，"]
    found = set(discover_terms(plain, texts, min_count=2, min_z=1.0).term)
    assert "数据集成" in found
    assert "医生开立" not in found  # always followed by its object: a clause


def test_distinctive_terms_need_a_rest_to_compare_with(booklet):
    toks = pd.DataFrame({"entry_id": [1, 1, 2, 2] * 3, "token": ["等保", "外网", "等保", "系统"] * 3})
    one = booklet.entries[booklet.entries.entry_id.isin([1, 2])].assign(cohort=3)
    assert distinctive_terms(toks, one, "cohort").empty  # a single cohort: nothing to contrast


def _stream(runs: list[list[str]]):
    """A hand-made word stream: each inner list one clause, every word tagged n, all in text 0."""
    import numpy as np

    from corpus_tools.terms import WordStream

    index: dict[str, int] = {}
    w, r = [], []
    for k, run in enumerate(runs):
        for word in run:
            w.append(index.setdefault(word, len(index)))
            r.append(k)
    return WordStream(list(index), index, ["n"], np.array(w, dtype=np.int64), np.zeros(len(w), dtype=np.int32),
                      np.zeros(len(w), dtype=np.int64), np.array(r, dtype=np.int64))


def test_joining_goes_left_to_right_within_clauses():
    from corpus_tools.terms import _join

    s = _stream([["甲", "乙", "甲", "乙", "甲"], ["甲", "乙", "丙"], ["乙", "丙"], ["甲"], ["乙"]])
    i = s.index
    out = _join(s, {(i["甲"], i["乙"]): "甲乙", (i["乙"], i["丙"]): "乙丙"})
    # 甲乙 and 乙丙 overlap in 甲 乙 丙: the left pair wins; 甲 | 乙 across two clauses are not joined
    assert out.runs() == [[("甲乙", "n", 0), ("甲乙", "n", 0), ("甲", "n", 0)],
                          [("甲乙", "n", 0), ("丙", "n", 0)], [("乙丙", "n", 0)], [("甲", "n", 0)], [("乙", "n", 0)]]


def test_pair_counts_and_scores_agree_with_score_pairs(booklet, booklet_terms):
    from corpus_tools.terms import _candidates, booklet_texts, word_stream

    tk, _, _ = booklet_terms
    texts, _ = booklet_texts(booklet)
    s = word_stream(tk, texts)
    table = score_pairs(s.runs())
    ok = table[(table["count"] >= 2) & (table.z >= 3.0)].sort_values(
        ["z", "first", "second"], ascending=[False, True, True], kind="stable")
    cands = _candidates(s, 2, 3.0)
    assert len(cands) == len(ok) > 100
    assert [(c[1], c[2]) for c in cands] == list(zip(ok["first"], ok["second"]))
    assert [c[0] for c in cands] == list(ok.z) and [c[5] for c in cands] == list(ok["lambda"])
    assert [c[6][0] for c in cands] == list(ok["count"])
    # a threshold exactly at one pair's z keeps that pair (the numpy pre-filter must not drop it)
    edge = float(table.z[table["count"] >= 2].iloc[7])
    kept = {(c[1], c[2]) for c in _candidates(s, 2, edge)}
    want = table[(table["count"] >= 2) & (table.z >= edge)]
    assert kept == set(zip(want["first"], want["second"])) and len(kept) > 0
