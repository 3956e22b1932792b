"""Figure index and gallery: what each figure shows, how it was made and the data it was drawn from.

:func:`write_index` writes, beside the figure files,

- ``figures/index.csv``: one row per figure — stem, title, caption, method, source table, files, data file;
- ``figures/data/<stem>.csv``: the data of each figure (UTF-8 with BOM, formula cells neutralised);
- ``figures/index.html``: a gallery page grouped by question (:data:`QUESTIONS`) under a contents list, every
  figure with its title, caption and method; the PNG thumbnail links to the SVG (or PDF) beside it, for choosing
  what goes into a paper.

A figure whose function has a ``plotted_data`` attribute gets that table as its data file (exactly what it draws:
the words of a cloud, the cells of a matrix); the others get their source table.

A figure spec is any object with ``stem, title, caption, method, source`` attributes (the pipeline's
:class:`corpus_tools.study.FigureSpec`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Mapping

import pandas as pd

ORDER = ("png", "svg", "pdf")
INDEX_COLUMNS = ["stem", "title", "caption", "method", "source", "files", "data"]


def _specs(specs) -> list:
    return list(specs.values()) if isinstance(specs, Mapping) else list(specs)


def _files(stem: str, figdir: Path, rendered: Mapping | None) -> list[str]:
    if rendered is not None and stem in rendered:
        fmts = list(rendered[stem])
    else:
        fmts = [p.suffix[1:] for p in sorted(figdir.glob(f"{stem}.*"))]
    return [f"{stem}.{fmt}" for fmt in sorted(set(fmts), key=lambda f: (ORDER.index(f) if f in ORDER else 9, f))]


def plotted_table(spec) -> pd.DataFrame | None:
    """The table a figure draws, when its function says (a ``plotted_data(*args, **kwargs)`` attribute: e.g. the
    words of a comparison cloud, the cells of a matrix); else None and the source table is the data file."""
    get = getattr(getattr(spec, "fn", None), "plotted_data", None)
    return get(*getattr(spec, "args", ()), **getattr(spec, "kwargs", {})) if callable(get) else None


def index_table(specs, figdir: str | Path, tables: Mapping[str, pd.DataFrame],
                rendered: Mapping | None = None) -> pd.DataFrame:
    """The rows of ``index.csv`` (columns :data:`INDEX_COLUMNS`), in the order of ``specs``. ``files`` lists
    the figure's files separated by ``;``; ``data`` is ``data/<stem>.csv`` when its source table is known."""
    figdir = Path(figdir)
    rows = []
    for spec in _specs(specs):
        stem = spec.stem
        source = getattr(spec, "source", "") or ""
        rows.append(dict(stem=stem, title=getattr(spec, "title", "") or "", caption=getattr(spec, "caption", "") or "",
                         method=getattr(spec, "method", "") or "", source=source,
                         files=";".join(_files(stem, figdir, rendered)),
                         data=f"data/{stem}.csv" if source in tables or plotted_table(spec) is not None else ""))
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


def write_index(specs, figdir: str | Path, tables: Mapping[str, pd.DataFrame],
                rendered: Mapping[str, Mapping[str, bytes]] | None = None, font=None,
                written_csv: Mapping[str, Path] | None = None) -> list[Path]:
    """Write ``index.csv``, ``data/<stem>.csv`` (each figure's source table) and ``index.html`` under
    ``figdir``; returns the paths written. ``rendered`` (stem → format → bytes), when given, says which files
    each figure has; otherwise the files present in ``figdir`` are listed. ``font``: a
    :class:`~corpus_tools.report.FontSubset` already cut (the report's), used if it covers the page.
    ``written_csv``: table name → its CSV file already written (copied instead of written again)."""
    from ..store import copy_file, write_table, write_text

    figdir = Path(figdir)
    index = index_table(specs, figdir, tables, rendered)
    written = write_table(index, figdir, "index", ("csv",))
    plotted = {spec.stem: plotted_table(spec) for spec in _specs(specs)}
    for row in index.itertuples():
        if plotted.get(row.stem) is not None:
            written += write_table(plotted[row.stem], figdir / "data", row.stem, ("csv",))
        elif row.data and written_csv and row.source in written_csv:
            written.append(copy_file(written_csv[row.source], figdir / "data" / f"{row.stem}.csv"))
        elif row.data:
            written += write_table(tables[row.source], figdir / "data", row.stem, ("csv",))
    written.append(write_text(figdir / "index.html", gallery_html(index, cjk_font=font)))
    return written


