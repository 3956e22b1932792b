"""Every figure is fit for a paper: drawn without missing glyphs or layout failures, at a journal column's size,
with CJK fonts embedded as TrueType in PDF, text kept as text in SVG, labels cut and shown literally, numeric
unit order, legends, captions for every figure and a gallery (issue 14)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from corpus_tools.plots import captions, gallery, overview, style, topics, trends
from corpus_tools.save import write_figure_index
from corpus_tools.plots.style import COLUMN_CM, CM, MAX_HEIGHT_CM, figure_bytes, figure_style

BAD_WARNING = re.compile(r"Glyph .* missing|missing from font|constrained_layout not applied|[Tt]ight.?layout|"
                         r"layout not applied|axes sizes collapsed")
CJK = re.compile(r"[\u4e00-\u9fff]")


# ``study``: the shared session fixture of conftest.py (the bundled booklet analysed once, k fixed).


def _render_checked(make, fmt: str = "png", dpi: int = 72, caplog=None) -> tuple[object, bytes]:
    """Draw a figure and render it; fail on a missing glyph, a layout warning or a font-not-found log."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        data = figure_bytes(fig, fmt, dpi=dpi)
    bad = [str(w.message) for w in caught if BAD_WARNING.search(str(w.message))]
    assert not bad, bad
    if caplog is not None:
        assert not [r.message for r in caplog.records if "findfont" in r.getMessage()]
    return fig, data


def test_single_column_size(booklet):
    with figure_style(figure_size="single"):
        fig, _ = _render_checked(lambda: overview.entries_by_section(booklet.entries))
    assert fig.get_size_inches()[0] == pytest.approx(8.5 / 2.54, abs=0.01)
    with pytest.raises(ValueError):
        style.FigureStyle(figure_size="a4")


def test_png_dpi_is_a_parameter(booklet):
    fig = overview.entries_by_section(booklet.entries)
    from PIL import Image
    import io

    for dpi in (200, 300):
        img = Image.open(io.BytesIO(figure_bytes(fig, "png", dpi=dpi)))
        # the canvas is exactly the figure size (no tight bbox): width in pixels = inches × dpi
        assert abs(img.size[0] - fig.get_size_inches()[0] * dpi) <= 1


