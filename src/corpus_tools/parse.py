"""Stage 2 — content lines → sections → entries → turns, with source notes read into cohort / unit.

Pure: takes the classified lines of :mod:`corpus_tools.ingest`, returns plain records and warnings, touches no
files. Every content character is assigned to exactly one place (a :class:`Span`), which is how the ``lines``
table traces any row back to the booklet.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field

from .ingest import CJK, SourceLine, display_width, wrap_width
from .people import Affiliation, looks_like_affiliation, parse_affiliation
from .resources import load_list

SECTION = re.compile(r"^【\s*(?P<name>[^【】]+?)\s*】$")
VIDEO = re.compile(r"扫码.{0,8}(?:观看|视频)")
STAR = "★☆"
STARS = ("★", "☆")
NOTE_START = re.compile(r"^[（(]\s*(?:上述|以上)(?:内容|问答|答疑)?(?:均)?来源于")
TRAINEE_PREFIX = re.compile(r"^学员(?:\s*[、，,]\s*|(?=\s*[：:]))")
SECOND_TRAINEE = re.compile(r"\s*[，,、]\s*学员\s*[、，,]\s*")
TERMINAL = "。？！?!：:；;…”’）)」』★"
NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
            "九": 9}


def chinese_number(s: str) -> int | None:
    """``"三"`` → 3, ``"十二"`` → 12, ``"12"`` → 12; ``None`` if ``s`` is not a number."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    if not s or any(c not in NUMERALS and c not in "十百" for c in s):
        return None
    total, current = 0, 0
    for c in s:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = NUMERALS[c]
    return total + current


@dataclass
class Span:
    """A piece of one content line assigned to one place: ``role`` says which field it ends up in."""

    line_no: int
    role: str  # front_matter | section | title | star | video | label | turn | note | unassigned
    text: str
    entry_id: int | None = None
    turn_no: int | None = None


@dataclass
class Warning_:
    line_no: int | None
    code: str
    message: str


@dataclass
class TurnRec:
    turn_no: int
    label: str
    role: str  # trainee | instructor
    speakers: list[Affiliation] | None  # trainees (None for an instructor)
    instructor: str = ""
    instructor_title: str = ""
    line_start: int = 0
    line_end: int = 0
    parts: list[tuple[str, int]] = field(default_factory=list)  # (text, width of the full source line)

    @property
    def speaker(self) -> str:
        if self.role == "instructor":
            return self.instructor
        return "、".join(a.name for a in self.speakers or [])


@dataclass
class EntryRec:
    entry_id: int
    section: str
    line_start: int
    title_parts: list[tuple[str, int]] = field(default_factory=list)
    starred: bool = False
    has_video: bool = False
    turns: list[TurnRec] = field(default_factory=list)
    note_parts: list[tuple[str, int]] = field(default_factory=list)
    note_closed: bool = False
    line_end: int = 0


@dataclass
class ParseResult:
    front_matter: list[tuple[int, str]]
    sections: list[tuple[str, int]]
    entries: list[EntryRec]
    spans: list[Span]
    warnings: list[Warning_]
    wrap_width: int | None


# ---------------------------------------------------------------- joining wrapped lines

def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def join_parts(parts: list[tuple[str, int]], width: int | None) -> str:
    """Join the pieces of wrapped lines: nothing between Chinese, a space between Latin words and between Latin and
    Chinese (the booklet's own spacing), a newline where a line closed a paragraph (ends in 。？！… and falls short
    of the wrap width)."""
    out = ""
    prev_width = 0
    for text, line_width in parts:
        if not text:
            continue
        if out:
            last, first = out[-1], text[0]
            short = width is None or prev_width < width - 4
            if last in TERMINAL and short:
                out += "\n"
            elif last.isascii() and last.isalnum() and (first.isascii() and first.isalnum() or _is_cjk(first)):
                out += " "
            elif _is_cjk(last) and first.isascii() and first.isalnum():
                out += " "  # the booklet always spaces Chinese from Latin and digits; a line break ate the space
            elif last in ",.;:" and first.isascii() and first.isalnum():
                out += " "
        out += text
        prev_width = line_width
    return out


# ---------------------------------------------------------------- note

def parse_note(note: str) -> dict:
    """Cohort, session type, unit number and title from a source note such as
    ``（上述内容来源于第三期培训班第 2 单元“医院信息规划”课程答疑环节，…）``."""
    out = {"cohort": None, "session_type": "", "unit_no": None, "unit_title": "", "session_no": None}
    m = re.search(r"第\s*([一二三四五六七八九十百零〇两\d]+)\s*期", note)
    if m:
        out["cohort"] = chinese_number(m.group(1))
    u = re.search(r"第\s*([一二三四五六七八九十百零〇两\d]+)\s*单元\s*[“\"「『]([^”\"」』]+)[”\"」』]", note)
    d = re.search(r"第\s*([一二三四五六七八九十\d]+)\s*次\s*答疑讨论课|答疑讨论课|讨论课", note)
    if u:
        out.update(session_type="unit", unit_no=chinese_number(u.group(1)), unit_title=u.group(2).strip())
    elif d:
        out["session_type"] = "discussion"
        if d.lastindex and d.group(1):
            out["session_no"] = chinese_number(d.group(1))
    return out


