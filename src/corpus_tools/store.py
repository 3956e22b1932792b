"""Writing tables and files: CSV as UTF-8 with BOM (so Excel opens Chinese correctly) and Parquet, each written to a
temporary name and renamed, so a failed run never leaves a half-written file that looks finished.

Three guards against hostile input and faults live here:

* **CSV cells that cannot execute** — in text columns, a cell that starts with ``=`` ``+`` ``-`` ``@``, a tab or a
  carriage return gets a leading apostrophe in the CSV (the OWASP rule against formula injection), so Excel shows
  it as text. Parquet keeps the raw values; numeric columns are never touched.
* **Errors that name the file** — an ``OSError`` while writing (disk full, permission) is raised again as
  :class:`~corpus_tools.errors.OutputError` with the final file name.
* **Transactional output** — :class:`StagedOutput` stages a whole run beside the target folder and moves it in
  only when every stage succeeded, under a lock file that stops a second run into the same folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:  # pragma: no cover - imported where tables are written: a run's font process needs none of it
    import pandas as pd

from .errors import OutputError, OutputLocked

#: first characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LOCK_NAME = ".corpus-tools.lock"


def atomic_write(path: Path, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` then rename the result to ``path``. The temporary name is unique (``mkstemp``) and
    removed on failure; an ``OSError`` is raised again as :class:`OutputError` naming ``path``."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(path, exc) from exc
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def neutralise_cell(value: object) -> object:
    """``"'" + value`` for a string that starts with a formula character (see :data:`FORMULA_START`), else the value
    unchanged (numbers, missing values and other strings)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text columns (object or string dtype) cannot execute in a spreadsheet: every cell
    starting with ``= + - @``, tab or CR gets a leading apostrophe. Numeric, boolean and date columns are kept as
    they are, so ``-3`` in a number column stays the number -3. Shape and column order are unchanged."""
    import pandas as pd

    out = df.copy(deep=False)  # columns are replaced, never changed in place
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if not any(isinstance(c, str) and c.startswith(FORMULA_START) for c in s.cat.categories):
                continue
            s = s.astype(object)
        elif not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        # judged once per distinct value (a tokens table has millions of cells and tens of thousands of values)
        risky = [v for v in _distinct(s) if isinstance(v, str) and v.startswith(FORMULA_START)]
        if risky:
            out[col] = s.where(~s.isin(risky), s.map(neutralise_cell))
    cols = out.columns
    if any(isinstance(c, str) and c.startswith(FORMULA_START) for c in cols):
        out.columns = [neutralise_cell(c) for c in cols]
    return out


def write_table(df: pd.DataFrame, outdir: str | Path, name: str,
                formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
    """Write ``df`` as ``outdir/name.csv`` (UTF-8 with BOM, formula cells neutralised by :func:`csv_safe`) and/or
    ``outdir/name.parquet`` (raw values)."""
    out = Path(outdir)
    written = []
    if "csv" in formats:
        written.append(write_csv_file(df, out / f"{name}.csv"))
    if "parquet" in formats:
        written.append(atomic_write(out / f"{name}.parquet", lambda p: df.to_parquet(p, index=False)))
    return written


def write_csv_file(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (UTF-8 with BOM, neutralised) to exactly ``path`` (no suffix added)."""
    safe = csv_safe(df)
    # a bare CR inside a cell is quoted only when CR is part of the line ending (RFC 4180's CRLF)
    newline = "\r\n" if _has_cr(safe) else "\n"
    return atomic_write(Path(path), lambda p: safe.to_csv(p, index=False, encoding="utf-8-sig",
                                                          lineterminator=newline))


def _distinct(s: pd.Series) -> list:
    """The distinct values of a column (missing values included), as Python objects."""
    return list(s.unique())