def test_pdf_embeds_cjk_font_as_truetype(study, tmp_path):
    assert shutil.which("pdffonts"), "install poppler-utils"
    for stem in ("overview_entries_by_section", "matrix_instructor_topic", "trends_terms_by_unit"):
        fig = study.figures[stem].make()
        (pdf,) = style.save_figure(fig, tmp_path / stem, ("pdf",))
        out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
        rows = [line for line in out.stdout.splitlines() if "NotoSansCJK" in line]
        assert rows, out.stdout
        for row in rows:
            assert "CID TrueType" in row, row  # TrueType outlines, as the font dictionary declares
            cols = row.split()
            assert cols[cols.index("Identity-H") + 1] == "yes", row  # emb
        assert "Mismatch" not in out.stderr, out.stderr
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            assert CJK.search(text), "PDF text is not extractable as Chinese"
    # the booklet's section 信息规划 is a tick label of the overview figure and can be searched in its PDF
    text = subprocess.run(["pdftotext", str(tmp_path / "overview_entries_by_section.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert "信息规划" in text


def test_pdf_font_conversion_keeps_a_valid_cross_reference_table(booklet):
    from corpus_tools.plots.pdffonts import truetype_fonts

    fig = overview.entries_by_section(booklet.entries)
    pdf = figure_bytes(fig, "pdf")
    xref_at = int(re.search(rb"startxref\s+(\d+)", pdf).group(1))
    assert pdf[xref_at:xref_at + 4] == b"xref"
    size = int(re.match(rb"xref\s+0 (\d+)", pdf[xref_at:]).group(1))
    rows = re.findall(rb"(\d{10}) \d{5} n", pdf[xref_at:])
    assert len(rows) == size - 1  # every object but the free entry 0
    for number, row in enumerate(rows, 1):  # each offset is where its object starts
        assert pdf[int(row):].startswith(b"%d 0 obj" % number)
    assert b"/FontFile2" in pdf and truetype_fonts(pdf) == pdf  # already TrueType: left as it is
    assert truetype_fonts(b"%PDF-1.4 not a pdf") == b"%PDF-1.4 not a pdf"


def test_svg_keeps_text_as_text_with_the_cjk_family(study):
    svg = figure_bytes(study.figures["overview_entries_by_section"].make(), "svg").decode("utf-8")
    root = ET.fromstring(svg)
    texts = [el for el in root.iter() if el.tag.endswith("}text")]
    assert texts, "no <text> elements: text was stored as outlines"
    chinese = ["".join(el.itertext()) for el in texts if CJK.search("".join(el.itertext()))]
    assert "信息规划" in chinese and "系统集成" in chinese  # two of the booklet's sections, as editable text
    assert style.svg_font_family() == "'Noto Sans CJK SC', 'DejaVu Sans'"
    assert all(style.svg_font_family() in el.get("style", "") for el in texts if CJK.search("".join(el.itertext())))


def test_long_label_cannot_grow_the_canvas(booklet):
    e = booklet.entries.copy()
    e.loc[e.section == e.section.iloc[0], "section"] = "很长的栏目名" * 500  # 3,000 characters
    fig, png = _render_checked(lambda: overview.entries_by_section(e), dpi=100)
    w, h = fig.get_size_inches()
    assert w == pytest.approx(COLUMN_CM["double"] * CM, abs=0.01) and h <= MAX_HEIGHT_CM * CM
    from PIL import Image
    import io

    size = Image.open(io.BytesIO(png)).size
    assert abs(size[0] - w * 100) <= 1 and abs(size[1] - h * 100) <= 1
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert max(len(t) for t in labels) <= 30 and any(t.endswith("…") for t in labels)


def test_dollar_label_renders_literally(booklet):
    e = booklet.entries.copy()
    e.loc[e.section == e.section.iloc[0], "section"] = r"$\badcmd{x}$"
    fig, _ = _render_checked(lambda: overview.entries_by_section(e))  # mathtext would raise a ParseException
    svg = figure_bytes(fig, "svg").decode("utf-8")
    assert r"$\badcmd{x}$" in svg


def test_units_in_numeric_order(study):
    fig = study.figures["trends_terms_by_unit"].make()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # the booklet has 第1期 units 3–7 and 10–12: unit 3 must come before unit 10 (text order puts 10 first)
    first_3 = next(i for i, t in enumerate(labels) if t.startswith("第1期·第3单元"))
    first_10 = next(i for i, t in enumerate(labels) if t.startswith("第1期·第10单元"))
    assert first_3 < first_10
    cohorts = [int(re.match(r"第(\d+)期", t).group(1)) for t in labels]
    assert cohorts == sorted(cohorts)
    assert trends.unit_sort_key("第3期·第2单元 医院信息规划") < trends.unit_sort_key("第3期·第11单元 X")
    assert trends.unit_sort_key("第3期·第2单元") < trends.unit_sort_key("第3期·答疑讨论课") < \
        trends.unit_sort_key("第10期·第1单元")


def test_heat_map_colour_scale_resists_one_outlier():
    m = pd.DataFrame({"第1期·第1单元 A": [10.0, 20.0, 30.0], "第1期·第2单元 B": [15.0, 25.0, 5000.0]},
                     index=["甲", "乙", "丙"])
    fig, _ = _render_checked(lambda: trends.terms_by_unit_heatmap(m))
    im = fig.axes[0].images[0]
    assert im.norm.vmax < 5000 / 2  # one outlier does not set the scale for everything else
    assert "百分位" in fig.axes[-1].get_ylabel()  # and the colour bar says so


def test_network_figures_label_every_node_and_have_legends(study):
    from corpus_tools.plots import network as network_plots

    G = study.graphs["trainee_instructor"]  # exported for Gephi; drawn on request, not among the run's figures
    fig = network_plots.bipartite_figure(G, "trainee", "学员 → 教员")
    shown = {t.get_text() for t in fig.axes[0].texts}
    names = {d["label"] for _, d in G.nodes(data=True)}
    assert names <= shown, sorted(names - shown)
    legend = " ".join(t.get_text() for lg in fig.legends for t in lg.get_texts())
    assert "节点大小" in legend and "边宽" in legend and "学员" in legend and "教员" in legend
    # the co-answer network: isolated instructors are listed, not scattered over empty space
    fig = study.figures["network_instructor_coanswer"].make()
    Gc = study.graphs["instructor_coanswer"]
    isolated = [d["label"] for n, d in Gc.nodes(data=True) if Gc.degree(n) == 0]
    note = fig.axes[0].get_title(loc="left")
    assert all(name in note for name in isolated)


def test_large_node_does_not_hide_its_label(study):
    """薛万国 answers the most entries (his node is the largest): his label starts beyond the node's edge."""
    from corpus_tools.plots import network as network_plots

    assert "network_instructor_topic" not in study.figures  # a tangle: matrix_instructor_topic draws it instead
    fig = network_plots.bipartite_figure(study.graphs["instructor_topic"], "instructor", "教员 — 主题")
    ax = fig.axes[0]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    label = next(t for t in ax.texts if t.get_text() == "薛万国")
    bbox = label.get_window_extent(renderer)
    x_node = ax.transData.transform(label.xy)[0]
    nodes = ax.collections[-1]
    radius_px = np.sqrt(nodes.get_sizes().max()) / 2 * fig.dpi / 72
    assert bbox.x1 <= x_node - radius_px  # label on the left, ending before the node begins


def test_entry_map_says_what_it_is(study):
    fig = study.figures["topics_entry_map"].make()
    ax = fig.axes[0]
    assert "t-SNE" in ax.get_title(loc="left") and "t-SNE" in ax.get_xlabel()
    legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert len(legend) == len(study.tables["topics"])
    # one representative title per topic, e.g. entry 1's title starts 医院信息科为什么要具备规划能力
    assert sum(t.get_text().startswith("#") for t in ax.texts) == len(study.tables["topics"])


@pytest.mark.parametrize("size", ["double", "single"])
def test_coanswer_labels_sit_on_no_node(study, size):
    """At either width no instructor's name lies on a node (朱晨's, at the right edge, sat on its own node)."""
    with figure_style(figure_size=size):
        fig = study.figures["network_instructor_coanswer"].make()
    ax = fig.axes[0]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    nodes = ax.collections[-1]
    px = ax.transData.transform(nodes.get_offsets())
    radius = np.sqrt(nodes.get_sizes()) / 2 * fig.dpi / 72
    names = [t for t in ax.texts if t.get_text()]
    assert "朱晨" in {t.get_text() for t in names}
    for t in names:
        b = t.get_window_extent(renderer)
        near = np.clip(px, [b.x0, b.y0], [b.x1, b.y1])
        assert (np.hypot(*(near - px).T) >= radius).all(), t.get_text()


def test_topic_column_labels_break_between_words(study):
    """Topic labels are words joined by · (主题1 集成平台·消息·检验): a column label breaks only there, so every line
    is made of whole words of the label (集成平 / 台 was a word cut in two)."""
    fig = study.figures["coverage_unit_by_topic"].make()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    words = {w for lab in study.tables["topics"].label for w in re.split(r"[·：、 ]", lab) if w}
    assert any("\n" in lab for lab in labels)
    for lab in labels:
        for line in lab.split("\n"):
            parts = [w for w in re.split(r"[·：、 …]", line) if w]
            assert all(p in words or p.isdigit() for p in parts), (lab, line)


@pytest.mark.parametrize("size", ["double", "single"])
def test_entry_map_labels_run_through_no_point(study, size):
    """No representative's label box covers any of the 68 points (a dot inside "#48 为何说 CDR…" read as part of
    it), and no two labels overlap."""
    with figure_style(figure_size=size):
        fig = study.figures["topics_entry_map"].make()
    ax = fig.axes[0]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    points = np.vstack([c.get_offsets() for c in ax.collections])
    px = ax.transData.transform(points)
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().startswith("#")]
    assert len(boxes) == len(study.tables["topics"])
    r = 2.0 * fig.dpi / 72  # half a point's marker (22 pt² → 2.3 pt radius) still clear of the text
    for b in boxes:
        inside = (px[:, 0] > b.x0 - r) & (px[:, 0] < b.x1 + r) & (px[:, 1] > b.y0 - r) & (px[:, 1] < b.y1 + r)
        assert not inside.any(), points[inside]
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1:])


