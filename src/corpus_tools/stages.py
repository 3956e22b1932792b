"""The analysis stages, declared once in :data:`STAGES`.

Each stage is a pure function ``fn(study) -> StageOutput``: it reads earlier results from ``study.tables`` and
``study.objects`` and returns new tables, figure specs and graphs. Nothing here reads or writes files: the
parameter files (curriculum, codebook, synonyms, an earlier run's topic model) come from
:meth:`Study.parameter_file <corpus_tools.study.Study.parameter_file>`, read before the first stage
(:mod:`corpus_tools.inputs`); only the package's own data (the example curriculum, the bundled hand coding) is read
here, by its loaders in
:mod:`corpus_tools.resources`.

Adding an analysis = one stage function + one :class:`~corpus_tools.study.Stage` line below + its plot function in
``plots/`` + its section in the report.
"""

from __future__ import annotations

from .study import FigureSpec, PlotModule, Stage, StageOutput, Study


def _fig(stem: str, fn, *args, facts: dict | None = None, raster_only: bool = False,
         **kwargs) -> tuple[str, FigureSpec]:
    """A figure spec whose title, caption, method and source table come from :mod:`corpus_tools.plots.captions`
    (one place for every figure's words), filled in with ``facts`` (n entries, k, …)."""
    from .plots.captions import caption_for

    c = caption_for(stem, **(facts or {}))
    return stem, FigureSpec(stem, fn, args, kwargs, title=c.title, caption=c.caption, method=c.method,
                            source=c.source, raster_only=raster_only)


# ---------------------------------------------------------------- overview

def overview_stage(study: Study) -> StageOutput:
    """Figures of the parsed booklet itself (entries per section and per unit)."""
    overview = PlotModule("overview")

    b = study.booklet
    facts = dict(n_entries=len(b.entries), n_sections=len(b.sections), n_units=len(b.units))
    return StageOutput(figures=dict([
        _fig("overview_entries_by_section", overview.entries_by_section, b.entries, facts=facts),
        _fig("overview_entries_by_unit", overview.entries_by_unit, b.units, facts=facts),
    ]))


# ---------------------------------------------------------------- tokens

def tokens_stage(study: Study) -> StageOutput:
    """Every word of every title and turn, with its POS tag, concept and content/name flags; multi-word terms
    discovered in this booklet compounded first (table ``discovered_terms``, for the analyst to review)."""
    from .terms import build_tokens

    from .text import parse_synonyms

    f = study.parameter_file("synonyms")
    st = build_tokens(study.booklet, synonyms=parse_synonyms(f.text, f.source))
    return StageOutput(tables={"tokens": st.tokens, "discovered_terms": st.discovered},
                       objects={"names": tuple(sorted(st.tokenizer.names)), "synonyms": st.synonyms})


def _analysis_exclude(study: Study) -> set[str]:
    """Names never used as analysis terms: the booklet's people and hospitals."""
    return set(study.objects["names"])


_VIEWS: dict[tuple[int, str], object] = {}  # (id of a tokens table, view) → its analysis view, while it lives


def words(study: Study, view: str):
    """The analysis view of the tokens: content words, names left out; ``view`` "token" (words as printed) or
    "concept" (variants merged by the synonyms file). Topics use words; keyness, clouds, networks, unit fit and
    correspondence analysis use concepts (they contrast groups, where variants must not split a concept).

    A function of the tokens table, computed once per table and view (the Study is never changed): the view is
    kept while that table object lives, or until :func:`drop_views`."""
    import weakref

    from .text import analysis_tokens

    tokens = study.tables["tokens"]
    key = (id(tokens), view)
    if key not in _VIEWS:
        _VIEWS[key] = analysis_tokens(tokens, view)
        weakref.finalize(tokens, _VIEWS.pop, key, None)
    return _VIEWS[key]


def drop_views() -> None:
    """Forget the computed views (at 100 copies of the booklet they hold ~125 MB that saving does not need)."""
    _VIEWS.clear()


