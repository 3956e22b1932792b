"""Terms from the corpus itself: multi-word term discovery, recall against a hand list, distinctive terms.

**Term discovery** (:func:`discover_terms`), in the spirit of quanteda's ``textstat_collocations`` +
``tokens_compound``: the texts are cut into clauses at punctuation, segmented and tagged by the project's tokenizer,
and every pair of adjacent words is scored by the log odds ratio λ of the 2×2 table (the pair / the first word
with another / another with the second / neither; 0.5 added to each cell) and its Wald statistic z = λ / σ,
σ = √Σ 1/nᵢⱼ. A pair becomes a term when

- it occurs at least ``min_count`` times (default 2) and z ≥ ``min_z`` (default 3.0);
- it has the shape of a term, not of a phrase (:func:`term_shape`; Chinese compounds are head-final): a noun
  head (n, nz, nt, nl, ng, nr, ns, an, j, eng) after a noun, a distinguishing word (b: 中长期) or a direction
  morpheme (f: 外 in 外网); or a verbal head (v, vn) after a noun or a verbal noun (数据集成, 需求调研,
  运营管理) — only after a single word (not after a term of an earlier round: 故障风险 + 增加 is a clause) and
  when it is followed by a noun less than half of the time (``max_object_share``: 厂商签订 + 合同 is a subject,
  its verb and the object). A verb or verbal noun before a noun is left out: it is mostly a verb and its object (建设专病库,
  接入集成平台); so is an adjective before a noun (成熟产品: a phrase). No part is a stopword, a number or a
  name of the booklet, and the term does not end in 医院 (an institution's name);
- it is at most ``max_chars`` characters long.

Accepted pairs are joined in the word stream and the scoring runs again (``rounds`` times), so three- and
four-word terms grow from two-word ones (检查检验 + 报告). Each term also gets its left and right branching entropy
(the entropy of the words before and after it; a clause boundary counts as a new word each time): a real term is
used in varied contexts; a piece of a longer unit has one neighbour only (review columns). A term that later
rounds absorbed into longer terms, so that it stands alone fewer than ``min_count`` times, is left out.

The accepted terms are handed to :func:`corpus_tools.text.with_terms`, which adds them to jieba next to the
curated dictionary and re-segments: a new booklet benefits the same way, with no hand-made list. The
``discovered_terms`` table is for an analyst to review and promote terms into ``resources/domain_dict.txt``.

**Cost** (:func:`build_tokens`): every text is segmented and tagged twice, as before discovery and after, exactly
as two fresh jieba runs would (the new words can change the route anywhere, and so can the dictionary's larger
total); the second run reuses each text's HMM tags of unknown character runs from the first (they do not depend
on the dictionary). Discovery itself counts and joins word pairs on integer codes with numpy (:class:`WordStream`).

**Distinctive terms** (:func:`distinctive_terms`): each group's terms against the rest (G² and log ratio, from
:func:`corpus_tools.trends.keyness`), positive keyness only — for word clouds, which otherwise show 系统, 数据 and
厂商 in every group.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .ingest import CJK
from .stats import log_likelihood
from .text import ChineseTokenizer, load_synonyms, normalise, tokenizer_for, tokens_table, with_terms

_WORD = re.compile(rf"[{CJK}A-Za-z0-9]")

#: nominal tags: nouns, nominal adjectives, abbreviations, English terms
NOMINAL_POS = frozenset({"n", "nz", "nt", "nl", "ng", "nr", "ns", "an", "j", "eng"})
#: verbal heads: a noun (or verbal noun) before a verb or verbal noun makes a compound (数据集成, 运营管理)
VERBAL_HEAD_POS = frozenset({"v", "vn"})
#: a term ending in one of these is an institution's name, not a term
NAME_HEADS = ("医院",)
#: columns of the discovered_terms table
DISCOVERED_COLUMNS = ["term", "frequency", "score", "source", "n_entries", "parts", "lambda", "g2",
                      "left_entropy", "right_entropy", "round"]


# ---------------------------------------------------------------- discovery

@dataclass
class WordStream:
    """The clauses of a list of texts as integer codes, one element per word: ``words[w[k]]`` is the word,
    ``tags[p[k]]`` its jieba tag, ``doc[k]`` the index of its text and ``run[k]`` the number of its clause
    (consecutive words of one clause share it; clauses are numbered in order). Shapes: four arrays of the
    stream's length; ``index`` maps a word back to its code."""

    words: list[str]
    index: dict[str, int]
    tags: list[str]
    w: np.ndarray
    p: np.ndarray
    doc: np.ndarray
    run: np.ndarray

    def code(self, word: str) -> int:
        """The code of ``word``, a new one if it has none yet."""
        c = self.index.get(word)
        if c is None:
            c = self.index[word] = len(self.words)
            self.words.append(word)
        return c

    def runs(self) -> list[list[tuple[str, str, int]]]:
        """The clauses as lists of ``(word, tag, text index)``."""
        out: list[list[tuple[str, str, int]]] = []
        last = None
        for w, p, d, r in zip(self.w.tolist(), self.p.tolist(), self.doc.tolist(), self.run.tolist()):
            if r != last:
                out.append([])
                last = r
            out[-1].append((self.words[w], self.tags[p], d))
        return out


