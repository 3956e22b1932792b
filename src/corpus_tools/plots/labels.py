"""Figure labels shown literally and kept short.

matplotlib reads text between two ``$`` as mathtext: a section called ``$\\badcmd{x}$`` raises a parse error when
the figure is drawn, and ``$x$`` comes out in italics. :func:`plain_label` escapes every ``$`` so labels are
always shown as written. :func:`short_label` also cuts a label to ``n`` characters with an ellipsis, so a
3,000-character heading cannot make a figure 50,000 pixels wide.
"""

from __future__ import annotations

import re

from ..text import xml_safe

ELLIPSIS = "…"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_label(s: object) -> str:
    """``s`` as text matplotlib shows literally: ``$`` escaped as ``\\$``, control characters dropped, other
    characters XML forbids replaced by U+FFFD (:func:`corpus_tools.text.xml_safe`), line breaks and tabs turned
    into spaces. ``None``/NaN give ``""``."""
    if s is None or (isinstance(s, float) and s != s):
        return ""
    text = str(s).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    text = xml_safe(_CONTROL.sub("", text))  # U+FFFE, U+FFFF, lone surrogates → U+FFFD (as in the graph files)
    return text.replace("$", r"\$")


def short_label(s: object, n: int = 24) -> str:
    """:func:`plain_label` of ``s`` cut to at most ``n`` visible characters (the last one an ellipsis ``…`` when
    cut). The cut never splits an escaped ``\\$``. ``n`` must be ≥ 1."""
    if n < 1:
        raise ValueError(f"n must be ≥ 1 (got {n})")
    text = "" if s is None or (isinstance(s, float) and s != s) else str(s)
    text = plain_label(text).replace(r"\$", "$")  # count the visible characters
    if len(text) > n:
        text = text[: n - 1].rstrip() + ELLIPSIS
    return text.replace("$", r"\$")