def _has_cr(df: pd.DataFrame) -> bool:
    import pandas as pd

    for col in df.columns:
        s = df[col]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            if any(isinstance(v, str) and "\r" in v for v in _distinct(s)):
                return True
    return any(isinstance(c, str) and "\r" in c for c in df.columns)


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(Path(path), lambda p: Path(p).write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------- lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OverflowError:
        return False
    return True


def read_lock(folder: str | Path) -> dict | None:
    """The lock record of ``folder`` (pid, host, started, command), ``{}`` if unreadable, ``None`` if no lock."""
    p = Path(folder) / LOCK_NAME
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


class RunLock:
    """The output folder's lock: ``folder/.corpus-tools.lock``, held with ``fcntl.flock`` for the whole run and
    holding a JSON record (pid, host, started, command) that the refusal message quotes.

    The kernel's lock is what excludes: two processes can never both hold it, and it ends with its process, so a
    run killed with ``kill -9`` leaves a file that the next run takes over (with a warning naming the dead run)
    without any race between two runs that find it at once. A record written by another host, or by a live
    process that does not hold the kernel lock (an earlier version), is respected."""

    def __init__(self, folder: str | Path, command: str | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.command = command if command is not None else " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        self.record: dict | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "RunLock":
        import fcntl

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(self.folder, exc) from exc
        record = dict(pid=os.getpid(), host=socket.gethostname(),
                      started=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                      command=self.command)
        for _attempt in range(5):
            created = False
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), 0o644)
                created = True
            except FileExistsError:
                try:
                    fd = os.open(self.path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
                except FileNotFoundError:
                    continue  # released meanwhile: try again
                except OSError as exc:
                    raise OutputError(self.path, exc) from exc
            except OSError as exc:
                raise OutputError(self.path, exc) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise OutputLocked(self.path, read_lock(self.folder) or {})
            try:
                if os.fstat(fd).st_ino != os.stat(self.path, follow_symlinks=False).st_ino:
                    raise FileNotFoundError  # the file we locked was released and removed meanwhile
            except FileNotFoundError:
                os.close(fd)
                continue
            if not created:
                try:
                    self._check_left_behind()
                except BaseException:
                    os.close(fd)
                    raise
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record, ensure_ascii=False).encode("utf-8"), 0)
            self._fd, self.record = fd, record
            return self
        raise OutputLocked(self.path, read_lock(self.folder) or {})

    def _check_left_behind(self) -> None:
        """We hold the kernel lock of a lock file someone left: take it over if its run is gone (warning), else
        (another host, or a live process of an earlier version that locks without the kernel) refuse."""
        other = read_lock(self.folder) or {}
        pid = other.get("pid")
        if other and not (other.get("host") == socket.gethostname() and isinstance(pid, int)
                          and not _pid_alive(pid)):
            raise OutputLocked(self.path, other)
        if not other:
            return  # empty or unreadable: nobody is writing it (a writer holds the kernel lock first)
        warnings.warn(f"{self.path}: the run that left this lock (pid {pid}, started {other.get('started', '?')}) "
                      "is gone; taking the lock over", RuntimeWarning, stacklevel=4)

    def release(self) -> None:
        if self._fd is None:
            return
        try:  # remove the file while still holding its lock; a waiting taker then sees another inode and retries
            if os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(self._fd).st_ino:
                self.path.unlink()
        except OSError:
            pass
        os.close(self._fd)
        self._fd, self.record = None, None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# ---------------------------------------------------------------- staged output


