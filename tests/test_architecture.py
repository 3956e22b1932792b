"""The shape of the code: I/O only at the edges, stages declared once, the core importable without Jupyter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BOOKLET

PKG = Path(__file__).resolve().parents[1] / "src" / "corpus_tools"

# modules allowed to write files (README: "I/O lives in store, resultcache, render, save, pipeline, cli and notebooks")
WRITERS = {"store.py", "pipeline.py", "resultcache.py", "render.py", "save.py", "cli.py", "notebooks.py"}
# … and, besides them, modules allowed to read: the booklet reader and the package's own data files
READERS = WRITERS | {"ingest.py", "resources.py"}

# method calls that write, whatever they are called on (``path.write_text(…)``, ``df.to_csv(…)``)
WRITE_METHODS = {"write_text", "write_bytes", "to_csv", "to_parquet", "to_excel", "to_pickle", "to_feather",
                 "to_stata", "to_hdf", "savefig", "mkdir", "makedirs", "unlink", "rmdir", "touch", "symlink_to",
                 "hardlink_to", "rmtree", "write_gexf", "write_graphml", "write_gml", "write_edgelist", "mkstemp",
                 "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "to_file"}
# calls that write when made on a module: os.replace(…), json.dump(…), np.save(…); every shutil.* call
MODULE_WRITES = {"os": {"replace", "rename", "renames", "remove", "unlink", "rmdir", "removedirs", "makedirs", "mkdir",
                        "symlink", "link", "truncate", "mkfifo", "chmod"},
                 "json": {"dump"}, "pickle": {"dump"}, "np": {"save", "savez", "savez_compressed", "savetxt"},
                 "numpy": {"save", "savez", "savez_compressed", "savetxt"},
                 "shutil": {"copy", "copy2", "copyfile", "copyfileobj", "copytree", "copymode", "copystat", "move",
                            "rmtree", "make_archive", "unpack_archive", "chown"}}
READ_METHODS = {"read_text", "read_bytes", "read_csv", "read_parquet", "read_excel", "read_pickle", "read_gexf",
                "read_graphml"}
MODULE_READS = {"json": {"load"}, "pickle": {"load"}, "np": {"load", "loadtxt"}, "numpy": {"load", "loadtxt"}}


def _open_mode(node: ast.Call, first: int) -> str:
    """The mode of ``open(path, mode)`` (``first`` = 1) or ``path.open(mode)`` (``first`` = 0); "r" if not given
    as a constant."""
    if len(node.args) > first and isinstance(node.args[first], ast.Constant):
        return str(node.args[first].value)
    for kw in node.keywords:
        if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return "r"


def _into_memory(node: ast.Call) -> bool:
    """``fig.savefig(buf, …)`` into an in-memory buffer is not file I/O."""
    return bool(node.args) and isinstance(node.args[0], ast.Name) and "buf" in node.args[0].id


def file_io_calls(tree: ast.AST) -> list[tuple[int, str, str]]:
    """Every call in ``tree`` that reads or writes a file: ``(line, "write" | "read", what)``. Builtin ``open``
    and ``Path.open`` by their mode; method calls by name (:data:`WRITE_METHODS`, :data:`READ_METHODS`); calls on
    the modules os, json, pickle, numpy and shutil by :data:`MODULE_WRITES` / :data:`MODULE_READS`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "open":
            mode = _open_mode(node, 1)
            found.append((node.lineno, "write" if set(mode) & set("wax+") else "read", f"open(mode={mode!r})"))
        elif isinstance(f, ast.Attribute):
            name = f.attr
            owner = f.value.id if isinstance(f.value, ast.Name) else None
            if owner in MODULE_WRITES and name in MODULE_WRITES[owner]:
                found.append((node.lineno, "write", f"{owner}.{name}"))
            elif owner in MODULE_READS and name in MODULE_READS[owner]:
                found.append((node.lineno, "read", f"{owner}.{name}"))
            elif owner in ("os", "shutil", "json", "pickle", "np", "numpy", "str", "re"):
                continue  # os.path.join, json.dumps, str.replace …: not file I/O
            elif name == "open":
                mode = _open_mode(node, 0)
                found.append((node.lineno, "write" if set(mode) & set("wax+") else "read", f".open(mode={mode!r})"))
            elif name in WRITE_METHODS and not (name == "savefig" and _into_memory(node)):
                found.append((node.lineno, "write", f".{name}()"))
            elif name in READ_METHODS:
                found.append((node.lineno, "read", f".{name}()"))
    return sorted(found)


