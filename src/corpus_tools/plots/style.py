"""The project's figure style: one openly licensed CJK font (Noto Sans CJK SC, SIL OFL, shipped by the PyPI package
``mplfonts``) registered explicitly with matplotlib, and the same file handed to wordcloud.

A bare Linux machine has no CJK font and matplotlib caches its font list, so fonts installed later are not seen;
registering the file by path avoids both problems. Set ``CORPUS_TOOLS_FONT`` to use another font file.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FONT_FILE = "NotoSansCJKsc-Regular.otf"
PALETTE = ["#1b6ca8", "#e07a1f", "#3a9a5b", "#c0392b", "#7d5ba6", "#8c6d31", "#d35d9c", "#5f6b73", "#b5a31b",
           "#17a2b8", "#2c3e50", "#e6a57e"]


class FontNotFound(RuntimeError):
    pass


def cjk_font_path() -> Path:
    """Path of the CJK font file: ``$CORPUS_TOOLS_FONT`` if set, else Noto Sans CJK SC from ``mplfonts``."""
    env = os.environ.get("CORPUS_TOOLS_FONT")
    if env:
        p = Path(env)
        if not p.is_file():
            raise FontNotFound(f"CORPUS_TOOLS_FONT={env}: no such font file")
        return p
    spec = importlib.util.find_spec("mplfonts")
    if spec and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / "fonts" / FONT_FILE
        if p.is_file():
            return p
    raise FontNotFound("the CJK font Noto Sans CJK SC was not found: install the package 'mplfonts' "
                       "(a dependency of corpus_tools) or set CORPUS_TOOLS_FONT to a .otf/.ttf file")


@lru_cache(maxsize=4)
def _register(path: str) -> str:
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def use_cjk_style() -> str:
    """Register the CJK font and make it matplotlib's default; returns the font family name."""
    name = _register(str(cjk_font_path()))
    matplotlib.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [name, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "figure.dpi": 100,
        "savefig.dpi": 300,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "normal",
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "svg.fonttype": "path",
        "svg.hashsalt": "corpus_tools",  # stable element ids: same input, same SVG
        "pdf.fonttype": 42,
    })
    return name


def new_figure(width: float = 7.0, height: float = 4.5) -> Figure:
    """A figure in the project style (not attached to pyplot, so nothing leaks between figures)."""
    use_cjk_style()
    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, stem: str | Path, formats: tuple[str, ...] = ("png", "svg"),
                dpi: int = 300) -> list[Path]:
    """Write ``stem.<fmt>`` for each format (PNG at ``dpi``, 300 by default), atomically; returns the paths."""
    out = []
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        final = stem.with_suffix(f".{fmt}")
        tmp = final.with_name(f".{final.name}.tmp")
        fig.savefig(tmp, format=fmt, dpi=dpi if fmt == "png" else None, metadata=_metadata(fmt))
        os.replace(tmp, final)
        out.append(final)
    return out


def render_all(makers: dict, outdir: Path, formats: tuple[str, ...], raster_only: tuple[str, ...] = (),
               jobs: int = 2) -> list[Path]:
    """Draw and save every figure (``stem → maker``) under ``outdir``; stems starting with one of ``raster_only``
    (word clouds: pictures, not charts) are saved as PNG at 200 dpi only. Figures are drawn in ``jobs`` worker
    processes (joblib's loky backend, which starts clean processes instead of forking this one); the files are
    the same either way."""
    from joblib import Parallel, delayed

    tasks = [(stem, make, Path(outdir), tuple(formats), tuple(raster_only)) for stem, make in makers.items()]
    if jobs > 1 and len(tasks) > 1:
        parts = Parallel(n_jobs=jobs)(delayed(_render_one)(*t) for t in tasks)
    else:
        parts = [_render_one(*t) for t in tasks]
    return [p for part in parts for p in part]


def _render_one(stem: str, make, outdir: Path, formats: tuple[str, ...], raster_only: tuple[str, ...]) -> list[Path]:
    fig = make()
    if stem.startswith(raster_only):
        return save_figure(fig, outdir / stem, ("png",), dpi=200)
    return save_figure(fig, outdir / stem, formats)


def _metadata(fmt: str) -> dict | None:
    # fixed metadata so the same tables give byte-identical SVG/PDF files
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    if fmt == "png":
        return {"Software": None}
    return None
