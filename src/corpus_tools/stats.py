"""Small, vectorised significance tests for counts of *entries* (documents), used by trends, keyness, unit fit
and instructor dependence. Pure functions on numbers and numpy arrays; nothing here knows about booklets.

- :func:`fisher_test`: Fisher's exact test of a 2×2 table "k₁ of n₁ entries in group A contain the term, k₂ of
  n₂ in group B", for many terms at once. Two-sided p = the sum of the probabilities of all tables with the same
  margins that are no more probable than the observed one (relative tolerance 1e-7, as R's ``fisher.test``;
  scipy's ``fisher_exact`` uses the same definition). One-sided p = hypergeometric tail.
- :func:`bh_qvalues`: Benjamini–Hochberg adjusted p-values (q-values, scipy's ``false_discovery_control``), NaN
  left as NaN; :func:`bh_qvalues_counted` the same for values given with their multiplicities.
- :func:`log_likelihood` / :func:`g2_array`: Dunning's G² of 2×2 tables; :func:`chi_square` /
  :func:`chi_square_array`: Pearson's χ² (Yates' correction when an expected count is under 5);
  :func:`chi2_pvalue`: their p-value (χ², 1 df); :func:`log_ratio` / :func:`log_ratio_array`: log₂ ratio of
  relative frequencies (effect size).
- :func:`cmh_test`: Cochran–Mantel–Haenszel χ² for K stratified 2×2 tables (with or without continuity
  correction, as R's ``mantelhaen.test``), with the Mantel–Haenszel common odds ratio.
- :func:`stratified_exact_test`: the exact conditional test of the same hypothesis (the sum of the strata's
  top-left cells, whose null distribution is the convolution of the strata's hypergeometric distributions).
- :func:`hypergeom_upper`, :func:`binom_upper`: upper-tail p of "k of n draws are of a kind that makes up K of N"
  (without / with replacement).
- :func:`adjusted_residuals`: Haberman's adjusted standardised residuals of an R×C table.
- :func:`cochran_armitage`: trend in proportions across ordered groups; :func:`stratified_trend_test` its
  extension within strata (Mantel); :func:`min_fisher_p`: the smallest p a Fisher test of two group sizes can reach.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom, chi2, false_discovery_control, hypergeom, norm

REL_TOL = 1e-7  # two tables are "as probable" when their probabilities differ by less than this (relative)


def _as_int(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def fisher_test(k1, n1, k2, n2, alternative: str = "two-sided") -> np.ndarray:
    """Fisher's exact p for each row of the 2×2 tables ``[[k1, n1 − k1], [k2, n2 − k2]]``.

    Arrays (or scalars) of equal shape: ``k1`` successes of ``n1`` in group A, ``k2`` of ``n2`` in group B.
    ``alternative``: "two-sided", "greater" (A has the higher rate) or "less". Returns float p-values of that
    shape; 1.0 where a margin is zero."""
    k1, n1, k2, n2 = np.broadcast_arrays(_as_int(k1), _as_int(n1), _as_int(k2), _as_int(n2))
    shape = k1.shape
    k1, n1, k2, n2 = (a.ravel() for a in (k1, n1, k2, n2))
    if np.any((k1 < 0) | (k2 < 0) | (k1 > n1) | (k2 > n2)):
        raise ValueError("fisher_test needs 0 ≤ k ≤ n in both groups")
    M, K = n1 + n2, k1 + k2
    if alternative == "greater":
        p = hypergeom.sf(k1 - 1, M, K, n1)
    elif alternative == "less":
        p = hypergeom.cdf(k1, M, K, n1)
    elif alternative == "two-sided":
        p = _two_sided(k1, M, K, n1)
    else:
        raise ValueError("alternative must be 'two-sided', 'greater' or 'less'")
    p = np.clip(p, 0.0, 1.0)
    p[(K == 0) | (K == M) | (n1 == 0) | (n2 == 0)] = 1.0
    return p.reshape(shape)


def _two_sided(x, M, K, n) -> np.ndarray:
    """Two-sided hypergeometric p: P(X ≤ x) plus the far tail beyond the mode down to the last value no more
    probable than x (found by a vectorised bisection on the monotone side of the mode)."""
    x, M, K, n = (np.asarray(v, dtype=np.int64) for v in (x, M, K, n))
    lo, hi = np.maximum(0, n - (M - K)), np.minimum(K, n)
    mode = np.clip(((n + 1) * (K + 1)) // (M + 2), lo, hi)
    lp_obs = hypergeom.logpmf(x, M, K, n)
    lp_mode = hypergeom.logpmf(mode, M, K, n)
    cut = lp_obs + np.log1p(REL_TOL)
    p = np.ones(len(x))
    at_mode = lp_mode <= cut  # the observed table is as probable as the most probable one
    below = (x < mode) & ~at_mode
    above = (x > mode) & ~at_mode
    # below the mode: first y in (mode, hi] with pmf(y) ≤ pmf(x); pmf decreases there
    if below.any():
        a, b = mode[below] + 1, hi[below] + 1  # answer in [a, b]; b = none
        c, MM, KK, nn = cut[below], M[below], K[below], n[below]
        while np.any(a < b):
            act, mid = a < b, (a + b) // 2
            ok = hypergeom.logpmf(mid, MM, KK, nn) <= c
            a, b = np.where(act & ~ok, mid + 1, a), np.where(act & ok, mid, b)
        p[below] = hypergeom.cdf(x[below], MM, KK, nn) + hypergeom.sf(a - 1, MM, KK, nn)
    # above the mode: last y in [lo, mode) with pmf(y) ≤ pmf(x); pmf increases there
    if above.any():
        a, b = lo[above] - 1, mode[above] - 1  # answer in [a, b]; a = none
        c, MM, KK, nn = cut[above], M[above], K[above], n[above]
        while np.any(a < b):
            act, mid = a < b, (a + b + 1) // 2
            ok = hypergeom.logpmf(mid, MM, KK, nn) <= c
            a, b = np.where(act & ok, mid, a), np.where(act & ~ok, mid - 1, b)
        p[above] = hypergeom.sf(x[above] - 1, MM, KK, nn) + np.where(a >= lo[above], hypergeom.cdf(a, MM, KK, nn),
                                                                      0.0)
    return p


def bh_qvalues(p) -> np.ndarray:
    """Benjamini–Hochberg q-values of the p-values ``p`` (any shape): scipy's
    ``false_discovery_control(method="bh")`` over the non-missing values (q₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎·m/j,
    capped at 1; m counts the non-missing p-values); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    flat, out = p.ravel(), q.reshape(-1)
    ok = np.flatnonzero(~np.isnan(flat))
    if len(ok):
        out[ok] = false_discovery_control(flat[ok], method="bh")
    return q


