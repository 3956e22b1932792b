"""Normalisation, segmentation with the domain dictionary and the booklet's names, part-of-speech tags, content
words by rule, names out of the analysis view, concepts from the synonyms file, the tokens table."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from corpus_tools.errors import BookletError
from corpus_tools.text import (TOKEN_COLUMNS, ChineseTokenizer, SynonymsError, analysis_tokens, load_synonyms,
                               normalise, tokenizer_for, tokens_table, with_terms)


@pytest.fixture(scope="module")
def tokenizer(booklet, tmp_path_factory):
    return tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def toks(booklet, tokenizer):
    return tokens_table(booklet, tokenizer)


def booklet_text(booklet) -> str:
    return "\n".join(normalise(t) for t in list(booklet.entries.title) + list(booklet.turns.text))


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
    words = [w for w, _ in tokenizer.tag("刘鸿齐和欧阳杰请教薛万国，深圳市龙岗中心医院和和睦家医疗也来了")]
    for name in ("刘鸿齐", "欧阳杰", "薛万国", "深圳市龙岗中心医院", "和睦家医疗"):
        assert name in words
        assert tokenizer.is_name(name)


def test_pos_rule_keeps_terms_and_drops_fillers(tokenizer):
    # the sentences around the fillers the issue lists, as the booklet prints them (lines 3759-3763, 1884)
    words = dict(tokenizer.tag("人少的时候衡量宜粗不宜细，有时量化到一定程度，不见得反映真实情况。"
                               "我们马上把集成平台放在院内，是从业务角度看的，一年一份报告，相当重要"))
    assert words["集成平台"] == "n" and tokenizer.is_content("集成平台", "n")
    assert words["马上"] == "d" and not tokenizer.is_content("马上", words["马上"])
    content = tokenizer.tokenize("人少的时候衡量宜粗不宜细，有时量化到一定程度，不见得反映真实情况。"
                                 "我们马上把集成平台放在院内，是从业务角度看的，一年一份报告，相当重要")
    assert "集成平台" in content and "报告" in content and "业务" in content
    for filler in ("不见得", "是从", "角度看", "马上", "放在", "一年", "人少", "相当", "一份", "人", "少"):
        assert filler not in content, filler


def test_each_issue_filler_is_dropped_by_a_rule(tokenizer):
    # adverbs and numerals by their tag; verb + grammatical morpheme by the complement rule
    assert not tokenizer.is_content("不见得", "d") and not tokenizer.is_content("相当", "d")
    assert not tokenizer.is_content("一年", "m") and not tokenizer.is_content("一份", "m")
    assert tokenizer.is_fragment("放在") and tokenizer.is_fragment("是从") and tokenizer.is_fragment("角度看")
    assert not tokenizer.is_fragment("完成") and not tokenizer.is_fragment("开发")  # ordinary verbs stay
    assert tokenizer.is_content("完成", "v") and tokenizer.is_content("建设", "vn")
    assert tokenizer.is_content("CDR", "eng") and not tokenizer.is_content("简单", "a")


def test_set_phrases_are_cut_into_words(tokenizer):
    parts = [w for w, _ in tokenizer.split_phrase("数据分析")]
    assert parts == ["数据", "分析"]
    assert tokenizer.tokenize("一般而言") == []


def test_fillers_are_not_analysis_tokens_of_the_booklet(toks):
    a = analysis_tokens(toks)
    for filler in ("不见得", "是从", "角度看", "马上", "放在", "一年", "人少", "相当", "一份"):
        assert filler not in set(a.token), filler
    assert (toks.token == "马上").sum() == 4  # still in the tokens table (printed 4 times), with its tag
    assert set(toks.pos[toks.token == "马上"]) == {"d"}


def test_names_stay_in_the_table_but_leave_the_analysis_view(toks):
    a = analysis_tokens(toks)
    for name in ("薛万国", "长庚医院"):  # 长庚医院: short form of 北京清华长庚医院 (line 2442)
        assert toks.is_name[toks.token == name].all() and (toks.token == name).any()
        assert name not in set(a.token)
    assert not toks.is_name[toks.token == "集成平台"].any()
    assert not toks.is_name[toks.token == "互联网医院"].any()  # a service, not a hospital of the booklet


def test_synonyms_give_concepts(toks):
    assert set(toks.concept[toks.token == "信息科"]) == {"信息部门"}
    assert set(toks.concept[toks.token == "电子病历系统"]) == {"电子病历"}
    assert set(toks.concept[toks.token == "系统"]) == {"系统"}  # no mapping: the token itself
    c = analysis_tokens(toks, "concept")
    assert "信息科" not in set(c.token) and "信息部门" in set(c.token)
    assert (c.token == "信息部门").sum() == sum((toks.token == w).sum() for w in ("信息科", "信息中心", "信息部门",
                                                                                  "信息处", "信息管理部",
                                                                                  "信息管理处"))


def test_synonyms_file_errors_name_file_and_line(tmp_path):
    good = tmp_path / "s.csv"
    good.write_text("# comment\nconcept,variant\n甲,乙\n甲,丙\n", encoding="utf-8")
    assert load_synonyms(good) == {"乙": "甲", "甲": "甲", "丙": "甲"}
    bad = tmp_path / "bad.csv"
    bad.write_text("concept,variant\n甲,乙\n只有一项\n", encoding="utf-8")
    with pytest.raises(SynonymsError, match=r"bad\.csv:3: ") as exc:
        load_synonyms(bad)
    assert isinstance(exc.value, BookletError)
    clash = tmp_path / "clash.csv"
    clash.write_text("concept,variant\n甲,乙\n丁,乙\n", encoding="utf-8")
    with pytest.raises(SynonymsError, match=r"clash\.csv:3: .*乙"):
        load_synonyms(clash)
    noheader = tmp_path / "nohead.csv"
    noheader.write_text("甲,乙\n", encoding="utf-8")
    with pytest.raises(SynonymsError, match=r"nohead\.csv:1: "):
        load_synonyms(noheader)


def test_stopwords_can_be_overridden(tmp_path):
    tk = ChineseTokenizer(stopwords=frozenset({"数据"}), extra_stopwords=("平台",), cache_dir=tmp_path)
    toks = tk.tokenize("我们的数据平台与集成平台和业务")
    assert "数据" not in toks and "平台" not in toks and "集成平台" in toks and "业务" in toks
    assert "我们" not in toks  # a pronoun (r): dropped by its tag, whatever the stopword list


def test_jieba_dictionary_loads_quietly_and_leaves_no_shared_cache_file(tmp_path):
    """jieba's dictionary is read by the package in one pass (no cache file at all, so none in a shared /tmp),
    with none of jieba's start-up chatter."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    code = ("from corpus_tools.text import ChineseTokenizer\n"
            "print(ChineseTokenizer(cache_dir=r'%s').tokenize('集成平台建设'))" % (tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "TMPDIR": str(tmp)})
    assert r.returncode == 0
    assert "集成平台" in r.stdout
    assert r.stderr == ""  # no "Building prefix dict…" chatter
    assert list(tmp.iterdir()) == []


