"""Rule-based attribution: each touch of a converting path gets a fixed share of it.

Every model here credits **per touch** (a channel touched twice on a path gets both
touches' shares) and shares a path's revenue exactly as its conversions. Paths
without touches and non-converting paths give no credit. With ``n`` touches
``t1 … tn`` (oldest first):

* **first touch**: t1 gets 1.
* **last touch**: tn gets 1.
* **last non-direct**: the last touch whose channel is not a direct one (``direct``,
  configurable) gets 1; a path of direct touches only gives it to its last touch.
* **linear**: every touch gets 1/n (ChannelAttribution's ``linear_touch``).
* **time decay**: touch i gets weight 0.5^(Δtᵢ / half-life), Δtᵢ = time from the
  touch to the conversion; weights normalised to sum to 1 (half-life 7 days).
* **position-based** (U-shaped, 40/20/40): n ≥ 3: t1 gets ``first`` (0.4), tn gets
  ``last`` (0.4), the n−2 middle touches share the rest equally; n = 2: the middle
  share is split in proportion to first and last (0.5/0.5 for 40/40); n = 1: 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from voronka.attribution.path import ConversionPath, Credit, credit_by_weights

DAY = 86_400.0


def _one_at(index: int, n: int) -> list[float]:
    weights = [0.0] * n
    weights[index] = 1.0
    return weights


def first_touch(paths: Iterable[ConversionPath]) -> Credit:
    return credit_by_weights(paths, lambda p: _one_at(0, len(p.channels)))


def last_touch(paths: Iterable[ConversionPath]) -> Credit:
    return credit_by_weights(paths, lambda p: _one_at(-1, len(p.channels)))


def last_non_direct(paths: Iterable[ConversionPath], direct: Sequence[str] = ("direct",)) -> Credit:
    direct_set = set(direct)

    def weights(p: ConversionPath) -> list[float]:
        index = next((i for i in reversed(range(len(p.channels))) if p.channels[i] not in direct_set), -1)
        return _one_at(index, len(p.channels))

    return credit_by_weights(paths, weights)


def linear(paths: Iterable[ConversionPath]) -> Credit:
    return credit_by_weights(paths, lambda p: [1.0 / len(p.channels)] * len(p.channels))


def time_decay(paths: Iterable[ConversionPath], half_life_seconds: float = 7 * DAY) -> Credit:
    if half_life_seconds <= 0:
        from voronka.errors import DefinitionError

        raise DefinitionError("half-life must be positive", field="half_life")

    def weights(p: ConversionPath) -> list[float]:
        if len(p.ages) != len(p.channels):
            raise ValueError("time decay needs the age of every touch (paths before aggregation)")
        raw = [0.5 ** (max(age, 0.0) / half_life_seconds) for age in p.ages]
        total = sum(raw)
        return [w / total for w in raw]

    return credit_by_weights(paths, weights)


def position_based(paths: Iterable[ConversionPath], first: float = 0.4, last: float = 0.4) -> Credit:
    if first < 0 or last < 0 or first + last > 1 or first + last == 0:
        from voronka.errors import DefinitionError

        raise DefinitionError(f"position-based shares {first}/{last}: each ≥ 0, together in (0, 1]",
                              field="position")

    def weights(p: ConversionPath) -> list[float]:
        n = len(p.channels)
        if n == 1:
            return [1.0]
        if n == 2:
            return [first / (first + last), last / (first + last)]
        middle = (1.0 - first - last) / (n - 2)
        return [first] + [middle] * (n - 2) + [last]

    return credit_by_weights(paths, weights)


def distinct_linear(paths: Iterable[ConversionPath]) -> Credit:
    """Each **distinct** channel of a path gets 1/k (k distinct channels), however often it
    was touched: the Shapley value of the subset game (``shapley``) in closed form."""

    def weights(p: ConversionPath) -> list[float]:
        distinct = list(dict.fromkeys(p.channels))
        seen: set[str] = set()
        out = []
        for c in p.channels:  # the share goes to the channel's first touch
            out.append(0.0 if c in seen else 1.0 / len(distinct))
            seen.add(c)
        return out

    return credit_by_weights(paths, weights)
