"""Figures render Chinese with the project's CJK font: a missing glyph fails the test; output is deterministic."""

from __future__ import annotations

import hashlib
import warnings

import pytest
from matplotlib import font_manager

from corpus_tools.plots import overview
from corpus_tools.plots.style import cjk_font_path, save_figure, use_cjk_style


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
        paths = save_figure(fig, tmp_path / stem, ("png", "svg"))
        assert [p.suffix for p in paths] == [".png", ".svg"]
        assert all(p.stat().st_size > 5000 for p in paths)


def test_figures_are_deterministic(booklet, tmp_path):
    digests = []
    for k in range(2):
        fig = overview.entries_by_section(booklet.entries)
        (svg,) = save_figure(fig, tmp_path / f"run{k}", ("svg",))
        digests.append(hashlib.sha256(svg.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_missing_glyph_would_be_caught(tmp_path):
    """The guard itself works: DejaVu Sans has no Chinese, so drawing Chinese with it warns and fails."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig = Figure()
        fig.add_subplot().set_title("中文")
        with pytest.raises(UserWarning, match="Glyph"):
            fig.savefig(tmp_path / "x.png")


def test_topic_figures_render_chinese(booklet, tmp_path):
    import numpy as np

    from corpus_tools.pipeline import RunParams, run_topics, topic_figures
    from corpus_tools.plots import topics as topic_plots
    from corpus_tools.text import tokenizer_for, tokens_table

    tk = tokenizer_for(booklet, cache_dir=tmp_path / "cache")
    params = RunParams(k=6)
    result = run_topics(booklet, tokens_table(booklet, tk), tk, params)
    makers = topic_figures(booklet, result, params, topic_plots)
    assert {"topics_top_terms", "topics_section_heatmap", "topics_entry_map", "topics_wordcloud_00"} <= set(makers)
    for stem in ("topics_top_terms", "topics_section_heatmap", "topics_wordcloud_00"):
        (png,) = save_figure(makers[stem](), tmp_path / stem, ("png",))
        assert png.stat().st_size > 20000
    # the word cloud is drawn with the CJK font: its image is not blank and is the same for the same seed
    a = makers["topics_wordcloud_00"]().axes[0].images[0].get_array()
    b = makers["topics_wordcloud_00"]().axes[0].images[0].get_array()
    assert np.array_equal(a, b) and (np.asarray(a) < 250).mean() > 0.05


def test_network_figures_render_chinese(booklet, tmp_path):
    from corpus_tools.pipeline import RunParams, run_network, run_topics
    from corpus_tools.text import tokenizer_for, tokens_table

    tk = tokenizer_for(booklet, cache_dir=tmp_path / "cache")
    toks = tokens_table(booklet, tk)
    params = RunParams(k=6)
    nets = run_network(booklet, toks, run_topics(booklet, toks, tk, params), params)
    for stem, make in nets.figures.items():
        (png,) = save_figure(make(), tmp_path / stem, ("png",))
        assert png.stat().st_size > 20000, stem
