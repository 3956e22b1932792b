"""Errors raised on bad input or a failed output: each names the file and, where it can, the line."""

from __future__ import annotations

import errno as _errno
from pathlib import Path


class BookletError(Exception):
    """Input that cannot be turned into a booklet (empty, binary, undecodable, no entries …)."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class OutputError(OSError):
    """Writing an output file failed (disk full, no permission …). ``filename`` is the file that was being written,
    never a temporary name; ``str(err)`` reads ``path: reason``."""

    def __init__(self, path: str | Path, cause: OSError) -> None:
        reason = cause.strerror or str(cause) or type(cause).__name__
        if cause.errno in (_errno.EEXIST, _errno.ENOTDIR):  # a folder was wanted where a file is
            file = next((p for p in (Path(path), *Path(path).parents) if p.exists() and not p.is_dir()), None)
            if file is not None:
                reason = (("is" if file == Path(path) else f"is inside {file}, which is") +
                          " a file, not a folder: give a folder for the outputs (a new name, or an existing folder)")
        super().__init__(cause.errno or _errno.EIO, reason, str(path))
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


class OutputLocked(RuntimeError):
    """Another run holds the output folder's lock; the message names it (pid, host, start time, command)."""

    def __init__(self, lock_path: str | Path, record: dict) -> None:
        self.lock_path = str(lock_path)
        self.record = dict(record)
        if record:
            who = (f"run {record.get('pid', '?')} on {record.get('host', '?')}, started {record.get('started', '?')}"
                   f" ({record.get('command', '?')})")
        else:
            who = "another run (its lock file is being written or cannot be read)"
        super().__init__(f"{Path(lock_path).parent}: the output folder is in use by {who}; wait for it to end, "
                         f"or delete {lock_path} if that run is gone")
