"""Period indexes: Python and SQL agree, and every period starts where it should."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from voronka.errors import DefinitionError
from voronka.loop.periods import period_index, period_index_sql, period_start


@pytest.mark.parametrize(("day", "period", "start"), [
    (dt.date(2026, 3, 4), "week", dt.date(2026, 3, 2)),   # Wednesday → Monday
    (dt.date(2026, 3, 8), "week", dt.date(2026, 3, 2)),   # Sunday → the Monday before
    (dt.date(2026, 3, 9), "week", dt.date(2026, 3, 9)),
    (dt.date(2026, 12, 31), "month", dt.date(2026, 12, 1)),
    (dt.date(1969, 12, 29), "week", dt.date(1969, 12, 29)),
    (dt.date(2026, 2, 28), "day", dt.date(2026, 2, 28)),
])
def test_period_start_of_a_day(day, period, start):
    assert period_start(period_index(day, period), period) == start
    assert period_index(start, period) == period_index(day, period)


@given(st.dates(dt.date(1990, 1, 1), dt.date(2060, 1, 1)), st.sampled_from(["day", "week", "month"]))
def test_consecutive_periods_are_consecutive_indexes(day, period):
    index = period_index(day, period)
    start, following = period_start(index, period), period_start(index + 1, period)
    assert start <= day < following
    assert period_index(following, period) == index + 1


@settings(max_examples=15, deadline=None)
@given(st.lists(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)), min_size=1, max_size=20))
def test_sql_matches_python(days):
    engine = engine_for([event("x", 0, "purchase")])
    values = ", ".join(f"(DATE '{d.isoformat()}')" for d in days)
    got = engine.query(
        f"SELECT d AS day, {period_index_sql('week', 'd', 'n')} AS w, {period_index_sql('month', 'd', 'n')} AS m "
        f"FROM (SELECT d, CAST(date_diff('day', DATE '1970-01-01', d) AS BIGINT) AS n FROM (VALUES {values}) AS v(d)) AS x"
    ).to_pylist()
    assert [(r["w"], r["m"]) for r in got] == [(period_index(d, "week"), period_index(d, "month")) for d in days]


def test_unknown_period_is_a_definition_error():
    with pytest.raises(DefinitionError, match="period must be one of day, week, month"):
        period_index(dt.date(2026, 1, 1), "quarter")