def _modules():
    return sorted(p for p in PKG.rglob("*.py"))


def _io_functions() -> dict[str, set[str]]:
    """For each writing module (its import name, e.g. "store"), the functions and classes it defines that write
    files: those whose body has a file-writing call, or calls one of these of the same module (to a fixed point).
    A module outside the writing modules that calls one of them writes through it. (Reading through store,
    ingest and resources is their purpose: the parameter files, the booklet and the package's data.)"""
    defs = {}
    for rel in sorted(WRITERS):
        tree = ast.parse((PKG / rel).read_text(encoding="utf-8"))
        defs[rel.removesuffix(".py")] = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    out = {mod: {name for name, n in d.items() if any(kind == "write" for _, kind, _ in file_io_calls(n))}
           for mod, d in defs.items()}
    while True:  # calls (by name) of a writing function of any of these modules, e.g. save → store.write_table
        writers = set().union(*out.values())
        more = {mod: {name for name, n in d.items() if name not in out[mod] and any(
            isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in writers for c in ast.walk(n))}
            for mod, d in defs.items()}
        if not any(more.values()):
            return out
        for mod in out:
            out[mod] |= more[mod]


IO_FUNCTIONS = _io_functions()

# File I/O (direct, or through a writing function) that is not where it belongs yet, each with its reason (issue 22 §2 asks for
# one writer path). The list may only shrink: test_the_allowed_writers_are_still_needed fails on an entry that is
# no longer used, so whoever moves a writer into store/save removes its line here.
ALLOWED = {
    ("booklet.py", "save.write_booklet"): "Booklet.save (corpus-tools parse) delegates to save.write_booklet",
    ("compare.py", "save.write_staged"): "compare_booklets writes comparison/ through save's staged writer",
    ("plots/style.py", "store.write_bytes"): "save_figure writes a figure file for a caller",
    ("report.py", "store.atomic_write"): "report.pdf is printed by Chromium into a staged file",
    ("network.py", "store.write_graph"): "export_graph writes GEXF/GraphML for a caller",
    ("study.py", "save.save_study"): "Study.save delegates to save.save_study",
    ("text.py", "store.writable_dir"): "the tokenizer creates its cache folder (or warns that it cannot)",
    ("report.py", ".TemporaryDirectory()"): "report.pdf: Chromium prints into a temporary folder",
    ("workers.py", "store.Spool"): "a large task goes to its worker in a file, not through the executor's pipe "
                                   "(a worker ended mid-write hangs Python 3.11.2's executor, gh-94777)",
    ("workers.py", "store.take_spooled"): "… which the worker reads and removes",
}


