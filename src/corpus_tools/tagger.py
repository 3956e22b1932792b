"""jieba's part-of-speech tagging (``jieba.posseg.POSTokenizer.cut`` with HMM), re-implemented for speed with
exactly the same output: same words, same tags, same order, for any text and any dictionary.

The two parts of jieba's (0.42) tagger that take its time are done here on arrays: the hidden-Markov Viterbi that
tags runs of characters the dictionary does not know (256 states), and the dictionary route (``get_DAG`` +
``calc``):

* :func:`viterbi` — the same recurrence on numpy arrays: for each character, a (previous states × allowed states)
  matrix of ``(V[t-1] + log P(transition)) + log P(emission)`` (the same floating-point operations in the same
  order as jieba's ``V[t-1][y0] + trans_p[y0].get(y, -inf) + emit_p[y].get(c, MIN_FLOAT)``), its maximum over the
  previous states with jieba's tie rule (``max`` over ``(prob, state)`` tuples: among equal probabilities the
  greatest state tuple wins — the states are numbered in descending tuple order, so ``argmax``, which takes the
  first maximum, picks it); the allowed-state sets are jieba's (the character's states from ``char_state_tab``
  that some previous state can reach, else every reachable state, else all states).
* :func:`route` — ``get_DAG`` and ``calc`` fused into one right-to-left pass without the DAG dict; each
  fragment's ``log(freq) - log(total)`` computed once per dictionary and then added to ``route[x+1]`` (jieba's
  operations in jieba's order); ties go to the longer word, as jieba's ``max`` over ``(prob, x)``.
* :class:`Tagger` — jieba's ``__cut_internal`` / ``__cut_DAG`` / ``__cut_detail`` / ``__cut`` block logic
  unchanged, yielding ``(word, flag)`` tuples instead of ``pair`` objects; an optional ``memo`` dict keeps the
  HMM result of each unknown run (it depends only on the run's characters, never on the dictionary), so a text
  tagged again with a larger dictionary reuses it.

``tests/test_text.py`` checks all of this against jieba itself, word for word, on the booklet and on random text.
"""

from __future__ import annotations

import functools
import re
from math import log

import numpy as np

_re_han_detail = re.compile("([\u4E00-\u9FD5]+)")
_re_skip_detail = re.compile(r"([\.0-9]+|[a-zA-Z0-9]+)")
_re_han_internal = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._]+)")
_re_skip_internal = re.compile(r"(\r\n|\s)")
_re_eng = re.compile("[a-zA-Z0-9]+")
_re_num = re.compile(r"[\.0-9]+")

MIN_FLOAT = -3.14e100  # jieba.posseg.viterbi.MIN_FLOAT: an emission the model has never seen


