"""Figures render Chinese with the project's CJK font: a missing glyph fails the test; output is deterministic;
the package never switches matplotlib's backend; files are written atomically."""

from __future__ import annotations

import hashlib
import io
import warnings

import matplotlib
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager

from corpus_tools.plots import overview
from corpus_tools.plots.style import (cjk_font_path, figure_bytes, new_figure, save_figure, styled,
                                      use_cjk_style, use_offscreen_backend)


@pytest.fixture(autouse=True)
def glyph_warnings_fail():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Glyph.*missing.*")
        warnings.filterwarnings("error", message=".*missing from font.*")
        yield


def test_font_is_an_open_cjk_font():
    path = cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    name = use_cjk_style()
    assert name == "Noto Sans CJK SC"
    assert font_manager.findfont(name, fallback_to_default=False) == str(path)


def test_overview_figures_render_without_missing_glyphs(booklet, tmp_path):
    for fig, stem in ((overview.entries_by_section(booklet.entries), "a"),
                      (overview.entries_by_unit(booklet.units), "b")):
        paths = save_figure(fig, tmp_path / stem, ("png", "svg", "pdf"))
        assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
        assert all(p.stat().st_size > 5000 for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "a.png", "a.svg", "b.pdf", "b.png", "b.svg"]


def test_figures_are_deterministic(booklet):
    digests = {fmt: {hashlib.sha256(figure_bytes(overview.entries_by_section(booklet.entries), fmt)).hexdigest()
                     for _ in range(2)} for fmt in ("svg", "pdf", "png")}
    assert all(len(d) == 1 for d in digests.values()), digests


def test_missing_glyph_would_be_caught(tmp_path):
    """The guard itself works: DejaVu Sans has no Chinese, so drawing Chinese with it warns and fails."""
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig = Figure()
        fig.add_subplot().set_title("中文")
        with pytest.raises(UserWarning, match="Glyph"):
            fig.savefig(tmp_path / "x.png")


def test_style_does_not_leak_into_global_settings(booklet):
    before = dict(matplotlib.rcParams)
    overview.entries_by_section(booklet.entries)
    assert matplotlib.rcParams["font.family"] == before["font.family"]
    assert matplotlib.rcParams["svg.fonttype"] == before["svg.fonttype"]


def test_figure_built_in_style_keeps_its_font_outside_the_style():
    """Text keeps the CJK family it was made with, so a notebook (outside the style context) draws it right."""

    @styled
    def make():
        fig = new_figure()
        fig.add_subplot().set_title("各栏目问答条数")
        return fig

    fig = make()
    assert fig.axes[0].title.get_fontfamily()[0] == "Noto Sans CJK SC"
    fig.canvas.draw()  # outside the style: no missing-glyph warning (it would raise here)


def test_render_figures_gives_bytes_per_format_and_writes_nothing(booklet, tmp_path, monkeypatch):
    from corpus_tools.render import render_figures
    from corpus_tools.study import FigureSpec, Params, Study

    use_offscreen_backend()
    assert matplotlib.get_backend().lower() == "agg"
    monkeypatch.chdir(tmp_path)
    figures = {"overview_entries_by_section": FigureSpec("overview_entries_by_section", overview.entries_by_section,
                                                         (booklet.entries,)),
               "wordcloud_x": FigureSpec("wordcloud_x", overview.entries_by_section, (booklet.entries,),
                                         raster_only=True)}
    study = Study(booklet, Params(jobs=1, formats=("png", "svg"), all_figures=True), figures=figures)
    out = render_figures(study, cache=None)
    assert {k: sorted(v) for k, v in out.items()} == {"overview_entries_by_section": ["png", "svg"],
                                                      "wordcloud_x": ["png"]}
    # without all_figures, a run draws only the figures its report shows
    plain = render_figures(Study(booklet, Params(jobs=1, formats=("png",)), figures=figures), cache=None)
    assert list(plain) == ["overview_entries_by_section"]
    assert out["wordcloud_x"]["png"].startswith(b"\x89PNG") and b"<svg" in out["overview_entries_by_section"]["svg"]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_figures_show_themselves_in_jupyter_without_pyplot(booklet):
    """A notebook that never imports pyplot still displays the project's figures (IPython calls _repr_png_)."""
    fig = overview.entries_by_section(booklet.entries)
    data, meta = fig._repr_png_()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta["width"] == round(fig.get_size_inches()[0] * 100)