def io_module_calls(rel: str, tree: ast.AST) -> list[tuple[int, str]]:
    """Calls in ``tree`` of the writing modules' file-writing functions: ``from .store import
    write_text`` … ``write_text(…)``, or ``store.write_text(…)``: ``(line, "store.write_text")``."""
    depth = rel.count("/")
    imported: dict[str, str] = {}  # local name → "module.function"
    modules: dict[str, str] = {}  # local name → I/O module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = (node.module or "")
            if node.level == depth + 1 or mod.startswith("corpus_tools"):
                mod = mod.removeprefix("corpus_tools").lstrip(".")
                for a in node.names:
                    if mod in IO_FUNCTIONS and a.name in IO_FUNCTIONS[mod]:
                        imported[a.asname or a.name] = f"{mod}.{a.name}"
                    elif not mod and a.name in IO_FUNCTIONS:
                        modules[a.asname or a.name] = a.name
        elif isinstance(node, ast.Import):
            for a in node.names:
                mod = a.name.removeprefix("corpus_tools.")
                if mod in IO_FUNCTIONS and a.asname:
                    modules[a.asname] = mod
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in imported:
                found.append((node.lineno, imported[f.id]))
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in modules:
                mod = modules[f.value.id]
                if f.attr in IO_FUNCTIONS[mod]:
                    found.append((node.lineno, f"{mod}.{f.attr}"))
    return sorted(found)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_file_io_only_at_the_edges(path: Path):
    """No module outside the I/O modules reads or writes a file directly (open, Path.write_*/open, to_csv,
    savefig, json.dump, shutil …), nor writes one through a writing function of store, save, cache …, unless
    :data:`ALLOWED` lists it with a reason. Fails with file:line of each call."""
    rel = path.relative_to(PKG).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown = f"src/corpus_tools/{rel}"
    bad = [f"{shown}:{line}: {what}" for line, kind, what in file_io_calls(tree)
           if ((kind == "write" and rel not in WRITERS) or rel not in READERS) and (rel, what) not in ALLOWED]
    if rel not in READERS:
        bad += [f"{shown}:{line}: {what}()" for line, what in io_module_calls(rel, tree) if (rel, what) not in ALLOWED]
    assert bad == [], "file I/O outside " + ", ".join(sorted(WRITERS)) + ":\n" + "\n".join(bad)


def test_the_allowed_writers_are_still_needed():
    used = set()
    for p in _modules():
        rel, tree = p.relative_to(PKG).as_posix(), ast.parse(p.read_text(encoding="utf-8"))
        used |= {(rel, what) for _, what in io_module_calls(rel, tree)} | {(rel, w) for _, _, w in file_io_calls(tree)}
    assert sorted(set(ALLOWED) - used) == [], "remove these from ALLOWED: they are no longer called"


