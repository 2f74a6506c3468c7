"""Shapley-value attribution over the subset game of conversion paths.

Definition: the players are the channels; the worth of a coalition S is
v(S) = conversions (or revenue) of the paths whose **set of distinct channels** is a
subset of S. A channel's credit is its Shapley value
φᵢ = Σ_{S ∌ i} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)), n channels.

Exact by enumerating all 2ⁿ coalitions up to ``exact_up_to`` channels (20 by default:
2²⁰ coalitions, a few seconds); beyond, the mean marginal contribution over ``samples``
random orderings of the channels (seeded, so the same call gives the same credit).

This v is a sum of unanimity games, one per path, so φᵢ equals the path-by-path split
of each path's conversions equally among its distinct channels (``heuristic.distinct_linear``);
the tests hold the enumeration to that identity. Credits sum to the total of the paths
with at least one touch (efficiency). Source: Shapley (1953); for attribution, Zhao et
al. (2018), *Shapley value methods for attribution modeling in online advertising*.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import factorial

import numpy as np

from voronka.attribution.path import ConversionPath, Credit


def _coalition_totals(paths: list[ConversionPath], channels: list[str]) -> tuple[dict[int, float], dict[int, float]]:
    bit = {c: 1 << i for i, c in enumerate(channels)}
    conversions: dict[int, float] = {}
    value: dict[int, float] = {}
    for p in paths:
        mask = 0
        for c in p.channels:
            mask |= bit[c]
        conversions[mask] = conversions.get(mask, 0.0) + p.conversions
        value[mask] = value.get(mask, 0.0) + p.value
    return conversions, value


def _exact(totals: dict[int, float], n: int) -> np.ndarray:
    size = 1 << n
    worth = np.zeros(size)
    for mask, x in totals.items():
        worth[mask] += x
    masks = np.arange(size)
    for i in range(n):  # v(S) = Σ_{T ⊆ S} f(T): the zeta transform, one channel at a time
        has = (masks >> i) & 1 == 1
        worth[has] += worth[masks[has] ^ (1 << i)]
    sizes = np.zeros(size, dtype=np.int64)
    for i in range(n):
        sizes += (masks >> i) & 1
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = float(np.sum(weight[sizes[without]] * (worth[without | (1 << i)] - worth[without])))
    return phi


def _sampled(totals: dict[int, float], n: int, samples: int, seed: int) -> np.ndarray:
    """Mean marginal contributions over random orderings: in an ordering, a path's worth
    goes to the last of its channels to arrive (the one completing its set)."""
    sets = [m for m, x in totals.items() if x]
    members = np.array([[(m >> i) & 1 for i in range(n)] for m in sets], dtype=bool).reshape(len(sets), n)
    worth = np.array([totals[m] for m in sets])
    rng = np.random.default_rng(seed)
    phi = np.zeros(n)
    for _ in range(samples):
        rank = rng.permutation(n)
        last = np.where(members, rank[None, :], -1).argmax(axis=1)
        np.add.at(phi, last, worth)
    return phi / samples


def shapley(paths: Iterable[ConversionPath], *, exact_up_to: int = 20, samples: int = 10_000, seed: int = 0) -> Credit:
    """Channel → Shapley value of conversions and of revenue (module docstring)."""
    paths = [p for p in paths if p.channels and (p.conversions or p.value)]
    channels = sorted({c for p in paths for c in p.channels})
    n = len(channels)
    if n == 0:
        return Credit({}, {})
    conversions, value = _coalition_totals(paths, channels)
    if n <= exact_up_to:
        phi_c, phi_v = _exact(conversions, n), _exact(value, n)
    else:
        phi_c, phi_v = _sampled(conversions, n, samples, seed), _sampled(value, n, samples, seed)
    return Credit(dict(zip(channels, phi_c.tolist())), dict(zip(channels, phi_v.tolist())))