def _manifest_files(manifest: Path) -> set[str]:
    """Relative paths a previous run's manifest lists (``outputs`` lists, ``output_sha256`` keys, ``files``)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict):
        return set()
    out: set[str] = set()
    outputs = data.get("outputs")
    if isinstance(outputs, dict):
        for files in outputs.values():
            if isinstance(files, list):
                out.update(f for f in files if isinstance(f, str))
    for key in ("output_sha256",):
        if isinstance(data.get(key), dict):
            out.update(k for k in data[key] if isinstance(k, str))
    if isinstance(data.get("files"), list):
        out.update(f for f in data["files"] if isinstance(f, str))
    return {f for f in out if _is_safe_relative(f)}


def _is_safe_relative(rel: str) -> bool:
    p = Path(rel)
    return not p.is_absolute() and ".." not in p.parts and rel not in ("", ".")


class StagedOutput:
    """Write a whole run into a staging folder and move it into ``target`` only if everything succeeded.

    ``with StagedOutput(outdir, command="corpus-tools run …") as stage:`` — ``stage`` is the staging folder (a
    unique hidden folder ``.corpus-tools.staging-…`` inside ``target``); write every output under it with the same
    relative paths as in ``target``. On leaving the block without an exception, each staged file replaces its
    target with ``os.replace`` (the manifest last), and files that the previous run's manifest listed but this run
    no longer produces are removed; files the manifest does not list are never touched. If anything fails —
    inside the block or while moving in — the staging folder is removed and every file of the previous run is
    restored byte for byte.

    ``prune=False`` keeps the previous run's files that this run does not produce (for a partial run, e.g. only
    the topics, into a folder that holds a whole run). A lock file ``target/.corpus-tools.lock`` is held for the
    whole block (see :class:`RunLock`); a run killed while holding it is cleaned up by the next (:func:`recover`).
    """

    def __init__(self, target: str | Path, command: str | None = None,
                 manifest: str = "run_manifest.json", prune: bool = True, lock: RunLock | None = None) -> None:
        self.target = Path(target)
        self.manifest = manifest
        self.prune = prune  # False: keep files of the previous run that this run does not produce
        # a lock the caller already holds (taken before the run started computing) is used, not taken again
        self._own_lock = lock is None or not lock.held
        self.lock = lock if lock is not None else RunLock(self.target, command)
        self.staging: Path | None = None
        self.committed: list[Path] = []
        self.removed: list[Path] = []
        self.kept: list[Path] = []  # files someone changed (or that no run of ours wrote), moved aside

    def final(self, path: str | Path) -> Path:
        """The final path in ``target`` of a path under the staging folder (other paths come back unchanged)."""
        p = Path(path)
        if self.staging is not None and p.is_relative_to(self.staging):
            return self.target / p.relative_to(self.staging)
        return p

    def __enter__(self) -> Path:
        if self._own_lock:
            self.lock.acquire()
            try:
                recover(self.target)  # a run killed while holding the folder: roll back what it left
            except BaseException:
                self.lock.release()
                raise
        try:  # inside the target (hidden): same file system for os.replace, and no write access needed above it
            self.staging = Path(tempfile.mkdtemp(prefix=".corpus-tools.staging-", dir=self.target))
        except OSError as exc:
            self._release()
            raise OutputError(self.target, exc) from exc
        except BaseException:
            self._release()
            raise
        return self.staging

    def _release(self) -> None:
        if self._own_lock:
            self.lock.release()

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self._commit()
        finally:
            staging = self.staging
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            self._release()
        if isinstance(exc, OSError) and exc.filename and staging is not None \
                and Path(exc.filename).is_relative_to(staging):
            # name the file the user would have got, not its staging copy
            raise OutputError(self.final(exc.filename), getattr(exc, "cause", exc)) from exc
        return False

    def _commit(self) -> None:
        assert self.staging is not None
        staged = sorted((p for p in self.staging.rglob("*") if p.is_file() or p.is_symlink()),
                        key=lambda p: (p.relative_to(self.staging).as_posix() == self.manifest,
                                       p.relative_to(self.staging).as_posix()))
        new_rel = {p.relative_to(self.staging).as_posix() for p in staged}
        for rel in sorted(new_rel):
            _check_destination(self.target, rel)  # never write through a link or outside the folder
        old_listed = _manifest_files(self.target / self.manifest)
        recorded = _manifest_checksums(self.target / self.manifest)
        if (self.target / self.manifest).exists():
            old_listed.add(self.manifest)
        gone = sorted(f for f in old_listed - new_rel
                      if self.prune and not f.startswith(".corpus-tools") and _removable(self.target, f))
        keep = self._to_keep(sorted(new_rel - {self.manifest}) + gone, recorded)
        backup = Path(tempfile.mkdtemp(prefix=".corpus-tools.backup-", dir=self.target))
        journal: list[tuple[Path, Path | None]] = []  # (final path, backup copy or None if it was new)
        # the journal on disk lets the next run roll back a commit cut short by kill -9 or a power cut
        plan = dict(files=[dict(rel=p.relative_to(self.staging).as_posix(),
                                had_old=(self.target / p.relative_to(self.staging)).exists()) for p in staged],
                    gone=gone)
        try:
            with open(backup / JOURNAL, "w", encoding="utf-8") as fh:
                json.dump(plan, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            shutil.rmtree(backup, ignore_errors=True)
            raise OutputError(backup / JOURNAL, exc) from exc
        try:
            for src in staged:
                rel = src.relative_to(self.staging)
                dst = self.target / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                saved = None
                if dst.exists():
                    saved = backup / rel
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(dst, saved)
                journal.append((dst, saved))
                try:
                    os.replace(src, dst)
                except OSError as exc:
                    raise OutputError(dst, exc) from exc
            for rel in gone:
                dst = self.target / rel
                saved = backup / rel
                saved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dst, saved)
                journal.append((dst, saved))
        except BaseException:
            for dst, saved in reversed(journal):  # roll back: the previous run comes back exactly
                try:
                    if saved is not None and saved.exists():
                        os.replace(saved, dst)
                    elif saved is None:
                        dst.unlink(missing_ok=True)
                except OSError:
                    pass
            shutil.rmtree(backup, ignore_errors=True)
            raise
        self._move_kept(backup, keep)
        shutil.rmtree(backup, ignore_errors=True)
        self.committed = [self.target / p.relative_to(self.staging) for p in staged]
        self.removed = [self.target / f for f in gone]
        _remove_empty_dirs(self.target, {(self.target / f).parent for f in gone})


    def _to_keep(self, rels: list[str], recorded: dict[str, str] | None) -> dict[str, str]:
        """The files about to be replaced or removed that this tool did not write as they are — the checksum
        differs from the one the previous manifest recorded (someone edited the file), or no manifest of ours
        lists it — unless the file already holds exactly this run's bytes; each with the reason. They are moved
        aside (``kept/<time>/``) instead of being lost."""
        keep = {}
        for rel in rels:
            dst = self.target / rel
            if not dst.is_file() or dst.is_symlink():
                continue
            now = file_sha256(dst)
            if recorded is not None and recorded.get(rel) == now:
                continue  # ours, unchanged
            new = self.staging / rel  # type: ignore[operator]
            if new.is_file() and file_sha256(new) == now:
                continue  # the same bytes as this run's: nothing to lose
            keep[rel] = ("was changed after the last run" if recorded is not None and rel in recorded
                         else "was not written by an earlier run of this tool (no manifest lists it)")
        return keep

    def _move_kept(self, backup: Path, keep: dict[str, str]) -> None:
        """After a successful commit: the kept files (now in the backup folder) go to ``kept/<time>/``."""
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for rel, why in keep.items():
            saved, aside = backup / rel, self.target / KEPT_DIR / stamp / rel
            if not saved.is_file():
                continue
            try:
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(saved, aside)
            except OSError as exc:
                warnings.warn(f"{self.target / rel} {why}, but could not be kept ({exc.strerror or exc})",
                              RuntimeWarning, stacklevel=4)
                continue
            self.kept.append(aside)
            warnings.warn(f"{self.target / rel} {why}: kept as {aside}", RuntimeWarning, stacklevel=4)


JOURNAL = "journal.json"
KEPT_DIR = "kept"


def _manifest_checksums(manifest: Path) -> dict[str, str] | None:
    """The ``output_sha256`` map of a previous run's manifest (relative path → sha256), or None when there is no
    readable manifest with checksums (a first run, or a parse folder)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    sums = data.get("output_sha256") if isinstance(data, dict) else None
    if not isinstance(sums, dict):
        return None
    return {k: v for k, v in sums.items() if isinstance(k, str) and isinstance(v, str)}


