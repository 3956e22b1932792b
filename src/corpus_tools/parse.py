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
    """Parse classified lines into sections, entries and turns (see :class:`_Parser`)."""
    return _Parser(lines).run()


class _Parser:
    """The line-by-line state machine of :func:`parse_lines`. ``state`` is where the reader is: ``front`` (front
    matter before the first section), ``head`` (an entry's title, video line and stars), ``turns`` (speaker turns)
    or ``note`` (the source note that closes an entry). Each content line is handed to the first step that takes
    it (:meth:`_step`); each step records the line's span and any warning."""

    def __init__(self, lines: list[SourceLine]) -> None:
        self.content = [ln for ln in lines if ln.kind == "content"]
        self.width = wrap_width(lines)
        self.widths = [display_width(ln.text) for ln in self.content]
        self.spans: list[Span] = []
        self.warnings: list[Warning_] = []
        self.front: list[tuple[int, str]] = []
        self.sections: list[tuple[str, int]] = []
        self.entries: list[EntryRec] = []
        self.section: str | None = None
        self.state = "front"  # front | head | turns | note
        self.entry: EntryRec | None = None
        self.turn: TurnRec | None = None

    def run(self) -> ParseResult:
        i = 0
        while i < len(self.content):
            i = self._step(i)
        self.close_entry(None)  # an entry still open at the end of the file (an unclosed note is reported there)
        return ParseResult(self.front, self.sections, self.entries, self.spans, self.warnings, self.width)

    # ------------------------------------------------------------ helpers
    def warn(self, line_no: int | None, code: str, message: str) -> None:
        self.warnings.append(Warning_(line_no, code, message))

    def close_entry(self, reason_line: int | None) -> None:
        """End the open entry (if any), warning when it has no closed source note or no turn."""
        entry = self.entry
        if entry is None:
            return
        if not entry.note_parts:
            self.warn(entry.line_start, "no_source_note",
                      f"第 {entry.entry_id} 条问答（“{join_parts(entry.title_parts, self.width)}”，第 {entry.line_start} 行）"
                      + (f"到第 {reason_line} 行结束，没有来源说明" if reason_line else
                         "到文件末尾都没有来源说明：文件是否被截断（truncated）？"))
        elif not entry.note_closed:
            self.warn(entry.line_start, "unclosed_source_note",
                      f"第 {entry.entry_id} 条问答（第 {entry.line_start} 行）的来源说明没有以“）”结束")
        if not entry.turns:
            self.warn(entry.line_start, "no_turns",
                      f"第 {entry.entry_id} 条问答（第 {entry.line_start} 行）没有任何发言")
        self.entries.append(entry)
        self.entry, self.turn = None, None

    def new_entry(self, ln: SourceLine) -> EntryRec:
        if self.section is None:
            self.warn(ln.line_no, "no_section", f"第 {ln.line_no} 行：问答出现在任何栏目标题之前")
        return EntryRec(entry_id=len(self.entries) + 1, section=self.section or "", line_start=ln.line_no,
                        line_end=ln.line_no)

    def is_title_ahead(self, i: int) -> bool:
        """Line i looks like the title of a new entry: a question (or ★) followed by the video line or a ★."""
        t = self.content[i].text
        nxt = self.content[i + 1].text if i + 1 < len(self.content) else ""
        if VIDEO.search(t) or NOTE_START.match(t):
            return False
        return bool(VIDEO.search(nxt) and len(nxt) <= 30) or nxt in STARS

    def paragraph_start(self, i: int) -> bool:
        return i == 0 or self.content[i - 1].text[-1:] in TERMINAL

    # ------------------------------------------------------------ one line
    def _step(self, i: int) -> int:
        """Take content line ``i`` and return the index of the next line to read."""
        text = self.content[i].text
        if not text.strip():
            return i + 1
        sec = SECTION.match(text)
        if sec:
            return self._section(i, sec.group("name"))
        if self.state == "front":
            return self._front_matter(i)
        if self.entry is not None and (self.state == "note" or NOTE_START.match(text)):
            return self._note(i)
        if self.state == "turns" and self.entry is not None and self.is_title_ahead(i) and self.paragraph_start(i):
            self.warn(self.content[i].line_no, "no_source_note_before_title",
                      f"新一条问答的标题开始了，但第 {self.entry.entry_id} 条问答没有来源说明")
            self.close_entry(self.content[i].line_no)
            self.state = "head"
        if self.state == "head" and self.entry is not None and self.entry.title_parts and (
                VIDEO.search(text) and len(text) <= 30 or text in STARS):
            return self._video_or_star(i)
        label = self._label_at(i)
        if label is not None and self.entry is not None:
            return self._turn_start(i, label)
        if self.state == "head":
            return self._title(i)
        return self._continuation(i)

    def _section(self, i: int, name: str) -> int:
        """A section header 【…】: it closes the open entry."""
        ln = self.content[i]
        if self.state == "note":
            self.warn(ln.line_no, "unclosed_source_note", f"第 {ln.line_no} 行：栏目标题出现在来源说明之中")
        self.close_entry(ln.line_no)
        self.section = name
        self.sections.append((name, ln.line_no))
        self.spans.append(Span(ln.line_no, "section", ln.text))
        self.state = "head"
        return i + 1

    def _front_matter(self, i: int) -> int:
        ln = self.content[i]
        self.front.append((ln.line_no, ln.text))
        self.spans.append(Span(ln.line_no, "front_matter", ln.text))
        return i + 1

    def _note(self, i: int) -> int:
        """A source note line: the note ends where its brackets close (or, unclosed, after 5 lines)."""
        ln, entry = self.content[i], self.entry
        assert entry is not None
        entry.note_parts.append((ln.text, self.widths[i]))
        self.spans.append(Span(ln.line_no, "note", ln.text, entry.entry_id))
        entry.line_end = ln.line_no
        note = "".join(p for p, _ in entry.note_parts)
        if note.count("（") + note.count("(") <= note.count("）") + note.count(")"):
            entry.note_closed = True
            self.close_entry(None)
            self.state = "head"
        elif len(entry.note_parts) >= 5:
            self.warn(ln.line_no, "unclosed_source_note",
                      f"第 {ln.line_no} 行：第 {entry.entry_id} 条问答的来源说明超过 5 行仍没有“）”")
            self.close_entry(None)
            self.state = "head"
        else:
            self.state = "note"
        return i + 1

    def _video_or_star(self, i: int) -> int:
        """The video line (请用微信扫码观看答疑视频) or a line of stars under a title."""
        ln, entry = self.content[i], self.entry
        assert entry is not None
        if ln.text in STARS:
            entry.starred = True
            self.spans.append(Span(ln.line_no, "star", ln.text, entry.entry_id))
        else:
            entry.has_video = True
            self.spans.append(Span(ln.line_no, "video", ln.text, entry.entry_id))
        entry.line_end = ln.line_no
        return i + 1

    def _label_at(self, i: int):
        """The speaker label starting at line ``i`` (it may run over the next two lines), or None. A label is
        looked for only where a turn can begin: after a title, or at the start of a paragraph among turns."""
        if self.state not in ("head", "turns"):
            return None
        entry = self.entry
        if not (self.state == "head" and entry is not None and entry.title_parts or self.paragraph_start(i)):
            return None
        following = [self.content[j].text for j in range(i + 1, min(i + 3, len(self.content)))]
        label = match_label([self.content[i].text, *following], allow_bare_trainee=True)
        if label is not None and self.state == "head" and (entry is None or not entry.title_parts):
            return None  # the first line after a note is a title, never a turn
        return label

    def _turn_start(self, i: int, label) -> int:
        """A new turn of the open entry: the label's spans, and the text after it as the turn's first part."""
        entry = self.entry
        assert entry is not None
        turn = self.turn = TurnRec(turn_no=len(entry.turns) + 1, label=label.label, role=label.role,
                                   speakers=label.speakers, instructor=label.instructor,
                                   instructor_title=label.instructor_title, line_start=self.content[i].line_no,
                                   line_end=self.content[i].line_no)
        entry.turns.append(turn)
        for k, used in enumerate(label.consumed):
            idx = i + k
            line_text = self.content[idx].text
            self.spans.append(Span(self.content[idx].line_no, "label", line_text[:used], entry.entry_id,
                                   turn.turn_no))
            rest = line_text[used:]
            if k == len(label.consumed) - 1:
                if rest.strip():
                    turn.parts.append((rest.strip(), self.widths[idx]))
                    self.spans.append(Span(self.content[idx].line_no, "turn", rest, entry.entry_id, turn.turn_no))
                turn.line_end = self.content[idx].line_no
                entry.line_end = self.content[idx].line_no
        self.state = "turns"
        return i + len(label.consumed)

    def _title(self, i: int) -> int:
        """A title line of a new or open entry (at most three; a trailing ★ marks the entry); beyond that, or
        after the video line, the line is reported as unassigned."""
        ln = self.content[i]
        text = ln.text
        if self.entry is None:
            self.entry = self.new_entry(ln)
        entry = self.entry
        if entry.has_video or len(entry.title_parts) >= 3:
            self.warn(ln.line_no, "unassigned_line",
                      f"第 {ln.line_no} 行：第 {entry.entry_id} 条问答的标题与第一位发言人之间的文字"
                      f"既不是标题也不是发言人标签：{text[:30]}…")
            self.spans.append(Span(ln.line_no, "unassigned", text, entry.entry_id))
        else:
            title = text
            if title[-1] in STAR:
                entry.starred = True
                title = title.rstrip(STAR).rstrip()
                self.spans.append(Span(ln.line_no, "title", title, entry.entry_id))
                self.spans.append(Span(ln.line_no, "star", text[len(title):], entry.entry_id))
            else:
                self.spans.append(Span(ln.line_no, "title", title, entry.entry_id))
            entry.title_parts.append((title, self.widths[i]))
        entry.line_end = ln.line_no
        return i + 1

    def _continuation(self, i: int) -> int:
        """A further line of the current turn."""
        ln, entry, turn = self.content[i], self.entry, self.turn
        assert entry is not None and turn is not None
        turn.parts.append((ln.text, self.widths[i]))
        turn.line_end = ln.line_no
        entry.line_end = ln.line_no
        self.spans.append(Span(ln.line_no, "turn", ln.text, entry.entry_id, turn.turn_no))
        return i + 1
