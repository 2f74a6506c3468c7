"""BG/NBD: the published CDNOW estimates, lifetimes' numbers, and recovery of known parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clv import cdnow
from voronka.clv.bgnbd import BetaGeo, fit_bgnbd
from voronka.errors import InputError

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005), Table/Figure 1
CDNOW = BetaGeo(0.243, 4.414, 0.793, 2.426, 0.0, 0)


def sig3(value: float) -> str:
    return f"{value:.3g}"


@pytest.fixture(scope="module")
def cdnow_fit() -> BetaGeo:
    s = cdnow.summary_csv()
    return fit_bgnbd(s.column("x").to_numpy(), s.column("t_x").to_numpy(), s.column("T").to_numpy())


def test_cdnow_matches_the_published_estimates_to_three_significant_figures(cdnow_fit):
    for name, value in PUBLISHED.items():
        assert sig3(getattr(cdnow_fit, name)) == sig3(value), name
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # the paper's LL
    assert cdnow_fit.customers == 2357


def test_predictions_agree_with_lifetimes(cdnow_fit):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter
    s = cdnow.summary_csv()
    x, t_x, T = (s.column(n).to_numpy() for n in ("x", "t_x", "T"))
    theirs = BetaGeoFitter().fit(x, t_x, T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(cdnow_fit, name) == pytest.approx(theirs.params_[name], rel=1e-4)
    ours = BetaGeo(*(theirs.params_[k] for k in ("r", "alpha", "a", "b")), 0.0, 0)
    np.testing.assert_allclose(ours.p_alive(x, t_x, T), theirs.conditional_probability_alive(x, t_x, T), rtol=1e-8)
    np.testing.assert_allclose(ours.conditional_expected_purchases(39, x, t_x, T),
                               theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T), rtol=1e-7)
    assert ours.expected_purchases(39) == pytest.approx(theirs.expected_number_of_purchases_up_to_time(39), rel=1e-9)


def simulate(r, alpha, a, b, n, T, seed):
    """Customers of a known BG/NBD process observed for T after their first purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return x, t_x, np.full(n, float(T))


def test_mle_recovers_the_parameters_of_a_simulated_process():
    x, t_x, T = simulate(0.5, 5.0, 1.0, 3.0, 8000, 52, seed=3)
    fit = fit_bgnbd(x, t_x, T)
    assert fit.r == pytest.approx(0.5, rel=0.15)
    assert fit.alpha == pytest.approx(5.0, rel=0.25)
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.25, abs=0.05)   # the mean dropout probability


@settings(max_examples=60, deadline=None)
@given(x=st.integers(0, 30), recency=st.floats(0, 1), T=st.floats(0.1, 100), t=st.floats(0.1, 100))
def test_predictions_are_probabilities_and_grow_with_the_horizon(x, recency, T, t):
    t_x = recency * T if x else 0.0
    alive = CDNOW.p_alive(x, t_x, T)
    assert 0 < alive <= 1
    if x == 0:
        assert alive == 1
    assert CDNOW.p_alive(x, t_x, T + 10) <= alive + 1e-12           # longer silence, less alive
    first = CDNOW.conditional_expected_purchases(t, x, t_x, T)
    assert 0 <= first <= CDNOW.conditional_expected_purchases(2 * t, x, t_x, T) + 1e-12


def test_no_repeat_purchases_is_a_user_error():
    with pytest.raises(InputError, match="no customer has a repeat purchase"):
        fit_bgnbd([0, 0], [0, 0], [5, 6])
    with pytest.raises(InputError, match="recency"):
        fit_bgnbd([1], [7], [5])
