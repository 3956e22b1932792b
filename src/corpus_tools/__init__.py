"""corpus_tools — parse and analyse training-programme Q&A booklets.

The flow, one module per stage: ``ingest`` (bytes → classified lines) → ``parse`` (lines → entries, turns) →
``booklet`` (tables) → ``analyse`` (the declared stages: tokens, topics, network, trends, coverage, …) → a
:class:`Study` in memory → ``pipeline`` / ``report`` / notebooks.

    import corpus_tools as ct
    booklet = ct.read_booklet("data/raw/hit_cio_training_qa.txt")
    study = ct.analyse(booklet, ct.Params(seed=0))
    study.tables["topics"], study.figures["topics_section_heatmap"].make()

Names are imported on first use, so ``import corpus_tools`` is fast and loads neither pandas nor matplotlib.
"""

from __future__ import annotations

from importlib import import_module, metadata

try:
    __version__ = metadata.version("corpus_tools")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree without an install
    __version__ = "0+unknown"

_EXPORTS = {
    "Booklet": "booklet", "read_booklet": "booklet", "booklet_from_text": "booklet", "read_booklets": "programme",
    "BookletError": "errors",
    "analyse": "analysis", "Params": "study", "Study": "study", "FigureSpec": "study",
    "run": "pipeline", "cache": "pipeline",
    "kwic": "trends",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'corpus_tools' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
