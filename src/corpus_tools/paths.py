"""Where things are by default: the bundled booklet and the output root (the current folder)."""

from __future__ import annotations

from pathlib import Path

BOOKLET_NAME = "hit_cio_training_qa.txt"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _default_booklet() -> Path:
    for base in (Path.cwd(), REPO_ROOT):
        candidate = base / "data" / "raw" / BOOKLET_NAME
        if candidate.exists():
            return candidate
    return Path("data") / "raw" / BOOKLET_NAME


DEFAULT_BOOKLET = _default_booklet()
DEFAULT_OUTDIR = Path(".")


def default_cache_dir() -> Path:
    """Where caches go (stage results, figures, fonts; jieba's dictionary cache only for a dictionary jieba reads
    itself, see :func:`corpus_tools.tagger.initialize_dictionary`): ``$CORPUS_TOOLS_CACHE`` or
    ``$XDG_CACHE_HOME/corpus_tools`` (``~/.cache/corpus_tools``)."""
    import os

    env = os.environ.get("CORPUS_TOOLS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "corpus_tools"
