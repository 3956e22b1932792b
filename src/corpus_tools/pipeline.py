"""The pipeline: booklet file → :func:`corpus_tools.study.analyse` → :func:`save_study` (files) → manifest.

``run(booklet_path, outdir, params)`` parses the booklet, runs the declared stages (reusing cached stage results
whose inputs did not change), renders the figures (in worker processes, reusing cached renderings), writes every
table, graph, figure, the report and ``run_manifest.json``. A rerun whose input, parameters and package version
are unchanged, and whose files are still as the manifest lists them, returns at once.

Output tree under ``outdir``: ``data/processed/`` (tables, CSV + Parquet; networks/ GEXF + GraphML),
``figures/`` (the file stem is the figure's name), ``report.html``, ``run_manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .paths import default_cache_dir
from .study import FigureSpec, Params, Stage, StageOutput, Study, analyse, file_digest, package_version, plan

RunParams = Params  # the name earlier versions used



# ---------------------------------------------------------------- caches (files: they live here, not in the core)



class DiskCache:
    """Stage results (pickles) and rendered figures (bytes) under ``root``, keyed by content hashes.

    A cache that cannot be written is a warning, never an error: the run goes on without it."""

    def __init__(self, root: str | Path | None = None, enabled: bool = True):
        self.root = Path(root) if root else default_cache_dir() / "results"
        self.enabled = enabled
        self.warned = False

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.root / kind / f"{key}{suffix}"

    def _read(self, path: Path) -> bytes | None:
        if not self.enabled:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _write(self, path: Path, data) -> None:
        """Write ``data`` (bytes, or a function writing to an open binary file) to ``path`` atomically; a value
        that cannot be pickled is simply not cached."""
        if not self.enabled:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                with open(tmp, "wb") as f:
                    if callable(data):
                        try:
                            data(f)
                        except (pickle.PicklingError, TypeError, AttributeError):
                            return  # something in the output cannot be pickled: just don't cache it
                    else:
                        f.write(data)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            if not self.warned:
                warnings.warn(f"cache folder {self.root} is not writable ({exc.strerror or exc}); "
                              "running without the cache", RuntimeWarning, stacklevel=2)
                self.warned = True
            self.enabled = False

    def get(self, stage: str, key: str) -> StageOutput | None:
        if not self.enabled:
            return None
        try:
            with open(self._path("stages", f"{stage}-{key}", ".pkl"), "rb") as f:
                return pickle.load(f)  # read as it is unpickled (no copy of the file in memory)
        except OSError:
            return None
        except Exception:  # a cache from another version of a dependency: recompute
            return None

    def put(self, stage: str, key: str, output: StageOutput) -> None:
        """Pickle ``output`` straight into the cache file (no copy of it in memory: at 100 copies of the booklet
        a stage's tables are hundreds of MB)."""
        self._write(self._path("stages", f"{stage}-{key}", ".pkl"),
                    lambda f: pickle.dump(output, f, protocol=pickle.HIGHEST_PROTOCOL))
        _return_freed_memory()  # the pickler's memo (one entry per object of the tables) is gone: give it back

    def get_bytes(self, kind: str, key: str, suffix: str) -> bytes | None:
        """A rendered file (a figure in one format, the report) cached under ``kind/key.suffix``."""
        return self._read(self._path(kind, key, f".{suffix}"))

    def put_bytes(self, kind: str, key: str, suffix: str, data: bytes) -> None:
        self._write(self._path(kind, key, f".{suffix}"), data)


def _return_freed_memory() -> None:
    """Return the heap's free memory to the system (glibc ``malloc_trim``; elsewhere nothing). After a large
    temporary structure is freed, glibc keeps the pages, so the process's resident memory stays at its high-water
    mark and the next stage's tables add to it (100 copies of the booklet, main process: peak 1,467 → 1,400 MiB)."""
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


# ---------------------------------------------------------------- progress

class Progress:
    """Live progress on stderr (tqdm), quiet when stderr is not a terminal or when ``enabled`` is False."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.perf_counter()

    def stage(self, stage: Stage, i: int, n: int) -> None:
        if self.enabled:
            print(f"[{i + 1}/{n}] {stage.title}（{stage.name}）…  已用 {time.perf_counter() - self.start:4.1f} 秒",
                  file=sys.stderr, flush=True)

    def counter(self, total: int, desc: str):
        """A callback advancing a fresh progress bar of ``total`` steps (closed when full)."""
        bar = self.bar(total, desc)

        def tick() -> None:
            bar.update(1)
            if bar.n >= total:
                bar.close()
        return tick

    def bar(self, total: int, desc: str):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit="张", disable=not self.enabled, file=sys.stderr, leave=False,
                    dynamic_ncols=True)


# ---------------------------------------------------------------- figures

def figure_key(stage_key: str, spec: FigureSpec, params: Params, version: str) -> str:
    h = hashlib.sha256(json.dumps([version, stage_key, spec.stem, params.dpi, params.figure_size],
                                  ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:24]


def _render_bytes(spec: FigureSpec, formats: tuple[str, ...], dpi: int, figure_size: str,
                  font_file: str | None = None) -> dict[str, bytes]:
    """Draw one figure and return its bytes per format (runs in a worker process); ``font_file``: a subset of the
    CJK font to draw with (see :mod:`corpus_tools.fonts`), else the full font."""
    from .plots import style

    style.use_figure_size(figure_size, dpi)
    with style.font_file(font_file):
        fig = spec.make()
        return style.figure_files(fig, formats, dpi=dpi)


class FigureRenderer:
    """Draws the figures of a study in worker processes, each as soon as the stage that specifies it has
    finished (so figures draw while later stages still compute), reusing cached renderings.

    ``add(study, stage, figures)`` after each stage (``analyse(..., on_output=...)``), then ``collect(study)``:
    the bytes of every figure per format, in ``study.figures`` order. A pool of one job (or none) draws each
    figure here, when it is added.

    ``font``: the run's font subset being cut (a future of ``(FontSubset, path of its OpenType file)``, see
    :func:`run`); figures added before it is ready wait for it (the workers have nothing else to do then), so
    every figure of a run is drawn with the same font file."""

    def __init__(self, params: Params, cache: DiskCache | None, pool=None, font=None):
        from .workers import WorkerPool

        self.params, self.cache, self.pool = params, cache, pool or WorkerPool(1)
        self.version = package_version()
        self.done: dict[str, dict[str, bytes]] = {}
        self.pending: dict[str, tuple[object, str]] = {}  # stem → (future, cache key)
        self._lock = threading.Lock()
        self._held: list[tuple[str, tuple, str]] = []  # (stem, job, cache key) waiting for the font
        self._font = font
        self._font_file: str | None = None
        self._font_ready = font is None
        if font is not None:
            font.add_done_callback(lambda _: self._release())

    def _release(self) -> None:
        """The font is known: send the figures that waited for it."""
        with self._lock:
            if self._font_ready:
                return
            try:
                got = self._font.result()
            except Exception:  # noqa: BLE001 - no subset: the full font (the pages cut their own, see _pages_font)
                got = None
            self._font_file = got[1] if got else None
            self._font_ready = True
            held, self._held = self._held, []
            for stem, job, key in held:
                self.pending[stem] = (self._submit(job), key)

    def add(self, study: Study, stage: str, figures: dict[str, FigureSpec]) -> None:
        params = self.params
        for stem, spec in figures.items():
            formats = ("png",) if spec.raster_only else tuple(params.formats)
            key = figure_key(study.stage_keys.get(stage, ""), spec, params, self.version)
            got = {fmt: self.cache.get_bytes("figures", key, fmt) for fmt in formats} if self.cache else {}
            if got and all(v is not None for v in got.values()):
                self.done[stem] = got  # type: ignore[assignment]
                continue
            job = (spec, formats, params.dpi, params.figure_size)
            with self._lock:
                if not self._font_ready:
                    self._held.append((stem, job, key))
                    continue
                self.pending[stem] = (self._submit(job), key)

    def _submit(self, job: tuple):
        """Pictures (word clouds, PNG only) wait behind charts: the report needs only the charts, so it is built
        while the pictures are still drawn."""
        return self.pool.submit(_render_star, job + (self._font_file,), priority=-1 if job[0].raster_only else 0)

    def add_all(self, study: Study) -> None:
        """Add the figures of ``study`` not added yet (a study made without the ``on_output`` hook)."""
        for stem, spec in study.figures.items():
            if stem not in self.done and stem not in self.pending:
                self.add(study, study.figure_stage.get(stem, ""), {stem: spec})

    def collect(self, study: Study, progress: Progress | None = None, stems: set[str] | None = None,
                desc: str = "绘图") -> dict[str, dict[str, bytes]]:
        """Wait for every figure (or those of ``stems``) and return them in study order."""
        from concurrent.futures import as_completed, wait

        self.add_all(study)
        if self._held:
            wait([self._font])  # its callback sends the figures that wait for it
            self._release()
        waiting = {stem: f for stem, (f, _) in self.pending.items() if stems is None or stem in stems}
        if waiting:
            bar = progress.bar(len(waiting), desc) if progress else None
            futures = {f: stem for stem, f in waiting.items()}
            for f in as_completed(futures):
                self._finish(futures[f], f.result())
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
        return {stem: self.done[stem] for stem in study.figures if stems is None or stem in stems}

    def _finish(self, stem: str, data: dict[str, bytes]) -> None:
        _, key = self.pending.pop(stem)
        self.done[stem] = data
        if self.cache is not None:
            for fmt, b in data.items():
                self.cache.put_bytes("figures", key, fmt, b)


def render_figures(study: Study, cache: DiskCache | None, progress: Progress | None = None) -> dict[str, dict[str, bytes]]:
    """Bytes of every figure of ``study`` per format (PNG only for pictures such as word clouds), from the cache
    where a figure's inputs are unchanged, otherwise drawn in ``params.jobs`` worker processes."""
    with _figure_pool(study) as pool:
        return FigureRenderer(study.params, cache, pool).collect(study, progress)