# ---------------------------------------------------------------- needs

def _discovered(study: Study) -> tuple[str, ...]:
    """The terms discovered in this booklet (table ``discovered_terms``), empty without it."""
    d = study.tables.get("discovered_terms")
    return () if d is None or "term" not in d else tuple(str(t) for t in d.term)


def _given_curriculum(study: Study):
    """The curriculum file's table (read before the analysis), or None without one."""
    from .curriculum import parse_curriculum

    f = study.parameter_file("curriculum")
    return parse_curriculum(f.text, f.source) if f is not None else None


def needs_stage(study: Study) -> StageOutput:
    """What trainees need: recurring needs (questions with the same need across cohorts and units), questions the
    answers defer to another unit or leave unanswered, questions asked in several parts, and who asks
    (concentration of askers, hospital kinds)."""
    from . import askers, coverage, deferrals, needs, parts

    b = study.booklet
    curric = coverage.curriculum(b.units, _given_curriculum(study))
    kinds = askers.hospital_kinds(b.askers)
    return StageOutput(tables={
        "recurring_needs": needs.recurring_needs(b.entries, b.turns, words(study, "concept"),
                                                 discovered=_discovered(study)),
        "deferred_questions": deferrals.find_deferrals(b.entries, b.turns, b.lines, curric),
        "question_parts": parts.question_parts(b.entries, b.turns, b.lines, study.tables["tokens"]),
        "askers_summary": askers.asker_concentration(b.entries, b.askers),
        "hospital_kinds": kinds,
        "hospital_kind_tests": askers.kind_section_tests(b.entries, kinds),
    })


# ---------------------------------------------------------------- topics

def topics_stage(study: Study) -> StageOutput:
    """Entry-view matrix, k chosen (unless given), the consensus topic model, its tables and figures."""
    from .features import document_term_matrix
    from .plots.data import cloud_table
    from .terms import distinctive_terms
    from .topics import TopicSettings, entry_coordinates, select_and_fit, topic_tables, tsne_perplexity

    import pandas as pd

    plots = PlotModule("topics")
    b, params = study.booklet, study.params
    # the fits go to the caller's executor; with none, they are made here, serially (analyse starts no process)
    settings = TopicSettings(k=params.k, n_jobs=params.jobs if study.executor is not None else 1)
    dtm = document_term_matrix(words(study, "token"), b, settings.view, settings.min_df, settings.max_df,
                               dict(settings.weights))
    n_jobs = len(settings.ks if params.k is None else (params.k,)) * settings.n_seeds
    fit, comparison = select_and_fit(dtm, settings, params.seed, reference=b.entries.section.to_numpy(),
                                     on_done=study.ticker(n_jobs, "拟合主题模型"), pool=study.executor)
    tables = topic_tables(fit, dtm, titles=b.entries.set_index("entry_id").title,
                          exclude=_analysis_exclude(study))
    if len(comparison):
        tables["topic_model_comparison"] = comparison
    coords = entry_coordinates(dtm, params.seed)
    tables["entry_map"] = pd.DataFrame({"entry_id": dtm.doc_ids, "x": coords[:, 0], "y": coords[:, 1]})
    t = tables
    facts = dict(n_entries=len(b.entries), k=fit.k, k_chosen=params.k is None, seed=params.seed,
                 perplexity=tsne_perplexity(len(dtm.doc_ids)))
    method = f"t-SNE（余弦距离，困惑度 {facts['perplexity']:g}，随机种子 {params.seed}）"
    figures = dict([
        _fig("topics_top_terms", plots.topic_top_terms, t["topic_terms"], t["topics"], facts=facts),
        _fig("topics_section_heatmap", plots.section_topic_heatmap, b.entries, t["entry_topics"], t["topics"],
             facts=facts),
        _fig("topics_entry_map", plots.entry_map, coords, b.entries, t["entry_topics"], t["topics"], facts=facts,
             method=method),
    ])
    first = t["entry_topics"][t["entry_topics"]["rank"] == 1][["entry_id", "topic_id"]]
    clouds = distinctive_terms(words(study, "concept"), b.entries.merge(first, on="entry_id"), "topic_id")
    tables["topic_cloud_terms"] = clouds
    table = cloud_table(clouds, words(study, "concept"), b.entries.merge(first, on="entry_id"), "topic_id",
                        list(t["topics"].topic_id))
    if len(table):
        names = {str(i): f"主题{i} {lab}" for i, lab in zip(t["topics"].topic_id, t["topics"].label)}
        figures.update([_fig("topics_wordcloud", plots.comparison_cloud, table, "各主题关键词云", labels=names,
                             seed=params.seed, facts=dict(facts, n_groups=table.group.nunique(),
                                                          n_words=len(table)))])
    from .carry import model_record
    from .keys import package_version

    record = model_record(fit, dtm, t["topics"], settings, b.meta.get("sha256"), package_version())
    return StageOutput(tables=tables, figures=figures, objects={"dtm": dtm, "fit": fit, "topic_model": record})