def test_dictionary_loaded_in_one_pass_is_jiebas(tmp_path):
    """The prefix dictionary, total and tags the package builds from jieba's dictionary file are exactly jieba's
    (gen_pfdict, load_word_tag); a file in another format (here two fields a line) is left to jieba itself,
    whose cache then goes to the tokenizer's folder."""
    import jieba
    import jieba.posseg

    from corpus_tools.tagger import PosTags, initialize_dictionary

    tk = jieba.Tokenizer()
    initialize_dictionary(tk)
    freq, total = jieba.Tokenizer().gen_pfdict(jieba.Tokenizer().get_dict_file())
    assert tk.initialized and tk.total == total and tk.FREQ == freq and len(freq) > 400_000
    assert PosTags(tk).word_tag_tab == jieba.posseg.POSTokenizer(jieba.Tokenizer()).word_tag_tab
    other = tmp_path / "dict.txt"
    other.write_text("数据湖 30\n数据 300\n湖 20\n", encoding="utf-8")
    tk2 = jieba.Tokenizer(dictionary=str(other))
    tk2.tmp_dir, tk2.cache_file = str(tmp_path), "jieba.cache"
    initialize_dictionary(tk2)
    assert tk2.FREQ == {"数": 0, "数据": 300, "数据湖": 30, "湖": 20} and tk2.total == 350
    assert (tmp_path / "jieba.cache").exists()


