"""Gamma-Gamma: what a customer's purchases will be worth on average.

The spend model of Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for
customer base analysis", Journal of Marketing Research 42(4), after Colombo & Jiang
(1999). Assumptions: the value of each of a customer's transactions is Gamma(p, ν)
around the customer's mean p/ν; ν ~ Gamma(q, γ) across customers; spend is independent
of the purchase process (BG/NBD). Input: customers with x ≥ 1 repeat purchases and their
mean repeat-purchase value m_x > 0 (others carry no information about spend).

Likelihood of m_x (given x):
    Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m_x^(px−1) · x^(px) / (γ + m_x x)^(px+q).
Conditional expected mean spend (the paper's eq. 5):
    E[M | p, q, γ, m_x, x] = p (γ + m_x x) / (px + q − 1),
a weighted mean of the population mean pγ/(q−1) and the customer's own m_x.
CDNOW (946 repeat buyers, US $): p ≈ 6.25, q ≈ 3.74, γ ≈ 15.44.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from voronka.clv.search import minimise
from voronka.errors import InputError


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters (p, q, γ), log-likelihood and customers fitted."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int

    @property
    def population_mean_spend(self) -> float:
        """E[M] = pγ / (q − 1) (infinite when q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def conditional_expected_spend(self, frequency: np.ndarray, monetary_value: np.ndarray) -> np.ndarray:
        """E[M | x, m_x] = p (γ + m_x x) / (px + q − 1); for x = 0 the population mean."""
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        return self.p * (self.gamma + m * x) / (self.p * x + self.q - 1)


def log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each customer's Gamma-Gamma log-likelihood of mean spend ``m`` over ``x`` purchases."""
    p, q, gamma = params
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(gamma)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(gamma + m * x))


def fit_gamma_gamma(frequency, monetary_value) -> GammaGamma:
    """Maximum-likelihood (p, q, γ) from customers with frequency ≥ 1 and monetary value > 0
    (the rest are left out, as the model says). ``InputError`` if none remain."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if x.size == 0:
        raise InputError("no customer has a repeat purchase with revenue: the Gamma-Gamma spend "
                         "model cannot be fitted", column="monetary_value")
    keys, weights = np.unique(np.column_stack([x, m]), axis=0, return_counts=True)
    ux, um = keys.T

    def objective(log_params: np.ndarray) -> float:
        return -float(np.dot(weights, log_likelihood(np.exp(log_params), ux, um))) / len(x)

    start = np.log([1.0, 1.0, max(float(np.mean(m)), 1e-6)])
    best, value = minimise(objective, start)
    p, q, gamma = np.exp(best)
    return GammaGamma(float(p), float(q), float(gamma), -value * len(x), len(x))


__all__ = ["GammaGamma", "fit_gamma_gamma"]