# ---------------------------------------------------------------- topics carried forward

def carry_stage(study: Study) -> StageOutput:
    """With ``params.topics_from`` (an earlier run's folder): this booklet's entries placed among that run's topics
    (same ids and labels), how well each fits, candidate new themes, shares per topic old vs new. Else nothing."""
    from . import carry

    if not study.params.topics_from:
        return StageOutput()
    f = study.parameter_file("topics_from")
    model = carry.parse_model(f.text, f.source)
    carried = carry.carry_topics(model, words(study, "token"), study.booklet)
    shares = carry.carried_shares(model, carried)
    rows = carry.carry_findings(carried, shares, study.booklet.entries, model.record)
    return StageOutput(tables={"carried_topics": carried, "carried_topic_shares": shares},
                       objects={"carried_findings": rows})


# ---------------------------------------------------------------- network

def network_stage(study: Study) -> StageOutput:
    """Speaker–topic graphs, their measures and figures (trainees pseudonymised if ``params.anonymise``)."""
    import networkx as nx

    from . import network
    from .plots.data import answer_matrix, cooccurrence_edges

    plots = PlotModule("network")

    params = study.params
    t = study.tables
    nets = network.build_networks(study.booklet, words(study, "concept"), t["entry_topics"], t["topics"],
                                  anonymise=params.anonymise, seed=params.seed)
    tables = {"network_nodes": nets.nodes, "network_edges": nets.edges, "network_summary": nets.modularity,
              "instructor_specialisation": nets.specialisation, "topic_dependence": nets.topic_dependence}
    g = nets.graphs

    def facts(name: str) -> dict:
        return dict(n_nodes=g[name].number_of_nodes(), n_edges=g[name].number_of_edges(), npmi=0.25)

    # instructor × topic is drawn as matrix_instructor_topic below: as a two-mode network it stayed a tangle (even
    # its 22 edges of ≥ 2 answers cross between 10 instructors and 7 topics); the graph stays a GEXF/GraphML export
    figures = dict([
        _fig("network_instructor_coanswer", plots.draw_graph, g["instructor_coanswer"], "教员共同作答",
             seed=params.seed, n_labels=20, facts=facts("instructor_coanswer")),
    ])
    co = cooccurrence_edges(words(study, "concept"), min_entries=3, n_edges=60, seed=params.seed)
    if len(co):
        words_ = set(co.term_a) | set(co.term_b)
        drawn = nx.Graph(list(zip(co.term_a, co.term_b)))
        figures.update([_fig("network_term_cooccurrence", plots.cooccurrence_figure, co, "关键词共现网络",
                             seed=params.seed, facts=dict(n_nodes=len(words_), n_edges=len(co),
                                                          min_entries=int(co.min_entries.iloc[0]), min_both=2,
                                                          n_components=nx.number_connected_components(drawn),
                                                          n_communities=len(set(co.community_a) | set(co.community_b))))])
    # who answered what as matrices (the trainee, hospital and trainee → instructor graphs stay GEXF/GraphML
    # exports: drawn, they were tangles of names)
    b, tp = study.booklet, t["topics"]
    first = t["entry_topics"][t["entry_topics"]["rank"] == 1][["entry_id", "topic_id"]]
    for by, entries, groups, names, heading, label in (
            ("topic_id", b.entries.merge(first, on="entry_id"), list(tp.topic_id),
             {i: f"主题{i} {lab}" for i, lab in zip(tp.topic_id, tp.label)}, "教员 × 主题（作答问答条数）", "主题"),
            ("section", b.entries, list(b.sections.section), None, "教员 × 栏目（作答问答条数）", "栏目（合集顺序）"),
            ("cohort", b.entries, sorted(int(c) for c in b.entries.cohort.dropna().unique()),
             {c: f"第{c}期" for c in b.entries.cohort.dropna().unique()}, "教员 × 期次（作答问答条数）", "提问所在期次")):
        table = answer_matrix(b.turns, entries, by, groups, names)
        if len(table):
            stem = f"matrix_instructor_{by.removesuffix('_id')}"
            figures.update([_fig(stem, plots.answer_matrix_figure, table, heading, label,
                                 facts=dict(n_instructors=table.instructor.nunique(), n_groups=len(groups),
                                            n_answered=int(table.entries.sum())))])
    return StageOutput(tables=tables, figures=figures, graphs=g)


