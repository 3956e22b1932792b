"""The pipeline: booklet file → :func:`corpus_tools.analysis.analyse` → :func:`corpus_tools.save.save_study` (files)
→ manifest. It composes the jobs that live in their own modules: :mod:`corpus_tools.resultcache` (the result cache),
:mod:`corpus_tools.render` (figures and fonts), :mod:`corpus_tools.save` (writing a study) and
:mod:`corpus_tools.workers` (processes).

``run(booklet_path, outdir, params)`` parses the booklet, runs the declared stages (reusing cached stage results
whose inputs did not change), renders the figures (in worker processes, reusing cached renderings), writes every
table, graph, figure, the report and ``run_manifest.json``. A rerun whose input, parameters and package version
are unchanged, and whose files are still as the manifest lists them, returns at once.

Output tree under ``outdir``: ``data/processed/`` (tables, CSV + Parquet; networks/ GEXF + GraphML),
``figures/`` (the file stem is the figure's name), ``report.html``, ``run_manifest.json``.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Iterable

from .resultcache import DiskCache, cache, run_started
from .keys import digest
from .render import FigureRenderer, parameter_text, render_figures, source_font
from .save import RunResult, manifest_is_current, save_study
from .store import RunLock, recover, scratch_folder
from .analysis import analyse, file_digest, package_version, param_digest, plan
from .study import FILE_PARAMS, Params, Stage

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

def run_key(booklet_sha: str, params: Params, stages: Iterable[str], version: str) -> str:
    """What a whole run's outputs depend on: input, parameters (files by content), stages, package version."""
    p = params.as_dict()
    for name in FILE_PARAMS:
        p[name] = param_digest(name, p[name])
    p.pop("jobs", None)
    return digest("run", version, booklet_sha, p, sorted(stages), n=64)


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
    if params.topics_from:
        from .carry import read_model

        read_model(params.topics_from)

def run(booklet_path: str | Path | list, outdir: str | Path, params: Params = Params(), progress: bool = True,
        only: tuple[str, ...] | None = None, fresh: bool = False, cache_dir: str | Path | None = None,
        cohort_offsets: dict[str, int] | None = None) -> RunResult:
    """Parse ``booklet_path``, analyse it and write everything under ``outdir``.

    ``booklet_path``: one booklet, or a list of booklets in programme order, analysed as one study
    (:func:`corpus_tools.programme.read_booklets`; ``cohort_offsets``: booklet → offset of its printed cohorts).
    ``only``: some stage names (see :data:`corpus_tools.stages.STAGES`) or ``("report",)``; the stages they need
    run too. ``fresh``: ignore the caches and the up-to-date check."""
    from .ingest import read_input_bytes

    t_start = time.perf_counter()
    wanted = None if not only or "report" in only or "run" in only else tuple(only)
    names = [s.name for s in plan(wanted)]
    with_report = wanted is None
    out = Path(outdir)
    paths = [str(p) for p in booklet_path] if isinstance(booklet_path, (list, tuple)) else [str(booklet_path)]
    if len(paths) == 1 and not cohort_offsets:
        booklet_path = paths[0]
        raw = read_input_bytes(booklet_path)
        sha = hashlib.sha256(raw).hexdigest()
    else:  # a programme: every file's bytes (and the offsets) make its key; the font is cut from all its text
        raws = [read_input_bytes(p) for p in paths]
        sha = digest("programme", [(Path(p).stem, hashlib.sha256(r).hexdigest()) for p, r in zip(paths, raws)],
                     sorted((cohort_offsets or {}).items()), n=64)
        raw = _joined_text(raws)
        booklet_path = paths
    version = package_version()
    key = run_key(sha, params, names + (["report"] if with_report else []), version)
    # the folder is locked before anything is computed: a second run into it is refused at once
    with RunLock(out, " ".join(sys.argv)) as lock:
        recover(out)  # what a run killed in this folder left (a half-done commit, staging and scratch folders)
        if not fresh and manifest_is_current(out, key):
            r = RunResult(study=None, outdir=out, params=params, up_to_date=True)
            r.outputs = {"report": [str(out / "report.html")]} if with_report and (out / "report.html").exists() \
                else {}
            r.timings["check"] = time.perf_counter() - t_start
            return r
        from .workers import WORKER_MODULES, WorkerPool, one_thread_each, run_gc

        cache = DiskCache(Path(cache_dir) if cache_dir else None, enabled=not fresh)
        started = run_started()
        # one set of workers for the whole run: the run's font subset (for the pages and the figures: a second of
        # subsetting) is cut first, from the input's characters, while this process parses; then each stage's
        # figures are drawn while the next stages compute
        import numpy  # noqa: F401 - loaded with this process's own thread settings, before the workers start
        with scratch_folder(out) as scratch, run_gc(), one_thread_each(), \
                WorkerPool(params.jobs, warm=WORKER_MODULES).start() as pool:
            early_font = pool.submit(source_font, (raw, parameter_text(params), cache, str(scratch)), priority=2)
            del raw
            result = _run_analysis(booklet_path, out, params, cache, progress, wanted, key, early_font, pool,
                                   lock, cohort_offsets)
        if cache.enabled:
            cache.prune(keep_since=started)  # least recently used entries beyond the cap; this run's stay
    result.wall = time.perf_counter() - t_start
    return result


def _joined_text(raws: list[bytes]) -> bytes:
    """The texts of several booklets as one UTF-8 text (for the font subset); undecodable ones are left out
    (their parse says why)."""
    from .errors import BookletError
    from .ingest import decode_bytes

    texts = []
    for r in raws:
        try:
            texts.append(decode_bytes(r)[0])
        except BookletError:
            pass
    return "\n".join(texts).encode("utf-8")


def _run_analysis(booklet_path: str | Path | list, out: Path, params: Params, cache: DiskCache, progress: bool,
                  wanted: tuple[str, ...] | None, key: str, early_font, pool, lock=None,
                  cohort_offsets: dict[str, int] | None = None) -> RunResult:
    """The part of :func:`run` done with its workers open: parse, analyse (figures drawn by ``pool`` as each
    stage ends), save."""
    from .booklet import read_booklet

    t0 = time.perf_counter()
    if isinstance(booklet_path, list):
        from .programme import read_booklets

        booklet = read_booklets(booklet_path, cohort_offsets)
        booklet_path = booklet.meta.get("source", "")
    else:
        booklet = read_booklet(booklet_path)
    if params.k is not None and params.k > len(booklet.entries):
        from .errors import BookletError

        n = len(booklet.entries)
        raise BookletError(str(booklet_path), f"-k {params.k}: the booklet has only {n} entries; choose 2 ≤ k ≤ {n}"
                           if n >= 2 else f"-k {params.k}: the booklet has only {n} entry: too few for topics")
    t_parse = time.perf_counter() - t0
    check_parameter_files(params)
    prog = Progress(progress)
    renderer = FigureRenderer(params, cache, pool, font=early_font, report=wanted is None)
    study = analyse(booklet, params, stages=wanted, cache=cache, progress=prog,
                    on_output=lambda stage, output, study: renderer.add(study, stage.name, output.figures),
                    executor=pool)
    return save_study(study, out, cache=cache, progress=prog, report=wanted is None,
                      timings={"parse": t_parse, **study.timings}, extra_manifest={"run_key": key},
                      prune=wanted is None, renderer=renderer, early_font=early_font, lock=lock)


__all__ = ["run", "save_study", "render_figures", "RunResult", "Params", "DiskCache", "Progress", "cache"]
