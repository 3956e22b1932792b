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


def _keyness_cols(group_dtype: str, group_doc: str) -> tuple[Column, ...]:
    """Token-level keyness (:func:`corpus_tools.trends.keyness`), ``group`` typed per grouping."""
    return _cols(
        ("group", group_dtype, group_doc),
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
    )


def _term_freq_cols(group_dtype: str, group_doc: str) -> tuple[Column, ...]:
    """Term frequencies per group (:func:`corpus_tools.trends.term_frequencies`): description, not a test."""
    return _cols(
        ("group", group_dtype, group_doc),
        ("term", "string", "a content word as printed (names left out)"),
        ("count", "Int64", "occurrences in the group's entries"),
        ("per_10k", "Float64", "occurrences per 10,000 content words of the group"),
        ("doc_freq", "Int64", "entries of the group using the term"),
        ("n_docs", "Int64", "entries in the group"),
        ("doc_share", "Float64", "doc_freq / n_docs (0–1)"),
        ("group_tokens", "Int64", "content words in the group"),
    )


def _keyness_entries_cols(group_dtype: str, group_doc: str) -> tuple[Column, ...]:
    """Entry-level keyness (:func:`corpus_tools.trends.keyness_entries`): the test reported in findings."""
    return _cols(
        ("group", group_dtype, group_doc),
        ("term", "string", "concept (synonyms merged) used in ≥ 3 entries overall"),
        ("docs_group", "Int64", "entries of the group containing the term"),
        ("n_group", "Int64", "entries in the group"),
        ("docs_rest", "Int64", "entries of the other groups containing the term"),
        ("n_rest", "Int64", "entries in the other groups"),
        ("share_group", "Float64", "docs_group / n_group (0–1)"),
        ("share_rest", "Float64", "docs_rest / n_rest (0–1)"),
        ("log_ratio", "Float64", "log₂ of the ratio of entry shares (½ added to counts, 1 to totals)"),
        ("p_value", "Float64", "Fisher's exact test, two-sided"),
        ("q_value", "Float64", "Benjamini–Hochberg over every row of the table"),
        ("key", "string", "\"over\" / \"under\" where q ≤ 0.05, else empty"),
    )


def _curriculum_cols() -> tuple[Column, ...]:
    """:func:`corpus_tools.curriculum.curriculum` (also its row subsets low_draw_units, units_without_entries)."""
    return _cols(
        ("cohort", "Int64", "training cohort"),
        ("session_type", "string", "\"unit\" or \"discussion\" (答疑讨论课)"),
        ("unit_no", "Int64", "unit number; empty for a discussion class"),
        ("unit_title", "string", "unit title (答疑讨论课 for a discussion class)"),
        ("label", "string", "readable label, e.g. 第1期·第3单元 信息规划与系统设计方法"),
        ("description", "string", "unit description from the curriculum file (empty without one)"),
        ("lecturer", "string", "lecturer from the curriculum file (empty without one)"),
        ("title_source", "string", "\"curriculum\" (title from the curriculum file) or \"booklet\""),
        ("in_curriculum", "boolean", "listed in the curriculum file; empty (unknown) without a curriculum file"),
        ("in_booklet", "boolean", "some entry of the booklet comes from this unit"),
        ("n_entries", "Int64", "entries of the booklet from this unit (0 for a listed unit without any)"),
        ("same_number_titles", "string", "other titles the same unit number has in other cohorts "
                                         "(\"第2期：领导力与团队建设\"), joined by ；"),
    )


def _group_diff_cols(what: str) -> tuple[Column, ...]:
    """:func:`corpus_tools.compare.group_diff` / ``set_diff``: one row per matched, new or gone name."""
    return _cols(
        ("status", "string", "new / gone / renamed / kept"),
        ("old_name", "string", f"{what} in the earlier booklet (empty for a new one)"),
        ("new_name", "string", f"{what} in the later booklet (empty for a gone one)"),
        ("n_old", "Int64", "its entries in the earlier booklet (0 for a new one)"),
        ("n_new", "Int64", "its entries in the later booklet (0 for a gone one)"),
    )


