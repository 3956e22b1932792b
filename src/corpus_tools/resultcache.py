"""The result cache: stage results (pickles) and rendered files (figures, fonts, the report) under one folder,
keyed by content hashes (:func:`corpus_tools.keys.digest`).

Nothing read from the cache is trusted before it is verified. Every entry is written as ``MAGIC + tag + payload``
where ``tag`` is an HMAC-SHA256 of the entry's name and payload under a per-user secret kept **outside** the cache
(``~/.config/corpus_tools/cache-key``, mode 0600; see :func:`key_file`). A stage result is unpickled only after its
tag matches, so bytes planted in a shared or writable cache folder are never executed, and a file cut short or
overwritten is never used: it is reported (a warning naming the entry) and recomputed. Cache folders are created
0700. The cache holds at most ``max_bytes`` (``$CORPUS_TOOLS_CACHE_MAX_MB``, default 1024 MB): after a run the
least recently used entries are removed (:meth:`DiskCache.prune`). ``corpus-tools cache --info / --clear``.

A cache that cannot be written is a warning, never an error: the run goes on without it.
"""

from __future__ import annotations

import hmac
import os
import pickle
import secrets
import sys
import time
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Callable

from .paths import default_cache_dir

MAGIC = b"CTCACHE2"
TAG_SIZE = 32  # HMAC-SHA256
KEY_ENV = "CORPUS_TOOLS_CACHE_KEY"  # a file holding the key (tests, several users sharing one key on purpose)
MAX_MB_ENV = "CORPUS_TOOLS_CACHE_MAX_MB"
DEFAULT_MAX_MB = 1024
KINDS = ("stages", "figures", "fonts", "reports")
_BLOCK = 1 << 20




# ---------------------------------------------------------------- the per-user key

