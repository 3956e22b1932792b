"""Coding and correspondence-analysis figures: code × group heat map of adjusted residuals, CA biplot."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .data import ca_contributions
from .labels import keep_labels_apart, place_clear_of_points, plain_label, short_label, wrap_label
from .style import PALETTE, current_style, freeze_layout, lay_out, new_figure, row_height, styled

MAX_GROUPS = 24  # groups of a code heat map: past this, the groups with the most coded entries
TRANSPOSE_GROUPS = 10  # past this many groups, groups are the rows (their names fit) and codes the columns


def _row_label(label: object, group: bool) -> str:
    """A heat map row label: a code (12 characters), a group (a single column keeps 第1期·第3单元 of a unit's
    name; the full name is in the data file)."""
    from .trends import _UNIT

    s = current_style()
    if not group:
        return short_label(label, 12)
    m = _UNIT.search(str(label)) if s.figure_size == "single" else None
    return short_label(m.group(0) if m else label, s.label_chars + 6 if s.figure_size == "double" else 12)


@styled
def code_heatmap(crosstab: pd.DataFrame, title: str = "编码 × 分组", group_label: str = "分组",
                 by: str | None = None) -> Figure:
    """Heat map of a :func:`corpus_tools.codes.code_crosstab` table: colour = adjusted standardised residual
    (blue under-use, red over-use, white 0; the scale is symmetric), each cell printed as "share %" over
    "(entries)"; codes in codebook order, groups in table order — codes as rows, or as columns when there are
    more than :data:`TRANSPOSE_GROUPS` groups (units: their long names then fit as row labels); cells with
    |residual| > 1.96 framed. With ``by``, only the rows of the stacked ``code_crosstab`` table whose ``by``
    column equals it are drawn. Past :data:`MAX_GROUPS` groups, those with the most coded entries (the title says
    how many of how many)."""
    from .trends import set_column_labels

    s = current_style()
    if by is not None:
        crosstab = crosstab[crosstab["by"] == by]
    codes = list(dict.fromkeys(crosstab.code))
    groups = list(dict.fromkeys(crosstab.group))
    if len(groups) > MAX_GROUPS:  # the groups with the most coded entries, in table order
        totals = crosstab.groupby("group", sort=False).entries.sum().reindex(groups)
        top = set(totals.sort_values(ascending=False, kind="stable").index[:MAX_GROUPS])
        title = f"{title}（显示编码问答最多的 {MAX_GROUPS} 组，共 {len(groups)} 组）"
        groups = [g for g in groups if g in top]
        crosstab = crosstab[crosstab.group.isin(top)]
    flip = len(groups) > TRANSPOSE_GROUPS
    rows, cols = (groups, codes) if flip else (codes, groups)
    index, columns = ("group", "code") if flip else ("code", "group")

    def grid(values: str) -> pd.DataFrame:
        return crosstab.pivot(index=index, columns=columns, values=values).reindex(index=rows, columns=cols)

    res, share, n = grid("residual"), grid("share"), grid("entries")
    fig = new_figure(row_height(len(rows), per_row_pt=s.small_size * 2.6, extra=2.0))
    ax = fig.add_subplot()
    vals = res.to_numpy(dtype=float)
    lim = max(2.0, float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 2.0)
    im = ax.imshow(np.nan_to_num(vals), cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim), aspect="auto")
    ax.set_yticks(range(len(rows)), [_row_label(r, flip) for r in rows])
    set_column_labels(ax, [plain_label(c) for c in cols])  # after the row labels: their width is measured
    for i in range(len(rows)):
        for j in range(len(cols)):
            if pd.isna(share.iat[i, j]):
                continue
            v = vals[i, j]
            if np.isfinite(v) and abs(v) > 1.96:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#222222", lw=1.0))
            ax.text(j, i, f"{share.iat[i, j]:.0%}\n({int(n.iat[i, j])})", ha="center", va="center",
                    fontsize=s.small_size, linespacing=1.0,
                    color="white" if np.isfinite(v) and abs(v) > 0.6 * lim else "black")
    ax.set_xlabel("编码（能力领域）" if flip else group_label)
    ax.set_ylabel(group_label if flip else "编码（能力领域）")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8, label="调整残差（红 = 多于其他组）")
    return fig


@styled
def ca_biplot(coords: pd.DataFrame, inertia: pd.DataFrame, title: str = "对应分析", n_terms: int | None = None,
              analysis: str | None = None, max_groups: int = 24) -> Figure:
    """Symmetric CA map of a :func:`corpus_tools.ca.ca_coordinates` table as KH Coder draws it: both axes on one
    scale (equal aspect: a unit of dimension 2 is as long as a unit of dimension 1), only the ``n_terms`` row
    points (terms or codes) that contribute most to the plane (:func:`ca_contributions`; default 30 at double,
    20 at single column width), drawn as circles whose area is proportional to their mass (legend), the column
    points (sections, cohorts) as labelled vermilion squares; each label beside its point on no other point or
    label (:func:`.labels.place_clear_of_points`: groups first, then terms by contribution; a term label that still
    overlaps another label is left out). Axis labels give each dimension's share of the inertia.
    With ``analysis``, only that analysis of the stacked ``ca_coordinates`` / ``ca_inertia`` tables is drawn.
    Of more than ``max_groups`` column points (a programme of many cohorts) only the ``max_groups`` that contribute
    most are labelled (every point is drawn; labelling hundreds would bury the map and cost minutes)."""
    s = current_style()
    if analysis is not None:
        coords = coords[coords["analysis"] == analysis]
        inertia = inertia[inertia["analysis"] == analysis]
    if n_terms is None:
        n_terms = 30 if s.figure_size == "double" else 20
    kinds = list(dict.fromkeys(coords.kind))
    rows = coords[coords.kind == kinds[0]]
    cols = coords[coords.kind == kinds[-1]] if len(kinds) > 1 else coords.iloc[0:0]
    ctr = ca_contributions(rows, inertia)
    order = ctr.sort_values(ascending=False, kind="stable").index
    rows = rows.loc[order[:n_terms]]
    pts = pd.concat([rows, cols])
    pad = 0.07 * max(float(np.ptp(pts.dim1)), float(np.ptp(pts.dim2)), 1e-9)
    xlim = (float(pts.dim1.min()) - pad, float(pts.dim1.max()) + pad)
    ylim = (float(pts.dim2.min()) - pad, float(pts.dim2.max()) + pad)
    # the figure as tall as the map needs at one scale (a flat second dimension makes a flat map), at least 1.8 in
    plot_w = s.width - 0.7
    fig = new_figure(max(plot_w * (ylim[1] - ylim[0]) / (xlim[1] - xlim[0]), 1.8) + 1.3)
    ax = fig.add_subplot()
    max_mass = float(coords[coords.kind == kinds[0]].mass.max() or 1.0)
    area = 250 if s.figure_size == "double" else 120

    def size(m):
        return 8 + area * np.asarray(m, dtype=float) / max_mass

    ax.scatter(rows.dim1, rows.dim2, s=size(rows.mass), color=PALETTE[0], alpha=0.35, linewidths=0.5,
               edgecolors=PALETTE[0], zorder=2)
    if len(cols):
        ax.scatter(cols.dim1, cols.dim2, marker="s", s=30, color=PALETTE[3], zorder=4)
    ax.axhline(0, color="#bbbbbb", lw=0.5, zorder=0)
    ax.axvline(0, color="#bbbbbb", lw=0.5, zorder=0)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    share = list(inertia.sort_values("dim").share) + [0.0, 0.0]
    ax.set_xlabel(f"第 1 维（惯量 {share[0]:.1%}）")
    ax.set_ylabel(f"第 2 维（惯量 {share[1]:.1%}）")
    ax.set_title(title)
    chars = 12 if s.figure_size == "double" else 8
    named = cols.loc[ca_contributions(cols, inertia).sort_values(ascending=False, kind="stable")
                     .index[:max_groups]] if len(cols) > max_groups else cols
    texts = [ax.text(r.dim1, r.dim2, short_label(r.label, chars), fontsize=s.label_size, color=PALETTE[3],
                     ha="center", va="center", zorder=5,
                     bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=PALETTE[3], lw=0.5))
             for r in named.itertuples()]
    texts += [ax.text(r.dim1, r.dim2, short_label(r.label, chars), fontsize=s.font_size, color="#222222",
                      ha="center", va="center", zorder=3) for r in rows.itertuples()]
    _ca_legend(fig, kinds, len(rows), len(named), len(cols), size, max_mass)
    if texts:
        _place_ca_labels(fig, ax, texts, rows, cols, named, pts, size)
    return fig


def _ca_legend(fig: Figure, kinds: list[str], n_rows: int, n_named: int, n_cols: int, size, max_mass: float) -> None:
    """The CA map's legend under the axes: the group square (how many of the groups are labelled) and three circle
    sizes of the row points' mass (``size``: mass → marker area in pt²)."""
    group_key = kinds[-1] if n_named == n_cols else f"{kinds[-1]}（标出贡献最大的 {n_named} 个，共 {n_cols} 个）"
    handles = [Line2D([], [], marker="s", ls="", color=PALETTE[3], markersize=5, label=group_key)] if n_cols else []
    masses = [m for m in (0.01, 0.02, 0.05, 0.1, 0.2) if m <= max_mass * 1.05][-3:] or [max_mass]
    handles += [Line2D([], [], marker="o", ls="", color=PALETTE[0], alpha=0.45, markeredgewidth=0,
                       markersize=float(np.sqrt(size(m))), label=f"{m:.0%}") for m in masses]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
               title=f"圆 = {kinds[0]}（贡献最大的 {n_rows} 个），面积 = 占全部{kinds[0]}次数的比例（质量）",
               handletextpad=0.3, columnspacing=1.2)


