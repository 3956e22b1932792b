"""Every notebook runs headless on a later booklet (the edited booklet of test_compare_report), once, through the
same papermill path as `corpus-tools notebooks`: no error, no missing glyph, figures shown inline as images, and
notebooks 02–05 use the analysis core `ct.analyse` with no k fixed to this booklet."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import BOOKLET, ROOT
from test_compare_report import DROPPED

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]


def _code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


@pytest.fixture(scope="session")
def executed(tmp_path_factory, cache_dir, later_booklet_path) -> dict[str, nbformat.NotebookNode]:
    """Each notebook executed once, with k = 7 given as a parameter (the notebooks' own default chooses k). The
    kernels use the session's result cache (``ct.cache()`` reads ``$CORPUS_TOOLS_CACHE``), which holds the later
    booklet's stages up to the topics with the same parameters (conftest's ``later_booklet_path``, shared with
    the comparison test: a user rerunning notebooks after a compare); they compute the rest."""
    import os

    from corpus_tools.notebooks import run_notebooks

    assert os.environ["CORPUS_TOOLS_CACHE"] == str(cache_dir.parent)  # set for the session (conftest)
    out = tmp_path_factory.mktemp("notebooks")
    booklet = later_booklet_path
    # 06_programme: the bundled booklet, then the later one (a programme of two booklets)
    paths = run_notebooks(out, booklet=str(booklet), k=7, booklets=[str(BOOKLET), str(booklet)])
    return {p.name: nbformat.read(p, as_version=4) for p in paths}


def test_notebooks_are_committed_without_outputs():
    assert len(NOTEBOOKS) == 6
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), path.name
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path.name


def test_notebooks_call_the_analysis_core():
    for path in NOTEBOOKS[1:]:
        nb = nbformat.read(path, as_version=4)
        code = _code(nb)
        assert "ct.analyse(" in code, path.name
        assert "pipeline" not in code and "run_topics" not in code and "tokens_table" not in code, path.name
        params = "".join(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        k = re.search(r"^k = (\S+)", params, re.M)
        assert k is None or k.group(1) == "None", path.name  # k chosen by the rule unless a caller gives it


CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("name", NAMES)
def test_notebook_prose_is_chinese(name):
    """The notebooks' readers are the report's: every heading and paragraph, and every comment of the parameters
    cell, is written in Chinese (names of tables and columns in `code` aside)."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    prose = [c.source for c in nb.cells if c.cell_type == "markdown"]
    prose += [line.split("#", 1)[1] for c in nb.cells if "parameters" in c.metadata.get("tags", [])
              for line in c.source.splitlines() if "#" in line]
    assert prose
    for text in prose:
        words = re.sub(r"`[^`]*`", "", text)
        assert len(CJK.findall(words)) > len(re.findall(r"[A-Za-z]", words)), text[:120]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_shows_its_figures(executed, name):
    nb = executed[name]
    images = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (out.get("ename"), out.get("evalue"))
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            assert "Glyph" not in text and "missing from" not in text, text[:200]
            assert "<Figure size" not in str(out.get("data", {}).get("text/plain", ""))
            images += "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
    shows = len(re.findall(r"^show\(", _code(nb), re.M))
    assert images >= max(1, shows), (images, shows)
    # every figure comes with its caption (the FigureSpec's title in bold)
    captions = [o for c in nb.cells for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
    assert len(captions) == images


def test_notebooks_read_the_booklet_given(executed):
    text = "".join(o.get("text", "") for c in executed["01_parse.ipynb"].cells for o in c.get("outputs", []))
    n = 68 - len(DROPPED) + 1  # 【网络安全】 dropped, entry 1 repeated (see test_compare_report.later_booklet)
    assert "later.txt" in text and f"{n} 条问答，分属 8 个栏目" in text and "系统集成与互联互通" in text
    out = "".join(o.get("text", "") for c in executed["02_topics.ipynb"].cells for o in c.get("outputs", []))
    assert "主题数 k = 7（由参数指定）" in out


def test_programme_notebook_reads_the_booklets_given(executed):
    """06_programme on [the bundled booklet, the later one] (test_compare_report.later_booklet: 【网络安全】's 4
    entries dropped, entry 1 repeated under a new title, the 5 notes of 第三期 第 1 单元 printed 第四期): 59 of the
    later booklet's 65 entries are the bundled one's word for word with the same note (reprints, counted once);
    the 5 moved notes make the same text under another note (kept, warned); the repeat keeps 第三期 (l.92), which
    the bundled booklet also prints — a conflict: the later booklet's cohorts follow (its 第三期 is cohort 4, its
    第四期 cohort 5)."""
    nb = executed["06_programme.ipynb"]
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "2 本合集，74 条问答，5 期" in text
    html = {c.source.splitlines()[0]: "".join(o.get("data", {}).get("text/html", "") for o in c.get("outputs", []))
            for c in nb.cells if c.cell_type == "code" and c.source}
    warned = html['b.warnings[b.warnings.code.isin(["cohort_conflict", "same_text_other_note"])][["booklet", '
                  '"line_no", "code", "message"]]']
    assert warned.count("cohort_conflict") == 1 and warned.count("same_text_other_note") == 5
    overview = html["overview = cohort_overview(b.entries, study.tables)"]
    cohorts = re.findall(r"<tr>\s*<th>\d+</th>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>\s*<td>\d+</td>\s*<td>(\d+)</td>",
                         overview)
    assert cohorts == [("1", "hit_cio_training_qa", "41"), ("2", "hit_cio_training_qa", "16"),
                       ("3", "hit_cio_training_qa", "11"), ("4", "later", "1"), ("5", "later", "5")]
    books = html["booklets_overview(b.entries, b.reprinted_entries)"]
    assert "<td>59</td>" in books


def test_review_notebook_shows_the_findings_table(executed):
    nb = executed["05_curriculum_review.ipynb"]
    cell = next(c for c in nb.cells if c.source.strip() == 'study.tables["findings"]')
    html = cell.outputs[0]["data"]["text/html"]
    heads = re.findall(r"<th>([^<]+)</th>", html)
    assert {"kind", "text", "statistic", "p_value", "q_value", "entry_ids", "caveat"} <= set(heads)
    assert html.count("<tr>") >= 3  # rows, not sentences printed one after another


def test_notebooks_command_is_quiet_one_line_per_notebook(tmp_path, monkeypatch, capfd):
    """`corpus-tools notebooks` (here on 01_parse only, the bundled booklet): the kernels talk over IPC, so no
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption" reaches stderr (the kernel is a
    subprocess writing to the same file descriptor: capfd sees it); stdout has one progress line per notebook."""
    import corpus_tools.notebooks as notebooks
    from corpus_tools import cli

    monkeypatch.setattr(notebooks, "notebook_paths", lambda folder=None: [ROOT / "notebooks" / "01_parse.ipynb"])
    out = tmp_path / "out"
    assert cli.main(["notebooks", "-o", str(out)]) == 0
    captured = capfd.readouterr()
    assert "IPKernelApp" not in captured.err and "WARNING" not in captured.err, captured.err[:300]
    assert captured.err.strip() == ""
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"\[1/1\] 01_parse\.ipynb 已执行（\d+ 秒）→ .*01_parse\.ipynb", lines[0])
    # the notebook ran on the bundled booklet (entry 1: title line 27, source note ends line 94) and left nothing
    # else behind (the kernel's sockets live in a temporary folder)
    assert sorted(p.name for p in out.iterdir()) == ["01_parse.ipynb"]
    nb = nbformat.read(out / "01_parse.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "医院信息科为什么要具备规划能力？（原文第 27–94 行）" in text
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_the_notebooks_prose_is_chinese():
    """What an analyst reads besides code — the markdown cells and the comments in code cells — is Chinese: no
    run of three English words once code spans (`…`) and identifiers are set aside. (The comment above the unit
    bars in 05 was English.)"""
    english = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}\b")
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        prose = [c.source for c in nb.cells if c.cell_type == "markdown"]
        prose += [line.split("#", 1)[1] for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
                  if "#" in line and not line.lstrip().startswith("%")]
        for text in prose:
            plain = re.sub(r"`[^`]*`", "", text)
            assert CJK.search(plain), (path.name, text)
            assert not english.search(plain), (path.name, english.search(plain).group(), text)


