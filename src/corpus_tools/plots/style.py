"""The project's figure style, in one place: font, sizes, palette, formats.

- **Font.** One openly licensed CJK font (Noto Sans CJK SC, SIL OFL, shipped by the PyPI package ``mplfonts``),
  registered with matplotlib by path (a bare Linux machine has no CJK font, and matplotlib caches its font list),
  and the same file handed to wordcloud. Set ``CORPUS_TOOLS_FONT`` to use another font file.
- **Sizes.** Figures are as wide as a journal column: ``figure_size="double"`` (17.5 cm, the default) or
  ``"single"`` (8.5 cm), never taller than :data:`MAX_HEIGHT_CM`, with 7–9 pt text (6–8 pt for a single column).
  The canvas is exactly the figure size (no ``bbox="tight"``): a long label is cut (:func:`.labels.short_label`),
  it never grows the figure.
- **Palette.** Okabe–Ito for categories (colour-blind safe), ``cividis`` for sequential scales, blue/vermilion
  for diverging bars.
- **Formats.** PNG at ``dpi`` (150 by default, for screens and slides; 300 for print), SVG with text kept as
  ``<text>`` elements (``svg.fonttype = "none"``, ``font-family: 'Noto Sans CJK SC', 'DejaVu Sans'``) and PDF
  with the fonts embedded as TrueType subsets (``pdf.fonttype = 42``), written atomically.

Nothing here switches matplotlib's backend on import: figures are bare :class:`matplotlib.figure.Figure` objects
with their own Agg canvas, which render and save without pyplot. Off-screen programs (the CLI, the pipeline)
may call :func:`use_offscreen_backend`; notebooks keep their inline backend.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..fonts import FONT_FILE, FontNotFound, cjk_font_path as _full_font_path  # noqa: F401 - part of this API


# Okabe & Ito (2008) colour-blind-safe categorical palette, most distinct first (yellow last: weak on white)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#999999", "#F0E442"]
SEQUENTIAL = "Blues"  # single hue, lightness monotone: colour-blind and greyscale safe (see sequential_cmap)
DIVERGING = ("#0072B2", "#D55E00")  # positive / negative (over- / under-used)
NEUTRAL = "#666666"

COLUMN_CM = {"single": 8.5, "double": 17.5}
MIN_PT = 6.0  # the smallest text a journal prints: no text of any figure is smaller, at either column width
MAX_HEIGHT_CM = 23.0  # a journal page's text height: no figure is taller
CM = 1 / 2.54


@dataclass(frozen=True)
class FigureStyle:
    """Style parameters of a run: ``figure_size`` 'single' (8.5 cm) or 'double' (17.5 cm) column; ``dpi`` of
    PNG files (150 by default, 300 for print)."""

    figure_size: str = "double"
    dpi: int = 150

    def __post_init__(self) -> None:
        if self.figure_size not in COLUMN_CM:
            raise ValueError(f"figure_size must be 'single' or 'double' (got {self.figure_size!r})")
        if not 50 <= int(self.dpi) <= 1200:
            raise ValueError(f"dpi must be between 50 and 1200 (got {self.dpi})")

    @property
    def width(self) -> float:
        """Figure width in inches (the column width rounded to 1/100 inch: whole pixels at 100, 200, 300 dpi)."""
        return round(COLUMN_CM[self.figure_size] * CM, 2)

    @property
    def max_height(self) -> float:
        """Largest figure height in inches."""
        return MAX_HEIGHT_CM * CM

    @property
    def font_size(self) -> float:
        """Body text (tick labels, annotations) in points."""
        return 7.0 if self.figure_size == "double" else 6.0

    @property
    def small_size(self) -> float:
        """Cell numbers and point annotations in points: half a point under body text, never under :data:`MIN_PT`."""
        return max(MIN_PT, self.font_size - 0.5)

    @property
    def label_size(self) -> float:
        """Axis titles and legend text in points."""
        return 8.0 if self.figure_size == "double" else 6.5

    @property
    def title_size(self) -> float:
        """Figure and panel titles in points."""
        return 9.0 if self.figure_size == "double" else 7.5

    @property
    def label_chars(self) -> int:
        """Longest tick / node label in characters before it is cut with an ellipsis."""
        return 22 if self.figure_size == "double" else 14


_current = FigureStyle()


def sequential_cmap():
    """The sequential colour map of heat maps: ColorBrewer Blues from 15 % (so the smallest non-zero count is
    visible against white) to 100 %; masked cells (zero / missing) white."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    base = matplotlib.colormaps[SEQUENTIAL]
    return ListedColormap(base(np.linspace(0.15, 1.0, 256)), name="corpus_blues").with_extremes(bad="white")


