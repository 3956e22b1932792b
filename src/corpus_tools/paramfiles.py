"""What every parameter file (curriculum CSV, codebook YAML, synonyms CSV) must satisfy before it is used: its
encoding, and limits on a field's length, on a cohort or unit number and on how deeply an expression nests.

A file that breaks a limit is refused with the file, the line and the reason (the caller's error class, a
:class:`~corpus_tools.errors.BookletError`: one line and exit code 2 from the command line) — never a traceback
from deep inside the csv or YAML reader or a recursion limit.

- **Encoding** (:func:`decode`): UTF-8 (with or without BOM), else GB18030 (which includes GBK and GB2312) — the
  same for all three files, as Excel on a Chinese Windows saves CSV in GB18030.
- **Field length**: at most :data:`MAX_FIELD_CHARS` characters in a CSV field or a code's name (a unit title, a
  description, a concept, a variant), :data:`MAX_EXPRESSION_CHARS` in a code's expression.
- **Numbers**: a cohort or unit number from 1 to :data:`MAX_NUMBER`.
- **Nesting**: parentheses and NOTs of a code's expression, and YAML collections, at most :data:`MAX_DEPTH` deep.

Pure: bytes and text in, values out (the files are read in :mod:`corpus_tools.store`).
"""

from __future__ import annotations

import csv
import io
from typing import Callable, Iterator

MAX_FIELD_CHARS = 1_000  # a unit title or a concept is a few dozen characters; the booklet's longest title is 37
MAX_EXPRESSION_CHARS = 10_000  # a code's expression: ~1,000 terms joined by OR
MAX_NUMBER = 1_000  # cohorts and units are numbered 1, 2, 3 …
MAX_DEPTH = 50  # nesting of parentheses / NOTs in an expression, of collections in YAML
ENCODINGS = ("utf-8-sig", "gb18030")

ErrorFactory = Callable[[str, str, "int | None"], Exception]  # (file, message, line) → the error to raise


def decode(data: bytes) -> str | None:
    """The text of a parameter file's bytes: UTF-8 (± BOM), else GB18030; ``None`` when it is neither."""
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def encoding_message(what: str) -> str:
    """The reason given for a file that :func:`decode` cannot read (``what``: 课程表, 编码表, 同义词表)."""
    return f"{what}文件既不是 UTF-8 也不是 GB18030 编码"


def too_long(text: str, limit: int = MAX_FIELD_CHARS) -> str | None:
    """The reason a field is refused, or ``None`` when it is at most ``limit`` characters."""
    return f"字段长 {len(text):,} 个字符，超过上限 {limit:,}" if len(text) > limit else None


def csv_rows(text: str, source: str, error: ErrorFactory) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` of each CSV row of ``text`` (``line``: the row's last line in the file, 1-based). A field
    over :data:`MAX_FIELD_CHARS` characters raises ``error(source, reason, line)`` — also one over the csv
    module's own limit, which it would report without a file or line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = "field larger than field limit" in str(exc)
            raise error(source, f"字段超过上限 {MAX_FIELD_CHARS:,} 个字符" if limit else f"CSV 格式错误：{exc}",
                        reader.line_num) from None
        for f in fields:
            reason = too_long(f)
            if reason:
                raise error(source, reason, reader.line_num)
        yield reader.line_num, fields


def number_in_range(value: int, what: str) -> str | None:
    """The reason a cohort or unit number (``what``: 期别, 单元号) is refused, or ``None`` when it is from 1 to
    :data:`MAX_NUMBER`."""
    if 1 <= value <= MAX_NUMBER:
        return None
    shown = str(value) if len(str(value)) <= 12 else f"{str(value)[:12]}…（{len(str(value))} 位）"
    return f"{what}超出范围：{shown}（应为 1–{MAX_NUMBER}）"


def yaml_depth_error(text: str) -> tuple[str, int] | None:
    """``(reason, line)`` when YAML collections in ``text`` nest deeper than :data:`MAX_DEPTH`, else ``None``.
    Read as a stream of events (no recursion), before the document is composed (which recurses per level).
    Malformed YAML gives ``None``: the composer reports it."""
    import yaml

    depth = 0
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return f"YAML 嵌套超过 {MAX_DEPTH} 层", ev.start_mark.line + 1
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None
