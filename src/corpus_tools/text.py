"""Stage 3 — text → tokens: normalisation, jieba with a domain dictionary, the booklet's names and discovered
terms, part-of-speech tags, content words by rule, concepts from a synonyms file.

The tokenizer is a small object built once with everything it needs (scikit-learn style: parameters in the
constructor, no global state): its own ``jieba.Tokenizer`` instance (the global jieba dictionary is never touched),
tagged as ``jieba.posseg.POSTokenizer`` on that same instance tags (its ``cut`` run by :mod:`corpus_tools.tagger`,
an exact and faster re-implementation), a cache file in a project cache folder (not a shared ``/tmp`` file), and
jieba's start-up chatter silenced.

**Content words, by rule** (:func:`is_content_pos` and :meth:`ChineseTokenizer.is_content`). A word is content when
it is a term of the domain dictionary, the synonyms file or term discovery (whatever jieba tags it), or when

- its tag is a noun (n, nz, nt, nl, ng, nr*, ns — jieba's dictionary tags many common nouns nr/ns, e.g. 智能化 nr,
  满意度 ns, so people and places are removed by the name rule, not by the tag), a verbal or nominal
  adjective (vn, an), an abbreviation (j), an English term (eng) or a verb (v, vd);
- and it is not a fragment: at least two characters (unless listed in ``keep_single``), not a number, not a
  stopword, and not a verb–complement construction (a verb of two or three characters ending in one of the
  grammatical morphemes 在 到 从 给 向 于 着 了 过 看 whose rest is one character or a stopword: 放在, 是从, 做到,
  角度看 — but not 完成 or 实现).

Everything else is a function word or carries stance rather than topic: adverbs (d: 马上, 相当, 不见得), numerals and
measure words (m, q, mq: 一年, 一份), time and direction words (t, f), pronouns (r), prepositions, conjunctions and
particles (p, c, u*), adjectives and distinguishing words (a, ad, b: 简单, 现有), place words (s), idioms (i:
各自为政), status words (z), interjections and onomatopoeia (e, o, y). Set phrases (l: 一般而言, 数据分析) are cut
into their dictionary words and each is judged on its own.

**Names** (:meth:`ChineseTokenizer.is_name`): every person and hospital of the booklet, and short forms of a
hospital (a word ending in 医院 whose stem occurs inside a booklet hospital's name: 长庚医院 for 北京清华长庚医院).
They stay in the tokens table with ``is_name`` set, and :func:`analysis_tokens` leaves them out.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import re
from array import array
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import jieba
import numpy as np
import pandas as pd

from .errors import BookletError
from .ingest import CJK
from .paths import default_cache_dir
from .resources import load_list, resource_path
from .store import read_file_bytes, writable_dir
from .tagger import PosTags, Tagger, initialize_dictionary

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value):
    """``value`` with every character XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF)
    replaced by U+FFFD; non-strings come back unchanged. One rule for every text that reaches an XML file: the
    GEXF/GraphML graphs, every figure (SVG) and the HTML pages."""
    return XML_FORBIDDEN.sub("\ufffd", value) if isinstance(value, str) else value


_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_SPACE_LATIN_CJK = re.compile(rf"(?<=[A-Za-z0-9%+#/.\-])\s+(?=[{CJK}])|(?<=[{CJK}])\s+(?=[A-Za-z0-9])")
_KEEP = re.compile(rf"[{CJK}A-Za-z]")
_NUMBER = re.compile(r"^[\d.,%+\-/:]+$")
_WORDLIKE = re.compile(rf"[{CJK}A-Za-z0-9]")

#: jieba tags of content words (see the module docstring)
CONTENT_POS = frozenset({"n", "nz", "nt", "nl", "ng", "nr", "nrt", "nrfg", "ns", "vn", "an", "j", "eng", "v", "vd"})
#: tags of set phrases, cut into their dictionary words before judging
PHRASE_POS = frozenset({"l"})
#: grammatical morphemes that end a verb–complement or verb–preposition construction (放在, 做到, 是从, 角度看)
COMPLEMENT_MORPHEMES = frozenset("在到从给向于着了过看")
#: tokens table columns
TOKEN_COLUMNS = ["entry_id", "turn_no", "token_no", "token", "pos", "concept", "is_content", "is_name"]
HOSPITAL_SUFFIX = "医院"


class SynonymsError(BookletError):
    """A malformed synonyms file; the message names the file and line."""


def normalise(text: str) -> str:
    """Full-width letters and digits → half-width; spaces between Latin and Chinese removed ("HIS 系统" →
    "HIS系统"), so they cannot split a term; Chinese punctuation and Latin word spacing kept."""
    text = _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)
    return _SPACE_LATIN_CJK.sub("", text)




def general_stopwords() -> frozenset[str]:
    """The general Chinese stopword list of stopwords-iso (package ``stopwordsiso``)."""
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("zh"))


def load_synonyms(path: str | Path | None = None) -> dict[str, str]:
    """``variant → concept`` from a CSV file with the header ``concept,variant`` (default: the shipped
    ``resources/synonyms.csv``). Blank lines and lines starting with ``#`` are skipped; a concept maps to itself.
    UTF-8 or GB18030 (:func:`corpus_tools.paramfiles.decode`). Raises :class:`SynonymsError` naming the file and
    line for a missing header, a line without two fields, a field over
    :data:`~corpus_tools.paramfiles.MAX_FIELD_CHARS` characters, or a variant given two different concepts."""
    p = Path(path) if path is not None else resource_path("synonyms.csv")
    from .store import read_parameter_text

    return parse_synonyms(read_parameter_text(p, "同义词表", SynonymsError), str(p))


def parse_synonyms(text: str, source: str = "<synonyms>") -> dict[str, str]:
    """``variant → concept`` of the text of a synonyms file (see :func:`load_synonyms`); errors name ``source``."""
    from .paramfiles import csv_rows

    p = source
    out: dict[str, str] = {}
    header_seen = False
    for line_no, raw in csv_rows(text, str(p), SynonymsError):  # fields over the length limit are refused
        if not any(f.strip() for f in raw) or raw[0].lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in raw]
        shown = ",".join(raw).strip()[:80]
        if not header_seen:
            if fields[:2] != ["concept", "variant"]:
                raise SynonymsError(str(p), f"第一行应为表头 concept,variant，读到 {shown!r}", line_no)
            header_seen = True
            continue
        if len(fields) != 2 or not all(fields):
            raise SynonymsError(str(p), f"每行应为“概念,变体”两项，读到 {shown!r}", line_no)
        concept, variant = normalise(fields[0]), normalise(fields[1])
        for word in (variant, concept):
            if out.get(word, concept) != concept:
                raise SynonymsError(str(p), f"{word} 已归入概念 {out[word]}，不能再归入 {concept}", line_no)
        out[variant] = concept
        out.setdefault(concept, concept)
    if not header_seen:
        raise SynonymsError(str(p), "同义词表为空：需要表头 concept,variant")
    return out


def _user_dict_file(path: str | Path) -> io.BytesIO:
    """The bytes of a jieba user dictionary, as the file object ``jieba.Tokenizer.load_userdict`` reads (it
    decodes UTF-8 and drops a BOM as it does for a path, and names ``path`` in its errors). Given a path, jieba
    opens the file and never closes it (a ResourceWarning under ``python -X dev``)."""
    f = io.BytesIO(read_file_bytes(path))
    f.name = str(path)
    return f


def is_content_pos(pos: str) -> bool:
    """Whether a jieba tag is one of the content tags (:data:`CONTENT_POS`)."""
    return pos in CONTENT_POS


@dataclass
class ChineseTokenizer:
    """Segment and tag Chinese text; judge content words and names.

    Parameters
    ----------
    names: words that must never be cut (people and hospitals of the booklet), added with a high frequency.
    hospitals: the subset of ``names`` that are institutions (tagged nt; their short forms count as names).
    domain_dict: jieba user dictionary (``word freq [pos]`` lines); default ``resources/domain_dict.txt``.
    stopwords: replace the default stopwords (general list + ``resources/stopwords_corpus.txt``) by these.
    extra_stopwords: added to the stopwords.
    extra_terms: further terms kept whole and counted as content (discovered terms, synonym variants).
    synonyms: the ``variant → concept`` mapping :func:`tokens_table` uses by default (set by :func:`tokenizer_for`).
    min_chars: shortest content word (Latin acronyms like "AI" and single characters in ``keep_single`` are kept).
    keep_single: single characters worth keeping.
    cache_dir: where jieba's prefix-dictionary cache goes.
    """

    names: tuple[str, ...] = ()
    domain_dict: str | Path | None = None
    stopwords: frozenset[str] | None = None
    extra_stopwords: tuple[str, ...] = ()
    min_chars: int = 2
    keep_single: tuple[str, ...] = ()
    cache_dir: str | Path | None = None
    hospitals: tuple[str, ...] = ()
    extra_terms: tuple[str, ...] = ()
    synonyms: dict[str, str] | None = field(default=None, repr=False)
    _stop: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        base = self.stopwords if self.stopwords is not None else (
            general_stopwords() | frozenset(load_list("stopwords_corpus.txt")))
        self._stop = frozenset(base) | frozenset(self.extra_stopwords)

    @cached_property
    def domain_terms(self) -> frozenset[str]:
        """Words of the domain dictionary (first field of each line)."""
        path = Path(self.domain_dict or resource_path("domain_dict.txt"))
        words = set()
        from .store import read_text_file

        for line in read_text_file(path).splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.add(normalise(line.split()[0]))
        return frozenset(words)

    @cached_property
    def terms(self) -> frozenset[str]:
        """Every word counted as content whatever its tag: domain dictionary and extra terms."""
        return self.domain_terms | frozenset(normalise(t) for t in self.extra_terms if t)

    @cached_property
    def name_set(self) -> frozenset[str]:
        return frozenset(normalise(n) for n in self.names if n)

    @cached_property
    def _hospital_stems(self) -> tuple[str, ...]:
        return tuple(normalise(h) for h in (self.hospitals or ()) if h)

    @cached_property
    def jieba(self) -> jieba.Tokenizer:
        """The jieba tokenizer, initialised once (quietly) with the domain dictionary, the names and the extra
        terms (each added with frequency 2000, as the dictionary's multi-word terms)."""
        jieba.setLogLevel(logging.WARNING)
        tk = jieba.Tokenizer()
        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        writable = writable_dir(cache, "jieba cache folder")  # if not: one warning, and no cache is written
        tk.tmp_dir = str(cache)
        tk.cache_file = "jieba.cache"
        jieba.setLogLevel(logging.WARNING if writable else logging.CRITICAL)  # no "Dump cache file failed"
        # one pass over jieba's dictionary file gives the prefix dictionary and the tags (posseg takes them)
        self.__dict__["_main_tags"] = initialize_dictionary(tk)
        jieba.setLogLevel(logging.WARNING)
        tk.load_userdict(_user_dict_file(self.domain_dict or resource_path("domain_dict.txt")))
        for term in sorted(set(self.extra_terms)):
            term = normalise(term)
            if term and term not in self.domain_terms:
                tk.add_word(term, freq=2000, tag="n")
        hospitals = set(self._hospital_stems)
        for name in sorted(self.name_set):
            tk.add_word(name, freq=5000, tag="nt" if name in hospitals else "nr")
        return tk

    @cached_property
    def posseg(self) -> PosTags:
        """The part-of-speech tags of :attr:`jieba`'s dictionary, as ``jieba.posseg.POSTokenizer`` has them (same
        dictionary, same words)."""
        return PosTags(self.jieba, self.__dict__.pop("_main_tags", None))

    def segment(self, text: str) -> list[str]:
        """All jieba segments of the normalised text (nothing filtered)."""
        return self.jieba.lcut(normalise(text), HMM=True)

    @cached_property
    def tagger(self) -> Tagger:
        """The fast tagger on :attr:`posseg` (identical output to ``posseg.cut``; :mod:`corpus_tools.tagger`)."""
        return Tagger(self.posseg)

    def tag(self, text: str, memo: dict | None = None) -> list[tuple[str, str]]:
        """``(word, pos)`` for every word of the normalised text, in order; punctuation and spaces left out;
        set phrases (tag l) cut into their dictionary words (:meth:`split_phrase`). ``memo`` (optional, one dict
        per text) keeps the HMM tags of the text's unknown character runs for the next call on the same text
        (they do not depend on the dictionary: :meth:`corpus_tools.tagger.Tagger.cut`)."""
        out: list[tuple[str, str]] = []
        for word, pos in self.tagger.cut(normalise(text), memo):
            word = word.strip()
            if not word or not _WORDLIKE.search(word):
                continue
            if pos in PHRASE_POS and word not in self.terms and word not in self.name_set:
                out.extend(self.split_phrase(word))
            else:
                out.append((word, pos))
        return out

    def split_phrase(self, word: str) -> list[tuple[str, str]]:
        """A set phrase cut into dictionary words: the most probable path through jieba's dictionary that does
        not take the whole phrase as one word (jieba's own criterion, sum of log frequencies), each part tagged
        with its dictionary tag. A phrase with no such path comes back whole."""
        tk, tags = self.jieba, self.posseg.word_tag_tab
        n, logtotal = len(word), math.log(tk.total)
        best: list[tuple[float, int]] = [(0.0, n)] * (n + 1)
        best[n] = (0.0, n)
        for i in range(n - 1, -1, -1):
            cands = []
            for j in range(i + 1, n + 1):
                if (i, j) == (0, n):
                    continue
                f = tk.FREQ.get(word[i:j])
                if f or j == i + 1:
                    cands.append((math.log(f or 1) - logtotal + best[j][0], j))
            best[i] = max(cands)
        parts, i = [], 0
        while i < n:
            j = best[i][1]
            parts.append(word[i:j])
            i = j
        if len(parts) < 2:
            return [(word, "l")]
        return [(p, tags.get(p, "x")) for p in parts]

    def is_fragment(self, token: str) -> bool:
        """A stopword, a number, punctuation, a too-short token, or a verb–complement construction."""
        token = token.strip()
        if not token or token in self._stop or not _KEEP.search(token) or _NUMBER.match(token):
            return True
        if len(token) < self.min_chars and token not in self.keep_single and not token.isascii():
            return True
        if (len(token) in (2, 3) and token[-1] in COMPLEMENT_MORPHEMES
                and (len(token) == 2 or token[:-1] in self._stop)):
            return True
        return False

    def keep(self, token: str) -> bool:
        """Backward-compatible test without a tag: not a fragment (see :meth:`is_fragment`)."""
        return not self.is_fragment(token) or token in self.terms

    def is_content(self, token: str, pos: str) -> bool:
        """The content-word rule of the module docstring."""
        if token in self.terms or token in self.name_set:
            return True
        return is_content_pos(pos) and not self.is_fragment(token)

    def is_name(self, token: str) -> bool:
        """A person or hospital of the booklet, or a short form of a hospital (长庚医院 for 北京清华长庚医院)."""
        if token in self.name_set:
            return True
        if token.endswith(HOSPITAL_SUFFIX) and len(token) > len(HOSPITAL_SUFFIX) + 1:
            stem = token[: -len(HOSPITAL_SUFFIX)]
            return any(stem in h for h in self._hospital_stems)
        return False

    def tokenize(self, text: str) -> list[str]:
        """Content words of ``text`` (names included), in order."""
        return [w for w, p in self.tag(text) if self.is_content(w, p)]

    @property
    def stopword_set(self) -> frozenset[str]:
        return self._stop


def tokenizer_for(booklet, synonyms: dict[str, str] | str | Path | None = None, **kwargs) -> ChineseTokenizer:
    """A tokenizer that knows every person and hospital of ``booklet`` (so names are never cut) and every word of
    the synonyms (a mapping, or a file path; default the shipped ``resources/synonyms.csv``; ``{}`` for none), so
    variants and concepts are kept whole."""
    if not isinstance(synonyms, dict):
        synonyms = load_synonyms(synonyms)
    people = set(booklet.people.name)
    hospitals = set(booklet.askers.hospital) | set(booklet.askers.hospital_alias) | set(booklet.hospitals.hospital)
    names = tuple(sorted(n for n in people | hospitals if isinstance(n, str) and n))
    extra = tuple(kwargs.pop("extra_terms", ()))
    if synonyms:
        extra += tuple(sorted(set(synonyms) | set(synonyms.values())))
    return ChineseTokenizer(names=names, hospitals=tuple(sorted(h for h in hospitals if isinstance(h, str) and h)),
                            extra_terms=tuple(dict.fromkeys(extra)), synonyms=dict(synonyms), **kwargs)


def with_terms(tokenizer: ChineseTokenizer, terms) -> ChineseTokenizer:
    """A new tokenizer like ``tokenizer`` that also keeps ``terms`` whole (e.g. discovered terms). If
    ``tokenizer``'s jieba dictionary is already loaded, the new one starts from a copy of it (the same words as a
    fresh build, without reading the dictionary files again); ``tokenizer`` itself is not changed."""
    extra = tuple(dict.fromkeys(tuple(tokenizer.extra_terms) + tuple(terms)))
    new = replace(tokenizer, extra_terms=extra)
    if "jieba" in tokenizer.__dict__:
        old = tokenizer.jieba
        tk = copy.copy(old)
        tk.FREQ = dict(old.FREQ)
        tk.user_word_tag_tab = dict(old.user_word_tag_tab)
        for term in sorted({normalise(t) for t in extra} - set(tokenizer.terms) - tokenizer.name_set - {""}):
            if term not in tokenizer.domain_terms:
                tk.add_word(term, freq=2000, tag="n")
        new.__dict__["jieba"] = tk
        if "posseg" in tokenizer.__dict__:
            new.__dict__["posseg"] = PosTags(tk, dict(tokenizer.posseg.word_tag_tab))
    return new


def tokens_table(booklet, tokenizer: ChineseTokenizer, synonyms: dict[str, str] | str | Path | None = None,
                 memos: list[dict] | None = None) -> pd.DataFrame:
    """One row per word of every title (turn 0) and turn: ``entry_id, turn_no, token_no, token, pos, concept,
    is_content, is_name``. Punctuation is left out; function words stay, with ``is_content`` false. ``concept`` is
    the synonyms file's concept for the token (the token itself when it has none); ``synonyms`` is a mapping or
    a path (default: the tokenizer's own mapping, else the shipped ``resources/synonyms.csv``). Stable order
    (entry, turn, position).

    ``memos`` (optional): one dict per text, in the order of :func:`booklet_texts` (titles, then turns), holding
    the HMM tags of each text's unknown character runs from an earlier tagging (:meth:`ChineseTokenizer.tag`).

    Built lean: each distinct ``(word, tag)`` is judged once and every token is an integer code until the
    columns are made (Arrow strings taken from the distinct words)."""
    if isinstance(synonyms, dict):
        mapping = synonyms
    elif synonyms is None and tokenizer.synonyms is not None:
        mapping = tokenizer.synonyms
    else:
        mapping = load_synonyms(synonyms)
    texts, entry_ids, turn_nos = _texts_in_order(booklet)
    if memos is not None and len(memos) != len(texts):
        raise ValueError(f"memos: {len(memos)} dicts for {len(texts)} texts")
    pair_ids: dict[tuple[str, str], int] = {}
    codes = array("i")
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        tagged = tokenizer.tag(text, memos[i] if memos is not None else None)
        lengths[i] = len(tagged)
        get = pair_ids.get
        for pair in tagged:
            pid = get(pair)
            if pid is None:
                pid = pair_ids[pair] = len(pair_ids)
            codes.append(pid)
    return _assemble(tokenizer, mapping, pair_ids, np.frombuffer(codes, dtype=np.int32) if codes else
                     np.zeros(0, dtype=np.int32), lengths, entry_ids, turn_nos)


def _texts_in_order(booklet) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every title (turn 0) and turn text of ``booklet`` with its entry id and turn number: titles first, then
    turns, in booklet order."""
    texts = list(booklet.entries.title) + list(booklet.turns.text)
    entry_ids = np.array([int(e) for e in booklet.entries.entry_id] + [int(e) for e in booklet.turns.entry_id],
                         dtype=np.int64)
    turn_nos = np.array([0] * len(booklet.entries) + [int(t) for t in booklet.turns.turn_no], dtype=np.int64)
    return texts, entry_ids, turn_nos


def _strings(values: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[codes]`` as a pandas ``string`` array: Arrow-backed (pandas ≥ 3) without a Python object per row,
    else (Python-backed strings) the distinct values shared by reference."""
    if getattr(pd.api.types.pandas_dtype("string"), "storage", None) == "pyarrow":
        import pyarrow as pa

        return pd.array(pa.array(values, type=pa.large_string()).take(pa.array(codes)), dtype="string")
    return pd.array(np.array(values, dtype=object)[codes], dtype="string")


def _assemble(tokenizer: ChineseTokenizer, mapping: dict[str, str], pair_ids: dict[tuple[str, str], int],
              codes: np.ndarray, lengths: np.ndarray, entry_ids: np.ndarray, turn_nos: np.ndarray) -> pd.DataFrame:
    """The tokens table from per-token ``(word, tag)`` codes (``codes``, texts one after another, ``lengths``
    tokens each): each distinct word and pair judged once (content, name, concept), columns by array indexing."""
    words: dict[str, int] = {}
    tags: dict[str, int] = {}
    n_pairs = len(pair_ids)
    pair_word = np.zeros(n_pairs, dtype=np.int32)
    pair_tag = np.zeros(n_pairs, dtype=np.int32)
    pair_content = np.zeros(n_pairs, dtype=bool)
    for (tok, pos), pid in pair_ids.items():
        pair_word[pid] = words.setdefault(tok, len(words))
        pair_tag[pid] = tags.setdefault(pos, len(tags))
        pair_content[pid] = tokenizer.is_content(tok, pos)
    word_list = list(words)
    is_name = np.array([tokenizer.is_name(w) for w in word_list], dtype=bool)
    concepts: dict[str, int] = {}
    word_concept = np.array([concepts.setdefault(mapping.get(w, w), len(concepts)) for w in word_list],
                            dtype=np.int32)
    # rows in (entry, turn, position) order: texts sorted stably by (entry, turn) when those keys are unique,
    # else every token sorted (as a stable sort of the rows would)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(lengths) else np.zeros(0, dtype=np.int64)
    text_of = np.repeat(np.arange(len(lengths)), lengths)
    token_no = np.arange(len(codes), dtype=np.int64) - starts[text_of]
    if len(set(zip(entry_ids.tolist(), turn_nos.tolist()))) == len(lengths):
        text_order = np.lexsort((turn_nos, entry_ids))
        n_sorted = lengths[text_order]
        new_starts = np.concatenate(([0], np.cumsum(n_sorted)[:-1])) if len(n_sorted) else n_sorted
        order = np.arange(len(codes), dtype=np.int64) + np.repeat(starts[text_order] - new_starts, n_sorted)
    else:
        order = np.lexsort((token_no, turn_nos[text_of], entry_ids[text_of]))
    order = order.astype(np.int64)
    pid = codes[order]
    word = pair_word[pid]
    text_sorted = text_of[order]
    return pd.DataFrame({
        "entry_id": pd.array(entry_ids[text_sorted], dtype="Int64"),
        "turn_no": pd.array(turn_nos[text_sorted], dtype="Int64"),
        "token_no": pd.array(token_no[order], dtype="Int64"),
        "token": _strings(word_list, word),
        "pos": _strings(list(tags), pair_tag[pid]),
        "concept": _strings(list(concepts), word_concept[word]),
        "is_content": pd.array(pair_content[pid], dtype="boolean"),
        "is_name": pd.array(is_name[word], dtype="boolean"),
    }, columns=TOKEN_COLUMNS)


VIEWS = ("token", "concept")


def analysis_tokens(tokens: pd.DataFrame, view: str = "token") -> pd.DataFrame:
    """The analysis view of a tokens table: content words that are not names, as ``entry_id, turn_no, token_no,
    token`` (+ the other columns). ``view="concept"`` puts the concept in ``token`` (the raw word moves to
    ``word``), so every analysis that counts ``token`` counts concepts."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {VIEWS}")
    out = tokens[tokens.is_content.fillna(False) & ~tokens.is_name.fillna(False)].copy()
    if view == "concept":
        out = out.rename(columns={"token": "word"}).assign(token=out["concept"].to_numpy())
        out = out[["entry_id", "turn_no", "token_no", "token", "word", "pos", "concept", "is_content", "is_name"]]
    return out.reset_index(drop=True)