def current_style() -> FigureStyle:
    """The style figures are drawn in now (see :func:`figure_style`)."""
    return _current


def set_figure_style(style: FigureStyle | None = None, **params) -> FigureStyle:
    """Set the style for the figures drawn from now on (``figure_size=``, ``dpi=``); returns the previous one."""
    global _current
    previous = _current
    _current = replace(style or _current, **params)
    return previous


@contextlib.contextmanager
def figure_style(style: FigureStyle | None = None, **params) -> Iterator[FigureStyle]:
    """Draw the figures of a ``with`` block in ``style`` (or the current style with ``params`` changed)."""
    previous = set_figure_style(style, **params)
    try:
        yield _current
    finally:
        set_figure_style(previous)


def use_figure_size(figure_size: str, dpi: int | None = None) -> None:
    """Draw the next figures for a 'single' (8.5 cm) or 'double' (17.5 cm) journal column (and, if given, for
    PNG files at ``dpi``: word clouds are rendered at that resolution)."""
    set_figure_style(figure_size=figure_size, **({"dpi": int(dpi)} if dpi else {}))


def use_offscreen_backend() -> None:
    """Use the Agg backend (no window, no display needed). Call it in programs that only write files (the CLI,
    the pipeline, worker processes) — never on import, which would switch a notebook off its inline backend."""
    matplotlib.use("Agg")


_font_file: Path | None = None  # a subset of the CJK font figures are drawn with now (see font_file)


def cjk_font_path() -> Path:
    """Path of the CJK font file figures are drawn with: the subset set by :func:`font_file`, else the full font
    (``$CORPUS_TOOLS_FONT`` if set, else Noto Sans CJK SC from ``mplfonts``)."""
    return _font_file or _full_font_path()


@lru_cache(maxsize=8)
def _family_name(path: str) -> str:
    """The family name of the font file ``path``."""
    return font_manager.FontProperties(fname=path).get_name()


_preferred: tuple = ()  # (path, font manager, its ttflist, the list's length) of the last _prefer that held


def _prefer(path: Path) -> str:
    """Register ``path`` as the one file of its face (family name, style, variant, weight, stretch): a subset and
    the full font are the same face, and the font manager would pick either. ``FontManager.addfont`` registers
    ``path`` (and empties findfont's cache); the other files of that face leave the font manager's list (files of
    other weights of the family stay). Cheap when nothing changed since the last call (same file, same font list
    object of the same length: no font was added or removed)."""
    global _preferred
    path_s = str(path)
    name = _family_name(path_s)
    fm = font_manager.fontManager
    state = (path_s, fm, fm.ttflist, len(fm.ttflist))
    if len(state) == len(_preferred) and all(a is b or a == b for a, b in zip(state, _preferred)):
        return name
    faces = {_face(f) for f in fm.ttflist if f.fname == path_s}
    if not faces or any(f.fname != path_s and _face(f) in faces for f in fm.ttflist):
        fm.addfont(path_s)
        mine = list(dict.fromkeys(f for f in fm.ttflist if f.fname == path_s))
        faces = {_face(f) for f in mine}
        fm.ttflist = [f for f in fm.ttflist if f.fname != path_s and _face(f) not in faces] + mine
    _preferred = (path_s, fm, fm.ttflist, len(fm.ttflist))
    return name


