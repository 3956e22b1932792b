"""Overview figures of the parsed booklet: what a curriculum designer asks first."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .style import PALETTE, new_figure


def entries_by_section(entries: pd.DataFrame) -> Figure:
    """Horizontal bars: number of entries per section (booklet order), split by cohort."""
    fig = new_figure(7, 4.2)
    ax = fig.add_subplot()
    sections = list(dict.fromkeys(entries.section))
    table = (entries.assign(cohort=entries.cohort.fillna(0).astype(int))
             .pivot_table(index="section", columns="cohort", values="entry_id", aggfunc="count", fill_value=0)
             .reindex(sections[::-1]))
    left = pd.Series(0, index=table.index)
    for k, cohort in enumerate(table.columns):
        label = f"第{cohort}期" if cohort else "来源不明"
        ax.barh(table.index, table[cohort], left=left, color=PALETTE[k % len(PALETTE)], label=label)
        left += table[cohort]
    for y, total in enumerate(left):
        ax.text(total + 0.15, y, str(int(total)), va="center", fontsize=9)
    ax.set_xlabel("问答条数")
    ax.set_title("各栏目问答条数（按培训期次）")
    ax.legend(frameon=False, loc="lower right")
    return fig


MAX_ROWS = 60  # bar charts and heat maps with one row per unit show at most this many rows (the latest)


def entries_by_unit(units: pd.DataFrame) -> Figure:
    """Horizontal bars: entries per course unit / discussion class, grouped by cohort (the latest
    ``MAX_ROWS`` units when there are more)."""
    u = units.tail(MAX_ROWS).copy()
    u["label"] = [
        (f"第{int(r.cohort)}期 · 第{int(r.unit_no)}单元 {r.unit_title}" if r.session_type == "unit" else
         f"第{int(r.cohort)}期 · 答疑讨论课" + ("" if pd.isna(r.session_no) else f"（第{int(r.session_no)}次）"))
        if not pd.isna(r.cohort) else "来源不明"
        for r in u.itertuples()]
    fig = new_figure(7.5, 0.32 * len(u) + 1.2)
    ax = fig.add_subplot()
    colors = [PALETTE[(int(c) - 1) % len(PALETTE)] if not pd.isna(c) else "#999999" for c in u.cohort]
    ax.barh(u.label[::-1], u.n_entries[::-1], color=colors[::-1])
    ax.set_xlabel("问答条数")
    ax.set_title("各课程单元引出的问答条数")
    return fig
