"""Overview figures of the parsed booklet: what a curriculum designer asks first."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .labels import short_label
from .style import PALETTE, current_style, new_figure, row_height, styled

MAX_ROWS = 60  # bar charts and heat maps with one row per unit show at most this many rows (the latest)
UNKNOWN = "#999999"
MAX_STACKED = 8  # cohorts stacked in their own colours; earlier ones are one grey segment


def cohort_color(cohort) -> str:
    """Colour of a cohort (1 → first palette colour …); grey when unknown."""
    return UNKNOWN if pd.isna(cohort) or not int(cohort) else PALETTE[(int(cohort) - 1) % len(PALETTE)]


def cohort_name(cohort) -> str:
    return "来源不明" if pd.isna(cohort) or not int(cohort) else f"第{int(cohort)}期"


def cohort_legend(ax, cohorts, **kw) -> None:
    """Legend of cohort colours (numeric order)."""
    seen = sorted({int(c) if not pd.isna(c) else 0 for c in cohorts})
    ax.legend(handles=[Patch(color=cohort_color(c), label=cohort_name(c)) for c in seen], title="培训期次",
              frameon=False, **kw)


@styled
def entries_by_section(entries: pd.DataFrame) -> Figure:
    """Horizontal bars: number of entries per section (booklet order, top to bottom), stacked by cohort (past
    :data:`MAX_STACKED` cohorts, the latest ones each in its colour and the earlier ones together in grey)."""
    s = current_style()
    sections = list(dict.fromkeys(entries.section))
    table = (entries.assign(cohort=entries.cohort.fillna(0).astype(int))
             .pivot_table(index="section", columns="cohort", values="entry_id", aggfunc="count", fill_value=0)
             .reindex(sections[::-1]))
    table = table[sorted(table.columns)]
    earlier = None
    if table.shape[1] > MAX_STACKED:
        keep = list(table.columns[-(MAX_STACKED - 1):])
        rest = [c for c in table.columns if c not in keep]
        earlier = f"其余 {len(rest)} 期"
        table = pd.concat([table[rest].sum(axis=1).rename(earlier), table[keep]], axis=1)
    fig = new_figure(row_height(len(sections), extra=1.2))
    ax = fig.add_subplot()
    y = range(len(table))
    left = pd.Series(0, index=table.index)
    for cohort in table.columns:
        colour, name = (UNKNOWN, cohort) if cohort == earlier else (cohort_color(cohort), cohort_name(cohort))
        ax.barh(y, table[cohort], left=left, color=colour, label=name, height=0.7)
        left += table[cohort]
    ax.set_yticks(list(y), [short_label(x, s.label_chars) for x in table.index])
    for i, total in enumerate(left):
        ax.text(total + 0.15, i, f"{int(total)}", va="center")
    ax.set_xlim(0, max(left.max(), 1) * 1.1)
    ax.set_xlabel("问答条数（条）")
    ax.set_ylabel("栏目（合集顺序）")
    ax.set_title(f"各栏目问答条数（按培训期次分色，共 {len(entries)} 条）")
    if table.shape[1] <= 4:
        ax.legend(title="培训期次", frameon=False, loc="lower right")
    else:  # many cohorts: beside the bars, not over them
        ax.legend(title="培训期次", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def unit_label(r) -> str:
    """``第1期·第3单元 标题`` / ``第3期·答疑讨论课（第1次）`` / ``来源不明`` for a row of ``units``
    (:func:`corpus_tools.curriculum.unit_label`)."""
    from ..curriculum import unit_label as label

    return label(r.cohort, r.session_type, r.unit_no, r.unit_title, r.session_no)


@styled
def entries_by_unit(units: pd.DataFrame) -> Figure:
    """Horizontal bars: entries per course unit / discussion class in curriculum order (cohort, then unit number),
    coloured by cohort, with a cohort legend (the latest ``MAX_ROWS`` units when there are more)."""
    s = current_style()
    u = units.copy()
    u["_c"] = u.cohort.fillna(10 ** 6)
    u["_kind"] = (u.session_type != "unit").astype(int)
    u["_n"] = u.unit_no.fillna(u.session_no).fillna(0)
    u = u.sort_values(["_c", "_kind", "_n"], kind="stable").tail(MAX_ROWS)
    labels = [short_label(unit_label(r), s.label_chars + 6) for r in u.itertuples()]
    return unit_bars(u, labels, "各课程单元引出的问答条数", "问答条数（条）")


def unit_bars(rows: pd.DataFrame, labels: list[str], title: str, xlabel: str) -> Figure:
    """Horizontal bars of ``rows.n_entries`` (top to bottom in row order) labelled ``labels``, coloured by
    ``rows.cohort``, with each bar's count and a cohort legend: the shape of both per-unit figures."""
    fig = new_figure(row_height(len(rows), extra=1.0))
    ax = fig.add_subplot()
    y = list(range(len(rows)))[::-1]
    ax.barh(y, rows.n_entries, color=[cohort_color(c) for c in rows.cohort], height=0.7)
    ax.set_yticks(y, labels)
    for yy, n in zip(y, rows.n_entries):
        ax.text(n + 0.1, yy, str(int(n)), va="center")
    ax.set_xlim(0, max(rows.n_entries.max(), 1) * 1.1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    cohort_legend(ax, rows.cohort, loc="lower right")
    return fig