def _face(entry) -> tuple:
    """What the font manager matches a font entry by, besides its file: name, style, variant, weight, stretch."""
    return entry.name, entry.style, entry.variant, entry.weight, entry.stretch


def cjk_font_name() -> str:
    """Family name of the registered CJK font (``Noto Sans CJK SC``): the name SVG text elements ask for."""
    return _prefer(cjk_font_path())


@contextlib.contextmanager
def font_file(path: str | Path | None) -> Iterator[None]:
    """Draw the figures of a ``with`` block with the CJK font file ``path`` (a subset of the full font holding
    every character they show, :func:`corpus_tools.fonts.font_subset`: the same pixels, drawn faster); ``None``:
    the full font. The previous choice is restored on leaving."""
    global _font_file
    previous = _font_file
    _font_file = Path(path) if path else None
    try:
        if _font_file != previous:
            _prefer(cjk_font_path())
        yield
    finally:
        if _font_file != previous:
            _font_file = previous
            _prefer(cjk_font_path())


def svg_font_family() -> str:
    """The ``font-family`` value written on every SVG ``<text>`` element."""
    return f"'{cjk_font_name()}', 'DejaVu Sans'"


def style_rc(style: FigureStyle | None = None) -> dict:
    """matplotlib rcParams of ``style`` (the current one by default): a new dict each call."""
    rc = {k: list(v) if isinstance(v, list) else v for k, v in _style_rc(style or _current, cjk_font_name()).items()}
    rc["axes.prop_cycle"] = matplotlib.cycler(color=PALETTE)
    return rc


@lru_cache(maxsize=16)
def _style_rc(s: FigureStyle, name: str) -> dict:
    """:func:`style_rc` for a style and CJK family name, made once (callers get a copy)."""
    return {
        "font.family": [name, "DejaVu Sans"],  # names, not the "sans-serif" alias: resolved when text is made
        "font.sans-serif": [name, "DejaVu Sans"],
        "font.size": s.font_size,
        "axes.titlesize": s.title_size,
        "axes.labelsize": s.label_size,
        "xtick.labelsize": s.font_size,
        "ytick.labelsize": s.font_size,
        "legend.fontsize": s.font_size,
        "legend.title_fontsize": s.font_size,
        "figure.titlesize": s.title_size + 1,
        "axes.unicode_minus": False,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "lines.linewidth": 1.2,
        "lines.markersize": 4,
        "figure.dpi": 100,
        "savefig.dpi": s.dpi,
        "savefig.bbox": None,  # the canvas is the figure size: long labels are cut, they never grow it
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "normal",
        # titles at the axes' top (+ pad): matplotlib's automatic title position measures every y tick label of a
        # titled axes at each draw; a figure with tick labels above its axes (the keyword x-ray) asks for it
        "axes.titley": 1.0,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "image.cmap": SEQUENTIAL,
        "figure.constrained_layout.h_pad": 0.03,
        "figure.constrained_layout.w_pad": 0.03,
        "svg.fonttype": "none",  # text stays text: editable labels
        "svg.hashsalt": "corpus_tools",  # stable element ids: same input, same SVG
        "pdf.fonttype": 42,  # TrueType subsets embedded (see .pdffonts)
        "ps.fonttype": 42,
    }


def use_cjk_style(style: FigureStyle | None = None) -> str:
    """Register the CJK font and make the project style matplotlib's default (for notebooks that draw their own
    figures); returns the font family name. Their titles keep matplotlib's automatic position (a figure of one's own
    may have tick labels above its axes)."""
    rc = style_rc(style)
    rc.pop("axes.titley")
    matplotlib.rcParams.update(rc)
    return cjk_font_name()


def styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Decorator for figure functions: the figure is built inside the project style (rcParams are read when
    artists are created), without changing matplotlib's global settings."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> Figure:
        with matplotlib.rc_context(style_rc()):
            return func(*args, **kwargs)

    return wrapper


