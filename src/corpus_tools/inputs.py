"""The parameter files a study reads — curriculum, codebook, synonyms, an earlier run's topic model — read once,
before the analysis starts (:func:`corpus_tools.analysis.analyse` calls :func:`read_inputs`; a caller may read them
itself and pass them in), so that no stage reads a file. Reading goes through :mod:`corpus_tools.store`; a file
that cannot be read or decoded raises the error of its kind, naming the file, as its loader does."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .study import FILE_PARAMS, Params, ParameterFile


def read_inputs(params: Params, names: Iterable[str] = FILE_PARAMS) -> dict[str, ParameterFile]:
    """The files the parameters ``names`` (of :data:`~corpus_tools.study.FILE_PARAMS`) name: the curriculum and the
    topic model only when named, the codebook and the synonyms file always (the shipped defaults when none is
    named). Returns parameter name → :class:`~corpus_tools.study.ParameterFile`."""
    from .carry import model_file
    from .codes import CodebookError
    from .curriculum import CurriculumError
    from .resources import resource_path
    from .text import SynonymsError

    names = set(names)
    out: dict[str, ParameterFile] = {}
    if "curriculum" in names and params.curriculum:
        out["curriculum"] = _text_file(params.curriculum, "课程表", CurriculumError)
    if "codes" in names:
        out["codes"] = _text_file(params.codes or resource_path("codebook.yaml"), "编码表", CodebookError)
    if "synonyms" in names:
        out["synonyms"] = _text_file(params.synonyms or resource_path("synonyms.csv"), "同义词表", SynonymsError)
    if "topics_from" in names and params.topics_from:
        out["topics_from"] = read_model_file(model_file(params.topics_from))
    return out


def _text_file(path: str | Path, what: str, error) -> ParameterFile:
    from .store import file_sha256, read_parameter_text

    p = Path(path)
    text = read_parameter_text(p, what, error)
    return ParameterFile(str(p), text, file_sha256(p))


def read_model_file(p: Path) -> ParameterFile:
    """A topic model file (UTF-8 JSON), with the messages of :func:`corpus_tools.carry.read_model`."""
    from .carry import TopicModelError
    from .store import file_sha256, read_file_bytes

    try:
        data = read_file_bytes(p)
    except OSError as exc:
        hint = " (was the folder written by a run of this version?)" if not p.exists() else ""
        raise TopicModelError(str(p), f"cannot read the topic model: {exc.strerror or exc}{hint}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TopicModelError(str(p), "not a topic model: the file is not UTF-8 text") from None
    return ParameterFile(str(p), text, file_sha256(p))


__all__ = ["read_inputs", "read_model_file"]