def word_stream(tokenizer: ChineseTokenizer, texts: list[str], memos: list[dict] | None = None) -> WordStream:
    """Every text segmented and tagged once (:meth:`ChineseTokenizer.tagger`), cut into clauses at punctuation
    (a word without a letter, digit or Chinese character ends a clause, as does the end of a text). ``memos``
    (optional, one dict per text) keep each text's HMM tags for a later tagging of the same text."""
    tagger = tokenizer.tagger
    index: dict[str, int] = {}
    seen: dict[str, int] = {}  # word as jieba gives it → code, or -1 for a clause boundary
    tag_index: dict[str, int] = {}
    w, p, doc, run = array("q"), array("i"), array("i"), array("i")
    r = 0
    for i, text in enumerate(texts):
        open_run = False
        for word, flag in tagger.cut(normalise(text), memos[i] if memos is not None else None):
            c = seen.get(word)
            if c is None:
                s = word.strip()
                if not s or not _WORD.search(s):
                    c = -1
                else:
                    c = index.setdefault(s, len(index))
                seen[word] = c
            if c < 0:
                if open_run:
                    r += 1
                    open_run = False
                continue
            t = tag_index.get(flag)
            if t is None:
                t = tag_index[flag] = len(tag_index)
            w.append(c)
            p.append(t)
            doc.append(i)
            run.append(r)
            open_run = True
        if open_run:
            r += 1
    return WordStream(list(index), index, list(tag_index), _np(w, np.int64), _np(p, np.int32), _np(doc, np.int32),
                      _np(run, np.int32))


def _np(values: array, dtype) -> np.ndarray:
    """An ``array.array`` as a numpy array of ``dtype`` (no copy when the item sizes agree)."""
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _part_ok(tokenizer: ChineseTokenizer, word: str) -> bool:
    """May ``word`` be part of a term at all: a known term, or a non-stopword with letters that is no name."""
    if word in tokenizer.terms and not tokenizer.is_name(word):
        return True
    return not (tokenizer.is_name(word) or not re.search(rf"[{CJK}A-Za-z]", word) or word.isdigit()
                or word in tokenizer.stopword_set)


def term_shape(tokenizer: ChineseTokenizer, first: str, first_pos: str, second: str, second_pos: str) -> bool:
    """Does ``first`` + ``second`` look like a term (the shape rule of the module docstring)? Known terms
    (dictionary, synonyms, earlier rounds) count as nouns whatever jieba tags them."""
    if not (_part_ok(tokenizer, first) and _part_ok(tokenizer, second)):
        return False
    f = "n" if first in tokenizer.terms else first_pos
    h = "n" if second in tokenizer.terms else second_pos
    if h in VERBAL_HEAD_POS:
        if second not in tokenizer.terms and (len(second) < 2 or tokenizer.is_fragment(second)):
            return False
        return f in NOMINAL_POS or f == "vn"
    return h in NOMINAL_POS and (f in NOMINAL_POS or f in {"b", "f"})


def _entropy(counter: Counter) -> float:
    """Entropy of the counts (nats). ``math.fsum``: correctly rounded whatever the order of the counts and the
    Python version (``sum`` of floats is compensated from 3.12 on, plain before: results differed in the last bit)."""
    n = sum(counter.values())
    return float(-math.fsum(c / n * math.log(c / n) for c in counter.values())) if n else 0.0


