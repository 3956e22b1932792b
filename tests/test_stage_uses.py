"""Each stage declares the parameters its result depends on (``Stage.uses``): they are part of its cache key. A
stage that reads a parameter it does not declare would be reused from the cache after that parameter changed —
this test runs every stage with parameters that record what is read, and compares (a parameter declared by a stage
it needs is covered: its key is part of the key)."""

from __future__ import annotations

import dataclasses

import corpus_tools.stages as stages
from corpus_tools.study import Params, analyse

ANALYSIS = {f.name for f in dataclasses.fields(Params)} - set(Params.OUTPUT_ONLY)


def test_every_stage_declares_the_parameters_it_reads(booklet, monkeypatch):
    reads: dict[str, set[str]] = {}
    current: list[str] = []

    @dataclasses.dataclass(frozen=True)
    class Recording(Params):
        def __getattribute__(self, name):
            if current and name in ANALYSIS:
                reads.setdefault(current[-1], set()).add(name)
            return object.__getattribute__(self, name)

    def watched(stage):
        def fn(study):
            current.append(stage.name)
            try:
                return stage.fn(study)
            finally:
                current.pop()
        return dataclasses.replace(stage, fn=fn)

    monkeypatch.setattr(stages, "STAGES", tuple(watched(s) for s in stages.STAGES))
    study = analyse(booklet, Recording(k=7, seed=0))
    assert study.stages_run == [s.name for s in stages.STAGES]
    by_name = {s.name: s for s in stages.STAGES}

    def covered(name: str) -> set[str]:  # a stage's key holds the keys of the stages it needs, so their uses too
        s = by_name[name]
        return set(s.uses).union(*(covered(n) for n in s.needs))

    undeclared = {s.name: sorted(reads.get(s.name, set()) - covered(s.name)) for s in stages.STAGES}
    assert not any(undeclared.values()), undeclared
    # and the record is real: the topics stage reads k and seed, the tokens stage the synonyms file
    assert {"k", "seed"} <= reads["topics"] and "synonyms" in reads["tokens"]


def test_analyse_never_changes_the_study_a_stage_reads(booklet, monkeypatch):
    """Stages read the Study and return new results; none writes into it (the analysis views of the tokens are
    a function of the tokens table, not entries of ``study.objects``)."""
    import copy

    seen = []

    def watched(stage):
        def fn(study):
            before = (set(study.tables), set(study.objects), set(study.figures), set(study.graphs))
            out = stage.fn(study)
            after = (set(study.tables), set(study.objects), set(study.figures), set(study.graphs))
            seen.append((stage.name, before == after))
            return out
        return dataclasses.replace(stage, fn=fn)

    monkeypatch.setattr(stages, "STAGES", tuple(watched(s) for s in stages.STAGES))
    analyse(copy.deepcopy(booklet), Params(k=7, seed=0))
    assert [name for name, same in seen if not same] == []
    assert len(seen) == len(stages.STAGES)