def test_axis_titles_everywhere(study):
    for stem in ("topics_top_terms", "overview_entries_by_unit", "matrix_instructor_topic",
                 "trends_top_terms_by_cohort", "keyness_by_section"):
        fig = study.figures[stem].make()
        labels = [ax.get_xlabel() for ax in fig.axes] + [fig.get_supxlabel() if fig._supxlabel else ""]
        assert any(labels), stem
    fig = study.figures["overview_entries_by_unit"].make()
    assert fig.axes[0].get_legend() is not None  # cohort colours explained


def test_word_cloud_is_native_size_and_reuses_font_objects(monkeypatch):
    from PIL import ImageFont

    opened = []
    real = ImageFont.truetype
    monkeypatch.setattr(ImageFont, "truetype", lambda *a, **k: opened.append(a[1:2]) or real(*a, **k))
    calls = []
    wrapped = topics._CachedImageFont.truetype
    monkeypatch.setattr(topics._CachedImageFont, "truetype",
                        staticmethod(lambda *a, **k: calls.append(1) or wrapped(*a, **k)))
    freqs = {"集成平台": 10, "数据": 8, "需求": 5, "厂商": 3, "接口": 2}
    fig = topics.word_cloud(freqs, "主题 0：测试", seed=0)
    assert 0 < len(opened) < len(calls)  # wordcloud asked for fonts more often than the file was opened
    assert topics._truetype.cache_info().currsize == 0  # faces released after the cloud
    fig2 = topics.word_cloud(freqs, "主题 0：测试", seed=0)
    a, b = fig.axes[0].images[0].get_array(), fig2.axes[0].images[0].get_array()
    assert np.array_equal(a, b)  # same seed, same picture
    s = style.current_style()
    ax_px = fig.axes[0].get_position().width * fig.get_figwidth() * s.dpi
    assert a.shape[1] == pytest.approx(ax_px, abs=2)  # rendered at the pixel size it is saved at


