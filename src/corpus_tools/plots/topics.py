"""Topic figures: top terms per topic, section × topic heat map, a 2-D map of entries, word clouds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from wordcloud import WordCloud

from .style import PALETTE, cjk_font_path, new_figure


def topic_top_terms(topic_terms: pd.DataFrame, topics: pd.DataFrame, n: int = 8) -> Figure:
    """Small multiples: the ``n`` heaviest terms of each topic, one panel per topic."""
    k = len(topics)
    cols = 3
    rows = math.ceil(k / cols)
    fig = new_figure(10, 2.3 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for t, ax in enumerate(axes.flat):
        if t >= k:
            ax.set_visible(False)
            continue
        tt = topic_terms[topic_terms.topic_id == t].sort_values("rank").head(n)
        ax.barh(tt.term[::-1], tt.weight[::-1], color=PALETTE[t % len(PALETTE)])
        size = int(topics.loc[topics.topic_id == t, "size"].iloc[0])
        ax.set_title(f"主题 {t}（{size} 条）", fontsize=10)
        ax.tick_params(axis="y", labelsize=9)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle("各主题的关键词（权重）")
    return fig


def section_topic_heatmap(entries: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame) -> Figure:
    """Heat map: entries per (section, topic), sections in booklet order; numbers printed in the cells."""
    assigned = entry_topics[entry_topics["rank"] == 1].merge(entries[["entry_id", "section"]], on="entry_id")
    sections = list(dict.fromkeys(entries.section))
    table = pd.crosstab(assigned.section, assigned.topic_id).reindex(index=sections,
                                                                     columns=list(topics.topic_id), fill_value=0)
    fig = new_figure(2.0 + 0.8 * len(topics), 0.5 * len(sections) + 2.2)
    ax = fig.add_subplot()
    im = ax.imshow(table.to_numpy(), cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(table.columns)), [f"{t} {lab}" for t, lab in zip(topics.topic_id, topics.label)],
                  fontsize=8, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(sections)), sections)
    vmax = table.to_numpy().max() or 1
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.iat[i, j]
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                        color="white" if v > vmax / 2 else "black")
    ax.set_title("栏目 × 主题（问答条数）")
    fig.colorbar(im, ax=ax, shrink=0.8, label="条数")
    return fig


def entry_map(coords: np.ndarray, entries: pd.DataFrame, entry_topics: pd.DataFrame, topics: pd.DataFrame) -> Figure:
    """Scatter of entries in 2-D (``coords`` shape (n_entries, 2), rows in ``entries`` order), coloured by topic,
    each point labelled with its entry id."""
    assigned = entry_topics[entry_topics["rank"] == 1].set_index("entry_id").topic_id
    topic_of = [int(assigned[e]) for e in entries.entry_id]
    fig = new_figure(8, 6)
    ax = fig.add_subplot()
    for t in topics.topic_id:
        idx = [i for i, x in enumerate(topic_of) if x == t]
        ax.scatter(coords[idx, 0], coords[idx, 1], s=40, color=PALETTE[t % len(PALETTE)],
                   label=f"{t} {topics.label[t]}", alpha=0.85, edgecolor="white", linewidth=0.5)
    for i, e in enumerate(entries.entry_id):
        ax.annotate(str(e), coords[i], fontsize=6, xytext=(3, 2), textcoords="offset points", color="#444444")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_title("问答条目的二维分布（按主题着色，t-SNE）")
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def word_cloud(frequencies: dict[str, float], title: str = "", seed: int = 0, width: int = 800,
               height: int = 500) -> Figure:
    """A word cloud drawn with the project's CJK font (wordcloud's default font has no Chinese)."""
    wc = WordCloud(font_path=str(cjk_font_path()), width=width, height=height, background_color="white",
                   random_state=seed, prefer_horizontal=0.95, colormap="tab10", max_words=80)
    wc.generate_from_frequencies({k: float(v) for k, v in frequencies.items() if v > 0} or {"（无）": 1.0})
    fig = new_figure(width / 100, height / 100 + 0.4)
    ax = fig.add_subplot()
    ax.imshow(wc.to_array(), interpolation="bilinear")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