# ---------------------------------------------------------------- trends

def trends_stage(study: Study) -> StageOutput:
    """Frequencies per cohort / unit / section, keyness per cohort and section, emerging and fading terms."""
    from . import trends
    from .plots.data import cloud_table
    from .terms import distinctive_table

    topic_plots, plots = PlotModule("topics"), PlotModule("trends")
    b, params = study.booklet, study.params
    e = b.entries
    tokens = words(study, "token")  # frequencies: words as printed
    concepts = words(study, "concept")  # tests and keyness: variants merged
    tables = {
        "term_freq_by_cohort": trends.term_frequencies(tokens, e, "cohort"),
        "term_freq_by_unit": trends.term_frequencies(tokens, e, "unit"),
        "term_freq_by_section": trends.term_frequencies(tokens, e, "section"),
        "keyness_by_cohort": trends.keyness(concepts, e, "cohort"),
        "keyness_by_section": trends.keyness(concepts, e, "section"),
        "emerging_fading_terms": trends.emerging_fading(concepts, e, b.turns),
        "keyness_entries_by_cohort": trends.keyness_entries(concepts, e, "cohort"),
        "keyness_entries_by_section": trends.keyness_entries(concepts, e, "section"),
        "keyness_entries_by_unit": trends.keyness_entries(concepts, e, "unit"),
        "cloud_terms": distinctive_table(concepts, e, ("section", "cohort")),
    }
    by_cohort = tables["term_freq_by_cohort"]
    top = trends.top_terms_by_group(by_cohort, n=12)
    top_units = trends.top_terms_by_group(tables["term_freq_by_unit"], n=25)
    sections = list(b.sections.section)
    # small multiples stay legible: at most 12 panels, the largest groups first
    panels = list(b.sections.sort_values(["n_entries", "section_no"], ascending=[False, True],
                                         kind="stable").section[:12])
    cohorts = sorted(int(c) for c in e.cohort.dropna().unique())
    facts = dict(n_entries=len(e), n_terms=len(top), n_units=len(b.units))
    key_c, key_s = tables["keyness_by_cohort"], tables["keyness_by_section"]
    figures, notes = {}, []
    # a figure by cohort or by unit needs entries whose source note gives one (damaged and tiny booklets)
    if top:
        figures.update([_fig("trends_top_terms_by_cohort", plots.term_trends, by_cohort[by_cohort.term.isin(top)],
                             top, facts=facts)])
    else:
        notes.append("未画各期高频词趋势图：没有注明期次的问答里反复出现的词（来源说明缺失或问答太少）")
    if top_units:
        figures.update([_fig("trends_terms_by_unit", plots.terms_by_unit_heatmap,
                             trends.trend_matrix(tables["term_freq_by_unit"], top_units),
                             facts=dict(facts, n_terms=len(top_units)))])
    else:
        notes.append("未画单元 × 高频词热图：没有注明课程单元的问答里反复出现的词（来源说明缺失或问答太少）")
    if len(key_c):
        figures.update([_fig("keyness_by_cohort", plots.keyness_bars, key_c[key_c.group.isin(cohorts[-12:])],
                             cohorts[-12:], heading="各期关键词（对其余各期）",
                             labels={c: f"第{c}期" for c in cohorts}, group_entries=e.groupby("cohort").size().to_dict(),
                             facts=dict(facts, n_groups=len(cohorts[-12:])))])
    else:
        notes.append("未画各期关键词图：注明期次的问答不足两期，或词太少")
    if len(key_s):
        figures.update([_fig("keyness_by_section", plots.keyness_bars, key_s[key_s.group.isin(panels)],
                             [x for x in sections if x in set(panels)], heading="各栏目关键词（对其余栏目）",
                             group_entries=e.groupby("section").size().to_dict(),
                             facts=dict(facts, n_groups=len(panels)))])
        figures.update(_term_spread_figures(concepts, e, key_s, sections))
    else:
        notes.append("未画各栏目关键词图：栏目不足两个，或词太少")
    # one comparison cloud per grouping (small multiples): the latest 12 cohorts, the 12 largest sections in
    # booklet order
    clouds = tables["cloud_terms"]
    for by, groups, stem, heading, names in (
            ("cohort", cohorts[-12:], "wordcloud_cohorts", "各期关键词云", {str(c): f"第{c}期" for c in cohorts}),
            ("section", [x for x in sections if x in set(panels)], "wordcloud_sections", "各栏目关键词云", None)):
        table = cloud_table(clouds[clouds.by == by], concepts, e, by, groups)
        if len(table):
            figures.update([_fig(stem, topic_plots.comparison_cloud, table, heading, labels=names, seed=params.seed,
                                 facts=dict(n_groups=table.group.nunique(), n_words=len(table), n_entries=len(e)))])
    return StageOutput(tables=tables, figures=figures, notes=notes)