def test_no_backend_switch_on_import():
    code = ("import matplotlib; matplotlib.use('svg'); import corpus_tools, corpus_tools.plots.style, "
            "corpus_tools.plots.network, corpus_tools.plots.topics, corpus_tools.plots.trends; "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


def test_captions_cover_every_figure(study):
    facts = dict(n_entries=len(study.booklet.entries), k=8, k_chosen=False, seed=0, perplexity=10.0)
    for stem, spec in study.figures.items():
        c = captions.caption_for(stem, **facts, label="测试", topic_id=0)
        assert c.title and c.caption.endswith("。") and c.method, stem
        assert c.source in study.tables or c.source in ("entries", "units", "turns"), (stem, c.source)  # booklet tables
    c = captions.caption_for("topics_entry_map", **facts)
    assert "68" in c.caption and "困惑度 10" in c.method and "种子 0" in c.method
    with pytest.raises(KeyError):
        captions.caption_for("no_such_figure")


def test_gallery_index_and_data(study, tmp_path):
    stems = ["overview_entries_by_section", "topics_top_terms", "topics_section_heatmap", "wordcloud_cohorts"]
    specs = {s: study.figures[s] for s in stems}
    rendered = {s: {"png": b"x", **({} if specs[s].raster_only else {"svg": b"y"})} for s in stems}
    tables = {**study.tables, "entries": study.booklet.entries}
    paths = write_figure_index(specs, tmp_path, tables, rendered)
    index = pd.read_csv(tmp_path / "index.csv", encoding="utf-8-sig")
    assert list(index.columns) == gallery.INDEX_COLUMNS
    assert list(index.stem) == stems
    row = index.set_index("stem").loc["overview_entries_by_section"]
    assert row.files == "overview_entries_by_section.png;overview_entries_by_section.svg"
    assert row.data == "data/overview_entries_by_section.csv"
    data = pd.read_csv(tmp_path / "data" / "overview_entries_by_section.csv", encoding="utf-8-sig")
    assert len(data) == 68  # the source table: one row per entry of the booklet
    assert index.set_index("stem").loc["wordcloud_cohorts"].files == "wordcloud_cohorts.png;wordcloud_cohorts.svg"
    # a cloud's data file holds exactly the words it offers, with their entry counts
    words = pd.read_csv(tmp_path / "data" / "wordcloud_cohorts.csv", encoding="utf-8-sig")
    assert set(words.columns) >= {"group", "term", "g2", "entries", "n_group"} and (words.entries >= 2).all()
    assert len(words) <= 3 * 20 and set(words.group.astype(str)) == {"1", "2", "3"}
    assert words.groupby("group").n_group.first().sum() == 68  # the booklet's 68 entries, each in one cohort
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    for s in stems:
        assert f'id="{s}"' in page and f'src="{s}.png"' in page
    assert '<a href="overview_entries_by_section.svg"><img' in page
    assert tmp_path / "index.html" in paths
    assert page.count("<figure") == page.count("</figure>") == len(stems)


def test_gallery_in_the_browser(study, run_dir, browser, tmp_path):
    """The gallery page loads without errors, every thumbnail shows, links point at files that exist, and at a
    phone's width the page does not scroll sideways. The figures are the files the session's run drew (PNG and
    SVG); one is also given as PDF, a format the run was not asked for; the word cloud (not in the report, so not
    drawn by a plain run) is drawn here; one figure the run did not draw has no files: its card says so, no image."""
    from browser import assert_clean, open_page, screenshot

    stems = ["overview_entries_by_section", "network_instructor_coanswer", "trends_terms_by_unit",
             "topics_wordcloud", "keyness_dendrogram"]
    specs = {s: study.figures[s] for s in stems}
    rendered = {stem: {fmt: (run_dir / "figures" / f"{stem}.{fmt}").read_bytes() for fmt in ("png", "svg")}
                for stem in stems[:3]}
    rendered["trends_terms_by_unit"]["pdf"] = figure_bytes(specs["trends_terms_by_unit"].make(), "pdf")
    rendered["topics_wordcloud"] = {"png": figure_bytes(specs["topics_wordcloud"].make(), "png")}
    assert not (run_dir / "figures" / "keyness_dendrogram.png").exists()
    for stem, files in rendered.items():
        for fmt, data in files.items():
            (tmp_path / f"{stem}.{fmt}").write_bytes(data)
    write_figure_index(specs, tmp_path, {**study.tables, "entries": study.booklet.entries}, rendered)
    page = open_page(browser, tmp_path / "index.html")
    assert_clean(page)
    # thumbnails load lazily, after the page's load event: wait (up to 10 s) until every one has arrived
    from playwright.sync_api import TimeoutError as PageTimeout

    try:
        page.wait_for_function("() => Array.from(document.querySelectorAll('figure img'))"
                               ".every(i => i.complete && i.naturalWidth > 0)", timeout=10_000)
    except PageTimeout:  # the assertion below says which did not arrive
        pass
    widths = page.eval_on_selector_all("figure img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == len(stems) - 1 and all(w > 300 for w in widths), widths
    undrawn = page.locator("#keyness_dendrogram").inner_text()
    assert "本次运行未画出" in undrawn and "--all-figures" in undrawn
    assert page.locator("#keyness_dendrogram img").count() == 0
    assert "共 5 幅，本次画出 4 幅" in page.inner_text("h1")
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
    assert all((tmp_path / h).is_file() for h in hrefs if not h.startswith("#")), hrefs
    assert "trends_terms_by_unit.pdf" in hrefs and "data/trends_terms_by_unit.csv" in hrefs
    assert page.locator("#topics_wordcloud figcaption").inner_text().strip()
    screenshot(page, "figure_gallery.png")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "figure_gallery_390.png")


# ---------------------------------------------------------------- issue 20: figures at KH Coder's level

SECTIONS = ["信息规划", "系统架构", "系统建设", "系统集成", "项目管理", "数据应用", "网络安全", "IT 运维", "科室管理"]
# the booklet's nine section headings 【…】, at lines 26, 441, 624, 1282, 2032, 2614, 3198, 3420, 3645


def _boxes_overlap(a, b) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


@pytest.mark.parametrize("size", ["double", "single"])
def test_ca_biplot_one_scale_few_terms_labels_apart(study, size):
    """KH Coder's CA map: a unit of dimension 2 is as long on paper as a unit of dimension 1; only the terms that
    contribute most; every section labelled; no two labels overlap; a legend for point size; inertia per axis."""
    import matplotlib

    with figure_style(figure_size=size):
        fig = study.figures["ca_terms_sections"].make()
        with matplotlib.rc_context(style.style_rc()):
            fig.canvas.draw()
    ax = fig.axes[0]
    (x0, y0), (x1, y1) = ax.transData.transform([(0.0, 0.0), (1.0, 1.0)])
    assert abs(x1 - x0) == pytest.approx(abs(y1 - y0), rel=1e-6)  # points per data unit, both axes
    r = fig.canvas.get_renderer()
    shown = [t for t in ax.texts if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(r) for t in shown]
    clashes = [(shown[i].get_text(), shown[j].get_text()) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
               if _boxes_overlap(boxes[i], boxes[j])]
    assert not clashes
    labels = {t.get_text() for t in shown}
    assert set(SECTIONS) <= labels  # all nine sections, none hidden
    limit = 30 if size == "double" else 20
    assert len(labels - set(SECTIONS)) <= limit and len(ax.collections[0].get_offsets()) <= limit
    assert re.search(r"惯量 \d+\.\d%", ax.get_xlabel()) and re.search(r"惯量 \d+\.\d%", ax.get_ylabel())
    legend = fig.legends[0]
    assert "面积" in legend.get_title().get_text() and any("%" in t.get_text() for t in legend.get_texts())


def test_ca_keeps_the_terms_that_contribute_most(study):
    """集成平台 is used only in 【系统集成】 (76 lines from 1378 to 1997, all within lines 1282–2031): it contributes to the plane and is drawn; the
    drawn terms are the top ones by contribution, whatever their frequency."""
    from corpus_tools.plots.codes import ca_contributions

    c, i = study.tables["ca_coordinates"], study.tables["ca_inertia"]
    rows = c[(c.analysis == "terms_sections") & (c.kind == "词语")]
    ctr = ca_contributions(rows, i[i.analysis == "terms_sections"])
    assert ctr.sum() <= 1 + 1e-9 and (ctr >= 0).all()
    top = set(rows.loc[ctr.sort_values(ascending=False).index[:30]].label)
    fig = study.figures["ca_terms_sections"].make()
    drawn = {tuple(np.round(p, 9)) for p in fig.axes[0].collections[0].get_offsets()}
    assert drawn == {tuple(np.round(p, 9)) for p in rows[rows.label.isin(top)][["dim1", "dim2"]].to_numpy()}
    assert "集成平台" in top


@pytest.mark.parametrize("size", ["double", "single"])
def test_every_figure_prints_legibly(study, size, caplog):
    """Every figure of the run, drawn once at each column width: no text under 6 pt, no two tick labels of an axis
    or two annotations of an axes overlapping, no text leaving the canvas, no missing glyph or layout warning."""
    from figure_audit import audit

    caplog.set_level(logging.WARNING, logger="matplotlib.font_manager")
    problems = {}
    assert len(study.figures) >= 25  # charts + one comparison cloud per grouping (cohorts, sections, topics)
    with figure_style(figure_size=size):
        for stem, spec in study.figures.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fig = spec.make()
                found = audit(fig)
            found += [str(w.message) for w in caught if BAD_WARNING.search(str(w.message))]
            w, h = fig.get_size_inches()  # the journal's column width, never taller than a page
            if abs(w - COLUMN_CM[size] * CM) > 0.01 or h > MAX_HEIGHT_CM * CM + 1e-6:
                found.append(f"size {w:.2f} × {h:.2f} in")
            if found:
                problems[stem] = found[:3]
    assert not problems, problems
    assert not [r.message for r in caplog.records if "findfont" in r.getMessage()]  # the CJK font was found


@pytest.mark.parametrize("size", ["double", "single"])
def test_keyness_panels_in_booklet_order_with_entry_counts(study, size):
    """Panels follow the booklet's sections (lines 26 … 3645); every term says in how many of the section's entries
    it occurs. In 【系统建设】 超融合 occurs in one entry only (entry 20, lines 1215–1256; its other use, line 1736,
    is in 【系统集成】), so it no longer tops that panel;
    耗材 occurs in two of its 11 entries (the questions at lines 978 and 1005)."""
    with figure_style(figure_size=size):
        fig = study.figures["keyness_by_section"].make()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title() for ax in panels]
    assert [re.sub(r"（\d+ 条）$", "", t) for t in titles] == SECTIONS
    build = panels[SECTIONS.index("系统建设")]
    assert build.get_title() == "系统建设（11 条）"
    ticks = [t.get_text() for t in build.get_yticklabels()]
    assert not any(t.startswith("超融合") for t in ticks)
    assert "耗材 2/11" in ticks
    for ax in panels:
        bars = [p.get_width() for p in ax.patches]
        for label, g2 in zip([t.get_text() for t in ax.get_yticklabels()], bars):
            n, total = map(int, re.search(r"(\d+)/(\d+)$", label).groups())
            assert n <= total and (g2 < 0 or n >= 2), label
    assert len(build.get_yticklabels()) <= (10 if size == "single" else 16)