def _through_link(root: Path, rel: str) -> Path | None:
    """The first folder between ``root`` and ``root/rel`` that is a symbolic link, or None."""
    p = root
    for part in Path(rel).parts[:-1]:
        p = p / part
        if p.is_symlink():
            return p
    return None


def _check_destination(root: Path, rel: str) -> None:
    """Refuse (OutputError) to write ``rel`` when the path leaves ``root`` or passes through a symbolic link."""
    if not _is_safe_relative(rel):
        raise OutputError(root / rel, OSError(errno.EPERM, "refusing a path outside the output folder"))
    link = _through_link(root, rel)
    if link is not None:
        raise OutputError(root / rel, OSError(errno.EPERM, f"refusing to write through the symbolic link {link}"))


def _removable(root: Path, rel: str) -> bool:
    """A file the previous manifest lists may be removed only if it is a regular file inside ``root`` reached
    without any symbolic link (a manifest can be edited: it must never point the clean-up elsewhere)."""
    if not _is_safe_relative(rel):
        return False
    p = root / rel
    if p.is_symlink() or _through_link(root, rel) is not None:
        warnings.warn(f"{p}: listed by the previous run's manifest but reached through a symbolic link; "
                      "left as it is", RuntimeWarning, stacklevel=4)
        return False
    if not p.is_file():
        return False
    try:
        return p.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def recover(target: str | Path) -> list[str]:
    """Undo what a killed run left in ``target``: roll back a half-done commit from its journal (every file of the
    previous run comes back) and remove staging folders. Call only while holding the folder's lock. Returns the
    relative paths restored or removed."""
    target = Path(target)
    touched: list[str] = []
    if not target.is_dir():
        return touched
    for backup in sorted(target.glob(".corpus-tools.backup-*")):
        try:
            plan = json.loads((backup / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            plan = None  # the crash came before the journal was written: nothing was moved yet
        if isinstance(plan, dict):
            for item in plan.get("files", []):
                rel = item.get("rel", "")
                if not _is_safe_relative(rel):
                    continue
                saved, dst = backup / rel, target / rel
                if saved.exists():
                    os.replace(saved, dst)
                    touched.append(rel)
                elif not item.get("had_old") and dst.exists():
                    dst.unlink()
                    touched.append(rel)
            for rel in plan.get("gone", []):
                if _is_safe_relative(rel) and (backup / rel).exists():
                    (target / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(backup / rel, target / rel)
                    touched.append(rel)
        shutil.rmtree(backup, ignore_errors=True)
    for leftover in (*target.glob(".corpus-tools.staging-*"), *target.glob(".corpus-tools.scratch-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    if touched:
        warnings.warn(f"{target}: a run was stopped while moving its outputs in; the previous run's "
                      f"{len(touched)} files were restored", RuntimeWarning, stacklevel=3)
    return touched


@contextlib.contextmanager
def scratch_folder(target: str | Path) -> Iterator[Path]:
    """A private working folder inside the output folder (hidden, removed at the end; one left by a killed run
    is removed by the next run's :func:`recover`), so nothing is left loose in the system's temporary folder."""
    try:
        path = Path(tempfile.mkdtemp(prefix=".corpus-tools.scratch-", dir=target))
    except OSError as exc:
        raise OutputError(target, exc) from exc
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _remove_empty_dirs(root: Path, dirs: set[Path]) -> None:
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        while d != root and d.is_relative_to(root):
            try:
                d.rmdir()
            except OSError:
                break
            d = d.parent


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a figure's PNG/SVG/PDF bytes)."""
    return atomic_write(Path(path), lambda p: Path(p).write_bytes(data))


def copy_file(source: str | Path, path: str | Path) -> Path:
    """Copy the file ``source`` to ``path`` atomically (a table already written, e.g. beside a figure)."""
    import shutil

    return atomic_write(Path(path), lambda p: shutil.copyfile(source, p))


def write_files(outdir: str | Path, files: dict, table_formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
    """Write a set of outputs under ``outdir``, each atomically: ``files`` maps a relative name to a DataFrame
    (written by :func:`write_table` as ``name.csv`` / ``name.parquet``), ``str`` (UTF-8 text) or ``bytes``."""
    out, written = Path(outdir), []
    import pandas as pd

    for name, content in files.items():
        if isinstance(content, pd.DataFrame):
            written += write_table(content, out, name, table_formats)
        elif isinstance(content, bytes):
            written.append(write_bytes(out / name, content))
        else:
            written.append(write_text(out / name, str(content)))
    return written


# ---------------------------------------------------------------- caches


def writable_dir(path: str | Path, what: str = "cache folder") -> bool:
    """Create ``path`` if needed and check a file can be written in it. If not (read-only folder, HOME not
    writable, a file in the way), warn once in one line and return ``False``: callers then run without the
    cache."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=p)
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError as exc:
        warnings.warn(f"{what} {p} cannot be written ({exc.strerror or exc}); running without the cache",
                      RuntimeWarning, stacklevel=2)
        return False


# ---------------------------------------------------------------- work handed to worker processes

class Spool:
    """Byte strings handed between processes through files rather than through a pipe (see
    :class:`corpus_tools.workers.WorkerPool`: large tasks to the workers, large results back): each :meth:`put`
    writes one file in a temporary folder of the pool's process (``Spool(folder)`` in a worker: that folder);
    :func:`take_spooled` reads and removes it; :meth:`close` removes what is left."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder: str | None = folder  # given: another process's spool (a worker writes its results into it)
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        """Write ``data`` to a new file; returns its path."""
        with self._lock:
            fd, path = tempfile.mkstemp(dir=self._folder())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    def folder_path(self) -> str:
        """The spool's folder (made now if it is not yet): worker processes write their large results into it."""
        with self._lock:
            return self._folder()

    def _folder(self) -> str:
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="corpus-tools-work-")
        return self.folder

    def close(self) -> None:
        with self._lock:
            folder, self.folder = self.folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def take_spooled(path: str) -> bytes:
    """The bytes :meth:`Spool.put` wrote to ``path``; the file is removed."""
    data = Path(path).read_bytes()
    os.unlink(path)
    return data


# ---------------------------------------------------------------- reading (the other edge)

def read_file_bytes(path: str | Path) -> bytes:
    """The bytes of a file read whole (parameter files: curriculum, codebook, synonyms, dictionary; the script a
    run was started from); OSError as raised."""
    return Path(path).read_bytes()


def read_text_file(path: str | Path, encoding: str = "utf-8-sig") -> str:
    """The text of a parameter file; OSError / UnicodeDecodeError as raised (callers name the file)."""
    return Path(path).read_text(encoding=encoding)


def read_parameter_text(path: str | Path, what: str, error: Callable[[str, str], Exception]) -> str:
    """The text of a parameter file (curriculum, codebook, synonyms: ``what`` names it in Chinese), UTF-8 or
    GB18030 (:func:`corpus_tools.paramfiles.decode`); a file that cannot be read or decoded raises
    ``error(path, reason)``."""
    from .paramfiles import decode, encoding_message

    try:
        data = read_file_bytes(path)
    except OSError as exc:
        raise error(str(path), f"{what}无法读取（{exc.strerror or exc.__class__.__name__}）") from None
    text = decode(data)
    if text is None:
        raise error(str(path), encoding_message(what))
    return text


def file_sha256(path: str | Path | None) -> str | None:
    """sha256 of a file's bytes (``None`` for no path; a marker for a file that cannot be read)."""
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()  # read in blocks, not whole into memory
    except OSError:
        return f"unreadable:{path}"


def read_table(folder: str | Path, name: str) -> pd.DataFrame | None:
    """``folder/name.parquet`` if present, else ``folder/name.csv`` (UTF-8 with BOM), else ``None``."""
    import pandas as pd

    folder = Path(folder)
    pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    if pq.exists():
        return pd.read_parquet(pq)
    if csv.exists():
        from .schema import TABLES, csv_dtypes

        return pd.read_csv(csv, encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                           dtype=csv_dtypes(name) if name in TABLES else None)
    return None


def write_graph(G, stem: str | Path) -> list[Path]:
    """Write a networkx graph as ``stem.gexf`` and ``stem.graphml`` (for Gephi), atomically."""
    import networkx as nx

    stem = Path(stem)
    return [atomic_write(stem.with_suffix(".gexf"), lambda p: nx.write_gexf(G, p)),
            atomic_write(stem.with_suffix(".graphml"), lambda p: nx.write_graphml(G, p))]
