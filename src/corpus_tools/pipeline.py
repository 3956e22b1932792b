"""One pipeline, many faces: ``run(booklet, outdir, params)`` runs the stages in order and writes a manifest.

Stages: parse → tokens → topics → trends → coverage → figures. Each analysis stage is a plain function taking
the earlier products and returning an :class:`Analysis` (tables + figure makers); only :func:`run` writes files.

Output tree under ``outdir``: ``data/processed/`` (tables, CSV + Parquet), ``figures/`` (stable names: the file
stem is the figure's name), ``run_manifest.json`` (input checksum, parameters, package versions, seconds per
stage).
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from .booklet import Booklet, read_booklet
from .features import DocumentTermMatrix, document_term_matrix
from .schema import TABLES, conform
from .store import write_table, write_text
from .text import ChineseTokenizer, tokenizer_for, tokens_table
from .topics import TopicFit, TopicSettings, entry_coordinates, select_and_fit, topic_tables


@dataclass(frozen=True)
class RunParams:
    """Parameters of a run, in one place. ``k=None``: the number of topics is chosen by the documented rule."""

    seed: int = 0
    k: int | None = None
    formats: tuple[str, ...] = ("png", "svg")
    table_formats: tuple[str, ...] = ("csv", "parquet")
    anonymise: bool = False  # trainees as stable codes (T01 …) in network tables, graphs and figures
    jobs: int = 2  # processes for topic selection and figures (results do not depend on it)


@dataclass
class Analysis:
    """What a stage produces: tables by name and figure makers by file stem."""

    tables: dict = field(default_factory=dict)
    figures: dict[str, Callable] = field(default_factory=dict)


@dataclass
class TopicResult(Analysis):
    dtm: DocumentTermMatrix | None = None
    fit: TopicFit | None = None


@dataclass
class NetworkResult(Analysis):
    graphs: dict = field(default_factory=dict)


# ---------------------------------------------------------------- stages

def run_topics(booklet: Booklet, tokens, tokenizer: ChineseTokenizer, params: RunParams) -> TopicResult:
    """Build the entry-view matrix, choose k (unless given) and fit the topic model."""
    from .plots import topics as plots

    settings = TopicSettings(k=params.k, n_jobs=params.jobs)
    dtm = document_term_matrix(tokens, booklet, settings.view, settings.min_df, settings.max_df,
                               dict(settings.weights), exclude=set(tokenizer.names))
    fit, comparison = select_and_fit(dtm, settings, params.seed, reference=booklet.entries.section.to_numpy())
    tables = topic_tables(fit, dtm)
    if len(comparison):
        tables["topic_model_comparison"] = comparison
    result = TopicResult(tables=tables, dtm=dtm, fit=fit)
    result.figures = topic_figures(booklet, result, params, plots)
    return result


def topic_figures(booklet: Booklet, topics: TopicResult, params: RunParams, plots) -> dict:
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


def run_trends(booklet: Booklet, tokens, params: RunParams) -> Analysis:
    """Frequencies per cohort / unit / section, keyness per cohort and section, emerging and fading terms."""
    from . import trends
    from .plots import topics as topic_plots
    from .plots import trends as plots

    e = booklet.entries
    tables = {
        "term_freq_by_cohort": trends.term_frequencies(tokens, e, "cohort"),
        "term_freq_by_unit": trends.term_frequencies(tokens, e, "unit"),
        "term_freq_by_section": trends.term_frequencies(tokens, e, "section"),
        "keyness_by_cohort": trends.keyness(tokens, e, "cohort"),
        "keyness_by_section": trends.keyness(tokens, e, "section"),
        "emerging_fading_terms": trends.emerging_fading(tokens, e),
    }
    by_cohort = tables["term_freq_by_cohort"]
    top = trends.top_terms_by_group(by_cohort, n=12)
    top_units = trends.top_terms_by_group(tables["term_freq_by_unit"], n=25)
    sections = list(booklet.sections.section)
    # small multiples stay legible: at most 12 panels, the largest groups first
    panels = list(booklet.sections.sort_values(["n_entries", "section_no"], ascending=[False, True],
                                               kind="stable").section[:12])
    cohorts = sorted(e.cohort.dropna().unique())
    figures = {
        "trends_top_terms_by_cohort": lambda: plots.term_trends(by_cohort, top),
        "trends_terms_by_unit": lambda: plots.terms_by_unit_heatmap(
            trends.trend_matrix(tables["term_freq_by_unit"], top_units)),
        "keyness_by_cohort": lambda: plots.keyness_bars(
            tables["keyness_by_cohort"], cohorts[-12:], title="各期关键词（对其余各期）",
            labels={c: f"第{int(c)}期" for c in cohorts}),
        "keyness_by_section": lambda: plots.keyness_bars(tables["keyness_by_section"], panels,
                                                         title="各栏目关键词（对其余栏目）"),
    }
    # word clouds: every cohort and section — beyond 24, the latest 24 cohorts and the 12 largest sections
    for group_col, groups, prefix in (("cohort", cohorts[-24:], "cohort"),
                                      ("section", sections if len(sections) <= 24 else panels, "section")):
        freqs = tables[f"term_freq_by_{group_col}"]
        for k, g in enumerate(groups, start=1):
            sub = freqs[freqs.group == g].head(80)
            name = f"第{int(g)}期" if group_col == "cohort" else g
            stem = f"wordcloud_{prefix}_{int(g) if group_col == 'cohort' else k:02d}"
            figures[stem] = (lambda sub=sub, name=name: topic_plots.word_cloud(
                dict(zip(sub.term, sub["count"])), f"{name}：高频词", seed=params.seed))
    return Analysis(tables, figures)


def run_coverage(booklet: Booklet, tokens, tokenizer, topics: TopicResult | None, params: RunParams) -> Analysis:
    """Curriculum coverage tables and figures."""
    from . import coverage
    from .plots import trends as plots

    e, t = booklet.entries, booklet.turns
    first_topic = None
    topic_tables_ = topics.tables if topics is not None else {}
    if topics is not None:
        et = topic_tables_["entry_topics"]
        first_topic = et[et["rank"] == 1][["entry_id", "topic_id"]]
    curric = coverage.curriculum(booklet.units)
    home = coverage.home_table(e, tokens, tokenizer, t)
    tables = {
        "coverage_units": coverage.coverage_table(e, booklet.units, tokens, booklet.askers, t,
                                                  topic_tables_.get("entry_topics"), topic_tables_.get("topics")),
        "curriculum": curric,
        "low_draw_units": coverage.low_draw_units(curric),
        "unit_by_section": coverage.unit_by(e, "section").reset_index(),
        "question_homes": home,
        "homeless_by_section": coverage.homeless_share(home, e, "section"),
        "instructors_by_unit": coverage.instructors_per_unit(e, t),
    }
    figures = {
        "coverage_unit_by_section": lambda: plots.coverage_heatmap(coverage.unit_by(e, "section")),
        "coverage_questions_per_unit": lambda: plots.questions_per_unit(curric),
    }
    if first_topic is not None:
        by_topic = coverage.unit_by(e, "topic_id", first_topic)
        tables["unit_by_topic"] = by_topic.reset_index()
        tables["homeless_by_topic"] = coverage.homeless_share(home, e, "topic_id", first_topic)
        figures["coverage_unit_by_topic"] = lambda: plots.coverage_heatmap(
            by_topic.rename(columns=lambda c: f"{c} {topic_tables_['topics'].label[c]}"),
            "课程单元 × 主题（问答条数）")
    return Analysis(tables, figures)


def run_network(booklet: Booklet, tokens, topics: TopicResult, params: RunParams) -> NetworkResult:
    """Speaker–topic graphs, their measures and figures (trainees pseudonymised if ``params.anonymise``)."""
    from . import network
    from .plots import network as plots

    nets = network.build_networks(booklet, tokens, topics.tables["entry_topics"], topics.tables["topics"],
                                  anonymise=params.anonymise, seed=params.seed)
    tables = {"network_nodes": nets.nodes, "network_edges": nets.edges, "network_summary": nets.modularity,
              "instructor_specialisation": nets.specialisation, "topic_dependence": nets.topic_dependence}
    g = nets.graphs
    figures = {
        "network_instructor_topic": lambda: plots.bipartite_figure(g["instructor_topic"], "instructor",
                                                                   "教员 — 主题（边宽 = 作答条数）"),
        "network_trainee_topic": lambda: plots.bipartite_figure(g["trainee_topic"], "trainee", "学员 — 主题"),
        "network_hospital_topic": lambda: plots.bipartite_figure(g["hospital_topic"], "hospital", "医院 — 主题"),
        "network_trainee_instructor": lambda: plots.bipartite_figure(g["trainee_instructor"], "trainee",
                                                                     "学员 → 教员（谁的问题由谁作答）"),
        "network_instructor_coanswer": lambda: plots.draw_graph(g["instructor_coanswer"], "教员共同作答",
                                                                seed=params.seed, n_labels=20),
        "network_term_cooccurrence": lambda: plots.draw_graph(g["term_cooccurrence"], "关键词共现（同一发言内，NPMI ≥ 0.25）",
                                                              seed=params.seed, n_labels=40),
    }
    return NetworkResult(tables, figures, graphs=g)


# ---------------------------------------------------------------- run

@dataclass
class RunResult:
    booklet: Booklet
    outdir: Path
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    analyses: dict[str, Analysis] = field(default_factory=dict)
    params: RunParams = field(default_factory=RunParams)

    def __str__(self) -> str:
        b = self.booklet
        lines = [
            "",
            "Summary",
            f"  booklet   {b.meta.get('source')}  ({b.meta.get('encoding')}, {b.meta.get('n_lines')} lines)",
            f"  parsed    {len(b.entries)} entries · {len(b.sections)} sections · {len(b.turns)} turns · "
            f"{(b.people.role == 'trainee').sum()} trainees · {(b.people.role == 'instructor').sum()} instructors · "
            f"{len(b.units)} sessions",
            f"  warnings  {len(b.warnings)}" + ("  (see data/processed/parse_report.txt)" if len(b.warnings) else ""),
        ]
        topics = self.analyses.get("topics")
        if isinstance(topics, TopicResult) and topics.fit is not None:
            lines.append(f"  topics    k = {topics.fit.k}: " + "；".join(topics.tables["topics"].label))
        for stage, files in self.outputs.items():
            lines.append(f"  {stage:<9} {len(files)} files")
        lines.append(f"  outputs   {self.outdir.resolve()}  (tables in data/processed/, figures in figures/)")
        lines.append("  timings   " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        return "\n".join(lines)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("corpus_tools", "pandas", "numpy", "scipy", "jieba", "scikit-learn", "networkx", "matplotlib",
                "wordcloud", "mplfonts", "stopwordsiso"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


STAGES = ("parse", "topics", "network", "trends", "coverage", "report")
NEEDS = {"parse": set(), "topics": {"tokens"}, "network": {"tokens", "topics"}, "trends": {"tokens"},
         "coverage": {"tokens", "topics"}, "report": {"tokens", "topics", "network", "trends", "coverage"}}


def run(booklet_path: str | Path, outdir: str | Path, params: RunParams = RunParams(),
        progress: bool = True, only: tuple[str, ...] | None = None) -> RunResult:
    """Run the stages on one booklet and write their outputs under ``outdir``. ``only`` restricts what is
    written to some of :data:`STAGES` (the stages they need still run, quietly): e.g. ``("topics",)``."""
    wanted = set(only or STAGES)
    unknown = wanted - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; choose from {STAGES}")
    computed = set(wanted)
    for w in wanted:
        computed |= NEEDS[w]
    if "report" in wanted:
        computed |= {"figures"}
    out = Path(outdir)
    tables_dir, figdir = out / "data" / "processed", out / "figures"
    result = RunResult(booklet=None, outdir=out, params=params)  # type: ignore[arg-type]
    order = [s for s in ("parse", "tokens", "topics", "network", "trends", "coverage", "figures", "report")
             if s == "parse" or s in computed or (s == "figures" and wanted - {"parse"})]
    clock = time.perf_counter()

    def stage(name: str) -> float:
        if progress:
            k, n = order.index(name), len(order)
            bar = "█" * k + "░" * (n - k)
            print(f"{bar} [{k + 1}/{n}] {name:<9} … (elapsed {time.perf_counter() - clock:5.1f}s)",
                  file=sys.stderr, flush=True)
        return time.perf_counter()

    def done(name: str, t0: float, tables: dict | None = None, write: bool = True) -> None:
        if tables and write:
            result.outputs[name] = [str(p) for tname, df in tables.items()
                                    for p in write_table(conform(tname, df) if tname in TABLES else df,
                                                         tables_dir, tname, params.table_formats)]
        result.timings[name] = time.perf_counter() - t0

    t0 = stage("parse")
    booklet = read_booklet(booklet_path)
    result.booklet = booklet
    result.outputs["parse"] = [str(p) for p in booklet.save(tables_dir, formats=params.table_formats)]
    result.timings["parse"] = time.perf_counter() - t0

    if "tokens" in computed:
        t0 = stage("tokens")
        tokenizer = tokenizer_for(booklet)
        tokens = tokens_table(booklet, tokenizer)
        done("tokens", t0, {"tokens": tokens})

    if "topics" in computed:
        t0 = stage("topics")
        topics = run_topics(booklet, tokens, tokenizer, params)
        result.analyses["topics"] = topics
        done("topics", t0, topics.tables, "topics" in wanted or "report" in wanted)

    if "network" in computed:
        t0 = stage("network")
        from .network import export_graph

        nets = run_network(booklet, tokens, topics, params)
        result.analyses["network"] = nets
        done("network", t0, nets.tables)
        result.outputs["network"] += [str(p) for name, G in nets.graphs.items()
                                      for p in export_graph(G, tables_dir / "networks" / name)]

    if "trends" in computed:
        t0 = stage("trends")
        result.analyses["trends"] = run_trends(booklet, tokens, params)
        done("trends", t0, result.analyses["trends"].tables)

    if "coverage" in computed:
        t0 = stage("coverage")
        result.analyses["coverage"] = run_coverage(booklet, tokens, tokenizer, topics, params)
        done("coverage", t0, result.analyses["coverage"].tables)

    if "figures" in order:
        t0 = stage("figures")
        from .plots import overview
        from .plots.style import render_all

        makers = {"overview_entries_by_section": lambda: overview.entries_by_section(booklet.entries),
                  "overview_entries_by_unit": lambda: overview.entries_by_unit(booklet.units)}
        for name, analysis in result.analyses.items():
            if name in wanted or "report" in wanted:
                makers.update(analysis.figures)
        result.outputs["figures"] = [str(p) for p in render_all(makers, figdir, params.formats,
                                                                raster_only=("wordcloud_", "topics_wordcloud_"),
                                                                jobs=params.jobs)]
        result.timings["figures"] = time.perf_counter() - t0

    if "report" in wanted:
        t0 = stage("report")
        from .report import build_review

        report_path = write_text(out / "report.html", build_review(result, figdir).render())
        result.outputs["report"] = [str(report_path)]
        result.timings["report"] = time.perf_counter() - t0

    def rel(p: str) -> str:
        return str(Path(p).relative_to(out)) if Path(p).is_relative_to(out) else p

    manifest = dict(
        input=dict(path=str(booklet_path), sha256=booklet.meta.get("sha256"), encoding=booklet.meta.get("encoding")),
        stages=sorted(wanted, key=STAGES.index), params=asdict(params), versions=_versions(),
        timings={k: round(v, 3) for k, v in result.timings.items()},
        outputs={k: [rel(p) for p in v] for k, v in result.outputs.items()},
        output_sha256={rel(p): hashlib.sha256(Path(p).read_bytes()).hexdigest()
                       for v in result.outputs.values() for p in v if not str(p).endswith(".png")})
    write_text(out / "run_manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return result
