"""Normalisation, segmentation with the domain dictionary and the booklet's names, stopwords, tokens table."""

from __future__ import annotations

import subprocess
import sys

import pytest

from corpus_tools.text import ChineseTokenizer, normalise, tokenizer_for, tokens_table


@pytest.fixture(scope="module")
def tokenizer(booklet, tmp_path_factory):
    return tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))


def test_normalise_joins_latin_and_chinese():
    assert normalise("HIS 系统和 CDR 中的数据") == "HIS系统和CDR中的数据"
    assert normalise("ＨＩＳ　系统") == "HIS系统"  # full-width letters → half-width; the space between goes
    assert normalise("Nature Medicine 发表") == "Nature Medicine发表"  # Latin word spacing kept
    assert normalise("数据，标准。") == "数据，标准。"  # Chinese punctuation untouched


def test_domain_terms_are_not_split(tokenizer):
    toks = tokenizer.tokenize("医院集成平台与数据湖、CDSS 知识库、灰度发布和三级等保的关系")
    for term in ("集成平台", "数据湖", "CDSS", "知识库", "灰度发布", "三级等保"):
        assert term in toks


def test_names_from_the_booklet_are_never_cut(tokenizer):
    toks = tokenizer.tokenize("刘鸿齐和欧阳杰请教薛万国，深圳市龙岗中心医院和和睦家医疗也来了")
    for name in ("刘鸿齐", "欧阳杰", "薛万国", "深圳市龙岗中心医院", "和睦家医疗"):
        assert name in toks


def test_stopwords_numbers_and_punctuation_are_dropped(tokenizer):
    toks = tokenizer.tokenize("我们医院的这个问题，2020 年以后可以解决吗？")
    assert "我们" not in toks and "医院" not in toks and "这个" not in toks and "2020" not in toks
    assert not any(t in "，。？" for t in toks)


def test_stopwords_can_be_overridden(tmp_path):
    tk = ChineseTokenizer(stopwords=frozenset({"数据"}), extra_stopwords=("平台",), cache_dir=tmp_path)
    toks = tk.tokenize("我们的数据平台与集成平台")
    assert "数据" not in toks and "平台" not in toks and "我们" in toks and "集成平台" in toks


def test_jieba_cache_goes_to_the_project_cache_and_stays_quiet(tmp_path):
    code = ("from corpus_tools.text import ChineseTokenizer\n"
            "print(ChineseTokenizer(cache_dir=r'%s').tokenize('集成平台建设'))" % tmp_path)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0
    assert "集成平台" in r.stdout
    assert r.stderr == ""  # no "Building prefix dict…" chatter
    assert (tmp_path / "jieba.cache").exists()


def test_tokens_table(booklet, tokenizer):
    toks = tokens_table(booklet, tokenizer)
    assert list(toks.columns) == ["entry_id", "turn_no", "token_no", "token"]
    assert set(toks.entry_id) == set(booklet.entries.entry_id)
    # every printed 集成平台 in titles and turns becomes exactly one token (normalisation may join "平台 " runs)
    text = "".join(booklet.entries.title) + "".join(booklet.turns.text)
    assert (toks.token == "集成平台").sum() == text.count("集成平台")
    assert toks.equals(tokens_table(booklet, tokenizer))  # deterministic