def test_comparison_clouds_horizontal_words_as_text(study):
    """One cloud figure per grouping (not one per group); words set horizontally, as text (SVG <text>), none
    under 6 pt; 集成平台 (only in 【系统集成】, lines 1378–1997) is a word of that section's panel."""
    assert {"wordcloud_cohorts", "wordcloud_sections", "topics_wordcloud"} <= set(study.figures)
    assert not [s for s in study.figures if re.match(r"(topics_)?wordcloud_(cohort|section)?_?\d+$", s)]
    fig = study.figures["wordcloud_sections"].make()
    panels = [ax for ax in fig.axes if ax.texts]
    assert len(panels) == 9
    titles = [ax.texts[0].get_text() for ax in panels]
    assert [re.sub(r"（\d+ 条）$", "", t) for t in titles] == SECTIONS
    words = [t for ax in panels for t in ax.texts[1:]]
    assert words and all(t.get_rotation() == 0 and t.get_fontsize() >= 6 for t in words)
    integration = panels[SECTIONS.index("系统集成")]
    assert "集成平台" in [t.get_text() for t in integration.texts[1:]]
    svg = figure_bytes(fig, "svg").decode("utf-8")
    assert "集成平台" in svg and not study.figures["wordcloud_sections"].raster_only


@pytest.mark.parametrize("size", ["double", "single"])
def test_who_answered_what_is_a_matrix_not_a_tangle(study, size):
    """Instructor × section with marginal bars. 王力华 answers in entry 6 (信息规划, line 399), entry 34 (项目管理,
    line 2175), entries 62 (lines 3716, 3792) and 63 (line 3830) of 科室管理; 禹纪文 only in the 超融合 entry of
    系统建设 (line 1232). No trainee or hospital name is drawn in any figure of the run."""
    assert not {"network_trainee_topic", "network_hospital_topic", "network_trainee_instructor"} & set(study.figures)
    assert {"trainee_topic", "hospital_topic", "trainee_instructor"} <= set(study.graphs)  # still exported
    spec = study.figures["matrix_instructor_section"]
    table = spec.args[0]
    wang = table[(table.instructor == "王力华") & (table.entries > 0)].set_index("group").entries.to_dict()
    assert wang == {"信息规划": 1, "项目管理": 1, "科室管理": 2}
    assert table[(table.instructor == "禹纪文") & (table.entries > 0)].group.tolist() == ["系统建设"]
    with figure_style(figure_size=size):
        fig = spec.make()
    ax, top, right = fig.axes[:3]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == "薛万国"  # answers the most entries
    totals = [p.get_width() for p in right.patches]
    assert totals[rows.index("王力华")] == 4
    assert [re.sub(r"\s", "", t.get_text()) for t in ax.get_xticklabels()] == [s.replace(" ", "") for s in SECTIONS]
    people = study.booklet.people
    names = {x for x in set(people[people.role == "trainee"].name) | set(people.hospitals.dropna()) if x}
    assert "张敦明" in names and "中山大学附属第一医院" in names  # the first asker, line 31
    for stem, s in study.figures.items():
        if stem.startswith(("matrix_", "network_")):
            shown = {t.get_text() for t in s.make().findobj(lambda a: hasattr(a, "get_text"))}
            assert not (shown & names), stem