def new_figure(height: float | None = None, width: float | None = None, *, aspect: float = 0.62) -> Figure:
    """A figure in the project style, ``width`` inches wide (the column width by default) and ``height`` inches
    high (``aspect`` × width by default), capped at the column width and :data:`MAX_HEIGHT_CM`. Not attached to
    pyplot; it has its own Agg canvas, so it can be measured (text extents) and saved without any backend."""
    s = _current
    w = min(width or s.width, s.width)
    h = min(max(height if height is not None else aspect * w, 1.2), s.max_height)
    fig = PaperFigure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


class PaperFigure(Figure):
    """A matplotlib Figure that shows itself in Jupyter (``_repr_png_``) even when pyplot — which registers
    IPython's figure formatter — was never imported: the project's figures are not managed by pyplot."""

    def _repr_png_(self):
        w, h = self.get_size_inches()
        # 200 dpi pixels shown at 100 px per inch: sharp on high-density screens, the figure's size on others
        return figure_bytes(self, "png", dpi=200), {"width": round(w * 100), "height": round(h * 100)}


def row_height(n_rows: int, per_row_pt: float | None = None, extra: float = 0.9) -> float:
    """Height in inches for ``n_rows`` label rows of the current text size plus ``extra`` inches of titles and
    axes (capped later by :func:`new_figure`)."""
    pt = per_row_pt or _current.font_size * 1.75
    return n_rows * pt / 72 + extra


def save_figure(fig: Figure, stem: str | Path, formats: tuple[str, ...] = ("png", "svg"),
                dpi: int | None = None) -> list[Path]:
    """Write ``stem.<fmt>`` for each format (see :func:`figure_bytes`) through the project's atomic writer;
    returns the paths. (The pipeline renders through :func:`figure_bytes` in worker processes.)"""
    from ..store import write_bytes

    stem = Path(stem)
    return [write_bytes(stem.with_name(f"{stem.name}.{fmt}"), figure_bytes(fig, fmt, dpi)) for fmt in formats]


def figure_bytes(fig: Figure, fmt: str, dpi: int | None = None) -> bytes:
    """The file content of ``fig`` as ``fmt`` ('png' at ``dpi``, the style's 150 by default; 'svg' with text as
    text; 'pdf' with TrueType fonts embedded), with fixed metadata so the same figure gives the same bytes. Laid out
    as :func:`figure_files` lays it out, so it is that function's file in ``fmt``; ``fig`` keeps its layout engine
    (a later draw at another size or resolution lays it out again)."""
    engine = fig.get_layout_engine()
    try:
        return figure_files(fig, (fmt,), dpi)[fmt]
    finally:
        fig.set_layout_engine(engine)


