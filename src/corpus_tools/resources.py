"""Word lists shipped as data under ``corpus_tools/resources/``; every loader accepts a path to override."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources as _res
from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of a bundled resource file."""
    return Path(str(_res.files("corpus_tools") / "resources" / name))


@lru_cache(maxsize=64)
def _read_list(path: str) -> tuple[str, ...]:
    items: list[str] = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            items.append(line)
    return tuple(items)


@lru_cache(maxsize=64)
def load_list(name: str, path: str | Path | None = None) -> tuple[str, ...]:
    """Non-comment, non-blank lines of a bundled list (``name``) or of the file at ``path``."""
    return _read_list(str(path if path is not None else resource_path(name)))
