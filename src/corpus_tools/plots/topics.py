"""Topic figures: top terms per topic, section × topic heat map, a 2-D map of entries, word clouds."""

from __future__ import annotations

import contextlib
import math
from functools import lru_cache

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .labels import place_clear_of_points, plain_label, short_label, wrap_label
from .style import PALETTE, cjk_font_path, current_style, freeze_layout, new_figure, styled
from .trends import count_heatmap


def topic_color(t: int) -> str:
    return PALETTE[int(t) % len(PALETTE)]


def topic_name(topic_id, label, n: int = 18) -> str:
    return short_label(f"主题{int(topic_id)} {label}", n)


@styled
def topic_top_terms(topic_terms: pd.DataFrame, topics: pd.DataFrame, n: int = 8) -> Figure:
    """Small multiples: the ``n`` heaviest terms of each topic, one panel per topic, one x scale for all."""
    s = current_style()
    k = len(topics)
    cols = 4 if s.figure_size == "double" else 2
    cols = min(cols, max(k, 1))
    rows = math.ceil(k / cols) or 1
    fig = new_figure(rows * (n * s.font_size * 1.6 / 72 + 0.45) + 0.7)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for t, ax in enumerate(axes.flat):
        if t >= k:
            ax.set_visible(False)
            continue
        topic_id = int(topics.topic_id.iloc[t])
        tt = topic_terms[topic_terms.topic_id == topic_id].sort_values("rank", kind="stable").head(n)
        y = list(range(len(tt)))[::-1]
        ax.barh(y, tt.weight, color=topic_color(topic_id), height=0.75)
        ax.set_yticks(y, [short_label(x, 8) for x in tt.term])
        size = int(topics.loc[topics.topic_id == topic_id, "size"].iloc[0])
        ax.set_title(f"主题 {topic_id}（{size} 条）", fontsize=s.label_size)
    for ax in axes[-1]:
        ax.tick_params(labelbottom=True)
    fig.supxlabel("词在主题中的权重（主题中心的 tf-idf 均值；各面板横轴刻度相同）", fontsize=s.label_size)
    fig.suptitle(f"各主题权重最高的 {n} 个词")
    return fig


@styled
def section_topic_heatmap(entries: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame) -> Figure:
    """Heat map: entries per (section, topic), sections in booklet order; counts printed in the cells, empty
    cells left white."""
    assigned = entry_topics[entry_topics["rank"] == 1].merge(entries[["entry_id", "section"]], on="entry_id")
    sections = list(dict.fromkeys(entries.section))
    table = pd.crosstab(assigned.section, assigned.topic_id).reindex(index=sections,
                                                                     columns=list(topics.topic_id), fill_value=0)
    table.columns = [topic_name(t, lab, 60) for t, lab in zip(topics.topic_id, topics.label)]  # wrapped when drawn
    return count_heatmap(table, f"栏目 × 主题（问答条数，共 {int(table.to_numpy().sum())} 条）",
                         xlabel="主题（每条问答归入权重最高的主题）", ylabel="栏目（合集顺序）")


def representative_entries(entry_topics: pd.DataFrame) -> dict[int, int]:
    """For each topic, the entry assigned to it with the highest ``score`` (cosine to the topic's centroid, as the
    topics table's representative_title; the topic weight where there is no score), ties: smaller entry id."""
    by = "score" if "score" in entry_topics.columns else "weight"
    first = entry_topics[entry_topics["rank"] == 1].sort_values(["topic_id", by, "entry_id"],
                                                                ascending=[True, False, True], kind="stable")
    return {int(t): int(g.entry_id.iloc[0]) for t, g in first.groupby("topic_id")}