_CSS = """
body{font-family:"GalleryCJK","Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;
     color:#222;background:#fafafa;line-height:1.55}
header{padding:1rem 1.5rem;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:1.3rem;margin:0 0 .3rem}
main{padding:0 1.5rem 1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,36rem),1fr));gap:1rem}
h2.question{font-size:1.15rem;margin:1.4rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid #0b5cad}
nav h2{font-size:1rem;margin:.6rem 0 .2rem}
ol.contents{margin:.2rem 0;padding-left:1.4rem;columns:2 16rem}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem;display:flex;
       flex-direction:column}
figure img{width:100%;height:auto;border:1px solid #eee;background:#fff}
figcaption{font-size:.92rem}
figcaption h2{font-size:1rem;margin:.5rem 0 .2rem}
.method,.links{color:#555;font-size:.85rem;margin:.25rem 0}
code{font-size:.8rem;background:#f1f1f1;padding:0 .2rem;border-radius:3px}
a{color:#0b5cad}
"""


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


def gallery_html(index: pd.DataFrame, embed_font: bool = True, cjk_font=None) -> str:
    """The gallery page for the rows of ``index.csv``: a figure card per row, thumbnails linking to the
    vector file, captions, methods, and links to every file and the data table. With ``embed_font``, the page
    carries the subset of the CJK font it needs (WOFF, base64), so it reads the same everywhere: ``cjk_font``
    (a :class:`~corpus_tools.report.FontSubset`, e.g. the report's) when it covers the page, else one cut to both."""
    e = html.escape
    cards = []
    for r in index.itertuples():
        files = [f for f in str(r.files).split(";") if f]
        png = next((f for f in files if f.endswith(".png")), None)
        vector = next((f for f in files if f.endswith(".svg")), None) or next(
            (f for f in files if f.endswith(".pdf")), None) or png
        img = (f'<a href="{e(vector)}"><img src="{e(png)}" alt="{e(r.title or r.stem)}" loading="lazy"></a>'
               if png else "")
        links = " · ".join(f'<a href="{e(f)}">{e(f.rsplit(".", 1)[-1].upper())}</a>' for f in files)
        if r.data:
            links += f' · <a href="{e(r.data)}">数据（CSV）</a>'
        source = f"；数据表 <code>{e(r.source)}</code>" if r.source else ""
        cards.append(
            f'<figure id="{e(r.stem)}">{img}<figcaption><h2>{e(r.title or r.stem)}</h2>'
            f"<p>{e(r.caption)}</p>"
            f'<p class="method">方法：{e(r.method) or "—"}{source}</p>'
            f'<p class="links"><code>{e(r.stem)}</code> · {links}</p></figcaption></figure>')
    groups: dict[str, list[str]] = {}
    for r, card in zip(index.itertuples(), cards):
        groups.setdefault(question_of(r.stem), []).append(card)
    order = [q for q, _ in QUESTIONS if q in groups] + [q for q in groups if q not in dict(QUESTIONS)]
    anchor = {q: f"q{i + 1}" for i, q in enumerate(order)}
    contents = "".join(f'<li><a href="#{anchor[q]}">{e(q)}</a>（{len(groups[q])} 幅）</li>' for q in order)
    sections = "".join(f'<section id="{anchor[q]}"><h2 class="question">{e(q)}</h2>'
                       f'<div class="cards">{"".join(groups[q])}</div></section>' for q in order)
    body = (f"<header><h1>图表目录（共 {len(index)} 幅）</h1>"
            "<p>点击缩略图打开矢量图（SVG，文字可编辑）；每幅图下列出说明、方法与作图所用的数据（CSV，即图中画出的数据）。"
            "清单另见 <a href=\"index.csv\">index.csv</a>。</p>"
            f'<nav><h2>目录</h2><ol class="contents">{contents}</ol></nav></header>'
            f"<main>{sections}</main>")
    font = ""
    if embed_font:  # the page's own characters of the project's CJK font: readable on machines without one
        from ..report import covering_font, font_chars

        subset = covering_font(font_chars(html.unescape(re.sub('<[^>]+>', '', body))), cjk_font)
        font = ("@font-face{font-family:'GalleryCJK';src:url(data:font/woff;base64,"
                f"{subset.woff_b64}) format('woff')}}")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>图表目录</title><style>{font}{_CSS}</style></head><body>{body}</body></html>\n")


