"""Trend, keyness and coverage figures."""

from __future__ import annotations

import math
import re

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .data import keyness_rows
from .labels import plain_label, short_label, wrap_label, wrap_words
from .style import DIVERGING, PALETTE, current_style, lay_out, new_figure, row_height, sequential_cmap, styled

MAX_ROWS = 60  # heat maps and bar charts with one row per unit show at most this many rows (the latest)
_UNIT = re.compile(r"第\s*(\d+)\s*期\s*[·・]?\s*(?:第\s*(\d+)\s*单元|答疑讨论课(?:（第\s*(\d+)\s*次）)?)?")


def unit_sort_key(label: object) -> tuple:
    """Numeric order of a unit label such as ``第3期·第11单元 …`` or ``第3期·答疑讨论课``: (cohort, units before
    discussion classes, unit number, label). Labels without a cohort sort last, by text."""
    m = _UNIT.search(str(label))
    if not m:
        return (math.inf, 1, math.inf, str(label))
    cohort = int(m.group(1))
    if m.group(2):
        return (cohort, 0, int(m.group(2)), str(label))
    return (cohort, 1, int(m.group(3) or 0), str(label))


def _group_key(c) -> tuple:
    """Numeric groups (cohorts) in numeric order, other groups after them by text."""
    try:
        return (float(c), "")
    except (TypeError, ValueError):
        return (math.inf, str(c))


def _cohort_tick(c) -> str:
    try:
        return f"第{int(c)}期"
    except (TypeError, ValueError):
        return short_label(c, 8)


MAX_COHORTS = 24  # cohorts on the x axis of a trend figure: past this, the latest


@styled
def term_trends(freqs: pd.DataFrame, terms: list[str]) -> Figure:
    """Small multiples, one y scale for all panels: per 10,000 tokens of each term across cohorts (numeric
    order), with the number of entries using it printed under each point (one long answer must not pass for a
    trend). Past :data:`MAX_COHORTS` cohorts, the latest ones (the x label says how many of how many)."""
    s = current_style()
    cohorts = sorted(freqs.group.dropna().unique(), key=_group_key)
    shown = ""
    if len(cohorts) > MAX_COHORTS:
        shown = f"（最近 {MAX_COHORTS} 期，共 {len(cohorts)} 期）"
        cohorts = cohorts[-MAX_COHORTS:]
        freqs = freqs[freqs.group.isin(cohorts)]
    cols = 4 if s.figure_size == "double" else 2
    rows = math.ceil(len(terms) / cols) or 1
    fig = new_figure(rows * 1.25 + 0.8)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    top = freqs[freqs.term.isin(terms)].per_10k.max()  # NA when no term has a cohort (no source notes)
    ymax = max(0.0 if pd.isna(top) else float(top), 1.0)
    for i, ax in enumerate(axes.flat):
        if i >= len(terms):
            ax.set_visible(False)
            continue
        term = terms[i]
        f = freqs[freqs.term == term].set_index("group").reindex(cohorts)
        y = f.per_10k.fillna(0).to_numpy()
        x = np.arange(len(cohorts))
        ax.plot(x, y, marker="o", color=PALETTE[0], markersize=3.5)
        for xx, v, d in zip(x, y, f.doc_freq.fillna(0)):
            ax.annotate(f"{int(d)}条", (xx, v), xytext=(0, 5), textcoords="offset points", ha="center",
                        va="bottom", fontsize=s.small_size, color="#555555")
        ax.set_title(plain_label(term), fontsize=s.label_size, pad=2)
        ax.set_xticks(x, [_cohort_tick(c) for c in cohorts])
        ax.set_xlim(-0.4, len(cohorts) - 0.6)
        ax.set_ylim(0, ymax * 1.3)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.5)
        ax.set_axisbelow(True)
    fig.supylabel("每万词出现次数（各面板纵轴相同）", fontsize=s.label_size)
    fig.supxlabel(f"培训期次{shown}；点旁数字 = 使用该词的问答条数", fontsize=s.label_size)
    fig.suptitle("高频词在各期的使用")
    return fig


def _quantile_norm(values: np.ndarray, q: float = 0.95):
    """A colour scale from 0 to the ``q`` quantile of the non-zero values (an observed value, the next lower one
    for a non-integer rank, so with few cells the largest is never the bound; one outlier does not wash out the
    rest); returns (Normalize, upper bound, clipped: whether any value exceeds it)."""
    from matplotlib.colors import Normalize

    nz = values[values > 0]
    vmax = float(np.quantile(nz, q, method="lower")) if len(nz) else 1.0
    vmax = max(vmax, 1e-9)
    return Normalize(0, vmax), vmax, bool((values > vmax).any())