def test_term_network_as_kh_coder_draws_it(study):
    """Nouns used in ≥ 3 entries (the threshold raised until ≤ 75 words remain, as KH Coder picks its default),
    vague words left out, the 60 pairs with the highest Jaccard coefficient among pairs sharing ≥ 2 entries,
    coloured by community, with a legend for colour, area and width. 集成平台 occurs in the ten entries 22, 23 and
    25–32 (lines 1378–1990); vague words (涉及, 形成, 有所, 积极性 …) are not words of the network."""
    import networkx as nx

    from corpus_tools.resources import load_list

    spec = study.figures["network_term_cooccurrence"]
    edges = spec.args[0]
    assert 0 < len(edges) <= 60
    k = int(edges.min_entries.iloc[0])
    assert k >= 3 and (edges.entries_a >= k).all() and (edges.entries_b >= k).all()
    assert (edges.both >= 2).all()  # a pair seen in one entry only is not drawn
    assert ((edges.jaccard > 0) & (edges.jaccard <= 1)).all() and edges.jaccard.is_monotonic_decreasing
    per_word = dict(zip(edges.term_a, edges.entries_a)) | dict(zip(edges.term_b, edges.entries_b))
    assert per_word.get("集成平台") == 10
    vague = {"涉及", "形成", "信息", "积极性", "有所", "关键在于", "理想", "调动", "机会"}
    assert vague <= set(load_list("network_vague_words.txt")) | {"涉及", "形成"}  # the two verbs go by POS
    assert not (vague | set(load_list("network_vague_words.txt"))) & set(per_word)
    # every entry that uses 集成平台 also uses 接口: entries 22 (lines 1378 / 1374), 23 (1420), 25 (1552 / 1569),
    # 26 (1623), 27 (1728), 28 (1766 / 1775), 29 (1837 / 1863), 30 (1874 / 1907), 31 (1933 / 1943), 32 (1983 / 2009)
    pair = edges[(edges.term_a == "接口") & (edges.term_b == "集成平台")]
    assert len(pair) == 1 and int(pair.both.iloc[0]) == 10
    drawn = nx.Graph(list(zip(edges.term_a, edges.term_b)))
    assert nx.number_connected_components(drawn) <= 3  # was 30 fragments with pairs from one entry
    assert f"{nx.number_connected_components(drawn)} 个连通部分" in spec.caption
    assert f"至少见于 {k} 条问答" in spec.caption and "同现于至少 2 条问答" in spec.caption
    fig = spec.make()
    title = fig.legends[0].get_title().get_text().replace("\n", "")
    assert "颜色 = 社群" in title and "圆面积" in title and "线宽 = Jaccard" in title
    nodes = fig.axes[0].collections[-1]
    assert len({tuple(c) for c in nodes.get_facecolors()}) >= 4  # communities, not one colour
    again = spec.make().axes[0].collections[-1].get_offsets()
    assert np.allclose(nodes.get_offsets(), again)  # fixed seed: the same layout every run


