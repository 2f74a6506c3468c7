"""Frequency, recency, T, monetary value and holdout counts per customer, on every engine."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from tests.backends import T0, event
from voronka.clv.summary import customer_summary
from voronka.errors import DefinitionError

DAY = 24 * 60


def rows():
    return [
        event("a", 0, "purchase", revenue=10, currency="KZT"),
        event("a", 60, "purchase", revenue=5, currency="KZT"),          # same day: one occasion of 15
        event("anon-1", 7 * DAY, "purchase", revenue=20, currency="KZT"),  # a, through the alias map
        event("a", 21 * DAY, "purchase", revenue=40, currency="KZT"),
        event("a", 35 * DAY, "purchase", revenue=99, currency="KZT"),   # holdout
        event("a", 35 * DAY + 60, "purchase", revenue=1, currency="KZT"),  # same holdout day
        event("b", 14 * DAY, "purchase", revenue=7, currency="KZT"),
        event("c", 30 * DAY, "purchase", revenue=3, currency="KZT"),    # first purchase in the holdout: left out
        event("d", 0, "site_visit"),                                    # never bought
        event("z", 49 * DAY, "ad_view"),                                # the latest event
    ]


ALIASES = pa.table({"alias": ["anon-1"], "customer_id": ["a"]})
CAL_END = T0.date() + dt.timedelta(days=28)


def test_summary_follows_the_fader_hardie_convention(engine_for):
    s = customer_summary(engine_for(rows(), aliases=ALIASES), unit="day", calibration_end=CAL_END,
                         holdout_end=CAL_END + dt.timedelta(days=14))
    got = {r["customer_id"]: r for r in s.customers.to_pylist()}
    assert set(got) == {"a", "b"}
    a, b = got["a"], got["b"]
    assert (a["frequency"], a["recency"], a["T"], a["frequency_holdout"]) == (2, 21.0, 28.0, 1)
    assert a["monetary_value"] == pytest.approx(30.0)     # (20 + 40) / 2: the first occasion left out
    assert a["first_purchase"] == T0.date()
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"], b["frequency_holdout"]) == (0, 0.0, 14.0, 0.0, 0)
    assert s.holdout_length == 14.0 and s.currency == "KZT"


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])  # Spark: the first test of this file
def test_weeks_and_default_calibration_end(engine_for):
    s = customer_summary(engine_for(rows(), aliases=ALIASES), unit="week")
    assert s.calibration_end == T0.date() + dt.timedelta(days=49) and s.holdout_end is None
    assert "frequency_holdout" not in s.customers.column_names
    a = next(r for r in s.customers.to_pylist() if r["customer_id"] == "a")
    assert (a["frequency"], a["recency"], a["T"]) == (3, 5.0, 7.0)
    assert a["monetary_value"] == pytest.approx((20 + 40 + 100) / 3)


def test_several_currencies_need_a_choice():
    from tests.backends import engine_for

    mixed = rows() + [event("b", 15 * DAY, "purchase", revenue=1, currency="USD")]
    with pytest.raises(DefinitionError, match="several currencies"):
        customer_summary(engine_for(mixed))
    s = customer_summary(engine_for(mixed), unit="day", currency="USD", calibration_end=CAL_END)
    b = next(r for r in s.customers.to_pylist() if r["customer_id"] == "b")
    assert (b["frequency"], b["monetary_value"]) == (1, 1.0)   # the KZT purchase counts, with revenue 0


def test_bad_choices_are_user_errors():
    from tests.backends import engine_for

    with pytest.raises(DefinitionError, match="unit"):
        customer_summary(engine_for(rows()), unit="fortnight")
    with pytest.raises(DefinitionError, match="holdout"):
        customer_summary(engine_for(rows()), calibration_end=CAL_END, holdout_end=CAL_END)


def test_days_are_local_calendar_days():
    from tests.backends import engine_for

    # 20:00 UTC is 01:00 the next day in Almaty (UTC+5): the two purchases are one occasion there
    late = [event("a", 11 * 60, "purchase", revenue=1, currency="KZT"),        # 2026-03-02 20:00 UTC
            event("a", 16 * 60, "purchase", revenue=2, currency="KZT"),        # 2026-03-03 01:00 UTC
            event("a", 8 * DAY, "purchase", revenue=4, currency="KZT")]
    utc = customer_summary(engine_for(late), unit="day").customers.to_pylist()[0]
    almaty = customer_summary(engine_for(late), unit="day", timezone="Asia/Almaty").customers.to_pylist()[0]
    assert (utc["frequency"], almaty["frequency"]) == (2, 1)
    assert almaty["first_purchase"] == T0.date() + dt.timedelta(days=1)
    assert (almaty["recency"], almaty["T"], almaty["monetary_value"]) == (7.0, 7.0, 4.0)
