"""Lifecycle states per period: new, returning, resurrecting, dormant."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import at, engine_for, event
from tests.loop import oracle
from voronka.loop.lifecycle import lifecycle
from voronka.loop.periods import period_index

W = 7 * 24 * 60  # T0 is a Monday


def test_weekly_states_worked_by_hand(engine_for):
    data = [event("a", 0, "purchase"), event("a", W, "purchase"), event("a", 3 * W, "purchase"),
            event("b", W + 60, "purchase"), event("z", 5 * W, "ad_view")]
    table = lifecycle(engine_for(data), period="week").to_pylist()
    got = [(r["period"].isoformat(), r["new"], r["returning"], r["resurrecting"], r["dormant"], r["complete"])
           for r in table]
    assert got == [
        ("2026-03-02", 1, 0, 0, 0, True),   # a new
        ("2026-03-09", 1, 1, 0, 0, True),   # b new, a returning
        ("2026-03-16", 0, 0, 0, 2, True),   # both dormant
        ("2026-03-23", 0, 0, 1, 0, True),   # a resurrecting
        ("2026-03-30", 0, 0, 0, 1, True),   # a dormant again
        ("2026-04-06", 0, 0, 0, 0, False),  # the week of as_of
    ]
    assert [r["active"] for r in table] == [1, 2, 0, 1, 0, 0]


def test_no_purchases_no_rows(engine_on):
    assert lifecycle(engine_on([event("a", 0, "site_visit")])).num_rows == 0


purchases = st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(0, 100 * 24)), min_size=1, max_size=30)


@settings(max_examples=20, deadline=None)
@given(purchases, st.sampled_from(["day", "week", "month"]))
def test_engine_agrees_with_the_oracle(hours, period):
    data = [event(c, h * 60, "purchase", event_id=str(i)) for i, (c, h) in enumerate(hours)]
    result = lifecycle(engine_for(data), period=period, timezone="Asia/Almaty", as_of=dt.datetime(2026, 6, 15))
    days = oracle.occasion_days([(c, oracle.local_day(at(h * 60), "Asia/Almaty"), 0.0) for c, h in hours])
    expected = oracle.lifecycle_states(days, period, dt.date(2026, 6, 15))
    got = {period_index(r["period"], period): {k: r[k] for k in ("new", "returning", "resurrecting", "dormant")}
           for r in result.to_pylist()}
    assert got == expected