@styled
def entry_map(coords: np.ndarray, entries: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame,
              method: str | None = None) -> Figure:
    """Scatter of entries in 2-D (``coords`` shape (n_entries, 2), rows in ``entries`` order), coloured by
    assigned topic (legend), with the title of each topic's most representative entry written beside it.
    ``method`` (e.g. "t-SNE，困惑度 10，种子 0") is printed as the subtitle; the axes have no units."""
    s = current_style()
    assigned = entry_topics[entry_topics["rank"] == 1].set_index("entry_id").topic_id
    topic_of = np.array([int(assigned.get(e, -1)) for e in entries.entry_id])
    fig = new_figure(s.width * 0.85)
    ax = fig.add_subplot()
    for t, lab in zip(topics.topic_id, topics.label):
        idx = np.flatnonzero(topic_of == int(t))
        ax.scatter(coords[idx, 0], coords[idx, 1], s=22 if s.figure_size == "double" else 12,
                   color=topic_color(t), label=topic_name(t, lab), edgecolor="white", linewidth=0.4, zorder=2)
    reps = representative_entries(entry_topics)
    row_of = {int(e): i for i, e in enumerate(entries.entry_id)}
    title_of = dict(zip(entries.entry_id.astype(int), entries.title))
    texts, anchors = [], []
    ring = 60 if s.figure_size == "double" else 30  # marker area (pt²) of the circle round a representative
    for t in topics.topic_id:
        e = reps.get(int(t))
        if e is None or e not in row_of:
            continue
        x, y = coords[row_of[e]]
        ax.scatter([x], [y], s=ring, facecolor="none",
                   edgecolor=topic_color(t), linewidth=1.0, zorder=3)
        dy = 0.025 * float(np.ptp(coords[:, 1]) or 1)
        name = short_label(title_of.get(e, ""), 12 if s.figure_size == "double" else 5)
        texts.append(ax.text(x, y + dy, f"#{e} {name}",
                             color="#222222", fontsize=s.font_size, zorder=1.5,  # under the points: none hidden
                             bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.7)))
        anchors.append((x, y))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE 维度 1（无单位）")
    ax.set_ylabel("t-SNE 维度 2（无单位）")
    note = (str(method or "t-SNE 降维（tf-idf → LSA → t-SNE，余弦距离）") +
            "；每点一条问答，颜色 = 所属主题；圈出并标注各主题最具代表性的问答")
    ax.set_title(wrap_label(note, int(s.width * 72 / s.font_size) - 4, 4), fontsize=s.font_size,
                 color="#444444", loc="left")
    fig.suptitle(f"问答条目的二维分布（{len(entries)} 条，按主题着色）")
    fig.legend(loc="outside lower center", ncols=4 if s.figure_size == "double" else 2, frameon=False,
               handletextpad=0.3, columnspacing=1.0)
    if texts:
        fig.draw_without_rendering()  # lay out, then freeze: the labels are placed in pixels (a whole draw: after
        # lay_out alone some labels land elsewhere)
        ax.set_autoscale_on(False)
        freeze_layout(fig)
        # the points the labels keep clear of: all of them up to MAX_OBSTACLES, else an even sample (the cost grows
        # with points × candidate spots), always with the labelled entries
        step = max(1, -(-len(coords) // MAX_OBSTACLES))
        obstacles = coords if step == 1 else np.vstack([coords[::step], np.asarray(anchors, dtype=float)])
        place_clear_of_points(ax, texts, anchors, obstacles, radius_pt=np.sqrt(ring) / 2)
    return fig


# ---------------------------------------------------------------- word clouds

# PIL opens a new FreeType face for every (file, size): ~0.3 ms but ~1.9 MB each for the 16 MB CJK font, so a
# cache of every size a cloud tries would hold a gigabyte. A small LRU catches the repeats (the layout tries the
# same size for consecutive words) and is emptied after each cloud.
MAX_OBSTACLES = 500  # entry map: points the labels are moved clear of (an even sample past this)
CLOUD_LAYOUT_PPI = 50  # layout cells per inch of a word cloud (it is drawn at the PNG's dpi)


@lru_cache(maxsize=24)
def _truetype(font, size=10, index=0, encoding="", layout_engine=None):
    from PIL import ImageFont

    return ImageFont.truetype(font, size, index, encoding, layout_engine)


class _CachedImageFont:
    """Stand-in for ``PIL.ImageFont`` inside wordcloud: ``truetype`` reuses a recently opened font object of the
    same (file, size) instead of opening the 16 MB CJK font again for every word."""

    def __getattr__(self, name):
        from PIL import ImageFont

        return getattr(ImageFont, name)

    @staticmethod
    def truetype(font=None, size=10, index=0, encoding="", layout_engine=None):
        return _truetype(font, size, index, encoding, layout_engine)


@contextlib.contextmanager
def _cached_fonts():
    import wordcloud.wordcloud as wc_module

    original = wc_module.ImageFont
    wc_module.ImageFont = _CachedImageFont()
    try:
        yield
    finally:
        wc_module.ImageFont = original
        _truetype.cache_clear()  # release the FreeType faces


@styled
def word_cloud(frequencies: dict[str, float], title: str = "", seed: int = 0, width: int | None = None,
               height: int | None = None) -> Figure:
    """A word cloud drawn with the project's CJK font (wordcloud's default font has no Chinese), word size ∝
    frequency. Laid out on a grid of :data:`CLOUD_LAYOUT_PPI` cells per inch of the figure (the layout's cost
    grows with its area; at 50 per inch it takes half the time of 100, with the same words placed) and rendered
    at the style's dpi, so the saved PNG is the cloud at its native resolution (no resampling).
    ``width``/``height`` in pixels at 100 px per inch (default: the column width × 0.55)."""
    from matplotlib.colors import ListedColormap
    from wordcloud import WordCloud

    s = current_style()
    w_px = int(width or round(s.width * 100))
    h_px = int(height or round(w_px * 0.55))
    grid = CLOUD_LAYOUT_PPI / 100
    wc = WordCloud(font_path=str(cjk_font_path()), width=round(w_px * grid), height=round(h_px * grid),
                   background_color="white", random_state=seed, prefer_horizontal=0.95,
                   colormap=ListedColormap(PALETTE[:7]), max_words=80, scale=s.dpi / CLOUD_LAYOUT_PPI,
                   min_font_size=max(1, round(6 * grid)))  # 6 px at 100 per inch: about 4 pt
    with _cached_fonts():
        wc.generate_from_frequencies({str(k): float(v) for k, v in frequencies.items() if v > 0} or {"（无）": 1.0})
        image = wc.to_array()
    title_h = 0.3 if title else 0.0
    fig = new_figure(h_px / 100 + title_h, w_px / 100)
    freeze_layout(fig)  # the axes fill the canvas: nothing to lay out
    ax = fig.add_axes((0, 0, 1, (h_px / 100) / (h_px / 100 + title_h)))
    ax.imshow(image, interpolation="nearest", aspect="auto")
    ax.axis("off")
    if title:
        fig.text(0.5, 1 - (title_h / 2) / (h_px / 100 + title_h), plain_label(title), ha="center", va="center",
                 fontsize=s.title_size)
    return fig


# ---------------------------------------------------------------- comparison clouds (one figure per grouping)

CLOUD_PPI = 100  # layout cells per inch of a comparison-cloud panel: 6 pt = 8.3 cells, the smallest word


def _cloud_layout(weights: dict[str, float], w_in: float, h_in: float, seed: int, max_pt: float):
    """wordcloud's layout of ``weights`` in a ``w_in`` × ``h_in`` inch panel, horizontal words only, a margin of
    4 pt between words, no word under 6 pt: a list of (word, size in pt, x, y in inches from the top left)."""
    from wordcloud import WordCloud

    from .style import MIN_PT

    cell = 72 / CLOUD_PPI  # points per layout cell
    wc = WordCloud(font_path=str(cjk_font_path()), width=max(1, round(w_in * CLOUD_PPI)),
                   height=max(1, round(h_in * CLOUD_PPI)), margin=round(4 / cell), prefer_horizontal=1.0,
                   min_font_size=math.ceil(MIN_PT / cell), max_font_size=round(max_pt / cell), random_state=seed,
                   relative_scaling=0.6, max_words=len(weights), background_color="white", collocations=False)
    with _cached_fonts():
        wc.generate_from_frequencies(weights)
    return [(word, size * cell, pos[1] / CLOUD_PPI, pos[0] / CLOUD_PPI)
            for (word, _), size, pos, _, _ in wc.layout_]


@styled
def comparison_cloud(table: pd.DataFrame, title: str, labels: dict | None = None, seed: int = 0,
                     n: int | None = None) -> Figure:
    """One word cloud per group in one figure (quanteda's comparison cloud as small multiples), from a
    :func:`.data.cloud_table`: each panel the group's key words, font size growing with G² (wordcloud's relative
    scaling 0.6), horizontal only, 6 pt at the least, words set apart by a margin; words are drawn as text
    (editable in SVG and PDF), dark blue, position without meaning. Panels in table order, titled with the group's
    name (``labels``: group → name) and entry count. At most ``n`` words a panel (default 20 at double, 10 at
    single column width); a word the panel has no room for at 6 pt is left out, as wordcloud does."""
    s = current_style()
    n = n or (20 if s.figure_size == "double" else 10)
    groups = list(dict.fromkeys(table.group))
    ncols = min(len(groups), 3 if s.figure_size == "double" else 2) or 1
    nrows = math.ceil(len(groups) / ncols) or 1
    panel_w = s.width / ncols
    panel_h = min(panel_w * (0.62 if s.figure_size == "double" else 0.85), (s.max_height - 0.6) / nrows)
    fig = new_figure(nrows * panel_h + 0.5)
    freeze_layout(fig)
    top = 0.45 / fig.get_size_inches()[1]
    max_pt = 16 if s.figure_size == "double" else 11
    words: list[list] = []
    for i, g in enumerate(groups):
        r, c = divmod(i, ncols)
        h_frac = panel_h / fig.get_size_inches()[1]
        ax = fig.add_axes((c / ncols, 1 - top - (r + 1) * h_frac, 1 / ncols, h_frac))
        ax.set_xlim(0, panel_w)
        ax.set_ylim(panel_h, 0)
        ax.axis("off")
        rows = table[table.group == g].head(n)
        name = (labels or {}).get(g, g)
        n_group = int(rows.n_group.iloc[0]) if len(rows) else 0
        ax.text(panel_w / 2, 0.02, f"{short_label(name, 15 if s.figure_size == 'double' else 9)}（{n_group} 条）",
                ha="center", va="top",
                fontsize=s.label_size, color="#222222")
        title_h = s.label_size * 1.6 / 72
        weights = {str(t): float(w) for t, w in zip(rows.term, rows.g2) if w > 0}
        if not weights:
            ax.text(panel_w / 2, panel_h / 2, "（无 p < 0.05 的词）", ha="center", va="center", fontsize=s.font_size)
            continue
        placed = [ax.text(0.04 + x, title_h + y, plain_label(word), fontsize=size, ha="left", va="top",
                          color=PALETTE[0])
                  for word, size, x, y in _cloud_layout(weights, panel_w - 0.08, panel_h - title_h - 0.1, seed,
                                                        max_pt)]
        words.append(placed)
    # matplotlib's text box (ascent + descent) is a little taller than the glyphs wordcloud packed: a smaller word
    # whose box would touch a larger one's is left out (the layout is largest first)
    renderer = fig.canvas.get_renderer()
    for placed in words:
        boxes = []
        for t in placed:
            b = t.get_window_extent(renderer)
            if any(min(b.x1, o.x1) - max(b.x0, o.x0) > 0 and min(b.y1, o.y1) - max(b.y0, o.y0) > 0 for o in boxes):
                t.remove()
                continue
            boxes.append(b)
    fig.suptitle(plain_label(title), y=1 - 0.05 / fig.get_size_inches()[1], va="top")
    return fig
