"""Cohort retention: the three measures, and NULL (not 0) for periods not yet complete."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import at, engine_for, event
from tests.loop import oracle
from voronka.errors import DefinitionError
from voronka.loop.periods import period_index
from voronka.loop.retention import retention

pytestmark = pytest.mark.spark_connect  # also on a real Spark Connect server

D = 24 * 60  # T0 is Monday 2026-03-02 09:00 UTC


def rows():
    return [
        event("a", 0, "purchase", revenue=100, currency="KZT"),        # Mar 2
        event("a", 69 * D, "purchase", revenue=50, currency="KZT"),    # May 10
        event("b", 18 * D, "purchase", revenue=100, currency="KZT"),   # Mar 20
        event("c", 30 * D, "purchase", revenue=10, currency="KZT"),    # Apr 1
        event("c", 44 * D, "purchase", revenue=20, currency="KZT"),    # Apr 15
        event("c", 60 * D, "purchase", revenue=30, currency="KZT"),    # May 1
        event("z", 100 * D, "ad_view"),                                # Jun 10: as_of
    ]


def _cells(result, *columns):
    return {(r["cohort"].isoformat(), r["k"]): tuple(r[c] for c in columns) for r in result.table.to_pylist()}


def test_monthly_retention_worked_by_hand(engine_for):
    result = retention(engine_for(rows()), period="month")
    assert _cells(result, "cohort_customers", "customers", "retention", "retention_k_or_later",
                  "revenue_retention") == {
        ("2026-03-01", 0): (2, 2, 1.0, 1.0, 1.0),
        ("2026-03-01", 1): (2, 0, 0.0, 0.5, 0.0),      # April: nobody; a comes back later
        ("2026-03-01", 2): (2, 1, 0.5, 0.5, 0.25),     # May: a, 50 of 200
        ("2026-03-01", 3): (2, None, None, None, None),  # June runs at as_of: NULL, not 0
        ("2026-04-01", 0): (1, 1, 1.0, 1.0, 1.0),
        ("2026-04-01", 1): (1, 1, 1.0, 1.0, 1.0),      # May: c, 30 of 30
        ("2026-04-01", 2): (1, None, None, None, None),
    }
    assert result.matrix("retention_k_or_later").to_pylist()[0] == {
        "cohort": dt.date(2026, 3, 1), "cohort_customers": 2, "k0": 1.0, "k1": 0.5, "k2": 0.5, "k3": None}


def test_as_of_at_a_period_end_completes_it(engine_on):
    result = retention(engine_on(rows()), period="month", as_of=dt.datetime(2026, 6, 1))
    complete = {(r["cohort"].month, r["k"]): r["complete"] for r in result.table.to_pylist()}
    assert complete[(3, 2)] is True and complete[(3, 3)] is False and complete[(4, 1)] is True


def test_weekly_cohorts_follow_the_time_zone(engine_on):
    # Sunday 2026-03-08 20:00 UTC is Monday 01:00 in Almaty: a different week there
    data = [event("a", 6 * D + 11 * 60, "purchase"), event("a", 7 * D, "purchase"), event("z", 30 * D, "ad_view")]
    utc = _cells(retention(engine_on(data), period="week"), "customers")
    almaty = _cells(retention(engine_on(data), period="week", timezone="Asia/Almaty"), "customers")
    assert utc[("2026-03-02", 1)] == (1,)
    assert ("2026-03-02", 0) not in almaty and almaty[("2026-03-09", 0)] == (1,)


def test_revenue_retention_needs_one_currency(engine_on):
    data = rows() + [event("d", 0, "purchase", revenue=5, currency="USD")]
    mixed = retention(engine_on(data), period="month")
    assert {r["revenue_retention"] for r in mixed.table.to_pylist()} == {None}
    assert mixed.table.to_pylist()[0]["retention"] == 1.0
    kzt = retention(engine_on(data), period="month", currency="KZT")
    assert _cells(kzt, "revenue_retention")[("2026-03-01", 2)] == (0.25,)


def test_unknown_measure_and_period(engine_on):
    result = retention(engine_on(rows()))
    with pytest.raises(DefinitionError, match="measure"):
        result.matrix("churn")
    with pytest.raises(DefinitionError, match="period"):
        retention(engine_on(rows()), period="year")


purchases = st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(0, 120 * 24)), min_size=1, max_size=30)


@settings(max_examples=20, deadline=None)
@given(purchases, st.sampled_from(["day", "week", "month"]))
def test_engine_agrees_with_the_oracle(hours, period):
    data = [event(c, h * 60, "purchase", event_id=str(i)) for i, (c, h) in enumerate(hours)]
    data.append(event("zz", 121 * 24 * 60, "ad_view"))
    result = retention(engine_for(data), period=period, timezone="Asia/Almaty")
    days = oracle.occasion_days([(c, oracle.local_day(at(h * 60), "Asia/Almaty"), 0.0) for c, h in hours])
    today = oracle.local_day(at(121 * 24 * 60), "Asia/Almaty")
    expected = oracle.retention_cells(days, period, today)
    got = {(period_index(r["cohort"], period), r["k"]): (r["retention"], r["retention_k_or_later"])
           for r in result.table.to_pylist()}
    assert got == expected  # the same counts divided the same way
