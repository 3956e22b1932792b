"""Trend, keyness and coverage figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import PALETTE, new_figure


def term_trends(freqs: pd.DataFrame, terms: list[str]) -> Figure:
    """Small multiples: per 10,000 tokens of each term across cohorts, with the number of entries using it
    printed at each point (one long answer must not pass for a trend)."""
    cohorts = sorted(freqs.group.unique())
    cols = 4
    rows = math.ceil(len(terms) / cols) or 1
    fig = new_figure(10, 2.1 * rows + 0.7)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for i, ax in enumerate(axes.flat):
        if i >= len(terms):
            ax.set_visible(False)
            continue
        term = terms[i]
        f = freqs[freqs.term == term].set_index("group").reindex(cohorts)
        y = f.per_10k.fillna(0).to_numpy()
        ax.plot(range(len(cohorts)), y, marker="o", color=PALETTE[i % len(PALETTE)])
        for x, (v, d) in enumerate(zip(y, f.doc_freq.fillna(0))):
            ax.annotate(f"{int(d)}条", (x, v), fontsize=7, xytext=(0, 4), textcoords="offset points",
                        ha="center", color="#555555")
        ax.set_title(term, fontsize=10)
        ax.set_xticks(range(len(cohorts)), [f"第{int(c)}期" for c in cohorts], fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylim(0, max(y.max() * 1.3, 1))
    fig.suptitle("高频词在各期的使用（每万词；标注为使用该词的问答条数）")
    return fig


def terms_by_unit_heatmap(matrix: pd.DataFrame) -> Figure:
    """Heat map of a terms × units table (values per 10,000 tokens; the last ``MAX_ROWS`` units)."""
    from .overview import MAX_ROWS

    matrix = matrix.iloc[:, -MAX_ROWS:]
    fig = new_figure(2.5 + 0.55 * matrix.shape[1], 0.32 * matrix.shape[0] + 2.6)
    ax = fig.add_subplot()
    im = ax.imshow(matrix.to_numpy(), cmap="YlOrRd", aspect="auto")
    ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=8)
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, fontsize=7, rotation=45, ha="right",
                  rotation_mode="anchor")
    fig.colorbar(im, ax=ax, shrink=0.7, label="每万词")
    ax.set_title("高频词 × 课程单元（每万词）")
    return fig


def keyness_bars(key: pd.DataFrame, groups: list, n: int = 8, title: str = "关键词",
                 labels: dict | None = None) -> Figure:
    """Diverging bars per group: the ``n`` most key terms (positive G²) and the ``n`` most under-used (negative);
    ``labels`` maps a group to its panel title."""
    cols = min(3, len(groups)) or 1
    rows = math.ceil(len(groups) / cols) or 1
    fig = new_figure(4.0 * cols, 3.6 * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(groups):
            ax.set_visible(False)
            continue
        g = key[(key.group == groups[i]) & (key.p_g2 < 0.05)]
        top = pd.concat([g[g.g2 > 0].head(n), g[g.g2 < 0].tail(n)]).sort_values("g2")
        colors = [PALETTE[0] if v > 0 else PALETTE[1] for v in top.g2]
        ax.barh(top.term, top.g2, color=colors)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_title(str((labels or {}).get(groups[i], groups[i])), fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel("±G²（对数似然）", fontsize=8)
    fig.suptitle(title)
    return fig


def coverage_heatmap(table: pd.DataFrame, title: str = "课程单元 × 栏目（问答条数）") -> Figure:
    """Heat map of a unit × category count table, counts printed in cells (the last ``MAX_ROWS`` units)."""
    from .overview import MAX_ROWS

    table = table.tail(MAX_ROWS)
    fig = new_figure(2.8 + 0.7 * table.shape[1], 0.42 * table.shape[0] + 1.8)
    ax = fig.add_subplot()
    data = table.to_numpy()
    im = ax.imshow(data, cmap="Greens", aspect="auto")
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], fontsize=8, rotation=35, ha="right",
                  rotation_mode="anchor")
    vmax = data.max() or 1
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if data[i, j]:
                ax.text(j, i, str(int(data[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if data[i, j] > vmax / 2 else "black")
    fig.colorbar(im, ax=ax, shrink=0.7, label="条数")
    ax.set_title(title)
    return fig


def questions_per_unit(curric: pd.DataFrame) -> Figure:
    """Horizontal bars: questions per unit of each cohort's curriculum, units taught but unasked included (0);
    inferred titles are marked （推断）. The latest ``MAX_ROWS`` units when there are more."""
    from .overview import MAX_ROWS

    c = curric.tail(MAX_ROWS).iloc[::-1]
    labels = [f"第{int(r.cohort)}期·第{int(r.unit_no)}单元 " + (r.unit_title or "（标题不详）")
              + ("（推断）" if r.title_source == "inferred" else "") for r in c.itertuples()]
    fig = new_figure(7.5, 0.3 * len(c) + 1.3)
    ax = fig.add_subplot()
    colors = [PALETTE[(int(x) - 1) % len(PALETTE)] for x in c.cohort]
    ax.barh(labels, c.n_entries, color=colors)
    for y, n in enumerate(c.n_entries):
        ax.text(n + 0.1, y, str(int(n)), va="center", fontsize=7)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("问答条数")
    ax.set_title("各期课程单元引出的问答条数（0 = 授课但无问答入册）")
    return fig
