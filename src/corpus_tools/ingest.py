"""Stage 1 — bytes → numbered lines, each classified as content or as a known PDF artefact.

Nothing is deleted here: every input line comes out as a :class:`SourceLine` with its 1-based number, its raw
text, a cleaned text and a ``kind``. Later stages only read ``content`` lines; the others stay in the line map so
that any output row can be traced back to the booklet.

Kinds: ``blank``, ``url``, ``footer`` (the publisher's page-footer block), ``page_number``, ``content``.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BookletError

URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S*\s*$", re.IGNORECASE)
INLINE_URL = re.compile(r"https?://[!-~]+", re.IGNORECASE)
PAGE_NUMBER = re.compile(r"^\s*(?:第\s*)?\d{1,4}(?:\s*页)?\s*$")
# A footer rule: a line made only of dashes / box-drawing characters.
FOOTER_RULE = re.compile(r"^\s*[—–\-─━_＿=]{8,}\s*$")
CJK = r"\u3400-\u9fff\uf900-\ufaff"
CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
_SPACED_PAIR = re.compile(rf"[{CJK}{CJK_PUNCT}] (?=[{CJK}{CJK_PUNCT}])")
_SPACE_NEAR_PUNCT = re.compile(rf"(?<=[{CJK_PUNCT}]) +| +(?=[{CJK_PUNCT}])")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}]) +(?=[{CJK}])")


@dataclass(frozen=True)
class SourceLine:
    """One input line. ``text`` is what later stages read: page-start space dropped, letter-spacing undone."""

    line_no: int
    raw: str
    text: str
    kind: str
    page_start: bool = False
    letter_spaced: bool = False


@dataclass(frozen=True)
class SourceText:
    """A decoded booklet file: its lines plus how it was read (encoding, BOM, newline convention, checksum)."""

    path: str
    encoding: str
    bom: bool
    newline: str
    sha256: str
    lines: list[SourceLine] = field(repr=False)

    def content(self) -> list[SourceLine]:
        return [ln for ln in self.lines if ln.kind == "content"]


# ---------------------------------------------------------------- decoding

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


#: the first bytes of document files a booklet may be kept in: told apart, so the error can say what to do
DOCUMENT_MAGIC = ((b"%PDF-", "a PDF file"), (b"PK\x03\x04", "a zip archive (a .docx, .xlsx or .zip file)"),
                  (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc or .xls)"),
                  (b"{\\rtf", "an RTF document"))


def decode_bytes(data: bytes, path: str = "<bytes>") -> tuple[str, str, bool]:
    """Decode booklet bytes; returns ``(text, encoding, had_bom)``.

    Tries, in order: a BOM (UTF-8/16/32), BOM-less UTF-16 (told by its NUL bytes), UTF-8, GB18030 (a superset of
    GBK and GB2312). Raises :class:`BookletError` for empty, binary or undecodable input.
    """
    if not data.strip():
        raise BookletError(path, "the file is empty")
    kind = next((k for magic, k in DOCUMENT_MAGIC if data.startswith(magic)), None)
    if kind is not None:
        how = ("e.g. `pdftotext -layout booklet.pdf booklet.txt`" if kind == "a PDF file"
               else "in its program: Save As, plain text, UTF-8")
        raise BookletError(path, f"is {kind}, not a text booklet: save the booklet's text as a .txt file first "
                                 f"({how}) and give that file")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), enc, True
            except UnicodeDecodeError as exc:
                raise BookletError(path, f"starts with a {enc} byte-order mark but is not valid {enc}: {exc.reason}",
                                   _line_of_offset(data, exc.start)) from None
    if b"\x00" in data and len(data) % 2 == 0:  # BOM-less UTF-16: ASCII characters carry a NUL byte
        even_nuls, odd_nuls = data[0::2].count(b"\x00"), data[1::2].count(b"\x00")
        order = ("utf-16-le", "utf-16-be") if odd_nuls >= even_nuls else ("utf-16-be", "utf-16-le")
        for enc in order:
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if "\n" in text and _is_plain_text(text):
                return text, enc, False
    if b"\x00" in data:
        raise BookletError(path, "looks like a binary file (it contains NUL bytes), not a text booklet",
                           _line_of_offset(data, data.index(b"\x00")))
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030", False
        except UnicodeDecodeError:
            raise BookletError(
                path,
                "is neither UTF-8, UTF-16 nor GB18030/GBK text "
                f"(first bad byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start})",
                _line_of_offset(data, utf8_error.start),
            ) from None


def _is_plain_text(text: str) -> bool:
    """No control characters besides tab/newlines, no unassigned or surrogate code points."""
    bad = sum(1 for c in text if c not in "\t\r\n\f" and unicodedata.category(c) in ("Cc", "Cn", "Cs", "Co"))
    return bad == 0


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _newline_style(text: str) -> str:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [name for name, n in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if n]
    return kinds[0] if len(kinds) == 1 else ("mixed" if kinds else "none")


# ---------------------------------------------------------------- cleaning one line

_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                   "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")


def display_width(s: str) -> int:
    """Width in half-width cells: CJK and full-width characters (East Asian Wide/Fullwidth) count 2."""
    return len(s) + len(_WIDE.findall(s))


def is_letter_spaced(s: str) -> bool:
    """True for a line typeset with a space between every character ("邱 明 辉 老 师 ：")."""
    pairs = len(_SPACED_PAIR.findall(s))
    cjk = len(re.findall(rf"[{CJK}]", s))
    return cjk >= 2 and pairs >= 1 and pairs * 2 >= cjk


def undo_letter_spacing(s: str) -> str:
    """Remove the spaces between Chinese characters and around full-width punctuation; keep Latin word spacing."""
    s = _SPACE_BETWEEN_CJK.sub("", s)
    return _SPACE_NEAR_PUNCT.sub("", s)


def clean_line(raw: str) -> tuple[str, bool, bool]:
    """``(text, page_start, letter_spaced)`` of a raw line: a leading space marks a new PDF page."""
    line = raw.replace("\u3000", " ").rstrip()
    page_start = line.startswith(" ") and bool(line.strip())
    text = line.strip()
    spaced = " " in text and is_letter_spaced(text)
    if spaced:
        text = undo_letter_spacing(text)
    return text, page_start, spaced


# ---------------------------------------------------------------- classification

def classify_lines(raw_lines: list[str]) -> list[SourceLine]:
    """Number and classify lines. The footer block is found by its shape, not its wording: a rule of dashes with
    at most one line above and three below it, closed by a page number; identical lines elsewhere are footers too."""
    cleaned = [clean_line(r) for r in raw_lines]
    kinds: list[str] = []
    for raw, (text, _, _) in zip(raw_lines, cleaned):
        if not text:
            kinds.append("blank")
        elif URL_LINE.match(text):
            kinds.append("url")
        elif PAGE_NUMBER.match(text):
            kinds.append("page_number")
        else:
            kinds.append("content")

    def neighbours(i: int, step: int, limit: int) -> list[int]:
        out, j = [], i + step
        while 0 <= j < len(kinds) and len(out) < limit:
            if kinds[j] != "blank":
                out.append(j)
            j += step
        return out

    footer_texts: set[str] = set()
    rules = [i for i, (text, _, _) in enumerate(cleaned) if kinds[i] == "content" and FOOTER_RULE.match(text)]
    above_texts: Counter[str] = Counter()
    for i in rules:
        block = [i]
        for j in neighbours(i, +1, 4):  # lines below the rule, up to the page number
            if kinds[j] == "page_number":
                break
            if kinds[j] == "content" and not FOOTER_RULE.match(cleaned[j][0]):
                block.append(j)
        above_texts.update(cleaned[j][0] for j in neighbours(i, -1, 1) if kinds[j] == "content")
        for j in block:
            kinds[j] = "footer"
            footer_texts.add(cleaned[j][0])
    # the line above a rule (a slogan) is footer only when it recurs above the rules, so a page's last
    # sentence is never mistaken for it
    footer_texts.update(t for t, n in above_texts.items() if n >= 2)
    if footer_texts:
        for i, (text, _, _) in enumerate(cleaned):
            if kinds[i] == "content" and text in footer_texts:
                kinds[i] = "footer"

    out: list[SourceLine] = []
    for n, (raw, (text, page_start, spaced), kind) in enumerate(zip(raw_lines, cleaned, kinds), start=1):
        if kind == "content":
            text = INLINE_URL.sub("", text).strip()
            if not text:
                kind = "url"
        out.append(SourceLine(n, raw, text if kind == "content" else "", kind, page_start, spaced))
    return out


#: largest booklet read without ``--max-size`` (megabytes, 10**6 bytes)
DEFAULT_MAX_MB = 20.0
_MAX_MB: ContextVar[float] = ContextVar("corpus_tools_max_input_mb", default=DEFAULT_MAX_MB)


@contextmanager
def input_size_limit(max_mb: float | None) -> Iterator[None]:
    """Within the block, :func:`read_text` accepts files up to ``max_mb`` megabytes (``None``: the default)."""
    token = _MAX_MB.set(DEFAULT_MAX_MB if max_mb is None else float(max_mb))
    try:
        yield
    finally:
        _MAX_MB.reset(token)


def read_input_bytes(path: str | Path, max_mb: float | None = None) -> bytes:
    """The bytes of a booklet file after checking it is a regular file under the size limit (``max_mb`` megabytes;
    ``None``: :data:`DEFAULT_MAX_MB` or the :func:`input_size_limit` in force). FIFOs, devices, sockets and
    folders are refused without being read, so a named pipe or ``/dev/zero`` can neither hang nor fill memory."""
    p = Path(path)
    limit_mb = _MAX_MB.get() if max_mb is None else float(max_mb)
    limit = int(limit_mb * 1_000_000)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise BookletError(str(p), "no such file") from None
    except OSError as exc:
        raise BookletError(str(p), f"cannot be read: {exc.strerror or exc}") from None
    _check_kind(p, st.st_mode)
    _check_size(p, st.st_size, limit_mb, limit)
    try:  # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open still returns at once
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise BookletError(str(p), f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        _check_kind(p, st.st_mode)
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise BookletError(str(p), f"cannot be read: {exc.strerror or exc}") from None
    _check_size(p, len(data), limit_mb, limit)
    return data


def _check_kind(p: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    what = ("is a directory" if stat.S_ISDIR(mode) else "is a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "is a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "is a socket" if stat.S_ISSOCK(mode)
            else "is not a regular file")
    raise BookletError(str(p), f"{what}, not a booklet text file")


def _check_size(p: Path, size: int, limit_mb: float, limit: int) -> None:
    if size > limit:
        raise BookletError(str(p), f"is larger than the input size limit of {limit_mb:g} MB "
                                   f"({size / 1e6:.1f} MB or more); raise the limit with --max-size MB")


def read_text(path: str | Path, max_mb: float | None = None) -> SourceText:
    """Read a booklet file into classified lines (raises :class:`BookletError` on bad input: missing, not a
    regular file, larger than ``max_mb`` megabytes, empty, binary or undecodable). See :func:`read_input_bytes`."""
    return text_from_bytes(read_input_bytes(path, max_mb), str(Path(path)))


def text_from_bytes(data: bytes, path: str = "<bytes>") -> SourceText:
    """Like :func:`read_text` for bytes already in memory."""
    text, encoding, bom = decode_bytes(data, path)
    newline = _newline_style(text)
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    bad = next((i for i, ln in enumerate(raw_lines) if _looks_binary(ln)), None)
    if bad is not None:
        raise BookletError(path, "contains control characters: this looks like a binary file, not a text booklet",
                           bad + 1)
    return SourceText(path, encoding, bom, newline, hashlib.sha256(data).hexdigest(), classify_lines(raw_lines))


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _looks_binary(line: str) -> bool:
    if not _CONTROL.search(line):
        return False
    ctrl = len(_CONTROL.findall(line))
    return ctrl > 0 and ctrl * 10 >= max(len(line), 1)


def wrap_width(lines: list[SourceLine]) -> int | None:
    """The width (in half-width cells) at which the PDF wrapped its lines, or ``None`` if lines were not wrapped."""
    widths = [display_width(ln.text) for ln in lines if ln.kind == "content"]
    if len(widths) < 20:
        return None
    counts = Counter(widths)
    mode = max(counts, key=lambda w: (sum(counts[x] for x in range(w - 3, w + 3)), w))
    near = sum(counts[x] for x in range(mode - 3, mode + 3))
    return mode if near * 10 >= len(widths) * 3 else None