@styled
def terms_by_unit_heatmap(matrix: pd.DataFrame) -> Figure:
    """Heat map of a terms × units table (values per 10,000 tokens), drawn with units as rows in numeric
    curriculum order (cohort, then unit number; the last ``MAX_ROWS``) and terms as columns. The colour scale
    ends at the 95th percentile of the non-zero cells (higher cells share the darkest colour, stated on the
    colour bar); empty cells are white."""
    s = current_style()
    units = sorted(matrix.columns, key=unit_sort_key)[-MAX_ROWS:]
    single = s.figure_size == "single"
    # as many term columns as fit side by side at the text size (the first ones: the table's order)
    fit = int((s.width - (1.3 if single else 2.6)) * 72 / (s.font_size * 1.35))
    terms = list(matrix.index[:max(fit, 1)])
    m = matrix.loc[terms, units].T  # units × terms
    data = m.to_numpy(dtype=float)
    norm, vmax, clipped = _quantile_norm(data)
    fig = new_figure(row_height(len(units), extra=1.5))
    ax = fig.add_subplot()
    cmap = sequential_cmap()
    im = ax.imshow(np.ma.masked_equal(data, 0), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    # a single column has room for 第1期·第3单元 only; a double column adds the unit's title
    ylabels = [short_label(_UNIT.search(str(u)).group(0) if single and _UNIT.search(str(u)) else u,
                           s.label_chars + 4) for u in units]
    ax.set_yticks(range(len(units)), ylabels)
    ax.set_xticks(range(m.shape[1]), [short_label(t, 6) for t in m.columns], rotation=90)
    ax.tick_params(axis="x", length=0)
    shown = f"前 {len(terms)} 个，共 {len(matrix.index)} 个" if len(terms) < len(matrix.index) else "各单元最常用词的并集"
    ax.set_xlabel(f"高频词（{shown}）；空白 = 0")
    ax.set_ylabel("课程单元（期次、单元序号）")
    bar = fig.colorbar(im, ax=ax, shrink=0.6, extend="max" if clipped else "neither", pad=0.01)
    bar.set_label(f"每万词次数（色阶上限 = 非零值第 95 百分位 {vmax:.0f}）")  # one line: two were cramped
    ax.set_title("高频词 × 课程单元（每万词）")
    ax.spines[["left", "bottom"]].set_visible(False)
    return fig


@styled
def keyness_bars(key: pd.DataFrame, groups: list, n: int | None = None, title: str = "各组关键词（对其余各组）",
                 labels: dict | None = None, heading: str | None = None, group_entries: dict | None = None,
                 min_docs: int = 2) -> Figure:
    """Diverging bars per group, panels in the order of ``groups`` (pass the booklet's order): the ``n`` most key
    terms (positive G², over-used; default 8 at double, 5 at single column width) used in at least ``min_docs`` of
    the group's entries (one long answer cannot make a word key), and the ``n`` most under-used (negative),
    p(G²) < 0.05 only. Each term is labelled with "n/N" — entries of the group using it (``doc_freq``) out of the
    group's entries (``group_entries``: group → N; without it, n only). ``labels`` maps a group to its panel title;
    ``heading`` (or ``title``) is the figure title. Each panel has its own x scale (stated in the legend)."""
    s = current_style()
    single = s.figure_size == "single"
    n = n or (5 if single else 8)
    cols = min(2 if single else 3, len(groups)) or 1
    rows = math.ceil(len(groups) / cols) or 1
    fig = new_figure(rows * (2 * n * s.font_size * 1.45 / 72 + 0.5) + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(groups):
            ax.set_visible(False)
            continue
        top = keyness_rows(key, [groups[i]], n, min_docs)
        y = list(range(len(top)))
        ax.barh(y, top.g2, color=[DIVERGING[0] if v > 0 else DIVERGING[1] for v in top.g2], height=0.75)
        total = (group_entries or {}).get(groups[i])
        docs = top.doc_freq.fillna(0).astype(int) if "doc_freq" in top else pd.Series([None] * len(top))
        ax.set_yticks(y, [f"{short_label(t, 6 if single else 8)} {d}/{total}" if total else
                          f"{short_label(t, 6 if single else 8)} {d}" for t, d in zip(top.term, docs)])
        ax.axvline(0, color="#333333", linewidth=0.6)
        name = (labels or {}).get(groups[i], groups[i])
        ax.set_title(short_label(f"{name}（{total} 条）" if total else name, 16), fontsize=s.label_size, pad=2)
        ax.tick_params(axis="y", pad=1)
        if not len(top):
            ax.text(0.5, 0.5, "（无 p < 0.05 的词）", ha="center", va="center", transform=ax.transAxes)
    for ax in axes.flat:
        if ax.get_visible():
            ax.set_xlabel("±G²", labelpad=1)
    fig.legend(handles=[Patch(color=DIVERGING[0], label="本组多用（G² > 0）"),
                        Patch(color=DIVERGING[1], label="本组少用（G² < 0）")],
               loc="outside lower center", ncols=2, frameon=False,
               title=wrap_label(f"条长 = 带符号的 G²（仅 p < 0.05；各面板横轴刻度不同）；词后 n/N = 本组用到该词的问答条数 / "
                                f"本组问答条数；多用词至少见于 {min_docs} 条问答",
                                int(s.width * 72 / s.font_size) - 6, 3))
    fig.suptitle(plain_label(heading or title))
    return fig


def set_column_labels(ax, columns: list, fit: float | None = None) -> None:
    """Column labels of a heat map on ``ax``: written level when they fit — wrapped (up to 4 lines) when each column
    has room for 5 characters or more, or, with room for 2–4, when no label needs more than 3 lines (lines of equal
    length: 信息规划 → 信息 / 规划) — else set upright (90°) and cut; never overlapping (a slanted label's box
    spans its neighbours'). Labels of words joined by ``·`` (topics: "1 集成平台·消息·检验") break between words
    only (:func:`~corpus_tools.plots.labels.wrap_words`), never inside one.
    ``fit``: characters a column has room for (default: from the axes' width after a layout pass, at the style's
    text size; call it after the row labels are set)."""
    s = current_style()
    n = max(len(columns), 1)
    if fit is None:
        fig = ax.get_figure()
        lay_out(fig)  # the row labels' width is known only after a layout
        width_pt = ax.get_position().width * fig.get_size_inches()[0] * 72 * 0.9  # a colour bar may follow
        fit = width_pt / n / (s.font_size * 1.1) - 0.5
    names = [plain_label(c).replace(r"\$", "$") for c in columns]
    longest = max((len(w) for c in names for w in re.split(r"[·：、 ]", c)), default=0)
    # words joined by · (topics): break between words, when the longest word fits the column (fit keeps a margin
    # of half a character and 10 % per character: a word of fit + 1 characters is still narrower than the column)
    if any("·" in c for c in names) and longest <= fit + 1:
        ax.set_xticks(range(len(columns)), [wrap_words(c, max(int(fit), longest), 5) for c in columns])
    elif fit >= 5:
        ax.set_xticks(range(len(columns)), [wrap_label(c, int(fit), 4) for c in columns])
    elif fit >= 2 and all(len(c) <= int(fit) * 3 for c in names):
        ax.set_xticks(range(len(columns)), [wrap_label(c, math.ceil(len(c) / math.ceil(len(c) / int(fit))), 3)
                                            if c else c for c in names])
    else:
        ax.set_xticks(range(len(columns)), [short_label(c, 14) for c in columns], rotation=90)


def count_heatmap(table: pd.DataFrame, title: str, xlabel: str = "", ylabel: str = "",
                  value_label: str = "问答条数（条）") -> Figure:
    """Heat map of a count table (rows × columns, in the given order): counts printed in the cells, empty cells
    white, sequential colour-blind-safe scale from 0 to the largest count. Called inside a styled function."""
    s = current_style()
    data = table.to_numpy(dtype=float)
    rows, cols = data.shape
    fig = new_figure(row_height(rows, per_row_pt=s.font_size * 2.0, extra=1.9))
    ax = fig.add_subplot()
    cmap = sequential_cmap()
    vmax = max(float(data.max()) if data.size else 1.0, 1.0)
    im = ax.imshow(np.ma.masked_equal(data, 0), cmap=cmap, vmin=0, vmax=vmax, aspect="auto",
                   interpolation="nearest")
    ax.set_yticks(range(rows), [short_label(x, s.label_chars + 4) for x in table.index])
    set_column_labels(ax, list(table.columns))
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#eeeeee", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    if rows * cols <= 1500:
        for i in range(rows):
            for j in range(cols):
                v = data[i, j]
                if v:
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=s.small_size,
                            color="white" if v > vmax * 0.55 else "black")
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    bar = fig.colorbar(im, ax=ax, shrink=0.6, pad=0.01)
    bar.set_label(f"{value_label}；空白 = 0")
    ax.set_title(plain_label(title))
    return fig


@styled
def coverage_heatmap(table: pd.DataFrame, title: str = "课程单元 × 栏目（问答条数）", xlabel: str | None = None) -> Figure:
    """Heat map of a unit × category count table (units in the table's curriculum order, the last
    ``MAX_ROWS``), counts printed in cells; numbered columns (topics) in numeric order. ``xlabel`` defaults to 栏目
    or 主题 (from the title)."""
    table = table.tail(MAX_ROWS)
    lead = [re.match(r"\s*(\d+)\b", str(c)) for c in table.columns]
    if len(lead) and all(lead):  # numbered columns (topics "3 标签"): numeric order, not first appearance
        table = table[sorted(table.columns, key=lambda c: int(re.match(r"\s*(\d+)", str(c)).group(1)))]
    if xlabel is None:
        xlabel = "主题（每条问答归入权重最高的主题）" if "主题" in title else "栏目（合集顺序）"
    return count_heatmap(table, title, xlabel=xlabel, ylabel="课程单元（期次、单元序号）")


def _curriculum_label(r) -> str:
    from ..curriculum import unit_label

    if getattr(r, "label", None) and isinstance(r.label, str):
        return r.label
    return unit_label(r.cohort, "discussion" if pd.isna(r.unit_no) else "unit", r.unit_no, r.unit_title or "（标题不详）")


@styled
def questions_per_unit(curric: pd.DataFrame) -> Figure:
    """Horizontal bars: questions per unit of each cohort's curriculum (numeric order), with the discussion class;
    units a curriculum file lists but no entry comes from show 0. Coloured by cohort, with a legend. The latest
    ``MAX_ROWS`` units when there are more."""
    from .overview import unit_bars

    s = current_style()
    c = curric.assign(_d=(curric.get("session_type", "unit") != "unit").astype(int),
                      _n=pd.to_numeric(curric.unit_no, errors="coerce").fillna(0))
    c = c.sort_values(["cohort", "_d", "_n"], kind="stable").tail(MAX_ROWS)
    labels = [short_label(_curriculum_label(r), s.label_chars + 6) for r in c.itertuples()]
    return unit_bars(c, labels, "各期课程单元引出的问答条数", "问答条数（条）\n0 = 课程表列出但无问答入册")


@styled
def cohort_trend_shares(trends: pd.DataFrame) -> Figure:
    """Small multiples, one per row of ``trends`` (rows of the ``cohort_trends`` table, at most 8): the share of
    each cohort's entries containing the term (or matched by the code), with its Wilson 95 % interval and d/n
    beside each point; y from 0 to 100 % in every panel. Past :data:`MAX_COHORTS` cohorts, the latest ones."""
    from ..codeshare import wilson_interval

    s = current_style()
    rows_ = list(trends.head(8).itertuples())
    cols = min(3 if s.figure_size == "double" else 2, max(len(rows_), 1))
    nrow = math.ceil(len(rows_) / cols) or 1
    fig = new_figure(nrow * 1.4 + 0.8)
    axes = fig.subplots(nrow, cols, squeeze=False, sharey=True)
    shown = ""
    for i, ax in enumerate(axes.flat):
        if i >= len(rows_):
            ax.set_visible(False)
            continue
        r = rows_[i]
        cohorts = [int(c) for c in str(r.cohorts).split("、")]
        d = [int(c) for c in str(r.docs_by_cohort).split("、")]
        n = [int(c) for c in str(r.n_by_cohort).split("、")]
        if len(cohorts) > MAX_COHORTS:
            shown = f"（最近 {MAX_COHORTS} 期，共 {len(cohorts)} 期）"
            cohorts, d, n = cohorts[-MAX_COHORTS:], d[-MAX_COHORTS:], n[-MAX_COHORTS:]
        x = np.arange(len(cohorts))
        y = np.array([k / m if m else np.nan for k, m in zip(d, n)])
        ci = np.array([wilson_interval(k, m) for k, m in zip(d, n)])
        colour = DIVERGING[0] if r.direction == "rising" else DIVERGING[1]
        ax.errorbar(x, y, yerr=[y - ci[:, 0], ci[:, 1] - y], marker="o", markersize=3.5, color=colour,
                    linewidth=1, capsize=2)
        if len(cohorts) <= 8:  # d/n beside each point while there is room
            for xx, v, k, m in zip(x, y, d, n):
                ax.annotate(f"{k}/{m}", (xx, v), xytext=(4, 0), textcoords="offset points", ha="left",
                            va="center", fontsize=s.font_size - 1, color="#555555")
        what = "编码" if r.kind == "code" else "词"
        ax.set_title(f"{what}：{plain_label(r.term)}", fontsize=s.label_size, pad=2)
        step = max(1, math.ceil(len(cohorts) / 12))
        ax.set_xticks(x[::step], [str(c) for c in cohorts[::step]])
        ax.set_xlim(-0.4, len(cohorts) - 0.2)
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.5)
        ax.set_axisbelow(True)
    fig.supylabel("含此词（或匹配此编码）的问答占比", fontsize=s.label_size)
    fig.supxlabel(f"培训期次（第 N 期）{shown}；竖线 = Wilson 95% 区间；点旁 = 条数/该期问答数",
                  fontsize=s.label_size)
    fig.suptitle("随期次上升或下降的词与编码")
    return fig


