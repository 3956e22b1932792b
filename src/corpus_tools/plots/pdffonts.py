"""TrueType outlines for the fonts embedded in a PDF that matplotlib wrote (``pdf.fonttype = 42``).

matplotlib declares every embedded font of a Type 42 PDF a TrueType font (``CIDFontType2``, ``FontFile2``) and
embeds the glyphs of the font file the text was drawn with. Noto Sans CJK is an OpenType font with PostScript (CFF)
outlines, and a CFF font under that declaration is a malformed PDF (poppler: "Mismatch between font type and
embedded font file"). :func:`truetype_fonts` converts each such embedded font (a subset of a few hundred glyphs)
to quadratic TrueType outlines with fontTools (the recipe of its ``otf2ttf`` snippet, tolerance 1 font unit),
so the declaration is true. Glyph order and advance widths are kept, so the PDF's ``CIDToGIDMap`` and ``W``
arrays stay valid.

Works on the bytes of a PDF with one classic cross-reference table (what matplotlib writes); a PDF of any other
layout is returned unchanged. Only public APIs: fontTools and zlib.
"""

from __future__ import annotations

import io
import re
import zlib

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_HEAD = re.compile(rb"xref\s+0 (\d+)\s+")
_XREF_ROW = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_FONT_FILE = re.compile(rb"(\d+ 0 obj\s*<<)(?P<dict>[^>]*?/Length1 \d+[^>]*)>>\s*stream\r?\n", re.S)


def truetype_fonts(pdf: bytes) -> bytes:
    """``pdf`` with every embedded CFF-outlined font stream (``/Length1``, FlateDecode) replaced by the same font
    with TrueType outlines, the cross-reference table rebuilt; unchanged when there is nothing to convert or the
    file is not laid out as matplotlib writes it."""
    layout = _layout(pdf)
    if layout is None:
        return pdf
    header, objects, xref_at, trailer = layout
    changed = False
    new_objects = []
    for number, chunk in objects:
        converted = _converted_font_object(chunk)
        changed |= converted is not None
        new_objects.append((number, converted if converted is not None else chunk))
    if not changed:
        return pdf
    return _assemble(header, new_objects, trailer)


def _layout(pdf: bytes) -> tuple[bytes, list[tuple[int, bytes]], int, bytes] | None:
    """``(bytes before the first object, [(object number, its bytes)] in file order, offset of the xref table,
    the trailer after the table)``; None unless the PDF has exactly one classic xref table covering every object."""
    end = _STARTXREF.search(pdf)
    if end is None or pdf.count(b"startxref") != 1:
        return None
    xref_at = int(end.group(1))
    head = _XREF_HEAD.match(pdf, xref_at)
    if head is None:
        return None
    size = int(head.group(1))
    offsets: dict[int, int] = {}
    pos = head.end()
    for number in range(size):
        row = _XREF_ROW.match(pdf, pos)
        if row is None:
            return None
        if row.group(3) == b"n":
            offsets[number] = int(row.group(1))
        pos = row.end() + 2  # each row is 20 bytes: 18 + a two-byte end of line
    trailer = pdf[pos:]
    if not trailer.lstrip().startswith(b"trailer") or not offsets:
        return None
    order = sorted(offsets.items(), key=lambda kv: kv[1])
    bounds = [off for _, off in order] + [xref_at]
    if bounds != sorted(bounds) or bounds[0] <= 0:
        return None
    objects = [(number, pdf[start:stop]) for (number, start), stop in zip(order, bounds[1:])]
    if any(not chunk.startswith(b"%d 0 obj" % number) for number, chunk in objects):
        return None
    return pdf[:bounds[0]], objects, xref_at, trailer


def _converted_font_object(chunk: bytes) -> bytes | None:
    """The object ``chunk`` with its font stream converted to TrueType outlines, or None (not a CFF font file)."""
    m = _FONT_FILE.match(chunk)
    if m is None or b"/FlateDecode" not in m.group("dict"):
        return None
    length = re.search(rb"/Length (\d+)(?!\s*\d+\s+R)", m.group("dict"))  # a direct length only
    if length is None:
        return None
    start = m.end()
    data = chunk[start:start + int(length.group(1))]
    font_bytes = _truetype(zlib.decompress(data))
    if font_bytes is None:
        return None
    stream = zlib.compress(font_bytes, 6)
    info = re.sub(rb"/Length1 \d+", b"/Length1 %d" % len(font_bytes), m.group("dict"))
    info = re.sub(rb"/Length \d+", b"/Length %d" % len(stream), info)
    return m.group(1) + info + b">>\nstream\n" + stream + b"\nendstream\nendobj\n"


def _truetype(font_file: bytes) -> bytes | None:
    """``font_file`` (an OpenType font) with TrueType outlines, or None when it has them already."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_file), recalcTimestamp=False)
    if "CFF " not in font or font.sfntVersion != "OTTO":
        return None
    cff_to_glyf(font)
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


def _assemble(header: bytes, objects: list[tuple[int, bytes]], trailer: bytes) -> bytes:
    """A PDF of ``objects`` after ``header`` with a fresh xref table (free entry 0) and ``trailer``."""
    out = io.BytesIO()
    out.write(header)
    offsets: dict[int, int] = {}
    for number, chunk in objects:
        offsets[number] = out.tell()
        out.write(chunk)
    xref_at = out.tell()
    size = max(offsets) + 1
    out.write(b"xref\n0 %d\n" % size)
    for number in range(size):
        out.write(b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n")
    trailer = _STARTXREF.sub(b"startxref\n%d\n%%%%EOF\n" % xref_at, trailer)
    out.write(trailer)
    return out.getvalue()


def cff_to_glyf(font) -> None:
    """Replace the CFF outlines of a fontTools ``TTFont`` by quadratic TrueType outlines, in place (the recipe of
    fontTools' ``otf2ttf`` snippet)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    font.recalcBBoxes = True
    order = font.getGlyphOrder()
    glyphset = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphset)
        glyphset[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    for g in glyphs.values():
        g.recalcBounds(glyf)
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, g in glyf.glyphs.items():
        if hasattr(g, "xMin"):
            hmtx[name] = (hmtx[name][0], g.xMin)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.numGlyphs = len(order)
    font["maxp"] = maxp
    maxp.recalc(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smallest, always valid
    post.extraNames, post.mapping = [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


__all__ = ["cff_to_glyf", "truetype_fonts"]