# ---------------------------------------------------------------- labels

@dataclass
class Label:
    role: str
    label: str
    speakers: list[Affiliation] | None
    instructor: str
    instructor_title: str
    consumed: list[int]  # how many characters of each consumed line belong to the label (incl. the colon)


@lru_cache(maxsize=1)
def _instructor_regex() -> re.Pattern[str]:
    titles = "|".join(re.escape(t) for t in load_list("instructor_titles.txt"))
    return re.compile(rf"^(?P<name>[{CJK}·]{{2,4}}?)(?P<title>{titles})\s*[：:]")


def match_label(texts: list[str], allow_bare_trainee: bool) -> Label | None:
    """A speaker label at the start of ``texts[0]`` (it may run on into ``texts[1:]``), or ``None``."""
    first = texts[0]
    m = _instructor_regex().match(first)
    if m and m.group("name") not in load_list("not_names.txt") and not m.group("name").endswith("位"):
        return Label("instructor", first[: m.end()].rstrip("：: "), None, m.group("name"), m.group("title"),
                     [m.end()])
    joined, bounds = "", []
    for t in texts[:3]:
        joined += t
        bounds.append(len(joined))
    colon = re.search(r"[：:]", joined)
    if not colon or colon.start() > 160:
        return None
    label = joined[: colon.start()]
    if re.search(r"[。？！?!；;“”]", label):
        return None
    consumed, start = [], 0
    for end in bounds:
        if start > colon.start():
            break
        consumed.append(min(end, colon.end()) - start)
        start = end
    prefix = TRAINEE_PREFIX.match(joined)
    if prefix:
        body = label[min(prefix.end(), len(label)):]
        people = [parse_affiliation(p) for p in SECOND_TRAINEE.split(body)] if body.strip() else [
            parse_affiliation("")]
        return Label("trainee", label, people, "", "", consumed)
    if allow_bare_trainee and len(consumed) <= 2 and looks_like_affiliation(label):
        return Label("trainee", label, [parse_affiliation(label)], "", "", consumed)
    return None


# ---------------------------------------------------------------- the parser

