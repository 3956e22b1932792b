"""Figure labels shown literally and kept short.

matplotlib reads text between two ``$`` as mathtext: a section called ``$\\badcmd{x}$`` raises a parse error when
the figure is drawn, and ``$x$`` comes out in italics. :func:`plain_label` escapes every ``$`` so labels are
always shown as written. :func:`short_label` also cuts a label to ``n`` characters with an ellipsis, so a
3,000-character heading cannot make a figure 50,000 pixels wide. :func:`wrap_label` breaks a long label over
lines instead; :func:`keep_labels_apart` hides the less important of two labels that still overlap once drawn.
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


_BREAK_AFTER = "·、，,；;：:/ ）)"


def wrap_label(s: object, width: int = 8, max_lines: int = 2) -> str:
    """:func:`plain_label` of ``s`` on at most ``max_lines`` lines of about ``width`` visible characters, broken
    after a separator (``·``, ``、``, a space …) where one falls in the second half of a line, else after
    ``width`` characters; what does not fit is cut with an ellipsis on the last line (the full name stays in the
    figure's data file)."""
    if width < 1 or max_lines < 1:
        raise ValueError("width and max_lines must be ≥ 1")
    text = plain_label(s).replace(r"\$", "$").strip()
    lines: list[str] = []
    while text and len(lines) < max_lines:
        if len(text) <= width or len(lines) == max_lines - 1:
            lines.append(text)
            text = ""
            break
        cut = max((i + 1 for i, ch in enumerate(text[:width + 1]) if ch in _BREAK_AFTER and i + 1 > width // 2),
                  default=width)
        lines.append(text[:cut].strip())
        text = text[cut:].strip()
    if lines and len(lines[-1]) > width:
        lines[-1] = lines[-1][:width - 1].rstrip() + ELLIPSIS
    return "\n".join(line.replace("$", r"\$") for line in lines)


def overlapping_boxes(b, boxes, pad: float = 0.03) -> list:
    """The boxes of ``boxes`` that overlap ``b``, each widened by ``pad`` of its width on either side: text is
    measured at 100 dpi, and hinted CJK glyphs come out up to 4 % wider in the 150 dpi file."""
    return [o for o in boxes if min(b.x1 + pad * b.width, o.x1 + pad * o.width)
            - max(b.x0 - pad * b.width, o.x0 - pad * o.width) > 0 and min(b.y1, o.y1) - max(b.y0, o.y0) > 0]


def keep_labels_apart(fig, texts: list, keep_first: int) -> list:
    """Keep labels apart after adjustText: the first ``keep_first`` labels (groups) are always shown, one that
    overlaps an earlier one moved just below it; a later label (a term) that overlaps any shown label is hidden
    (the list is in order of importance). Returns the labels still shown."""
    r = fig.canvas.get_renderer()
    shown, boxes = [], []
    for i, t in enumerate(texts):
        b = t.get_window_extent(r)
        if i < keep_first:
            for _ in range(len(texts)):
                hit = overlapping_boxes(b, boxes)
                if not hit:
                    break
                ax = t.axes
                x, y = ax.transData.transform(t.get_position())
                step = b.y1 - min(o.y0 for o in hit) + 1.0
                t.set_position(ax.transData.inverted().transform((x, y - step)))
                b = t.get_window_extent(r)
        elif overlapping_boxes(b, boxes):
            t.set_visible(False)
            for arrow in t.axes.patches:  # adjustText's leader line from this label (its patchA)
                if getattr(arrow, "patchA", None) is t:
                    arrow.set_visible(False)
            continue
        shown.append(t)
        boxes.append(b)
    return shown