def test_figures_drawn_with_the_runs_font_subset_are_the_full_fonts_bytes(booklet, tmp_path):
    """A run draws its figures with the CJK font cut to the characters it can show (faster: corpus_tools.fonts).
    That must change nothing: a chart with Chinese labels (PNG and SVG) and a word cloud (PIL draws it) come out
    byte for byte as with the full font, and leaving the block puts the full font back. Text shaped as simplified
    Chinese (the pages' lang="zh-CN") keeps its own forms too: the font's ZHS rules give “"”, “'” and “—” other
    glyphs than the default rules (the subset keeps the default and ZHS language systems only)."""
    from corpus_tools.fonts import font_subset, source_chars
    from corpus_tools.plots.style import font_file, freeze_layout
    from corpus_tools.plots.topics import word_cloud
    from corpus_tools.report import booklet_text

    def draw():
        fig = overview.entries_by_section(booklet.entries)
        out = {"png": figure_bytes(fig, "png")}
        freeze_layout(fig)
        out["svg"] = figure_bytes(fig, "svg")
        cloud = word_cloud({"数据中心": 9, "集成平台": 7, "电子病历": 5, "互联互通": 4, "信息安全": 3}, "主题 0：数据")
        out["cloud"] = figure_bytes(cloud, "png")
        for lang in ("en", "zh-CN"):  # not None: the default follows the machine's locale
            with matplotlib.rc_context({"text.language": lang}):
                quotes = new_figure(0.8, 2.0)
                quotes.text(0.05, 0.4, '"规划" — \'CIO\'', fontsize=14)
                out[f"quotes {lang}"] = figure_bytes(quotes, "png")
        assert out["quotes en"] != out["quotes zh-CN"]  # the ZHS forms differ: the comparison below can fail
        return out

    full = cjk_font_path()
    expected = draw()
    subset = font_subset(source_chars(booklet_text(booklet)))
    path = tmp_path / "subset.otf"
    path.write_bytes(subset.otf)
    assert 0 < len(subset.otf) < full.stat().st_size / 10
    # cut from the default and simplified-Chinese language systems only: no other language's localized forms
    # (with them, 4,350 glyphs for the booklet's 2,077 characters instead of 2,660)
    cut = TTFont(io.BytesIO(subset.otf))
    for table in ("GSUB", "GPOS"):
        records = [s.Script for s in cut[table].table.ScriptList.ScriptRecord]
        kept = {r.LangSysTag for script in records for r in script.LangSysRecord}
        assert kept == {"ZHS "} if table == "GSUB" else kept <= {"ZHS "}, table  # (GPOS: no rule of ZHS's own)
        assert all(script.DefaultLangSys is not None for script in records), table
    assert len(cut.getGlyphOrder()) < 1.4 * len(subset.chars)
    with font_file(path):
        assert cjk_font_path() == path
        assert font_manager.findfont("Noto Sans CJK SC", fallback_to_default=False) == str(path)
        got = draw()
    assert cjk_font_path() == full
    assert font_manager.findfont("Noto Sans CJK SC", fallback_to_default=False) == str(full)
    assert got.keys() == expected.keys()
    for fmt in expected:
        assert got[fmt] == expected[fmt], fmt


def test_lay_out_places_the_axes_where_a_draw_would(booklet):
    """``style.lay_out`` (the layout engine alone) leaves a figure's axes and view limits where
    ``draw_without_rendering`` (a whole draw) leaves them: figure functions that measure the axes before they
    finish (the heat maps' column labels, the CA maps, the networks) use it instead of a draw. The sections of the
    booklet as long row labels move the axes right of where the figure starts."""
    import numpy as np

    from corpus_tools.plots.style import lay_out

    sections = list(dict.fromkeys(booklet.entries.section))
    assert len(sections) == 9

    @styled
    def bars():
        fig = new_figure(3.0)
        ax = fig.add_subplot()
        ax.barh(range(len(sections)), np.arange(1, len(sections) + 1))
        ax.set_yticks(range(len(sections)), [f"{s}（栏目）" for s in sections])
        return fig

    drawn, laid, untouched = bars(), bars(), bars()
    drawn.draw_without_rendering()
    lay_out(laid)
    for fig in (drawn, laid, untouched):
        fig.set_layout_engine("none")
    assert np.allclose(laid.axes[0].get_position().bounds, drawn.axes[0].get_position().bounds)
    assert laid.axes[0].get_xlim() == drawn.axes[0].get_xlim()
    assert not np.allclose(untouched.axes[0].get_position().bounds, drawn.axes[0].get_position().bounds)


def test_a_figures_svg_is_the_same_file_drawn_with_its_png_or_alone(booklet):
    """The SVG (or PDF) of a figure is one file whatever formats are drawn with it: a run with ``--formats svg``,
    or one adding SVG to an earlier PNG run (a rerun draws only the format added), writes the SVG a run drawing
    both writes. The layout is solved at the PNG's resolution either way; solved at the SVG's own 72 dpi the
    constrained layout put the axes of 20 of the booklet's 30 figures elsewhere, by fractions of a point. A figure
    with a label arrow is laid out by its PNG's draw, made for the layout when no PNG is asked for."""
    from corpus_tools.plots.style import _has_arrows, figure_files

    sections = list(dict.fromkeys(booklet.entries.section))

    @styled
    def with_arrow():
        fig = new_figure(2.5)
        ax = fig.add_subplot()
        ax.bar(range(len(sections)), range(1, len(sections) + 1))
        ax.set_ylabel("条数（纵轴标题较长）")
        ax.annotate(sections[0], xy=(0, 1), xytext=(4, 8), arrowprops={"arrowstyle": "->"})
        return fig

    assert _has_arrows(with_arrow()) and not _has_arrows(overview.entries_by_section(booklet.entries))
    for make in (lambda: overview.entries_by_section(booklet.entries), with_arrow):
        both = figure_files(make(), ("png", "svg", "pdf"))
        assert figure_files(make(), ("svg",)) == {"svg": both["svg"]}
        assert figure_files(make(), ("pdf", "svg")) == {"pdf": both["pdf"], "svg": both["svg"]}
        assert figure_bytes(make(), "svg") == both["svg"]