def parse_lines(lines: list[SourceLine]) -> ParseResult:
    """Parse classified lines into sections, entries and turns."""
    content = [ln for ln in lines if ln.kind == "content"]
    width = wrap_width(lines)
    widths = [display_width(ln.text) for ln in content]
    spans: list[Span] = []
    warnings: list[Warning_] = []
    front: list[tuple[int, str]] = []
    sections: list[tuple[str, int]] = []
    entries: list[EntryRec] = []
    section: str | None = None
    state = "front"  # front | head | turns | note
    entry: EntryRec | None = None
    turn: TurnRec | None = None

    def warn(line_no: int | None, code: str, message: str) -> None:
        warnings.append(Warning_(line_no, code, message))

    def close_entry(reason_line: int | None) -> None:
        nonlocal entry, turn
        if entry is None:
            return
        if not entry.note_parts:
            warn(entry.line_start, "no_source_note",
                 f"第 {entry.entry_id} 条问答（“{join_parts(entry.title_parts, width)}”，第 {entry.line_start} 行）"
                 + (f"到第 {reason_line} 行结束，没有来源说明" if reason_line else
                    "到文件末尾都没有来源说明：文件是否被截断（truncated）？"))
        elif not entry.note_closed:
            warn(entry.line_start, "unclosed_source_note",
                 f"第 {entry.entry_id} 条问答（第 {entry.line_start} 行）的来源说明没有以“）”结束")
        if not entry.turns:
            warn(entry.line_start, "no_turns", f"第 {entry.entry_id} 条问答（第 {entry.line_start} 行）没有任何发言")
        entries.append(entry)
        entry, turn = None, None

    def new_entry(ln: SourceLine) -> EntryRec:
        if section is None:
            warn(ln.line_no, "no_section", f"第 {ln.line_no} 行：问答出现在任何栏目标题之前")
        return EntryRec(entry_id=len(entries) + 1, section=section or "", line_start=ln.line_no, line_end=ln.line_no)

    def is_title_ahead(i: int) -> bool:
        """Line i looks like the title of a new entry: a question (or ★) followed by the video line or a ★."""
        t = content[i].text
        nxt = content[i + 1].text if i + 1 < len(content) else ""
        if VIDEO.search(t) or NOTE_START.match(t):
            return False
        return bool(VIDEO.search(nxt) and len(nxt) <= 30) or nxt in STARS

    def paragraph_start(i: int) -> bool:
        if i == 0:
            return True
        prev = content[i - 1].text
        return prev[-1:] in TERMINAL

    i = 0
    while i < len(content):
        ln = content[i]
        text = ln.text
        line_width = widths[i]
        if not text.strip():
            i += 1
            continue

        sec = SECTION.match(text)
        if sec:
            if state == "note":
                warn(ln.line_no, "unclosed_source_note", f"第 {ln.line_no} 行：栏目标题出现在来源说明之中")
            close_entry(ln.line_no)
            section = sec.group("name")
            sections.append((section, ln.line_no))
            spans.append(Span(ln.line_no, "section", text))
            state = "head"
            i += 1
            continue

        if state == "front":
            front.append((ln.line_no, text))
            spans.append(Span(ln.line_no, "front_matter", text))
            i += 1
            continue

        if entry is not None and (state == "note" or NOTE_START.match(text)):
            # a source note line: the note ends where its brackets close (or, unclosed, after 5 lines)
            entry.note_parts.append((text, line_width))
            spans.append(Span(ln.line_no, "note", text, entry.entry_id))
            entry.line_end = ln.line_no
            note = "".join(p for p, _ in entry.note_parts)
            if note.count("（") + note.count("(") <= note.count("）") + note.count(")"):
                entry.note_closed = True
                close_entry(None)
                state = "head"
            elif len(entry.note_parts) >= 5:
                warn(ln.line_no, "unclosed_source_note",
                     f"第 {ln.line_no} 行：第 {entry.entry_id} 条问答的来源说明超过 5 行仍没有“）”")
                close_entry(None)
                state = "head"
            else:
                state = "note"
            i += 1
            continue

        if state == "turns" and entry is not None and is_title_ahead(i) and paragraph_start(i):
            warn(ln.line_no, "no_source_note_before_title",
                 f"新一条问答的标题开始了，但第 {entry.entry_id} 条问答没有来源说明")
            close_entry(ln.line_no)
            state = "head"

        if state == "head" and entry is not None and entry.title_parts and (
                VIDEO.search(text) and len(text) <= 30 or text in STARS):
            if text in STARS:
                entry.starred = True
                spans.append(Span(ln.line_no, "star", text, entry.entry_id))
            else:
                entry.has_video = True
                spans.append(Span(ln.line_no, "video", text, entry.entry_id))
            entry.line_end = ln.line_no
            i += 1
            continue

        # a speaker label?
        label = None
        if state in ("head", "turns") and (state == "head" and entry is not None and entry.title_parts
                                           or paragraph_start(i)):
            following = [content[j].text for j in range(i + 1, min(i + 3, len(content)))]
            label = match_label([text, *following], allow_bare_trainee=True)
            if label is not None and state == "head" and (entry is None or not entry.title_parts):
                label = None  # the first line after a note is a title, never a turn

        if label is not None and entry is not None:
            turn = TurnRec(turn_no=len(entry.turns) + 1, label=label.label, role=label.role,
                           speakers=label.speakers, instructor=label.instructor,
                           instructor_title=label.instructor_title, line_start=ln.line_no, line_end=ln.line_no)
            entry.turns.append(turn)
            for k, used in enumerate(label.consumed):
                idx = i + k
                line_text = text if k == 0 else content[idx].text
                spans.append(Span(content[idx].line_no, "label", line_text[:used], entry.entry_id, turn.turn_no))
                rest = line_text[used:]
                if k == len(label.consumed) - 1:
                    if rest.strip():
                        turn.parts.append((rest.strip(), widths[idx]))
                        spans.append(Span(content[idx].line_no, "turn", rest, entry.entry_id, turn.turn_no))
                    turn.line_end = content[idx].line_no
                    entry.line_end = content[idx].line_no
            i += len(label.consumed)
            state = "turns"
            continue

        if state == "head":
            if entry is None:
                entry = new_entry(ln)
            if entry.has_video or len(entry.title_parts) >= 3:
                warn(ln.line_no, "unassigned_line",
                     f"第 {ln.line_no} 行：第 {entry.entry_id} 条问答的标题与第一位发言人之间的文字"
                     f"既不是标题也不是发言人标签：{text[:30]}…")
                spans.append(Span(ln.line_no, "unassigned", text, entry.entry_id))
            else:
                title = text
                if title[-1] in STAR:
                    entry.starred = True
                    title = title.rstrip(STAR).rstrip()
                    spans.append(Span(ln.line_no, "title", title, entry.entry_id))
                    spans.append(Span(ln.line_no, "star", text[len(title):], entry.entry_id))
                else:
                    spans.append(Span(ln.line_no, "title", title, entry.entry_id))
                entry.title_parts.append((title, line_width))
            entry.line_end = ln.line_no
            i += 1
            continue

        # state == "turns": continuation of the current turn
        assert entry is not None and turn is not None
        turn.parts.append((text, line_width))
        turn.line_end = ln.line_no
        entry.line_end = ln.line_no
        spans.append(Span(ln.line_no, "turn", text, entry.entry_id, turn.turn_no))
        i += 1

    if state == "note" and entry is not None and not entry.note_closed:
        pass  # reported by close_entry
    close_entry(None)
    return ParseResult(front, sections, entries, spans, warnings, width)
