"""Questions asked in several parts: a reading list of the questions a designer should check part by part.

A trainee often asks two or three things in one turn ("问题一 … 问题二 …", "如何评估…？如何选择…？"). Each part is a
request the course may or may not have answered; table ``question_parts`` lists them, with the line each starts on.

- **Parts** (:func:`turn_parts`): a trainee turn is cut after each question mark (？ ?) and before each explicit
  marker (问题一, 第三个问题, （1）). A piece without a question mark is background: it joins the question that follows
  it (or, at the end of the turn, the question before it, unless it asks something itself — 请问, 如何, 是否 …). A
  question that names no word of its own ("这个问题该怎么解决呢？", "有什么好建议？") is the same request as the one
  before it and joins it, and so does one that offers the other choice of it (还是…, 是…还是…). A later trainee turn
  gives parts only when it asks (a question mark, 请问, 请教 …): a remark or an account after the answers does not.
- **Words** that tell two requests apart (:func:`part_words`): content tokens that name things or actions
  (:data:`PART_POS`: nouns, verbal nouns, English terms, verbs; not the frame nouns 问题, 方法, 建议 … of
  ``resources/need_frame_words.txt``), as concepts, without names, and without concepts used in more than
  :data:`MAX_DF` of the entries (医院, 信息, 系统 …).

**Validation** (tests/test_needs_validation.py, on the run's own table). Two readers who saw no code split every
entry's question into parts and judged whether the answers address each (tests/data/parts_judgement.csv: 109
parts; 100 answered, 9 only partly, none left wholly unanswered). The first rule was written before that
judgement was opened and tuned on the even entries only (verbs among the words, 还是-alternatives joined): it splits
33 of the 34 even entries into as many parts as the reader, and 27 of the 34 odd (held-out) ones when they were
scored once after the rule was frozen; 28 after the later-turn rule (a remark after the answers is no part), which
a cold reader's look at held-out entry 53 prompted (:data:`AGREEMENT`).

Whether each part was answered is **not** judged here. A rule that called a part "not taken up" when none of its
own words (those no other part uses) occurs in the answers found 2 of the 3 partly answered parts of the even
entries (2 flags, both right), but on the held-out odd entries none of the 6 (2 flags, both wrong): a part only
partly answered is one whose subject the answers do mention, without answering what was asked — a matter of
meaning, not of words. So the table is a reading list, and the findings say so.
"""

from __future__ import annotations

import re

import pandas as pd

#: concepts in more than this share of the entries are not words that tell two parts apart
MAX_DF = 0.40
#: the tokens that can tell two parts apart: those of :func:`corpus_tools.needs.need_terms` (nouns, verbal nouns,
#: English terms …) and verbs — two parts on one object often differ by what is asked of it (管理 vs 开放)
PART_POS = ("n", "nz", "eng", "vn", "j", "nt", "ns", "an", "v")
_QUESTION_END = "？?"
#: full-width digits and Latin letters → half-width, as :func:`corpus_tools.text.normalise` reads them (1:1)
_HALF_WIDTH = {c: c - 0xFEE0 for a, b in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
               for c in range(a, b + 1)}
_LEAD = " ，,。；;：:、\n"  # what a piece may start with before its first word
_MARKER = re.compile(r"问题[一二三四五六七八九1-9]|第[一二三四五六七八九1-9]个问题|[（(][一二三四五六七八九1-9][)）]")
_ASKS = re.compile(r"请问|请教|想问|如何|怎么|怎样|是否|有没有|能否|可否|哪些|什么|吗|呢")
_REQUEST = re.compile(r"请问|请教|想问|想请")
_ALTERNATIVE = re.compile(r"还是|是[^？?]*还是")

PART_COLUMNS = ["entry_id", "part_no", "n_parts", "turn_no", "line", "quote"]


def split_parts(text: str) -> list[tuple[int, int]]:
    """(start, end) of each question piece of a turn's text, before the merge of background and repeated requests:
    cut after each question mark and before each explicit marker (问题一, 第二个问题, （3）)."""
    cuts = {0, len(text)}
    cuts |= {i + 1 for i, ch in enumerate(text) if ch in _QUESTION_END}
    cuts |= {m.start() for m in _MARKER.finditer(text)}
    bounds = sorted(cuts)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip(_LEAD)]


def _ends_question(piece: str) -> bool:
    return piece.rstrip().endswith(tuple(_QUESTION_END))


def _asks(piece: str) -> bool:
    return _ends_question(piece) or bool(_ASKS.search(piece))


