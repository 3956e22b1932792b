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


def _package_files() -> tuple[Path, list[Path]]:
    """The package's folder and its own files (code, word lists, templates; no bytecode), sorted."""
    root = Path(str(_res.files("corpus_tools")))
    return root, sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 (16 hex digits) of the package's own files (code, word lists, templates): part of every cache key,
    so results cached by other code — an edited checkout, a development install — are never reused."""
    import hashlib

    root, files = _package_files()
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def package_cjk_chars() -> str:
    """Every non-ASCII character written in the package's own files (code, templates, word lists), sorted: the
    labels, titles and messages a figure or page of this package may show beyond the booklet's own text."""
    chars: set[str] = set()
    for f in _package_files()[1]:
        if f.suffix in {".py", ".j2", ".js", ".css", ".csv", ".txt", ".yaml", ".yml"}:
            chars.update(c for c in f.read_text(encoding="utf-8", errors="ignore") if ord(c) > 127)
    return "".join(sorted(chars))
