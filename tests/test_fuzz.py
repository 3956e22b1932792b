"""Fuzz test (issue 12): 200 seeded mutations of the booklet — dropped, swapped and duplicated lines, truncations,
injected bytes, markup and control characters, very long lines, other encodings.

Every case goes through the command line's ``main()`` in-process and must end either with exit 0 (possibly with
one-line warnings) or with exit 2 and ONE error line — never a traceback, never an "unexpected" error, and never a
partial output under a final name. A few small mutated booklets go through the whole ``corpus-tools run``.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from corpus_tools.cli import main
from conftest import BOOKLET

LINES = BOOKLET.read_text(encoding="utf-8").splitlines()
N_CASES = 200
MARKUP = ["<script>alert('x')</script>", "=HYPERLINK(\"http://evil.example\",\"点我\")", "=cmd|' /C calc'!A0",
          "+1+2医院", "@SUM(1+1)医院", "【", "】", "【】", "【系统集成】", "：", "学员、", "老师：", "来源：第一期",
          r"$\badcmd{x}$", "{{ x }}", "{% raw %}", "&amp;&lt;", "]]>", "<!--", "\\", "\"", "'", "第99期", "　"]
CONTROL = ["\x01", "\x1b", "\x07", "\x0b", "\x0c", "\x7f", "\x85", "\u2028", "\u202e", "\ufeff", "\ufffe", "\uffff",
           "\u200b", "\ud7ff"]
PARSED = ("entries", "turns", "askers", "people", "units", "hospitals", "sections", "lines", "warnings")


def mutate(seed: int) -> bytes:
    """Mutated booklet bytes for ``seed`` (deterministic)."""
    rnd = random.Random(seed)
    start = 0 if rnd.random() < 0.5 else rnd.randrange(0, len(LINES) - 50)
    lines = list(LINES[start:start + rnd.randrange(50, len(LINES))])
    ops = rnd.choices(["drop", "swap", "dup", "markup", "control", "long", "heading", "blank"], k=rnd.randint(1, 4))
    for op in ops:
        n = rnd.randint(1, 25)
        if op == "drop":
            for _ in range(min(n, len(lines) - 1)):
                del lines[rnd.randrange(len(lines))]
        elif op == "swap":
            for _ in range(n):
                i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
        elif op == "dup":
            for _ in range(n):
                i = rnd.randrange(len(lines))
                lines[i:i] = [lines[i]] * rnd.randint(1, 3)
        elif op in ("markup", "control"):
            pool = MARKUP if op == "markup" else CONTROL
            for _ in range(n):
                i = rnd.randrange(len(lines))
                pos = rnd.randrange(len(lines[i]) + 1)
                lines[i] = lines[i][:pos] + rnd.choice(pool) + lines[i][pos:]
        elif op == "long":
            i = rnd.randrange(len(lines))
            lines[i] = lines[i] + rnd.choice(["医", "a", "数据 ", "—"]) * rnd.choice([2_000, 20_000, 100_000])
        elif op == "heading":
            lines.insert(rnd.randrange(len(lines)), "【" + "长" * rnd.choice([30, 3_000]) + "】")
        elif op == "blank":
            for _ in range(n):
                lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(["", " ", "\t", "-" * 40]))
    text = "\n".join(lines)
    data = text.encode(rnd.choices(["utf-8", "utf-16", "gb18030"], [8, 1, 1])[0], errors="replace")
    if rnd.random() < 0.25:  # truncate, possibly inside a multi-byte character
        data = data[: rnd.randrange(0, len(data) + 1)]
    if rnd.random() < 0.2:  # raw bytes: invalid UTF-8, NUL, a BOM in the wrong place
        for _ in range(rnd.randint(1, 10)):
            pos = rnd.randrange(len(data) + 1)
            data = data[:pos] + rnd.choice([b"\xff", b"\x00", b"\xc3", b"\xef\xbb\xbf", bytes([rnd.randrange(256)])])\
                + data[pos:]
    return data


def _check_outcome(rc: int, err: str, case: str) -> None:
    lines = err.splitlines()
    assert "Traceback" not in err, f"{case}: traceback\n{err}"
    assert rc in (0, 2), f"{case}: exit {rc}\n{err}"
    if rc == 2:
        errors = [ln for ln in lines if ": error: " in ln]
        assert len(errors) == 1 and lines[-1] == errors[0], f"{case}: not one error line\n{err}"
        assert "unexpected" not in errors[0], f"{case}: an uncaught exception\n{err}"
    assert all(ln.startswith("corpus-tools") for ln in lines), f"{case}: stray stderr\n{err}"


def _no_temp_files(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.name.endswith((".tmp", ".partial.ipynb")) or ".staging-" in str(p)]


def test_200_mutated_booklets_parse_or_are_refused_in_one_line(tmp_path, capsys):
    counts = {"ok": 0, "ok with warnings": 0, "refused": 0}
    reasons: dict[str, int] = {}
    for seed in range(N_CASES):
        src = tmp_path / f"case{seed:03d}.txt"
        src.write_bytes(mutate(seed))
        out = tmp_path / f"out{seed:03d}"
        rc = main(["parse", str(src), "-o", str(out), "--formats", "csv"])
        captured = capsys.readouterr()
        _check_outcome(rc, captured.err, f"seed {seed}")
        if rc == 0:
            counts["ok with warnings" if "warning" in captured.err else "ok"] += 1
            for name in PARSED:  # every table complete under its final name
                pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
            assert "条问答，分属" in captured.out and "解析报告" in captured.out
        else:
            counts["refused"] += 1
            reason = re.sub(r"\d+", "N", captured.err.split(": ")[-1].split("(")[0].strip())[:48]
            reasons[reason] = reasons.get(reason, 0) + 1
            assert not out.exists() or not any(p.is_file() for p in out.rglob("*")), f"seed {seed}: partial output"
        assert not _no_temp_files(tmp_path)
        shutil.rmtree(out, ignore_errors=True)
        src.unlink()
    print(f"\nfuzz: {N_CASES} mutated booklets: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print("refusals: " + "; ".join(f"{k} ×{v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])))
    assert sum(counts.values()) == N_CASES
    assert counts["ok"] + counts["ok with warnings"] >= N_CASES // 3  # many mutations still give a booklet
    assert counts["refused"] >= 5  # and the truncated / binary ones are refused


# seed → line where the booklet is cut: entry 4 starts on line 297, entry 8 on 482, entry 17 on 1053; so the runs
# get tiny booklets of about 3, 7 and 16 entries (the inserted heading may split one): tiny booklets must run
# what makes sense, or refuse in one line
SMALL_RUNS = {1: 297, 2: 482, 3: 1053}
SMALL_RUN_SEEDS = tuple(SMALL_RUNS)
# (-j 1 below: one process; these runs test the input, not the worker processes, whose start costs more than a
# tiny booklet's fits and figures; the session's run in conftest uses them)


def _small_mutated_booklet(seed: int) -> bytes:
    """The first entries of the booklet (see :data:`SMALL_RUNS`), spiked with markup, control characters in
    hospital names, a dropped and a duplicated line and a long mathtext section heading."""
    rnd = random.Random(1000 + seed)
    end = SMALL_RUNS[seed]
    lines = list(LINES[:end - 1])
    for _ in range(3):
        i = rnd.randrange(30, len(lines))
        lines[i] = rnd.choice(MARKUP) + lines[i]
    labels = [i for i, ln in enumerate(lines) if ln.startswith("学员、")]
    for i in rnd.sample(labels, min(3, len(labels))):  # control characters inside hospital names (they reach the GEXF/GraphML)
        lines[i] = lines[i][:5] + rnd.choice(["\x01", "\x1b", "\ufffe"]) + lines[i][5:]
    del lines[rnd.randrange(30, len(lines))]
    i = rnd.randrange(30, len(lines))
    lines.insert(i, lines[i])
    lines.insert(rnd.randrange(30, len(lines)), "【" + "$\\badcmd{x}$很长的栏目" * 40 + "】")
    return "\n".join(lines).encode("utf-8")


@pytest.mark.parametrize("seed", SMALL_RUN_SEEDS)
def test_whole_runs_on_small_mutated_booklets(tmp_path, capsys, seed):
    src = tmp_path / "small.txt"
    src.write_bytes(_small_mutated_booklet(seed))
    out = tmp_path / "out"
    rc = main(["run", str(src), "-o", str(out), "-k", "3", "-q", "--formats", "svg", "-j", "1", "--all-figures"])
    captured = capsys.readouterr()
    _check_outcome(rc, captured.err, f"run seed {seed}")
    assert not _no_temp_files(tmp_path)
    if rc == 0:
        assert (out / "run_manifest.json").is_file() and (out / "report.html").is_file()
        assert list((out / "figures").glob("*.svg"))
    else:
        assert not out.exists() or not [p for p in out.rglob("*") if p.is_file() and p.name != ".corpus-tools.lock"]
    assert not (out / ".corpus-tools.lock").exists()


# tiny and damaged booklets, in-process (issue 24 §4): the first n entries of the booklet (each entry ends before
# the next entry's title line), with and without their source notes; every figure a stage specifies must draw
TINY_SIZES = (1, 3, 6, 10)


@pytest.mark.parametrize("notes", [True, False], ids=["notes", "no-notes"])
def test_every_figure_of_a_tiny_or_damaged_booklet_draws(tmp_path, booklet, notes):
    import corpus_tools as ct
    from corpus_tools.stages import STAGES
    from test_robustness import _without_source_notes

    starts = booklet.entries.set_index("entry_id").line_start
    for n in TINY_SIZES:
        lines = LINES[:int(starts[n + 1]) - 1]
        if not notes:
            lines = _without_source_notes(lines)
        src = tmp_path / f"first{n}.txt"
        src.write_text("\n".join(lines) + "\n", encoding="utf-8")
        b = ct.read_booklet(src)
        assert len(b.entries) == n and b.entries.cohort.notna().all() == notes
        study = ct.analyse(b, ct.Params(seed=0, k=3 if n >= 10 else None))
        assert ("topics" in study.skipped) == (n < 10)  # the topic model needs 10 entries
        assert set(study.stages_run) | set(study.skipped) == {s.name for s in STAGES}
        for stem, spec in study.figures.items():
            fig = spec.make()  # raises on a figure that cannot be drawn from what the stage gave it
            assert fig.axes, (n, stem)