def _lambda_z(n11: int, n12: int, n21: int, n22: int) -> tuple[float, float, float]:
    """λ, σ and z of one 2×2 table (½ added to each cell)."""
    cells = [x + 0.5 for x in (n11, n12, n21, n22)]
    lam = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    sigma = math.sqrt(math.fsum(1 / c for c in cells))  # fsum: see _entropy (equal tables, equal z, ties by term)
    return lam, sigma, lam / sigma


def score_pairs(runs: list[list[tuple[str, str, int]]]) -> pd.DataFrame:
    """Every adjacent pair of words in the clauses: ``first, second, count, lambda, sigma, z, g2``.
    λ = log((n11+½)(n22+½) / ((n12+½)(n21+½))), σ = √Σ 1/(nᵢⱼ+½), z = λ/σ (quanteda's textstat_collocations
    for size 2)."""
    pairs: Counter = Counter()
    first: Counter = Counter()
    second: Counter = Counter()
    for run in runs:
        for (a, _, _), (b, _, _) in zip(run, run[1:]):
            pairs[(a, b)] += 1
            first[a] += 1
            second[b] += 1
    n = sum(pairs.values())
    rows = []
    for (a, b), n11 in pairs.items():
        n12, n21 = first[a] - n11, second[b] - n11
        n22 = n - n11 - n12 - n21
        lam, sigma, z = _lambda_z(n11, n12, n21, n22)
        rows.append((a, b, n11, lam, sigma, z, log_likelihood(n11, n12, n21, n22)))
    return pd.DataFrame(rows, columns=["first", "second", "count", "lambda", "sigma", "z", "g2"])


def _candidates(s: WordStream, min_count: int, min_z: float) -> list[tuple]:
    """The adjacent pairs of the stream with count ≥ ``min_count`` and z ≥ ``min_z`` (:func:`score_pairs`'s
    numbers, counted with numpy; λ, z and G² in Python floats as there), best first (z descending, then first
    and second word): ``(z, first, second, first code, second code, lambda, (n11, n12, n21, n22), object
    share)`` — the share of the pair's occurrences followed in the clause by a noun (a verb with an object after
    it is a predicate, not the head of a compound)."""
    m = len(s.w)
    k = np.flatnonzero(s.run[1:] == s.run[:-1]) if m > 1 else np.zeros(0, dtype=np.int64)
    if not len(k):
        return []
    v = len(s.words)
    a, b = s.w[k], s.w[k + 1]
    inv, keys = pd.factorize(a * v + b)  # hashing, not sorting: the order of the pairs does not matter here
    counts = np.bincount(inv, minlength=len(keys))
    first = np.bincount(a, minlength=v)
    second = np.bincount(b, minlength=v)
    nominal = np.array([t in NOMINAL_POS for t in s.tags], dtype=bool)
    k3 = k[k + 2 < m]
    obj = np.zeros(len(k), dtype=np.int64)
    obj[: len(k3)] = (s.run[k3 + 2] == s.run[k3]) & nominal[s.p[k3 + 2]]  # k is ascending: k3 is its head
    objects = np.bincount(inv, weights=obj, minlength=len(keys))
    n = len(k)
    # z in numpy first, to leave out the pairs far below min_z; the ones kept are computed again in Python
    # floats exactly as score_pairs does (numpy's log may differ from math.log in the last bit)
    j = np.flatnonzero(counts >= min_count)
    ca, cb = keys[j] // v, keys[j] % v
    n11 = counts[j]
    cells = [x + 0.5 for x in (n11, first[ca] - n11, second[cb] - n11, n - first[ca] - second[cb] + n11)]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log(cells[0] * cells[3] / (cells[1] * cells[2])) / np.sqrt(sum(1 / c for c in cells))
    near = ~(z < min_z - 1e-6 * max(1.0, abs(min_z)))
    out = []
    for j, ca, cb in zip(j[near].tolist(), ca[near].tolist(), cb[near].tolist()):
        n11 = int(counts[j])
        n12, n21 = int(first[ca]) - n11, int(second[cb]) - n11
        n22 = n - n11 - n12 - n21
        lam, _, z = _lambda_z(n11, n12, n21, n22)
        if z >= min_z:
            out.append((z, s.words[ca], s.words[cb], ca, cb, lam, (n11, n12, n21, n22), int(objects[j]) / n11))
    out.sort(key=lambda c: (-c[0], c[1], c[2]))
    return out


