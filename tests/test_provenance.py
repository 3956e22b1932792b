"""Nothing lost, nothing invented: every content character of the booklet ends up in exactly one place."""

from __future__ import annotations

import re

from corpus_tools.ingest import read_text
from conftest import BOOKLET


def _ns(s) -> str:
    return re.sub(r"\s", "", s or "")


def test_every_line_is_accounted_for(booklet):
    src = read_text(BOOKLET)
    lines = booklet.lines
    assert sorted(set(lines.line_no)) == list(range(1, len(src.lines) + 1))
    assert not (lines.role == "unassigned").any()
    assert len(booklet.warnings) == 0
    # known noise, counted by reading the booklet: 145 URL lines, 8 footer blocks of 4 lines, 8 page numbers
    kinds = lines.drop_duplicates("line_no").kind.value_counts()
    assert kinds["url"] == 145 and kinds["footer"] == 32 and kinds["page_number"] == 8


def test_each_content_line_is_split_without_loss(booklet):
    src = {ln.line_no: ln for ln in read_text(BOOKLET).lines}
    content = booklet.lines[booklet.lines.kind == "content"]
    for line_no, pieces in content.groupby("line_no"):
        assert _ns("".join(pieces.text)) == _ns(src[line_no].text), line_no


def test_pieces_rebuild_every_field(booklet):
    lines = booklet.lines
    for t in booklet.turns.itertuples():
        mine = lines[(lines.entry_id == t.entry_id) & (lines.turn_no == t.turn_no)]
        label = _ns("".join(mine[mine.role == "label"].text))
        assert _ns(label.rstrip("：:")) == _ns(t.label)
        assert _ns("".join(mine[mine.role == "turn"].text)) == _ns(t.text)
    for e in booklet.entries.itertuples():
        mine = lines[lines.entry_id == e.entry_id]
        assert _ns("".join(mine[mine.role == "title"].text)) == _ns(e.title)
        assert _ns("".join(mine[mine.role == "note"].text)) == _ns(e.source_note)
        assert mine.line_no.min() == e.line_start and mine.line_no.max() == e.line_end


def test_texts_are_clean(booklet):
    texts = list(booklet.turns.text) + list(booklet.entries.title) + list(booklet.entries.source_note)
    footer = set(booklet.lines[booklet.lines.kind == "footer"].text)
    raw_spaced = {m.group() for ln in read_text(BOOKLET).lines if ln.kind == "content" and not ln.letter_spaced
                  for m in re.finditer(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", ln.text)}
    assert raw_spaced == {"术 健"}  # 《信息安全技术 健康医疗数据安全指南》, as printed
    for text in texts:
        assert "http" not in text and "hit180.com/" not in text
        assert not any(f in text for f in footer)
        for m in re.finditer(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", text):  # no space inserted inside Chinese
            assert m.group() in raw_spaced, (m.group(), text[:40])
        assert not re.search(r"^\s*\d{1,3}\s*$", text, re.M)  # no page number on a line of its own
    # a sentence broken by a page footer and page number (lines 583 → 597 are different turns, 2346 → 2360 one)
    t = booklet.turns[(booklet.turns.line_start <= 2346) & (booklet.turns.line_end >= 2360)].iloc[0]
    assert "包括软件设计工程师、编码工程师" in t.text


def test_front_matter_is_kept(booklet):
    assert booklet.front_matter.startswith("前言")
    assert "感谢薛万国老师全程参与" in booklet.front_matter
