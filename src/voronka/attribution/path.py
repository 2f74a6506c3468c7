"""A conversion path: the record every attribution model reads.

A **path** is the ordered touches (channel labels, oldest first) that led to a
conversion, or to none. ``conversions`` is how many conversions end this exact path
(1 for one path per conversion, more once identical paths are aggregated), ``value``
their revenue in ``currency``, ``nulls`` how many journeys with this path did not
convert. ``ages`` are the seconds from each touch to the conversion (empty once
aggregated: only time decay needs them). This is the format of ChannelAttribution's
``Data`` (``path``, ``total_conversions``, ``total_conversion_value``, ``total_null``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SEPARATOR = " > "


@dataclass(frozen=True)
class ConversionPath:
    channels: tuple[str, ...]
    conversions: float = 0.0
    value: float = 0.0
    nulls: float = 0.0
    currency: str | None = None
    ages: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        return SEPARATOR.join(self.channels)


def aggregate(paths: Iterable[ConversionPath]) -> list[ConversionPath]:
    """Identical paths (same channels and currency) merged: conversions, value and nulls
    summed, ages dropped. Order: first appearance."""
    sums: dict[tuple, list[float]] = {}
    for p in paths:
        total = sums.setdefault((p.channels, p.currency), [0.0, 0.0, 0.0])
        total[0] += p.conversions
        total[1] += p.value
        total[2] += p.nulls
    return [ConversionPath(channels, conversions, value, nulls, currency)
            for (channels, currency), (conversions, value, nulls) in sums.items()]


def parse_path(text: str, sep: str = ">") -> tuple[str, ...]:
    """``"a > b > c"`` → ``("a", "b", "c")`` (blanks around names dropped, as ChannelAttribution)."""
    return tuple(part.strip() for part in text.split(sep) if part.strip())


@dataclass(frozen=True)
class Credit:
    """What a model gives each channel: ``conversions`` and ``value`` (revenue), both summing
    to the totals of the paths the model credits."""

    conversions: dict[str, float]
    value: dict[str, float]

    def channels(self) -> list[str]:
        return sorted(set(self.conversions) | set(self.value))


def credit_by_weights(paths: Iterable[ConversionPath], weights) -> Credit:
    """Per path, ``weights(path)`` (one per touch, summing to 1) shares its conversions and
    value among its touches; a channel's credit is the sum over its touches."""
    conversions: dict[str, float] = {}
    value: dict[str, float] = {}
    for p in paths:
        if not p.channels or (p.conversions == 0 and p.value == 0):
            continue
        for channel, w in zip(p.channels, weights(p)):
            conversions[channel] = conversions.get(channel, 0.0) + w * p.conversions
            value[channel] = value.get(channel, 0.0) + w * p.value
    return Credit(conversions, value)
