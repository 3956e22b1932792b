"""Stage 3 — text → tokens: normalisation, jieba with a domain dictionary and the booklet's names, stopwords.

The tokenizer is a small object built once with everything it needs (scikit-learn style: parameters in the
constructor, no global state): its own ``jieba.Tokenizer`` instance (the global jieba dictionary is never touched),
a cache file in a project cache folder (not a shared ``/tmp`` file), and jieba's start-up chatter silenced.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import jieba
import pandas as pd

from .ingest import CJK
from .resources import load_list, resource_path

_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_SPACE_LATIN_CJK = re.compile(rf"(?<=[A-Za-z0-9%+#/.\-])\s+(?=[{CJK}])|(?<=[{CJK}])\s+(?=[A-Za-z0-9])")
_KEEP = re.compile(rf"[{CJK}A-Za-z]")
_NUMBER = re.compile(r"^[\d.,%+\-/:]+$")


def normalise(text: str) -> str:
    """Full-width letters and digits → half-width; spaces between Latin and Chinese removed ("HIS 系统" →
    "HIS系统"), so they cannot split a term; Chinese punctuation and Latin word spacing kept."""
    text = _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)
    return _SPACE_LATIN_CJK.sub("", text)


def default_cache_dir() -> Path:
    """``$CORPUS_TOOLS_CACHE`` or ``$XDG_CACHE_HOME/corpus_tools`` (``~/.cache/corpus_tools``)."""
    env = os.environ.get("CORPUS_TOOLS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "corpus_tools"


def general_stopwords() -> frozenset[str]:
    """The general Chinese stopword list of stopwords-iso (package ``stopwordsiso``)."""
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("zh"))


@dataclass
class ChineseTokenizer:
    """Segment Chinese text into content tokens.

    Parameters
    ----------
    names: words that must never be cut (people and hospitals of the booklet), added with a high frequency.
    domain_dict: jieba user dictionary (``word freq [pos]`` lines); default ``resources/domain_dict.txt``.
    stopwords: replace the default stopwords (general list + ``resources/stopwords_corpus.txt``) by these.
    extra_stopwords: added to the stopwords.
    min_chars: shortest token kept (Latin acronyms like "AI" and single characters in ``keep_single`` are kept).
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
    _stop: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        base = self.stopwords if self.stopwords is not None else (
            general_stopwords() | frozenset(load_list("stopwords_corpus.txt")))
        self._stop = frozenset(base) | frozenset(self.extra_stopwords)

    @cached_property
    def jieba(self) -> jieba.Tokenizer:
        """The jieba tokenizer, initialised once (quietly) with the domain dictionary and the names."""
        jieba.setLogLevel(logging.WARNING)
        tk = jieba.Tokenizer()
        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        tk.tmp_dir = str(cache)
        tk.cache_file = "jieba.cache"
        tk.initialize()
        tk.load_userdict(str(self.domain_dict or resource_path("domain_dict.txt")))
        for name in sorted(set(self.names)):
            if name:
                tk.add_word(normalise(name), freq=5000, tag="nr")
        return tk

    def segment(self, text: str) -> list[str]:
        """All jieba segments of the normalised text (nothing filtered)."""
        return self.jieba.lcut(normalise(text), HMM=True)

    def keep(self, token: str) -> bool:
        token = token.strip()
        if not token or token in self._stop or not _KEEP.search(token) or _NUMBER.match(token):
            return False
        if len(token) < self.min_chars and token not in self.keep_single:
            return False
        return True

    def tokenize(self, text: str) -> list[str]:
        """Content tokens of ``text``: segmented, stopwords, punctuation, numbers and short tokens removed."""
        return [t.strip() for t in self.segment(text) if self.keep(t)]

    @property
    def stopword_set(self) -> frozenset[str]:
        return self._stop


def tokenizer_for(booklet, **kwargs) -> ChineseTokenizer:
    """A tokenizer that knows every person and hospital of ``booklet`` (so names are never cut)."""
    names = set(booklet.people.name)
    names |= set(booklet.askers.hospital) | set(booklet.askers.hospital_alias) | set(booklet.hospitals.hospital)
    return ChineseTokenizer(names=tuple(sorted(n for n in names if n)), **kwargs)


def tokens_table(booklet, tokenizer: ChineseTokenizer) -> pd.DataFrame:
    """One row per token: ``entry_id, turn_no, token_no, token``; titles are turn 0. Stable order."""
    rows = []
    for e in booklet.entries.itertuples():
        for k, tok in enumerate(tokenizer.tokenize(e.title)):
            rows.append((e.entry_id, 0, k, tok))
    for t in booklet.turns.itertuples():
        for k, tok in enumerate(tokenizer.tokenize(t.text)):
            rows.append((t.entry_id, t.turn_no, k, tok))
    df = pd.DataFrame(rows, columns=["entry_id", "turn_no", "token_no", "token"])
    df = df.sort_values(["entry_id", "turn_no", "token_no"], kind="stable").reset_index(drop=True)
    return df.astype({"entry_id": "Int64", "turn_no": "Int64", "token_no": "Int64", "token": "string"})
