"""Errors raised on bad input: each names the file and, where it can, the line."""

from __future__ import annotations


class BookletError(Exception):
    """Input that cannot be turned into a booklet (empty, binary, undecodable, no entries …)."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")
