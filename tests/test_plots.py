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
