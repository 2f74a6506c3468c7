"""Calendar periods (day, week, month) as whole numbers, in SQL and in Python.

Definition: periods are local calendar periods of the analysis time zone; a week starts
on Monday (ISO 8601). A period's **index** counts periods since the one holding
1970-01-01, so "the previous period" is index − 1 and a cohort's period k is its first
index + k. Occasions carry their local ``day``, so the index is computed from it::

    period_index(date(2026, 3, 4), "week") -> 2930   # the ISO week starting 2026-03-02
    period_start(2930, "week") -> date(2026, 3, 2)
"""

from __future__ import annotations

import datetime as dt

from voronka.errors import DefinitionError

PERIODS = ("day", "week", "month")
_EPOCH = dt.date(1970, 1, 1)
_MONDAY = 4  # 1970-01-05, the first Monday, is day 4


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise DefinitionError(f"period must be one of {', '.join(PERIODS)}, not {period!r}", field="period")
    return period


def period_index_sql(period: str, day: str = "day", day_number: str = "day_number") -> str:
    """SQL for the period index of the local DATE ``day`` (``day_number``: its days since 1970-01-01)."""
    check_period(period)
    if period == "day":
        return day_number
    if period == "week":
        return f"CAST(floor(({day_number} - {_MONDAY}) / 7.0) AS BIGINT)"
    return f"CAST(year({day}) * 12 + month({day}) - 1 AS BIGINT)"


def period_index(day: dt.date, period: str) -> int:
    """The index of the period holding ``day`` (as ``period_index_sql``)."""
    check_period(period)
    days = (day - _EPOCH).days
    if period == "day":
        return days
    if period == "week":
        return (days - _MONDAY) // 7
    return day.year * 12 + day.month - 1


def period_start(index: int, period: str) -> dt.date:
    """The first day of the period ``index``."""
    check_period(period)
    if period == "day":
        return _EPOCH + dt.timedelta(days=index)
    if period == "week":
        return _EPOCH + dt.timedelta(days=_MONDAY + 7 * index)
    return dt.date(index // 12, index % 12 + 1, 1)


__all__ = ["PERIODS", "check_period", "period_index", "period_index_sql", "period_start"]