def test_tokenizers_of_one_process_share_the_parse_not_the_words_they_add():
    """jieba's dictionary file is parsed once per process (the next tokenizer gets a copy): a word one tokenizer
    adds (a trainee's name, 张敦明 of entry 1) is in its dictionaries only, never in the next tokenizer's."""
    from corpus_tools.text import ChineseTokenizer

    first = ChineseTokenizer(names=("张敦明",))
    assert first.tag("学员张敦明") == [("学员", "n"), ("张敦明", "nr")]  # loads its dictionary, adds the name
    assert first.jieba.FREQ["张敦明"] > 0 and first.posseg.word_tag_tab["张敦明"] == "nr"
    second = ChineseTokenizer()
    assert second.tag("学员张敦明") != [("学员", "n"), ("张敦明", "nr")]
    assert "张敦明" not in second.jieba.FREQ and "张敦明" not in second.posseg.word_tag_tab
    assert second.jieba.FREQ is not first.jieba.FREQ and second.jieba.total < first.jieba.total


def test_tokens_table(booklet, tokenizer, toks):
    assert list(toks.columns) == TOKEN_COLUMNS
    assert set(toks.entry_id) == set(booklet.entries.entry_id)
    # every printed 集成平台 in titles and turns becomes exactly one token
    assert (toks.token == "集成平台").sum() == booklet_text(booklet).count("集成平台")
    assert not toks.token.str.fullmatch(r"[，。？、：；（）“”！\s]+").any()  # punctuation is not a word
    assert toks.equals(tokens_table(booklet, tokenizer))  # deterministic


def test_tokens_table_uses_the_tokenizers_synonyms(booklet, tmp_path):
    syn = tmp_path / "syn.csv"
    syn.write_text("concept,variant\n平台,集成平台\n", encoding="utf-8")
    tk = tokenizer_for(booklet, synonyms=syn, cache_dir=tmp_path)
    toks = tokens_table(booklet, tk)
    assert set(toks.concept[toks.token == "集成平台"]) == {"平台"}
    assert set(toks.concept[toks.token == "信息科"]) == {"信息科"}  # the shipped mapping is not used
    assert set(tokens_table(booklet, tk, synonyms={}).concept[toks.token == "集成平台"]) == {"集成平台"}


def _jieba_tags(posseg, text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in posseg.cut(text)]


def test_fast_tagger_gives_jiebas_words_and_tags_on_the_booklet(booklet, tokenizer):
    from corpus_tools.tagger import Tagger

    texts = [normalise(t) for t in list(booklet.entries.title) + list(booklet.turns.text)]
    tagger = Tagger(tokenizer.posseg)
    assert [tagger.cut(t) for t in texts] == [_jieba_tags(tokenizer.posseg, t) for t in texts]
    # with more words in the dictionary (as after term discovery) it follows the new dictionary
    tk2 = with_terms(tokenizer, ["外网", "需求调研", "信息中心主任"])
    assert [Tagger(tk2.posseg).cut(t) for t in texts] == [_jieba_tags(tk2.posseg, t) for t in texts]
    assert ("外网", "n") in [pair for t in texts for pair in Tagger(tk2.posseg).cut(t)]
    # a memo of the HMM runs changes nothing, on the first call or the second
    memo: dict = {}
    text = next(t for t in texts if "CDSS" in t)
    assert tagger.cut(text, memo) == tagger.cut(text, memo) == _jieba_tags(tokenizer.posseg, text)


def test_tagger_falls_back_to_jiebas_posseg(tokenizer, monkeypatch):
    import jieba

    from corpus_tools import tagger as tagger_module
    from corpus_tools.tagger import Tagger

    # booklet l.530–532: 陈金雄老师：薛万国老师强调医院信息系统的一体化，特别是基础业务系统的一体化，包括 CDSS、移动护理、数据中心等。
    sentence = normalise("陈金雄老师：薛万国老师强调医院信息系统的一体化，特别是基础业务系统的一体化，包括 CDSS、"
                         "移动护理、数据中心等。")
    fast = Tagger(tokenizer.posseg)
    assert fast.fast
    forced = Tagger(tokenizer.posseg, fast=False)
    assert not forced.fast
    monkeypatch.setattr(jieba, "__version__", "0.43.0")  # a release the fast path does not know: jieba's own
    assert not tagger_module.fast_path_available()
    unknown = Tagger(tokenizer.posseg)
    assert not unknown.fast
    tags = forced.cut(sentence)
    assert tags == unknown.cut(sentence) == fast.cut(sentence) == _jieba_tags(tokenizer.posseg, sentence)
    # the two instructors are names of the booklet (tag nr), the product name Latin (eng), punctuation x
    assert ("陈金雄", "nr") in tags and ("薛万国", "nr") in tags
    assert ("CDSS", "eng") in tags and ("，", "x") in tags and ("。", "x") in tags
    assert "".join(w for w, _ in tags) == sentence