def _join(s: WordStream, accept: dict[tuple[int, int], str]) -> WordStream:
    """Join accepted pairs left to right in each clause (where two accepted pairs overlap, the left one wins);
    a joined word takes the head's tag and the first word's text."""
    m, v = len(s.w), len(s.words)
    codes = {ca * v + cb: s.code(term) for (ca, cb), term in accept.items()}
    acc = np.array(sorted(codes), dtype=np.int64)
    acc_code = np.array([codes[key] for key in acc.tolist()], dtype=np.int64)
    pair_keys = s.w[:-1] * v + s.w[1:]
    cand = (s.run[1:] == s.run[:-1]) & np.isin(pair_keys, acc)
    # a run of consecutive candidate positions: the first, third, … are joined (greedy, left to right)
    idx = np.arange(m - 1)
    start = cand & ~np.concatenate(([False], cand[:-1]))
    block = np.maximum.accumulate(np.where(start, idx, -1))
    taken = np.flatnonzero(cand & ((idx - block) % 2 == 0))
    w, p = s.w.copy(), s.p.copy()
    w[taken] = acc_code[np.searchsorted(acc, pair_keys[taken])]
    p[taken] = s.p[taken + 1]
    keep = np.ones(m, dtype=bool)
    keep[taken + 1] = False
    return WordStream(s.words, s.index, s.tags, w[keep], p[keep], s.doc[keep], s.run[keep])