def _figure_pool(study: Study):
    """Workers for drawing the figures of a study on their own (none for one or two figures)."""
    from .workers import WorkerPool

    return WorkerPool(study.params.jobs if len(study.figures) > 2 else 1)


def _render_star(a):
    return _render_bytes(*a)


# ---------------------------------------------------------------- saving a study

def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("corpus_tools", "pandas", "numpy", "scipy", "jieba", "scikit-learn", "networkx", "matplotlib",
                "wordcloud", "mplfonts", "stopwordsiso"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def run_key(booklet_sha: str, params: Params, stages: Iterable[str], version: str) -> str:
    """What a whole run's outputs depend on: input, parameters (files by content), stages, package version."""
    p = params.as_dict()
    for name in ("curriculum", "codes", "synonyms"):
        p[name] = file_digest(p[name])
    p.pop("jobs", None)
    return hashlib.sha256(json.dumps([version, booklet_sha, p, sorted(stages)], ensure_ascii=False,
                                     sort_keys=True, default=str).encode("utf-8")).hexdigest()


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
        n_tables = sum(1 for v in self.outputs.values() for x in v if x.endswith(".csv"))
        n_figs = len(s.figures)
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
        lines.append(f"数据表：{n_tables} 张（{self.outdir.resolve() / 'data' / 'processed'}，CSV 可用 Excel 打开）")
        if n_figs:
            lines.append(f"图：{n_figs} 张（{self.outdir.resolve() / 'figures'}，索引见 figures/index.html）")
        reused = [n for n in s.cached]
        took = self.wall if self.wall is not None else sum(self.timings.values())
        lines.append(f"用时 {took:.1f} 秒" + (f"（沿用缓存：{'、'.join(reused)}）" if reused else ""))
        return "\n".join(lines)


def save_study(study: Study, outdir: str | Path, cache: DiskCache | None = None, progress: Progress | None = None,
               report: bool = True, timings: dict[str, float] | None = None,
               extra_manifest: dict | None = None, prune: bool = True,
               renderer: FigureRenderer | None = None, early_font=None) -> RunResult:
    """Write ``study`` under ``outdir``: parse tables, analysis tables, graphs, figures, report, manifest.

    All writing goes through :mod:`corpus_tools.store`; the output folder is replaced only when everything was
    written (see ``store.StagedOutput``). ``prune=False`` (a partial run) keeps files of an earlier whole run
    that this run does not produce. ``renderer``: figures already being drawn (see :func:`run`); without it they
    are drawn here, in worker processes, while the tables are written."""
    if renderer is None:
        with _figure_pool(study) as pool:
            renderer = FigureRenderer(study.params, cache, pool)
            renderer.add_all(study)  # drawn while the tables are written
            return save_study(study, outdir, cache, progress, report, timings, extra_manifest, prune, renderer,
                              early_font)
    from .schema import TABLES, conform
    from .store import StagedOutput, file_sha256, write_bytes, write_table, write_text

    params = study.params
    out = Path(outdir)
    result = RunResult(study=study, outdir=out, params=params, timings=dict(timings or {}))
    report_html, report_key, font = None, None, None
    if report:
        # the report depends on the results and on how figures are drawn, not on which files are written
        shown = {k: v for k, v in study.params.as_dict().items() if k not in ("formats", "table_formats", "jobs", "pdf")}
        report_key = hashlib.sha256(json.dumps([package_version(), study.stage_keys, shown], ensure_ascii=False,
                                               sort_keys=True, default=str).encode()).hexdigest()[:24]
        cached = cache.get_bytes("reports", report_key, "html") if cache is not None else None
        if cached is not None:
            report_html = cached.decode("utf-8")
    tables = _output_tables(study)
    with StagedOutput(out, command=" ".join(sys.argv), prune=prune) as stage_dir:
        # tables first: they are written here while the workers draw the figures
        t0 = time.perf_counter()
        base = Path(stage_dir)
        tdir, fdir = base / "data" / "processed", base / "figures"
        written: dict[str, list[Path]] = {}
        written["parse"] = study.booklet.save(tdir, formats=params.table_formats)
        written["tables"] = [p for name, df in tables.items()
                             for p in write_table(conform(name, df) if name in TABLES else df, tdir, name,
                                                  params.table_formats)]
        if study.graphs:
            from .network import export_graph

            written["networks"] = [p for name, G in study.graphs.items()
                                   for p in export_graph(G, tdir / "networks" / name)]
        result.timings["write"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if (report and report_html is None) or study.figures:  # the pages' font, cut while figures are drawn
            font = _pages_font(study, cache, early_font)
        t_font = time.perf_counter() - t0
        t0 = time.perf_counter()
        charts = {stem for stem, spec in study.figures.items() if not spec.raster_only}
        rendered = renderer.collect(study, progress, stems=charts) if charts else {}
        result.timings["figures"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if report and report_html is None:  # built while the pictures are still drawn (it shows only charts)
            report_html = _build_report(study, rendered, font)
            if cache is not None:
                cache.put_bytes("reports", report_key, "html", report_html.encode("utf-8"))
        result.timings["report"] = time.perf_counter() - t0 + t_font
        t0 = time.perf_counter()
        rendered = renderer.collect(study, progress, desc="绘图（词云）") if study.figures else {}
        result.timings["figures"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        written["figures"] = [write_bytes(fdir / f"{stem}.{fmt}", data)
                              for stem, per_fmt in rendered.items() for fmt, data in per_fmt.items()]
        if rendered:
            booklet_tables = {"entries": study.booklet.entries, "units": study.booklet.units}
            csvs = {Path(p).stem: Path(p) for p in written["tables"] + written["parse"] if str(p).endswith(".csv")}
            written["figures"] += _write_gallery(study, rendered, fdir, {**booklet_tables, **tables}, font, csvs)
        if report_html is not None:
            written["report"] = [write_text(base / "report.html", report_html)]
            if params.pdf:  # for meetings: Chromium prints the same page
                from .report import report_pdf

                written["report"].append(report_pdf(base / "report.html", base / "report.pdf"))

        def rel(p: Path) -> str:
            return Path(p).relative_to(base).as_posix()

        result.outputs = {k: [rel(p) for p in v] for k, v in written.items()}
        result.timings["write"] += time.perf_counter() - t0
        manifest = dict(
            input=dict(path=str(study.booklet.meta.get("source")), sha256=study.booklet.meta.get("sha256"),
                       encoding=study.booklet.meta.get("encoding")),
            run_key=(extra_manifest or {}).get("run_key"),
            stages=list(study.stages_run), skipped=study.skipped, cached=list(study.cached),
            params=params.as_dict(), versions=_versions(),
            timings={k: round(v, 3) for k, v in {**study.timings, **result.timings}.items()},
            outputs=result.outputs,
            output_sha256={rel(p): file_sha256(p)
                           for v in written.values() for p in v})
        write_text(base / "run_manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return result


def _output_tables(study: Study) -> dict:
    """The tables to write (trainees replaced by codes everywhere when ``params.anonymise``)."""
    if not study.params.anonymise:
        return dict(study.tables)
    try:
        from .anonymise import anonymise_tables
    except ImportError:  # pragma: no cover
        return dict(study.tables)
    return anonymise_tables(dict(study.tables), study.booklet.people)


def _parameter_text(params: Params) -> str:
    """The text of the curriculum, codebook and synonyms files given (their words may label tables and figures)."""
    parts = []
    for p in (params.curriculum, params.codes, params.synonyms):
        if p:
            try:
                parts.append(Path(p).read_text(encoding="utf-8", errors="ignore"))
            except OSError:
                pass
    return "".join(parts)


def _font_key(chars: frozenset) -> str:
    from .fonts import cjk_font_path

    font_file = cjk_font_path()
    return hashlib.sha256(json.dumps([package_version(), font_file.name, font_file.stat().st_size,
                                      "".join(sorted(chars))], ensure_ascii=False).encode("utf-8")).hexdigest()[:24]


def _cached_font(chars: frozenset, cache: DiskCache | None):
    """The font subset for ``chars`` from the cache, or None."""
    from .fonts import FontSubset

    if cache is None:
        return None
    key = _font_key(chars)
    woff, otf = cache.get_bytes("fonts", key, "woff.b64"), cache.get_bytes("fonts", key, "otf")
    return FontSubset(chars, woff.decode("ascii"), otf) if woff is not None and otf else None


def _font_for(chars: frozenset, cache: DiskCache | None):
    """The CJK font cut to ``chars``: from the cache, else cut (:func:`corpus_tools.fonts.font_subset`) and
    cached."""
    from .fonts import font_subset

    font = _cached_font(chars, cache)
    if font is None:
        font = font_subset(chars)
        if cache is not None:
            key = _font_key(chars)
            cache.put_bytes("fonts", key, "woff.b64", font.woff_b64.encode("ascii"))
            cache.put_bytes("fonts", key, "otf", font.otf)
    return font


def _source_font(a):
    """The run's font subset, cut to the characters of the input file's text
    (:func:`corpus_tools.fonts.source_chars`), or read from the cache: ``(FontSubset, path of the subset as an
    OpenType file in folder)``, or None when the bytes do not decode (the parse then says why, with the line).
    Runs in a process of its own while the main one imports and parses (see :func:`run`)."""
    raw, extra, cache, folder = a
    from dataclasses import replace

    from .errors import BookletError
    from .fonts import source_chars
    from .ingest import decode_bytes
    from .store import write_bytes

    try:
        text = decode_bytes(raw)[0]
    except BookletError:
        return None
    font = _font_for(source_chars(text, extra), cache)
    path = write_bytes(Path(folder) / "figure-font.otf", font.otf)
    return replace(font, otf=b""), str(path)


def _pages_font(study: Study, cache: DiskCache | None, early=None):
    """The CJK font subset of the report and the gallery: it must hold
    :func:`corpus_tools.report.report_chars`. ``early`` (``(FontSubset, path)`` cut from the input file's
    characters while the analysis ran, see :func:`run`, or a future of it) is used when it holds them all, as it
    does unless a page shows a character that is not in the booklet, the parameter files or the package;
    otherwise a subset is cut to both (or read from the cache)."""
    from .report import covering_font, report_chars

    if hasattr(early, "result"):
        try:
            early = early.result()
        except Exception:  # noqa: BLE001 - the process cutting it failed: cut it here (an error then is raised)
            early = None
    return covering_font(report_chars(study, _parameter_text(study.params)), early[0] if early else None,
                         cut=lambda chars: _font_for(chars, cache))


def _write_gallery(study: Study, rendered: dict, fdir: Path, tables: dict, font=None,
                   written_csv: dict | None = None) -> list[Path]:
    """figures/index.csv, figures/data/<stem>.csv (each figure's source table, copied from data/processed) and
    figures/index.html."""
    from .plots.gallery import write_index

    return list(write_index(study.figures, fdir, tables, rendered, font=font, written_csv=written_csv))


def _build_report(study: Study, rendered: dict[str, dict[str, bytes]], font=None) -> str:
    from .report import build_review

    svgs = {stem: data["svg"].decode("utf-8") for stem, data in rendered.items() if "svg" in data}
    return build_review(study, svgs).render(font=font)


# ---------------------------------------------------------------- run

def _manifest_is_current(out: Path, key: str) -> bool:
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


# what the workers import for their tasks (figures, topic-model fits) beyond :func:`_preload_for_workers`: each
# imports them as it starts, while this process parses and tokenizes, instead of at its first figure of each kind
WORKER_MODULES = ("corpus_tools.topics", "corpus_tools.network", "corpus_tools.plots.overview",
                  "corpus_tools.plots.trends", "corpus_tools.plots.topics", "corpus_tools.plots.network",
                  "corpus_tools.plots.codes", "adjustText", "matplotlib.backends.backend_svg", "PIL.PngImagePlugin")


def _preload_for_workers() -> None:
    """Import what the worker processes will run (topic model fits, figures) before they are forked, so that they
    inherit it instead of each importing it again; this process needs the same modules later anyway."""
    import sklearn.decomposition  # noqa: F401 - NMF fits in workers
    import wordcloud  # noqa: F401

    from .plots import style  # noqa: F401 - matplotlib (each worker registers the run's font subset itself)


def check_parameter_files(params: Params) -> None:
    """Read the curriculum, codebook and synonyms files now, so a bad file stops the run in one line (naming
    the file and line) before any long stage."""
    if params.curriculum:
        from .curriculum import read_curriculum

        read_curriculum(params.curriculum)
    if params.codes:
        from .codes import load_codebook

        load_codebook(params.codes)
    if params.synonyms:
        from .text import load_synonyms

        load_synonyms(params.synonyms)


def run(booklet_path: str | Path, outdir: str | Path, params: Params = Params(), progress: bool = True,
        only: tuple[str, ...] | None = None, fresh: bool = False, cache_dir: str | Path | None = None) -> RunResult:
    """Parse ``booklet_path``, analyse it and write everything under ``outdir``.

    ``only``: some stage names (see :data:`corpus_tools.stages.STAGES`) or ``("report",)``; the stages they need
    run too. ``fresh``: ignore the caches and the up-to-date check."""
    from .ingest import read_input_bytes

    t_start = time.perf_counter()
    wanted = None if not only or "report" in only or "run" in only else tuple(only)
    names = [s.name for s in plan(wanted)]
    with_report = wanted is None
    out = Path(outdir)
    raw = read_input_bytes(booklet_path)
    sha = hashlib.sha256(raw).hexdigest()
    version = package_version()
    key = run_key(sha, params, names + (["report"] if with_report else []), version)
    if not fresh and _manifest_is_current(out, key):
        r = RunResult(study=None, outdir=out, params=params, up_to_date=True)
        r.outputs = {"report": [str(out / "report.html")]} if with_report and (out / "report.html").exists() else {}
        r.timings["check"] = time.perf_counter() - t_start
        return r
    import tempfile

    from .workers import WorkerPool, one_thread_each, run_gc

    cache = DiskCache(Path(cache_dir) if cache_dir else None, enabled=not fresh)
    # the run's font subset (for the pages and the figures: a second of subsetting) is cut from the input's
    # characters in a process of its own, started first, while this one imports what the analysis and the
    # workers need
    with tempfile.TemporaryDirectory(prefix="corpus-tools-") as scratch, \
            WorkerPool(1, inline=params.jobs <= 1) as font_worker:
        early_font = font_worker.submit(_source_font, (raw, _parameter_text(params), cache, scratch))
        del raw
        _preload_for_workers()
        # one set of workers for the whole run, started before the booklet is loaded (each is a fork of this
        # process): each stage's figures are drawn while the next stages compute
        with run_gc(), one_thread_each(), WorkerPool(params.jobs, warm=WORKER_MODULES).start() as pool:
            result = _run_analysis(booklet_path, out, params, cache, progress, wanted, key, early_font, pool)
    result.wall = time.perf_counter() - t_start
    return result


def _run_analysis(booklet_path: str | Path, out: Path, params: Params, cache: DiskCache, progress: bool,
                  wanted: tuple[str, ...] | None, key: str, early_font, pool) -> RunResult:
    """The part of :func:`run` done with its workers open: parse, analyse (figures drawn by ``pool`` as each
    stage ends), save."""
    from .booklet import read_booklet

    t0 = time.perf_counter()
    booklet = read_booklet(booklet_path)
    if params.k is not None and params.k > len(booklet.entries):
        from .errors import BookletError

        n = len(booklet.entries)
        raise BookletError(str(booklet_path), f"-k {params.k}: the booklet has only {n} entries; choose 2 ≤ k ≤ {n}"
                           if n >= 2 else f"-k {params.k}: the booklet has only {n} entry: too few for topics")
    t_parse = time.perf_counter() - t0
    check_parameter_files(params)
    prog = Progress(progress)
    renderer = FigureRenderer(params, cache, pool, font=early_font)
    study = analyse(booklet, params, stages=wanted, cache=cache, progress=prog,
                    on_output=lambda stage, output, study: renderer.add(study, stage.name, output.figures))
    return save_study(study, out, cache=cache, progress=prog, report=wanted is None,
                      timings={"parse": t_parse, **study.timings}, extra_manifest={"run_key": key},
                      prune=wanted is None, renderer=renderer, early_font=early_font)


__all__ = ["run", "save_study", "render_figures", "RunResult", "RunParams", "Params", "DiskCache", "Progress"]
