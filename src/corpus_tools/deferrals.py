"""Deferred and unanswered questions: where an instructor's answer says the subject belongs to a later course or
unit (defer), is not this unit's subject (out_of_scope), or cannot be answered (sidestep).

:func:`find_deferrals` (table ``deferred_questions``) reads every instructor turn sentence by sentence (a sentence
ends at 。！？；) and matches the phrase rules of ``resources/deferral_phrases.txt`` (``kind<TAB>regex``). A
sentence gives one row: its kind (out_of_scope before defer before sidestep when several rules match), the input
line where the matched phrase starts, the sentence as quote, ``to_unit``: the courses or units the sentence
names after the phrase — quoted names (“需求管理”, 《…》), unit titles of the booklet or curriculum, or 下一单元
with the next unit of the entry's cohort — and, when it names none, ``subject``: the subject it names before the
phrase (这涉及需求管理的问题，后续的课程中…… → 需求管理), what is deferred rather than where to.

Text is read from the ``lines`` table (the lines of each turn as printed, joined), so a row's ``line`` is the line
a reader finds the phrase on. A designer reads a deferral to a named unit as a dependency between units.

**Validation** (tests/test_needs_validation.py, on the run's own table). The rules were written from general
knowledge and committed before the hand judgement (tests/data/deferral_judgement.csv: 4 defer, 2 sidestep, 62
none) was opened; split by entry-id parity. Entry level (any row = found): development (even) 2 of 2 found are
judged, 2 of 3 judged are found; held out (odd) first 2/3 and 2/3. The misses (#1, #6) are sidesteps only a
reader of question and answer sees; the cosine of question and answers did not separate #6 from the other even
entries, so no fit rule was added. The held-out false alarm (#21) says 很难回答 and then answers (l.1329–1337, and
three more instructors); after a cold reading of the run's findings the sidestep rule gained one principled
condition — a "hard to answer" sentence is a sidestep only when fewer than :data:`SUBSTANTIVE` characters of
instructor answer follow it in the entry — and the phrase 较难 (entry 7, l.452, answered at once, so not a row).
That change was prompted by a held-out entry, so the held-out precision after it (2/2) is no longer untouched.
Such a sentence — "hard to answer" with an answer in the entry, before it or after — is kept as a row of kind
``hedged`` (#7, l.452; #14, l.955; #21, l.1329; #28, l.1793; #61, l.3656; #62, l.3716; the phrases of the last four
were added after a cold reading of the findings, all six are answered in the hand judgement): not a deferred or
unanswered question, but a question the instructor called hard, which the count row names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

KIND_ORDER = ("out_of_scope", "defer", "sidestep")
#: the kind of a row whose sentence matches a sidestep rule in an entry with a substantive answer besides it
#: (≥ :data:`SUBSTANTIVE` characters, before or after it): the instructor called the question hard and answered
#: it — not a sidestep, and not counted among the deferred or unanswered questions
HEDGED = "hedged"
#: what the count row says when no sentence of a kind was found (the rules found none: not that none exists)
KIND_NONE = {"defer": "教员指出后续课程会讲", "out_of_scope": "教员说不属本单元",
             "sidestep": "教员称难以回答而未作回答"}
#: the count row's clause per kind ("有 4 条问答，教员在回答里指出后续课程会讲这一内容")
KIND_CLAUSES = {"defer": "指出后续课程会讲这一内容", "out_of_scope": "说这不属本单元", "sidestep": "称难以回答而没有作答"}
KIND_LABELS = {"defer": "指出后续课程会讲", "out_of_scope": "不属本单元", "sidestep": "称难以回答（其后没有实质回答）"}
_SENTENCE_END = "。！？；!?;"
_QUOTED = re.compile(r"[“\"「《]([^”\"」》]{2,16})[”\"」》]")
_COURSE_WORDS = re.compile(r"课程|课|单元|专题|讲座|培训")
_NEXT_UNIT_PHRASE = re.compile(r"下(一|个|一个)单元")
_SUBJECT = re.compile(r"(?:涉及|属于|关于)(?:到)?([^，。、“”\s]{2,10}?)的?(?:问题|内容|范畴|话题)")
QUOTED_WITHIN = 30  # a quoted name counts as a course only within this many characters after the phrase
QUOTE_MAX = 80  # characters of a sentence kept as quote (around the phrase)
#: an answer of at least this many characters (whitespace left out) after the matched sentence — the rest of the
#: same turn plus every other instructor turn of the entry — is a substantive answer: a "hard to answer" phrase
#: followed by one is a rhetorical aside, not a sidestep, and a deferral followed by one was answered as well.
#: About three printed lines of the booklet (≈ 33 characters a line); not tuned on the judgement.
SUBSTANTIVE = 100
_LECTURER = re.compile(r"([\u4e00-\u9fff]{2,3})老师")


@dataclass(frozen=True)
class PhraseRule:
    """One rule: ``kind`` (defer | out_of_scope | sidestep) and its ``pattern``."""

    kind: str
    pattern: re.Pattern


def load_phrase_rules(path: str | None = None) -> tuple[PhraseRule, ...]:
    """The rules of ``resources/deferral_phrases.txt`` (or of the file at ``path``), in file order."""
    from .resources import load_list

    rules = []
    for line in load_list("deferral_phrases.txt", path):
        kind, _, pattern = line.partition("\t")
        if kind.strip() not in KIND_ORDER or not pattern.strip():
            raise ValueError(f"deferral rule needs kind<TAB>regex with kind in {KIND_ORDER}: {line!r}")
        rules.append(PhraseRule(kind.strip(), re.compile(pattern.strip())))
    return tuple(rules)


def turn_texts(lines: pd.DataFrame) -> dict[tuple[int, int], tuple[str, list[tuple[int, int]]]]:
    """Each turn's text as printed, its lines joined (stripped): ``{(entry_id, turn_no): (text, starts)}`` where
    ``starts`` lists ``(offset in text, line_no)`` of each line, in order."""
    c = lines[(lines.kind == "content") & (lines.role == "turn") & lines.entry_id.notna() & lines.turn_no.notna()]
    c = c.sort_values(["entry_id", "turn_no"], kind="stable")  # a turn's lines keep their order
    parts: dict[tuple[int, int], tuple[list[str], list[tuple[int, int]]]] = {}
    for e, t, no, text in zip(c.entry_id.astype("int64"), c.turn_no.astype("int64"), c.line_no,
                              c.text.fillna("")):
        texts, starts = parts.setdefault((int(e), int(t)), ([], []))
        s = str(text).strip()
        starts.append((sum(map(len, texts[-1:])) + (starts[-1][0] if starts else 0), int(no)))
        texts.append(s)
    return {k: ("".join(texts), starts) for k, (texts, starts) in parts.items()}


def line_at(starts: list[tuple[int, int]], offset: int) -> int:
    """The input line holding character ``offset`` of a turn's joined text."""
    line = starts[0][1]
    for pos, no in starts:
        if pos > offset:
            break
        line = no
    return line


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; a sentence ends after one of 。！？；."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in _SENTENCE_END:
            out.append((start, i + 1))
            start = i + 1
    if start < len(text):
        out.append((start, len(text)))
    return out