def _term_spread_figures(concepts, entries, key, sections: list) -> dict:
    """Where the sections' key terms occur: a dispersion plot (2 terms per section, every entry in booklet order)
    and a dendrogram of the terms by shared entries (5 terms per section, each in ≥ 3 entries), when there are
    terms enough."""
    from .dispersion import term_clusters, xray_table, xray_terms

    network_plots, plots = PlotModule("network"), PlotModule("trends")

    figures = {}
    ticks = xray_table(concepts, entries, xray_terms(key, sections, per_group=2, min_docs=2))
    if len(ticks):
        inside = int((ticks.section == ticks.group.astype(str)).sum())
        figures.update([_fig("keyness_xray", plots.xray_plot, ticks, list(entries.section.astype(str)),
                             facts=dict(per_group=2, n_terms=ticks.term.nunique(), n_entries=len(entries),
                                        n_ticks=len(ticks), n_inside=inside))])
    terms = xray_terms(key, sections, per_group=5, min_docs=3)
    groups = terms.group.nunique()
    clusters = term_clusters(concepts, list(terms.term), n_clusters=groups) if groups >= 2 else None
    if clusters is not None and len(clusters) >= 3:
        clusters = clusters.merge(terms[["term", "group", "g2"]], on="term", how="left")
        by = clusters.groupby("cluster").group.agg(["size", "nunique"])
        multi = by[by["size"] >= 2]
        figures.update([_fig("keyness_dendrogram", network_plots.term_dendrogram, clusters,
                             facts=dict(per_group=5, n_terms=len(clusters), n_clusters=int(clusters.cluster.max()),
                                        n_multi=len(multi), n_pure=int((multi["nunique"] == 1).sum())))])
    return figures


