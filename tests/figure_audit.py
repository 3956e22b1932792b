"""Print-size checks of a drawn matplotlib figure (used by tests/test_figures_publication.py): text under the
print minimum, text boxes overlapping within an axes, text outside the canvas."""

from __future__ import annotations

from matplotlib.text import Text

MIN_PT = 6.0


def _shown(t: Text) -> bool:
    return t.get_visible() and bool(t.get_text().strip()) and t.get_alpha() != 0


def _tick_labels(ax) -> tuple[list[Text], list[Text]]:
    """The x and y tick labels matplotlib draws: those of ticks inside the view interval."""
    if not ax.axison:  # ax.axis("off"): no ticks drawn
        return [], []
    out = []
    for axis, labels, i in ((ax.xaxis, ax.get_xticklabels(which="both"), 0),
                            (ax.yaxis, ax.get_yticklabels(which="both"), 1)):
        lo, hi = sorted(axis.get_view_interval())
        eps = 1e-9 * max(1.0, abs(hi - lo))
        out.append([t for t in labels if axis.get_visible() and _shown(t)
                    and lo - eps <= t.get_position()[i] <= hi + eps] if axis.get_visible() else [])
    return out[0], out[1]


def _overlap(a, b, tol: float = 0.5) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def audit(fig) -> list[str]:
    """Problems of ``fig`` at its printed size: text < 6 pt, overlapping text within an axes (its x tick labels,
    its y tick labels, its texts and annotations), any text whose box leaves the canvas. Draws the figure once,
    in the project style (as the files are rendered: :func:`corpus_tools.plots.style.figure_bytes`)."""
    import matplotlib

    from corpus_tools.plots.style import style_rc

    from corpus_tools.plots.style import current_style

    # at the PNG's resolution: hinted CJK glyphs are a whole number of pixels wide, so a line measured at 100 dpi
    # can be 4 % narrower than the same line in the 150 dpi file
    fig.set_dpi(current_style().dpi)
    with matplotlib.rc_context(style_rc()):
        fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    canvas = fig.bbox
    problems = []
    for t in fig.findobj(Text):
        if _shown(t) and t.get_fontsize() < MIN_PT - 1e-6 and t.figure is not None:
            problems.append(f"{t.get_fontsize():.1f} pt: {t.get_text()[:20]!r}")
    drawn: list[Text] = list(fig.texts)
    for lg in fig.legends:
        drawn += [t for t in lg.get_texts() if _shown(t)] + [lg.get_title()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        xticks, yticks = _tick_labels(ax)
        ticks = xticks + yticks
        texts = [t for t in ax.texts if _shown(t)]
        drawn += ticks + texts + [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        if ax.get_legend():
            drawn += list(ax.get_legend().get_texts())
        for group in (xticks, yticks, texts):
            boxes = [(t, t.get_window_extent(r)) for t in group]
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    if _overlap(boxes[i][1], boxes[j][1]):
                        problems.append(f"overlap: {boxes[i][0].get_text()[:16]!r} / {boxes[j][0].get_text()[:16]!r}")
    for t in drawn:
        if not _shown(t):
            continue
        b = t.get_window_extent(r)
        if b.x0 < canvas.x0 - 1 or b.y0 < canvas.y0 - 1 or b.x1 > canvas.x1 + 1 or b.y1 > canvas.y1 + 1:
            problems.append(f"outside canvas: {t.get_text()[:20]!r}")
    return problems
