"""Questions asked in several parts, and the parts no answer takes up.

A trainee often asks two or three things in one turn ("问题一 … 问题二 …", "如何评估…？如何选择…？"). A designer
wants to know which of them the instructors left aside: each is a question the course did not answer.

- **Parts** (:func:`split_parts`): a trainee turn is cut after each question mark (？ ?) and before each explicit
  marker (问题一, 问题2, 第三个问题, （1）). A piece without a question mark is background: it joins the question
  that follows it (or, at the end of the turn, the question before it, unless it asks something itself — 请问,
  如何, 是否 …). A question that names no thing of its own ("这个问题该怎么解决呢？", "有什么好建议？") is the same
  request as the one before it and joins it, and so does one that offers the other choice of it (还是…, 是…还是…).
  A later trainee turn that asks nothing (a remark after the answers) gives no part.
- **Words** of a part: its content tokens that name things or actions (:data:`PART_POS`: nouns, verbal nouns,
  English terms, verbs; not the frame nouns 问题, 方法, 建议 … of ``resources/need_frame_words.txt``), mapped to
  concepts, without names, and without concepts used in more than :data:`MAX_DF` of the entries (医院, 信息, 系统 …
  say nothing about which part an answer takes up). A part's *own* words are those no other part of the entry uses.
- **Taken up**: a part is taken up when one of its own words is in the entry's answers (every instructor turn: the
  concept among their tokens, or the word or its English term — SPD of SPD管理 — in their text) or an answer names
  it by number (第二个问题, 问题二; the trainee's own numbering when there is one).
  A part is **not taken up** when it has at least :data:`MIN_WORDS` own words and none is in the answers and no
  answer names it; with fewer it is **undecided** (too little to judge by words).

Table ``question_parts``: one row per part of every trainee turn (entries whose question has one part included,
so the counts are the booklet's). The rule was written before the hand judgement was opened
(tests/data/parts_judgement.csv); see :data:`AGREEMENT` for how it agrees, on the development (even entry ids) and
held-out (odd) halves.
"""

from __future__ import annotations

import re

import pandas as pd

#: fewest own words a part needs before "none of them is in the answers" is read as not taken up
MIN_WORDS = 2
#: concepts in more than this share of the entries are not a part's words
MAX_DF = 0.40
_QUESTION_END = "？?"
_MARKER = re.compile(r"问题[一二三四五六七八九1-9]|第[一二三四五六七八九1-9]个问题|[（(][一二三四五六七八九1-9][)）]")
_ASKS = re.compile(r"请问|请教|想问|如何|怎么|怎样|是否|有没有|能否|可否|哪些|什么|吗|呢")
_NUMERALS = "一二三四五六七八九"
_ALTERNATIVE = re.compile(r"还是|是[^？?]*还是")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]+")
#: the tokens that can be a part's words: those of :func:`corpus_tools.needs.need_terms` (nouns, verbal nouns,
#: English terms …) and verbs — two parts on one object often differ by what is asked of it (管理 vs 开放)
PART_POS = ("n", "nz", "eng", "vn", "j", "nt", "ns", "an", "v")
_NAMED_PART = re.compile(r"第([一二三四五六七八九1-9])个?问题|问题([一二三四五六七八九1-9])")

PART_COLUMNS = ["entry_id", "part_no", "n_parts", "turn_no", "line", "quote", "own_words", "in_answers",
                "shared_words", "named", "status"]


def _number(ch: str) -> int:
    return int(ch) if ch.isdigit() else _NUMERALS.index(ch) + 1


def split_parts(text: str) -> list[tuple[int, int]]:
    """(start, end) of each question piece of a turn's text, before the merge of background and repeated requests:
    cut after each question mark and before each explicit marker (问题一, 第二个问题, （3）)."""
    cuts = {0, len(text)}
    cuts |= {i + 1 for i, ch in enumerate(text) if ch in _QUESTION_END}
    cuts |= {m.start() for m in _MARKER.finditer(text)}
    bounds = sorted(cuts)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip(" ，,。；;：:、\n")]


