"""One pipeline, many faces: ``run(booklet, outdir, params)`` runs the stages in order and writes a manifest.

Output tree under ``outdir``: ``data/processed/`` (tables, CSV + Parquet), ``figures/`` (stable names),
``run_manifest.json`` (input checksum, parameters, package versions, seconds per stage).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from .booklet import Booklet, read_booklet


@dataclass(frozen=True)
class RunParams:
    """Parameters of a run, in one place."""

    seed: int = 0
    formats: tuple[str, ...] = ("png", "svg")
    table_formats: tuple[str, ...] = ("csv", "parquet")


@dataclass
class RunResult:
    booklet: Booklet
    outdir: Path
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        b = self.booklet
        lines = [
            "",
            "Summary",
            f"  booklet   {b.meta.get('source')}  ({b.meta.get('encoding')}, {b.meta.get('n_lines')} lines)",
            f"  parsed    {len(b.entries)} entries · {len(b.sections)} sections · {len(b.turns)} turns · "
            f"{(b.people.role == 'trainee').sum()} trainees · {(b.people.role == 'instructor').sum()} instructors · "
            f"{len(b.units)} sessions",
            f"  warnings  {len(b.warnings)}" + ("  (see parse_report.txt)" if len(b.warnings) else ""),
        ]
        for stage, files in self.outputs.items():
            lines.append(f"  {stage:<9} {len(files)} files")
        lines.append(f"  outputs   {self.outdir.resolve()}")
        lines.append("  timings   " + ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()))
        return "\n".join(lines)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("corpus_tools", "pandas", "numpy", "jieba", "scikit-learn", "networkx", "matplotlib", "wordcloud"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def run(booklet_path: str | Path, outdir: str | Path, params: RunParams = RunParams(),
        progress: bool = True) -> RunResult:
    """Run every stage on one booklet and write the outputs under ``outdir``."""
    out = Path(outdir)
    timings: dict[str, float] = {}
    outputs: dict[str, list[str]] = {}

    def stage(name: str):
        if progress:
            print(f"[{len(timings) + 1}] {name} …", file=sys.stderr, flush=True)
        return time.perf_counter()

    t = stage("parse")
    booklet = read_booklet(booklet_path)
    written = booklet.save(out / "data" / "processed", formats=params.table_formats)
    outputs["tables"] = [str(p) for p in written]
    timings["parse"] = time.perf_counter() - t

    t = stage("figures")
    from .plots import overview
    from .plots.style import save_figure

    figdir = out / "figures"
    figures = {"overview_entries_by_section": overview.entries_by_section(booklet.entries),
               "overview_entries_by_unit": overview.entries_by_unit(booklet.units)}
    outputs["figures"] = [str(p) for stem, fig in figures.items()
                          for p in save_figure(fig, figdir / stem, params.formats)]
    timings["figures"] = time.perf_counter() - t

    result = RunResult(booklet, out, timings, outputs)
    manifest = dict(input=dict(path=str(booklet_path), sha256=booklet.meta.get("sha256"),
                               encoding=booklet.meta.get("encoding")),
                    params=asdict(params), versions=_versions(), timings=timings, outputs=outputs)
    (out / "run_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return result
