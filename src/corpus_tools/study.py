"""The types of a study: :class:`Params`, :class:`Stage` / :class:`StageOutput`, :class:`FigureSpec`,
:class:`ParameterFile` and :class:`Study` (every table, graph and figure specification in memory).

This module holds types only. :func:`corpus_tools.analysis.analyse` runs the stages and fills a Study;
:func:`corpus_tools.save.save_study` (also :meth:`Study.save`) writes one. Both import this module, never the
reverse (but for :meth:`Study.save`'s deferred import).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .booklet import Booklet

FIGURE_SIZES = ("single", "double")


@dataclass(frozen=True)
class Params:
    """Parameters of a study, in one place. ``k=None``: the number of topics is chosen by the documented rule.

    Analysis parameters (seed, k, anonymise, curriculum, codes, synonyms) change results; output parameters
    (formats, table_formats, dpi, figure_size, jobs, pdf, all_figures) change only how results are written.
    """

    seed: int = 0
    k: int | None = None
    anonymise: bool = False  # trainees as stable codes (T01 …) in every written table, graph, figure and report
    curriculum: str | None = None  # CSV: cohort, unit_no, title[, description, lecturer]
    codes: str | None = None  # codebook file (coding rules); None: the shipped starter codebook
    synonyms: str | None = None  # concept file (concept, variant); None: the shipped starter file
    topics_from: str | None = None  # an earlier run's output folder (or its topic_model.json): topics carried forward
    formats: tuple[str, ...] = ("png", "svg")
    table_formats: tuple[str, ...] = ("csv", "parquet")
    dpi: int = 150  # PNG resolution (screens; --dpi 300 for print); SVG/PDF are resolution-free
    figure_size: str = "double"  # journal column: "single" (8.5 cm) or "double" (17.5 cm)
    jobs: int = 2  # worker processes for topic selection and figures (results do not depend on it)
    pdf: bool = False  # also print report.html to report.pdf (headless Chromium)
    # draw every figure; by default a run draws the figures its report shows (the others on request, see
    # corpus_tools.report.REPORT_FIGURES; notebooks draw any figure they show)
    all_figures: bool = False

    OUTPUT_ONLY = ("formats", "table_formats", "dpi", "figure_size", "jobs", "pdf", "all_figures")

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError(f"seed must be ≥ 0 (got {self.seed})")
        if self.k is not None and self.k < 2:
            raise ValueError(f"k must be ≥ 2 (got {self.k})")
        if self.figure_size not in FIGURE_SIZES:
            raise ValueError(f"figure_size must be one of {FIGURE_SIZES} (got {self.figure_size!r})")
        if self.dpi <= 0:
            raise ValueError(f"dpi must be > 0 (got {self.dpi})")
        if self.jobs < 1:
            raise ValueError(f"jobs must be ≥ 1 (got {self.jobs})")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def describe(self) -> str:
        """The parameters as a sentence (Chinese, for the report)."""
        parts = [f"主题数 k = {self.k}（手动指定）" if self.k is not None else "主题数 k 由稳定性与一致性规则自动选定",
                 f"随机种子 {self.seed}"]
        if self.anonymise:
            parts.append("学员以编号代替姓名")
        parts.append(f"课程表：{Path(self.curriculum).name}" if self.curriculum else "未提供课程表（单元取自问答合集本身）")
        if self.codes:
            parts.append(f"编码规则：{Path(self.codes).name}")
        if self.topics_from:
            parts.append(f"沿用主题模型：{self.topics_from}")
        return "；".join(parts) + "。"


@dataclass(frozen=True)
class PlotRef:
    """A figure function named by its module and name (``corpus_tools.plots.topics``, ``topic_top_terms``),
    imported when it is called. Stages name the functions of their figures this way: a run's main process then
    never imports matplotlib (its workers draw the figures), and a spec pickles as the two names."""

    module: str
    name: str

    def resolve(self) -> Callable:
        """The function itself (importing its module)."""
        from importlib import import_module

        return getattr(import_module(self.module), self.name)

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)


class PlotModule:
    """``PlotModule("topics").topic_top_terms`` is ``PlotRef("corpus_tools.plots.topics", "topic_top_terms")``:
    a figure module's functions named without importing it."""

    def __init__(self, name: str):
        self._module = f"corpus_tools.plots.{name}"

    def __getattr__(self, name: str) -> PlotRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return PlotRef(self._module, name)


