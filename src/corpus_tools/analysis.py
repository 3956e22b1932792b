"""One analysis core: ``analyse(booklet, params) -> Study``.

``analyse`` runs the stages declared once in :data:`corpus_tools.stages.STAGES` (name, needs, produces, uses,
function) and returns a :class:`~corpus_tools.study.Study`: every table, graph and figure specification in memory,
nothing written. The pipeline, compare, the report and the notebooks all call it.

Stages are pure functions ``fn(study) -> StageOutput``. A stage is cached (optionally, by the caller) under a key
that hashes the package version (with the versions of the libraries the stages use), the booklet's checksum, the
parameters the stage uses and the keys of the stages it needs — so a rerun with the same inputs reuses its result,
and changing only figure formats recomputes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .keys import digest as _digest, package_version
from .study import (FILE_PARAMS, Params, ParameterFile, Reporter, Stage, StageCache, StageOutput, Study)

if TYPE_CHECKING:  # pragma: no cover
    from .booklet import Booklet


def file_digest(path: str | Path | None) -> str | None:
    """sha256 of a parameter file's bytes (so editing the curriculum or the codebook changes the cache key)."""
    from .store import file_sha256

    return file_sha256(path)




def param_digest(name: str, value: Any) -> Any:
    """A parameter as a cache key sees it: files (:data:`FILE_PARAMS`) by their content; ``topics_from`` by its
    model file (a run's folder names its data/processed/topic_model.json)."""
    if name not in FILE_PARAMS:
        return value
    if name == "topics_from" and value:
        from .carry import model_file

        value = model_file(value)
    return file_digest(value)


def stage_key(stage: Stage, booklet_sha: str, params: Params, needed_keys: Iterable[str], version: str,
              inputs: dict[str, ParameterFile] | None = None) -> str:
    """Content hash of what a stage's result depends on: a file parameter by the sha256 of the file it names
    (taken from ``inputs`` when read already), the others by value."""
    used = {}
    for name in stage.uses:
        value = getattr(params, name)
        if name in FILE_PARAMS and inputs is not None and name in inputs:
            used[name] = inputs[name].sha256 if value else None  # None: the shipped default, as param_digest
        else:
            used[name] = param_digest(name, value)
    return _digest(version, stage.name, booklet_sha, used, list(needed_keys))


def plan(wanted: Iterable[str] | None = None) -> list[Stage]:
    """The stages to run for ``wanted`` (names; None = all), with the stages they need, in declaration order."""
    from .stages import STAGES

    by_name = {s.name: s for s in STAGES}
    if wanted is None:
        return list(STAGES)
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; choose from {list(by_name)}")
    need: set[str] = set()
    todo = list(wanted)
    while todo:
        n = todo.pop()
        if n not in need:
            need.add(n)
            todo.extend(by_name[n].needs)
    return [s for s in STAGES if s.name in need]


def analyse(booklet: "Booklet", params: Params = Params(), stages: Iterable[str] | None = None,
            cache: StageCache | None = None, progress: Reporter | None = None,
            on_output: Callable[[Stage, StageOutput, "Study"], object] | None = None,
            executor: Any = None, inputs: dict[str, ParameterFile] | None = None) -> Study:
    """Run the declared stages on ``booklet`` and return the :class:`Study` (nothing is written, and no stage reads
    a file: the parameter files the stages use are read here once, before the first stage —
    :func:`corpus_tools.inputs.read_inputs` — unless ``inputs`` gives them).

    ``stages`` restricts the run to some stages (and what they need); ``cache`` (see :class:`StageCache`) reuses
    results whose key is unchanged; ``progress.stage(stage, i, n)`` is called before each stage and
    ``progress.counter(total, desc)`` gives long computations a step callback (see :class:`Reporter`);
    ``on_output(stage, output, study)`` is called after each stage (the pipeline starts drawing its figures);
    ``executor`` (a :class:`corpus_tools.workers.WorkerPool`) takes the long fits, else they run here, serially."""
    if params.anonymise and not booklet.meta.get("anonymised"):  # trainees become codes before any stage sees them
        from .anonymise import anonymise_booklet

        booklet = anonymise_booklet(booklet)
    todo = plan(stages)
    if inputs is None:
        from .inputs import read_inputs

        inputs = read_inputs(params, {n for s in todo for n in s.uses if n in FILE_PARAMS})
    study = Study(booklet=booklet, params=params, reporter=progress, executor=executor, inputs=dict(inputs))
    version = package_version()
    sha = str(booklet.meta.get("sha256", ""))
    if booklet.meta.get("anonymised"):  # same input file, other tables: results must not be shared
        sha += ":anonymised"
    n_entries = len(booklet.entries)
    for i, stage in enumerate(todo):
        if progress is not None:
            progress.stage(stage, i, len(todo))
        missing = [n for n in stage.needs if n in study.skipped]
        if missing:
            study.skipped[stage.name] = f"需要“{missing[0]}”阶段的结果，而该阶段已跳过"
            continue
        if n_entries < stage.min_entries:
            study.skipped[stage.name] = f"问答只有 {n_entries} 条，少于此分析所需的 {stage.min_entries} 条"
            continue
        key = stage_key(stage, sha, params, [study.stage_keys[n] for n in stage.needs], version, study.inputs)
        study.stage_keys[stage.name] = key
        t0 = time.perf_counter()
        out = cache.get(stage.name, key) if cache is not None else None
        if out is not None:
            study.cached.append(stage.name)
        else:
            out = stage.fn(study)
            missing_tables = [t for t in stage.produces if t not in out.tables]
            if missing_tables:
                raise RuntimeError(f"stage {stage.name} did not produce {missing_tables}")
            if cache is not None:
                cache.put(stage.name, key, out)
        study.merge(out)
        study.figure_stage.update({stem: stage.name for stem in out.figures})
        study.stages_run.append(stage.name)
        study.timings[stage.name] = time.perf_counter() - t0
        if on_output is not None:
            on_output(stage, out, study)
    # the stages' working views of the tokens (recomputed on demand by stages.words): at 100 copies of the
    # booklet they hold ~125 MB that saving and the report do not need
    from .stages import drop_views

    drop_views()
    return study



__all__ = ["analyse", "plan", "stage_key", "param_digest", "file_digest", "package_version"]
