"""What results depend on, as hashes: :func:`digest` (the one content hash every cache key and the run key are made
with) and :func:`package_version` (this package's version, a fingerprint of its files and the versions of the
libraries the analysis uses — so a library upgrade, like an edited file, never reuses old results)."""

from __future__ import annotations

import hashlib
import json
import platform
from functools import lru_cache
from typing import Any

#: the libraries whose versions are part of every key (they compute, draw or serialise what is cached)
LIBRARIES = ("pandas", "numpy", "scipy", "jieba", "scikit-learn", "networkx", "matplotlib", "wordcloud", "mplfonts",
             "stopwordsiso", "pillow", "fonttools", "uharfbuzz", "pyarrow", "jinja2")


def digest(*parts: Any, n: int = 24) -> str:
    """sha256 of the JSON of each part (NUL-separated), the first ``n`` hex digits."""
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:n]


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Python's and each installed library's version (``corpus_tools`` and :data:`LIBRARIES`)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("corpus_tools",) + LIBRARIES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def package_version() -> str:
    """``<version>+<fingerprint of the package's files>.<digest of the library versions>``: the version cache keys
    use (the same version number with edited code or another scikit-learn is another version for the cache)."""
    from . import __version__
    from .resources import code_fingerprint

    return f"{__version__}+{code_fingerprint()}.{digest(library_versions(), n=8)}"
