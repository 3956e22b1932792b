"""The shape of the code: I/O only at the edges, stages declared once, the core importable without Jupyter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "corpus_tools"

# modules allowed to write files (README: "I/O lives in store, cache, save, render, pipeline, cli and notebooks")
WRITERS = {"store.py", "pipeline.py", "cache.py", "render.py", "save.py", "cli.py", "notebooks.py"}
# … and, besides them, modules allowed to read: the booklet reader and the package's own data files
READERS = WRITERS | {"ingest.py", "resources.py"}

WRITE_CALLS = {"write_text", "write_bytes", "to_csv", "to_parquet", "to_excel", "savefig", "mkdir", "replace",
               "rename", "unlink", "rmtree", "write_gexf", "write_graphml", "mkstemp", "mkdtemp", "to_file"}
READ_CALLS = {"read_text", "read_bytes", "read_csv", "read_parquet", "read_excel", "read_gexf", "read_graphml"}


def _calls(tree: ast.AST):
    """Method calls (``path.write_text(…)``, ``df.to_csv(…)``, ``os.replace(…)``) and the builtin ``open``; a
    plain call of a function (``write_text(path, …)`` imported from store) goes through store and is fine."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):
                yield f.attr, node
            elif isinstance(f, ast.Name) and f.id == "open":
                yield "open", node


def _into_memory(node: ast.Call) -> bool:
    """``fig.savefig(buf, …)`` into an in-memory buffer is not file I/O."""
    return bool(node.args) and isinstance(node.args[0], ast.Name) and "buf" in node.args[0].id


def _open_mode(node: ast.Call) -> str | None:
    if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
        return str(node.args[1].value)
    for kw in node.keywords:
        if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return "r"


def _modules():
    return sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_file_io_only_at_the_edges(path: Path):
    rel = path.relative_to(PKG).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for name, node in _calls(tree):
        if name == "savefig" and _into_memory(node):
            continue
        if name in WRITE_CALLS and rel not in WRITERS:
            # os.replace / str.replace are both "replace": only flag calls on os / shutil / Path-like names
            if name in ("replace", "rename") and not (isinstance(node.func, ast.Attribute)
                                                      and isinstance(node.func.value, ast.Name)
                                                      and node.func.value.id in ("os", "shutil")):
                continue
            bad.append(f"line {node.lineno}: {name}")
        if name in READ_CALLS and rel not in READERS:
            bad.append(f"line {node.lineno}: {name}")
        if name == "open" and isinstance(node.func, ast.Name):
            mode = _open_mode(node) or "r"
            if (set(mode) & set("wax+") and rel not in WRITERS) or rel not in READERS:
                bad.append(f"line {node.lineno}: open(mode={mode!r})")
    assert bad == [], f"{rel} does file I/O outside store/pipeline/cli/notebooks: {bad}"


def test_stages_declared_once_and_consistent():
    from corpus_tools.stages import STAGES

    names = [s.name for s in STAGES]
    assert len(names) == len(set(names))
    for i, s in enumerate(STAGES):
        # a stage needs only stages declared before it, so declaration order is a valid run order
        assert set(s.needs) <= set(names[:i]), s.name
        assert s.title and s.description


def test_core_imports_without_jupyter_or_plotting():
    """``import corpus_tools`` and the analysis core load neither Jupyter nor pyplot (so notebooks keep their
    inline backend) nor matplotlib at all."""
    code = ("import sys, corpus_tools, corpus_tools.study, corpus_tools.stages, corpus_tools.pipeline; "
            "bad = [m for m in ('matplotlib', 'matplotlib.pyplot', 'IPython', 'papermill', 'nbclient', 'sklearn') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
