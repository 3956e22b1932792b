"""The project's CJK font: where the file is, and subsets of it cut to the characters a run can show.

One subset serves two readers:

- the pages (report, figure gallery) embed it as a base64 WOFF, so Chinese shows on a machine without CJK fonts;
- the figures are drawn with it as an OpenType file (:func:`corpus_tools.plots.style.font_file`): it holds only
  the glyphs a run can show (about 2,700 for the booklet, of the full font's 65,000), so matplotlib and PIL read
  a small file. Its glyphs keep their outlines and hints (subroutines inlined), so the figures come out byte for
  byte as with the full font (``tests/test_plots.py`` checks the bytes).

This module imports neither pandas nor matplotlib, so a process that only cuts the font starts quickly.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

FONT_FILE = "NotoSansCJKsc-Regular.otf"


class FontNotFound(RuntimeError):
    pass


def cjk_font_path() -> Path:
    """Path of the full CJK font file: ``$CORPUS_TOOLS_FONT`` if set, else Noto Sans CJK SC from ``mplfonts``."""
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


@dataclass(frozen=True)
class FontSubset:
    """The project's CJK font cut down to ``chars``: as base64 WOFF (``woff_b64``, for pages) and as an OpenType
    file's bytes (``otf``, for figures; empty when read back from an older cache entry)."""

    chars: frozenset
    woff_b64: str
    otf: bytes = field(default=b"", repr=False, compare=False)


def font_chars(text: str) -> frozenset:
    """The characters a font subset for ``text`` must hold: those of ``text`` (no control characters), plus ASCII."""
    return frozenset(c for c in set(text) if ord(c) >= 32) | frozenset(chr(c) for c in range(32, 127))


def source_chars(text: str, extra: str = "") -> frozenset:
    """Characters a study of ``text`` (a booklet's text, parsed or not) may show: those of ``text``, every
    character written in the package's own files (its labels, titles, messages and page texts), ``extra`` (e.g.
    the text of the curriculum, codebook and synonyms files), plus ASCII."""
    from .resources import package_cjk_chars

    return font_chars(text + package_cjk_chars() + extra)


def font_subset(chars: frozenset) -> FontSubset:
    """Cut the project's CJK font down to ``chars`` (same characters, same bytes). Hints are kept and
    subroutines inlined: rendered text is then exactly that of the full font, and each glyph is read in one piece.
    Every layout feature is kept, for the default language system and simplified Chinese (ZHS: the pages'
    ``lang="zh-CN"``); the localized forms of Japanese, Korean and traditional Chinese text (JAN, KOR, ZHT, ZHH:
    4 of 10 glyphs of the booklet's subset) are left out, so text of those languages takes the default forms."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # recalcBBoxes=False: keep the full font's (larger) extents instead of measuring every kept glyph again
    font = TTFont(str(cjk_font_path()), recalcTimestamp=False, recalcBBoxes=False)  # same input, same bytes
    options = subset.Options()
    options.layout_features = ["*"]
    scripts = sorted({r.ScriptTag.strip() for t in ("GSUB", "GPOS") if t in font and font[t].table.ScriptList
                      for r in font[t].table.ScriptList.ScriptRecord})
    if scripts:
        options.layout_scripts = [f"{script}.{lang}" for script in scripts for lang in ("dflt", "ZHS")]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = True
    options.desubroutinize = True
    sub = subset.Subsetter(options=options)
    sub.populate(unicodes=sorted(ord(c) for c in chars))
    sub.subset(font)
    otf = io.BytesIO()
    font.save(otf)
    woff = io.BytesIO()
    font.flavor = "woff"
    font.save(woff)
    return FontSubset(frozenset(chars), base64.b64encode(woff.getvalue()).decode(), otf.getvalue())


__all__ = ["FONT_FILE", "FontNotFound", "FontSubset", "cjk_font_path", "font_chars", "font_subset", "source_chars"]