def bh_qvalues_counted(p, counts) -> np.ndarray:
    """:func:`bh_qvalues` of a list given as values and multiplicities: ``p[i]`` stands for ``counts[i]`` equal
    p-values (1-d arrays of equal length). Returns the q-value of each ``p[i]``, bit for bit what
    :func:`bh_qvalues` gives those values in the expanded list (m = Σ counts; tied p-values share the q of the
    last of them), without expanding it — e.g. the (group, term) cells of a keyness table that share their
    margins. NaN stays NaN; entries with count 0 get the q of their value where it occurs, NaN otherwise."""
    p = np.asarray(p, dtype=float).ravel()
    counts = np.asarray(counts, dtype=np.int64).ravel()
    if p.shape != counts.shape:
        raise ValueError("bh_qvalues_counted needs p and counts of equal length")
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p) & (counts > 0)
    if not ok.any():
        return q
    values, inv = np.unique(p[ok], return_inverse=True)
    n = np.zeros(len(values), dtype=np.int64)
    np.add.at(n, inv, counts[ok])
    last = np.cumsum(n)  # rank of the last p-value equal to each value
    m = int(last[-1])
    ranked = values * (m / last)  # scipy's operation order (p · (m / rank)), so the bits match
    ranked = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    pos = np.searchsorted(values, p)
    found = ~np.isnan(p) & (pos < len(values))
    found[found] = values[pos[found]] == p[found]
    q[found] = ranked[pos[found]]
    return q


