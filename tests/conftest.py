from __future__ import annotations

import json
from pathlib import Path

import pytest

import corpus_tools as ct

ROOT = Path(__file__).resolve().parents[1]
BOOKLET = ROOT / "data" / "raw" / "hit_cio_training_qa.txt"
ANNOTATION = Path(__file__).parent / "data" / "booklet_annotation.jsonl"


@pytest.fixture(scope="session")
def booklet() -> ct.Booklet:
    return ct.read_booklet(BOOKLET)


@pytest.fixture(scope="session")
def annotation() -> list[dict]:
    """Hand annotation of every entry, made by reading the booklet (see tests/data/README.md)."""
    return [json.loads(line) for line in ANNOTATION.read_text(encoding="utf-8").splitlines() if line.strip()]
