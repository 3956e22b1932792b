"""Correspondence analysis: hand-computed 2×2 tables, inertia = χ²/n, the biplot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from corpus_tools.ca import (CA_ANALYSES, ca_coordinates, ca_inertia, ca_tables, code_group_table,
                             correspondence_analysis, term_group_table)


def test_perfect_association_2x2():
    # P = [[.5, 0], [0, .5]], masses .5: one dimension with inertia 1 (= χ²/n = 20/20), rows at ±1
    r = correspondence_analysis(pd.DataFrame([[10, 0], [0, 10]], index=["a", "b"], columns=["x", "y"]))
    assert r.total_inertia == pytest.approx(1.0)
    assert list(r.rows.dim1) == pytest.approx([1.0, -1.0])
    assert list(r.cols.dim1) == pytest.approx([1.0, -1.0])
    assert list(r.explained) == pytest.approx([1.0])


def test_2x2_by_hand():
    # [[20, 10], [10, 20]]: χ² = 60·(400 − 100)² / 30⁴ = 6.667, inertia = χ²/60 = 1/9 = φ²;
    # φ = (ad − bc)/√(r1 r2 c1 c2) = 300/900 = 1/3; with equal masses the coordinates are ±φ
    t = pd.DataFrame([[20, 10], [10, 20]], index=["a", "b"], columns=["x", "y"])
    r = correspondence_analysis(t)
    assert r.total_inertia == pytest.approx(1 / 9)
    assert r.eigenvalues[0] == pytest.approx(1 / 9)
    assert list(r.rows.dim1) == pytest.approx([1 / 3, -1 / 3])
    assert list(r.cols.dim1) == pytest.approx([1 / 3, -1 / 3])
    # unequal masses: [[30, 10], [10, 10]], masses r = c = (2/3, 1/3); φ = (300 − 100)/√(40·20·40·20) = 1/4,
    # inertia φ² = 1/16; row coordinates φ·√(r2/r1) = 0.25·√0.5 and −φ·√(r1/r2) = −0.25·√2
    u = correspondence_analysis(pd.DataFrame([[30, 10], [10, 10]]))
    chi2 = chi2_contingency(np.array([[30, 10], [10, 10]]), correction=False)[0]
    assert u.total_inertia == pytest.approx(chi2 / 60) == pytest.approx(1 / 16)
    assert list(u.rows.dim1) == pytest.approx([0.25 * np.sqrt(0.5), -0.25 * np.sqrt(2)])
    assert float((u.row_mass * u.rows.dim1**2).sum()) == pytest.approx(u.total_inertia)
    assert float((u.col_mass * u.cols.dim1**2).sum()) == pytest.approx(u.total_inertia)


def test_inertia_equals_chi2_over_n_and_transition_formula():
    t = pd.DataFrame([[12, 3, 5, 0], [2, 14, 6, 3], [4, 4, 10, 9]], index=list("abc"), columns=list("wxyz"))
    r = correspondence_analysis(t, n_dims=2)
    chi2 = chi2_contingency(t.to_numpy(), correction=False)[0]
    assert r.total_inertia == pytest.approx(chi2 / t.to_numpy().sum())
    assert r.explained.sum() == pytest.approx(1.0) and len(r.eigenvalues) == 2  # min(3, 4) − 1 dimensions
    # transition formula: row principal coordinates = row profiles · column standard coordinates
    P = t.to_numpy() / t.to_numpy().sum()
    profiles = P / P.sum(axis=1, keepdims=True)
    col_std = r.cols.to_numpy() / np.sqrt(r.eigenvalues[:2])
    assert np.allclose(profiles @ col_std, r.rows.to_numpy())
    # the heaviest row has non-negative coordinates (fixed signs)
    assert (r.rows.loc[r.row_mass.idxmax()] >= 0).all()


def test_empty_rows_are_dropped_and_tables_built():
    t = pd.DataFrame([[3, 1], [0, 0], [1, 3]], index=["a", "empty", "b"], columns=["x", "y"])
    r = correspondence_analysis(t)
    assert list(r.rows.index) == ["a", "b"]
    coords = ca_coordinates(r, "词语", "栏目")
    assert list(coords.kind) == ["词语", "词语", "栏目", "栏目"] and list(coords.dim2) == [0.0] * 4
    inertia = ca_inertia(r)
    assert list(inertia.columns) == ["dim", "eigenvalue", "share", "cumulative", "total_inertia"]
    with pytest.raises(ValueError):
        correspondence_analysis(pd.DataFrame([[1, 2]]))


def test_term_and_code_tables():
    tokens = pd.DataFrame({"entry_id": [1, 1, 2, 3, 3, 4], "token": ["等保", "系统", "等保", "系统", "接口", "等保"]})
    groups = pd.Series(["安全", "安全", "集成", None], index=[1, 2, 3, 4])
    t = term_group_table(tokens, groups, n_terms=5, min_docs=1)
    assert t.loc["等保", "安全"] == 2 and "集成" in t.columns and t.loc["等保"].sum() == 2  # entry 4 has no group
    coded = pd.DataFrame({"c1": [True, False, True, True]}, index=pd.Index([1, 2, 3, 4], name="entry_id"))
    c = code_group_table(coded, groups)
    assert c.loc["c1", "安全"] == 1 and c.loc["c1", "集成"] == 1


def test_biplot_draws():
    from corpus_tools.plots.codes import ca_biplot

    t = pd.DataFrame([[12, 3, 5], [2, 14, 6], [4, 4, 10]], index=["等保", "接口", "规划"], columns=["安全", "集成", "规划栏"])
    r = correspondence_analysis(t)
    fig = ca_biplot(ca_coordinates(r, "词语", "栏目"), ca_inertia(r), "词语 × 栏目")
    ax = fig.axes[0]
    assert "第 1 维" in ax.get_xlabel() and "%" in ax.get_xlabel()
    assert {a.get_text() for a in ax.texts} >= {"等保", "安全"}


def test_biplot_of_many_cohorts_labels_the_groups_that_contribute_most():
    """A programme of 90 cohorts: every cohort is drawn as a square, but only the 24 that contribute most to the
    plane are labelled (labelling all buried the map and took minutes per figure at 300 cohorts); the legend says
    so. A cohort with a profile far from the rest (期 0, all its counts on one term) is among the labelled."""
    from corpus_tools.plots.codes import ca_biplot, ca_contributions

    rng = np.random.default_rng(0)
    counts = rng.integers(1, 6, size=(12, 90))
    counts[:, 0] = 0
    counts[0, 0] = 40  # cohort 0 uses term 0 only
    t = pd.DataFrame(counts, index=[f"词{i}" for i in range(12)], columns=[f"第{j}期" for j in range(90)])
    r = correspondence_analysis(t)
    coords, inertia = ca_coordinates(r, "词语", "期次"), ca_inertia(r)
    fig = ca_biplot(coords, inertia, "词语 × 期次")
    ax = fig.axes[0]
    assert len(ax.collections[1].get_offsets()) == 90  # every cohort drawn
    cols = coords[coords.kind == "期次"]
    top = set(cols.loc[ca_contributions(cols, inertia).sort_values(ascending=False, kind="stable").index[:24]].label)
    groups = {a.get_text() for a in ax.texts if a.get_text().startswith("第")}
    assert groups == top and "第0期" in groups
    assert "共 90 个" in " ".join(x.get_text() for x in fig.legends[0].get_texts())

def test_ca_tables_on_the_booklet(booklet, tmp_path_factory):
    from corpus_tools.codes import code_entries, entry_parts, load_codebook
    from corpus_tools.text import analysis_tokens, tokenizer_for, tokens_table

    tk = tokenizer_for(booklet, cache_dir=tmp_path_factory.mktemp("cache"))
    toks = tokens_table(booklet, tk)
    coded = code_entries(load_codebook(), toks, booklet.entries.entry_id, entry_parts(booklet))
    t = ca_tables(analysis_tokens(toks, "concept"), coded, booklet.entries)
    coords, inertia = t["ca_coordinates"], t["ca_inertia"]
    assert set(coords.analysis) == set(CA_ANALYSES)
    sections = coords[(coords.analysis == "terms_sections") & (coords.kind == "栏目")]
    assert set(sections.label) == set(booklet.sections.section)
    assert len(inertia[inertia.analysis == "terms_cohorts"]) == 2  # three cohorts: two dimensions
    for name, g in inertia.groupby("analysis"):
        assert g.share.sum() == pytest.approx(1.0)
    # the masses of each side sum to 1
    for (name, kind), g in coords.groupby(["analysis", "kind"]):
        assert g.mass.sum() == pytest.approx(1.0)
