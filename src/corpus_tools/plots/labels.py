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


WORD_SEPARATORS = "·：、 "  # a topic label is words joined by · ("集成平台·消息·检验"), after "N " or "N 综合："


def wrap_words(s: object, width: int = 8, max_lines: int = 4) -> str:
    """:func:`plain_label` of ``s`` broken only after a separator of :data:`WORD_SEPARATORS` (the ``·`` between a
    topic's words, a space), never inside a word: words are packed greedily into lines of at most ``width``
    characters (a longer word gets a line of its own); past ``max_lines`` the last line ends with an ellipsis."""
    if width < 1 or max_lines < 1:
        raise ValueError("width and max_lines must be ≥ 1")
    text = plain_label(s).replace(r"\$", "$").strip()
    words, word = [], ""
    for ch in text:
        word += ch
        if ch in WORD_SEPARATORS:
            words.append(word)
            word = ""
    words = [w for w in words + [word] if w.strip()]
    lines: list[str] = []
    for w in words:
        if lines and len((lines[-1] + w).rstrip()) <= width:
            lines[-1] += w
        else:
            lines.append(w.lstrip())
    lines = [line.rstrip().rstrip("·、") for line in lines]  # the line break separates the words
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip("：") + ELLIPSIS
    return "\n".join(line.replace("$", r"\$") for line in lines)


def overlapping_boxes(b, boxes, pad: float = 0.03) -> list:
    """The boxes of ``boxes`` that overlap ``b``, each widened by ``pad`` of its width on either side: text is
    measured at 100 dpi, and hinted CJK glyphs come out up to 4 % wider in the 150 dpi file."""
    return [o for o in boxes if min(b.x1 + pad * b.width, o.x1 + pad * o.width)
            - max(b.x0 - pad * b.width, o.x0 - pad * o.width) > 0 and min(b.y1, o.y1) - max(b.y0, o.y0) > 0]


def keep_labels_apart(fig, texts: list, keep_first: int, leaders: dict | None = None) -> list:
    """Keep labels apart once placed (:func:`place_clear_of_points`): the first ``keep_first`` labels (groups) are
    always shown, one that overlaps an earlier one moved just below it; a later label (a term) that overlaps any
    shown label is hidden, with its leader line (``leaders``: label → line) (the list is in order of importance).
    Returns the labels still shown."""
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
            if leaders and t in leaders:
                leaders[t].set_visible(False)
            continue
        shown.append(t)
        boxes.append(b)
    return shown


def place_clear_of_points(ax, texts: list, anchors, points, radius_pt, gap_pt: float = 2.0,
                          anchor_radius_pt=None) -> dict:
    """Move each of ``texts`` (one per ``anchors`` row, data coordinates) to the nearest spot beside its anchor
    where its box covers no point of ``points`` (shape (n, 2), data coordinates; each a disc of ``radius_pt``
    points, one value or one per point), no label placed before it and nothing outside the axes (the search starts
    ``anchor_radius_pt`` from the anchor, default the largest radius): rings of growing distance, eight directions
    each (above, below, right, left, then the diagonals). A label set off farther than one ring gets a thin leader
    line to its anchor. Where no spot is clear, the one with the least cost (a point in the box 5, a leader line over
    a point 1, an overlap with a label 10, outside the axes 100). The figure must be laid out (``fig.draw_without_rendering()``) and its layout frozen.
    Deterministic; returns the leader lines drawn, by label."""
    import numpy as np
    from matplotlib.lines import Line2D

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72
    to_px, to_data = ax.transData.transform, ax.transData.inverted().transform
    pts = to_px(np.asarray(points, dtype=float)) if len(points) else np.zeros((0, 2))
    r = np.broadcast_to(np.asarray(radius_pt, dtype=float), (len(pts),)) * px + 1.0
    r_anchor = (float(np.max(radius_pt)) if anchor_radius_pt is None else 0.0) * px + 1.0
    radii = iter(np.broadcast_to(np.asarray(0.0 if anchor_radius_pt is None else anchor_radius_pt, dtype=float),
                                 (len(texts),)))
    frame = ax.get_window_extent(renderer)
    placed: list[tuple[float, float, float, float]] = []
    leaders: list[tuple] = []
    lines = {}
    directions = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]
    for text, anchor in zip(texts, np.asarray(anchors, dtype=float)):
        text.set_ha("center")
        text.set_va("center")
        box = text.get_window_extent(renderer)
        pad = (text.get_bbox_patch().get_extents().width - box.width) / 2 if text.get_bbox_patch() else 0.0
        w, h = box.width + 2 * pad, box.height + 2 * pad
        a = to_px(anchor)
        ra = r_anchor + next(radii) * px
        best, best_cost = None, None
        for ring in range(40):
            d = ra + gap_pt * px + ring * 3 * px
            for dx, dy in directions:
                c = a + np.array([dx * (w / 2 + d), dy * (h / 2 + d)])
                x0, x1, y0, y1 = c[0] - w / 2, c[0] + w / 2, c[1] - h / 2, c[1] + h / 2
                outside = x0 < frame.x0 or x1 > frame.x1 or y0 < frame.y0 or y1 > frame.y1
                near = np.clip(pts, [x0, y0], [x1, y1])  # nearest point of the box to each point
                hits = 5 * int((np.hypot(*(near - pts).T) < r).sum()) if len(pts) else 0  # a point in the box
                clash = sum(not (x1 < p0 or x0 > p1 or y1 < q0 or y0 > q1) for p0, p1, q0, q1 in placed)
                if ring > 0:  # its leader line: through other points, across earlier leaders
                    end = np.clip(a, [x0, y0], [x1, y1])
                    hits += _points_on_segment(pts, a, end, r, skip=ra)
                    clash += sum(_segments_cross(a, end, *seg) for seg in leaders)
                cost = hits + 10 * clash + 100 * outside
                if best_cost is None or cost < best_cost:
                    best, best_cost = (c, ring, (x0, x1, y0, y1)), cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        c, ring, extent = best
        placed.append(extent)
        text.set_position(to_data(c))
        if ring > 0:
            x0, x1, y0, y1 = extent
            end = np.clip(a, [x0, y0], [x1, y1])
            leaders.append((a, end))
            line = Line2D(*to_data(np.array([a, end])).T, color="#666666", lw=0.5, zorder=1)
            ax.add_line(line)
            lines[text] = line
    return lines


def _points_on_segment(pts, a, b, r: float, skip: float) -> int:
    """How many of ``pts`` (pixels) lie within ``r`` of the segment a–b, leaving out those within ``skip`` of a."""
    import numpy as np

    if not len(pts):
        return 0
    ab = b - a
    r = np.broadcast_to(np.asarray(r, dtype=float), (len(pts),))
    t = np.clip(((pts - a) @ ab) / max(float(ab @ ab), 1e-9), 0, 1)
    d = np.hypot(*(pts - (a + t[:, None] * ab)).T)
    return int(((d < r) & (np.hypot(*(pts - a).T) > skip)).sum())


def _segments_cross(a, b, c, d) -> bool:
    """Whether the segments a–b and c–d (pixels) cross."""
    def side(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0
