"""Repeat purchases: how many buyers come back, how often, and after how long.

Definitions (the unit is the purchase occasion, ``voronka.loop.occasions``):

* **repeat-purchase rate** = customers with ≥ 2 occasions / customers with ≥ 1, over
  occasions up to ``as_of``. 3 buyers, one of whom bought on two days: 1/3.
* **purchase-count distribution**: customers by their number of occasions (1, 2, …).
* **gap** (time between purchases) = the number of local calendar days from one occasion
  to the customer's next one (≥ 1, since occasions are days). Every consecutive pair of
  every customer is one gap; the **median** is the middle gap (the mean of the middle
  two for an even count), the **mean** the arithmetic mean. Bought on Mar 1, Mar 8 and
  Mar 22: gaps 7 and 14, median 10.5, mean 10.5.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pyarrow as pa

from voronka.columns import column
from voronka.definition import Definition, Rule
from voronka.engines import Engine
from voronka.loop.occasions import PURCHASE, Occasions, prepare_occasions
from voronka.rules import StepRule
from voronka.source import Source


@dataclass(frozen=True)
class RepeatResult:
    """``summary`` (one row), ``counts`` (occasions → customers, share) and ``gaps``
    (gap_days → gaps, share); ``as_of`` the UTC instant the data ends."""

    summary: pa.Table
    counts: pa.Table
    gaps: pa.Table
    as_of: dt.datetime


SUMMARY_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("customers", pa.int64(), "count", "loop.axis.customers"),
    column("repeat_customers", pa.int64(), "count", "loop.col.repeat_customers"),
    column("repeat_rate", pa.float64(), "rate", "loop.col.repeat_rate"),
    column("occasions", pa.int64(), "count", "loop.col.occasions"),
    column("occasions_per_customer", pa.float64(), "count", "loop.col.occasions_per_customer"),
    column("gaps", pa.int64(), "count", "loop.col.gaps"),
    column("median_gap_days", pa.float64(), "count", "loop.col.median_gap_days"),
    column("mean_gap_days", pa.float64(), "count", "loop.col.mean_gap_days"),
])
COUNTS_SCHEMA = pa.schema([column("occasions", pa.int64(), "label", "loop.col.occasions"),
                           column("customers", pa.int64(), "count", "loop.axis.customers"),
                           column("share", pa.float64(), "rate", "loop.col.share")])
GAPS_SCHEMA = pa.schema([column("gap_days", pa.int64(), "label"),
                         column("gaps", pa.int64(), "count", "loop.col.gaps"),
                         column("share", pa.float64(), "rate")])


def repeat_purchases(engine: Engine, *, events: str | None = None, aliases: str | None = "aliases",
                     purchase: StepRule = PURCHASE, timezone: str = "UTC",
                     as_of: dt.datetime | None = None) -> RepeatResult:
    """The repeat-purchase rate, the purchase-count distribution and the gaps between occasions."""
    occ = prepare_occasions(engine, events=events, aliases=aliases, purchase=purchase, timezone=timezone,
                            as_of=as_of)
    counts = _pairs(engine.query(
        f"SELECT occasions, count(*) AS customers FROM (SELECT customer_id, count(*) AS occasions "
        f"FROM {occ.days} GROUP BY customer_id) AS c GROUP BY occasions"))
    gaps = gap_counts(engine, occ)
    customers = sum(counts.values())
    n_gaps = sum(gaps.values())
    summary = {
        "customers": customers,
        "repeat_customers": sum(c for k, c in counts.items() if k >= 2),
        "repeat_rate": _ratio(sum(c for k, c in counts.items() if k >= 2), customers),
        "occasions": sum(k * c for k, c in counts.items()),
        "occasions_per_customer": _ratio(sum(k * c for k, c in counts.items()), customers),
        "gaps": n_gaps,
        "median_gap_days": median_of_counts(gaps),
        "mean_gap_days": _ratio(sum(k * c for k, c in gaps.items()), n_gaps),
    }
    return RepeatResult(
        pa.Table.from_pylist([summary], schema=SUMMARY_SCHEMA),
        _distribution(counts, "occasions", "customers", COUNTS_SCHEMA),
        _distribution(gaps, "gap_days", "gaps", GAPS_SCHEMA),
        occ.as_of,
    )


def gap_counts(engine: Engine, occ: Occasions) -> dict[int, int]:
    """Gap in days → number of gaps, over every customer's consecutive occasions."""
    return _pairs(engine.query(
        f"SELECT b.day_number - a.day_number AS gap_days, count(*) AS gaps FROM {occ.days} AS a "
        f"JOIN {occ.days} AS b ON a.customer_id = b.customer_id AND b.n = a.n + 1 GROUP BY b.day_number - a.day_number"))


def median_of_counts(counts: dict[int, int]) -> float | None:
    """The median of a multiset given as value → count (mean of the middle two when even)."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted(counts.items())

    def nth(i: int) -> int:  # the i-th value, 0-based
        seen = 0
        for value, count in ordered:
            seen += count
            if i < seen:
                return value
        raise IndexError(i)

    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def percentile_of_counts(counts: dict[int, int], p: float) -> int | None:
    """The nearest-rank ``p``-th percentile (0 < p ≤ 100): the smallest value with at
    least ``ceil(p / 100 × N)`` of the N values at or below it."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(p * total / 100))  # not p / 100 * total: 0.7 * 10 is 7.000000000000001
    seen = 0
    for value, count in sorted(counts.items()):
        seen += count
        if seen >= rank:
            return value
    return None


def _pairs(table: pa.Table) -> dict[int, int]:
    a, b = table.column(0).to_pylist(), table.column(1).to_pylist()
    return {int(k): int(v) for k, v in zip(a, b)}


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _distribution(counts: dict[int, int], key: str, value: str, schema: pa.Schema) -> pa.Table:
    total = sum(counts.values())
    return pa.Table.from_pylist([{key: k, value: c, "share": c / total} for k, c in sorted(counts.items())],
                                schema=schema)


__all__ = ["RepeatDefinition", "RepeatResult", "gap_counts", "median_of_counts", "percentile_of_counts",
           "repeat_purchases"]


class RepeatDefinition(Definition):
    """``voronka repeat`` as a record: repeat purchases of the purchases matching ``purchase``
    (``a|b`` or ``MODEL:STAGE``; docs/loop.md). The zone and "now" are the source's."""

    purchase: Rule = "purchase"

    def compute(self, source: Source) -> RepeatResult:
        from voronka.touches import parse_rule

        return repeat_purchases(source, purchase=parse_rule(self.purchase, PURCHASE, "purchase"),
                                timezone=source.timezone, as_of=source.as_of)
