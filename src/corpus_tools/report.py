"""The HTML review report: one self-contained file (figures inlined as SVG, a subset of the CJK font embedded, a
searchable and sortable table of all questions), for curriculum designers who do not open Jupyter.

Every piece of booklet text goes through :func:`html.escape`, so a name or a question can never inject markup.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .plots.style import cjk_font_path

CSS = """
@font-face { font-family: 'ReportCJK'; src: url(data:font/woff;base64,{font}) format('woff'); }
body { font-family: 'ReportCJK', 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif; margin: 0;
       color: #1d2731; background: #fafbfc; line-height: 1.6; }
header { background: #1b6ca8; color: white; padding: 24px 40px; }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
main { padding: 16px 40px 60px; max-width: 1200px; }
section { background: white; border: 1px solid #e3e7eb; border-radius: 8px; padding: 12px 24px; margin: 18px 0; }
h2 { color: #1b6ca8; border-bottom: 2px solid #e3e7eb; padding-bottom: 4px; }
.numbers { display: flex; flex-wrap: wrap; gap: 12px; }
.number { background: #eef5fb; border-radius: 6px; padding: 10px 18px; min-width: 110px; }
.number b { display: block; font-size: 26px; color: #1b6ca8; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #5f6b73; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f5f8; cursor: pointer; user-select: none; position: sticky; top: 0; }
th.sorted-asc::after { content: ' ▲'; } th.sorted-desc::after { content: ' ▼'; }
#search { width: 100%; padding: 8px; font-size: 15px; margin: 8px 0; box-sizing: border-box; font-family: inherit; }
.findings li { margin: 4px 0; }
.example { color: #444; font-size: 13px; }
nav a { color: white; margin-right: 14px; font-size: 14px; }
"""

SCRIPT = """
(function () {
  var table = document.getElementById('questions');
  var search = document.getElementById('search');
  var count = document.getElementById('count');
  function filter() {
    var q = search.value.trim().toLowerCase(); var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var ok = !q || row.textContent.toLowerCase().indexOf(q) !== -1;
      row.style.display = ok ? '' : 'none'; if (ok) shown++;
    });
    count.textContent = shown;
  }
  search.addEventListener('input', filter);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('sorted-asc');
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.classList.remove('sorted-asc', 'sorted-desc'); });
      th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'zh');
        return asc ? r : -r;
      });
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  });
  filter();
})();
"""


def esc(value) -> str:
    """Escaped text of a cell (empty for missing values)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def table_html(df: pd.DataFrame, table_id: str | None = None, max_rows: int | None = None) -> str:
    """A plain HTML table of ``df`` with every cell escaped."""
    d = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in d.columns)
    rows = []
    for r in d.itertuples(index=False):
        cells = []
        for v in r:
            sort = f' data-sort="{esc(v)}"' if isinstance(v, (int, float)) and not pd.isna(v) else ""
            cells.append(f"<td{sort}>{esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def figure_svg(fig) -> str:
    """A matplotlib figure as inline SVG (text drawn as paths, so it needs no font)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def font_subset_base64(text: str) -> str:
    """The project's CJK font cut down to the characters of ``text`` (plus ASCII), as base64 WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    chars = set(text) | {chr(c) for c in range(32, 127)} | set("，。、：；？！（）“”《》【】…—·▲▼")
    font = TTFont(str(cjk_font_path()), recalcTimestamp=False)  # same input, same bytes
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options=options)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class ReportSection:
    anchor: str
    title: str
    body: str


