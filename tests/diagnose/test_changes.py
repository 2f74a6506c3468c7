"""This period against the previous one: the periods by hand, a planted drop found."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import T0, event
from voronka.diagnose.changes import period_changes, periods
from voronka.stats import proportion_test
from voronka.funnel.spec import build_funnel

DAY = 1440


def rows():
    """Days 0–9: 40 visitors, 20 sign up; days 10–19: 40 visitors, 5 sign up (a drop);
    channel b converts 50 % in both periods."""
    out = []
    for period, signups in ((0, 20), (10, 5)):
        for i in range(40):
            c = f"p{period}-{i:02d}"
            minutes = (period + i % 10) * DAY + i
            out.append(event(c, minutes, "visit", channel="a"))
            if i < signups:
                out.append(event(c, minutes + 5, "signup", channel="a"))
        for i in range(20):
            c = f"q{period}-{i:02d}"
            minutes = (period + i % 10) * DAY + i
            out.append(event(c, minutes, "visit", channel="b"))
            if i % 2:
                out.append(event(c, minutes + 5, "signup", channel="b"))
    return out


def test_periods_by_hand():
    definition = build_funnel({"steps": ["a", "b"], "date_from": dt.date(2026, 3, 12), "date_to": dt.date(2026, 3, 21)})
    assert periods(definition, T0) == ((dt.date(2026, 3, 12), dt.date(2026, 3, 21)),
                                       (dt.date(2026, 3, 2), dt.date(2026, 3, 11)))
    as_of = dt.datetime(2026, 3, 31, 20, 0)  # 01:00 on April 1 in Almaty
    assert periods(build_funnel({"steps": ["a", "b"]}), as_of, 30) == (
        (dt.date(2026, 3, 2), dt.date(2026, 3, 31)), (dt.date(2026, 1, 31), dt.date(2026, 3, 1)))
    assert periods(build_funnel({"steps": ["a", "b"], "timezone": "Asia/Almaty"}), as_of, 1)[0] == (
        dt.date(2026, 4, 1), dt.date(2026, 4, 1))
    # with a window the current period ends on the day of as_of − window (settled attempts)
    assert periods(build_funnel({"steps": ["a", "b"], "window": "7d"}), as_of, 7)[0] == (
        dt.date(2026, 3, 18), dt.date(2026, 3, 24))


def test_planted_drop_is_significant(engine_for):
    definition = build_funnel({"steps": ["visit", "signup"], "breakdown": "channel",
                               "date_from": dt.date(2026, 3, 12), "date_to": dt.date(2026, 3, 21)})
    changes = period_changes(engine_for(rows()), definition)
    table = {r["segment"]: r for r in changes.table.to_pylist()}
    a = table["a"]
    assert (a["previous_trials"], a["previous_rate"], a["trials"], a["rate"]) == (40, 0.5, 40, 0.125)
    assert a["change"] == pytest.approx(-0.375)
    assert a["p"] == pytest.approx(proportion_test(5, 40, 20, 40).p)
    assert a["significant"]
    assert not table["b"]["significant"] and table["b"]["change"] == 0
    assert table[None]["trials"] == 60 and table[None]["significant"]
    assert [r["segment"] for r in changes.significant()] == ["a", None]