def _place_ca_labels(fig: Figure, ax, texts: list, rows: pd.DataFrame, cols: pd.DataFrame, named: pd.DataFrame,
                     pts: pd.DataFrame, size) -> None:
    """Lay the map out once and freeze it, then move each label (the ``named`` groups' first, then the rows') beside
    its point, clear of every point (``size``: a row's mass → marker area in pt²; a group's square is 30 pt²)."""
    lay_out(fig)  # the aspect sets the limits, and the new tick labels need a second layout
    fig.draw_without_rendering()
    ax.set_autoscale_on(False)
    freeze_layout(fig)  # the axes stay where the labels are placed (in pixels)
    col_r = np.sqrt(30) / 2  # half the side of a group's square (marker area 30 pt²)
    radius = np.concatenate([np.sqrt(size(rows.mass)) / 2, np.full(len(cols), col_r)])
    anchors = np.concatenate([named[["dim1", "dim2"]].to_numpy(float), rows[["dim1", "dim2"]].to_numpy(float)])
    anchor_r = np.concatenate([np.full(len(named), col_r), np.sqrt(size(rows.mass)) / 2])
    leaders = place_clear_of_points(ax, texts, anchors, pts[["dim1", "dim2"]].to_numpy(float), radius,
                                    anchor_radius_pt=anchor_r)
    keep_labels_apart(fig, texts, keep_first=len(named), leaders=leaders)


