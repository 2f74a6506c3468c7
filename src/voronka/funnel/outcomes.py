"""What a funnel computes for each unit, and how units become the result tables.

A *unit* is a customer (``counting='customers'``; with ``all_steps`` breakdown a
customer–value pair; with a cohort a customer–period pair) or an attempt
(``counting='attempts'``). Its ``Outcome``: the breakdown value, the cohort period, the
number of required steps reached (``level``), the time each step was reached (None if
not), and whether it is still *in progress* (an attempt of the unit is still inside its
window at ``as_of``, so it may still go further).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from voronka.funnel.definition import OTHER, FunnelDefinition

UTC = ZoneInfo("UTC")

# Time-to-convert histogram buckets (seconds, lower edges; the last is open-ended).
HISTOGRAM_EDGES: tuple[int, ...] = (
    0, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400,
    7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400,
)


@dataclass(frozen=True)
class Outcome:
    customer_id: str
    breakdown: str | None
    period: dt.date | None
    level: int
    times: tuple[dt.datetime | None, ...]
    in_progress: bool


def range_bounds(defn: FunnelDefinition) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``date_from``/``date_to`` (inclusive local dates) as a UTC half-open interval [lo, hi)."""
    zone = ZoneInfo(defn.timezone)

    def utc(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    lo = utc(defn.date_from) if defn.date_from else None
    hi = utc(defn.date_to + dt.timedelta(days=1)) if defn.date_to else None
    return lo, hi


def cohort_start(ts: dt.datetime, defn: FunnelDefinition) -> dt.date:
    """The first day of the cohort period containing ``ts`` (UTC) in ``defn.timezone``.

    Weeks start on Monday (ISO 8601); months on the 1st.
    """
    return period_start(ts.replace(tzinfo=UTC).astimezone(ZoneInfo(defn.timezone)).date(), defn)


def bucket_of(seconds: float) -> int:
    """Index of the histogram bucket holding ``seconds``."""
    i = 0
    while i + 1 < len(HISTOGRAM_EDGES) and seconds >= HISTOGRAM_EDGES[i + 1]:
        i += 1
    return i


def time_to_convert(defn: FunnelDefinition, outcomes: list[Outcome], from_step: int = 1, to_step: int | None = None,
                    bin_count: int | None = None) -> list[tuple[float, int]]:
    """PostHog's time-to-convert histogram: ``(bin start in seconds, units)`` for the units
    that reached ``to_step`` (default: the last), by their time from ``from_step`` (1-based).

    As PostHog bins it (``funnel_time_to_convert.py``): from ``floor(min)`` to ``ceil(max)``
    in ``bin_count`` bins (given: clamped to 1..90; else ``ceil(cbrt(samples))`` clamped to
    1..60) of ``ceil(span / bins)`` seconds each (60 when that is 0), ``bins + 1`` bin
    starts listed, empty ones with 0. No units: nothing."""
    to = (to_step or len(defn.steps)) - 1
    samples = [(o.times[to] - o.times[from_step - 1]).total_seconds() for o in outcomes  # type: ignore[operator]
               if o.times[to] is not None and o.times[from_step - 1] is not None]
    if not samples:
        return []
    bins = min(90, max(1, bin_count)) if bin_count is not None else next(  # ceil(cbrt(n)), exactly
        (b for b in range(1, 60) if b ** 3 >= len(samples)), 60)
    low, high = math.floor(min(samples)), math.ceil(max(samples))
    width = math.ceil((high - low) / bins) or 60
    counts: dict[float, int] = defaultdict(int)
    for s in samples:
        counts[low + math.floor((s - low) / width) * width] += 1
    return [(float(low + i * width), counts.get(low + i * width, 0)) for i in range(bins + 1)]


def top_values(defn: FunnelDefinition, outcomes: list[Outcome]) -> dict[str | None, str | None]:
    """Map each breakdown value to itself if among the ``top`` by units, else to ``(other)``.

    Ranking: units at step 1, descending, then the value in text order.
    """
    if defn.breakdown is None:
        return {None: None}
    counts: dict[str | None, int] = defaultdict(int)
    for o in outcomes:
        counts[o.breakdown] += 1
    ranked = sorted(counts, key=lambda v: (-counts[v], v))
    keep = set(ranked[: defn.breakdown.top])
    return {v: (v if v in keep else OTHER) for v in counts}


def aggregate(defn: FunnelDefinition, outcomes: list[Outcome]) -> list[dict]:
    """The raw per (breakdown value, step) aggregates that ``steps_sql`` computes in SQL."""
    label = top_values(defn, outcomes)
    by_value: dict[str | None, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_value[label[o.breakdown]].append(o)
    rows = []
    for value, group in by_value.items():
        for k, step in enumerate(defn.steps):
            p = _previous(defn, k)
            q = _next_required(defn, k) if not step.optional else None
            reached = [o for o in group if o.times[k] is not None]
            stalled = [o for o in reached if q is not None and o.times[q] is None]
            gaps = [
                (o.times[k] - o.times[p]).total_seconds()  # type: ignore[operator]
                for o in reached
                if p is not None and o.times[p] is not None
            ]
            rows.append({
                "step": k + 1,
                "breakdown": value,
                "customers": len(reached),
                "base": sum(1 for o in group if o.times[p] is not None) if p is not None else None,
                "first": sum(1 for o in group if o.times[0] is not None),
                "dropped": sum(1 for o in stalled if not o.in_progress),
                "in_progress": sum(1 for o in stalled if o.in_progress),
                "median_seconds": statistics.median(gaps) if gaps else None,
                "mean_seconds": statistics.fmean(gaps) if gaps else None,
            })
    return rows


def finish_steps(defn: FunnelDefinition, raw: list[dict]) -> list[dict]:
    """Step table rows from raw aggregates: ratios, labels, and a stable order.

    Breakdown values are ordered by units at step 1 (descending), ``(other)`` last, then
    by value; steps in definition order. A ratio with a zero base is null. A funnel
    nobody entered still lists its steps, with zeros.
    """
    if not raw:
        raw = [{"step": k + 1, "breakdown": None, "customers": 0, "base": 0, "first": 0, "dropped": 0,
                "in_progress": 0, "median_seconds": None, "mean_seconds": None} for k in range(len(defn.steps))]
    first = {r["breakdown"]: r["first"] for r in raw}
    order = sorted(first, key=lambda v: (v == OTHER, -first[v], v or ""))
    rank = {v: i for i, v in enumerate(order)}
    rows = []
    for r in sorted(raw, key=lambda r: (rank[r["breakdown"]], r["step"])):
        step = defn.steps[r["step"] - 1]
        rows.append({
            "step": r["step"],
            "step_key": step.key,
            "label": step.title,
            "breakdown": r["breakdown"],
            "customers": r["customers"],
            "conversion_from_previous": r["customers"] / r["base"] if r["base"] else None,
            "conversion_from_first": r["customers"] / r["first"] if r["first"] else None,
            "dropped": r["dropped"],
            "in_progress": r["in_progress"],
            "median_seconds_from_previous": _float(r["median_seconds"]),
            "mean_seconds_from_previous": _float(r["mean_seconds"]),
        })
    return rows


def trend_aggregate(defn: FunnelDefinition, outcomes: list[Outcome]) -> list[dict]:
    """The raw per (period, breakdown value, step) counts that ``trends_sql`` computes in SQL:
    ``customers`` (units reaching the step) and ``first`` (units at step 1)."""
    label = top_values(defn, outcomes)
    groups: dict[tuple[dt.date | None, str | None], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.period, label[o.breakdown])].append(o)
    return [
        {"period": period, "breakdown": value, "step": k + 1,
         "customers": sum(1 for o in group if o.times[k] is not None),
         "first": sum(1 for o in group if o.times[0] is not None)}
        for (period, value), group in groups.items() for k in range(len(defn.steps))
    ]


def finish_trends(defn: FunnelDefinition, raw: list[dict], confidence: float = 0.95) -> list[dict]:
    """Trend rows from raw counts: one series per breakdown value, every period present.

    Periods run from the first to the last period with units, widened to the periods of
    ``date_from``/``date_to`` when given; a period (or value) without units has zero
    units and null conversion. Values are in the step table's order (units at step 1,
    descending, ``(other)`` last). Per point: ``entered`` (units at step 1), ``customers``
    (units reaching the step), ``conversion_from_first`` and its Wilson interval
    (``ci_low``, ``ci_high``; null when nobody entered).
    """
    from voronka.stats import wilson_interval

    bounds = [r["period"] for r in raw if r["period"] is not None]
    bounds += [period_start(d, defn) for d in (defn.date_from, defn.date_to) if d is not None]
    if not bounds:
        return []
    periods, day = [], min(bounds)
    while day <= max(bounds):
        periods.append(day)
        day = next_period(day, defn)
    first: dict[str | None, int] = defaultdict(int)
    counts: dict[tuple[dt.date, str | None, int], tuple[int, int]] = {}
    for r in raw:
        counts[(r["period"], r["breakdown"], r["step"])] = (r["customers"], r["first"])
        if r["step"] == 1:
            first[r["breakdown"]] += r["first"]
    values = sorted(first, key=lambda v: (v == OTHER, -first[v], v or "")) or [None]
    rows = []
    for value in values:
        for period in periods:
            for k, step in enumerate(defn.steps):
                reached, entered = counts.get((period, value, k + 1), (0, 0))
                low, high = wilson_interval(reached, entered, confidence) if entered else (None, None)
                rows.append({
                    "period": period, "breakdown": value, "step": k + 1, "label": step.title, "entered": entered,
                    "customers": reached, "conversion_from_first": reached / entered if entered else None,
                    "ci_low": low, "ci_high": high,
                })
    return rows


def period_start(day: dt.date, defn: FunnelDefinition) -> dt.date:
    """The first day of the cohort period holding the local ``day``."""
    if defn.cohort == "week":
        return day - dt.timedelta(days=day.weekday())
    if defn.cohort == "month":
        return day.replace(day=1)
    return day


def next_period(start: dt.date, defn: FunnelDefinition) -> dt.date:
    """The first day of the cohort period after the one starting on ``start``."""
    if defn.cohort == "week":
        return start + dt.timedelta(days=7)
    if defn.cohort == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def _float(x: object) -> float | None:
    return None if x is None else float(x)  # type: ignore[arg-type]


def _previous(defn: FunnelDefinition, k: int) -> int | None:
    return k - 1 if defn.order == "unordered" and k > 0 else defn.previous_required(k)


def _next_required(defn: FunnelDefinition, k: int) -> int | None:
    if defn.order == "unordered":
        return k + 1 if k + 1 < len(defn.steps) else None
    return next((q for q in defn.required if q > k), None)
