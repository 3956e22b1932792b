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
from .features import DocumentTermMatrix, document_term_matrix
from .store import write_table
from .text import ChineseTokenizer, tokenizer_for, tokens_table
from .topics import TopicFit, TopicSettings, entry_coordinates, select_and_fit, topic_tables


@dataclass
class TopicResult:
    """The topic stage's products: the matrix it used, the fit, and its tables (topics, entry_topics,
    topic_terms, topic_model_comparison)."""

    dtm: DocumentTermMatrix
    fit: TopicFit
    tables: dict
    coords: object = None


def run_topics(booklet: Booklet, tokens, tokenizer: ChineseTokenizer, params: "RunParams") -> TopicResult:
    """Build the entry-view matrix, choose k (unless given) and fit the topic model."""
    settings = TopicSettings(k=params.k)
    dtm = document_term_matrix(tokens, booklet, settings.view, settings.min_df, settings.max_df,
                               dict(settings.weights), exclude=set(tokenizer.names))
    fit, comparison = select_and_fit(dtm, settings, params.seed, reference=booklet.entries.section.to_numpy())
    tables = topic_tables(fit, dtm)
    if len(comparison):
        tables["topic_model_comparison"] = comparison
    return TopicResult(dtm, fit, tables)


def topic_figures(booklet: Booklet, topics: TopicResult, params: "RunParams", plots) -> dict:
    """Figure makers of the topic stage, by stable file stem."""
    t = topics.tables
    out = {
        "topics_top_terms": lambda: plots.topic_top_terms(t["topic_terms"], t["topics"]),
        "topics_section_heatmap": lambda: plots.section_topic_heatmap(booklet.entries, t["entry_topics"],
                                                                      t["topics"]),
        "topics_entry_map": lambda: plots.entry_map(entry_coordinates(topics.dtm, params.seed), booklet.entries,
                                                    t["entry_topics"], t["topics"]),
    }
    for topic_id in t["topics"].topic_id:
        terms = t["topic_terms"][t["topic_terms"].topic_id == topic_id]
        label = t["topics"].label[topic_id]
        out[f"topics_wordcloud_{topic_id:02d}"] = (
            lambda terms=terms, topic_id=topic_id, label=label: plots.word_cloud(
                dict(zip(terms.term, terms.weight)), f"主题 {topic_id}：{label}", seed=params.seed))
    return out


@dataclass(frozen=True)
class RunParams:
    """Parameters of a run, in one place. ``k=None``: the number of topics is chosen by the documented rule."""

    seed: int = 0
    k: int | None = None
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

    tables_dir = out / "data" / "processed"
    figdir = out / "figures"

    t = stage("tokens")
    tokenizer = tokenizer_for(booklet)
    tokens = tokens_table(booklet, tokenizer)
    outputs["tokens"] = [str(p) for p in write_table(tokens, tables_dir, "tokens", params.table_formats)]
    timings["tokens"] = time.perf_counter() - t

    t = stage("topics")
    topics = run_topics(booklet, tokens, tokenizer, params)
    outputs["topics"] = [str(p) for name, df in topics.tables.items()
                         for p in write_table(df, tables_dir, name, params.table_formats)]
    timings["topics"] = time.perf_counter() - t

    t = stage("figures")
    from .plots import overview
    from .plots import topics as topic_plots
    from .plots.style import save_figure

    figures = {"overview_entries_by_section": lambda: overview.entries_by_section(booklet.entries),
               "overview_entries_by_unit": lambda: overview.entries_by_unit(booklet.units),
               **topic_figures(booklet, topics, params, topic_plots)}
    outputs["figures"] = []
    for stem, make in figures.items():
        fig = make()
        outputs["figures"] += [str(p) for p in save_figure(fig, figdir / stem, params.formats)]
    timings["figures"] = time.perf_counter() - t

    result = RunResult(booklet, out, timings, outputs)
    manifest = dict(input=dict(path=str(booklet_path), sha256=booklet.meta.get("sha256"),
                               encoding=booklet.meta.get("encoding")),
                    params=asdict(params), versions=_versions(), timings=timings, outputs=outputs)
    (out / "run_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return result