# ---------------------------------------------------------------- coverage

def coverage_stage(study: Study) -> StageOutput:
    """Curriculum coverage, unit fit (does each question fit the unit it was asked in?) and their figures."""
    from . import coverage, schema, unitfit
    from .curriculum import matching_example, title_differences

    plots = PlotModule("trends")

    b, params = study.booklet, study.params
    e, turns = b.entries, b.turns
    t = study.tables
    tokens = t["tokens"]  # unit fit takes the full table and uses its concept view
    given = _given_curriculum(study)
    et = t.get("entry_topics")
    first_topic = et[et["rank"] == 1][["entry_id", "topic_id"]] if et is not None else None
    curric = coverage.curriculum(b.units, given)
    unit_by_section = coverage.unit_by(e, "section")
    names = tuple(n for n in b.people.name if n)
    # unit fit reads each unit's syllabus: the curriculum file's, else the shipped example's when it describes
    # exactly these units (the bundled booklet), else the titles alone (see unitfit.syllabus_fit)
    syllabus_given, syllabus = given, "file"
    if given is None:
        syllabus_given = matching_example(b.units)
        syllabus = "example" if syllabus_given is not None else "titles"
    tables = {
        "coverage_units": coverage.coverage_table(e, b.units, words(study, "concept"), b.askers, turns, et,
                                                  t.get("topics")),
        "curriculum": curric,
        "units_without_entries": coverage.units_without_entries(curric),
        "low_draw_units": coverage.low_draw_units(curric),
        "unit_by_section": unit_by_section.reset_index(),
        "instructors_by_unit": coverage.instructors_per_unit(e, turns),
    }
    notes = [] if given is None else title_differences(given, b.units, study.parameter_file("curriculum").source)
    if len(unitfit.unit_titles(e, syllabus_given)) >= 2:
        tables["unit_fit"] = unitfit.unit_fit(e, turns, syllabus_given, tokens, names=names, seed=params.seed,
                                              syllabus=syllabus, lines=b.lines)
        tables["unit_fit_methods"] = unitfit.compare_representations(e, turns, tokens, given, names=names,
                                                                     seed=params.seed)
    else:  # a question fits its unit only compared with another unit (e.g. every source note missing)
        tables.update(unit_fit=schema.empty("unit_fit"), unit_fit_methods=schema.empty("unit_fit_methods"))
        notes.append("未做单元契合分析：课程单元不足两个（来源说明缺失或只有一个单元）")
    facts = dict(n_entries=len(e), n_units=int((curric.session_type == "unit").sum()),
                 k=len(t["topics"]) if "topics" in t else None, k_chosen=params.k is None, seed=params.seed)
    figures = {}
    if len(curric):
        figures.update([_fig("coverage_unit_by_section", plots.coverage_heatmap, unit_by_section, facts=facts)])
        if given is not None:  # without a curriculum it would repeat overview_entries_by_unit bar for bar
            figures.update([_fig("coverage_questions_per_unit", plots.questions_per_unit, curric, facts=facts)])
    else:
        notes.append("未画课程覆盖图：没有课程单元（来源说明缺失，也未给课程表）")
    if first_topic is not None and len(curric):
        by_topic = coverage.unit_by(e, "topic_id", first_topic)
        tables["unit_by_topic"] = by_topic.reset_index()
        labels = t["topics"].label
        figures.update([_fig("coverage_unit_by_topic", plots.coverage_heatmap,
                             by_topic.rename(columns=lambda c: f"{c} {labels[c]}"), "课程单元 × 主题（问答条数）",
                             facts=facts)])
    return StageOutput(tables=tables, figures=figures, notes=notes)