TABLES: dict[str, tuple[Column, ...]] = {
    "entries": _cols(
        ("entry_id", "Int64", "1, 2, … in booklet order (several booklets: unique across the study, numbered in "
                              "booklet order; see booklet_entry_no)"),
        ("booklet", "string", "the booklet (its file name without extension) the entry comes from; line numbers are "
                              "its lines"),
        ("booklet_entry_no", "Int64", "1, 2, … the entry's number within its booklet"),
        ("section", "string", "section heading without 【】, e.g. 信息规划"),
        ("title", "string", "the entry's question title, wrapped lines joined, without ★"),
        ("starred", "boolean", "title marked ★"),
        ("has_video", "boolean", "entry has the line 请用微信扫码观看答疑视频"),
        ("cohort", "Int64", "training cohort from the source note (第三期 → 3); empty if the note is missing. "
                            "Several booklets: the cohort in the programme's order (printed cohort + the booklet's "
                            "cohort offset)"),
        ("cohort_printed", "Int64", "the cohort as the source note prints it (equals cohort for one booklet)"),
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
        ("booklet", "string", "the booklet the turn comes from (its lines are line_start–line_end)"),
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
        ("booklet", "string", "the booklet the entry comes from (line_start is its line)"),
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
        ("first_line", "Int64", "input line of the person's first turn (in the first booklet of booklets)"),
        ("booklets", "string", "the booklets the person speaks in, in programme order, joined by 、 (several "
                               "booklets: one person = the same name in the same role)"),
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
        ("first_line", "Int64", "input line of the first entry (in the first booklet of booklets)"),
        ("booklets", "string", "the booklets the session's entries come from, joined by 、"),
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
        ("line_no", "Int64", "input line of the heading (its first occurrence, in the first booklet of booklets)"),
        ("booklets", "string", "the booklets printing the section, joined by 、"),
    ),
    "lines": _cols(
        ("booklet", "string", "the booklet the line belongs to"),
        ("line_no", "Int64", "input line (1-based)"),
        ("kind", "string", "blank | url | footer | page_number | content"),
        ("role", "string", "for content: front_matter | section | title | star | video | label | turn | note | "
                           "unassigned; for noise: the kind"),
        ("entry_id", "Int64", "entry the piece belongs to"),
        ("turn_no", "Int64", "turn the piece belongs to"),
        ("text", "string", "the piece of the line (a line split between label and turn gives two rows)"),
    ),
    "warnings": _cols(
        ("booklet", "string", "the booklet the warning is about (its line line_no)"),
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
        ("label_terms", "string", "up to three terms, each used in ≥ 30 % of the topic's entries and commoner there "
                                  "than elsewhere, by coverage × log₂ ratio; none inside another, no names"),
        ("representative_title", "string", "title of the member entry with the highest score (entry_topics)"),
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
        ("score", "Float64", "cosine of the entry's tf-idf to the topic's centroid (mean tf-idf of its members; "
                             "0–1): ranks a topic's example questions"),
        ("tied", "boolean", "rank-1 row whose weight equals another member's of the same topic (not separated)"),
    ),
    "topic_terms": _cols(
        ("topic_id", "Int64", "topic"),
        ("rank", "Int64", "1 = heaviest"),
        ("term", "string", "term"),
        ("weight", "Float64", "term weight in the topic (mean tf-idf of its entries for consensus NMF)"),
    ),
    "keyness_by_cohort": _keyness_cols("Int64", "the cohort tested against all other entries"),
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
        ("expression", "string", "its rule: terms with AND / OR / NOT and parentheses; q: / many: / n>=K: say where"),
        ("terms", "string", "the words and phrases the rule uses, each once, without prefixes, joined by 、"),
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
    "code_validation": _cols(
        ("code", "string", "code (codebook order), or 合计: the counts summed over the codes (micro-average)"),
        ("half", "string", "dev (even entry ids: the rules were tuned on them), held_out (odd ids) or all"),
        ("n_judged", "Int64", "entries of the half the hand coding judged for the code"),
        ("n_yes", "Int64", "of them, judged to carry the code"),
        ("n_coded", "Int64", "of them, coded by the rule"),
        ("tp", "Int64", "coded and judged yes"),
        ("fp", "Int64", "coded, judged no"),
        ("fn", "Int64", "judged yes, not coded"),
        ("precision", "Float64", "tp / (tp + fp), 0–1 (empty when nothing is coded)"),
        ("recall", "Float64", "tp / (tp + fn), 0–1 (empty when nothing is judged yes)"),
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
    "keyness_by_section": _keyness_cols("string", "the section tested against all other entries"),
    "term_freq_by_cohort": _term_freq_cols("Int64", "cohort"),
    "term_freq_by_unit": _term_freq_cols("string", "unit label, e.g. 第1期·第3单元 信息规划与系统设计方法 or "
                                                   "第3期·答疑讨论课"),
    "term_freq_by_section": _term_freq_cols("string", "section"),
    "keyness_entries_by_cohort": _keyness_entries_cols("Int64", "the cohort tested against all other entries"),
    "keyness_entries_by_unit": _keyness_entries_cols("string", "the unit (label as in term_freq_by_unit) tested "
                                                               "against all other entries"),
    "keyness_entries_by_section": _keyness_entries_cols("string", "the section tested against all other entries"),
    "topic_cloud_terms": _cols(
        ("group", "Int64", "topic_id of the topic the entries are assigned to (rank 1)"),
        ("term", "string", "a concept used more in the topic's entries than in the other entries"),
        ("count", "Int64", "occurrences in the topic's entries"),
        ("count_rest", "Int64", "occurrences in the other entries"),
        ("g2", "Float64", "log-likelihood G² (positive keyness only)"),
        ("p_g2", "Float64", "p-value of G² (< 0.05)"),
        ("log_ratio", "Float64", "log₂ ratio of relative frequencies (> 0)"),
        ("weight", "Float64", "size in the topic's word cloud (= G²)"),
    ),
    "topic_model_comparison": _cols(
        ("model", "string", "topic model: consensus_nmf"),
        ("k", "Int64", "number of topics tried (one row per k when k is chosen, else the given k)"),
        ("n_seeds", "Int64", "seeds fitted, each giving one consensus of its runs (fewer than the setting's 3 where "
                             "a seed's consensus already had a topic under 3 entries: that k cannot be chosen)"),
        ("n_fits", "Int64", "NMF fits made and pooled (seeds × runs per seed)"),
        ("npmi", "Float64", "mean NPMI coherence of the topics' ten top terms, entries as window (−1 … 1)"),
        ("stability_ari", "Float64", "mean pairwise adjusted Rand index between the seeds' consensuses (1 = same); "
                                     "empty with one seed"),
        ("min_topic_size", "Int64", "entries in the smallest topic (smallest over seeds)"),
        ("ami", "Float64", "adjusted mutual information of the topics with the sections (mean over seeds)"),
        ("ami_min", "Float64", "its minimum over seeds"),
        ("nmi", "Float64", "normalised mutual information with the sections (mean over seeds)"),
        ("ari", "Float64", "adjusted Rand index with the sections (mean over seeds)"),
    ),
    "entry_map": _cols(
        ("entry_id", "Int64", "entry"),
        ("x", "Float64", "t-SNE coordinate 1 (LSA of tf-idf, cosine distance, fixed seed; no unit)"),
        ("y", "Float64", "t-SNE coordinate 2"),
    ),
    "network_summary": _cols(
        ("graph", "string", "which graph (as in network_nodes)"),
        ("n_nodes", "Int64", "nodes"),
        ("n_edges", "Int64", "edges"),
        ("n_communities", "Int64", "Louvain communities (fixed seed)"),
        ("modularity", "Float64", "weighted modularity of that partition; empty for a graph without edges"),
    ),
    "instructor_specialisation": _cols(
        ("instructor", "string", "instructor answering in ≥ 3 entries"),
        ("n_entries", "Int64", "entries the instructor answers in"),
        ("n_topics", "Int64", "topics those entries are assigned to"),
        ("entropy", "Float64", "entropy of the instructor's entries over topics, divided by log k "
                               "(0 = all in one topic, 1 = spread evenly over all k)"),
        ("specialisation", "Float64", "1 − entropy"),
    ),
    "topic_dependence": _cols(
        ("topic_id", "Int64", "topic"),
        ("label", "string", "topic label"),
        ("instructor", "string", "an instructor answering in ≥ 3 entries overall and in ≥ 1 of the topic's"),
        ("rank", "Int64", "1 = answers in most of the topic's entries; tied instructors share a rank"),
        ("tie", "boolean", "another instructor answers in as many of the topic's entries"),
        ("n_entries", "Int64", "entries assigned to the topic"),
        ("k", "Int64", "of them, entries the instructor answers in"),
        ("share", "Float64", "k / n_entries (0–1)"),
        ("base_share", "Float64", "the instructor's share of all entries (0–1)"),
        ("lift", "Float64", "share / base_share"),
        ("p_overall", "Float64", "P(X ≥ k), X hypergeometric over all entries (sessions ignored)"),
        ("n_sessions", "Int64", "sessions (cohort + unit, or cohort + discussion class) with entries both in and "
                                "out of the topic: the strata"),
        ("session_entries", "Int64", "entries of those sessions"),
        ("session_k", "Int64", "of them, entries the instructor answers in"),
        ("rest_entries", "Int64", "entries of those sessions outside the topic"),
        ("rest_k", "Int64", "of them, entries the instructor answers in"),
        ("rest_share", "Float64", "rest_k / rest_entries (0–1)"),
        ("varying_sessions", "Int64", "of those sessions, the ones where the instructor answers some but not all "
                                      "entries: the only strata the exact test learns from"),
        ("varying_session_names", "string", "their names (第1期·第6单元 运维服务管理), joined by 、"),
        ("varying_topic_entries", "Int64", "entries of those varying sessions in the topic"),
        ("varying_topic_k", "Int64", "of them, entries the instructor answers in"),
        ("varying_rest_entries", "Int64", "entries of those varying sessions outside the topic"),
        ("varying_rest_k", "Int64", "of them, entries the instructor answers in"),
        ("expected", "Float64", "topic entries the instructor would answer if, within each session, the topic "
                                "made no difference (Σ of the strata's expected counts)"),
        ("or_mh", "Float64", "Mantel–Haenszel common odds ratio over the strata"),
        ("p_cmh", "Float64", "Cochran–Mantel–Haenszel χ² test (continuity-corrected), two-sided"),
        ("p_value", "Float64", "exact conditional test over the strata (convolution of hypergeometrics), "
                               "two-sided; empty where no stratum varies"),
        ("q_value", "Float64", "Benjamini–Hochberg over all rows"),
        ("flagged", "boolean", "p_value < 0.05 and k > expected: the topic leans on the instructor within "
                               "sessions, whatever the share"),
    ),
    "curriculum": _curriculum_cols(),
    "units_without_entries": _curriculum_cols(),
    "low_draw_units": _curriculum_cols(),
    "instructors_by_unit": _cols(
        ("unit", "string", "unit label, e.g. 第1期·第3单元 信息规划与系统设计方法 or 第3期·答疑讨论课"),
        ("instructor", "string", "instructor answering in the unit's entries"),
        ("n_entries", "Int64", "entries of the unit the instructor answers in"),
        ("n_turns", "Int64", "the instructor's turns in them"),
    ),
    "unit_by_section": _cols(
        ("unit", "string", "unit label, in curriculum order"),
    ),
    "unit_by_topic": _cols(
        ("unit", "string", "unit label, in curriculum order"),
    ),
    "unit_fit": _cols(
        ("entry_id", "Int64", "entry"),
        ("unit", "string", "title of the unit the question was asked in (答疑讨论课 for a discussion class)"),
        ("fit_score", "Float64", "cosine of the question with its own unit's syllabus (title + description; with "
                                 "titles only, the title and the unit's other questions) (0–1); empty for a "
                                 "discussion class"),
        ("best_unit", "string", "the unit a closer_elsewhere flag names (an instructor's deferral, else the other "
                                "unit with the highest calibrated score z); unflagged: the other unit with the "
                                "highest z"),
        ("best_score", "Float64", "its cosine (0–1)"),
        ("margin", "Float64", "best_score − fit_score (cosine)"),
        ("rank", "Int64", "rank of the own unit among all units by z (1 = fits best); empty for a discussion class"),
        ("n_units", "Int64", "units compared"),
        ("flagged", "boolean", "any flag (flag not empty)"),
        ("representation", "string", "how texts were compared: concept (synonym-merged content words) | char"),
        ("z_margin", "Float64", "z(best_unit) − z(own unit), in background standard deviations"),
        ("own_p", "Float64", "background p-value of the own unit: share of questions asked in other units "
                             "scoring at least as high on it ((count + 1) / (n + 1))"),
        ("best_p", "Float64", "the same p-value for best_unit"),
        ("flag", "string", "closer_elsewhere (another unit's syllabus fits clearly better, or an instructor defers "
                           "the subject to best_unit) | fits_no_unit (the question's words are far from every "
                           "unit's syllabus: word similarity only, a reading list, not a coverage gap) | empty"),
        ("top_z", "Float64", "the highest calibrated score z over all units (fits_no_unit when < 0.5)"),
        ("ranking", "string", "the three units whose syllabus fits best, by z (\" > \"-joined)"),
        ("about", "string", "the question's most distinctive words (tf-idf over all questions), \"、\"-joined"),
        ("evidence", "string", "what the answers say: defer (taught in another or a later unit) | own (today's "
                               "course dealt with it) | both | empty"),
        ("evidence_unit", "string", "the unit a deferral names (empty when none)"),
        ("evidence_line", "Int64", "booklet line of the instructor's remark"),
        ("evidence_quote", "string", "the instructor's sentence"),
        ("syllabus", "string", "what each unit was judged by: file (the curriculum file's descriptions) | "
                               "example (the shipped example curriculum's) | titles (titles only: only the "
                               "instructors' evidence flags)"),
    ),
    "unit_fit_methods": _cols(
        ("representation", "string", "concept | token | char | lsa"),
        ("idf", "string", "idf over \"questions\" or over \"units\" (unit profiles)"),
        ("rule", "string", "flag rule: \"background\" (calibrated p-values) or \"margin\" (the earlier rule)"),
        ("n_entries", "Int64", "entries with a fit score (unit entries)"),
        ("top1", "Float64", "share of them whose own unit ranks first (0–1)"),
        ("mrr", "Float64", "mean reciprocal rank of the own unit (0–1)"),
        ("n_flagged", "Int64", "entries flagged"),
    ),
    "code_entries": _cols(
        ("entry_id", "Int64", "entry, in booklet order"),
    ),
    "code_share_by_cohort": _cols(
        ("code", "string", "code (competency area) of the codebook, as code_entries gives it"),
        ("cohort", "Int64", "training cohort"),
        ("n_entries", "Int64", "entries of the cohort"),
        ("n_code", "Int64", "of them, entries the code's rule matches"),
        ("share", "Float64", "n_code / n_entries (0–1)"),
        ("ci_low", "Float64", "Wilson 95 % interval of the share, lower end (0–1)"),
        ("ci_high", "Float64", "its upper end (0–1)"),
        ("trend_z", "Float64", "Cochran–Armitage z across the ordered cohorts (scores = cohort numbers; > 0 rising); "
                               "the same on every row of the code"),
        ("trend_p", "Float64", "its two-sided p-value"),
        ("trend_q", "Float64", "Benjamini–Hochberg over the codes (the codes are one family; the test and q are "
                               "those of the code rows of cohort_trends)"),
        ("within_units_z", "Float64", "the same trend within the units several cohorts share (Mantel's stratified "
                                      "extension, strata = unit titles); empty where no unit is shared"),
        ("within_units_p", "Float64", "its two-sided p-value"),
        ("p_without_one_cohort", "Float64", "the largest trend p with any one cohort left out (same direction; "
                                            "1 where the trend then vanishes or reverses); empty with < 3 cohorts"),
        ("call", "string", "the code's call in cohort_trends: rising / falling / one cohort / one speaker / "
                           "unit effect, empty where q > 0.05"),
        ("shared_units", "string", "unit titles with entries in ≥ 2 cohorts, joined by 、"),
    ),
    "askers_summary": _cols(
        ("cohort", "Int64", "cohort"),
        ("rank", "Int64", "rank of the asker within the cohort by entries opened (ties: earlier first entry first)"),
        ("asker", "string", "trainee who opened entries (askers.opens_entry)"),
        ("hospital", "string", "the asker's canonical hospital(s), joined by ；"),
        ("n_entries", "Int64", "entries of the cohort the asker opened"),
        ("n_cohort_entries", "Int64", "entries of the cohort (all, also those opened by an instructor or an "
                                      "unnamed trainee)"),
        ("share", "Float64", "n_entries / n_cohort_entries (0–1)"),
        ("cum_entries", "Int64", "distinct entries opened by the askers of rank ≤ this one"),
        ("cum_share", "Float64", "cum_entries / n_cohort_entries (0–1)"),
        ("n_askers", "Int64", "named trainees who opened an entry of the cohort"),
        ("entry_ids", "string", "the entries the asker opened, comma-joined"),
    ),
    "hospital_kinds": _cols(
        ("kind", "string", "hospital kind id of resources/hospital_kinds.txt (county_district, university, "
                           "group_multisite, specialty, military)"),
        ("label", "string", "the kind in Chinese, e.g. 县/区级医院"),
        ("hospital", "string", "canonical hospital of an asker whose label matches the kind's rule"),
        ("evidence", "string", "the text the rule matched in the label (hospital, alias, department), joined by 、"),
        ("askers", "string", "its trainees who opened entries, joined by 、"),
        ("n_entries", "Int64", "entries they opened"),
        ("entry_ids", "string", "those entries, comma-joined"),
    ),
    "hospital_kind_tests": _cols(
        ("kind", "string", "hospital kind id"),
        ("label", "string", "the kind in Chinese"),
        ("section", "string", "section"),
        ("k_kind", "Int64", "entries opened by askers of that kind in the section"),
        ("n_kind", "Int64", "entries opened by askers of that kind"),
        ("k_rest", "Int64", "other entries in the section"),
        ("n_rest", "Int64", "other entries"),
        ("share_kind", "Float64", "k_kind / n_kind (0–1)"),
        ("share_rest", "Float64", "k_rest / n_rest (0–1)"),
        ("entry_ids", "string", "the k_kind entries, comma-joined"),
        ("p_value", "Float64", "Fisher's exact test, two-sided"),
        ("q_value", "Float64", "Benjamini–Hochberg over every (kind, section) row"),
    ),
    "deferred_questions": _cols(
        ("entry_id", "Int64", "entry"),
        ("kind", "string", "defer (to a later course, unit or occasion) | out_of_scope (not this unit's subject) | "
                           "sidestep (the question is said to be unanswerable, or is not answered) | hedged (said to "
                           "be hard to answer, and answered: ≥ 100 other characters of answer in the entry, before "
                           "or after it; not a deferred or unanswered question)"),
        ("turn_no", "Int64", "the instructor's turn"),
        ("line", "Int64", "input line where the matched phrase starts"),
        ("quote", "string", "the sentence as printed (at most 80 characters around the phrase; …… marks a cut)"),
        ("to_unit", "string", "courses or units the sentence names as where the subject belongs, joined by 、; "
                              "下一单元 with the unit it is read as in brackets (下一单元（第4单元 …）: the cohort's "
                              "next unit, not the instructor's words); empty when none is named"),
        ("subject", "string", "when no course or unit is named: the subject the sentence names before the phrase "
                              "(这涉及需求管理的问题 → 需求管理), what is deferred, not where to; else empty"),
        ("phrase", "string", "the text the rule of resources/deferral_phrases.txt matched"),
        ("speaker", "string", "the instructor"),
        ("asked_in", "string", "title of the unit the question was asked in (答疑讨论课 for a discussion class)"),
        ("answered_chars", "Int64", "characters (no whitespace) of instructor answer in the entry besides the "
                                    "sentence: the rest of its turn after it + the entry's other instructor turns, "
                                    "earlier ones included; for sidestep and hedged rows also the text of its turn "
                                    "before it (every other character of answer: a sidestep row needs < 100, a "
                                    "hedged one has ≥ 100)"),
        ("after_chars", "Int64", "characters (no whitespace) of the rest of the sentence's turn after it: what the "
                                 "instructor went on to say (part of answered_chars)"),
    ),
    "question_parts": _cols(
        ("entry_id", "Int64", "entry"),
        ("part_no", "Int64", "the part's place among the entry's questions, 1 = first"),
        ("n_parts", "Int64", "how many parts the entry's trainee turns ask"),
        ("turn_no", "Int64", "the trainee turn the part is in"),
        ("line", "Int64", "input line where the part's question sentence starts"),
        ("quote", "string", "the question sentence as printed, whitespace removed (at most 60 characters; …… "
                            "marks a cut at its start)"),
    ),
    "recurring_needs": _cols(
        ("need_id", "Int64", "need (group of ≥ 2 entries with the same need), 1 = the largest"),
        ("label", "string", "the question concepts most of the group's questions share, joined by ·"),
        ("entry_id", "Int64", "entry in the group"),
        ("booklet", "string", "the booklet the entry comes from (several booklets: a need may span them)"),
        ("booklet_entry_no", "Int64", "the entry's number within its booklet"),
        ("cohort", "Int64", "its cohort (in the programme's order with several booklets)"),
        ("unit", "string", "its unit title (答疑讨论课 for a discussion class)"),
        ("section", "string", "its section"),
        ("similarity", "Float64", "mean similarity to the other entries of the group (0–1: question and answer "
                                  "tf-idf cosines, weighted)"),
        ("title", "string", "the entry's title"),
        ("shared_terms", "string", "the concepts printed in every question of the group (top 3), joined by 、; "
                                    "empty unless one of them is a specific (domain) term"),
    ),
    "carried_topics": _cols(
        ("entry_id", "Int64", "entry of this booklet (only with --topics-from)"),
        ("topic_id", "Int64", "the earlier run's topic nearest to the entry (same ids as its topics table); empty "
                              "when the entry has no word of that run's vocabulary"),
        ("label", "string", "that topic's label in the earlier run"),
        ("fit", "Float64", "cosine of the entry's tf-idf (earlier vocabulary and idf) to the topic's centroid (0–1)"),
        ("runner_up_topic_id", "Int64", "the second nearest topic"),
        ("runner_up_fit", "Float64", "its cosine"),
        ("known_terms", "Int64", "distinct words of the entry in the earlier vocabulary (the others are ignored)"),
        ("new_theme", "boolean", "fits no existing topic: fit below the model's threshold (the 10th percentile of "
                                 "the earlier entries' own fits, each left out of its topic) — a candidate new theme"),
    ),
    "carried_topic_shares": _cols(
        ("topic_id", "Int64", "topic of the earlier run"),
        ("label", "string", "its label"),
        ("n_old", "Int64", "entries of the earlier booklet in the topic"),
        ("total_old", "Int64", "entries of the earlier booklet"),
        ("n_new", "Int64", "entries of this booklet assigned to it that fit it (carried_topics, new_theme false)"),
        ("total_new", "Int64", "entries of this booklet that fit a topic (candidate new themes left out)"),
        ("share_old", "Float64", "n_old / total_old (0–1)"),
        ("share_new", "Float64", "n_new / total_new (0–1)"),
        ("log_ratio", "Float64", "log₂ of the ratio of shares, new / old (½ added to counts, 1 to totals)"),
        ("p_value", "Float64", "Fisher's exact test, two-sided"),
        ("q_value", "Float64", "Benjamini–Hochberg over the topics"),
        ("direction", "string", "\"more\" / \"fewer\" in this booklet where q ≤ 0.05, else empty"),
    ),
    "reprinted_entries": _cols(
        ("booklet", "string", "the later booklet that reprints the entry"),
        ("booklet_entry_no", "Int64", "the reprint's number in that booklet"),
        ("line_start", "Int64", "line of the reprint's title in that booklet"),
        ("line_end", "Int64", "line where the reprint ends in that booklet"),
        ("title", "string", "the entry's title"),
        ("source_note", "string", "the source note (the same in both printings)"),
        ("kept_booklet", "string", "the booklet of the first printing, the one analysed"),
        ("kept_booklet_entry_no", "Int64", "the first printing's number in its booklet"),
        ("kept_entry_id", "Int64", "the first printing's entry_id in the study (the reprint has none: it is left "
                                   "out of every count)"),
    ),
    "cohort_trends": _cols(
        ("kind", "string", "\"term\" (a concept, names left out) or \"code\" (a coding rule)"),
        ("term", "string", "the term or the code's name"),
        ("cohorts", "string", "the cohorts in programme order, joined by 、 (e.g. 1、2、3、4、5、6)"),
        ("docs_by_cohort", "string", "entries of each cohort containing the term, in that order, joined by 、"),
        ("n_by_cohort", "string", "entries of each cohort, joined by 、"),
        ("docs", "Int64", "entries containing the term, all cohorts"),
        ("n_entries", "Int64", "entries with a cohort"),
        ("share_first", "Float64", "share of the first cohort's entries containing it (0–1)"),
        ("share_last", "Float64", "share of the last cohort's entries containing it (0–1)"),
        ("statistic", "Float64", "Cochran–Armitage z across the ordered cohorts (scores = cohort numbers; z² is R's "
                                 "prop.trend.test statistic); > 0: the share rises"),
        ("p_value", "Float64", "two-sided p of z"),
        ("q_value", "Float64", "Benjamini–Hochberg within the row's kind: over the terms, and over the codes "
                                "(two families)"),
        ("direction", "string", "\"rising\" (z > 0) or \"falling\" (z < 0)"),
        ("p_without_one_cohort", "Float64", "the largest p of the same test with one cohort left out (in the same "
                                            "direction; 1 where a left-out cohort reverses it): small only when no "
                                            "single cohort carries the trend"),
        ("top_entry", "Int64", "the entry with most uses of the term (terms only)"),
        ("top_entry_share", "Float64", "that entry's share of the term's uses (0–1; terms only)"),
        ("top_speaker", "string", "the speaker with most uses of the term (terms only)"),
        ("top_speaker_share", "Float64", "that speaker's share of the uses (0–1; terms only)"),
        ("one_speaker", "boolean", "one speaker accounts for ≥ 80 % of the uses"),
        ("shared_units", "string", "unit titles with entries in ≥ 2 cohorts (the strata of the within-unit test)"),
        ("within_unit_statistic", "Float64", "Mantel's stratified trend z within those units; empty where no unit "
                                             "is shared, and for terms with q > 0.05 (computed for every code)"),
        ("p_within_unit", "Float64", "two-sided p of that z"),
        ("within_unit", "boolean", "the trend holds within shared units (p < 0.05, same direction)"),
        ("within_booklet_statistic", "Float64", "several booklets: the same stratified z within booklets (each "
                                                "booklet's own cohorts); empty for one booklet, and for terms with q > 0.05"),
        ("p_within_booklet", "Float64", "two-sided p of that z: not small means the change lies between booklets "
                                        "(the findings then say it may be the editors' selection)"),
        ("call", "string", "\"rising\" / \"falling\" where q ≤ 0.05, no single cohort carries it, no single "
                           "speaker says it and it holds within shared units; \"unit effect\" where q ≤ 0.05 but "
                           "not within units; \"one cohort\" where q ≤ 0.05 but one cohort carries it; "
                           "\"one speaker\" likewise; else empty"),
    ),
    "findings": _cols(
        ("kind", "string", "no_unit | unit_fit | need | deferral | parts | carried_topic | dependence | code_share | "
                           "trend | "
                           "keyness | askers | coverage | caveat (the report's order: what a designer acts on first, "
                           "caveats last)"),
        ("text", "string", "the finding, one Chinese sentence, as the report shows it"),
        ("statistic", "string", "the numbers behind it, as text"),
        ("p_value", "Float64", "p-value of its test; empty where no test applies"),
        ("q_value", "Float64", "Benjamini–Hochberg q; empty where no test applies"),
        ("entry_ids", "string", "the entries it rests on, sorted, comma-joined (\"3,17,42\")"),
        ("caveat", "string", "how to read it"),
    ),
}

COMPARE_TABLES: dict[str, tuple[Column, ...]] = {
    "cohorts_diff": _group_diff_cols("cohort (第N期)"),
    "sections_diff": _group_diff_cols("section"),
    "units_diff": _group_diff_cols("unit label (第N期·第M单元 title)"),
    "entries_diff": _cols(
        ("status", "string", "new / gone / renamed (same opening question, new title) / kept"),
        ("old_entry", "Int64", "entry_id in the earlier booklet; empty for a new entry"),
        ("new_entry", "Int64", "entry_id in the later booklet; empty for a gone entry"),
        ("old_title", "string", "title in the earlier booklet (empty for a new entry)"),
        ("new_title", "string", "title in the later booklet (empty for a gone entry)"),
        ("note", "string", "for a new entry whose question repeats an earlier one: which"),
    ),
    "people_diff": _cols(
        ("status", "string", "new / gone / kept"),
        ("role", "string", "\"trainee\" or \"instructor\""),
        ("old_name", "string", "name in the earlier booklet (empty for a new person)"),
        ("new_name", "string", "name in the later booklet (empty for a gone person)"),
        ("n_old", "Int64", "entries with a turn by the person, earlier booklet"),
        ("n_new", "Int64", "entries with a turn by the person, later booklet"),
    ),
    "hospitals_diff": _group_diff_cols("canonical hospital"),
    "topics_diff": _cols(
        ("status", "string", "new / gone / renamed (matched, label changed) / kept"),
        ("old_topic", "Int64", "topic_id in the earlier fit; empty for a new topic"),
        ("old_name", "string", "its label"),
        ("new_topic", "Int64", "topic_id in the later fit; empty for a gone topic"),
        ("new_name", "string", "its label"),
        ("jaccard", "Float64", "overlap of the two topics' top terms (0–1; matched when ≥ 0.15); empty if unmatched"),
        ("shared_terms", "string", "top terms both share, joined by 、"),
        ("n_old", "Int64", "entries of the earlier topic (0 for a new one)"),
        ("n_new", "Int64", "entries of the later topic (0 for a gone one)"),
    ),
    "terms_diff": _cols(
        ("status", "string", "new / gone (in ≥ 3 entries of one booklet, none of the other) / rising / falling "
                             "(q ≤ 0.05)"),
        ("term", "string", "content word"),
        ("docs_old", "Int64", "entries of the earlier booklet using it"),
        ("n_old", "Int64", "entries of the earlier booklet"),
        ("docs_new", "Int64", "entries of the later booklet using it"),
        ("n_new", "Int64", "entries of the later booklet"),
        ("share_old", "Float64", "docs_old / n_old (0–1)"),
        ("share_new", "Float64", "docs_new / n_new (0–1)"),
        ("log_ratio", "Float64", "log₂ of the ratio of entry shares, new / old (½ added to counts, 1 to totals)"),
        ("p_value", "Float64", "Fisher's exact test of the entry shares, two-sided"),
        ("q_value", "Float64", "Benjamini–Hochberg over every term tested"),
    ),
}
TABLES.update(ANALYSIS_TABLES)
TABLES.update(COMPARE_TABLES)

PARSED_TABLES = ("entries", "turns", "askers", "people", "units", "hospitals", "sections", "lines", "warnings")


@dataclass(frozen=True)
class Dynamic:
    """Columns that depend on the data, after a table's declared ones: any number of them, each of ``dtype``,
    named by what they stand for (``what``), in the order the producer gives."""

    what: str  # "section", "topic_id", "code"
    dtype: str
    doc: str


DYNAMIC: dict[str, Dynamic] = {
    "unit_by_section": Dynamic("section", "Int64", "entries of the unit in that section"),
    "unit_by_topic": Dynamic("topic_id", "Int64", "entries of the unit assigned (rank 1) to that topic"),
    "code_entries": Dynamic("code", "boolean", "the entry matches that code's rule (codebook order)"),
}

# tables the data dictionary describes by another one's columns: name → (that table, what differs)
SAME_COLUMNS_AS: dict[str, tuple[str, str]] = {
    "keyness_by_section": ("keyness_by_cohort", "`group` being a section (string)"),
    "term_freq_by_unit": ("term_freq_by_cohort", "`group` being a unit label (string), e.g. "
                                                 "第1期·第3单元 信息规划与系统设计方法"),
    "term_freq_by_section": ("term_freq_by_cohort", "`group` being a section (string)"),
    "keyness_entries_by_unit": ("keyness_entries_by_cohort", "`group` being a unit label (string)"),
    "keyness_entries_by_section": ("keyness_entries_by_cohort", "`group` being a section (string)"),
    "units_without_entries": ("curriculum", "its rows for units a curriculum file lists and no entry comes from "
                                            "(always empty without a curriculum file)"),
    "low_draw_units": ("curriculum", "its rows for units with at most one entry"),
    "sections_diff": ("cohorts_diff", "names being sections"),
    "units_diff": ("cohorts_diff", "names being unit labels (第N期·第M单元 title)"),
    "hospitals_diff": ("cohorts_diff", "names being canonical hospitals, counts the entries their trainees asked"),
}


def conform(name: str, df: pd.DataFrame, extra: str = "error") -> pd.DataFrame:
    """Return ``df`` with the declared columns, in order, with the declared dtypes; for a table of
    :data:`DYNAMIC`, the other columns follow in their given order, named as text (Parquet and CSV headers are
    text: topic 3's column is "3"), cast to the dynamic dtype. A declared column that is missing raises
    ``ValueError``; so does an undeclared one (``extra="error"``: nothing is dropped silently) unless
    ``extra="drop"``. Casting raises rather than loses values (e.g. 1.5 to Int64)."""
    if extra not in ("error", "drop"):
        raise ValueError(f"extra must be 'error' or 'drop', not {extra!r}")
    cols = TABLES[name]
    declared = [c.name for c in cols]
    missing = [c for c in declared if c not in df.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks columns {missing}")
    rest = [c for c in df.columns if c not in declared]
    dyn = DYNAMIC.get(name)
    if rest and dyn is None and extra == "error":
        raise ValueError(f"table {name!r} has undeclared columns {rest} (declare them in schema.TABLES)")
    keep = declared + (rest if dyn is not None else [])
    out = df[keep].copy()
    out.columns = declared + [str(c) for c in out.columns[len(declared):]]
    if out.columns.duplicated().any():
        dup = sorted(set(out.columns[out.columns.duplicated()]))
        raise ValueError(f"table {name!r} has duplicate columns {dup} (as text)")
    out.columns.name = None
    for c in cols:
        out[c.name] = out[c.name].astype(c.dtype)
    if dyn is not None:
        for c in out.columns[len(declared):]:
            out[c] = out[c].astype(dyn.dtype)
    return out.reset_index(drop=True)


def csv_dtypes(name: str) -> dict[str, str]:
    """``dtype=`` for :func:`pandas.read_csv` of a table written as CSV: every column read as declared, so a text
    column of digits stays text ("4、5" and "4" alike, never 4.0) and counts stay Int64 with empty cells; for a
    table of :data:`DYNAMIC` a ``defaultdict`` giving the other columns the dynamic dtype."""
    from collections import defaultdict

    declared = {c.name: c.dtype for c in TABLES[name]}
    dyn = DYNAMIC.get(name)
    return defaultdict(lambda: dyn.dtype, declared) if dyn is not None else declared


def empty(name: str) -> pd.DataFrame:
    return conform(name, pd.DataFrame({c.name: [] for c in TABLES[name]}))


def data_dictionary_markdown() -> str:
    """The data dictionary (Markdown), generated from the declarations."""
    out = []
    for name, cols in TABLES.items():
        if name in SAME_COLUMNS_AS:
            base, differs = SAME_COLUMNS_AS[name]
            out.append(f"`{name}` has the columns of `{base}`, {differs}.\n")
            continue
        out.append(f"### `{name}`\n\n| column | type | meaning |\n|---|---|---|")
        out.extend(f"| `{c.name}` | {c.dtype} | {c.doc} |" for c in cols)
        if name in DYNAMIC:
            d = DYNAMIC[name]
            out.append(f"| *one column per {d.what}* | {d.dtype} | {d.doc} |")
        out.append("")
    return "\n".join(out)