@dataclass
class Report:
    """Sections in order; :meth:`render` gives the whole HTML document."""

    title: str
    subtitle: str
    sections: list[ReportSection] = field(default_factory=list)

    def add(self, anchor: str, title: str, body: str) -> None:
        self.sections.append(ReportSection(anchor, title, body))

    def render(self, embed_font: bool = True) -> str:
        nav = "".join(f'<a href="#{s.anchor}">{esc(s.title)}</a>' for s in self.sections)
        body = "".join(f'<section id="{s.anchor}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in self.sections)
        visible = re.sub(r"<[^>]+>", "", html.unescape(self.title + self.subtitle + nav + body))
        font = font_subset_base64(visible) if embed_font else ""
        css = CSS.replace("{font}", font)
        return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{esc(self.title)}</title><style>{css}</style></head><body>"
                f"<header><h1>{esc(self.title)}</h1><div>{esc(self.subtitle)}</div><nav>{nav}</nav></header>"
                f"<main>{body}</main><script>{SCRIPT}</script></body></html>")


# ---------------------------------------------------------------- the review report

def numbers_html(items: list[tuple[str, object]]) -> str:
    return '<div class="numbers">' + "".join(f'<div class="number"><b>{esc(v)}</b>{esc(k)}</div>'
                                             for k, v in items) + "</div>"


def list_html(sentences: list[str]) -> str:
    return '<ul class="findings">' + "".join(f"<li>{esc(s)}</li>" for s in sentences) + "</ul>"


def questions_table(booklet, entry_topics: pd.DataFrame | None, topics: pd.DataFrame | None,
                    names: dict[str, str] | None = None) -> pd.DataFrame:
    """All questions with section, unit, cohort, topic, askers' hospitals and instructors (one row per entry)."""
    e = booklet.entries
    names = names or {}
    topic_of = {}
    if entry_topics is not None and topics is not None:
        first = entry_topics[entry_topics["rank"] == 1]
        topic_of = {r.entry_id: f"{int(r.topic_id)} {topics.label[int(r.topic_id)]}" for r in first.itertuples()}
    a = booklet.askers[booklet.askers.opens_entry]
    hosp = a.groupby("entry_id").hospital_canonical.apply(lambda s: "、".join(dict.fromkeys(x for x in s if x)))
    rows = []
    for r in e.itertuples():
        unit = (f"第{int(r.unit_no)}单元 {r.unit_title}" if r.session_type == "unit" and not pd.isna(r.unit_no)
                else ("答疑讨论课" if r.session_type == "discussion" else ""))
        askers = "、".join(names.get(n, n) for n in str(r.asked_by).split("、") if n) or (
            "（匿名学员）" if r.asked_by_role == "trainee" else "")
        rows.append({"编号": r.entry_id, "栏目": r.section, "问题": r.title,
                     "期次": "" if pd.isna(r.cohort) else f"第{int(r.cohort)}期", "单元": unit,
                     "主题": topic_of.get(r.entry_id, ""), "提问人": askers, "提问人医院": hosp.get(r.entry_id, ""),
                     "作答教员": r.answered_by, "行": r.line_start})
    return pd.DataFrame(rows)