def _posseg_module(name: str):
    import importlib.util
    from pathlib import Path

    import jieba

    spec = importlib.util.spec_from_file_location(f"corpus_tools._jieba_posseg_{name}",
                                                  Path(jieba.__file__).parent / "posseg" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def posseg_model() -> tuple[dict, dict, dict, dict]:
    """jieba's part-of-speech HMM ``(char_state_tab_P, start_P, trans_P, emit_P)``, read from jieba's own model
    files without importing ``jieba.posseg`` (that import also builds jieba's default tagger over its whole
    dictionary, which this package never uses)."""
    import sys

    if "jieba.posseg" in sys.modules:  # imported anyway (tests compare with it): the same objects
        from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P

        return char_state_tab_P, start_P, trans_P, emit_P
    return tuple(_posseg_module(n).P for n in ("char_state_tab", "prob_start", "prob_trans", "prob_emit"))


_DICT_LINES = re.compile(r"(?:\S+ \S+ \S+\n)*(?:\S+ \S+ \S+)?")


def _read_dictionary(tokenizer) -> tuple[str, bytes]:
    f = tokenizer.get_dict_file()
    try:
        return getattr(f, "name", str(f)), f.read()
    finally:
        f.close()


def _parsed_dictionary(data: bytes) -> tuple[dict[str, int], int, dict[str, str]] | None:
    """``(prefix dictionary, total frequency, word → tag)`` of a dictionary file in jieba's ``word freq tag``
    format, in one pass: the prefix dictionary and total are those of jieba's ``Tokenizer.gen_pfdict`` (every
    word with its frequency — the last line of a repeated word wins, all count in the total — and every prefix
    of a word with 0 unless it is a word itself), the tags those of ``POSTokenizer.load_word_tag``. None when a
    line is not exactly three fields separated by single spaces (jieba's own readers then handle the file).
    Each call returns dicts of its own (a tokenizer adds its user words to them): the parse of the last file's
    bytes is kept, and a call on the same bytes copies it, so the tokenizers of one process (a comparison's two
    booklets, a notebook's analyses) parse the file once."""
    parsed = _parse_dictionary(data)
    return None if parsed is None else (dict(parsed[0]), parsed[1], dict(parsed[2]))


@functools.lru_cache(maxsize=1)
def _parse_dictionary(data: bytes) -> tuple[dict[str, int], int, dict[str, str]] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _DICT_LINES.fullmatch(text) is None:
        return None
    fields = text.split()
    del text
    words = fields[0::3]
    try:
        freqs = [int(f) for f in fields[1::3]]
    except ValueError:
        return None
    prefixes = dict.fromkeys([w[:i] for w in words for i in range(1, len(w))], 0)
    prefixes.update(zip(words, freqs))
    return prefixes, sum(freqs), dict(zip(words, fields[2::3]))


def initialize_dictionary(tokenizer) -> dict[str, str] | None:
    """Load ``tokenizer``'s main dictionary (a ``jieba.Tokenizer`` not yet initialised): the same prefix
    dictionary and total as ``tokenizer.initialize()``, built from the file in one pass instead of
    jieba's pass plus a second one for the tags; no cache file is read or written.
    Returns the dictionary's word tags from the same pass (for :class:`PosTags`). A file in another format is
    left to jieba (and None is returned)."""
    parsed = None if tokenizer.initialized else _parsed_dictionary(_read_dictionary(tokenizer)[1])
    if parsed is None:
        tokenizer.initialize()
        return None
    tokenizer.FREQ, tokenizer.total, tags = parsed
    tokenizer.initialized = True
    return tags


def dictionary_tags(tokenizer) -> dict[str, str]:
    """``{word: tag}`` of ``tokenizer``'s main dictionary file, as ``jieba.posseg.POSTokenizer.load_word_tag``
    reads it (each line ``word freq tag``; a bad line reported as jieba reports it)."""
    name, data = _read_dictionary(tokenizer)
    parsed = _parse_dictionary(data)
    if parsed is not None:
        return dict(parsed[2])  # a copy of the tags alone (the caller adds user words' tags to it)
    tags: dict[str, str] = {}
    for lineno, line in enumerate(data.splitlines(), 1):
        line = line.strip().decode("utf-8")
        if not line:
            continue
        try:
            word, _, tag = line.split(" ")
        except ValueError:
            raise ValueError(f"invalid POS dictionary entry in {name} at Line {lineno}: {line}") from None
        tags[word] = tag
    return tags


class PosTags:
    """The dictionary side of ``jieba.posseg.POSTokenizer`` on ``tokenizer`` (a ``jieba.Tokenizer``): its word →
    tag table (``word_tag_tab``, the main dictionary's tags, then the user words' as they are added), which is
    what :class:`Tagger` reads. ``cut`` runs jieba's own tagger on the same dictionary (slow: the reference the
    tests compare :class:`Tagger` with)."""

    def __init__(self, tokenizer, word_tag_tab: dict[str, str] | None = None) -> None:
        self.tokenizer = tokenizer
        self.word_tag_tab = dictionary_tags(tokenizer) if word_tag_tab is None else word_tag_tab

    def makesure_userdict_loaded(self) -> None:
        """Take the tags of words added to the tokenizer since (jieba's rule, on every cut)."""
        if self.tokenizer.user_word_tag_tab:
            self.word_tag_tab.update(self.tokenizer.user_word_tag_tab)
            self.tokenizer.user_word_tag_tab = {}

    def cut(self, sentence: str, HMM: bool = True):  # noqa: N803 - jieba's name
        """jieba's ``POSTokenizer.cut`` on this dictionary (``pair`` objects with ``word`` and ``flag``)."""
        import jieba.posseg

        pos = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
        pos.tokenizer, pos.word_tag_tab = self.tokenizer, self.word_tag_tab
        return pos.cut(sentence, HMM)


class _Model:
    """jieba's posseg HMM as arrays: states numbered in descending tuple order (index 0 = greatest tuple)."""

    def __init__(self) -> None:
        char_state_tab_P, start_P, trans_P, emit_P = posseg_model()
        self.states = sorted(trans_P, reverse=True)
        index = {s: i for i, s in enumerate(self.states)}
        n = len(self.states)
        self.index = index
        self.start = np.array([start_P[s] for s in self.states])
        self.trans = np.full((n, n), -np.inf)
        self.reach = np.zeros((n, n), dtype=bool)  # reach[i, j]: j is a key of trans_P[state i]
        for s, row in trans_P.items():
            for t, p in row.items():
                self.trans[index[s], index[t]] = p
                self.reach[index[s], index[t]] = True
        self.has_next = self.reach.any(axis=1)
        self.emit_p = emit_P
        self.char_states = char_state_tab_P
        self.all_mask = np.ones(n, dtype=bool)
        self._char_mask: dict[str, np.ndarray] = {}
        self._emit: dict[str, np.ndarray] = {}
        self._successors: dict[bytes, tuple] = {}

    def char_mask(self, c: str) -> np.ndarray:
        """Boolean mask of the states jieba allows for character ``c`` (all states for an unknown one)."""
        m = self._char_mask.get(c)
        if m is None:
            sts = self.char_states.get(c)
            if sts is None:
                m = self.all_mask
            else:
                m = np.zeros(len(self.states), dtype=bool)
                m[[self.index[s] for s in sts]] = True
            self._char_mask[c] = m
        return m

    def successors(self, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For a set of states (ascending indices): which of them have transitions (mask, and those states as a
        row and as a column), and the mask of the states they can reach — a property of the model, kept per set."""
        key = cur.tobytes()
        got = self._successors.get(key)
        if got is None:
            keep = self.has_next[cur]
            prev = cur[keep]
            got = self._successors[key] = (keep, prev, prev[:, None], self.reach[prev].any(axis=0))
        return got

    def emission(self, c: str) -> np.ndarray:
        """log P(c | state) for every state, MIN_FLOAT where the model has none."""
        e = self._emit.get(c)
        if e is None:
            e = np.array([self.emit_p[s].get(c, MIN_FLOAT) for s in self.states])
            self._emit[c] = e
        return e


_MODEL: _Model | None = None


def _model() -> _Model:
    global _MODEL
    if _MODEL is None:
        _MODEL = _Model()
    return _MODEL


def viterbi(obs: str) -> list[tuple[str, str]]:
    """The state path jieba's ``jieba.posseg.viterbi.viterbi`` finds for the characters ``obs``: one
    ``(position, tag)`` state per character, e.g. ``[("B", "n"), ("E", "n")]``."""
    m = _model()
    trans = m.trans
    # step 0: the character's states (all states if unknown), start + emission
    cur = np.flatnonzero(m.char_mask(obs[0]))
    v = m.start[cur] + m.emission(obs[0])[cur]
    back: list[np.ndarray] = []
    states: list[np.ndarray] = [cur]
    for c in obs[1:]:
        keep, prev, prev_col, expect = m.successors(cur)
        allowed = m.char_mask(c) & expect
        if not allowed.any():
            allowed = expect if expect.any() else m.all_mask
        nxt = allowed.nonzero()[0]
        # (V[t-1] + trans) + emission, maximised over the previous states (ascending index = descending tuple:
        # argmax's first maximum is jieba's max over (prob, state))
        a = v[keep][:, None] + trans[prev_col, nxt]
        a += m.emission(c)[nxt]
        back.append(prev[a.argmax(axis=0)])
        v = a.max(axis=0)
        states.append(nxt)
        cur = nxt
    # last step: max over (prob, state): the greatest probability, ties to the greatest state (smallest index)
    best = int(cur[int(np.argmax(v))])
    path = [best]
    for k in range(len(back) - 1, -1, -1):
        best = int(back[k][np.searchsorted(states[k + 1], best)])
        path.append(best)
    path.reverse()
    names = m.states
    return [names[i] for i in path]


def _hmm_cut(sentence: str) -> list[tuple[str, str]]:
    """jieba's ``POSTokenizer.__cut``: words and tags of a run of Chinese characters from the Viterbi path."""
    pos_list = viterbi(sentence)
    out = []
    begin, nexti = 0, 0
    for i, char in enumerate(sentence):
        pos = pos_list[i][0]
        if pos == "B":
            begin = i
        elif pos == "E":
            out.append((sentence[begin:i + 1], pos_list[i][1]))
            nexti = i + 1
        elif pos == "S":
            out.append((char, pos_list[i][1]))
            nexti = i + 1
    if nexti < len(sentence):
        out.append((sentence[nexti:], pos_list[nexti][1]))
    return out


def hmm_detail(sentence: str) -> list[tuple[str, str]]:
    """jieba's ``POSTokenizer.__cut_detail``: a run of characters the dictionary does not know, tagged by the
    HMM (Chinese parts) and by shape (numbers m, Latin eng, else x)."""
    out: list[tuple[str, str]] = []
    for blk in _re_han_detail.split(sentence):
        if _re_han_detail.match(blk):
            out.extend(_hmm_cut(blk))
        else:
            for x in _re_skip_detail.split(blk):
                if x:
                    if _re_num.match(x):
                        out.append((x, "m"))
                    elif _re_eng.match(x):
                        out.append((x, "eng"))
                    else:
                        out.append((x, "x"))
    return out


_UNSEEN, _STOP, _PREFIX = object(), object(), object()
_NEG_INF = float("-inf")


def route(sentence: str, freq: dict[str, int], logtotal: float, weights: dict) -> list[int]:
    """jieba's ``get_DAG`` + ``calc`` in one pass: ``ends[i]`` is the last index of the word the best route takes
    at ``i``. ``weights`` caches, per fragment, ``log(freq) - logtotal`` (a word), or that the fragment is only a
    prefix of words, or not in the dictionary at all (valid for one dictionary and total)."""
    n = len(sentence)
    score = [0.0] * (n + 1)
    ends = [0] * n
    cached = weights.get
    for k in range(n - 1, -1, -1):
        best_s = _NEG_INF
        best_x = -1
        i = k
        frag = sentence[k]
        while True:
            wt = cached(frag, _UNSEEN)
            if wt is _UNSEEN:
                f = freq.get(frag)
                wt = weights[frag] = _STOP if f is None else (log(f) - logtotal if f else _PREFIX)
            if wt is _STOP:
                break
            if wt is not _PREFIX:
                s = wt + score[i + 1]  # (log(freq) - logtotal) + route[i+1], as jieba's calc
                if s >= best_s:  # ties: the later (longer) word, as max over (prob, x)
                    best_s = s
                    best_x = i
            i += 1
            if i >= n:
                break
            frag = sentence[k:i + 1]
        if best_x < 0:  # no word starts here: the character alone, log(freq or 1) = log(1)
            best_s = 0.0 - logtotal + score[k + 1]
            best_x = k
        score[k] = best_s
        ends[k] = best_x
    return ends


JIEBA_SERIES = "0.42."  # the jieba release series the fast path reproduces (pyproject pins jieba==0.42.*)


def fast_path_available() -> bool:
    """True when the installed jieba is of :data:`JIEBA_SERIES` and its posseg model loads: the fast path
    reproduces that release's tagger; with any other jieba, :class:`Tagger` runs jieba's own ``jieba.posseg``."""
    import jieba

    if not str(getattr(jieba, "__version__", "")).startswith(JIEBA_SERIES):
        return False
    try:
        _model()
    except (ImportError, OSError, AttributeError, KeyError, TypeError):
        return False
    return True


class Tagger:
    """``POSTokenizer(tokenizer).cut(sentence)`` as a list of ``(word, flag)``, faster and identical.

    ``posseg`` is the ``jieba.posseg.POSTokenizer`` whose dictionary and tags are used (its user words are
    loaded into its tag table first, as jieba does). ``fast=False`` — or a jieba the fast path does not know
    (:func:`fast_path_available`) — runs jieba's own ``jieba.posseg`` tagger on the same dictionary instead."""

    def __init__(self, posseg, fast: bool = True) -> None:
        self._posseg = posseg
        self.fast = fast and fast_path_available()
        self._refresh()

    def _refresh(self) -> None:
        """Take the dictionary as it is now (jieba reads it afresh on every cut; words added since the last cut,
        which change its total or add tags, are seen here too)."""
        posseg = self._posseg
        posseg.makesure_userdict_loaded()
        tk = posseg.tokenizer
        tk.check_initialized()
        self.freq: dict[str, int] = tk.FREQ
        self._total = tk.total
        self.logtotal = log(tk.total)
        self.tags: dict[str, str] = posseg.word_tag_tab
        self._weights: dict = {}

    def cut(self, sentence: str, memo: dict[str, list[tuple[str, str]]] | None = None) -> list[tuple[str, str]]:
        """Words and tags of ``sentence`` in order, whitespace and punctuation included (as jieba). ``memo``
        (optional) keeps and reuses the HMM result of each unknown run of characters (fast path only)."""
        if not self.fast:
            return [(p.word, p.flag) for p in self._posseg.cut(sentence)]
        tk = self._posseg.tokenizer
        if tk.total != self._total or tk.user_word_tag_tab or tk.FREQ is not self.freq:
            self._refresh()
        out: list[tuple[str, str]] = []
        for blk in _re_han_internal.split(sentence):
            if _re_han_internal.match(blk):
                self._cut_dag(blk, out, memo)
            else:
                for x in _re_skip_internal.split(blk):
                    if _re_skip_internal.match(x):
                        out.append((x, "x"))
                    else:
                        for xx in x:
                            if _re_num.match(xx):
                                out.append((xx, "m"))
                            elif _re_eng.match(x):  # sic: jieba tests the whole piece here
                                out.append((xx, "eng"))
                            else:
                                out.append((xx, "x"))
        return out

    def _flush(self, buf: str, out: list, memo) -> None:
        tags = self.tags
        if len(buf) == 1:
            out.append((buf, tags.get(buf, "x")))
        elif not self.freq.get(buf):
            if memo is None:
                out.extend(hmm_detail(buf))
            else:
                got = memo.get(buf)
                if got is None:
                    got = memo[buf] = hmm_detail(buf)
                out.extend(got)
        else:
            for elem in buf:
                out.append((elem, tags.get(elem, "x")))

    def _cut_dag(self, sentence: str, out: list, memo) -> None:
        ends = route(sentence, self.freq, self.logtotal, self._weights)
        tags = self.tags
        x = 0
        buf = ""
        n = len(sentence)
        while x < n:
            y = ends[x] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                if buf:
                    self._flush(buf, out, memo)
                    buf = ""
                word = sentence[x:y]
                out.append((word, tags.get(word, "x")))
            x = y
        if buf:
            self._flush(buf, out, memo)
