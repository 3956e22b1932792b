"""Writing tables and files: CSV as UTF-8 with BOM (so Excel opens Chinese correctly) and Parquet, each written to a
temporary name and renamed, so a failed run never leaves a half-written file that looks finished."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd


def atomic_write(path: Path, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` then rename the result to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_table(df: pd.DataFrame, outdir: str | Path, name: str,
                formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
    """Write ``df`` as ``outdir/name.csv`` (UTF-8 with BOM) and/or ``outdir/name.parquet``."""
    out = Path(outdir)
    written = []
    if "csv" in formats:
        written.append(atomic_write(out / f"{name}.csv", lambda p: df.to_csv(p, index=False, encoding="utf-8-sig")))
    if "parquet" in formats:
        written.append(atomic_write(out / f"{name}.parquet", lambda p: df.to_parquet(p, index=False)))
    return written


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(Path(path), lambda p: Path(p).write_text(text, encoding="utf-8"))