@dataclass
class FigureSpec:
    """A figure, not yet drawn: ``make()`` calls ``fn(*args, **kwargs)`` and returns a matplotlib Figure.

    ``fn`` is a module-level function of :mod:`corpus_tools.plots` (or a :class:`PlotRef` to one) and ``args``
    hold only what it draws, so a spec can be sent to a worker process or cached. ``source`` names the table (in
    ``Study.tables``) it is drawn from.
    """

    stem: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    title: str = ""
    caption: str = ""
    method: str = ""
    source: str = ""
    raster_only: bool = False  # pictures (word clouds): PNG only

    def make(self):
        return self.fn(*self.args, **self.kwargs)


@dataclass
class StageOutput:
    """What a stage returns: tables by name, figure specs by stem, graphs by name, other objects by name."""

    tables: dict[str, "pd.DataFrame"] = field(default_factory=dict)
    figures: dict[str, FigureSpec] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a reader should know (e.g. why something was skipped)


@dataclass(frozen=True)
class Stage:
    """One analysis step, declared once: the CLI, progress display, manifest and cache all read this."""

    name: str
    title: str  # Chinese, for progress and the report
    fn: Callable[["Study"], StageOutput]
    needs: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()  # tables it always produces (others may be added)
    uses: tuple[str, ...] = ()  # the Params fields its result depends on
    min_entries: int = 1  # fewer entries than this: the stage is skipped, and the Study says why
    description: str = ""


class Reporter(Protocol):  # implemented in pipeline (progress on the terminal)
    def stage(self, stage: Stage, i: int, n: int) -> None: ...

    def counter(self, total: int, desc: str) -> Callable[[], None]: ...


class StageCache(Protocol):  # implemented in pipeline (the cache reads and writes files)
    def get(self, stage: str, key: str) -> StageOutput | None: ...

    def put(self, stage: str, key: str, output: StageOutput) -> None: ...


@dataclass(frozen=True)
class ParameterFile:
    """A parameter file a study reads (curriculum, codebook, synonyms, an earlier run's topic model): the path as
    named (for messages), its text, and the sha256 of its bytes (its part of the stages' cache keys)."""

    source: str
    text: str
    sha256: str | None


@dataclass
class Study:
    """Everything a study found, in memory: the parsed booklet, every table, graph and figure spec."""

    booklet: "Booklet"
    params: Params = field(default_factory=Params)
    tables: dict[str, "pd.DataFrame"] = field(default_factory=dict)
    figures: dict[str, FigureSpec] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)  # names starting with "_": caches of the stages (dropped)
    stages_run: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # stage → reason
    notes: list[str] = field(default_factory=list)
    stage_keys: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)  # stages taken from the cache
    figure_stage: dict[str, str] = field(default_factory=dict)  # figure stem → the stage that specified it
    reporter: Any = field(default=None, repr=False)  # progress display set by the caller (never saved)
    executor: Any = field(default=None, repr=False)  # the caller's WorkerPool for long fits, or None (never saved)
    inputs: dict[str, ParameterFile] = field(default_factory=dict, repr=False)  # parameter files, read before

    def parameter_file(self, name: str) -> ParameterFile | None:
        """The file parameter ``name`` (:data:`FILE_PARAMS`) names, as read before the first stage (the shipped
        default for ``codes`` and ``synonyms``); None when ``curriculum`` or ``topics_from`` names none."""
        if getattr(self.params, name) in (None, "") and name not in self.inputs:
            return None
        if name not in self.inputs:
            raise KeyError(f"parameter file {name!r} was not read before the analysis (see corpus_tools.inputs)")
        return self.inputs[name]

    def ticker(self, total: int, desc: str) -> Callable[[], None] | None:
        """A callback to call once per finished step of a long computation (model fits …), advancing the caller's
        progress display; None when nobody watches."""
        if self.reporter is None or not hasattr(self.reporter, "counter"):
            return None
        return self.reporter.counter(total, desc)

    def table(self, name: str) -> "pd.DataFrame":
        if name not in self.tables:
            raise KeyError(f"no table {name!r} in this study (tables: {', '.join(sorted(self.tables))})")
        return self.tables[name]

    def merge(self, out: StageOutput) -> None:
        self.tables.update(out.tables)
        self.figures.update(out.figures)
        self.graphs.update(out.graphs)
        self.objects.update(out.objects)
        self.notes.extend(out.notes)

    def save(self, outdir: str | Path, **kwargs) -> "Any":
        """Write every table, graph, figure, the report and the manifest under ``outdir`` (see
        :func:`corpus_tools.save.save_study`, which does the writing through ``store``)."""
        from .save import save_study

        return save_study(self, outdir, **kwargs)


FILE_PARAMS = ("curriculum", "codes", "synonyms", "topics_from")  # parameters that name a file, keyed by content


__all__ = ["Params", "ParameterFile", "FigureSpec", "Stage", "StageOutput", "Study", "FILE_PARAMS", "FIGURE_SIZES"]