def test_captions_and_data_files_match_what_is_drawn(study, tmp_path):
    """Captions state counts computed from the figure's own data, with no doubled characters; each figure's data
    file is what it draws; the gallery is grouped by question under a contents list."""
    from corpus_tools.plots.gallery import plotted_table

    assert not [s for s, spec in study.figures.items() if re.search(r"(.)\1", spec.caption.replace("…", "")) and
                "与与" in spec.caption]
    assert "coverage_questions_per_unit" not in study.figures  # no curriculum given: it repeated the unit bars
    clouds = study.figures["wordcloud_sections"]
    words = plotted_table(clouds)
    assert f"9 组共 {len(words)} 个词" in clouds.caption  # the nine sections of lines 26 … 3645
    matrix = study.figures["matrix_instructor_topic"]
    cells = plotted_table(matrix)
    assert f"共 {cells.instructor.nunique()} 位" in matrix.caption and f"合计 {cells.entries.sum()} 人次" in matrix.caption
    key = plotted_table(study.figures["keyness_by_section"])
    assert list(dict.fromkeys(key.group)) == SECTIONS  # booklet order
    assert not ((key.g2 > 0) & (key.doc_freq < 2)).any() and (key.groupby("group").size() <= 16).all()
    assert key[key.group == "系统建设"].n_group.iloc[0] == 11
    ca = plotted_table(study.figures["ca_terms_sections"])
    assert set(ca.analysis) == {"terms_sections"} and ca["rank"].max() == 60
    specs = {s: study.figures[s] for s in ("overview_entries_by_section", "keyness_by_section", "wordcloud_sections",
                                           "matrix_instructor_topic", "codes_heatmap_section")}
    write_figure_index(specs, tmp_path, {**study.tables, "entries": study.booklet.entries},
                        {s: {"png": b"x", "svg": b"y"} for s in specs})
    data = pd.read_csv(tmp_path / "data" / "wordcloud_sections.csv", encoding="utf-8-sig")
    assert len(data) == len(words) and list(data.term) == list(words.term)
    heat = pd.read_csv(tmp_path / "data" / "codes_heatmap_section.csv", encoding="utf-8-sig")
    assert set(heat["by"]) == {"section"}
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<ol class="contents">' in page
    positions = [page.index(f'id="{s}"') for s in ("overview_entries_by_section", "matrix_instructor_topic",
                                                   "keyness_by_section", "codes_heatmap_section")]
    assert positions == sorted(positions)  # overview, people, words, codes: the questions' order
    assert page.count("<figure") == len(specs)