def _asks(piece: str) -> bool:
    return piece.rstrip().endswith(tuple(_QUESTION_END)) or bool(_ASKS.search(piece))


def merge_background(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Background pieces (no question mark) joined to the question after them; a last piece joins the question
    before it unless it asks something itself."""
    out: list[tuple[int, int]] = []
    start = None
    for a, b in pieces:
        piece = text[a:b]
        if piece.rstrip().endswith(tuple(_QUESTION_END)) or _MARKER.match(piece):
            out.append((a if start is None else start, b))
            start = None
        elif start is None:
            start = a
    if start is not None:  # text after the last question
        if out and not _asks(text[start:]):
            out[-1] = (out[-1][0], len(text))
        else:
            out.append((start, len(text)))
    return out


def question_sentence(text: str, a: int, b: int) -> tuple[int, int]:
    """(start, end) in ``text`` of the question a part ``text[a:b]`` asks: its last sentence that ends with a
    question mark (else its last sentence), from the end of the sentence before it."""
    piece = text[a:b]
    marks = [i for i, ch in enumerate(piece) if ch in _QUESTION_END]
    end = marks[-1] + 1 if marks else len(piece.rstrip())
    start = max((i + 1 for i in range(end - 1) if piece[i] in "。；;！!？?"), default=0)
    while start < end and piece[start] in " \n，,。；;：:、":
        start += 1
    return a + start, a + end


def _token_offsets(text: str, tokens: list[str]) -> list[int]:
    """Where each token starts in ``text`` (tokens in reading order; a token may skip the spaces ``normalise``
    removed and read full-width letters as half-width), or -1 when it is not found after the previous one."""
    from .text import normalise

    plain = "".join(c if len(normalise(c)) != 1 else normalise(c) for c in text)  # 1:1, full-width → half-width
    out, pos = [], 0
    for tok in tokens:
        m = re.compile(r"\s*".join(map(re.escape, tok))).search(plain, pos)
        if m is None:
            out.append(-1)
            continue
        out.append(m.start())
        pos = m.end()
    return out


def _part_labels(markers: list[int | None]) -> list[int]:
    """The number an answer would call each part by: the trainee's own (问题二 → 2; the parts after a marked one,
    up to the next marker, share its number) when the trainee numbered the questions, else the part's order."""
    if not any(m is not None for m in markers):
        return list(range(1, len(markers) + 1))
    out, current = [], 1
    for m in markers:
        current = m if m is not None else current
        out.append(current)
    return out


def _in_answers(concept: str, printed: list[str], answer_concepts: set[str], answer_text: str) -> bool:
    """Whether the answers use a part's word: its concept among their tokens, or the concept or a printed form of
    it in their text; a word mixing an English term and Chinese (SPD管理) also counts through the English term."""
    forms = [concept, *printed]
    if concept in answer_concepts or any(f and f in answer_text for f in forms):
        return True
    latin = {m.group(0) for f in forms for m in _LATIN.finditer(f)} - set(forms)
    return any(w in answer_text for w in latin)


def _answer_names(answer: str) -> set[int]:
    """Part numbers the answers name (第二个问题, 问题二)."""
    return {_number(m.group(1) or m.group(2)) for m in _NAMED_PART.finditer(answer)}


