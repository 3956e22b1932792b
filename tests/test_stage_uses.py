"""Each stage declares the parameters its result depends on (``Stage.uses``): they are part of its cache key. A
stage that reads a parameter it does not declare would be reused from the cache after that parameter changed —
this test runs every stage with parameters that record what is read, and compares (a parameter declared by a stage
it needs is covered: its key is part of the key). The same run also records whether a stage writes into the Study
it reads. One analysis, computed here (not from the cache: a cached stage runs no code), serves both tests."""

from __future__ import annotations

import copy
import dataclasses

import pytest

import corpus_tools.stages as stages
from corpus_tools.analysis import analyse
from corpus_tools.study import Params

ANALYSIS = {f.name for f in dataclasses.fields(Params)} - set(Params.OUTPUT_ONLY)


@dataclasses.dataclass
class Record:
    reads: dict[str, set[str]]  # stage name → analysis parameters it read
    unchanged: list[tuple[str, bool]]  # (stage name, the Study's tables/objects/figures/graphs the same after it)
    stages_run: list[str]


@pytest.fixture(scope="module")
def record(booklet) -> Record:
    """Every stage run once, uncached, on a copy of the booklet, with parameters that record what is read and a
    wrapper that compares the Study's contents before and after the stage."""
    reads: dict[str, set[str]] = {}
    unchanged: list[tuple[str, bool]] = []
    current: list[str] = []

    @dataclasses.dataclass(frozen=True)
    class Recording(Params):
        def __getattribute__(self, name):
            if current and name in ANALYSIS:
                reads.setdefault(current[-1], set()).add(name)
            return object.__getattribute__(self, name)

    def contents(study):
        return set(study.tables), set(study.objects), set(study.figures), set(study.graphs)

    def watched(stage):
        def fn(study):
            before = contents(study)
            current.append(stage.name)
            try:
                return stage.fn(study)
            finally:
                current.pop()
                unchanged.append((stage.name, before == contents(study)))
        return dataclasses.replace(stage, fn=fn)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stages, "STAGES", tuple(watched(s) for s in stages.STAGES))
        study = analyse(copy.deepcopy(booklet), Recording(k=7, seed=0))
    return Record(reads, unchanged, list(study.stages_run))


def test_every_stage_declares_the_parameters_it_reads(record):
    reads = record.reads
    assert record.stages_run == [s.name for s in stages.STAGES]
    by_name = {s.name: s for s in stages.STAGES}

    def covered(name: str) -> set[str]:  # a stage's key holds the keys of the stages it needs, so their uses too
        s = by_name[name]
        return set(s.uses).union(*(covered(n) for n in s.needs))

    undeclared = {s.name: sorted(reads.get(s.name, set()) - covered(s.name)) for s in stages.STAGES}
    assert not any(undeclared.values()), undeclared
    # and the record is real: the topics stage reads k and seed, the tokens stage the synonyms file
    assert {"k", "seed"} <= reads["topics"] and "synonyms" in reads["tokens"]


def test_analyse_never_changes_the_study_a_stage_reads(record):
    """Stages read the Study and return new results; none writes into it (the analysis views of the tokens are
    a function of the tokens table, not entries of ``study.objects``)."""
    assert [name for name, same in record.unchanged if not same] == []
    assert [name for name, _ in record.unchanged] == [s.name for s in stages.STAGES]  # every stage was watched


def test_stages_read_no_parameter_file(booklet, monkeypatch):
    """The parameter files are read once, before the first stage (corpus_tools.inputs); with them given, the
    stages that parse a curriculum, a codebook and the synonyms run with every file reader of store disabled."""
    import corpus_tools.store as store
    from corpus_tools.inputs import read_inputs
    from corpus_tools.resources import resource_path

    params = Params(k=7, seed=0, curriculum=str(resource_path("curriculum_example.csv").resolve()))
    inputs = read_inputs(params)
    assert set(inputs) == {"curriculum", "codes", "synonyms"}  # no topics_from named: no model read
    assert inputs["curriculum"].source.endswith("curriculum_example.csv") and "cohort" in inputs["curriculum"].text

    package_data = resource_path("synonyms.csv").parent
    given = {inputs["curriculum"].source}  # the curriculum named: the example file, read only through inputs

    def guarded(real):
        def read(path, *args, **kwargs):
            from pathlib import Path

            p = Path(path).resolve()
            if str(p) in given or package_data not in p.parents:  # the package's own data may be read
                raise AssertionError(f"a stage read a parameter file: {path}")
            return real(path, *args, **kwargs)
        return read

    for name in ("read_parameter_text", "read_file_bytes", "file_sha256"):
        monkeypatch.setattr(store, name, guarded(getattr(store, name)))
    study = analyse(booklet, params, stages=["needs", "codes"], inputs=inputs)
    assert {"tokens", "codebook", "recurring_needs"} <= set(study.tables)
    assert study.parameter_file("curriculum") is inputs["curriculum"]
    assert study.parameter_file("topics_from") is None