def test_every_figure_has_its_vector_file_and_data(run_dir, study):
    """Every figure the report shows is written as PNG and SVG, every figure of the study (drawn or left to
    --all-figures) has its data file; the SVG of the section clouds (words are text) keeps 集成平台 as text in the
    CJK family."""
    from corpus_tools.report import REPORT_FIGURES

    figdir = run_dir / "figures"
    index = pd.read_csv(figdir / "index.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(index.stem) == list(study.figures)
    drawn = index[index.stem.isin(REPORT_FIGURES)]
    assert len(drawn) == 20 and (index[~index.stem.isin(REPORT_FIGURES)].files == "").all()
    missing = [f"{s}.{fmt}" for s in drawn.stem for fmt in ("png", "svg") if not (figdir / f"{s}.{fmt}").is_file()]
    assert not missing
    assert all((figdir / d).is_file() for d in index.data)
    svg = figure_bytes(study.figures["wordcloud_sections"].make(), "svg").decode("utf-8")
    assert "集成平台" in svg and "Noto Sans CJK SC" in svg


# ---------------------------------------------------------------- issue 20 item 7: figures that carry findings

NEW_FIGURES = ("codes_share_by_cohort", "keyness_xray", "keyness_dendrogram")


@pytest.mark.parametrize("size", ["double", "single"])
def test_finding_figures_drawn_at_both_sizes(study, size):
    """The three figures exist, at the column's width, legible (audit), with a caption that says what they found."""
    from figure_audit import audit

    assert set(NEW_FIGURES) <= set(study.figures)
    with figure_style(figure_size=size):
        for stem in NEW_FIGURES:
            fig, _ = _render_checked(study.figures[stem].make)
            assert fig.get_size_inches()[0] == pytest.approx(COLUMN_CM[size] * CM, abs=0.01), stem
            assert not audit(fig), (stem, audit(fig))
    from corpus_tools.plots.gallery import question_of

    assert question_of("codes_share_by_cohort") == "编码：能力领域的分布"
    assert question_of("keyness_xray") == question_of("keyness_dendrogram") == "词语：各期、各栏目的用词"


def test_code_share_dots_are_the_table(study):
    """One dot per code and cohort at the share the data file gives, its Wilson interval as the line. Cohort sizes
    from the source notes: 41 entries of 第一期, 16 of 第二期, 11 of 第三期 (e.g. l.963 第一期 … 第 11 单元;
    l.1051 第二期 … 第 5 单元); the legend gives them as n."""
    from corpus_tools.plots.gallery import plotted_table

    spec = study.figures["codes_share_by_cohort"]
    data = plotted_table(spec)
    assert len(data) == data.code.nunique() * 3 and set(data.cohort) == {1, 2, 3}
    fig = spec.make()
    ax = fig.axes[0]
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(dots) == 3
    for cohort, ln in zip((1, 2, 3), dots):
        d = data[data.cohort == cohort]
        assert np.allclose(ln.get_xdata(), d.share.to_numpy(), equal_nan=True)
        segs = ax.collections[cohort - 1].get_segments()
        assert np.allclose([s[0][0] for s in segs], d.ci_low) and np.allclose([s[1][0] for s in segs], d.ci_high)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["第1期（n = 41）", "第2期（n = 16）", "第3期（n = 11）"]
    # the right-hand counts are the table's k/n
    right = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    first = data[data.code == data.code.iloc[0]]
    assert right[0] == " · ".join(f"{k}/{n}" for k, n in zip(first.n_code, first.n_entries))
    # a code marked rising or falling is one the caption names, with its q
    called = data.drop_duplicates("code").query("trend_q < 0.05")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for r in called.itertuples():
        assert (r.code + (" ↑" if r.trend_z > 0 else " ↓")) in labels and r.code in spec.caption


def test_xray_ticks_are_the_entries_using_the_term(study):
    """Each row's ticks are exactly the entries whose (concept) words contain the term, at the entry's place in the
    booklet. 集成平台 (lines 1378–1997) is printed in entries 22 (l.1378, 1404), 23 (l.1420, 1426) and 25–32, not in
    entry 24 (lines 1455–1550); 应急 in entries 53 (l.3244–3295) and 55 (l.3386); 号码 in 56 (l.3427–3462) and 58
    (l.3528)."""
    from corpus_tools.plots.gallery import plotted_table
    from corpus_tools.stages import words

    spec = study.figures["keyness_xray"]
    ticks = plotted_table(spec)
    concepts = words(study, "concept")
    for term, rows in ticks.groupby("term", sort=False):
        assert sorted(rows.entry_id) == sorted(set(concepts[concepts.token == term].entry_id.astype(int))), term
    place = {int(e): i + 1 for i, e in enumerate(study.booklet.entries.entry_id)}
    assert all(place[int(r.entry_id)] == r.position for r in ticks.itertuples())
    got = {t: sorted(ticks[ticks.term == t].entry_id) for t in ("集成平台", "应急", "号码")}
    assert got == {"集成平台": [22, 23, *range(25, 33)], "应急": [53, 55], "号码": [56, 58]}
    # two terms per section, in booklet order of the sections
    assert list(dict.fromkeys(ticks.group)) == SECTIONS and (ticks.groupby("group").term.nunique() <= 2).all()
    # what is drawn is the data file: one vertical line per row of it, at (position, term's row)
    fig = spec.make()
    ax = fig.axes[0]
    row = {t: i for i, t in enumerate(dict.fromkeys(ticks.term))}
    drawn = sorted((round(float(s[0][0])), round(float((s[0][1] + s[1][1]) / 2)))
                   for c in ax.collections[:2] for s in c.get_segments())
    assert drawn == sorted((int(r.position), row[r.term]) for r in ticks.itertuples())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "集成平台 10" in labels
    inside = int((ticks.section == ticks.group).sum())
    assert f"{inside} / {len(ticks)} 条竖线" in spec.caption


def test_dendrogram_leaves_are_the_data_file(study):
    """Terms in ≥ 3 entries, clustered by shared entries; the labels drawn are the data file's terms in leaf
    order. 集成平台 is in entries 22, 23, 25–32 (lines 1378–1997); it clusters with 接口 (both key in
    【系统集成】, lines 1282–2031), apart from 战略 and 规划 (key in 【信息规划】, lines 26–440)."""
    from scipy.cluster.hierarchy import dendrogram

    from corpus_tools.dispersion import cluster_linkage
    from corpus_tools.plots.gallery import plotted_table

    spec = study.figures["keyness_dendrogram"]
    table = plotted_table(spec)
    assert (table.entries >= 3).all() and len(table) >= 20
    row = table.set_index("term")
    assert row.loc["集成平台", "entry_ids"] == ";".join(map(str, [22, 23, *range(25, 33)]))
    assert row.loc["集成平台", "cluster"] == row.loc["接口", "cluster"] != row.loc["规划", "cluster"]
    assert row.loc["战略", "cluster"] == row.loc["规划", "cluster"]
    fig = spec.make()
    ax = fig.axes[0]
    shown = [re.sub(r"（.*", "", t.get_text()) for t in ax.get_yticklabels()]
    leaves = dendrogram(cluster_linkage(table), no_plot=True)["leaves"]
    assert shown == list(table.sort_values("term").term.iloc[leaves])  # bottom to top, as scipy draws them
    assert sorted(shown) == sorted(table.term)
    assert all(t.get_rotation() == 0 for t in ax.get_yticklabels())  # Chinese set level
    assert f"共 {len(table)} 个词" in spec.caption and f"切成 {table.cluster.max()} 簇" in spec.caption


def test_report_shows_the_designers_figures_with_their_files(run_dir):
    """The report shows the code shares by cohort and the key-term dispersion plot at full width (CSS: width 100 %
    of the section), and under each figure links its SVG and its data file, both written beside the page."""
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    for stem in ("codes_share_by_cohort", "keyness_xray", "coverage_unit_by_section"):
        assert f'id="fig-{stem}"' in page, stem
    links = re.findall(r'href="(figures/[^"#]+)"', page)
    assert "figures/codes_share_by_cohort.svg" in links and "figures/data/keyness_xray.csv" in links
    missing = [h for h in links if not (run_dir / h).is_file()]
    assert not missing, missing


def test_readme_lists_the_figures_the_run_draws(study, run_dir):
    """The README's figure count and list are the study's: every stem it names in that paragraph is a figure of
    the study, and every figure is named; those it marks † are the ones a plain run leaves for --all-figures (the
    figures the report does not show), the others are the files the session's run wrote."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    para = text[text.index("The bundled booklet's study"):text.index("Tables are in `data/processed/`")]
    assert int(re.search(r"has \*\*(\d+) figures\*\*", para).group(1)) == len(study.figures)
    named = set(re.findall(r"`([a-z_]+)`", para)) - {"coverage_questions_per_unit", "cohort_trends"}
    assert named == set(study.figures)
    counts = [int(n) for n in re.findall(r"(?:overview|coverage|topics|people|words|codes) (\d+)\s+\(", para)]
    assert sum(counts) == len(study.figures)
    marked = set(re.findall(r"`([a-z_]+)`†", para))
    drawn = {p.stem for p in (run_dir / "figures").glob("*.png")}
    assert len(marked) == 10 and drawn == set(study.figures) - marked
    assert int(re.search(r"draws the \*\*(\d+)\*\* the\s+report shows", para).group(1)) == len(drawn) == 20