def _asks_again(turn: str) -> bool:
    """Whether a later trainee turn (after answers) asks something: a question mark or an explicit request (请问,
    请教 …); "是怎么做的" in an account of one's own hospital is not a question (韩虎, #53, l.3282–3299)."""
    return any(ch in turn for ch in _QUESTION_END) or bool(_REQUEST.search(turn))


def merge_background(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Background pieces (no question mark) joined to the question after them; a last piece joins the question
    before it unless it asks something itself."""
    out: list[tuple[int, int]] = []
    start = None
    for a, b in pieces:
        piece = text[a:b]
        if _ends_question(piece) or _MARKER.match(piece.lstrip(_LEAD)):
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
    question mark (else its last sentence), from the end of the sentence before it (sentences as
    :func:`corpus_tools.deferrals.sentences` cuts them)."""
    from .deferrals import sentences

    piece = text[a:b]
    marks = [i for i, ch in enumerate(piece) if ch in _QUESTION_END]
    end = marks[-1] + 1 if marks else len(piece.rstrip())
    start = sentences(piece[:end])[-1][0] if end else 0
    while start < end and piece[start] in _LEAD:
        start += 1
    return a + start, a + end


def _token_offsets(text: str, tokens: list[str]) -> list[int]:
    """Where each token starts in ``text`` (tokens in reading order; a token may skip the spaces ``normalise``
    removed and read full-width letters as half-width), or -1 when it is not found after the previous one."""
    plain = text.translate(_HALF_WIDTH)
    out, pos = [], 0
    for tok in tokens:
        at = plain.find(tok, pos)
        if at >= 0:
            out.append(at)
            pos = at + len(tok)
            continue
        m = re.search(r"\s*".join(map(re.escape, tok)), plain[pos:])  # a token across a space normalise removed
        out.append(-1 if m is None else pos + m.start())
        pos = pos if m is None else pos + m.end()
    return out


def question_parts(entries: pd.DataFrame, turns: pd.DataFrame, lines: pd.DataFrame,
                   tokens: pd.DataFrame) -> pd.DataFrame:
    """Table ``question_parts`` (see the module docstring): one row per part of each entry's trainee turns, in
    booklet order. ``tokens``: the tokens table (entry_id, turn_no, token, pos, concept, is_content, is_name)."""
    from .deferrals import line_at, turn_texts

    texts = turn_texts(lines)
    words = part_words(entries, tokens)
    role = {(int(e), int(t)): r for e, t, r in zip(turns.entry_id, turns.turn_no, turns.role)}
    asking: dict[int, list[int]] = {}  # entry → its trainee turns, in order
    for (e, t), r in sorted(role.items()):
        if r == "trainee" and (e, t) in texts:
            asking.setdefault(e, []).append(t)
    rows = []
    for e in sorted(int(i) for i in entries.entry_id):
        found = []  # (turn_no, line, quote)
        for t in asking.get(e, []):
            text, starts = texts[(e, t)]
            if t != asking[e][0] and not _asks_again(text):
                continue  # a later remark of a trainee that asks nothing (the entry's question is its first turn)
            for a, b in turn_parts(text, words.get((e, t), [])):
                qa, qb = question_sentence(text, a, b)
                found.append((t, line_at(starts, qa), _quote(text[qa:qb])))
        rows += [dict(entry_id=e, part_no=i, n_parts=len(found), turn_no=int(t), line=int(line), quote=quote)
                 for i, (t, line, quote) in enumerate(found, start=1)]
    return pd.DataFrame(rows, columns=PART_COLUMNS)


def part_words(entries: pd.DataFrame, tokens: pd.DataFrame) -> dict[tuple[int, int], list[tuple[str, str]]]:
    """Each turn's words that can tell two requests apart, in order: ``{(entry_id, turn_no): [(token, concept)]}``
    — content tokens of :data:`PART_POS`, not names, not frame nouns, not concepts in more than :data:`MAX_DF` of
    the entries."""
    from .needs import NeedSettings, need_terms

    n_entries = max(int(entries.entry_id.nunique()), 1)
    df = tokens.groupby("concept").entry_id.nunique()
    common = set(df[df > MAX_DF * n_entries].index)
    keep = tokens[tokens.is_content.astype(bool) & ~tokens.is_name.astype(bool) & ~tokens.concept.isin(common)]
    keep = need_terms(keep, NeedSettings(pos=PART_POS))
    out: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for e, t, tok, c in zip(keep.entry_id.tolist(), keep.turn_no.tolist(), keep.token.astype(str).tolist(),
                            keep.concept.astype(str).tolist()):
        out.setdefault((int(e), int(t)), []).append((tok, c))
    return out


def turn_parts(text: str, words: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """(start, end) of each part of a trainee turn's ``text``: its question pieces with their background
    (:func:`split_parts`, :func:`merge_background`), a piece that names no word the part before it lacks, or that
    offers the other choice of it (还是…), joined to that part. ``words``: the turn's (token, concept) in order."""
    offsets = _token_offsets(text, [tok for tok, _ in words])
    out: list[list] = []  # [start, end, concepts]
    for a, b in merge_background(text, split_parts(text)):
        mine = {c for (_, c), o in zip(words, offsets) if a <= o < b}
        if out and (not (mine - out[-1][2]) or _ALTERNATIVE.match(text[a:b].lstrip(_LEAD))):
            out[-1][1] = b
            out[-1][2] |= mine
        else:
            out.append([a, b, mine])
    return [(a, b) for a, b, _ in out]


QUOTE_MAX = 60


def _quote(piece: str) -> str:
    s = re.sub(r"\s+", "", piece).strip("，,。；;：:、")
    return s if len(s) <= QUOTE_MAX else "……" + s[-QUOTE_MAX:]


# ---------------------------------------------------------------- findings

#: agreement of the parts with the readers' split on the held-out (odd) entries, as
#: tests/test_needs_validation.py computes it on the run's table: entries split into as many parts as the reader
#: split them, and entries the reader saw several parts in that the table has several parts for
AGREEMENT = {"same_count": (28, 34), "several": (16, 17)}


def _entry_numbers(ids: list[str], k: int) -> str:
    """Entry numbers as a finding names them: "第 20、24 条", or past ``k`` of them "第 1、2……等 45 条"."""
    from .needs import _some

    return f"第 {_some(ids, k, '条')}" + ("" if len(ids) > k else " 条")  # "……等 45 条" says 条 itself


def parts_findings(parts: pd.DataFrame | None, entries: pd.DataFrame) -> list[dict]:
    """Rows of the findings table (kind "parts"): the entries whose question has several parts, each with its
    number of parts — a reading list, since whether each part was answered is not judged (see the module)."""
    from .findings import _row

    if parts is None or parts.empty:
        return []
    n = parts.groupby("entry_id").n_parts.first()
    several = n[n >= 2].sort_index()
    if several.empty:
        return [_row("parts", f"{len(n)} 条问答的提问都只问了一件事（按问号与“问题一、问题二”等标记切分）。",
                     f"{len(parts)} 问")]
    by_count = []  # "分成 5 问的第 20 条；4 问的第 24、59 条；…", most parts first
    for i, k in enumerate(sorted(set(several), reverse=True)):
        ids = [str(int(e)) for e, kk in several.items() if kk == k]
        by_count.append(f"{'分成 ' if i == 0 else ''}{int(k)} 问的{_entry_numbers(ids, 30)}")
    shown = "；".join(by_count)
    unasked = sorted(int(e) for e in set(entries.entry_id) - set(n.index))  # no trainee asks (entry 9: 陈金雄, l.530)
    others = (f"（另 {len(unasked)} 条没有学员的提问，不计：{_entry_numbers([str(e) for e in unasked], 10)}）"
              if unasked else "")
    (same, of), (hit, judged) = AGREEMENT["same_count"], AGREEMENT["several"]
    return [_row("parts", f"{len(several)} 条问答里，学员的提问按问号与编号切分不止一问（共 {int(several.sum())} 问，多是问了不止一件事）：{shown}。"
                 "这些问答值得逐问核对回答：本工具不判断每一问是否都答到了（按用词判断试过，分不出只答到一部分的一问）；"
                 "没答到的一问，就是课程或常见问题解答可以补上的内容。",
                 f"{len(n)} 条问答共 {len(parts)} 问{others}；按问号与“问题一、问题二”等标记切分，只交代背景、换个说法重问"
                 "或“还是……”另一选项的句子并入前一问", ids=several.index,
                 caveat=f"与两位读者事先的人工切分相比（留出的奇数条）：{of} 条中 {same} 条问数相同，读者看出问了不止"
                        f"一件事的 {judged} 条中找到 {hit} 条；问数有出入的多是同一请求换个说法再问、举例的小问题算不算"
                        "一问。学员在回答之后再发言，须有问号或“请问”之类才算提问——这一条是看了留出条目后加的。"
                        "按用词判断“哪一问没答到”试过，在留出条目上一个也没有找对，因此不做这一判断（见 README）。")]