def test_fast_tagger_and_viterbi_agree_with_jieba_on_random_text(tokenizer):
    import random

    from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P
    from jieba.posseg.viterbi import viterbi as jieba_viterbi

    from corpus_tools.tagger import Tagger, viterbi

    rng = random.Random(0)
    han = [chr(c) for c in range(0x4E00, 0x9FD5, 97)]  # mostly characters the dictionary rarely joins
    mixed = han + list("数据平台集成医院信息系统的了在和abcXY09.+#&_ \n，。、")
    tagger = Tagger(tokenizer.posseg)
    for _ in range(40):  # jieba's own Viterbi takes ~30 ms on such strings: 80 comparisons, ~2.5 s
        s = "".join(rng.choice(han) for _ in range(rng.randint(1, 25)))
        assert viterbi(s) == jieba_viterbi(s, char_state_tab_P, start_P, trans_P, emit_P)[1], s
        s = "".join(rng.choice(mixed) for _ in range(rng.randint(1, 40)))
        assert tagger.cut(s) == _jieba_tags(tokenizer.posseg, s), s


def test_tokens_table_with_memos_is_the_same(booklet, tokenizer, toks):
    memos = [{} for _ in range(len(booklet.entries) + len(booklet.turns))]
    first = tokens_table(booklet, tokenizer, memos=memos)
    assert sum(len(m) for m in memos) > 0  # the HMM runs were kept
    assert first.equals(toks) and tokens_table(booklet, tokenizer, memos=memos).equals(toks)
    with pytest.raises(ValueError, match="memos"):
        tokens_table(booklet, tokenizer, memos=memos[:3])


def test_fast_tagger_sees_words_added_to_the_dictionary_later(tmp_path):
    from corpus_tools.tagger import Tagger

    tk = ChineseTokenizer(cache_dir=tmp_path)
    tagger = Tagger(tk.posseg)
    text = "我们的电子档案需要专人管理"
    assert "电子档案" not in [w for w, _ in tagger.cut(text)]
    tk.jieba.add_word("电子档案", freq=2000, tag="nz")  # jieba reads its dictionary afresh on every cut
    assert ("电子档案", "nz") in tagger.cut(text)
    assert tagger.cut(text) == _jieba_tags(tk.posseg, text)


def test_tag_table_and_model_are_jiebas_without_importing_jieba_posseg(tmp_path):
    """The tagger reads jieba's dictionary tags and HMM itself: the same table and model as jieba.posseg, while a
    tokenization never imports jieba.posseg (whose import tags jieba's whole default dictionary: 0.2 s)."""
    import subprocess
    import sys

    import jieba
    import jieba.posseg

    from corpus_tools.tagger import PosTags, posseg_model

    tk = jieba.Tokenizer()
    assert PosTags(tk).word_tag_tab == jieba.posseg.POSTokenizer(tk).word_tag_tab
    assert posseg_model() == (jieba.posseg.char_state_tab_P, jieba.posseg.start_P, jieba.posseg.trans_P,
                              jieba.posseg.emit_P)
    code = ("import sys; from corpus_tools.text import ChineseTokenizer; "
            f"tk = ChineseTokenizer(cache_dir={str(tmp_path)!r}); print(tk.tag('医院信息平台的建设'), "
            "'jieba.posseg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith(" False"), out  # jieba.posseg never imported
    assert "('医院', " in out and "('建设', " in out, out  # and the words were tagged


def test_a_user_dictionary_is_read_and_its_file_closed(tmp_path):
    """jieba opens a user dictionary given by path and never closes it (``python -X dev`` prints a
    ResourceWarning on every run); the tokenizer hands it the file's bytes instead: the same words, frequencies
    and tags (a BOM dropped, as jieba does), no file left open."""
    import gc
    import warnings

    words = tmp_path / "domain.txt"
    words.write_bytes("\ufeff病案首页质控 4321 nz\n互联互通测评 1234\n".encode("utf-8"))
    tk = ChineseTokenizer(domain_dict=words, cache_dir=tmp_path / "cache")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jb = tk.jieba
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert jb.FREQ["病案首页质控"] == 4321 and jb.FREQ["互联互通测评"] == 1234
    assert ("病案首页质控", "nz") in tk.tag("推进病案首页质控工作")