def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """Dunning's G² for the 2×2 table [[a, b], [c, d]] (a: term in target, b: term in reference, c/d: the other
    tokens); 0·log 0 counts as 0."""
    return float(g2_array(a, b, c, d))


def g2_array(a, b, c, d) -> np.ndarray:
    """:func:`log_likelihood` on arrays of equal (or broadcastable) shape."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    g = np.zeros(np.broadcast(a, b, c, d).shape)
    for obs, row, col in ((a, a + b, a + c), (b, a + b, b + d), (c, c + d, a + c), (d, c + d, b + d)):
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(obs > 0, obs * np.log(obs * n / (row * col)), 0.0)
        g = g + term
    return 2 * g


def chi_square(a: float, b: float, c: float, d: float) -> tuple[float, bool]:
    """Pearson's χ² for the 2×2 table, with Yates' continuity correction when an expected count is under 5;
    returns ``(chi2, corrected)``."""
    x2, corrected = chi_square_array(a, b, c, d)
    return float(x2), bool(corrected)


def chi_square_array(a, b, c, d) -> tuple[np.ndarray, np.ndarray]:
    """:func:`chi_square` on arrays: ``(chi2, corrected)``."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    exps = np.stack([(a + b) * (a + c), (a + b) * (b + d), (c + d) * (a + c), (c + d) * (b + d)]) / n
    corrected = exps.min(axis=0) < 5
    diff = np.abs(a * d - b * c)
    diff = np.where(corrected, np.maximum(0.0, diff - n / 2), diff)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = np.where(denom > 0, n * diff * diff / denom, 0.0)
    return x2, corrected


def chi2_pvalue(stat):
    """Upper-tail p of a χ² statistic with 1 degree of freedom (G² or Pearson's χ² of a 2×2 table)."""
    return chi2.sf(stat, df=1)


def log_ratio(a: float, b: float, total_a: float, total_b: float) -> float:
    """Effect size: log₂ of the ratio of relative frequencies ``(a / total_a) / (b / total_b)``, with 0.5 in
    place of a zero count."""
    return math.log2(((a or 0.5) / total_a) / ((b or 0.5) / total_b))


def log_ratio_array(a, b, total_a, total_b) -> np.ndarray:
    """:func:`log_ratio` on arrays."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.log2((np.where(a > 0, a, 0.5) / total_a) / (np.where(b > 0, b, 0.5) / total_b))


def _strata(a, n1, m1, n):
    a, n1, m1, n = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a, n1, m1, n)))
    return a, n1, m1, n


def cmh_test(a, n1, m1, n, correction: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cochran–Mantel–Haenszel test over strata (last axis = strata; leading axes = independent tests).

    Per stratum: ``a`` = count in row 1 and column 1, ``n1`` = row-1 total, ``m1`` = column-1 total, ``n`` = stratum
    size. Returns ``(statistic, p_value, delta, mh_odds_ratio)``: χ² with 1 df, with the continuity correction of
    R's ``mantelhaen.test`` (subtract ½ from |Σa − ΣE| when it is at least ½); ``delta`` = Σa − ΣE(a) (its sign is
    the direction); strata with fewer than 2 members add nothing. p is NaN where no stratum is informative."""
    a, n1, m1, n = _strata(a, n1, m1, n)
    n2, m2 = n - n1, n - m1
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(n > 0, n1 * m1 / n, 0.0)
        v = np.where(n > 1, n1 * n2 * m1 * m2 / (n * n * (n - 1)), 0.0)
        delta = (a - e).sum(axis=-1)
        var = v.sum(axis=-1)
        yates = 0.5 if correction else 0.0
        num = np.abs(delta)
        num = np.where(num >= yates, num - yates, num)
        stat = np.where(var > 0, num * num / var, np.nan)
        p = chi2.sf(stat, 1)
        b, c = n1 - a, m1 - a
        d = n - n1 - c
        odds = np.where(n > 0, a * d / n, 0).sum(axis=-1) / np.where(n > 0, b * c / n, 0).sum(axis=-1)
    return stat, p, delta, odds