def test_notebook_05_names_the_stages_in_chinese(executed):
    """05's first line lists the stages run by their Chinese titles (stages.py: 课程覆盖, 发现 …), not by name."""
    text = "".join(o.get("text", "") for c in executed["05_curriculum_review.ipynb"].cells
                   for o in c.get("outputs", []))
    line = next(x for x in text.splitlines() if "已运行的阶段：" in x)
    assert "课程覆盖" in line and "发现" in line
    assert not re.search(r"[A-Za-z]", line.split("已运行的阶段：")[1]), line


def test_what_the_kernel_writes_to_stderr_is_passed_on_but_the_shutdown_race_line(tmp_path, capfd):
    """The kernel's own stderr (here a cell writing to file descriptor 2, below Python's sys.stderr, which the
    kernel sends into the notebook) still reaches the terminal, after the notebook. Only ipykernel's
    "KeyboardInterrupt caught in kernel." is left out: jupyter_client interrupts every kernel before shutting it
    down, and when the signal lands inside the handler of the last reply ipykernel logs it (seen in the
    `notebooks` command about one run in six)."""
    from corpus_tools.notebooks import SHUTDOWN_INTERRUPT_LINE, kernel_stderr, run_notebooks

    folder = tmp_path / "nb"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('import os\nos.write(2, "内核的一行\\n".encode())\nprint("单元格已运行")')]
    nbformat.write(nb, folder / "01_stderr.ipynb")
    run_notebooks(tmp_path / "out", folder=folder)
    assert capfd.readouterr().err == "内核的一行\n"
    executed = nbformat.read(tmp_path / "out" / "01_stderr.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "单元格已运行\n"

    (tmp_path / "kernel.stderr").write_text(f"before\n{SHUTDOWN_INTERRUPT_LINE}\n[IPKernelApp] ERROR | other\n",
                                            encoding="utf-8")
    assert kernel_stderr(tmp_path) == "before\n[IPKernelApp] ERROR | other\n"


def test_a_notebook_shows_the_figure_the_run_wrote(study, run_dir, monkeypatch):
    """``show(study, stem, dpi=150)`` displays the run's figures/<stem>.png byte for byte: drawn by the same path
    in the project's style. (Drawn with a bare ``savefig`` in the kernel's own settings, 9 of the run's 20 PNGs
    differed: colour-bar ticks with another minus sign, which moved the colour bar and the heat map beside it.)"""
    import IPython.display

    from corpus_tools.notebooks import show

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    # four of those nine: colour bars (codes, keyness), small multiples, and a map with label arrows
    stems = ["codes_heatmap_section", "keyness_by_cohort", "trends_top_terms_by_cohort", "ca_terms_sections"]
    for png in [run_dir / "figures" / f"{stem}.png" for stem in stems]:
        shown.clear()
        show(study, png.stem, dpi=150)
        assert isinstance(shown[0], IPython.display.Image) and shown[0].data == png.read_bytes(), png.stem
        assert png.stem in shown[1].data  # the caption names the figure