# ---------------------------------------------------------------- coding rules and correspondence analysis

def codes_stage(study: Study) -> StageOutput:
    """Coding rules (KH Coder's "coding"): which entries each competency area's rule matches, code × cohort /
    unit / section / topic with adjusted standardised residuals, and correspondence analyses (terms and codes ×
    sections and cohorts)."""
    from .ca import ca_tables
    from .codes import code_tables, load_code_judgement, parse_codebook

    plots = PlotModule("codes")
    ca_biplot, code_heatmap = plots.ca_biplot, plots.code_heatmap

    b, t = study.booklet, study.tables
    # the rules' precision / recall against the bundled hand coding, for the bundled booklet only (code_validation)
    judgement = load_code_judgement(b.meta.get("sha256"))
    codebook = study.parameter_file("codes")
    tables = code_tables(parse_codebook(codebook.text, codebook.source), t["tokens"], b, t.get("entry_topics"),
                         t.get("topics"), judgement)
    tables.update(ca_tables(words(study, "concept"), tables["code_entries"].set_index("entry_id"), b.entries))
    facts = dict(n_entries=len(b.entries))
    figures = {}
    cross = tables["code_crosstab"]
    for by, name in (("section", "栏目"), ("cohort", "期次"), ("unit", "课程单元"), ("topic", "主题")):
        if (cross.by == by).any():
            figures.update([_fig(f"codes_heatmap_{by}", code_heatmap, cross[cross.by == by], f"编码 × {name}", name, by,
                                 facts=facts)])
    coords, inertia = tables["ca_coordinates"], tables["ca_inertia"]
    for analysis, what, name in (("terms_sections", "词语", "栏目"), ("terms_cohorts", "词语", "期次"),
                                 ("codes_sections", "编码", "栏目"), ("codes_cohorts", "编码", "期次")):
        if (coords.analysis == analysis).any():
            figures.update([_fig(f"ca_{analysis}", ca_biplot, coords[coords.analysis == analysis],
                                 inertia[inertia.analysis == analysis], f"{what} × {name} 对应分析", analysis=analysis,
                                 facts=facts)])
    return StageOutput(tables=tables, figures=figures)


# ---------------------------------------------------------------- programme (several booklets)

def programme_stage(study: Study) -> StageOutput:
    """Trends over the ordered cohorts (terms and codes: Cochran–Armitage, BH q, one-cohort / one-speaker /
    within-unit checks) and the entries left out as reprints of an earlier booklet's."""
    from .cohorttrends import cohort_trends
    from .programme import reprinted_table

    plots = PlotModule("trends")

    b, t = study.booklet, study.tables
    table = cohort_trends(words(study, "concept"), b.entries, b.turns, t.get("code_entries"))
    called = table[table.call.isin(["rising", "falling"])]
    figures = {}
    if len(called):  # the figure shows the calls (none: no figure)
        facts = dict(n_terms=min(len(called), 8), n_cohorts=len(str(called.cohorts.iloc[0]).split("、")))
        figures = dict([_fig("cohort_trends", plots.cohort_trend_shares, called.head(8), facts=facts)])
    return StageOutput(tables={"cohort_trends": table, "reprinted_entries": reprinted_table(b)}, figures=figures)


# ---------------------------------------------------------------- findings