def key_file() -> Path:
    """Where the cache's secret key lives: ``$CORPUS_TOOLS_CACHE_KEY``, else ``$XDG_CONFIG_HOME/corpus_tools/
    cache-key`` (``~/.config/corpus_tools/cache-key``): outside the cache, so whoever can write the cache folder
    cannot forge an entry."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "corpus_tools" / "cache-key"


def load_key(path: Path | None = None) -> tuple[bytes, str | None]:
    """The secret key (32 random bytes, made on first use with mode 0600) and ``None``; or, when the key file
    cannot be made or is not private to this user, a key for this process alone and the reason (the cache then
    only reuses what this process wrote)."""
    path = key_file() if path is None else path
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                return secrets.token_bytes(32), f"{path} belongs to another user"
            if st.st_mode & 0o077:
                return secrets.token_bytes(32), f"{path} can be read by other users (chmod 600 it)"
            key = fh.read(64)
    except OSError as exc:
        return secrets.token_bytes(32), f"{path}: {exc.strerror or exc}"
    if len(key) < 32:
        return secrets.token_bytes(32), f"{path} is too short to be a key (delete it: a new one is made)"
    return key, None


class _TagWriter:
    """A binary file wrapper that feeds every byte written to an HMAC (so a pickle streams to disk once)."""

    def __init__(self, fh: BinaryIO, mac: "hmac.HMAC") -> None:
        self.fh, self.mac = fh, mac

    def write(self, data) -> int:
        self.mac.update(data)
        return self.fh.write(data)


# ---------------------------------------------------------------- the cache

class DiskCache:
    """Stage results and rendered bytes under ``root`` (``$CORPUS_TOOLS_CACHE/results`` by default), each entry
    authenticated before use (see the module's docstring). ``enabled=False``: nothing is read or written."""

    def __init__(self, root: str | Path | None = None, enabled: bool = True, max_bytes: int | None = None):
        self.root = Path(root) if root else default_cache_dir() / "results"
        self.enabled = enabled
        self.warned = False
        if max_bytes is None:
            try:
                max_bytes = int(float(os.environ.get(MAX_MB_ENV, DEFAULT_MAX_MB)) * 1024 * 1024)
            except ValueError:
                max_bytes = DEFAULT_MAX_MB * 1024 * 1024
        self.max_bytes = max_bytes
        self._key: bytes | None = None
        self.ephemeral_key = False  # no usable key file: only entries written by this process verify
        self.rejected: list[str] = []  # entries that failed verification in this process

    # the key is loaded on first use and travels with the object to worker processes
    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key, why = load_key()
            if why:
                self.ephemeral_key = True
                self._warn(f"cache key {why}; cached results of earlier runs are not reused")
        return self._key

    def _warn(self, message: str) -> None:
        warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _path(self, kind: str, name: str) -> Path:
        return self.root / kind / name

    def _mac(self, kind: str, name: str) -> "hmac.HMAC":
        mac = hmac.new(self.key, digestmod="sha256")
        mac.update(f"{kind}/{name}".encode("utf-8") + b"\0")
        return mac

    # ---- writing

    def _write(self, kind: str, name: str, write: Callable[[BinaryIO], None]) -> None:
        """Write an entry atomically: ``write(f)`` writes the payload; the tag is computed as it streams. A value
        that cannot be pickled is simply not cached; a folder that cannot be written turns the cache off."""
        if not self.enabled:
            return
        path = self._path(kind, name)
        try:
            for d in (self.root.parent, self.root, path.parent):
                if not d.exists():
                    d.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + b"\0" * TAG_SIZE)
                    mac = self._mac(kind, name)
                    try:
                        write(_TagWriter(f, mac))  # type: ignore[arg-type]
                    except (pickle.PicklingError, TypeError, AttributeError):
                        return  # something in the output cannot be pickled: just don't cache it
                    f.seek(len(MAGIC))
                    f.write(mac.digest())
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            if not self.warned:
                self._warn(f"cache folder {self.root} is not writable ({exc.strerror or exc}); running without "
                           "the cache")
                self.warned = True
            self.enabled = False

    # ---- reading

    def _open_verified(self, kind: str, name: str) -> BinaryIO | None:
        """The entry's file positioned at its payload, once its tag has been checked over every byte; None when
        the entry is missing or fails (a warning names it, and it is removed)."""
        if not self.enabled:
            return None
        path = self._path(kind, name)
        try:
            f = open(path, "rb")
        except OSError:
            return None
        try:
            head = f.read(len(MAGIC) + TAG_SIZE)
            ok = len(head) == len(MAGIC) + TAG_SIZE and head[:len(MAGIC)] == MAGIC
            if ok:
                mac = self._mac(kind, name)
                while block := f.read(_BLOCK):
                    mac.update(block)
                ok = hmac.compare_digest(mac.digest(), head[len(MAGIC):])
        except OSError:
            ok = False
        if not ok:
            f.close()
            if self.ephemeral_key:  # written under the user's key, which this process could not read: skip
                return None
            self._reject(path, "它的校验不符（被改动、截断，或不是本用户的本程序写的）")
            return None
        f.seek(len(MAGIC) + TAG_SIZE)
        try:
            os.utime(path)  # used now: least-recently-used pruning keeps it
        except OSError:
            pass
        return f

    def _reject(self, path: Path, why: str) -> None:
        rel = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        self.rejected.append(rel)
        self._warn(f"缓存条目 {path} 未被使用：{why}；已重新计算")
        try:
            path.unlink()
        except OSError:
            pass

    def get(self, stage: str, key: str) -> Any | None:
        """A stage's cached result, or None (missing, failing verification, or not loadable by these library
        versions — the last two with a warning naming the entry)."""
        name = f"{stage}-{key}.pkl"
        f = self._open_verified("stages", name)
        if f is None:
            return None
        with f:
            try:
                return pickle.load(f)  # authenticated above: bytes this user's runs wrote
            except Exception as exc:  # noqa: BLE001 - e.g. written by another version of a library
                self._reject(self._path("stages", name), f"无法读取（{type(exc).__name__}）")
                return None

    def put(self, stage: str, key: str, output: Any) -> None:
        """Pickle ``output`` straight into the cache file (no copy of it in memory: at 100 copies of the booklet
        a stage's tables are hundreds of MB)."""
        self._write("stages", f"{stage}-{key}.pkl",
                    lambda f: pickle.dump(output, f, protocol=pickle.HIGHEST_PROTOCOL))
        _return_freed_memory()  # the pickler's memo (one entry per object of the tables) is gone: give it back

    def get_bytes(self, kind: str, key: str, suffix: str) -> bytes | None:
        """A rendered file (a figure in one format, a font, the report) cached under ``kind/key.suffix``."""
        f = self._open_verified(kind, f"{key}.{suffix}")
        if f is None:
            return None
        with f:
            return f.read()

    def put_bytes(self, kind: str, key: str, suffix: str, data: bytes) -> None:
        self._write(kind, f"{key}.{suffix}", lambda f: f.write(data))

    # ---- housekeeping

    def entries(self) -> list[tuple[Path, int, float]]:
        """Every entry file: (path, size in bytes, last use as a timestamp), oldest use first."""
        out = []
        for kind in KINDS:
            folder = self.root / kind
            try:
                with os.scandir(folder) as it:
                    for d in it:
                        if d.is_file(follow_symlinks=False):
                            st = d.stat(follow_symlinks=False)
                            out.append((Path(d.path), st.st_size, max(st.st_mtime, st.st_atime)))
            except OSError:
                continue
        return sorted(out, key=lambda t: (t[2], t[0].name))

    def info(self) -> dict:
        """Folder, entries and bytes per kind, the size cap, and where the key is."""
        per: dict[str, dict[str, int]] = {k: {"entries": 0, "bytes": 0} for k in KINDS}
        for path, size, _ in self.entries():
            k = per[path.parent.name]
            k["entries"] += 1
            k["bytes"] += size
        return dict(folder=str(self.root), kinds=per, total_bytes=sum(v["bytes"] for v in per.values()),
                    max_bytes=self.max_bytes, key_file=str(key_file()))

    def prune(self, max_bytes: int | None = None, keep_since: float | None = None) -> list[Path]:
        """Remove the least recently used entries until the cache holds at most ``max_bytes`` (default: the
        cap); entries used at or after ``keep_since`` (a timestamp: this run's) are kept. Returns what was
        removed."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        found = self.entries()
        total = sum(s for _, s, _ in found)
        removed = []
        for path, size, used in found:
            if total <= limit:
                break
            if keep_since is not None and used >= keep_since:
                continue
            try:
                path.unlink()
            except OSError:
                continue
            total -= size
            removed.append(path)
        return removed

    def clear(self) -> int:
        """Remove every entry (and leftover temporary files); returns how many files were removed."""
        n = 0
        for kind in KINDS:
            folder = self.root / kind
            try:
                names = list(os.scandir(folder))
            except OSError:
                continue
            for d in names:
                if d.is_file(follow_symlinks=False) or d.is_symlink():
                    try:
                        os.unlink(d.path)
                        n += 1
                    except OSError:
                        pass
        return n


def _return_freed_memory() -> None:
    """Return the heap's free memory to the system (glibc ``malloc_trim``; elsewhere nothing): after a large
    temporary structure is freed glibc keeps the pages, and the next stage's tables would add to them."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def cache() -> DiskCache:
    """The user's result cache (``$CORPUS_TOOLS_CACHE`` or ``~/.cache/corpus_tools``), for ``analyse(…, cache=)``
    in notebooks and scripts: a rerun with the same booklet and parameters takes its stages from there."""
    return DiskCache()


def run_started() -> float:
    """A timestamp slightly before now: entries used from here on belong to the current run (for pruning)."""
    return time.time() - 1.0


__all__ = ["DiskCache", "cache", "key_file", "load_key"]
