"""Execute the project's notebooks on any booklet, with papermill (each notebook has a ``parameters`` cell)."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from .paths import REPO_ROOT


def notebook_paths(folder: str | Path | None = None) -> list[Path]:
    """The notebooks in ``folder`` (default: the repository's ``notebooks/``), in name order."""
    folder = Path(folder) if folder else REPO_ROOT / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


#: What ipykernel logs when jupyter_client's shutdown interrupt (a SIGINT sent before every shutdown request)
#: lands while the kernel is still inside the handler of the last reply it sent — a race of the two libraries,
#: seen in about one run in six, that says nothing about the notebook.
SHUTDOWN_INTERRUPT_LINE = "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel."


@functools.lru_cache(maxsize=None)
def kernel_manager_class() -> type:
    """jupyter_client's ``AsyncKernelManager`` with the kernel's stderr written to the file named by its
    ``stderr_path`` setting (``start_kernel`` passes Popen keyword arguments on to the kernel process); one class,
    made on first use (jupyter_client is imported only to run notebooks)."""
    from jupyter_client import AsyncKernelManager
    from traitlets import Unicode

    class KernelWithStderrFile(AsyncKernelManager):
        stderr_path = Unicode("", config=True, help="file the kernel process writes its stderr to")

        async def start_kernel(self, **kw):
            if not self.stderr_path:
                return await super().start_kernel(**kw)
            with open(self.stderr_path, "ab") as stderr:  # the kernel holds its own copy of the descriptor
                return await super().start_kernel(stderr=stderr, **kw)

    return KernelWithStderrFile


def kernel_config(socket_dir: str | Path):
    """The kernels' configuration: they talk to papermill over IPC sockets (Unix domain sockets, files under
    ``socket_dir``, a private folder) instead of TCP on localhost — nothing other users can connect to, and no
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption" on stderr. The kernel's stderr goes
    to ``socket_dir/kernel.stderr`` (see :func:`kernel_stderr`)."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(socket_dir) / "kernel")},
                   "KernelWithStderrFile": {"stderr_path": str(Path(socket_dir) / "kernel.stderr")}})


def kernel_stderr(socket_dir: str | Path) -> str:
    """What the kernel wrote to stderr, less :data:`SHUTDOWN_INTERRUPT_LINE` ("" if nothing else)."""
    path = Path(socket_dir) / "kernel.stderr"
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "".join(line for line in text.splitlines(keepends=True) if line.rstrip() != SHUTDOWN_INTERRUPT_LINE)


def run_notebooks(outdir: str | Path, booklet: str | None = None, seed: int = 0, k: int | None = None,
                  anonymise: bool = False, folder: str | Path | None = None, curriculum: str | None = None,
                  codes: str | None = None, booklets: list[str] | None = None,
                  on_done: Callable[[Path, int, int, float], None] | None = None) -> list[Path]:
    """Execute every notebook into ``outdir`` with the given parameters; returns the executed notebooks' paths.
    Parameters a notebook does not declare, and ``None`` values, are not passed (the notebook's default stays).
    ``booklets``: the list of booklets of the programme notebook (06_programme; default: ``booklet`` alone).
    ``on_done(path, i, n, seconds)`` is called after each notebook (the i-th of n) — one progress line each."""
    import nbformat
    import papermill as pm

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = dict(booklet=str(Path(booklet).resolve()) if booklet else None, seed=seed, k=k, anonymise=anonymise,
                  curriculum=str(Path(curriculum).resolve()) if curriculum else None,
                  codes=str(Path(codes).resolve()) if codes else None,
                  booklets=[str(Path(p).resolve()) for p in (booklets or [booklet] if booklets or booklet else [])]
                  or None)
    done = []
    paths = notebook_paths(folder)
    for i, nb_path in enumerate(paths, start=1):
        start = time.perf_counter()
        nb = nbformat.read(nb_path, as_version=4)
        declared = "".join(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        params = {name: value for name, value in wanted.items() if f"{name} =" in declared and value is not None}
        target = out / nb_path.name
        # executed under a unique temporary name, renamed only on success: a failed notebook never sits
        # under its final name (it is kept as NN_name.failed.ipynb to read the error)
        fd, partial = tempfile.mkstemp(prefix=f".{nb_path.stem}.", suffix=".partial.ipynb", dir=out)
        os.close(fd)
        try:
            with tempfile.TemporaryDirectory(prefix="corpus-tools-kernel-") as sockets:
                try:
                    pm.execute_notebook(str(nb_path), partial, parameters=params, cwd=str(out),
                                        progress_bar=False, kernel_name="python3", config=kernel_config(sockets),
                                        kernel_manager_class=kernel_manager_class())
                finally:
                    sys.stderr.write(kernel_stderr(sockets))
        except Exception as exc:
            failed = target.with_suffix(".failed.ipynb")
            if Path(partial).stat().st_size:
                os.replace(partial, failed)
            Path(partial).unlink(missing_ok=True)
            reason = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
            raise RuntimeError(f"notebook {nb_path.name} failed ({' '.join(reason.split())[:300]}); "
                               f"the partly executed notebook is {failed}") from exc
        os.chmod(partial, 0o644)  # mkstemp makes 0600 files
        os.replace(partial, target)
        done.append(target)
        if on_done is not None:
            on_done(target, i, len(paths), time.perf_counter() - start)
    return done


def show(figures, stem: str | None = None, dpi: int = 110) -> None:
    """Show a figure inline in a notebook with its title, caption and method (Chinese, from its FigureSpec).

    ``figures``: a :class:`~corpus_tools.study.FigureSpec`, or a study / mapping of specs with ``stem``. The
    figure is drawn as the run draws its PNG file (:func:`corpus_tools.plots.style.figure_files`: in the project's
    style, so tick labels made while drawing follow it too) and shown as that image, whatever matplotlib backend
    the kernel uses: at ``dpi=150`` it is the run's ``figures/<stem>.png``."""
    from IPython.display import Image, Markdown, display

    from .plots.style import figure_files

    specs = getattr(figures, "figures", figures)
    spec = specs[stem] if stem is not None else figures
    display(Image(data=figure_files(spec.make(), ("png",), dpi)["png"], format="png"))
    words = [f"**{spec.title or spec.stem}**" + (f"：{spec.caption}" if spec.caption else "")]
    if spec.method or spec.source:
        words.append("<small>" + "；".join(x for x in (f"方法：{spec.method}" if spec.method else "",
                                                      f"数据：表 `{spec.source}`" if spec.source else "") if x)
                     + f"；图名：`{spec.stem}`</small>")
    display(Markdown("  \n".join(words)))
