"""Figure index and gallery: what each figure shows, how it was made and the data it was drawn from.

For the files :func:`corpus_tools.save.write_figure_index` writes beside the figures, this module makes

- the rows of ``figures/index.csv`` (:func:`index_table`): one per figure — stem, title, caption, method,
  source table, files, data file;
- the table behind each ``figures/data/<stem>.csv`` (:func:`plotted_table`, else the source table);
- the page ``figures/index.html`` (:func:`gallery_html`, template ``templates/gallery.html.j2``, autoescaped):
  figures grouped by question (:data:`QUESTIONS`) under a contents list, every figure with its title, caption
  and method; the PNG thumbnail links to the SVG (or PDF) beside it, for choosing what goes into a paper.

A figure whose function is listed in :data:`corpus_tools.plots.data.PLOTTED` gets that table as its data file
(exactly what it draws: the words of a cloud, the cells of a matrix); the others get their source table.

A figure spec is any object with ``stem, title, caption, method, source`` attributes (the pipeline's
:class:`corpus_tools.study.FigureSpec`). Nothing here reads or writes files.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Mapping

import pandas as pd

ORDER = ("png", "svg", "pdf")
INDEX_COLUMNS = ["stem", "title", "caption", "method", "source", "files", "data"]


def _specs(specs) -> list:
    return list(specs.values()) if isinstance(specs, Mapping) else list(specs)


def _files(stem: str, formats: Iterable[str]) -> list[str]:
    return [f"{stem}.{fmt}" for fmt in sorted(set(formats), key=lambda f: (ORDER.index(f) if f in ORDER else 9, f))]


def plotted_table(spec) -> pd.DataFrame | None:
    """The table a figure draws, when :data:`corpus_tools.plots.data.PLOTTED` lists its function (e.g. the words of
    a comparison cloud, the cells of a matrix); else None and the source table is the data file."""
    get = _plotted(spec)
    return get(*getattr(spec, "args", ()), **getattr(spec, "kwargs", {})) if callable(get) else None


def _plotted(spec):
    """The :data:`corpus_tools.plots.data.PLOTTED` function of a figure spec, or None."""
    from .data import plotted_data

    return plotted_data(getattr(spec, "fn", None))


def index_table(specs, formats: Mapping[str, Iterable[str]], tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``index.csv`` (columns :data:`INDEX_COLUMNS`), in the order of ``specs``. ``formats``: stem →
    the formats its files have ('png', 'svg' …); ``files`` lists them separated by ``;``; ``data`` is
    ``data/<stem>.csv`` when its source table is known (in ``tables``) or the figure says what it draws."""
    rows = []
    for spec in _specs(specs):
        stem = spec.stem
        source = getattr(spec, "source", "") or ""
        rows.append(dict(stem=stem, title=getattr(spec, "title", "") or "", caption=getattr(spec, "caption", "") or "",
                         method=getattr(spec, "method", "") or "", source=source,
                         files=";".join(_files(stem, formats.get(stem, ()))),
                         data=f"data/{stem}.csv" if source in tables or callable(_plotted(spec)) else ""))
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


#: the gallery's groups, in reading order: question → stem prefixes of its figures
QUESTIONS = [
    ("概览：合集里有什么", ("overview_",)),
    ("课程覆盖：问答来自哪些课程单元", ("coverage_",)),
    ("主题：问答谈些什么", ("topics_",)),
    ("人物：谁回答了什么", ("matrix_", "network_instructor")),
    ("词语：各期、各栏目的用词", ("keyness_", "trends_", "wordcloud_", "network_term", "ca_terms")),
    ("编码：能力领域的分布", ("codes_", "ca_codes")),
]


def question_of(stem: str) -> str:
    """The gallery group of a figure stem (:data:`QUESTIONS`; others under 其他)."""
    return next((q for q, prefixes in QUESTIONS if stem.startswith(prefixes)), "其他")


def _card(r) -> dict:
    """What the page shows of one row of ``index.csv``: thumbnail, the file it links to, texts, file links."""
    files = [f for f in str(r.files).split(";") if f]
    png = next((f for f in files if f.endswith(".png")), None)
    vector = next((f for f in files if f.endswith(".svg")), None) or next(
        (f for f in files if f.endswith(".pdf")), None) or png
    links = [(f, f.rsplit(".", 1)[-1].upper()) for f in files] + ([(r.data, "数据（CSV）")] if r.data else [])
    return dict(stem=r.stem, title=r.title or r.stem, caption=r.caption, method=r.method, source=r.source,
                png=png, vector=vector, links=links, drawn=bool(files))


def _groups(index: pd.DataFrame) -> list[dict]:
    """The cards grouped by question, in :data:`QUESTIONS` order (others last), each with its page anchor."""
    groups: dict[str, list[dict]] = {}
    for r in index.itertuples():
        groups.setdefault(question_of(r.stem), []).append(_card(r))
    order = [q for q, _ in QUESTIONS if q in groups] + [q for q in groups if q not in dict(QUESTIONS)]
    return [dict(anchor=f"q{i + 1}", question=q, cards=groups[q]) for i, q in enumerate(order)]


def gallery_html(index: pd.DataFrame, embed_font: bool = True, cjk_font=None) -> str:
    """The gallery page for the rows of ``index.csv``: a figure card per row, thumbnails linking to the
    vector file, captions, methods, and links to every file and the data table. With ``embed_font``, the page
    carries the subset of the CJK font it needs (WOFF, base64), so it reads the same everywhere: ``cjk_font``
    (a :class:`~corpus_tools.fonts.FontSubset`, e.g. the report's) when it covers the page, else one cut to both."""
    from ..report import _environment

    template = _environment().get_template("gallery.html.j2")
    ctx = dict(n_figures=len(index), n_drawn=int((index.files.fillna("").astype(str) != "").sum()),
               groups=_groups(index))
    if not embed_font:
        return template.render(font_b64="", **ctx)
    from ..report import covering_font, font_chars, render_with_font_slot

    page, fill = render_with_font_slot(template, ctx)
    # the page's own characters of the project's CJK font: readable on machines without one
    return fill(covering_font(font_chars(html.unescape(re.sub("<[^>]+>", "", page))), cjk_font).woff_b64)
