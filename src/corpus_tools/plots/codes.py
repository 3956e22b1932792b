"""Coding and correspondence-analysis figures: code × group heat map of adjusted residuals, CA biplot."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .labels import short_label
from .style import PALETTE, new_figure, row_height, styled

MAX_GROUPS = 24  # columns of a code heat map: past this, the groups with the most coded entries


@styled
def code_heatmap(crosstab: pd.DataFrame, title: str = "编码 × 分组", group_label: str = "分组",
                 by: str | None = None) -> Figure:
    """Heat map of a :func:`corpus_tools.codes.code_crosstab` table: colour = adjusted standardised residual
    (blue under-use, red over-use, white 0; the scale is symmetric), each cell printed as "share % (entries)";
    codes as rows in codebook order, groups as columns in table order; cells with |residual| > 1.96 framed.
    With ``by``, only the rows of the stacked ``code_crosstab`` table whose ``by`` column equals it are drawn.
    Past :data:`MAX_GROUPS` groups, those with the most coded entries (the title says how many of how many)."""
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
    res = crosstab.pivot(index="code", columns="group", values="residual").reindex(index=codes, columns=groups)
    share = crosstab.pivot(index="code", columns="group", values="share").reindex(index=codes, columns=groups)
    n = crosstab.pivot(index="code", columns="group", values="entries").reindex(index=codes, columns=groups)
    fig = new_figure(row_height(len(codes), extra=2.2))
    ax = fig.add_subplot()
    vals = res.to_numpy(dtype=float)
    lim = max(2.0, float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 2.0)
    im = ax.imshow(np.nan_to_num(vals), cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim), aspect="auto")
    ax.set_xticks(range(len(groups)), [short_label(g, 12) for g in groups], rotation=35, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(len(codes)), [short_label(c, 12) for c in codes])
    small = len(groups) > 10
    for i in range(len(codes)):
        for j in range(len(groups)):
            if pd.isna(share.iat[i, j]):
                continue
            v = vals[i, j]
            text = f"{share.iat[i, j]:.0%}" if small else f"{share.iat[i, j]:.0%}\n({int(n.iat[i, j])})"
            if np.isfinite(v) and abs(v) > 1.96:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#222222", lw=1.0))
            ax.text(j, i, text, ha="center", va="center", fontsize="x-small",
                    color="white" if np.isfinite(v) and abs(v) > 0.6 * lim else "black")
    ax.set_xlabel(group_label)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8, label="调整残差")
    return fig


@styled
def ca_biplot(coords: pd.DataFrame, inertia: pd.DataFrame, title: str = "对应分析", max_labels: int = 60,
              analysis: str | None = None) -> Figure:
    """Symmetric CA map of a :func:`corpus_tools.ca.ca_coordinates` table: the first ``kind`` (rows: terms or
    codes) as grey points sized by mass, the second (columns: sections, cohorts) as coloured squares; axis labels
    give the share of inertia of each dimension (``inertia`` from :func:`corpus_tools.ca.ca_inertia`). Only the
    ``max_labels`` heaviest row points are labelled. With ``analysis``, only that analysis of the stacked
    ``ca_coordinates`` / ``ca_inertia`` tables is drawn."""
    if analysis is not None:
        coords = coords[coords["analysis"] == analysis]
        inertia = inertia[inertia["analysis"] == analysis]
    kinds = list(dict.fromkeys(coords.kind))
    rows = coords[coords.kind == kinds[0]]
    cols = coords[coords.kind == kinds[-1]] if len(kinds) > 1 else coords.iloc[0:0]
    fig = new_figure(aspect=0.8)
    ax = fig.add_subplot()
    mass = rows.mass.to_numpy(dtype=float)
    size = 15 + 400 * mass / mass.max() if len(mass) and mass.max() > 0 else 20
    ax.scatter(rows.dim1, rows.dim2, s=size, color=PALETTE[7], alpha=0.45, linewidths=0, label=kinds[0])
    heavy = set(rows.sort_values(["mass", "label"], ascending=[False, True], kind="stable").label[:max_labels])
    for r in rows.itertuples():
        if r.label in heavy:
            ax.annotate(short_label(r.label, 10), (r.dim1, r.dim2), fontsize="x-small", color="#333333",
                        xytext=(2, 2), textcoords="offset points")
    if len(cols):
        ax.scatter(cols.dim1, cols.dim2, marker="s", s=60, color=PALETTE[1], label=kinds[-1], zorder=3)
        for r in cols.itertuples():
            ax.annotate(short_label(r.label, 12), (r.dim1, r.dim2), fontsize="small", color=PALETTE[3],
                        xytext=(4, -8), textcoords="offset points")
    ax.axhline(0, color="#bbbbbb", lw=0.6, zorder=0)
    ax.axvline(0, color="#bbbbbb", lw=0.6, zorder=0)
    share = list(inertia.share) + [0.0, 0.0]
    ax.set_xlabel(f"第 1 维（{share[0]:.1%}）")
    ax.set_ylabel(f"第 2 维（{share[1]:.1%}）")
    ax.set_title(title)
    handles = [Line2D([], [], marker="o", ls="", color=PALETTE[7], alpha=0.6, markersize=7, label=kinds[0])]
    if len(cols):
        handles.append(Line2D([], [], marker="s", ls="", color=PALETTE[1], markersize=7, label=kinds[-1]))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize="small", frameon=False)
    return fig
