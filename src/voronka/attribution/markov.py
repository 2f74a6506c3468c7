"""Markov-chain attribution with removal effects computed exactly from the absorbing chain.

Definition (the convention of ChannelAttribution's ``markov_model``, so its transition
matrices agree exactly):

* **States** of order k: a path of n touches becomes the windows of its k consecutive
  channels, oldest first (n ≤ k: one state, the whole path); consecutive equal states
  merge (order 1: ``a > a > b`` is ``a → b``). Plus ``(start)``, and the absorbing
  ``(conversion)`` and ``(null)``.
* **Transitions**: each path adds its conversions + nulls to ``(start)`` → first state
  and to every following pair of states, its conversions to last state → ``(conversion)``
  and its nulls to last state → ``(null)``. Probabilities are the counts divided by
  their row's total. Non-converting paths count by default (``include_nulls``); without
  them every path ends in a conversion and each channel's removal effect is 1.
* **Removal effect** of channel c: RE(c) = 1 − P(conversion | every state containing c
  leads to ``(null)``) / P(conversion). Both probabilities are solved exactly: with Q
  the transient part of the matrix, r the column into ``(conversion)`` and π the row out
  of ``(start)``, P = π (I − Q)⁻¹ r (the fundamental matrix). RE(c) equals the
  probability that a converting journey of the chain visits c.
* **Credit**: conversions(c) = RE(c) / Σ RE × total conversions. **Revenue**: each state
  s carries m(s) = revenue / conversions of the paths ending at s; RE_value(c) is the
  removal effect of the expected revenue π (I − Q)⁻¹ (r ∘ m), and revenue(c) =
  RE_value(c) / Σ RE_value × total revenue.

ChannelAttribution estimates the same removal effects by simulating journeys
(``nsim_start``, ``max_step``), so its credit agrees within its simulation error.
Source: Anderl, Becker, von Wangenheim, Schumann (2016), *Mapping the customer journey:
Lessons learned from graph-based online attribution modeling*, IJRM 33(3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from voronka.attribution.path import SEPARATOR, ConversionPath, Credit

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
State = tuple[str, ...]


def states_of(channels: Sequence[str], order: int) -> list[State]:
    """The state sequence of a path: windows of ``order`` channels, repeats merged."""
    n = len(channels)
    windows = [tuple(channels)] if n <= order else [tuple(channels[i:i + order]) for i in range(n - order + 1)]
    merged: list[State] = []
    for w in windows:
        if not merged or merged[-1] != w:
            merged.append(w)
    return merged


@dataclass(frozen=True)
class MarkovChain:
    """The fitted chain: transition counts between state labels, and revenue per last state."""

    order: int
    counts: dict[tuple[str, str], float]
    states: dict[str, State]  # label → channels of a transient state
    value_at: dict[str, float]  # label → revenue per conversion ending there

    def transition_matrix(self) -> pa.Table:
        """``from``, ``to``, ``probability``: every observed transition, rows sum to 1."""
        totals: dict[str, float] = {}
        for (a, _), n in self.counts.items():
            totals[a] = totals.get(a, 0.0) + n
        rows = [{"from": a, "to": b, "probability": n / totals[a]} for (a, b), n in self.counts.items() if n > 0]
        rows.sort(key=lambda r: (r["from"] != START, r["from"], r["to"]))
        return pa.Table.from_pylist(rows, schema=pa.schema(
            [("from", pa.string()), ("to", pa.string()), ("probability", pa.float64())]))


def fit_chain(paths: Iterable[ConversionPath], order: int = 1, include_nulls: bool = True) -> MarkovChain:
    if not 1 <= order <= 4:
        from voronka.errors import DefinitionError

        raise DefinitionError(f"Markov order {order}: use 1 to 4", field="order")
    counts: dict[tuple[str, str], float] = {}
    states: dict[str, State] = {}
    ending_value: dict[str, float] = {}
    ending_conversions: dict[str, float] = {}

    def add(a: str, b: str, n: float) -> None:
        if n > 0:
            counts[(a, b)] = counts.get((a, b), 0.0) + n

    for p in paths:
        nulls = p.nulls if include_nulls else 0.0
        if not p.channels or p.conversions + nulls <= 0:
            continue
        labels = []
        for s in states_of(p.channels, order):
            label = SEPARATOR.join(s)
            states[label] = s
            labels.append(label)
        for a, b in zip([START] + labels, labels):
            add(a, b, p.conversions + nulls)
        add(labels[-1], CONVERSION, p.conversions)
        add(labels[-1], NULL, nulls)
        if p.conversions > 0:
            ending_value[labels[-1]] = ending_value.get(labels[-1], 0.0) + p.value
            ending_conversions[labels[-1]] = ending_conversions.get(labels[-1], 0.0) + p.conversions
    value_at = {s: ending_value[s] / ending_conversions[s] for s in ending_value}
    return MarkovChain(order, counts, states, value_at)


def removal_effects(chain: MarkovChain) -> tuple[dict[str, float], dict[str, float]]:
    """Channel → removal effect on conversions, and on revenue (exact, by linear algebra)."""
    from scipy.sparse import csc_matrix, identity  # about a second to import: only when a chain is solved
    from scipy.sparse.linalg import spsolve

    labels = sorted(chain.states)
    index = {s: i for i, s in enumerate(labels)}
    n = len(labels)
    totals: dict[str, float] = {}
    for (a, _), c in chain.counts.items():
        totals[a] = totals.get(a, 0.0) + c
    rows, cols, data = [], [], []
    start = np.zeros(n)
    to_conversion = np.zeros(n)
    for (a, b), c in chain.counts.items():
        p = c / totals[a]
        if a == START:
            start[index[b]] += p
        elif b == CONVERSION:
            to_conversion[index[a]] += p
        elif b != NULL:
            rows.append(index[a])
            cols.append(index[b])
            data.append(p)
    q = csc_matrix((data, (rows, cols)), shape=(n, n))
    revenue_rate = to_conversion * np.array([chain.value_at.get(s, 0.0) for s in labels])

    def absorbed(keep: np.ndarray) -> tuple[float, float]:
        """P(conversion) and expected revenue with only the ``keep`` states live."""
        if not keep.any():
            return 0.0, 0.0
        sub = q[keep][:, keep]
        visits = np.atleast_1d(spsolve((identity(int(keep.sum()), format="csc") - sub).T.tocsc(), start[keep]))
        return float(visits @ to_conversion[keep]), float(visits @ revenue_rate[keep])

    all_live = np.ones(n, dtype=bool)
    base, base_value = absorbed(all_live)
    channels = sorted({c for s in chain.states.values() for c in s})
    effects, value_effects = {}, {}
    for c in channels:
        keep = np.array([c not in chain.states[s] for s in labels], dtype=bool)
        p, v = absorbed(keep)
        effects[c] = 1.0 - p / base if base > 0 else 0.0
        value_effects[c] = 1.0 - v / base_value if base_value > 0 else 0.0
    return effects, value_effects


def _share(effects: dict[str, float], total: float) -> dict[str, float]:
    s = sum(effects.values())
    return {c: (e / s * total if s > 0 else 0.0) for c, e in effects.items()}


@dataclass(frozen=True)
class MarkovResult:
    credit: Credit
    chain: MarkovChain
    removal_effects: dict[str, float]
    value_removal_effects: dict[str, float]


def markov(paths: Iterable[ConversionPath], order: int = 1, include_nulls: bool = True) -> MarkovResult:
    """Credit by normalised removal effects of the order-``order`` chain (module docstring)."""
    paths = list(paths)
    chain = fit_chain(paths, order, include_nulls)
    effects, value_effects = removal_effects(chain)
    credited = [p for p in paths if p.channels]
    credit = Credit(_share(effects, sum(p.conversions for p in credited)),
                    _share(value_effects, sum(p.value for p in credited)))
    return MarkovResult(credit, chain, effects, value_effects)
