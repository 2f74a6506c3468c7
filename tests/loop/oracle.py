"""A slow, obviously-correct Python version of the loop definitions (docs/loop.md), held
against the engines in the property tests. Input: purchases as (customer, local day, revenue)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import pairwise

from voronka.loop.periods import period_index


def occasion_days(purchases: list[tuple[str, dt.date, float]]) -> dict[str, dict[dt.date, float]]:
    days: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for customer, day, revenue in purchases:
        days[customer][day] += revenue
    return days


def repeat_rate(days) -> float:
    return sum(len(d) >= 2 for d in days.values()) / len(days)


def gaps(days) -> list[int]:
    out = []
    for d in days.values():
        ordered = sorted(d)
        out += [(b - a).days for a, b in pairwise(ordered)]
    return out


def retention_cells(days, period: str, today: dt.date) -> dict[tuple[int, int], tuple[float | None, float | None]]:
    """(cohort index, k) → (retention, k-or-later) over complete periods; None when incomplete."""
    now = period_index(today, period)
    active = {c: {period_index(day, period) for day in d} for c, d in days.items()}
    cohorts = defaultdict(list)
    for ps in active.values():
        cohorts[min(ps)].append(ps)
    out = {}
    for cohort, members in cohorts.items():
        for k in range(now - cohort + 1):
            if cohort + k >= now:
                out[cohort, k] = (None, None)
            else:
                out[cohort, k] = (sum(cohort + k in ps for ps in members) / len(members),
                                  sum(max(ps) >= cohort + k for ps in members) / len(members))
    return out


def lifecycle_states(days, period: str, today: dt.date) -> dict[int, dict[str, int]]:
    now = period_index(today, period)
    active = {c: {period_index(day, period) for day in d} for c, d in days.items()}
    first = min(min(ps) for ps in active.values())
    out = {}
    for p in range(first, now + 1):
        counts = dict.fromkeys(("new", "returning", "resurrecting", "dormant"), 0)
        for ps in active.values():
            if p in ps:
                state = "new" if p == min(ps) else "returning" if p - 1 in ps else "resurrecting"
                counts[state] += 1
            elif p - 1 in ps:
                counts["dormant"] += 1
        out[p] = counts
    return out


def local_day(ts: dt.datetime, timezone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return ts.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()
