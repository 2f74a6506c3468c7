"""Gamma-Gamma: lifetimes' CDNOW estimates, its conditional spend, and a simulated recovery."""

from __future__ import annotations

import numpy as np
import pytest

from tests.clv import cdnow
from voronka.clv.gamma_gamma import fit_gamma_gamma
from voronka.errors import InputError


def test_cdnow_matches_the_published_estimates():
    s = cdnow.summary_csv()
    fit = fit_gamma_gamma(s.column("x").to_numpy(), s.column("zbar").to_numpy())
    assert fit.customers == 946                       # repeat buyers only
    assert fit.p == pytest.approx(6.25, abs=0.01)
    assert fit.q == pytest.approx(3.74, abs=0.01)
    assert fit.gamma == pytest.approx(15.44, abs=0.02)


def test_conditional_spend_is_the_paper_weighted_mean():
    s = cdnow.summary_csv()
    fit = fit_gamma_gamma(s.column("x").to_numpy(), s.column("zbar").to_numpy())
    x, m = np.array([0.0, 1.0, 10.0]), np.array([0.0, 40.0, 40.0])
    got = fit.conditional_expected_spend(x, m)
    weight = fit.p * x / (fit.p * x + fit.q - 1)
    np.testing.assert_allclose(got, (1 - weight) * fit.population_mean_spend + weight * m)
    assert got[0] == pytest.approx(fit.population_mean_spend)
    assert abs(got[2] - 40) < abs(got[1] - 40)        # more purchases, closer to the customer's own mean


def test_mle_recovers_a_simulated_spend_process():
    rng = np.random.default_rng(5)
    p, q, gamma, n = 4.0, 5.0, 20.0, 20000
    nu = rng.gamma(q, 1 / gamma, n)
    x = rng.integers(1, 8, n)
    m = np.array([rng.gamma(p, 1 / nu[i], x[i]).mean() for i in range(n)])
    fit = fit_gamma_gamma(x, m)
    assert fit.p == pytest.approx(p, rel=0.1)
    assert fit.population_mean_spend == pytest.approx(p * gamma / (q - 1), rel=0.05)


def test_no_repeat_revenue_is_a_user_error():
    with pytest.raises(InputError, match="Gamma-Gamma"):
        fit_gamma_gamma([0, 2], [0.0, 0.0])
