"""The statistics of stats.py against scipy and against values computed by hand / printed in textbooks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binomtest, false_discovery_control, fisher_exact, hypergeom

from corpus_tools import stats

TABLES = [(2, 16, 3, 11), (0, 41, 5, 16), (7, 41, 0, 16), (11, 41, 2, 16), (3, 10, 3, 10), (1, 5, 4, 5),
          (12, 41, 2, 16), (0, 3, 3, 3), (5, 20, 5, 20), (9, 68, 1, 68)]


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_fisher_matches_scipy(alternative):
    k1, n1, k2, n2 = (np.array(x) for x in zip(*TABLES))
    got = stats.fisher_test(k1, n1, k2, n2, alternative)
    for (a, n_a, b, n_b), p in zip(TABLES, got):
        want = fisher_exact([[a, n_a - a], [b, n_b - b]], alternative=alternative).pvalue
        assert p == pytest.approx(want, rel=1e-9, abs=1e-12), (a, n_a, b, n_b)


def test_fisher_many_random_tables_match_scipy():
    rng = np.random.default_rng(1)
    n1 = rng.integers(1, 60, 400)
    n2 = np.where(rng.uniform(size=400) < 0.3, n1, rng.integers(1, 60, 400))  # balanced tables: symmetric ties
    k1, k2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    got = stats.fisher_test(k1, n1, k2, n2)
    want = [fisher_exact([[a, x - a], [b, y - b]]).pvalue for a, x, b, y in zip(k1, n1, k2, n2)]
    assert np.allclose(got, want, rtol=1e-7, atol=1e-12)


def test_fisher_by_hand():
    # [[3, 1], [1, 3]] (tea tasting): P(X = 3) = C(4,3)C(4,1)/C(8,4) = 16/70, P(X = 4) = 1/70; two-sided doubles
    assert stats.fisher_test(3, 4, 1, 4, "greater") == pytest.approx(17 / 70)
    assert stats.fisher_test(3, 4, 1, 4) == pytest.approx(34 / 70)
    # 数据中心 2/16 entries (第2期) vs 3/11 (第3期): tables as probable as the observed one or less
    m, k, n = 27, 5, 16
    pmf = [math.comb(k, x) * math.comb(m - k, n - x) / math.comb(m, n) for x in range(0, 6)]
    want = sum(q for q in pmf if q <= pmf[2] * (1 + 1e-7))
    assert stats.fisher_test(2, 16, 3, 11) == pytest.approx(want)
    assert stats.fisher_test(2, 16, 3, 11) > 0.3  # far from significant
    with pytest.raises(ValueError):
        stats.fisher_test(5, 4, 0, 3)


def test_fisher_scalar_and_degenerate():
    assert float(stats.fisher_test(0, 10, 0, 10)) == 1.0  # nobody uses the term
    assert np.shape(stats.fisher_test(1, 2, 1, 2)) == ()


def test_bh_matches_scipy_and_by_hand():
    rng = np.random.default_rng(0)
    for p in (rng.uniform(size=40), rng.uniform(size=7) ** 4, np.array([0.01, 0.04, 0.03, 0.5, 0.04])):
        assert np.array_equal(stats.bh_qvalues(p), false_discovery_control(p, method="bh"))  # scipy's, exactly
        grid = p[:4].reshape(2, 2)  # any shape: BH over all the values
        assert np.array_equal(stats.bh_qvalues(grid).ravel(), false_discovery_control(grid.ravel(), method="bh"))
    # by hand: p = 0.01, 0.02, 0.03, 0.5 (m = 4): 0.04, 0.04, 0.04, 0.5
    assert np.allclose(stats.bh_qvalues([0.03, 0.01, 0.5, 0.02]), [0.04, 0.04, 0.5, 0.04])
    q = stats.bh_qvalues([0.01, np.nan, 0.02])  # NaN is not a test
    assert np.isnan(q[1]) and np.allclose(q[[0, 2]], [0.02, 0.02])


def test_bh_with_multiplicities_is_bh_of_the_expanded_list():
    # by hand: 0.01 twice and 0.5 once (m = 3): the tied pair takes the q of the last of them, 0.01·3/2
    assert np.array_equal(stats.bh_qvalues_counted([0.01, 0.5], [2, 1]), [0.015, 0.5])
    rng = np.random.default_rng(3)
    for _ in range(20):
        values = np.round(rng.uniform(size=30) ** 3, 3)  # rounded: values repeat across entries
        values[rng.integers(0, 30, 3)] = np.nan
        counts = rng.integers(0, 50, 30)
        expanded = np.repeat(values, counts)
        want = stats.bh_qvalues(expanded)
        got = np.repeat(stats.bh_qvalues_counted(values, counts), counts)
        assert np.array_equal(got, want, equal_nan=True)  # exact, not approximate


# Agresti (1990, pp. 231–237), "Penicillin and Rabbits", the example of R's mantelhaen.test: rows = delay
# (none, 1.5 h), columns = (cured, died), five penicillin levels.
RABBITS = [[[0, 6], [0, 5]], [[3, 3], [0, 6]], [[6, 0], [2, 4]], [[5, 1], [6, 0]], [[2, 0], [5, 0]]]


def _margins(tables):
    t = np.array(tables)
    return t[:, 0, 0], t[:, 0].sum(1), t[:, :, 0].sum(1), t.sum((1, 2))


def test_cmh_textbook_example():
    a, n1, m1, n = _margins(RABBITS)
    stat, p, delta, odds = stats.cmh_test(a, n1, m1, n)
    # by hand: Σa = 16, ΣE = 0 + 1.5 + 4 + 5.5 + 2 = 13; ΣV = (972 + 1152 + 396) / 1584; ((3 − ½)² / ΣV)
    assert delta == pytest.approx(3.0)
    assert stat == pytest.approx(6.25 / (2520 / 1584))  # 3.9286, as R prints
    assert p == pytest.approx(0.04747, abs=5e-5)  # R: p-value = 0.04747
    # MH odds ratio: Σ ad/n / Σ bc/n = (0 + 18/12 + 24/12 + 0 + 0) / (0 + 0 + 0 + 6/12 + 0) = 7
    assert odds == pytest.approx(7.0)
    stat_nc, p_nc, _, _ = stats.cmh_test(a, n1, m1, n, correction=False)
    assert stat_nc == pytest.approx(9 / (2520 / 1584)) and p_nc < p


def test_stratified_exact_textbook_example():
    a, n1, m1, n = _margins(RABBITS)
    # R: mantelhaen.test(Rabbits, exact = TRUE) → p = 0.040; alternative = "greater" → p = 0.020
    assert stats.stratified_exact_test(a, n1, m1, n) == pytest.approx(0.040, abs=5e-4)
    assert stats.stratified_exact_test(a, n1, m1, n, "greater") == pytest.approx(0.020, abs=5e-4)


def test_one_stratum_is_fisher():
    for a, n_a, b, n_b in TABLES:
        args = ([a], [n_a], [a + b], [n_a + n_b])
        for alt in ("two-sided", "greater", "less"):
            want = fisher_exact([[a, n_a - a], [b, n_b - b]], alternative=alt).pvalue
            if 0 < a + b < n_a + n_b:
                assert stats.stratified_exact_test(*args, alternative=alt) == pytest.approx(want, rel=1e-9)
    # a stratum where nothing can vary is not informative
    assert math.isnan(stats.stratified_exact_test([0], [3], [0], [5]))
    stat, p, _, _ = stats.cmh_test([[0]], [[3]], [[0]], [[5]])
    assert np.isnan(p[0])


def test_cmh_vectorised_over_tests():
    a, n1, m1, n = _margins(RABBITS)
    stat, p, _, _ = stats.cmh_test(np.stack([a, a]), n1, m1, n)
    assert stat.shape == (2,) and stat[0] == stat[1]


def test_hypergeom_and_binom_upper():
    # an instructor answering 37 of 68 entries answers 8 of a topic's 8: P = C(37,8)/C(68,8)
    assert stats.hypergeom_upper(8, 68, 37, 8) == pytest.approx(math.comb(37, 8) / math.comb(68, 8))
    for k, N, K, n in itertools.product([0, 3, 5], [68], [4, 37], [5, 12]):
        want = hypergeom.sf(k - 1, N, K, n)
        assert stats.hypergeom_upper(k, N, K, n) == pytest.approx(want)
    assert stats.hypergeom_upper(0, 68, 37, 8) == pytest.approx(1.0)
    assert stats.binom_upper(6, 8, 37 / 68) == pytest.approx(binomtest(6, 8, 37 / 68, "greater").pvalue)


def test_adjusted_residuals_by_hand():
    t = np.array([[10, 20], [30, 40]])
    # N = 100, rows 30/70, cols 40/60; cell (0,0): E = 12, (10 − 12)/√(12·0.7·0.6)
    r = stats.adjusted_residuals(t)
    assert r[0, 0] == pytest.approx(-2 / math.sqrt(12 * 0.7 * 0.6))
    # in a 2×2 table all four residuals have the same size, and its square is Pearson's χ² (no correction)
    from scipy.stats import chi2_contingency
    assert np.allclose(np.abs(r), abs(r[0, 0]))
    assert r[0, 0] ** 2 == pytest.approx(chi2_contingency(t, correction=False)[0])


def test_stratified_exact_two_strata_by_hand():
    """Stratum 1: n = 4, row 1 = 3, column 1 = 3, a = 3 → P(a) = C(3,a)·C(1,3−a)/C(4,3): P(2) = 3/4, P(3) = 1/4.
    Stratum 2: n = 6, row 1 = 1, column 1 = 1, a = 1 → P(0) = 5/6, P(1) = 1/6. Σa: P(2) = 15/24, P(3) = 8/24,
    P(4) = 1/24. Observed Σa = 4: two-sided = 1/24 (nothing else as improbable), greater = 1/24, less = 1;
    observed Σa = 3: two-sided = 8/24 + 1/24 = 9/24, less = 23/24."""
    assert stats.stratified_exact_test([3, 1], [3, 1], [3, 1], [4, 6]) == pytest.approx(1 / 24)
    assert stats.stratified_exact_test([3, 1], [3, 1], [3, 1], [4, 6], "greater") == pytest.approx(1 / 24)
    assert stats.stratified_exact_test([3, 1], [3, 1], [3, 1], [4, 6], "less") == pytest.approx(1.0)
    assert stats.stratified_exact_test([3, 0], [3, 1], [3, 1], [4, 6]) == pytest.approx(9 / 24)
    assert stats.stratified_exact_test([3, 0], [3, 1], [3, 1], [4, 6], "less") == pytest.approx(23 / 24)


def test_cochran_armitage_by_hand():
    """r = (1, 3, 5) of n = (41, 16, 11), scores 1, 2, 3. R = 9, N = 68, p̄ = 9/68. Σnt = 41 + 32 + 33 = 106,
    Σnt² = 41 + 64 + 99 = 204, Σtr = 1 + 6 + 15 = 22. T = 22 − 106·9/68 = 7.97059; Var = (9/68)(59/68)(204 − 106²/68)
    = 0.1148356 · 38.76471 = 4.451557; z = 7.97059 / 2.109871 = 3.77776."""
    z, p = stats.cochran_armitage([1, 3, 5], [41, 16, 11], [1, 2, 3])
    T = 22 - 106 * 9 / 68
    var = (9 / 68) * (59 / 68) * (204 - 106 ** 2 / 68)
    assert z == pytest.approx(3.77776, abs=1e-5) and z == pytest.approx(T / math.sqrt(var))
    from scipy.stats import norm
    assert p == pytest.approx(2 * norm.sf(3.77776), rel=1e-4)
    # falling shares give z < 0; equal shares give z = 0
    assert stats.cochran_armitage([5, 3, 1], [10, 10, 10], [1, 2, 3])[0] < 0
    assert stats.cochran_armitage([2, 2, 2], [10, 10, 10], [1, 2, 3])[0] == pytest.approx(0.0)
    assert math.isnan(stats.cochran_armitage([0, 0], [5, 5], [1, 2])[0])


def test_cochran_armitage_with_two_groups_is_pearson_chi2():
    """With two groups the trend test is the uncorrected Pearson χ² of the 2×2 table: z² = χ²."""
    from scipy.stats import chi2_contingency

    for r1, n1, r2, n2 in ((3, 10, 7, 12), (1, 41, 3, 16), (0, 5, 4, 6)):
        z, p = stats.cochran_armitage([r1, r2], [n1, n2], [1, 2])
        chi, p_chi, _, _ = chi2_contingency([[r1, n1 - r1], [r2, n2 - r2]], correction=False)
        assert z * z == pytest.approx(chi) and p == pytest.approx(p_chi)


def test_stratified_trend_by_hand():
    """Stratum A: score 1 (n 2, r 0), score 2 (n 2, r 2): N = 4, R = 2, Σnt = 6, Σnt² = 10, Σtr = 4, E = 2·6/4 = 3,
    V = 2·2·(4·10 − 36)/(16·3) = 1/3. Stratum B has one score only (n 3, r 1): it adds 1 to both T and E and nothing
    to V. z = (4 − 3)/√(1/3) = √3."""
    z, p = stats.stratified_trend_test([0, 2, 1], [2, 2, 3], [1, 2, 1], ["A", "A", "B"])
    assert z == pytest.approx(math.sqrt(3))
    from scipy.stats import norm
    assert p == pytest.approx(2 * norm.sf(math.sqrt(3)))
    # groups that share no stratum cannot be compared within strata
    assert math.isnan(stats.stratified_trend_test([1, 3], [5, 5], [1, 2], ["A", "B"])[1])


def test_min_fisher_p_by_hand():
    """3 vs 3 entries: the most extreme table [[3, 0], [0, 3]] has P = 1/C(6,3) = 1/20, and its mirror as much:
    two-sided 2/20 = 0.1 — no 3-vs-3 comparison can reach p < 0.05. 16 vs 11: [[0, 16], [11, 0]] has
    P = 1/C(27,11), the only table that improbable."""
    assert stats.min_fisher_p(3, 3) == pytest.approx(0.1)
    assert stats.min_fisher_p(16, 11) == pytest.approx(1 / math.comb(27, 11))
    assert stats.min_fisher_p(0, 5) == 1.0