def question_parts(entries: pd.DataFrame, turns: pd.DataFrame, lines: pd.DataFrame,
                   concepts: pd.DataFrame) -> pd.DataFrame:
    """Table ``question_parts`` (see the module docstring): one row per part of each trainee turn, in booklet
    order. ``concepts``: the tokens' concept view (entry_id, turn_no, token, pos, concept, is_content, is_name)."""
    from .deferrals import line_at, turn_texts
    from .needs import NeedSettings, need_terms
    from .text import normalise

    texts = turn_texts(lines)
    n_entries = max(int(entries.entry_id.nunique()), 1)
    df = concepts.groupby("concept").entry_id.nunique()
    common = set(df[df > MAX_DF * n_entries].index)
    role = {(int(e), int(t)): r for e, t, r in zip(turns.entry_id, turns.turn_no, turns.role)}
    words = need_terms(concepts[concepts.is_content.astype(bool) & ~concepts.is_name.astype(bool)],
                       NeedSettings(pos=PART_POS))
    by_turn = {k: g for k, g in words.groupby(["entry_id", "turn_no"], sort=False)}
    answer_concepts: dict[int, set[str]] = {}
    for e, t, c, tok in zip(concepts.entry_id, concepts.turn_no, concepts.concept, concepts.token):
        if role.get((int(e), int(t))) == "instructor":
            answer_concepts.setdefault(int(e), set()).update((str(c), str(tok)))
    answer_text: dict[int, str] = {}
    for (e, t), (text, _) in texts.items():
        if role.get((e, t)) == "instructor":
            answer_text[e] = answer_text.get(e, "") + re.sub(r"\s", "", normalise(text))
    asking: dict[int, list[int]] = {}  # entry → its trainee turns, in order
    for (e, t), r in sorted(role.items()):
        if r == "trainee" and (e, t) in texts:
            asking.setdefault(e, []).append(t)
    rows = []
    for e in sorted(int(i) for i in entries.entry_id):
        parts = []  # (turn_no, line, quote, concepts of the part, surface words)
        trainee_turns = asking.get(e, [])
        for t in trainee_turns:
            text, starts = texts[(e, t)]
            if t != trainee_turns[0] and not _asks(text):
                continue  # a later remark of a trainee that asks nothing (the entry's question is its first turn)
            g = by_turn.get((e, t))
            toks = [] if g is None else list(zip(g.token.astype(str), g.concept.astype(str)))
            offsets = _token_offsets(text, [tok for tok, _ in toks])
            spans = merge_background(text, split_parts(text))
            merged: list[list] = []
            for a, b in spans:
                mine = {(tok, c) for (tok, c), o in zip(toks, offsets) if a <= o < b and c not in common}
                if merged and (not ({c for _, c in mine} - merged[-1][3])  # names nothing new: the same request
                               or _ALTERNATIVE.match(text[a:b].lstrip(" ，,。；;：:、"))):  # 还是…: the same choice
                    merged[-1][1] = b
                    merged[-1][3] |= {c for _, c in mine}
                    merged[-1][4] |= mine
                    continue
                marker = _MARKER.match(text[a:b].lstrip(" ，,。；;：:、"))
                if marker:
                    label = _number(re.search(r"[一二三四五六七八九1-9]", marker.group(0)).group(0))
                merged.append([a, b, t, {c for _, c in mine}, set(mine), label if marker else None])
            for a, b, tt, cs, surf, label in merged:
                qa, qb = question_sentence(text, a, b)
                parts.append((tt, line_at(starts, qa), _quote(text[qa:qb]), cs, surf, label))
        n = len(parts)
        answers = answer_concepts.get(e, set())
        atext = answer_text.get(e, "")
        named = _answer_names(atext)
        labels = _part_labels([p[5] for p in parts])
        for i, (t, line, quote, cs, surf, _) in enumerate(parts, start=1):
            others = set().union(*(p[3] for j, p in enumerate(parts, start=1) if j != i)) if n > 1 else set()
            own = sorted(cs - others)
            found = [c for c in own if _in_answers(c, [tok for tok, cc in surf if cc == c], answers, atext)]
            is_named = labels[i - 1] in named
            status = ("taken_up" if found or is_named else
                      "not_taken_up" if len(own) >= MIN_WORDS else "undecided")
            rows.append(dict(entry_id=e, part_no=i, n_parts=n, turn_no=int(t), line=int(line), quote=quote,
                             own_words="、".join(own), in_answers="、".join(found),
                             shared_words="、".join(sorted(cs & others)), named=is_named, status=status))
    return pd.DataFrame(rows, columns=PART_COLUMNS)


QUOTE_MAX = 60


def _quote(piece: str) -> str:
    s = re.sub(r"\s+", "", piece).strip("，,。；;：:、")
    return s if len(s) <= QUOTE_MAX else "……" + s[-QUOTE_MAX:]