def stratified_exact_test(a, n1, m1, n, alternative: str = "two-sided") -> float:
    """Exact conditional test of no association in K stratified 2×2 tables (1-d arrays over strata, as
    :func:`cmh_test`): the null distribution of Σa is the convolution of each stratum's hypergeometric
    distribution. Two-sided p sums the outcomes no more probable than the observed one (as R's
    ``mantelhaen.test(exact = TRUE)``); "greater" / "less" are the upper / lower tails. NaN if no stratum varies."""
    a, n1, m1, n = (np.asarray(x, dtype=np.int64).ravel() for x in (a, n1, m1, n))
    dist, lo_total = np.ones(1), 0
    informative = False
    for ak, n1k, m1k, nk in zip(a, n1, m1, n):
        lo, hi = max(0, m1k - (nk - n1k)), min(m1k, n1k)
        if hi > lo:
            informative = True
        pmf = hypergeom.pmf(np.arange(lo, hi + 1), nk, m1k, n1k) if nk > 0 else np.ones(1)
        dist = np.convolve(dist, pmf)
        lo_total += lo
    if not informative:
        return float("nan")
    obs = int(a.sum()) - lo_total
    if alternative == "greater":
        p = dist[obs:].sum()
    elif alternative == "less":
        p = dist[:obs + 1].sum()
    elif alternative == "two-sided":
        p = dist[dist <= dist[obs] * (1 + REL_TOL)].sum()
    else:
        raise ValueError("alternative must be 'two-sided', 'greater' or 'less'")
    return float(min(1.0, p))


def hypergeom_upper(k, N, K, n) -> np.ndarray:
    """P(X ≥ k) for X ~ Hypergeometric(population ``N``, ``K`` marked, ``n`` drawn): how surprising it is that
    ``k`` of the ``n`` entries of a topic are answered by someone who answers ``K`` of all ``N`` entries."""
    return np.asarray(hypergeom.sf(_as_int(k) - 1, _as_int(N), _as_int(K), _as_int(n)), dtype=float)


def binom_upper(k, n, p) -> np.ndarray:
    """P(X ≥ k) for X ~ Binomial(``n``, ``p``) (the with-replacement approximation of :func:`hypergeom_upper`)."""
    return np.asarray(binom.sf(_as_int(k) - 1, _as_int(n), np.asarray(p, dtype=float)), dtype=float)


def adjusted_residuals(table) -> np.ndarray:
    """Haberman's adjusted standardised residuals of an R×C count table: (O − E) / √(E·(1 − rᵢ/N)·(1 − cⱼ/N)),
    E = rᵢcⱼ/N. Approximately standard normal under independence (|r| > 1.96 ≈ p < 0.05 for one cell).
    NaN where a row or column is empty."""
    o = np.asarray(table, dtype=float)
    N = o.sum()
    r, c = o.sum(axis=1, keepdims=True), o.sum(axis=0, keepdims=True)
    e = r * c / N
    with np.errstate(divide="ignore", invalid="ignore"):
        return (o - e) / np.sqrt(e * (1 - r / N) * (1 - c / N))


