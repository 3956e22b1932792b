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
import functools
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
    folder = _mplfonts_folder()
    if folder is not None and (folder / "fonts" / FONT_FILE).is_file():
        return folder / "fonts" / FONT_FILE
    raise FontNotFound("the CJK font Noto Sans CJK SC was not found: install the package 'mplfonts' "
                       "(a dependency of corpus_tools) or set CORPUS_TOOLS_FONT to a .otf/.ttf file")


@functools.lru_cache(maxsize=1)
def _mplfonts_folder() -> Path | None:
    """The folder of the installed ``mplfonts`` package (looked up once per process: figures ask for the font's
    path for every text they draw), or None."""
    spec = importlib.util.find_spec("mplfonts")
    if spec and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return None


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


def font_subset(chars: frozenset, layout: bytes | None = None) -> FontSubset:
    """Cut the project's CJK font down to ``chars`` (same characters, same bytes) with HarfBuzz's subsetter
    (``uharfbuzz``, in C++; fontTools' decompiles and recompiles every kept glyph in Python), from
    ``layout`` (:func:`layout_font`'s bytes, made here when not given); the WOFF is written by fontTools. Hints
    are kept and subroutines inlined: rendered text is then exactly that of the full font, and each glyph is read
    in one piece. Every layout feature is kept, for the default language system and simplified Chinese (ZHS: the
    pages' ``lang="zh-CN"``); the localized forms of Japanese, Korean and traditional Chinese text (JAN, KOR,
    ZHT, ZHH: 4 of 10 glyphs of the booklet's subset) are left out, so text of those languages takes the default
    forms."""
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    subset_input = hb.SubsetInput()
    for c in sorted(chars):
        subset_input.unicode_set.add(ord(c))
    subset_input.flags = hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NOTDEF_OUTLINE
    for kept in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.NAME_ID):  # all of them
        tags = subset_input.sets(kept)
        tags.clear()
        tags.invert()
    face = hb.Face(hb.Blob(layout_font() if layout is None else layout))
    otf = hb.subset(face, subset_input).blob.data
    font = TTFont(io.BytesIO(otf), recalcTimestamp=False, recalcBBoxes=False)
    font.flavor = "woff"
    woff = io.BytesIO()
    font.save(woff)
    return FontSubset(frozenset(chars), base64.b64encode(woff.getvalue()).decode(), otf)


def layout_font(path: Path | None = None) -> bytes:
    """The bytes of the CJK font file ``path`` (default: :func:`cjk_font_path`) with the language systems of its
    layout tables (GSUB, GPOS) cut to each script's default one and simplified Chinese (ZHS); every other table
    as in the file. HarfBuzz's subsetter keeps the features of every language system it finds, so
    :func:`font_subset` cuts from this. Made once per process and font file (a run keeps it in its cache)."""
    p = Path(path) if path is not None else cjk_font_path()
    st = p.stat()
    return _layout_font(str(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _layout_font(path: str, size: int, mtime_ns: int) -> bytes:
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcTimestamp=False, recalcBBoxes=False, lazy=True)  # tables left alone are copied
    for tag in ("GSUB", "GPOS"):
        if tag in font and font[tag].table.ScriptList:
            for record in font[tag].table.ScriptList.ScriptRecord:
                script = record.Script
                script.LangSysRecord = [r for r in script.LangSysRecord if r.LangSysTag.strip() == "ZHS"]
                script.LangSysCount = len(script.LangSysRecord)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


__all__ = ["FONT_FILE", "FontNotFound", "FontSubset", "cjk_font_path", "font_chars", "font_subset", "layout_font",
           "source_chars"]