def _trend_mark(z: float, q: float) -> str:
    """↑ / ↓ for a code whose share rises / falls across the cohorts (Cochran–Armitage, BH q < 0.05), else ''."""
    if not (np.isfinite(z) and np.isfinite(q)) or q >= 0.05:
        return ""
    return " ↑" if z > 0 else " ↓"


@styled
def code_share_dots(shares: pd.DataFrame, title: str = "各能力领域编码在各期问答中的占比") -> Figure:
    """Dot plot of a :func:`corpus_tools.codeshare.code_share_by_cohort` table: one row per code (table order, top
    to bottom), one dot per cohort (cohort colours, dodged within the row) at the share of the cohort's entries
    the code matches, with its Wilson 95 % interval as a line; x from 0 to 100 %. Right of each row the counts
    k/n per cohort (entries matched / entries of the cohort); a code whose share rises or falls across the
    cohorts (Cochran–Armitage, BH q < 0.05) is marked ↑ or ↓ after its name."""
    from .overview import cohort_color, cohort_name

    s = current_style()
    codes = list(dict.fromkeys(shares.code))
    cohorts = sorted(int(c) for c in shares.cohort.dropna().unique())
    n_by = shares.drop_duplicates("cohort").set_index("cohort").n_entries.to_dict()
    fig = new_figure(row_height(len(codes), per_row_pt=s.font_size * 3.0, extra=1.5))
    ax = fig.add_subplot()
    step = 0.6 / max(len(cohorts), 1)
    offset = {c: (i - (len(cohorts) - 1) / 2) * step for i, c in enumerate(cohorts)}
    for c in cohorts:
        d = shares[shares.cohort == c].set_index("code").reindex(codes)
        y = np.arange(len(codes)) + offset[c]
        colour = cohort_color(c)
        ax.hlines(y, d.ci_low, d.ci_high, color=colour, linewidth=1.1, alpha=0.8)
        ax.plot(d.share, y, "o", color=colour, markersize=3.6, markeredgecolor="white", markeredgewidth=0.4,
                label=f"{cohort_name(c)}（n = {int(n_by.get(c, 0))}）")
    first = shares.drop_duplicates("code").set_index("code").reindex(codes)
    ax.set_yticks(range(len(codes)), [short_label(c, 10) + _trend_mark(z, q)
                                      for c, z, q in zip(codes, first.trend_z, first.trend_q)])
    ax.set_ylim(len(codes) - 0.5, -0.5)
    ax.set_xlim(-0.02, 1.02)  # a share of 0 or 1 is drawn whole
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.5)
    ax.set_axisbelow(True)
    for i in range(1, len(codes)):
        ax.axhline(i - 0.5, color="#f0f0f0", linewidth=0.5, zorder=0)
    ax.set_xlabel("匹配该编码的问答占该期问答的比例；线 = Wilson 95% 区间")
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    counts = shares.set_index(["code", "cohort"])
    right.set_yticks(range(len(codes)), [" · ".join(f"{int(counts.loc[(code, c), 'n_code'])}/{int(n_by[c])}"
                                                  for c in cohorts if (code, c) in counts.index) for code in codes])
    right.tick_params(axis="y", length=0)
    right.spines[["top", "right", "left"]].set_visible(False)
    legend_title = ("点 = 该期占比；右列 = " + "、".join(f"第{c}期" for c in cohorts) + "的条数/问答数；"
                    "名称后 ↑/↓ = 随期次上升/下降（趋势检验，校正后 q < 0.05）")
    fig.legend(loc="outside lower center", ncols=max(len(cohorts), 1), frameon=False,
               title=wrap_label(legend_title, int(s.width * 72 / s.label_size) - 4, 3),
               handletextpad=0.3, columnspacing=1.2, handles=ax.get_legend_handles_labels()[0])
    ax.set_title(plain_label(title))
    return fig