def _unit_titles(entries: pd.DataFrame, curriculum: pd.DataFrame | None) -> list[str]:
    titles = set(entries.unit_title.dropna().astype(str))
    if curriculum is not None and "unit_title" in curriculum:
        titles |= set(curriculum.unit_title.dropna().astype(str))
    return sorted((t for t in titles if len(t) >= 4 and t != "答疑讨论课"), key=lambda t: (-len(t), t))


NEXT_UNIT = "下一单元"


def _next_unit(entry: pd.Series, curriculum: pd.DataFrame | None) -> str:
    """What "下一单元" names for the entry: the unit after the entry's own in its cohort, marked as read from the
    cohort's units, not said: “下一单元（第N单元 title）” when the curriculum lists it, “下一单元（第N单元）”
    when it does not, “下一单元” when the entry has no unit or cohort."""
    if pd.isna(entry.get("unit_no")) or pd.isna(entry.get("cohort")):
        return NEXT_UNIT
    n, c = int(entry["unit_no"]) + 1, int(entry["cohort"])
    if curriculum is not None and len(curriculum):
        hit = curriculum[(curriculum.cohort == c) & (curriculum.unit_no == n)]
        if len(hit):
            return f"{NEXT_UNIT}（第{n}单元 {hit.unit_title.iloc[0]}）"
    return f"{NEXT_UNIT}（第{n}单元）"


