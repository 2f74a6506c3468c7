"""The statistics behind weak links and changes: pure functions of counts (numpy/scipy).

* ``wilson_interval(x, n)``: the Wilson score interval for a proportion x/n (Wilson 1927),
  95 % by default: centre (p̂ + z²/2n) / (1 + z²/n), half-width
  z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n). Unlike p̂ ± z·√(p̂(1−p̂)/n) it stays inside [0, 1]
  and is sensible for small n and for 0 or n successes (statsmodels
  ``proportion_confint(method="wilson")``).
* ``two_proportion_ztest(x1, n1, x2, n2)``: the pooled two-sided z-test of p1 = p2:
  z = (p̂1 − p̂2) / √(p̂(1−p̂)(1/n1 + 1/n2)) with p̂ = (x1+x2)/(n1+n2) (statsmodels
  ``proportions_ztest``). z = 0, p = 1 when p̂ is 0 or 1 (both samples agree exactly).
* ``difference_interval(x1, n1, x2, n2)``: p̂1 − p̂2 with its Wald interval, half-width
  z·√(p̂1(1−p̂1)/n1 + p̂2(1−p̂2)/n2) (unpooled; statsmodels
  ``confint_proportions_2indep(method="wald", compare="diff")``).
* ``proportion_test``: the z-test, or Fisher's exact test (two-sided: the probability of
  every table with the same margins no more likely than the one seen; scipy
  ``fisher_exact``) when an expected count of the 2×2 table is below 5, where the normal
  approximation is poor (Cochran's rule). The hypergeometric probabilities come from
  ``scipy.special.gammaln``, not ``scipy.stats``, which takes about a second to import;
  tests hold them equal to scipy's to 1e-9.
* ``proportion_tests(x1, n1, x2, n2)``: the same choice over arrays of tables at once (the
  change scan tests thousands of windows): the z-test, or where an expected count is below
  5 Fisher's exact test with the two-sided p taken as twice the smaller one-sided
  hypergeometric tail (capped at 1), which vectorises.
* ``benjamini_hochberg(p)``: q-values controlling the false discovery rate (Benjamini &
  Hochberg 1995): sort p ascending, q_(i) = min over j ≥ i of p_(j)·m/j, capped at 1
  (statsmodels ``multipletests(method="fdr_bh")``). A cell is significant at level α when
  q ≤ α.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

FISHER_BELOW = 5.0
"""Fisher's exact test replaces the z-test when an expected count is below this."""


def _z(confidence: float) -> float:
    """The two-sided standard normal quantile, e.g. 1.95996 for 0.95."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials``; (0, 1) for no trials."""
    if trials <= 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # exactly 0 (1) at 0 (all) successes, where the formula only rounds to it
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def two_proportion_ztest(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) of the pooled z-test that x1/n1 and x2/n2 share one proportion."""
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2))


def difference_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
                        ) -> tuple[float, float, float]:
    """(x1/n1 − x2/n2, low, high): the difference of two proportions and its Wald interval."""
    p1, p2 = x1 / n1, x2 / n2
    half = _z(confidence) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p1 - p2, p1 - p2 - half, p1 - p2 + half


@dataclass(frozen=True)
class ProportionTest:
    """The result of comparing two proportions: which test, its statistic (z; Fisher: the
    odds ratio) and the two-sided p-value."""

    method: Literal["z", "fisher"]
    statistic: float
    p: float


def proportion_test(x1: int, n1: int, x2: int, n2: int) -> ProportionTest:
    """Compare x1/n1 with x2/n2: the z-test, or Fisher's exact test when the smallest
    expected count of the 2×2 table (row total × column total / n) is below ``FISHER_BELOW``."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both samples need at least one trial")
    n = n1 + n2
    successes, failures = x1 + x2, n - x1 - x2
    smallest = min(n1, n2) * min(successes, failures) / n
    if smallest < FISHER_BELOW:
        return ProportionTest("fisher", _odds_ratio(x1, n1 - x1, x2, n2 - x2), fisher_exact_p(x1, n1, x2, n2))
    z, p = two_proportion_ztest(x1, n1, x2, n2)
    return ProportionTest("z", z, p)


def _odds_ratio(a: int, b: int, c: int, d: int) -> float:
    """The sample odds ratio ad / bc of the table [[a, b], [c, d]] (inf, or nan for 0/0)."""
    if b * c == 0:
        return math.nan if a * d == 0 else math.inf
    return a * d / (b * c)


def _log_hypergeom_pmf(k: np.ndarray, n, successes, draws) -> np.ndarray:
    """log P(K = k), K hypergeometric: ``draws`` taken from ``n`` holding ``successes``."""
    from scipy.special import gammaln

    def log_choose(a, b):
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    return log_choose(successes, k) + log_choose(n - successes, draws - k) - log_choose(n, draws)


def fisher_exact_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Fisher's exact two-sided p of x1/n1 against x2/n2: the probability, with the margins
    fixed, of every table no more likely than the one seen (relative tolerance 1e-7, as R's
    ``fisher.test``; scipy ``fisher_exact``)."""
    n, successes = n1 + n2, x1 + x2
    k = np.arange(max(0, n1 - (n - successes)), min(n1, successes) + 1)
    log_pmf = _log_hypergeom_pmf(k, n, successes, n1)
    seen = log_pmf[x1 - k[0]]
    return float(min(1.0, np.exp(log_pmf[log_pmf <= seen + math.log1p(1e-7)]).sum()))


def proportion_tests(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(two-sided p, True where Fisher was used) of ``proportion_test`` over arrays, with
    Fisher's p as twice the smaller one-sided tail (module docstring). Every n must be > 0."""
    from scipy.special import erfc

    x1, n1, x2, n2 = (np.asarray(a, dtype=np.int64) for a in (x1, n1, x2, n2))
    n = n1 + n2
    successes = x1 + x2
    pooled = successes / n
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, (x1 / n1 - x2 / n2) / np.sqrt(variance), 0.0)
    p = np.where(variance > 0, erfc(np.abs(z) / math.sqrt(2)), 1.0)
    fisher = np.minimum(n1, n2) * np.minimum(successes, n - successes) / n < FISHER_BELOW
    if fisher.any():
        f = np.flatnonzero(fisher)
        low, high = _tails(x1[f], n1[f], x2[f], n2[f])
        p[f] = np.minimum(1.0, 2 * np.minimum(low, high))
    return p, fisher


def _tails(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(K ≤ x1) and P(K ≥ x1) for each table, the margins of x1/n1, x2/n2 fixed (Fisher's
    one-sided p's): every table's support laid end to end, summed per table."""
    n, successes = n1 + n2, x1 + x2
    low_k = np.maximum(0, n1 - (n - successes))
    sizes = np.minimum(n1, successes) - low_k + 1
    table = np.repeat(np.arange(len(sizes)), sizes)
    k = low_k[table] + np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    pmf = np.exp(_log_hypergeom_pmf(k, n[table], successes[table], n1[table]))
    below = np.bincount(table, weights=pmf * (k <= x1[table]), minlength=len(sizes))
    above = np.bincount(table, weights=pmf * (k >= x1[table]), minlength=len(sizes))
    return below, above


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    q = np.empty(m)
    q[order] = q_sorted
    return q.tolist()
