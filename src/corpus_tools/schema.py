"""Column declarations of every table, in one place: the writer, the data dictionary and the tests read them.

Each table is a tuple of :class:`Column` (name, pandas dtype, meaning). :func:`conform` orders and types a
DataFrame to its declaration and fails loudly on a missing column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pandas dtype: "Int64" (nullable int), "string", "boolean", "Float64"
    doc: str


def _cols(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


TABLES: dict[str, tuple[Column, ...]] = {
    "entries": _cols(
        ("entry_id", "Int64", "1, 2, … in booklet order"),
        ("section", "string", "section heading without 【】, e.g. 信息规划"),
        ("title", "string", "the entry's question title, wrapped lines joined, without ★"),
        ("starred", "boolean", "title marked ★"),
        ("has_video", "boolean", "entry has the line 请用微信扫码观看答疑视频"),
        ("cohort", "Int64", "training cohort from the source note (第三期 → 3); empty if the note is missing"),
        ("session_type", "string", "\"unit\" (a course unit's Q&A) or \"discussion\" (答疑讨论课); empty if unknown"),
        ("unit_no", "Int64", "course unit number (第 N 单元); empty for a discussion class"),
        ("unit_title", "string", "course unit title inside “…”; empty for a discussion class"),
        ("session_no", "Int64", "number of the discussion class (第一次答疑讨论课 → 1); empty for a unit"),
        ("asked_by", "string", "name(s) of the trainee(s) who open the entry, joined by 、 (an instructor when an "
                               "instructor asks; empty for an anonymous trainee)"),
        ("asked_by_role", "string", "\"trainee\" or \"instructor\": who asked the opening question"),
        ("answered_by", "string", "instructors answering in the entry (turns after the opening question), in "
                                  "order of their first answer, joined by 、"),
        ("n_turns", "Int64", "number of speaker turns"),
        ("question", "string", "text of the first turn (without the speaker label)"),
        ("source_note", "string", "the closing source note as printed, wrapped lines joined"),
        ("line_start", "Int64", "input line of the title"),
        ("line_end", "Int64", "input line where the entry ends (its source note's last line)"),
    ),
    "turns": _cols(
        ("entry_id", "Int64", "entry the turn belongs to"),
        ("turn_no", "Int64", "1, 2, … within the entry"),
        ("speaker", "string", "speaker's name (two trainees in one label joined by 、; empty if anonymous)"),
        ("role", "string", "\"trainee\" or \"instructor\""),
        ("is_question", "boolean", "the turn poses the entry's opening question (the first turn, and trainee "
                                   "turns right after it)"),
        ("text", "string", "what was said: wrapped lines joined, paragraphs separated by a newline"),
        ("label", "string", "the speaker label as printed (without the colon)"),
        ("line_start", "Int64", "input line where the label starts"),
        ("line_end", "Int64", "input line where the turn ends"),
    ),
    "askers": _cols(
        ("entry_id", "Int64", "entry"),
        ("name", "string", "trainee's name; empty for an anonymous trainee"),
        ("role", "string", "\"trainee\" (or \"instructor\" when an instructor asks the opening question)"),
        ("hospital", "string", "institution as written in the label, without a bracketed alias"),
        ("hospital_alias", "string", "other name of the hospital given in brackets, e.g. 深圳市第九人民医院"),
        ("hospital_canonical", "string", "one spelling per hospital across the booklet (see hospitals)"),
        ("department", "string", "department within the hospital, e.g. 信息中心"),
        ("job_title", "string", "job title, e.g. 副主任"),
        ("class_role", "string", "role in the training class, e.g. 第二期培训班学习委员"),
        ("former", "boolean", "label gives a former post (原…): hospital/department/title are the former ones"),
        ("former_affiliation", "string", "a former post given in brackets (（原…）), as printed"),
        ("affiliation_raw", "string", "the label text for this trainee, as printed (without 学员、)"),
        ("first_turn_no", "Int64", "the trainee's first turn in the entry"),
        ("opens_entry", "boolean", "the trainee asks the entry's opening question"),
        ("line_start", "Int64", "input line of that turn's label"),
    ),
    "people": _cols(
        ("person_id", "string", "stable id: T01… for trainees, I01… for instructors, in order of first appearance"),
        ("name", "string", "name"),
        ("role", "string", "\"trainee\" or \"instructor\""),
        ("n_entries", "Int64", "entries with a turn by this person"),
        ("n_turns", "Int64", "turns by this person"),
        ("n_entries_opened", "Int64", "entries whose opening question this person asked"),
        ("affiliations", "string", "distinct affiliations as printed, joined by ；"),
        ("hospitals", "string", "distinct canonical hospitals, joined by ；"),
        ("class_roles", "string", "distinct class roles, joined by ；"),
        ("first_line", "Int64", "input line of the person's first turn"),
    ),
    "units": _cols(
        ("cohort", "Int64", "training cohort"),
        ("session_type", "string", "\"unit\" or \"discussion\""),
        ("unit_no", "Int64", "unit number; empty for a discussion class"),
        ("unit_title", "string", "unit title; empty for a discussion class"),
        ("session_no", "Int64", "discussion class number; empty for a unit"),
        ("n_entries", "Int64", "entries from this session"),
        ("n_turns", "Int64", "turns in those entries"),
        ("n_trainees", "Int64", "distinct named trainees speaking in those entries"),
        ("instructors", "string", "instructors answering, most turns first, joined by 、"),
        ("sections", "string", "sections the entries stand in, joined by 、"),
        ("first_line", "Int64", "input line of the first entry"),
    ),
    "hospitals": _cols(
        ("hospital", "string", "canonical spelling"),
        ("spellings", "string", "spellings seen in labels, joined by ；"),
        ("aliases", "string", "bracketed aliases seen, joined by ；"),
        ("n_trainees", "Int64", "distinct trainees from this hospital"),
        ("trainees", "string", "their names, joined by 、"),
        ("n_entries", "Int64", "entries with a turn by one of them"),
    ),
    "sections": _cols(
        ("section_no", "Int64", "1, 2, … in booklet order"),
        ("section", "string", "section heading without 【】"),
        ("n_entries", "Int64", "entries in the section"),
        ("line_no", "Int64", "input line of the heading (its first occurrence)"),
    ),
    "lines": _cols(
        ("line_no", "Int64", "input line (1-based)"),
        ("kind", "string", "blank | url | footer | page_number | content"),
        ("role", "string", "for content: front_matter | section | title | star | video | label | turn | note | "
                           "unassigned; for noise: the kind"),
        ("entry_id", "Int64", "entry the piece belongs to"),
        ("turn_no", "Int64", "turn the piece belongs to"),
        ("text", "string", "the piece of the line (a line split between label and turn gives two rows)"),
    ),
    "warnings": _cols(
        ("line_no", "Int64", "input line the warning is about"),
        ("code", "string", "short machine-readable code"),
        ("message", "string", "what is wrong, naming the line"),
    ),
}

ANALYSIS_TABLES: dict[str, tuple[Column, ...]] = {
    "tokens": _cols(
        ("entry_id", "Int64", "entry"),
        ("turn_no", "Int64", "turn (0 = the entry's title)"),
        ("token_no", "Int64", "position among the turn's words (punctuation left out)"),
        ("token", "string", "a word as jieba cuts it (domain dictionary, synonyms, discovered terms and the "
                            "booklet's names kept whole)"),
        ("pos", "string", "jieba part-of-speech tag (n noun, v verb, vn verbal noun, eng English, d adverb …)"),
        ("concept", "string", "the concept of the synonyms file the word belongs to (the word itself if none)"),
        ("is_content", "boolean", "a content word by the POS rule (nouns, verbs, verbal nouns, English, domain "
                                  "terms; no stopwords, numbers or fragments)"),
        ("is_name", "boolean", "a person or hospital of the booklet (or a hospital's short form): kept here, "
                               "left out of every analysis"),
    ),
    "topics": _cols(
        ("topic_id", "Int64", "0, 1, … by size (largest first)"),
        ("label", "string", "the label terms joined by ·, prefixed 综合： for a catch-all topic"),
        ("size", "Int64", "entries assigned to the topic"),
        ("top_terms", "string", "the ten heaviest terms, joined by 、"),
        ("label_terms", "string", "the three most distinctive terms (c-TF-IDF), none inside another, no names"),
        ("representative_title", "string", "title of the member entry with the highest weight"),
        ("coherence", "Float64", "NPMI of the ten most distinctive terms over the entries (−1 … 1)"),
        ("distinctiveness", "Float64", "1 − the mean cosine of its c-TF-IDF vector to the other topics'"),
        ("catch_all", "boolean", "larger than the mean topic and below the median in both coherence and "
                                 "distinctiveness"),
    ),
    "entry_topics": _cols(
        ("entry_id", "Int64", "entry"),
        ("topic_id", "Int64", "topic"),
        ("weight", "Float64", "how strongly the entry belongs to the topic (an entry's weights sum to 1)"),
        ("rank", "Int64", "1 = the topic the entry is assigned to, then by weight"),
        ("tied", "boolean", "rank-1 row whose weight equals another member's of the same topic (not separated)"),
    ),
    "topic_terms": _cols(
        ("topic_id", "Int64", "topic"),
        ("rank", "Int64", "1 = heaviest"),
        ("term", "string", "term"),
        ("weight", "Float64", "term weight in the topic (mean tf-idf of its entries for consensus NMF)"),
    ),
    "keyness_by_cohort": _cols(
        ("group", "string", "the group tested against all other entries (a cohort, or a section)"),
        ("term", "string", "term (≥ 5 occurrences in ≥ 2 entries overall)"),
        ("count", "Int64", "occurrences in the group"),
        ("count_rest", "Int64", "occurrences in the other entries"),
        ("group_tokens", "Int64", "tokens in the group"),
        ("rest_tokens", "Int64", "tokens in the other entries"),
        ("doc_freq", "Int64", "entries of the group using the term"),
        ("g2", "Float64", "Dunning's log-likelihood G², negative when the term is under-used in the group"),
        ("p_g2", "Float64", "p-value of G² (χ², 1 df)"),
        ("chi2", "Float64", "Pearson's χ² (Yates-corrected when an expected count is under 5)"),
        ("yates", "boolean", "the χ² is Yates-corrected"),
        ("p_chi2", "Float64", "p-value of χ²"),
        ("log_ratio", "Float64", "log₂ of the ratio of relative frequencies (0 counts as 0.5)"),
    ),
    "emerging_fading_terms": _cols(
        ("from_cohort", "Int64", "earlier cohort"), ("to_cohort", "Int64", "next cohort"),
        ("term", "string", "term (content word) used in ≥ 3 entries of the two cohorts"),
        ("docs_from", "Int64", "entries of the earlier cohort containing the term"),
        ("n_from", "Int64", "entries of the earlier cohort"),
        ("docs_to", "Int64", "entries of the next cohort containing the term"),
        ("n_to", "Int64", "entries of the next cohort"),
        ("share_from", "Float64", "docs_from / n_from"), ("share_to", "Float64", "docs_to / n_to"),
        ("log_ratio", "Float64", "log₂ of the ratio of entry shares (½ added to counts, 1 to totals)"),
        ("p_value", "Float64", "Fisher's exact test of the entry shares, two-sided"),
        ("q_value", "Float64", "Benjamini–Hochberg over every row of the table"),
        ("top_entry", "Int64", "entry with most uses of the term"),
        ("top_entry_share", "Float64", "its share of the term's uses"),
        ("top_speaker", "string", "speaker with most uses (（标题） = titles)"),
        ("top_speaker_share", "Float64", "their share of the uses"),
        ("one_speaker", "boolean", "one speaker says ≥ 80 % of the uses"),
        ("shared_units", "Int64", "unit titles with entries in both cohorts"),
        ("p_within_unit", "Float64", "exact stratified test over the shared units (only where q ≤ 0.05)"),
        ("within_unit", "boolean", "p_within_unit < 0.05 in the same direction"),
        ("call", "string", "emerging / fading (q ≤ 0.05 and within units), unit effect (q ≤ 0.05, not within "
                           "units), or empty"),
        ("count_from", "Int64", "uses, earlier cohort (descriptive)"),
        ("count_to", "Int64", "uses, next cohort (descriptive)"),
        ("per_10k_from", "Float64", "per 10,000 words, earlier cohort"),
        ("per_10k_to", "Float64", "per 10,000 words, next cohort"),
        ("g2_tokens", "Float64", "token-level G² (descriptive only, not a test)"),
    ),
    "coverage_units": _cols(
        ("unit_title", "string", "course unit (or 答疑讨论课)"),
        ("unit_nos", "string", "unit numbers it had, joined by 、"),
        ("cohorts", "string", "cohorts it drew questions in"),
        ("n_questions", "Int64", "entries from the unit"),
        ("sections", "string", "the sections they stand in (most first)"),
        ("main_topics", "string", "the topics they are assigned to (most first, with counts)"),
        ("key_terms", "string", "key terms of the unit's entries against all others (G², p < .05)"),
        ("instructors", "string", "instructors answering (most turns first)"),
        ("top_hospitals", "string", "hospitals of the trainees asking most"),
    ),
    "network_nodes": _cols(
        ("graph", "string", "instructor_topic | trainee_topic | hospital_topic | trainee_instructor | "
                            "instructor_coanswer | term_cooccurrence"),
        ("node", "string", "node id (a name, a stable trainee code, topic:N, or a term)"),
        ("label", "string", "what figures show"),
        ("type", "string", "instructor | trainee | hospital | topic | term"),
        ("size", "Int64", "volume: entries (or turns for terms)"),
        ("strength", "Float64", "weighted degree"),
        ("betweenness", "Float64", "betweenness centrality with distance 1/weight"),
        ("eigenvector", "Float64", "eigenvector centrality within the node's connected component"),
        ("community", "Int64", "Louvain community (fixed seed), largest first"),
    ),
    "network_edges": _cols(
        ("graph", "string", "which graph"),
        ("source", "string", "node"),
        ("target", "string", "node (directed graphs: source → target)"),
        ("weight", "Float64", "entries (turns for term co-occurrence)"),
        ("answer_chars", "Float64", "instructor–topic: characters of the instructor's answers in the topic"),
        ("answer_share", "Float64", "instructor–topic: the instructor's share of the topic's answer text"),
    ),
    "discovered_terms": _cols(
        ("term", "string", "a multi-word term found in the booklet itself (adjacent words joined), for review"),
        ("frequency", "Int64", "occurrences as one unit"),
        ("score", "Float64", "z of the log odds ratio λ of the word pair (quanteda's textstat_collocations)"),
        ("source", "string", "how it was found: collocation"),
        ("n_entries", "Int64", "entries using it"),
        ("parts", "string", "the words joined, separated by |"),
        ("lambda", "Float64", "log odds ratio of the pair (0.5 added to each cell)"),
        ("g2", "Float64", "log-likelihood G² of the pair"),
        ("left_entropy", "Float64", "entropy of the words before it (nats); 0 = always the same neighbour"),
        ("right_entropy", "Float64", "entropy of the words after it (nats)"),
        ("round", "Int64", "joining round (1 = two dictionary words; 2, 3 = longer terms grown from shorter)"),
    ),
    "cloud_terms": _cols(
        ("by", "string", "grouping: section or cohort"),
        ("group", "string", "the group"),
        ("term", "string", "a term used more in the group than in the other entries"),
        ("count", "Int64", "occurrences in the group"),
        ("count_rest", "Int64", "occurrences in the other entries"),
        ("g2", "Float64", "log-likelihood G² (positive keyness only)"),
        ("p_g2", "Float64", "p-value of G² (< 0.05)"),
        ("log_ratio", "Float64", "log₂ ratio of relative frequencies (> 0)"),
        ("weight", "Float64", "size in the word cloud (= G²)"),
    ),
    "codebook": _cols(
        ("code", "string", "code name, in codebook order"),
        ("expression", "string", "its rule: terms with AND / OR / NOT and parentheses"),
        ("terms", "string", "the terms the rule uses, joined by 、"),
    ),
    "code_crosstab": _cols(
        ("by", "string", "grouping: cohort, unit, section or topic"),
        ("group", "string", "the group"),
        ("code", "string", "code"),
        ("entries", "Int64", "entries of the group carrying the code"),
        ("n_group", "Int64", "entries in the group"),
        ("share", "Float64", "entries / n_group"),
        ("expected", "Float64", "entries expected if the code were spread evenly: n_group × coded entries / N"),
        ("residual", "Float64", "Haberman's adjusted standardised residual; |r| > 1.96 ≈ p < .05 for one cell"),
    ),
    "ca_coordinates": _cols(
        ("analysis", "string", "terms_sections | terms_cohorts | codes_sections | codes_cohorts"),
        ("label", "string", "the term, code, section or cohort"),
        ("kind", "string", "词语 / 编码 (rows) or 栏目 / 期次 (columns)"),
        ("dim1", "Float64", "principal coordinate on dimension 1"),
        ("dim2", "Float64", "principal coordinate on dimension 2 (0 when there is one dimension)"),
        ("mass", "Float64", "share of the table's total in this row or column"),
    ),
    "ca_inertia": _cols(
        ("analysis", "string", "as in ca_coordinates"),
        ("dim", "Int64", "dimension"),
        ("eigenvalue", "Float64", "principal inertia of the dimension"),
        ("share", "Float64", "its share of the total inertia"),
        ("cumulative", "Float64", "cumulative share"),
        ("total_inertia", "Float64", "total inertia = χ² / n of the table"),
    ),
}
TABLES.update(ANALYSIS_TABLES)
TABLES["keyness_by_section"] = TABLES["keyness_by_cohort"]

PARSED_TABLES = ("entries", "turns", "askers", "people", "units", "hospitals", "sections", "lines", "warnings")


def conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the declared columns, in order, with the declared dtypes."""
    cols = TABLES[name]
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks columns {missing}")
    out = df[[c.name for c in cols]].copy()
    for c in cols:
        out[c.name] = out[c.name].astype(c.dtype)
    return out.reset_index(drop=True)


def empty(name: str) -> pd.DataFrame:
    return conform(name, pd.DataFrame({c.name: [] for c in TABLES[name]}))


def data_dictionary_markdown() -> str:
    """The data dictionary (Markdown), generated from the declarations."""
    out = []
    for name, cols in TABLES.items():
        if name == "keyness_by_section":
            out.append("`keyness_by_section` has the columns of `keyness_by_cohort`, groups being sections.\n")
            continue
        out.append(f"### `{name}`\n\n| column | type | meaning |\n|---|---|---|")
        out.extend(f"| `{c.name}` | {c.dtype} | {c.doc} |" for c in cols)
        out.append("")
    return "\n".join(out)
