"""Figures and fonts of a run: each figure drawn from its specification in a worker process (or taken from the
cache), and the CJK font subset the figures and the pages use.

:class:`FigureRenderer` draws a study's figures as its stages finish; :func:`render_figures` draws them all at once.
The font subset is cut from the input's characters (:func:`source_font`, in a process of its own during a run) and
widened where a page shows more (:func:`pages_font`).
"""

from __future__ import annotations

import threading
from pathlib import Path

from .resultcache import DiskCache
from .keys import digest, package_version
from .study import FigureSpec, Params, Study

def figure_key(stage_key: str, spec: FigureSpec, params: Params, version: str) -> str:
    return digest("figure", version, stage_key, spec.stem, params.dpi, params.figure_size)

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
    the bytes of every figure drawn per format, in ``study.figures`` order. Drawn are the figures the report shows
    (:data:`corpus_tools.report.REPORT_FIGURES`), or every figure with ``params.all_figures``. A pool of one job
    (or none) draws each figure here, when it is added.

    ``font``: the run's font subset being cut (a future of ``(FontSubset, path of its OpenType file)``, see
    :func:`run`); figures added before it is ready wait for it (the workers have nothing else to do then), so
    every figure of a run is drawn with the same font file.

    ``report``: a report is built, so the charts it shows are drawn as SVG too, whatever ``params.formats`` asks
    for (the page inlines them); :meth:`files` keeps only the formats asked for."""

    def __init__(self, params: Params, cache: DiskCache | None, pool=None, font=None, report: bool = False):
        from .report import REPORT_FIGURES
        from .workers import WorkerPool

        self.params, self.cache, self.pool = params, cache, pool or WorkerPool(1)
        self.drawn = None if params.all_figures else REPORT_FIGURES
        self.svg_for = REPORT_FIGURES if report else frozenset()
        self.version = package_version()
        self.done: dict[str, dict[str, bytes]] = {}
        self.pending: dict[str, tuple[object, str]] = {}  # stem → (future, cache key)
        self._partial: dict[str, tuple[tuple[str, ...], dict[str, bytes]]] = {}  # stem → (formats, cached ones)
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
            except Exception:  # noqa: BLE001 - no subset: the full font (the pages cut their own, see pages_font)
                got = None
            self._font_file = got[1] if got else None
            self._font_ready = True
            held, self._held = self._held, []
            for stem, job, key in held:
                self.pending[stem] = (self._submit(job), key)

    def add(self, study: Study, stage: str, figures: dict[str, FigureSpec]) -> None:
        params = self.params
        for stem, spec in figures.items():
            if not self.draws(stem):
                continue
            formats = self.formats(spec)
            key = figure_key(study.stage_keys.get(stage, ""), spec, params, self.version)
            got = {fmt: self.cache.get_bytes("figures", key, fmt) for fmt in formats} if self.cache else {}
            cached = {fmt: b for fmt, b in got.items() if b is not None}
            if len(cached) == len(formats):
                self.done[stem] = cached
                continue
            # only the formats the cache lacks are drawn (a rerun adding PDF draws PDFs only)
            self._partial[stem] = (formats, cached)
            job = (spec, tuple(f for f in formats if f not in cached), params.dpi, params.figure_size)
            with self._lock:
                if not self._font_ready:
                    self._held.append((stem, job, key))
                    continue
                self.pending[stem] = (self._submit(job), key)

    def draws(self, stem: str) -> bool:
        """Whether this run draws the figure ``stem``."""
        return self.drawn is None or stem in self.drawn

    def formats(self, spec: FigureSpec) -> tuple[str, ...]:
        """The formats ``spec`` is drawn in: PNG for a picture; the formats asked for, and SVG for a chart the
        report shows."""
        if spec.raster_only:
            return ("png",)
        asked = tuple(self.params.formats)
        return asked if "svg" in asked or spec.stem not in self.svg_for else asked + ("svg",)

    def files(self, rendered: dict[str, dict[str, bytes]]) -> dict[str, dict[str, bytes]]:
        """``rendered`` (as :meth:`collect` returns it) without the SVGs drawn only for the report: the figure
        files to write."""
        if "svg" in self.params.formats:
            return rendered
        return {stem: {fmt: data for fmt, data in per_fmt.items() if fmt != "svg"} for stem, per_fmt in rendered.items()}

    def _submit(self, job: tuple):
        """Pictures (word clouds, PNG only) wait behind charts: the report needs only the charts, so it is built
        while the pictures are still drawn."""
        return self.pool.submit(_render_star, job + (self._font_file,), priority=-1 if job[0].raster_only else 0)

    def add_all(self, study: Study) -> None:
        """Add the figures of ``study`` not added yet (a study made without the ``on_output`` hook)."""
        for stem, spec in study.figures.items():
            if stem not in self.done and stem not in self.pending and self.draws(stem):
                self.add(study, study.figure_stage.get(stem, ""), {stem: spec})

    def collect(self, study: Study, progress=None, stems: set[str] | None = None,
                desc: str = "绘图") -> dict[str, dict[str, bytes]]:
        """Wait for every figure drawn (or those of ``stems``) and return them in study order."""
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
        return {stem: self.done[stem] for stem in study.figures
                if (stems is None or stem in stems) and self.draws(stem)}

    def _finish(self, stem: str, data: dict[str, bytes]) -> None:
        _, key = self.pending.pop(stem)
        formats, cached = self._partial.pop(stem, (tuple(data), {}))
        self.done[stem] = {fmt: cached[fmt] if fmt in cached else data[fmt] for fmt in formats}
        if self.cache is not None:
            for fmt, b in data.items():
                self.cache.put_bytes("figures", key, fmt, b)

def render_figures(study: Study, cache: DiskCache | None, progress=None) -> dict[str, dict[str, bytes]]:
    """Bytes of every figure ``study``'s run draws (see :class:`FigureRenderer`) per format (PNG only for pictures
    such as word clouds), from the cache where a figure's inputs are unchanged, otherwise drawn in ``params.jobs``
    worker processes."""
    with figure_pool(study) as pool:
        return FigureRenderer(study.params, cache, pool).collect(study, progress)

def figure_pool(study: Study):
    """Workers for drawing the figures of a study on their own (none for one or two figures)."""
    from .workers import WorkerPool

    return WorkerPool(study.params.jobs if len(study.figures) > 2 else 1)

def _render_star(a):
    return _render_bytes(*a)

def parameter_text(params: Params) -> str:
    """The text of the curriculum, codebook and synonyms files given (their words may label tables and figures)."""
    from .paramfiles import decode
    from .store import read_file_bytes

    parts = []
    for p in (params.curriculum, params.codes, params.synonyms):
        if p:
            try:
                parts.append(decode(read_file_bytes(p)) or "")  # UTF-8 or GB18030, as the files are read
            except OSError:
                pass
    return "".join(parts)

def _font_key(chars: frozenset) -> str:
    from .fonts import cjk_font_path

    font_file = cjk_font_path()
    return digest("font", package_version(), font_file.name, font_file.stat().st_size, "".join(sorted(chars)))

def _cached_font(chars: frozenset, cache: DiskCache | None):
    """The font subset for ``chars`` from the cache, or None."""
    from .fonts import FontSubset

    if cache is None:
        return None
    key = _font_key(chars)
    woff, otf = cache.get_bytes("fonts", key, "woff.b64"), cache.get_bytes("fonts", key, "otf")
    return FontSubset(chars, woff.decode("ascii"), otf) if woff is not None and otf else None

def _cached_layout_font(cache: DiskCache | None) -> bytes | None:
    """The CJK font the subsets are cut from (:func:`corpus_tools.fonts.layout_font`): from the cache, else made
    and cached; None without a cache (font_subset then makes it)."""
    from .fonts import cjk_font_path, layout_font

    if cache is None:
        return None
    font_file = cjk_font_path()
    key = digest("layout-font", package_version(), font_file.name, font_file.stat().st_size)
    data = cache.get_bytes("fonts", key, "otf")
    if not data:
        data = layout_font(font_file)
        cache.put_bytes("fonts", key, "otf", data)
    return data

def _font_for(chars: frozenset, cache: DiskCache | None):
    """The CJK font cut to ``chars``: from the cache, else cut (:func:`corpus_tools.fonts.font_subset`) and
    cached."""
    from .fonts import font_subset

    font = _cached_font(chars, cache)
    if font is None:
        font = font_subset(chars, _cached_layout_font(cache))
        if cache is not None:
            key = _font_key(chars)
            cache.put_bytes("fonts", key, "woff.b64", font.woff_b64.encode("ascii"))
            cache.put_bytes("fonts", key, "otf", font.otf)
    return font

def source_font(a):
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

def pages_font(study: Study, cache: DiskCache | None, early=None):
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
    return covering_font(report_chars(study, parameter_text(study.params)), early[0] if early else None,
                         cut=lambda chars: _font_for(chars, cache))
