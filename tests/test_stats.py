"""The shared statistics (voronka.stats) against statsmodels and scipy on the same numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from voronka.stats import (
    benjamini_hochberg,
    difference_interval,
    proportion_test,
    two_proportion_ztest,
    wilson_interval,
)


@st.composite
def proportion(draw):
    n = draw(st.integers(1, 5000))
    return draw(st.integers(0, n)), n


@settings(max_examples=200, deadline=None)
@given(proportion(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_statsmodels(xn, confidence):
    x, n = xn
    low, high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    assert wilson_interval(x, n, confidence) == pytest.approx((low, high), abs=1e-12)


def test_wilson_by_hand():
    # 15 of 140 (print's trust → try on the demo): z = 1.959964
    z = 1.959963984540054
    p, n = 15 / 140, 140
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    assert wilson_interval(15, 140) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(proportion(), proportion())
def test_ztest_matches_statsmodels(a, b):
    (x1, n1), (x2, n2) = a, b
    if x1 + x2 in (0, n1 + n2):  # statsmodels divides by zero there; we answer z = 0, p = 1
        assert two_proportion_ztest(x1, n1, x2, n2) == (0.0, 1.0)
        return
    z, p = proportions_ztest([x1, x2], [n1, n2])
    ours = two_proportion_ztest(x1, n1, x2, n2)
    assert ours[0] == pytest.approx(z, rel=1e-9, abs=1e-12)
    assert ours[1] == pytest.approx(p, rel=1e-9, abs=1e-300)


def test_proportion_test_chooses_fisher_for_small_expected_counts():
    # 2×2 table [[1, 9], [8, 12]]: expected successes of row 1 = 10 × 9 / 30 = 3 < 5 → Fisher
    result = proportion_test(1, 10, 8, 20)
    assert result.method == "fisher"
    odds, p = sps.fisher_exact([[1, 9], [8, 12]])
    assert (result.statistic, result.p) == pytest.approx((odds, p))
    # [[20, 20], [30, 30]]: smallest expected 40 × 50 / 100 = 20 → z-test
    result = proportion_test(20, 40, 30, 60)
    assert result.method == "z" and result.p == pytest.approx(proportions_ztest([20, 30], [40, 60])[1])
    with pytest.raises(ValueError):
        proportion_test(0, 0, 1, 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=60))
def test_bh_matches_statsmodels(pvalues):
    expected = multipletests(pvalues, method="fdr_bh")[1]
    assert benjamini_hochberg(pvalues) == pytest.approx(list(expected), abs=1e-12)


def test_bh_by_hand():
    # m = 4: sorted 0.01, 0.02, 0.03, 0.5 → 0.04, 0.04, 0.04, 0.5 (monotone from the top)
    assert benjamini_hochberg([0.5, 0.03, 0.01, 0.02]) == pytest.approx([0.5, 0.04, 0.04, 0.04])
    assert benjamini_hochberg([]) == []


def test_difference_interval_matches_statsmodels():
    from statsmodels.stats.proportion import confint_proportions_2indep

    diff, low, high = difference_interval(53, 141, 18, 135)
    assert diff == pytest.approx(53 / 141 - 18 / 135)
    assert (low, high) == pytest.approx(confint_proportions_2indep(53, 141, 18, 135, method="wald", compare="diff"))


def test_proportion_tests_over_arrays():
    """The vectorised tests: the z-test agrees with proportion_test; below expected count 5,
    Fisher's p is twice the smaller one-sided tail (scipy's one-sided fisher_exact)."""
    from scipy.stats import fisher_exact

    from voronka.stats import proportion_test, proportion_tests

    x1, n1, x2, n2 = [40, 2, 0, 10], [100, 20, 5, 10], [60, 3, 5, 10], [100, 40, 5, 10]
    p, fisher = proportion_tests(x1, n1, x2, n2)
    assert [bool(f) for f in fisher] == [False, True, True, True]  # the last: no failure at all
    assert p[0] == pytest.approx(proportion_test(40, 100, 60, 100).p)
    assert p[3] == 1.0  # both 100 %: no variation
    for i in (1, 2):
        table = [[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]]
        tails = min(fisher_exact(table, alternative="less")[1], fisher_exact(table, alternative="greater")[1])
        assert p[i] == pytest.approx(min(1.0, 2 * tails))


@st.composite
def small_table(draw):
    """Two samples whose 2×2 table has a small expected count (where Fisher is used)."""
    n1, n2 = draw(st.integers(1, 60)), draw(st.integers(1, 400))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, min(n2, 12))), n2


@settings(max_examples=300, deadline=None)
@given(small_table())
def test_fisher_matches_scipy(table):
    """voronka's Fisher (scipy.special only: scipy.stats loads slowly) equals scipy's, the
    two-sided p and the odds ratio of proportion_test, and the one-sided tails of proportion_tests."""
    from voronka.stats import _tails, fisher_exact_p

    x1, n1, x2, n2 = table
    cells = [[x1, n1 - x1], [x2, n2 - x2]]
    odds, p = sps.fisher_exact(cells)
    assert fisher_exact_p(x1, n1, x2, n2) == pytest.approx(p, rel=1e-9, abs=1e-300)
    less, greater = sps.fisher_exact(cells, alternative="less")[1], sps.fisher_exact(cells, alternative="greater")[1]
    low, high = _tails(*(np.array([v]) for v in table))
    assert (low[0], high[0]) == pytest.approx((less, greater), rel=1e-9, abs=1e-300)
    result = proportion_test(x1, n1, x2, n2)
    if result.method == "fisher":
        assert result.statistic == pytest.approx(odds, nan_ok=True) and result.p == pytest.approx(p, rel=1e-9)


def test_the_tests_load_no_scipy_stats():
    """scipy.stats takes about a second to import: the weak links and the scan never need it."""
    import subprocess
    import sys

    code = ("import sys; from voronka.stats import proportion_test, proportion_tests; "
            "proportion_test(1, 10, 8, 20); proportion_tests([1, 40], [10, 100], [8, 60], [20, 100]); "
            "print('scipy.stats' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