def discover_terms(tokenizer: ChineseTokenizer, texts: list[str], entry_ids: list[int] | None = None,
                   min_count: int = 2, min_z: float = 3.0, max_chars: int = 8, rounds: int = 3,
                   max_object_share: float = 0.5, memos: list[dict] | None = None) -> pd.DataFrame:
    """Multi-word terms of ``texts`` (see the module docstring). ``entry_ids[i]`` is the entry of ``texts[i]``
    (default: each text its own entry), for the ``n_entries`` column. ``memos`` (optional, one dict per text)
    keep each text's HMM tags for its next tagging (:func:`build_tokens` re-tags with the terms found).

    Returns the ``discovered_terms`` table: ``term, frequency`` (occurrences as one unit after joining),
    ``score`` (z), ``source`` ("collocation"), ``n_entries``, ``parts`` (the words joined, by ``|``), ``lambda``,
    ``g2``, ``left_entropy``, ``right_entropy`` (nats), ``round`` (1 = a pair of dictionary words); sorted by
    score, then term."""
    entry_ids = list(entry_ids) if entry_ids is not None else list(range(len(texts)))
    s = word_stream(tokenizer, texts, memos)
    found: dict[str, dict] = {}
    for rnd in range(1, rounds + 1):
        # each word's tag: the tag of its first occurrence in the stream
        first_at = ~pd.Series(s.w).duplicated(keep="first").to_numpy()
        first_tag = dict(zip(s.w[first_at].tolist(), s.p[first_at].tolist()))
        accept: dict[tuple[int, int], str] = {}
        for z, first, second, ca, cb, lam, cells, object_share in _candidates(s, min_count, min_z):
            term = first + second
            if len(term) > max_chars or term.endswith(NAME_HEADS):
                continue
            tag_first, tag_second = s.tags[first_tag[ca]], s.tags[first_tag[cb]]
            if not term_shape(tokenizer, first, tag_first, second, tag_second):
                continue
            if tag_second in VERBAL_HEAD_POS and second not in tokenizer.terms and (
                    first in found or object_share >= max_object_share):
                continue  # a verb after a longer unit, or with an object after it (厂商签订合同): a predicate
            if first.isascii() and second.isascii():  # Latin words keep their own spacing
                continue
            accept[(ca, cb)] = term
            parts = found.get(first, {}).get("parts", first) + "|" + found.get(second, {}).get("parts", second)
            found[term] = dict(term=term, score=float(z), parts=parts, **{"lambda": float(lam)},
                               g2=log_likelihood(*cells), round=rnd)
        if not accept:
            break
        s = _join(s, accept)
    # frequencies, entries and branching entropies in the final stream (a clause boundary: a new word each time)
    freq: Counter = Counter()
    entries: dict[str, set] = defaultdict(set)
    left: dict[str, Counter] = defaultdict(Counter)
    right: dict[str, Counter] = defaultdict(Counter)
    codes = [s.index[t] for t in found if t in s.index]
    at = np.flatnonzero(np.isin(s.w, np.array(codes, dtype=np.int64)))
    m = len(s.w)
    same_left = (at > 0) & (s.run[np.maximum(at - 1, 0)] == s.run[at])
    same_right = (at + 1 < m) & (s.run[np.minimum(at + 1, m - 1)] == s.run[at])
    lefts = np.where(same_left, s.w[np.maximum(at - 1, 0)], -1).tolist()
    rights = np.where(same_right, s.w[np.minimum(at + 1, m - 1)], -1).tolist()
    boundary = 0
    for wc, lc, rc, d in zip(s.w[at].tolist(), lefts, rights, s.doc[at].tolist()):
        term = s.words[wc]
        freq[term] += 1
        entries[term].add(entry_ids[d])
        boundary += 1
        left[term][lc if lc >= 0 else -boundary] += 1
        right[term][rc if rc >= 0 else -boundary] += 1
    rows = []
    for term, d in found.items():
        if freq[term] < min_count:  # absorbed into longer terms
            continue
        rows.append(dict(d, frequency=freq[term], source="collocation", n_entries=len(entries[term]),
                         left_entropy=_entropy(left[term]), right_entropy=_entropy(right[term])))
    out = pd.DataFrame(rows, columns=DISCOVERED_COLUMNS)
    out = out.sort_values(["score", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out.astype({"term": "string", "frequency": "Int64", "score": "Float64", "source": "string",
                       "n_entries": "Int64", "parts": "string", "lambda": "Float64", "g2": "Float64",
                       "left_entropy": "Float64", "right_entropy": "Float64", "round": "Int64"})


def booklet_texts(booklet) -> tuple[list[str], list[int]]:
    """Every title and turn text of ``booklet`` with its entry id (titles first, then turns, booklet order)."""
    texts = list(booklet.entries.title) + list(booklet.turns.text)
    ids = [int(i) for i in booklet.entries.entry_id] + [int(i) for i in booklet.turns.entry_id]
    return texts, ids


def discover_booklet_terms(booklet, tokenizer: ChineseTokenizer, **kwargs) -> pd.DataFrame:
    """:func:`discover_terms` over every title and turn of ``booklet``."""
    texts, ids = booklet_texts(booklet)
    return discover_terms(tokenizer, texts, ids, **kwargs)


@dataclass
class TokenStage:
    """What the tokens stage produces: the tokenizer (with discovered terms), the full tokens table, the
    ``discovered_terms`` table, and the synonyms mapping used."""

    tokenizer: ChineseTokenizer
    tokens: pd.DataFrame
    discovered: pd.DataFrame
    synonyms: dict[str, str]


def build_tokens(booklet, synonyms: dict[str, str] | str | Path | None = None, discover: bool = True,
                 cache_dir: str | Path | None = None, **discovery) -> TokenStage:
    """The tokens stage in one call: a tokenizer knowing the booklet's names and the synonyms (default the
    shipped ``resources/synonyms.csv``), term discovery over the booklet (``discovery`` kwargs go to
    :func:`discover_terms`), the discovered terms compounded, then the tokens table. ``discover=False`` gives
    the curated dictionary only (an empty ``discovered`` table).

    Each text is segmented twice (once for discovery, once with the terms found), as a fresh tokenizer would;
    the second time reuses the first's HMM tags of the text's unknown character runs (``memos``: they do not
    depend on the dictionary), so only the dictionary route is computed again."""
    mapping = synonyms if isinstance(synonyms, dict) else load_synonyms(synonyms)
    tk = tokenizer_for(booklet, synonyms=mapping, cache_dir=cache_dir)
    memos = None
    if discover:
        texts, ids = booklet_texts(booklet)
        memos = [{} for _ in texts]
        found = discover_terms(tk, texts, ids, memos=memos, **discovery)
        tk = with_terms(tk, found.term)
    else:
        found = pd.DataFrame({c: [] for c in DISCOVERED_COLUMNS})
    return TokenStage(tk, tokens_table(booklet, tk, mapping, memos=memos), found, mapping)


# ---------------------------------------------------------------- recall against a hand list

def term_recall(tokens: pd.DataFrame, sample: pd.DataFrame, booklet) -> pd.DataFrame:
    """For each hand-marked ``(entry_id, term)`` of ``sample``: ``found`` — the term is one token somewhere in
    that entry (title or turns) of ``tokens`` — and ``in_text`` — the term is printed in the entry (after
    normalisation). Recall = mean of ``found`` over the rows that are ``in_text``."""
    texts = {int(e): normalise(t) for e, t in zip(booklet.entries.entry_id, booklet.entries.title)}
    for e, t in zip(booklet.turns.entry_id, booklet.turns.text):
        texts[int(e)] = texts.get(int(e), "") + "\n" + normalise(t)
    words = tokens.groupby("entry_id").token.apply(lambda s: set(s.astype(str)))
    rows = []
    for e, term in zip(sample.entry_id, sample.term):
        term = normalise(str(term).strip())
        rows.append(dict(entry_id=int(e), term=term, in_text=term in texts.get(int(e), ""),
                         found=term in words.get(int(e), set())))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- distinctive terms (word clouds)

def distinctive_terms(tokens: pd.DataFrame, entries: pd.DataFrame, by: str, group=None, n: int = 60,
                      max_p: float = 0.05, min_freq: int = 3, min_docs: int = 2) -> pd.DataFrame:
    """Each group's distinctive terms against the rest of the entries: ``group, term, count, count_rest, g2,
    p_g2, log_ratio, weight`` with only positively key terms (log ratio > 0, p of G² < ``max_p``), at most ``n``
    per group, by G² (ties by term). ``weight`` = G², the size of a word in a cloud. ``tokens`` is an analysis
    view (:func:`corpus_tools.text.analysis_tokens`); ``group`` restricts to one group."""
    from .trends import _keyness_cells, entry_units

    cols = ["group", "term", "count", "count_rest", "g2", "p_g2", "log_ratio", "weight"]
    e = entry_units(entries) if by == "unit" else entries
    if e[by].nunique() < 2:  # one group: there is no rest to compare with
        return pd.DataFrame(columns=cols)
    with np.errstate(divide="ignore", invalid="ignore"):  # the cells of keyness a group uses (absences are not key)
        cells = _keyness_cells(tokens, entries, by, min_freq, min_docs, "token", absent=False)
    if cells is None or len(cells["term"]) == 0:
        return pd.DataFrame(columns=cols)
    lr, g2 = cells["log_ratio"].astype(float), cells["g2"].astype(float)
    rows = np.flatnonzero((lr > 0) & (g2 > 0) & (cells["p_g2"] < max_p) & (cells["count"] > 0) & np.isfinite(lr)
                          & np.isfinite(g2))
    # the table of those rows only (typed from one row when there are none)
    k = pd.DataFrame({c: v[rows if len(rows) else [0]] for c, v in cells.items()}).iloc[:len(rows)]
    if group is not None:
        k = k[k.group.astype(str) == str(group)]
    k = k.sort_values(["group", "g2", "term"], ascending=[True, False, True], kind="stable")
    k = k.groupby("group", sort=False).head(n).assign(weight=lambda d: d.g2)
    return k[cols].reset_index(drop=True)


def cloud_weights(distinctive: pd.DataFrame, group) -> dict[str, float]:
    """``term → weight`` of one group of :func:`distinctive_terms`, for ``plots.topics.word_cloud``."""
    d = distinctive[distinctive.group.astype(str) == str(group)]
    return {str(t): float(w) for t, w in zip(d.term, d.weight) if np.isfinite(w) and w > 0}


def distinctive_table(tokens: pd.DataFrame, entries: pd.DataFrame, bys: tuple[str, ...] = ("section", "cohort"),
                      **kwargs) -> pd.DataFrame:
    """:func:`distinctive_terms` for each grouping of ``bys``, stacked, with a first column ``by``; the
    ``cloud_terms`` table the word clouds are drawn from (groups as text)."""
    parts = [distinctive_terms(tokens, entries, by, **kwargs).assign(by=by) for by in bys]
    cols = ["by", "group", "term", "count", "count_rest", "g2", "p_g2", "log_ratio", "weight"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out["group"] = out["group"].astype(str)
    return out[cols]