def build_review(run, figdir: Path | None = None) -> Report:
    """The review report of a finished pipeline run (:class:`corpus_tools.pipeline.RunResult`). Figures are taken
    from ``figdir`` (SVG inlined, else PNG embedded) when they are there, else drawn again."""
    from . import coverage, findings
    from .network import trainee_names

    b = run.booklet
    an = run.analyses
    topics = an["topics"].tables
    cov = an["coverage"].tables
    tr = an["trends"].tables
    anonymise = run.params.anonymise
    names = trainee_names(b.people, anonymise)

    def fig(stem: str, caption: str) -> str:
        inner = ""
        svg = figdir / f"{stem}.svg" if figdir else None
        png = figdir / f"{stem}.png" if figdir else None
        if svg is not None and svg.exists():
            text = svg.read_text(encoding="utf-8")
            inner = text[text.index("<svg"):]
        elif png is not None and png.exists():
            inner = (f'<img alt="" style="max-width:100%" '
                     f'src="data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}">')
        else:
            for a in an.values():
                if stem in a.figures:
                    inner = figure_svg(a.figures[stem]())
        if not inner:
            return ""
        return f"<figure>{inner}<figcaption>{esc(caption)}（figures/{esc(stem)}）</figcaption></figure>"

    rep = Report(title="培训班问答合集 · 课程评审报告",
                 subtitle=f"{Path(str(b.meta.get('source', ''))).name} · {len(b.entries)} 条问答 · "
                          f"sha256 {str(b.meta.get('sha256', ''))[:12]}")
    numbers = [("条问答", len(b.entries)), ("个栏目", len(b.sections)), ("个期次", b.entries.cohort.nunique()),
               ("个单元/讨论课", len(b.units)), ("位提问学员", int((b.people.role == "trainee").sum())),
               ("位作答教员", int((b.people.role == "instructor").sum())), ("家医院", len(b.hospitals)),
               ("个主题", len(topics["topics"]))]
    rep.add("numbers", "关键数字", numbers_html(numbers) + fig("overview_entries_by_section", "各栏目问答条数"))
    first = topics["entry_topics"][topics["entry_topics"]["rank"] == 1][["entry_id", "topic_id"]]
    sentences = (findings.coverage_findings(cov["curriculum"], cov["coverage_units"], cov["homeless_by_section"])
                 + findings.topic_findings(topics["topics"], cov.get("homeless_by_topic")))
    rep.add("coverage", "课程覆盖与缺口",
            list_html(sentences) + fig("coverage_questions_per_unit", "各期课程单元引出的问答条数")
            + fig("coverage_unit_by_section", "课程单元 × 栏目") + fig("coverage_unit_by_topic", "课程单元 × 主题")
            + "<h3>每个课程单元一行</h3>" + table_html(cov["coverage_units"]))
    ex = first.merge(b.entries[["entry_id", "title"]], on="entry_id").merge(
        topics["entry_topics"][topics["entry_topics"]["rank"] == 1][["entry_id", "weight"]], on="entry_id")
    items = []
    for t in topics["topics"].itertuples():
        qs = ex[ex.topic_id == t.topic_id].sort_values(["weight", "entry_id"], ascending=[False, True]).head(3)
        items.append(f"<li><b>主题 {int(t.topic_id)}：{esc(t.label)}</b>（{int(t.size)} 条）<br>"
                     f"<span class='example'>关键词：{esc(t.top_terms)}</span><ul>"
                     + "".join(f"<li class='example'>{esc(q)}</li>" for q in qs.title) + "</ul></li>")
    rep.add("topics", "主题与例题", "<ul>" + "".join(items) + "</ul>"
            + fig("topics_section_heatmap", "栏目 × 主题") + fig("topics_top_terms", "各主题关键词"))
    net = an["network"].tables
    rep.add("network", "谁问、谁答、关于什么",
            fig("network_instructor_topic", "教员 — 主题") + "<h3>依赖单一教员的主题</h3>"
            + table_html(net["topic_dependence"]) + "<h3>教员的主题跨度</h3>" + table_html(net["instructor_specialisation"])
            + fig("network_instructor_coanswer", "教员共同作答"))
    rep.add("trends", "趋势与关键词",
            list_html(findings.trend_findings(tr["emerging_fading_terms"], max_terms=4))
            + fig("trends_top_terms_by_cohort", "高频词在各期的使用") + fig("keyness_by_cohort", "各期关键词")
            + fig("keyness_by_section", "各栏目关键词"))
    q = questions_table(b, topics["entry_topics"], topics["topics"], names)
    rep.add("questions", "全部问题",
            '<input id="search" type="search" placeholder="搜索：问题、栏目、单元、医院、教员……">'
            f'<div>显示 <span id="count">{len(q)}</span> / {len(q)} 条（点击表头排序）</div>'
            + table_html(q, table_id="questions"))
    notes = ("答疑内容由 HIT 专家网整理，未经发言者本人审核确认（见原书）。"
             + ("学员以编号代替姓名。" if anonymise else ""))
    rep.add("about", "说明", f"<p>{esc(notes)}</p><p>生成自 corpus_tools；参数："
                               f"{esc(run.params)}</p>")
    return rep