def npmi(p_ab, p_a, p_b) -> np.ndarray:
    """Normalised pointwise mutual information log(p(a,b) / p(a)p(b)) / −log p(a,b), elementwise, in [−1, 1]:
    −1 for pairs never seen together, 1 for pairs seen in every window. The one NPMI of the project (topic
    coherence and the term co-occurrence network use it)."""
    p_ab, p_a, p_b = (np.asarray(x, dtype=float) for x in (p_ab, p_a, p_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)
    out = np.where(p_ab <= 0, -1.0, out)
    return np.where(p_ab >= 1, 1.0, out)


def cochran_armitage(successes, totals, scores) -> tuple[float, float]:
    """Cochran–Armitage test for a trend in proportions across ordered groups (1-d arrays over groups): ``successes``
    r_i of ``totals`` n_i, group scores t_i (e.g. the cohort numbers). With R = Σr, N = Σn, p̄ = R/N:
    T = Σ t_i (r_i − n_i p̄), Var T = p̄(1 − p̄) [Σ n_i t_i² − (Σ n_i t_i)² / N], z = T / √Var T (the statistic of R's
    ``prop.trend.test`` is z²). Returns ``(z, two-sided p)``; NaN when p̄ is 0 or 1 or all scores are equal. z > 0:
    the proportion rises with the score."""
    r, n, t = (np.asarray(x, dtype=float).ravel() for x in (successes, totals, scores))
    N, R = n.sum(), r.sum()
    if N <= 0:
        return float("nan"), float("nan")
    p = R / N
    var = p * (1 - p) * ((n * t * t).sum() - (n * t).sum() ** 2 / N)
    if not var > 0:
        return float("nan"), float("nan")
    z = float((t * (r - n * p)).sum() / np.sqrt(var))
    return z, float(2 * norm.sf(abs(z)))


def stratified_trend_test(successes, totals, scores, strata) -> tuple[float, float]:
    """Mantel's extension of the trend test to strata (1-d arrays over (stratum, group) cells): within each stratum
    s the successes are fixed (R_s of N_s) and T = Σ t·r is compared with its conditional expectation
    E_s = R_s Σ n t / N_s and variance V_s = R_s (N_s − R_s) [N_s Σ n t² − (Σ n t)²] / (N_s² (N_s − 1)); z =
    (ΣT − ΣE) / √ΣV. A stratum with one group (or no variation) adds nothing. Returns ``(z, two-sided p)``, NaN
    when no stratum varies — e.g. groups (cohorts) that share no stratum (unit) cannot be compared within strata."""
    r, n, t = (np.asarray(x, dtype=float).ravel() for x in (successes, totals, scores))
    strata = np.asarray(strata).ravel()
    obs = exp = var = 0.0
    for s in pd_unique(strata):
        m = strata == s
        Ns, Rs = n[m].sum(), r[m].sum()
        if Ns < 2:
            continue
        st, stt = (n[m] * t[m]).sum(), (n[m] * t[m] * t[m]).sum()
        obs += (t[m] * r[m]).sum()
        exp += Rs * st / Ns
        var += Rs * (Ns - Rs) * (Ns * stt - st * st) / (Ns * Ns * (Ns - 1))
    if not var > 0:
        return float("nan"), float("nan")
    z = float((obs - exp) / np.sqrt(var))
    return z, float(2 * norm.sf(abs(z)))


def pd_unique(values) -> list:
    """The distinct values in order of first appearance."""
    return list(dict.fromkeys(np.asarray(values).ravel().tolist()))


def min_fisher_p(n1: int, n2: int) -> float:
    """The smallest two-sided p Fisher's exact test (:func:`fisher_test`) can give two groups of ``n1`` and ``n2``
    entries, over every possible table (any number of entries using the term): a comparison whose smallest p,
    multiplied by the number of tests, exceeds α cannot find anything — it has no power."""
    N = n1 + n2
    if n1 <= 0 or n2 <= 0:
        return 1.0
    K = np.repeat(np.arange(1, N), [min(k, n1) - max(0, k - n2) + 1 for k in range(1, N)])
    lo = np.maximum(0, K - n2)
    x = lo + np.concatenate([np.arange(min(k, n1) - max(0, k - n2) + 1) for k in range(1, N)])
    return float(fisher_test(x, n1, K - x, n2).min())