def _course_names(named: list[str], later: bool = True) -> str:
    """The named courses as a finding prints them: quoted names after 后续课程 (后续课程“需求管理”、“项目立项”); the next
    unit as the instructor said it, with the unit it is read as: 下一单元（按本期的单元顺序即第4单元“医院信息系统架构治理”）.
    ``later=False``: no 后续课程 (a course the subject belongs to, not said to come later)."""
    out = []
    for u in named:
        m = re.fullmatch(NEXT_UNIT + r"（第(\d+)单元(?: (.+))?）", u)
        if m:
            out.append(f"{NEXT_UNIT}（按本期的单元顺序即第{m.group(1)}单元" + (f"“{m.group(2)}”" if m.group(2) else "")
                       + "）")
        else:
            out.append(u if u == NEXT_UNIT else f"“{u}”")
    return ("后续课程" if later and not out[0].startswith(NEXT_UNIT) else "") + "、".join(out)


def named_units(sentence: str, after: int, titles: list[str], entry: pd.Series,
                curriculum: pd.DataFrame | None) -> list[str]:
    """Courses or units a sentence names from position ``after`` on: quoted names when the sentence speaks of a
    course, unit titles, the next unit."""
    tail = sentence[after:]
    names: list[str] = []
    if _COURSE_WORDS.search(sentence):  # quoted names close after the phrase (“需求管理”、“项目立项”)
        names += [m.group(1).strip() for m in _QUOTED.finditer(tail) if m.start() <= QUOTED_WITHIN]
    names += [t for t in titles if t in tail and not any(t in n for n in names)]
    if _NEXT_UNIT_PHRASE.search(sentence):
        names.append(_next_unit(entry, curriculum))
    return list(dict.fromkeys(n for n in names if n))


def named_subject(sentence: str, after: int) -> str:
    """The subject a sentence names before position ``after`` (这涉及需求管理的问题，后续的课程中…… → 需求管理): what
    is deferred, not where to ("" when none)."""
    m = _SUBJECT.search(sentence[:after])
    return m.group(1) if m else ""