def findings_stage(study: Study) -> StageOutput:
    """Every sentence a reader sees, as rows: kind, text, statistic, p, q, the entries it rests on, caveat."""
    from .codeshare import code_share_by_cohort
    from .findings import build_findings

    tables = dict(study.tables, tokens=words(study, "concept"))  # the view the tests ran on
    out = {}
    if "code_entries" in tables:  # the code table as codes.code_tables gives it
        out["code_share_by_cohort"] = tables["code_share_by_cohort"] = code_share_by_cohort(
            tables["code_entries"], study.booklet.entries)
    out["findings"] = build_findings(tables, study.booklet, extra=study.objects.get("carried_findings"))
    figures = {}
    shares = out.get("code_share_by_cohort")
    if shares is not None and len(shares) and shares.cohort.nunique() >= 2:
        code_share_dots = PlotModule("codes").code_share_dots

        per_code = shares.drop_duplicates("code")
        called = per_code[per_code.trend_q < 0.05]

        def moved(rows) -> list[str]:
            return [f"{r.code}（q = {r.trend_q:.2g}，" + (f"共有单元内 p = {r.within_units_p:.2g}）"
                                                         if r.within_units_p == r.within_units_p else "无共有单元）")
                    for r in rows.itertuples()]

        figures = dict([_fig("codes_share_by_cohort", code_share_dots, shares,
                             facts=dict(n_codes=len(per_code), n_cohorts=shares.cohort.nunique(),
                                        rising=moved(called[called.trend_z > 0]),
                                        falling=moved(called[called.trend_z < 0])))])
    return StageOutput(tables=out, figures=figures)


STAGES: tuple[Stage, ...] = (
    Stage("overview", "概览", overview_stage, description="figures of the parsed booklet"),
    Stage("tokens", "分词", tokens_stage, produces=("tokens", "discovered_terms"), uses=("synonyms",),
          description="jieba tokens with POS, concepts and names marked"),
    # trends needs only the tokens: declared before topics, its figures are drawn while the topic models fit
    Stage("trends", "趋势", trends_stage, needs=("tokens",),
          produces=("term_freq_by_cohort", "keyness_by_cohort", "emerging_fading_terms",
                    "keyness_entries_by_cohort"), uses=("seed",),
          description="keyword trends; entry-level keyness and emerging/fading terms (Fisher, BH q); word clouds"),
    Stage("needs", "学员需求", needs_stage, needs=("tokens",),
          produces=("recurring_needs", "deferred_questions", "question_parts", "askers_summary", "hospital_kinds",
                    "hospital_kind_tests"), uses=("curriculum",),
          description="recurring needs, deferred or unanswered questions, questions asked in several parts, who asks "
                      "(askers, hospital kinds)"),
    Stage("topics", "主题", topics_stage, needs=("tokens",),
          produces=("topics", "entry_topics", "topic_terms", "entry_map"), uses=("seed", "k"), min_entries=10,
          description="topic models, their comparison and figures"),
    Stage("network", "网络", network_stage, needs=("tokens", "topics"),
          produces=("network_nodes", "network_edges", "topic_dependence"), uses=("seed", "anonymise"),
          description="speaker–topic networks (tables, GEXF/GraphML, figures)"),
    Stage("coverage", "课程覆盖", coverage_stage, needs=("tokens", "topics"),
          produces=("coverage_units", "curriculum", "unit_fit"), uses=("curriculum", "seed"),
          description="curriculum coverage tables and figures; unit fit"),
    Stage("codes", "编码规则", codes_stage, needs=("tokens", "topics"),
          produces=("codebook", "code_crosstab", "code_validation", "ca_coordinates"), uses=("codes",),
          description="coding rules (codebook: AND/OR/NOT), code × group residuals, correspondence analysis"),
    Stage("carry", "沿用主题", carry_stage, needs=("tokens",), uses=("topics_from",),
          description="topics carried from an earlier run (--topics-from): fit, candidate new themes, shares"),
    Stage("programme", "多期趋势", programme_stage, needs=("tokens", "codes"),
          produces=("cohort_trends", "reprinted_entries"),
          description="trends over the ordered cohorts (Cochran–Armitage, BH q, within units); reprinted entries"),
    Stage("findings", "发现", findings_stage,
          needs=("tokens", "topics", "network", "trends", "coverage", "codes", "needs", "carry", "programme"),
          produces=("findings",), description="the findings table: each sentence with its statistic and entries; "
                                              "code shares by cohort (Wilson intervals, trend test)"),
)