def test_the_io_check_sees_what_it_should():
    """The checker itself, on code written for it: each kind of call is found, with its line."""
    code = ("import os, json, shutil\nfrom pathlib import Path\nimport numpy as np\n"
            "open(p, 'w')\nopen(p)\nPath(p).write_text('x')\nPath(p).open('a')\ndf.to_csv(p)\nfig.savefig(p)\n"
            "fig.savefig(buf)\njson.dump(x, fh)\njson.dumps(x)\nshutil.copy(a, b)\nos.replace(a, b)\n"
            "'a'.replace('a', 'b')\nnp.save(p, x)\nos.path.join(a, b)\nPath(p).unlink()\n")
    calls = [(line, kind, what) for line, kind, what in file_io_calls(ast.parse(code))]
    assert calls == [(4, "write", "open(mode='w')"), (5, "read", "open(mode='r')"), (6, "write", ".write_text()"),
                     (7, "write", ".open(mode='a')"), (8, "write", ".to_csv()"), (9, "write", ".savefig()"),
                     (11, "write", "json.dump"), (13, "write", "shutil.copy"), (14, "write", "os.replace"),
                     (16, "write", "np.save"), (18, "write", ".unlink()")]
    assert {"write_text", "write_table", "atomic_write", "StagedOutput", "copy_file"} <= IO_FUNCTIONS["store"]
    assert "csv_safe" not in IO_FUNCTIONS["store"] and "read_text_file" not in IO_FUNCTIONS["store"]  # no writes
    tree = ast.parse("from ..store import write_bytes\nfrom .. import store as st\n"
                     "write_bytes(p, b)\nst.write_text(p, 'x')\nst.csv_safe(df)\n")
    assert io_module_calls("plots/x.py", tree) == [(3, "store.write_bytes"), (4, "store.write_text")]


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
    code = ("import sys, corpus_tools, corpus_tools.study, corpus_tools.analysis, corpus_tools.stages, corpus_tools.pipeline; "
            "bad = [m for m in ('matplotlib', 'matplotlib.pyplot', 'IPython', 'papermill', 'nbclient', 'sklearn') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_a_runs_main_process_never_imports_matplotlib(tmp_path):
    """The stages name their figure functions (``PlotRef``) without importing them, and the tables figures draw
    (their data files: the words of a cloud, the cells of a matrix, the rows of a keyness panel) are computed
    without matplotlib (``plots.data``): so the process that analyses, makes the figures' data files and renders
    the report around its figure slots — a run's main process, whose workers draw the figures — never imports
    matplotlib (0.3–0.4 s of every run). On entries 1–10 (entry 11's title is line 706), every stage runs."""
    lines = BOOKLET.read_text(encoding="utf-8").splitlines()
    assert lines[705].strip() == "应如何正确看待医院专科信息系统？"  # entry 11's title
    small = tmp_path / "first10.txt"
    small.write_text("\n".join(lines[:705]) + "\n", encoding="utf-8")
    code = (
        "import sys, corpus_tools as ct\n"
        "from corpus_tools.study import Params, PlotRef\n"
        "from corpus_tools.plots.gallery import plotted_table\n"
        "from corpus_tools.report import REPORT_FIGURES, build_review, figure_slot\n"
        f"study = ct.analyse(ct.read_booklet({str(small)!r}), Params(k=3, seed=0))\n"
        "data = {stem: plotted_table(spec) for stem, spec in study.figures.items()}\n"
        "slots = {stem: figure_slot(stem) for stem in REPORT_FIGURES if stem in study.figures}\n"
        "page = build_review(study, slots).render_later()\n"
        "refs = sum(isinstance(s.fn, PlotRef) for s in study.figures.values())\n"
        "cloud = data['wordcloud_sections']\n"
        "print(len(study.figures), refs, len(study.skipped), len(cloud), sorted(cloud.columns))\n"
        "print([m for m in ('matplotlib', 'PIL', 'wordcloud') if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    first, loaded = out.stdout.strip().splitlines()
    n_figures, refs, skipped, n_words, columns = first.split(maxsplit=4)
    assert int(n_figures) >= 20 and int(refs) == int(n_figures) and skipped == "0"
    # the comparison cloud of the sections: its words with the entries using them, computed here, not drawn
    assert int(n_words) > 0 and {"group", "rank", "term", "g2", "entries", "n_group"} <= set(eval(columns))
    assert loaded == "[]"


def test_every_plotted_table_names_a_figure_function():
    """Each key of ``plots.data.PLOTTED`` is ``module.name`` of a figure function of corpus_tools.plots (a renamed
    function would silently lose its data file), and each maps to a function of its arguments."""
    import importlib

    from corpus_tools.plots.data import PLOTTED, plotted_data
    from corpus_tools.study import PlotRef

    assert len(PLOTTED) >= 9
    for key, get in PLOTTED.items():
        module, name = key.split(".")
        fn = getattr(importlib.import_module(f"corpus_tools.plots.{module}"), name)
        assert callable(fn) and callable(get), key
        assert plotted_data(fn) is get and plotted_data(PlotRef(f"corpus_tools.plots.{module}", name)) is get


def test_no_function_is_longer_than_80_lines():
    """A function the next maintainer can read at once (issue 22 §9): none of the package's functions, methods and
    nested functions spans more than 80 lines, docstring and decorators included."""
    long = []
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if node.end_lineno - first + 1 > 80:
                    long.append(f"{path.relative_to(PKG)}:{node.lineno} {node.name} ({node.end_lineno - first + 1})")
    assert not long, long


def test_no_exported_name_is_also_a_submodule():
    """``ct.cache()`` stays a function whatever was imported first: importing a submodule sets the package's
    attribute of that name to the module, so a submodule named like an export (the result cache was ``cache.py``)
    turned ``ct.cache`` into a module after ``import corpus_tools.pipeline`` ('module' object is not callable)."""
    import pkgutil

    import corpus_tools as ct

    submodules = {m.name for m in pkgutil.iter_modules([str(PKG)])}
    assert "resultcache" in submodules and "pipeline" in submodules
    assert not submodules & set(ct.__all__)
    script = "import corpus_tools.pipeline, corpus_tools as ct; print(callable(ct.cache), callable(ct.run))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stderr
