"""Saving a study: every table, graph, figure, the gallery, the report and ``run_manifest.json`` under an output
folder, all through :mod:`corpus_tools.store` (staged, locked, checksummed: see ``store.StagedOutput``).

``save_study(study, outdir)`` is the one writer of a study (``Study.save`` and ``pipeline.run`` call it).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .resultcache import DiskCache
from .keys import digest
from .render import FigureRenderer, figure_pool, pages_font
from .keys import package_version
from .study import Params, Study

@dataclass
class RunResult:
    """A finished run: the study, where it was written, seconds per step and the files written per step."""

    study: Study | None
    outdir: Path
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    params: Params = field(default_factory=Params)
    up_to_date: bool = False
    wall: float | None = None  # seconds from start to finish (steps overlap: their timings add up to more)

    @property
    def booklet(self):
        return self.study.booklet if self.study is not None else None

    @property
    def report_path(self) -> Path | None:
        p = self.outdir / "report.html"
        return p if any(str(x).endswith("report.html") for v in self.outputs.values() for x in v) or (
            self.up_to_date and p.exists()) else None

    def __str__(self) -> str:
        lines = [""]
        if self.report_path is not None:
            lines.append(f"评审报告：{self.report_path.resolve()}  （用浏览器打开）")
        if self.up_to_date:
            lines.append(f"输入、参数和软件版本都没有变化，{self.outdir.resolve()} 中的结果已是最新（用 --fresh 重新计算）。")
            return "\n".join(lines)
        s = self.study
        b = s.booklet
        csvs = [Path(x) for v in self.outputs.values() for x in v if x.endswith(".csv")]
        n_tables = sum(1 for p in csvs if p.parent.name == "processed")  # the figures' data: figures/data/
        n_figure_data = sum(1 for p in csvs if p.parent.name == "data" and p.parent.parent.name == "figures")
        n_figs = len({Path(x).stem for x in self.outputs.get("figures", [])
                      if Path(x).parent.name == "figures" and Path(x).suffix in (".png", ".svg", ".pdf")})
        undrawn = len(s.figures) - n_figs
        lines += [
            f"问答合集：{b.meta.get('source')}（{b.meta.get('n_lines')} 行，编码 {b.meta.get('encoding')}）",
            f"解析结果：{len(b.entries)} 条问答 · {len(b.sections)} 个栏目 · {len(b.turns)} 段发言 · "
            f"{int((b.people.role == 'trainee').sum())} 位学员 · {int((b.people.role == 'instructor').sum())} 位教员"
            + (f" · {len(b.warnings)} 条解析警告（见 data/processed/parse_report.txt）" if len(b.warnings) else ""),
        ]
        if "topics" in s.tables:
            lines.append(f"主题：{len(s.tables['topics'])} 个 —— " + "；".join(s.tables["topics"].label))
        for stage, why in s.skipped.items():
            lines.append(f"跳过“{stage}”：{why}")
        for note in s.notes:  # figures or analyses a damaged or tiny booklet leaves out, with the reason
            lines.append(f"说明：{note}")
        lines.append(f"数据表：{n_tables} 张（{self.outdir.resolve() / 'data' / 'processed'}，CSV 可用 Excel 打开）"
                     + (f"；各图的数据 {n_figure_data} 张在 figures/data" if n_figure_data else ""))
        if n_figs:
            lines.append(f"图：{n_figs} 张（{self.outdir.resolve() / 'figures'}，索引见 figures/index.html）"
                         + (f"；另有 {undrawn} 张报告中没有的图，加 --all-figures 即画出" if undrawn > 0 else ""))
        reused = [n for n in s.cached]
        took = self.wall if self.wall is not None else sum(self.timings.values())
        lines.append(f"用时 {took:.1f} 秒" + (f"（沿用缓存：{'、'.join(reused)}）" if reused else ""))
        return "\n".join(lines)

def save_study(study: Study, outdir: str | Path, cache: DiskCache | None = None, progress=None,
               report: bool = True, timings: dict[str, float] | None = None,
               extra_manifest: dict | None = None, prune: bool = True,
               renderer: FigureRenderer | None = None, early_font=None, lock=None) -> RunResult:
    """Write ``study`` under ``outdir``: parse tables, analysis tables, graphs, figures, report, manifest.

    All writing goes through :mod:`corpus_tools.store`; the output folder is replaced only when everything was
    written (see ``store.StagedOutput``). ``prune=False`` (a partial run) keeps files of an earlier whole run
    that this run does not produce. ``renderer``: figures already being drawn (see :func:`run`); without it they
    are drawn here, in worker processes, while the tables are written. ``lock``: the folder's
    :class:`~corpus_tools.store.RunLock`, when the caller took it already."""
    if renderer is None:
        with figure_pool(study) as pool:
            renderer = FigureRenderer(study.params, cache, pool, report=report)
            renderer.add_all(study)  # drawn while the tables are written
            return save_study(study, outdir, cache, progress, report, timings, extra_manifest, prune, renderer,
                              early_font, lock)
    from .store import StagedOutput, file_sha256, write_text

    params = study.params
    out = Path(outdir)
    result = RunResult(study=study, outdir=out, params=params, timings=dict(timings or {}))
    font = None
    report_html, report_key = _cached_report(study, cache) if report else (None, None)
    tables = _output_tables(study)
    with StagedOutput(out, command=" ".join(sys.argv), prune=prune, lock=lock) as stage_dir:
        # tables first: they are written here while the workers draw the figures
        t0 = time.perf_counter()
        base = Path(stage_dir)
        tdir, fdir = base / "data" / "processed", base / "figures"
        written = _write_tables(study, tables, tdir)
        result.timings["write"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if (report and report_html is None) or study.figures:  # the pages' font, cut while figures are drawn
            font = pages_font(study, cache, early_font)
        t_font = time.perf_counter() - t0
        t0 = time.perf_counter()
        charts = {stem for stem, spec in study.figures.items() if not spec.raster_only}
        # the report's page is rendered while the workers draw the last charts; their SVGs are put in afterwards
        early_report = _start_report(study) if report and report_html is None else None
        t_early = time.perf_counter() - t0
        rendered = renderer.collect(study, progress, stems=charts) if charts else {}
        result.timings["figures"] = time.perf_counter() - t0 - t_early
        t0 = time.perf_counter()
        if report and report_html is None:  # built while the pictures are still drawn (it shows only charts)
            report_html = _finish_report(study, rendered, font, early_report)
            if cache is not None:
                cache.put_bytes("reports", report_key, "html", report_html.encode("utf-8"))
        result.timings["report"] = time.perf_counter() - t0 + t_font + t_early
        t0 = time.perf_counter()
        rendered = renderer.collect(study, progress, desc="绘图（词云）") if study.figures else {}
        result.timings["figures"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        written["figures"] = _write_figures(study, renderer.files(rendered), fdir, tables, written, font)
        if report_html is not None:
            written["report"] = [write_text(base / "report.html", report_html)]
            if params.pdf:  # for meetings: Chromium prints the same page
                from .report import report_pdf

                written["report"].append(report_pdf(base / "report.html", base / "report.pdf"))

        def rel(p: Path) -> str:
            return Path(p).relative_to(base).as_posix()

        result.outputs = {k: [rel(p) for p in v] for k, v in written.items()}
        result.timings["write"] += time.perf_counter() - t0
        manifest = _manifest(study, result, (extra_manifest or {}).get("run_key"),
                             {rel(p): file_sha256(p) for v in written.values() for p in v})
        write_text(base / "run_manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return result

def _cached_report(study: Study, cache: DiskCache | None) -> tuple[str | None, str]:
    """``(report HTML from the cache or None, its cache key)``: the report depends on the results and on how
    figures are drawn, not on which files are written."""
    shown = {k: v for k, v in study.params.as_dict().items()
             if k not in Params.OUTPUT_ONLY or k in ("dpi", "figure_size")}  # these two change the SVGs it inlines
    report_key = digest("report", package_version(), study.stage_keys, shown)
    cached = cache.get_bytes("reports", report_key, "html") if cache is not None else None
    return (cached.decode("utf-8") if cached is not None else None), report_key


def _write_tables(study: Study, tables: dict, tdir: Path) -> dict[str, list[Path]]:
    """The parse tables, the analysis tables (conformed to the schema), the topic model (for --topics-from) and
    the graphs, under ``tdir``: the paths written per kind."""
    from .schema import TABLES, conform
    from .store import write_table, write_text

    formats = study.params.table_formats
    written: dict[str, list[Path]] = {}
    written["parse"] = write_booklet(study.booklet, tdir, formats=formats)
    written["tables"] = [p for name, df in tables.items()
                         for p in write_table(conform(name, df) if name in TABLES else df, tdir, name, formats)]
    if "topic_model" in study.objects:  # the topic model, for --topics-from (carry.py)
        from .carry import MODEL_FILE, model_json

        written["model"] = [write_text(tdir / MODEL_FILE, model_json(study.objects["topic_model"]))]
    if study.graphs:
        from .network import export_graph

        written["networks"] = [p for name, G in study.graphs.items()
                               for p in export_graph(G, tdir / "networks" / name)]
    return written


def _write_figures(study: Study, rendered: dict, fdir: Path, tables: dict, written: dict, font) -> list[Path]:
    """Every figure file, then the gallery (its data files copied from the CSV tables already ``written``)."""
    from .store import write_bytes

    paths = [write_bytes(fdir / f"{stem}.{fmt}", data)
             for stem, per_fmt in rendered.items() for fmt, data in per_fmt.items()]
    if rendered:
        booklet_tables = {"entries": study.booklet.entries, "units": study.booklet.units}
        csvs = {Path(p).stem: Path(p) for p in written["tables"] + written["parse"] if str(p).endswith(".csv")}
        paths += _write_gallery(study, rendered, fdir, {**booklet_tables, **tables}, font, csvs)
    return paths


def _manifest(study: Study, result: RunResult, run_key: str | None, checksums: dict[str, str]) -> dict:
    """The content of ``run_manifest.json``: input, run key, stages, parameters, versions, timings, outputs."""
    meta = study.booklet.meta
    return dict(
        input=dict(path=str(meta.get("source")), sha256=meta.get("sha256"), encoding=meta.get("encoding")),
        run_key=run_key,
        stages=list(study.stages_run), skipped=study.skipped, notes=list(study.notes), cached=list(study.cached),
        params=study.params.as_dict(), versions=versions(),
        timings={k: round(v, 3) for k, v in {**study.timings, **result.timings}.items()},
        outputs=result.outputs,
        output_sha256=checksums)


def _output_tables(study: Study) -> dict:
    """The tables to write (trainees replaced by codes everywhere when ``params.anonymise``)."""
    if not study.params.anonymise:
        return dict(study.tables)
    try:
        from .anonymise import anonymise_tables
    except ImportError:  # pragma: no cover
        return dict(study.tables)
    return anonymise_tables(dict(study.tables), study.booklet.people)

def _write_gallery(study: Study, rendered: dict, fdir: Path, tables: dict, font=None,
                   written_csv: dict | None = None) -> list[Path]:
    """figures/index.csv, figures/data/<stem>.csv (each figure's source table, copied from data/processed) and
    figures/index.html."""
    return write_figure_index(study.figures, fdir, tables, rendered, font=font, written_csv=written_csv)


def write_figure_index(specs, figdir: str | Path, tables: dict, rendered: dict | None = None, font=None,
                       written_csv: dict | None = None) -> list[Path]:
    """Write ``index.csv``, ``data/<stem>.csv`` (each figure's plotted or source table) and ``index.html`` (the
    gallery, :mod:`corpus_tools.plots.gallery`) under ``figdir``; returns the paths written. ``rendered`` (stem →
    format → bytes), when given, says which files each figure has; otherwise the files present in ``figdir``.
    ``font``: a :class:`~corpus_tools.fonts.FontSubset` already cut (the report's), used if it covers the page.
    ``written_csv``: table name → its CSV file already written (copied instead of written again)."""
    from .plots.gallery import _specs, gallery_html, index_table, plotted_table
    from .store import copy_file, write_table, write_text

    figdir = Path(figdir)
    specs = _specs(specs)
    formats = {spec.stem: (list(rendered[spec.stem]) if rendered is not None and spec.stem in rendered
                           else [p.suffix[1:] for p in sorted(figdir.glob(f"{spec.stem}.*"))]) for spec in specs}
    index = index_table(specs, formats, tables)
    written = write_table(index, figdir, "index", ("csv",))
    plotted = {spec.stem: plotted_table(spec) for spec in specs}
    for row in index.itertuples():
        if plotted.get(row.stem) is not None:
            written += write_table(plotted[row.stem], figdir / "data", row.stem, ("csv",))
        elif row.data and written_csv and row.source in written_csv:
            written.append(copy_file(written_csv[row.source], figdir / "data" / f"{row.stem}.csv"))
        elif row.data:
            written += write_table(tables[row.source], figdir / "data", row.stem, ("csv",))
    written.append(write_text(figdir / "index.html", gallery_html(index, cjk_font=font)))
    return written


def _start_report(study: Study) -> tuple[set[str], Callable]:
    """The review page rendered before its figures are drawn: ``(stems of its figure slots, finish)`` (see
    :meth:`corpus_tools.report.Report.render_later`)."""
    from .report import REPORT_FIGURES, build_review, figure_slot

    slots = {stem for stem in REPORT_FIGURES if stem in study.figures}
    return slots, build_review(study, {stem: figure_slot(stem) for stem in slots}).render_later()


def _finish_report(study: Study, rendered: dict[str, dict[str, bytes]], font, early) -> str:
    """The review page: ``early`` (see :func:`_start_report`) with the drawn SVGs put in, or built now when there
    is none or an SVG it needs was not drawn."""
    svgs = {stem: data["svg"].decode("utf-8") for stem, data in rendered.items() if "svg" in data}
    if early is not None and early[0] <= svgs.keys():
        return early[1](svgs, font)
    return _build_report(study, rendered, font)


def _build_report(study: Study, rendered: dict[str, dict[str, bytes]], font=None) -> str:
    from .report import build_review

    svgs = {stem: data["svg"].decode("utf-8") for stem, data in rendered.items() if "svg" in data}
    return build_review(study, svgs).render(font=font)

def versions() -> dict[str, str]:
    """The versions the manifest records (Python, this package, the libraries of :data:`keys.LIBRARIES`)."""
    from .keys import library_versions

    return dict(library_versions())

def manifest_is_current(out: Path, key: str) -> bool:
    """The folder holds a finished run with this key, and every file it lists is unchanged."""
    from .store import file_sha256

    try:
        m = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if m.get("run_key") != key:
        return False
    # an unreadable file's checksum is a marker that matches nothing
    return all(file_sha256(out / rel) == sha for rel, sha in m.get("output_sha256", {}).items())


def write_staged(outdir: str | Path, manifest: str, make: Callable[[], tuple[Any, dict]]) -> Any:
    """Write what ``make()`` returns — ``(result, files)``, ``files`` as :func:`corpus_tools.store.write_files`
    takes them, with the manifest's JSON text under the name ``manifest`` — into ``outdir`` as ``run`` writes
    (:class:`corpus_tools.store.StagedOutput`): the folder's lock is taken before ``make`` computes anything (a
    second writer into it is refused at once), every file goes to a staging folder and replaces the previous
    output only when all were written, the manifest last with every file's checksum (the next write into the
    folder removes only what this one wrote). Returns ``result``."""
    from .errors import OutputError
    from .store import StagedOutput, file_sha256, write_files, write_text

    staged = StagedOutput(Path(outdir), manifest=manifest)
    with staged as stage:
        result, files = make()
        record = json.loads(files.pop(manifest))
        try:
            written = write_files(stage, files)
            record["output_sha256"] = {Path(p).relative_to(stage).as_posix(): file_sha256(p) for p in written}
            write_text(stage / manifest, json.dumps(record, ensure_ascii=False, indent=2))
        except OSError as exc:  # name the file the user would have got, not its staging copy
            if exc.filename is None:
                raise
            raise OutputError(staged.final(exc.filename), getattr(exc, "cause", exc)) from exc
    return result


def write_booklet(booklet: Any, outdir: str | Path, formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
    """Write every parsed table of ``booklet`` as ``<name>.csv`` (UTF-8 with BOM) and/or ``<name>.parquet``, plus
    ``parse_report.txt`` and ``booklet_meta.json`` (each file written to a temporary name and renamed: a failed
    write never leaves a half-written table behind); returns the paths written."""
    from .schema import PARSED_TABLES
    from .store import write_table, write_text

    out = Path(outdir)
    written: list[Path] = []
    for name in PARSED_TABLES:
        written += write_table(booklet.table(name), out, name, formats)
    written.append(write_text(out / "parse_report.txt", booklet.report()))
    meta = dict(booklet.meta, front_matter=booklet.front_matter)
    written.append(write_text(out / "booklet_meta.json", json.dumps(meta, ensure_ascii=False, indent=2,
                                                                     sort_keys=True)))
    return written