@styled
def xray_plot(ticks: pd.DataFrame, sections: list, title: str = "关键词在各条问答中的分布") -> Figure:
    """Dispersion plot (quanteda's ``textplot_xray``) of a :func:`corpus_tools.dispersion.xray_table` table: x =
    an entry's place in the booklet (1 … N), one row per term (table order, top to bottom), a tick at every entry
    whose words include the term — blue inside the section the term is key for (its ``group``), grey elsewhere.
    ``sections``: the section of every entry in booklet order (N items): their spans are separated by lines and
    numbered on the top axis; the right axis names the section each group of rows is key for, with that number."""
    s = current_style()
    terms = list(dict.fromkeys(ticks.term))
    group = ticks.drop_duplicates("term").set_index("term").group.reindex(terms)
    docs = ticks.groupby("term").entry_id.nunique().reindex(terms)
    n = len(sections)
    order = list(dict.fromkeys(sections))
    spans = {sec: (i + 1, i + 1) for i, sec in reversed(list(enumerate(sections)))}
    for i, sec in enumerate(sections):
        spans[sec] = (spans[sec][0], i + 1)
    fig = new_figure(row_height(len(terms), per_row_pt=s.font_size * 1.9, extra=1.45))
    with matplotlib.rc_context({"axes.titley": None}):  # the title placed by matplotlib, over the numbers on top
        ax = fig.add_subplot()
    row = {t: i for i, t in enumerate(terms)}
    own = ticks.section.to_numpy() == ticks.group.astype(str).to_numpy()
    y = ticks.term.map(row).to_numpy(dtype=float)
    x = ticks.position.to_numpy(dtype=float)
    ax.vlines(x[~own], y[~own] - 0.36, y[~own] + 0.36, color="#9a9a9a", linewidth=1.0)
    ax.vlines(x[own], y[own] - 0.36, y[own] + 0.36, color=PALETTE[0], linewidth=1.2)
    for i, sec in enumerate(order):
        a, b = spans[sec]
        if i % 2:
            ax.axvspan(a - 0.5, b + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
        if i:
            ax.axvline(a - 0.5, color="#cccccc", linewidth=0.5, zorder=0)
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(len(terms) - 0.5, -0.5)
    ax.set_yticks(range(len(terms)), [f"{short_label(t, 8)} {int(d)}" for t, d in zip(terms, docs)])
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(wrap_label(f"问答在合集中的序号（1–{n}）；灰底与白底交替为栏目，顶部数字为栏目序号",
                             int(s.width * 72 / s.label_size) - 8, 2))
    top = ax.secondary_xaxis("top")
    top.set_xticks([(spans[sec][0] + spans[sec][1]) / 2 for sec in order], [str(i + 1) for i in range(len(order))])
    top.tick_params(length=0, pad=1)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    groups = list(dict.fromkeys(group))
    centres = [float(np.mean([row[t] for t in terms if group[t] == g])) for g in groups]
    number = {sec: i + 1 for i, sec in enumerate(order)}
    right.set_yticks(centres, [f"{number.get(str(g), '')} {short_label(g, 6)}".strip() for g in groups])
    right.tick_params(axis="y", length=0)
    right.spines[["top", "right", "left"]].set_visible(False)
    for i in range(1, len(terms)):
        if group[terms[i]] != group[terms[i - 1]]:
            ax.axhline(i - 0.5, color="#dddddd", linewidth=0.5, zorder=0)
    fig.legend(handles=[Line2D([], [], color=PALETTE[0], lw=1.2, label="用在该词为关键词的栏目内"),
                        Line2D([], [], color="#9a9a9a", lw=1.0, label="用在其他栏目")],
               loc="outside lower center", ncols=2, frameon=False,
               title=wrap_label("每条竖线 = 一条用到该词的问答；词后数字 = 用到该词的问答条数；右侧 = 该词为关键词的栏目",
                                int(s.width * 72 / s.label_size) - 4, 3))
    with matplotlib.rc_context({"axes.titley": None}):
        ax.set_title(plain_label(title))
    return fig