def _quote(sentence: str, start: int, end: int, width: int = QUOTE_MAX) -> str:
    """The sentence, cut to ``width`` characters around the match [start, end) if longer; "……" marks where it was
    cut, so that a reader sees the sentence goes on (an answer's length is counted from the sentence's end)."""
    s = sentence.strip()
    if len(sentence) <= width:
        return s
    lo = max(0, min(start - width // 3, len(sentence) - width))
    head = "……" if sentence[:lo].strip() else ""
    tail = "……" if sentence[lo + width:].strip() else ""
    return head + sentence[lo:lo + width].strip() + tail


DEFERRAL_COLUMNS = ["entry_id", "kind", "turn_no", "line", "quote", "to_unit", "subject", "phrase", "speaker", "asked_in",
                    "answered_chars", "after_chars"]


def _chars(text: str) -> int:
    return len(re.sub(r"\s", "", text))


def find_deferrals(entries: pd.DataFrame, turns: pd.DataFrame, lines: pd.DataFrame,
                   curriculum: pd.DataFrame | None = None,
                   rules: tuple[PhraseRule, ...] | None = None) -> pd.DataFrame:
    """Table ``deferred_questions``: one row per instructor sentence that matches a phrase rule, in booklet
    order (entry, turn, line). ``to_unit`` joins the named courses or units with 、 (empty when none is named).
    ``answered_chars``: for a sidestep or hedged row, every other character of instructor answer in the entry (an
    instructor may answer and then call the question hard); for the others, characters of instructor answer after
    the sentence (rest of the turn + the entry's other instructor turns); ``after_chars``: the rest of the turn
    alone (what the instructor went on to say). A sidestep sentence is a sidestep row
    only when that is < :data:`SUBSTANTIVE`; else the question was answered ("很难回答" then an answer is a rhetorical aside, l.1329) and the row's kind is
    :data:`HEDGED`."""
    rules = load_phrase_rules() if rules is None else rules
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    ranked = sorted(rules, key=lambda r: order[r.kind])
    texts = turn_texts(lines)
    titles = _unit_titles(entries, curriculum)
    by_id = entries.set_index("entry_id")
    rows = []
    ins = turns[turns.role == "instructor"]
    chars = {k: _chars(v[0]) for k, v in texts.items()}
    per_entry: dict[int, int] = {}
    for e, t in zip(ins.entry_id, ins.turn_no):
        per_entry[int(e)] = per_entry.get(int(e), 0) + chars.get((int(e), int(t)), 0)
    for e, t, speaker in zip(ins.entry_id, ins.turn_no, ins.speaker):
        key = (int(e), int(t))
        if key not in texts:
            continue
        text, starts = texts[key]
        entry = by_id.loc[int(e)]
        asked_in = (str(entry.unit_title) if entry.session_type == "unit" and not pd.isna(entry.unit_title)
                    else "答疑讨论课")
        for a, b in sentences(text):
            sent = text[a:b]
            for rule in ranked:
                m = rule.pattern.search(sent)
                if m is None:
                    continue
                # a sidestep counts all the other answer: it may come before "hard to answer" (#14, l.939–955)
                rest_of_turn = _chars(text[b:])
                after = (per_entry.get(int(e), 0) - _chars(sent) if rule.kind == "sidestep"
                         else rest_of_turn + per_entry.get(int(e), 0) - chars[key])
                # answered anyway: not a sidestep (and no other kind for this sentence), but where the instructors
                # found a question hard is worth a designer's look
                kind = HEDGED if rule.kind == "sidestep" and after >= SUBSTANTIVE else rule.kind
                units = named_units(sent, m.start(), titles, entry, curriculum) if rule.kind != "sidestep" else []
                subject = named_subject(sent, m.start()) if rule.kind != "sidestep" and not units else ""
                rows.append(dict(entry_id=int(e), kind=kind, turn_no=int(t), line=line_at(starts, a + m.start()),
                                 quote=_quote(sent, m.start(), m.end()), to_unit="、".join(units), subject=subject,
                                 phrase=m.group(0), speaker=str(speaker or ""), asked_in=asked_in,
                                 answered_chars=int(after), after_chars=int(rest_of_turn)))
                break
    out = pd.DataFrame(rows, columns=DEFERRAL_COLUMNS)
    return out.sort_values(["entry_id", "turn_no", "line"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- findings

def _also_answered(r, n_answered: int) -> str:
    """The clause of a deferral row that says the question was answered anyway, each part with its own count: what
    the instructor went on to say after the sentence, and the entry's other answers (other instructors, or his
    other turns, before or after) — "本次也作了回答：薛万国老师在第 1168 行这句之后又说了约 511 字，本条另有回答约
    280 字" (#19: not "791 characters after the sentence", as the total was read; the line says which sentence,
    when the instructor defers twice)."""
    after = int(r.after_chars) if "after_chars" in r and not pd.isna(r.after_chars) else None
    if after is None:  # a table without the column (written by an earlier version): the total only
        return f"本次也作了回答：这句之后的话加上本条其他回答共约 {n_answered} 字"
    who = f"{r.speaker}老师" if isinstance(r.speaker, str) and r.speaker else "教员"
    rest = n_answered - after
    line = f"第 {int(r.line)} 行" if "line" in r and not pd.isna(r.line) else ""
    return (f"本次也作了回答：{who}在{line}这句之后又说了约 {after} 字"
            + (f"，本条另有回答约 {rest} 字" if rest > 0 else ""))


def _later_units_answered(entries: pd.DataFrame, entry_id: int, lecturers: list[str]) -> list[tuple[int, str, list]]:
    """The units after entry ``entry_id``'s unit, in its cohort, whose question sessions one of ``lecturers``
    answered in (``entries.answered_by``): ``[(unit number, title, [entry ids])]`` in unit order. When an
    instructor defers to "a later course by X" without naming it, X's later unit is read from the booklet (a
    reading, not X's words: an instructor may answer in a unit someone else taught)."""
    e = entries.set_index("entry_id")
    if entry_id not in e.index or "answered_by" not in e:
        return []
    row = e.loc[entry_id]
    if pd.isna(row.cohort) or pd.isna(row.unit_no):
        return []
    later = e[(e.cohort == row.cohort) & (e.session_type == "unit") & (e.unit_no > row.unit_no)]
    units: dict[int, tuple[str, list]] = {}
    for i, r in later.sort_values("unit_no", kind="stable").iterrows():
        if isinstance(r.answered_by, str) and set(r.answered_by.split("、")) & set(lecturers):
            units.setdefault(int(r.unit_no), (str(r.unit_title), []))[1].append(int(i))
    return [(n, t, sorted(ids)) for n, (t, ids) in units.items()]


def _sessions(entries: pd.DataFrame) -> dict[int, str]:
    """Entry → where it was asked, with its cohort: "第3期第1单元“信息中心组织与管理”", "第3期的答疑讨论课" (unit numbers
    repeat across cohorts, so a unit's title alone can be ambiguous)."""
    out = {}
    for r in entries.itertuples():
        c = "" if pd.isna(getattr(r, "cohort", None)) else f"第{int(r.cohort)}期"
        if getattr(r, "session_type", "") == "unit" and not pd.isna(getattr(r, "unit_no", None)):
            out[int(r.entry_id)] = f"{c}第{int(r.unit_no)}单元“{r.unit_title}”"
        elif getattr(r, "session_type", "") == "discussion":
            out[int(r.entry_id)] = f"{c}{'的' if c else ''}答疑讨论课"
    return out


def _shared_targets(deferred: pd.DataFrame) -> str:
    """"；其中第 34、39 条都指向“需求管理”": a course, unit or subject that the deferrals of two or more entries name
    (to_unit, else subject), so one bridge between units would serve them all; "" when none is shared."""
    named: dict[str, set[int]] = {}
    for e, units, subject in zip(deferred.entry_id, deferred.to_unit.fillna(""),
                                 deferred.get("subject", pd.Series("", index=deferred.index)).fillna("")):
        for name in [u for u in str(units).split("、") if u] + ([str(subject)] if subject else []):
            named.setdefault(name, set()).add(int(e))
    shared = [(n, ids) for n, ids in named.items() if len(ids) >= 2]
    return "".join(f"；其中第 {'、'.join(str(i) for i in sorted(ids))} 条都指向“{n}”" for n, ids in shared)


#: at most this many hedged entries are named with their titles in the count row (the rest as "……等 N 条")
HEDGED_SHOWN = 8


def _hedged_sentence(hedged: pd.DataFrame, title: dict) -> str:
    """"按同样的措辞规则，另有 6 条，教员在回答里说这个问题难答、难解决、…，也都作了回答（不算未答）：第 7 条“…”；…。可看看…"
    (the titles say what the hard questions are about), or ""."""
    from .needs import _some

    if hedged.empty:
        return ""
    ids = sorted({int(i) for i in hedged.entry_id})
    named = _some([f"第 {i} 条“{title.get(i, '')}”" for i in ids], HEDGED_SHOWN, "条", sep="；")
    return (f"按同样的措辞规则，另有 {len(ids)} 条，教员在回答里说这个问题难答、难解决、难下定论或不了解细节，也都作了回答（不算未答）："
            f"{named}。可看看课程里这些话题是否讲透了。")


def _hedged_lines(hedged: pd.DataFrame) -> str:
    """"；难以回答：第 452 行，薛万国：“这个问题较难回答。”（本条教员回答除这句外共约 323 字）" per hedged row."""
    return "".join(f"；难以回答：第 {int(r.line)} 行，{r.speaker}：“{r.quote}”（本条教员回答除这句外共约 {int(r.answered_chars)} 字）"
                   for r in hedged.itertuples())


def deferral_findings(deferred: pd.DataFrame | None, entries: pd.DataFrame) -> list[dict]:
    """Rows of the findings table (kind "deferral"): how many questions were deferred, declared out of scope or
    left unanswered, and each deferral with the unit it names (a dependency between units), with quote and line."""
    from .findings import _row

    if deferred is None:
        return []
    hedged = deferred[deferred.kind == HEDGED]
    deferred = deferred[deferred.kind != HEDGED]
    title = dict(zip(entries.entry_id, entries.title))
    if deferred.empty:
        return [_row("deferral", "没有一条回答说问题留到后续课程、不属本单元或无法回答（按 deferral_phrases.txt 的措辞规则）。"
                     + _hedged_sentence(hedged, title),
                     f"{len(entries)} 条问答的教员发言逐句检查" + _hedged_lines(hedged),
                     ids=hedged.entry_id, caveat="规则只认得写进词表的说法。")]
    rows = [_deferral_summary(deferred, hedged, title)]
    session = _sessions(entries)
    unit_titles = set(entries.unit_title.dropna().astype(str)) if "unit_title" in entries else set()
    for e, g in deferred.groupby("entry_id", sort=True):
        r = g.sort_values(["kind", "line"], key=lambda s: s.map({k: i for i, k in enumerate(KIND_ORDER)})
                          if s.name == "kind" else s, kind="stable").iloc[0]
        where = f"第 {int(e)} 条“{title.get(e, '')}”（在{session.get(e, f'“{r.asked_in}”')}提问）"
        more = "".join(f"；另第 {int(x.line)} 行，{x.speaker}：“{x.quote}”" for x in g.itertuples() if x.Index != r.name)
        rows.append(_row("deferral", f"{where}：{_deferral_clause(r, g, entries, int(e), unit_titles)}",
                         f"第 {int(r.line)} 行，{r.speaker}：“{r.quote}”{more}", ids=[int(e)], caveat="引文据整理稿。"))
    return rows


def _deferral_summary(deferred: pd.DataFrame, hedged: pd.DataFrame, title: dict) -> dict:
    """The first deferral row: how many entries of each kind, how many were answered on the spot as well."""
    from .findings import _row

    counts = deferred.groupby("kind").entry_id.nunique()
    answered = (deferred.answered_chars.fillna(0).astype(int) >= SUBSTANTIVE) if "answered_chars" in deferred else \
        pd.Series(False, index=deferred.index)
    n_answered = deferred[answered].entry_id.nunique()
    n_all = deferred.entry_id.nunique()
    none = [KIND_NONE[k] for k in KIND_ORDER if k not in counts]
    found = [k for k in KIND_ORDER if k in counts]
    return _row("deferral", f"有 {n_all} 条问答，教员在回答里"
                + ("、".join(f"{KIND_CLAUSES[k]}（{int(counts[k])} 条）" for k in found) if len(found) > 1
                   else KIND_CLAUSES[found[0]])
                + ((f"；{'这些当场也都' if n_answered == n_all else f'其中 {n_answered} 条当场也'}作了回答"
                    f"（这句之后的话加上本条其他回答共 {SUBSTANTIVE} 字以上，不等于答全）") if n_answered else "")
                + _shared_targets(deferred)
                + (f"。按这些措辞规则，没有发现{'或'.join(none)}的问答" if none else "")
                + "。课程设计者可据此看单元之间的衔接：这些内容连着提问所在的单元和别的（多为后面的）课程。"
                + _hedged_sentence(hedged, title),
                "按措辞规则逐句识别（resources/deferral_phrases.txt）" + _hedged_lines(hedged),
                ids=list(deferred.entry_id) + list(hedged.entry_id),
                caveat=f"只认得规则里的说法；说“难以回答”一类话的，若本条教员回答除这句外还有 {SUBSTANTIVE} 字以上，"
                "视为已作回答，不算未答（表中类型为“称难答，也作了回答”）。")


def _deferral_clause(r, g: pd.DataFrame, entries: pd.DataFrame, entry_id: int, unit_titles: set[str]) -> str:
    """What the instructor said of entry ``entry_id`` (its first deferral ``r`` of the rows ``g``), and the link
    between units a designer can act on. ``unit_titles``: the booklet's unit titles (a course the instructor names
    that is none of them is said to be so)."""
    from .findings import SEVERAL_COURSES

    names = list(dict.fromkeys(u for s in g.to_unit if s for u in s.split("、")))  # courses or units named
    subject = next((str(x) for x in g.get("subject", pd.Series(dtype=object)) if isinstance(x, str) and x), "")
    n_after = int(r.answered_chars) if "answered_chars" in g and not pd.isna(r.answered_chars) else 0
    also = _also_answered(r, n_after) if n_after >= SUBSTANTIVE else ""
    paren = f"（{also}）" if also else ""
    lecturers = list(dict.fromkeys(m.group(1) for m in _LECTURER.finditer(str(r.quote)) if m.group(1) != str(r.speaker)))
    spoken = [u for u in names if u not in unit_titles and not u.startswith(NEXT_UNIT)]
    link = f"这一内容连着“{r.asked_in}”和"
    if r.kind == "defer" and names and len(spoken) == len(names):
        # names the instructor said that no unit of the booklet carries (“需求管理”、“项目立项”: r8)
        inner = f"提到{_course_names(spoken, later=False)}，本册没有这样命名的单元" + (f"；{also}" if also else "")
        several = SEVERAL_COURSES.search(str(r.quote))
        return (f"教员指出后续{'还有几门' if several else '有'}课程会讲到这一内容（{inner}）。"
                f"{link}后面的课程，可在两处之间安排衔接。")
    if r.kind == "defer" and names:
        return f"教员指出{_course_names(names)}会讲到这一内容{paren}。{link}后面的课程，可在两处之间安排衔接。"
    if r.kind == "defer" and lecturers:
        return _lecturer_clause(r, entries, entry_id, lecturers, also)
    if r.kind == "defer" and subject:
        return (f"教员说这涉及“{subject}”，后续课程会专门讲，未说明哪一门{paren}。"
                f"{link}讲“{subject}”的课程，可在两处之间安排衔接。")
    if r.kind == "defer":
        return f"教员指出后续课程会讲到这一内容，未说明哪一门{paren}。"
    if r.kind == "out_of_scope":
        return "教员说这不属本单元的内容" + (f"，应在{_course_names(names, later=False)}" if names else "") + f"{paren}。"
    # a sidestep row exists only when no substantive answer follows
    return (f"教员说这个问题难以回答（“{r.phrase}”），本条教员回答除这句外只有 {n_after} 字"
            f"（不足 {SUBSTANTIVE} 字）：这个问题在本次答疑中基本没有得到回答。")


def _lecturer_clause(r, entries: pd.DataFrame, entry_id: int, lecturers: list[str], also: str) -> str:
    """A deferral to a later course named only by who teaches it, with the units that teacher answered questions
    of later in the same cohort (the course may be one of them)."""
    who = "、".join(lecturers)
    units = _later_units_answered(entries, entry_id, lecturers)
    read = (f"；按答疑记录，{who}老师在本期后面答过的单元答疑是" + "、".join(
        f"第{n}单元“{t}”（" + "、".join(f"第 {i} 条" for i in ids) + "）" for n, t, ids in units)
        + "，可能就是这门课") if units else ""
    return (f"教员指出后续课程中由{who}老师专门讲这一内容（只指明讲课教员，未说单元名{read}{'；' + also if also else ''}）。"
            f"这一内容连着“{r.asked_in}”和{who}老师后面的课"
            + (f"（可能是{'或'.join(f'“{t}”' for _, t, _ in units)}）" if units else "") + "，可在两处之间安排衔接。")
