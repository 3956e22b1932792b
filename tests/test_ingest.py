"""Decoding and line classification: encodings, BOMs, newlines, bad input."""

from __future__ import annotations

import pytest

import corpus_tools as ct
from corpus_tools.errors import BookletError
from corpus_tools.ingest import clean_line, decode_bytes, is_letter_spaced, text_from_bytes
from conftest import BOOKLET

TEXT = BOOKLET.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding,bom,newline", [
    ("utf-8", b"\xef\xbb\xbf", "\n"),
    ("utf-8", b"", "\r\n"),
    ("utf-16-le", b"\xff\xfe", "\n"),
    ("utf-16-be", b"\xfe\xff", "\r\n"),
    ("utf-16-le", b"", "\n"),
    ("gb18030", b"", "\r\n"),
    ("gbk", b"", "\n"),
])
def test_every_encoding_gives_the_same_tables(tmp_path, booklet, encoding, bom, newline):
    path = tmp_path / "hit_cio_training_qa.txt"  # the same file name: the tables name their booklet by it
    path.write_bytes(bom + TEXT.replace("\n", newline).encode(encoding))
    other = ct.read_booklet(path)
    for name in ("entries", "turns", "askers", "people", "units"):
        assert other.table(name).equals(booklet.table(name)), name
    assert other.meta["bom"] == bool(bom)
    assert other.meta["newline"] == ("CRLF" if newline == "\r\n" else "LF")
    expected = {"gbk": "gb18030"}.get(encoding, encoding)
    assert other.meta["encoding"] == expected


def test_empty_file_is_a_clear_error(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"  \n\n")
    with pytest.raises(BookletError, match="empty.txt: the file is empty"):
        ct.read_booklet(p)


def test_binary_file_is_a_clear_error(tmp_path):
    p = tmp_path / "image.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(BookletError, match=r"image.png:\d+: looks like a binary file"):
        ct.read_booklet(p)


def test_a_document_file_is_named_with_what_to_do(tmp_path):
    """A booklet given as the PDF it was exported from, or as a Word file, is named as such with how to get its
    text (before: "looks like a binary file (it contains NUL bytes)", or a control-character error)."""
    pdf = tmp_path / "合集.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(64))
    with pytest.raises(BookletError, match=r"合集.pdf: is a PDF file, not a text booklet: .*pdftotext -layout"):
        ct.read_booklet(pdf)
    docx = tmp_path / "合集.docx"
    docx.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(64))
    with pytest.raises(BookletError, match=r"合集.docx: is a zip archive \(a .docx.*Save As, plain text, UTF-8"):
        ct.read_booklet(docx)


def test_undecodable_bytes_name_the_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes("【信息规划】\n第二行\n".encode("utf-8") + b"\xff\xfe\xfa\x80\x80\n")
    with pytest.raises(BookletError, match=r"bad.txt:3: is neither UTF-8"):
        ct.read_booklet(p)


def test_text_without_entries_is_a_clear_error(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("这是一份普通的笔记。\n没有任何问答。\n", encoding="utf-8")
    with pytest.raises(BookletError, match="no Q&A entries found"):
        ct.read_booklet(p)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(BookletError, match="no such file"):
        ct.read_booklet(tmp_path / "nope.txt")
    with pytest.raises(BookletError, match="is a directory"):
        ct.read_booklet(tmp_path)


def test_decode_reports_encoding():
    assert decode_bytes("中文".encode("gb18030"))[1] == "gb18030"
    assert decode_bytes(b"\xef\xbb\xbf\xe4\xb8\xad")[1:] == ("utf-8", True)


def test_letter_spacing_is_undone_but_latin_spacing_kept():
    raw = "邱 明 辉 老 师 ： 可 以 让 电 子 病 历 系 统 生 成 一 个 标 准 的 CDA （ Clinical"
    assert is_letter_spaced(raw)
    assert clean_line(raw)[0] == "邱明辉老师：可以让电子病历系统生成一个标准的 CDA（Clinical"
    assert not is_letter_spaced("新一代 HIS 系统智能化不足，缺乏相应知识库，怎么办？")
    text, page_start, _ = clean_line(" 学员、北京")
    assert page_start and text == "学员、北京"


def test_footer_block_found_by_shape():
    src = text_from_bytes(TEXT.encode("utf-8"), "x")
    by_no = {ln.line_no: ln for ln in src.lines}
    # lines 587–593: slogan, rule, company, address; 595: page number 21; 583 is the page's last sentence
    assert [by_no[n].kind for n in (583, 587, 589, 591, 593, 595)] == [
        "content", "footer", "footer", "footer", "footer", "page_number"]


def test_only_regular_files_under_the_size_limit_are_read(tmp_path):
    import os
    import time

    from corpus_tools.ingest import read_input_bytes, read_text

    link = tmp_path / "booklet.txt"
    link.symlink_to("/dev/zero")  # a harmless-looking name pointing at an endless device
    with pytest.raises(BookletError, match="booklet.txt: is a device, not a booklet text file"):
        read_text(link)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    t0 = time.perf_counter()
    with pytest.raises(BookletError, match=r"pipe.txt: is a named pipe \(FIFO\)"):
        read_text(fifo)
    assert time.perf_counter() - t0 < 2
    exact = tmp_path / "exact.txt"
    exact.write_bytes(b"x" * 1000)
    assert len(read_input_bytes(exact, max_mb=0.001)) == 1000  # 1000 bytes = 0.001 MB: at the limit, accepted
    with pytest.raises(BookletError, match="limit of 0.000999 MB"):
        read_input_bytes(exact, max_mb=0.000999)