def _figure_bytes(fig: Figure, fmt: str, dpi: int | None = None, texts_done: bool = False) -> bytes:
    """:func:`figure_bytes`; ``texts_done``: :func:`printable_texts` was applied to ``fig`` already, under the same
    style (by :func:`figure_files`: drawing makes no text that its wrapped formatters do not cover)."""
    import io

    buf = io.BytesIO()
    with matplotlib.rc_context(style_rc()):
        if not texts_done:
            printable_texts(fig)  # under the rc the figure is drawn with: its fonts decide what is drawable
        fig.savefig(buf, format=fmt, dpi=(dpi or _current.dpi) if fmt == "png" else None, metadata=_metadata(fmt),
                    # zlib level 3: as small as level 6 for flat-colour charts (often smaller), in half the time
                    **({"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}))
    if fmt == "svg":  # and whatever text a figure made while drawing (e.g. category ticks): the same rule
        from ..text import XML_FORBIDDEN, xml_safe

        svg = buf.getvalue().decode("utf-8")
        return xml_safe(svg).encode("utf-8") if XML_FORBIDDEN.search(svg) else buf.getvalue()
    if fmt == "pdf":  # the CJK font's CFF outlines as TrueType, as the Type 42 font dictionary declares
        from .pdffonts import truetype_fonts

        return truetype_fonts(buf.getvalue())
    return buf.getvalue()


FALLBACK_GLYPH = "□"  # U+25A1 (in Noto Sans CJK): drawn for a character no font of the text has (emoji …)


@lru_cache(maxsize=32)
def _charmap(path: str) -> frozenset:
    """The code points a font file has glyphs for."""
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def _coverage(families: tuple) -> frozenset:
    """Code points drawable by a text of ``families``: matplotlib tries the font file each resolves to (under the
    current rcParams: a generic name such as "sans-serif" resolves to one font), in order."""
    rc = matplotlib.rcParams
    return _resolved_coverage(families, tuple(rc["font.sans-serif"]), tuple(rc["font.serif"]),
                              tuple(rc["font.monospace"]), _font_file)  # None: the full CJK font


@lru_cache(maxsize=64)
def _resolved_coverage(families: tuple, *resolution) -> frozenset:
    """:func:`_coverage`, once per families and what resolves them (the generic families' lists, the CJK file)."""
    return _union(tuple(font_manager.findfont(font_manager.FontProperties(family=[f])) for f in families))


@lru_cache(maxsize=32)
def _union(paths: tuple) -> frozenset:
    return frozenset().union(*(_charmap(p) for p in set(paths)))


def printable(text: str, families: tuple | None = None) -> str:
    """``text`` as a figure can show it: characters XML 1.0 forbids → U+FFFD (:func:`corpus_tools.text.xml_safe`,
    the rule of the graph files, so every SVG is well-formed), characters no font of ``families`` (default: the
    style's) has a glyph for → :data:`FALLBACK_GLYPH` (so matplotlib never warns "Glyph … missing", once per
    figure and process); such a character that is invisible anyway (a format character: zero-width space,
    direction marks, a stray BOM) is dropped instead of boxed."""
    import unicodedata

    from ..text import xml_safe

    text = xml_safe(text)
    if text.isascii():
        return text
    cov = _coverage(tuple(families or _style_rc(_current, cjk_font_name())["font.family"]))
    if all(ord(c) in cov for c in text):
        return text
    return "".join(c if ord(c) in cov or c.isspace() or ord(c) < 32
                   else "" if unicodedata.category(c) == "Cf" else FALLBACK_GLYPH for c in text)


def printable_texts(fig: Figure) -> None:
    """Every text of ``fig`` (titles, tick and axis labels, legends, annotations) through :func:`printable`, in
    place (call it under the rcParams the figure is drawn with): a booklet character XML 1.0 forbids cannot make
    an SVG — or a page that embeds one — not well-formed, and a character the fonts lack (an emoji) is drawn as a
    box without a warning. Tick labels set as a list are made again when drawn, so their formatter is wrapped too
    (once). :func:`figure_bytes` also applies the XML rule to the SVG text, as a last guard."""
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for t in _texts(fig):
        s = t.get_text()
        if isinstance(s, str) and s:
            new = printable(s, tuple(t.get_fontfamily()))
            if new != s:
                t.set_text(new)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for major in (True, False):
                f = axis.get_major_formatter() if major else axis.get_minor_formatter()
                if isinstance(f, (FixedFormatter, FuncFormatter)) and not getattr(f, "_printable", False):
                    wrapped = FuncFormatter(lambda x, pos=None, f=f: printable(str(f(x, pos))))
                    wrapped._printable = True
                    (axis.set_major_formatter if major else axis.set_minor_formatter)(wrapped)


def _texts(fig: Figure) -> Iterator:
    """The Text artists of ``fig`` except tick labels (their text is set from the axis's formatter at every draw):
    ``fig.findobj(Text)`` without asking an axis for its ticks, which would create the ticks of an axis that is
    never drawn (a word cloud's)."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    stack = [fig]
    while stack:
        a = stack.pop()
        if isinstance(a, Text):
            yield a
        stack.extend([a.label, a.offsetText] if isinstance(a, Axis) else a.get_children())


def figure_files(fig: Figure, formats: tuple[str, ...] | list[str], dpi: int | None = None) -> dict[str, bytes]:
    """The file content of ``fig`` in each of ``formats`` (see :func:`figure_bytes`). The layout is solved once,
    at the PNG's resolution (``dpi``) whichever formats are asked for, and then frozen: every format draws the same
    positions without solving the constrained layout again, so a figure's SVG is the same file whether its PNG is
    drawn with it or not (a run adding a format to an earlier run's). A figure without label arrows is laid out by
    its layout engine alone (:func:`_solve_layout`); one with arrows by the PNG's draw (see :func:`freeze_layout`),
    drawn for the layout alone when no PNG is asked for (a figure without a layout engine keeps its positions)."""
    formats = tuple(formats)
    out: dict[str, bytes] = {}
    arrows = _has_arrows(fig)
    if arrows and formats and formats[0] != "png" and fig.get_layout_engine() is not None:
        first = figure_files(fig, ("png",) + tuple(f for f in formats if f != "png"), dpi)
        return {fmt: first[fmt] for fmt in formats}
    if not arrows and formats and fig.get_layout_engine() is not None:
        with matplotlib.rc_context(style_rc()):
            printable_texts(fig)
            _solve_layout(fig, dpi or _current.dpi)
        for fmt in formats:
            out[fmt] = _figure_bytes(fig, fmt, dpi, texts_done=True)
        return out
    for i, fmt in enumerate(formats):
        out[fmt] = _figure_bytes(fig, fmt, dpi, texts_done=i > 0)
        if i == 0 and len(formats) > 1 and fig.get_layout_engine() is not None:
            freeze_layout(fig)
    return out


def _solve_layout(fig: Figure, dpi: float) -> None:
    """Solve ``fig``'s layout once, at the PNG's ``dpi``, and remove its layout engine. Saving a figure that has a
    layout engine draws it twice (a whole draw without output, to lay it out, then the real one); a figure
    without arrows needs only the layout from that first draw (see :func:`freeze_layout`)."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if fig.axes and not isinstance(engine, PlaceHolderLayoutEngine):  # a draw lays out a figure with axes only
        before = fig.dpi
        fig.set_dpi(dpi)
        try:
            engine.execute(fig)
        finally:
            fig.set_dpi(before)
    fig.set_layout_engine(None)
    if fig.get_layout_engine() is None and matplotlib.rcParams["figure.constrained_layout.use"]:  # pragma: no cover
        fig.set_layout_engine("none")


def _has_arrows(fig: Figure) -> bool:
    """Whether ``fig`` has arrows from labels (annotations with an arrow, arrows drawn from a label's box)."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.text import Annotation

    return any(isinstance(t, Annotation) and t.arrow_patch is not None for ax in fig.axes for t in ax.texts) or \
        any(isinstance(p, FancyArrowPatch) and p.patchA is not None for ax in fig.axes for p in ax.patches)


def lay_out(fig: Figure) -> None:
    """Solve ``fig``'s layout now, as its next draw would, without drawing it (its layout engine's ``execute``):
    for a figure function that measures the axes or places labels in pixels before it is finished. Cheaper than
    ``fig.draw_without_rendering()``, which draws every artist besides."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    for ax in fig.axes:  # and the view limits autoscaling will set, as drawing each axes first does
        ax.get_xlim()


def freeze_layout(fig: Figure) -> None:
    """Keep the axes where they are: no layout engine at all. (``"none"`` would keep them too, but matplotlib
    draws a figure that has any layout engine twice when saving it — once to lay it out, once to render.)

    Except in a figure with arrows from labels (annotations with an arrow): an arrow is clipped to its
    label's box as measured by the previous draw, so after a draw at another resolution (the PNG before the SVG)
    it needs that extra draw, or it starts inside its label."""
    fig.set_layout_engine("none" if _has_arrows(fig) else None)
    if fig.get_layout_engine() is None and matplotlib.rcParams["figure.constrained_layout.use"]:  # pragma: no cover
        fig.set_layout_engine("none")


def _metadata(fmt: str) -> dict | None:
    # fixed metadata so the same tables give byte-identical SVG/PDF files
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    if fmt == "png":
        return {"Software": None}
    return None
