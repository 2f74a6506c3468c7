"""Drifting customers (overdue by their own rhythm or the population's) and the win-back
comparison: hand-made answers, the statistics against statsmodels, the demo's planted uplift."""

from __future__ import annotations

import math

import pytest

from tests.backends import at, event
from voronka.errors import DefinitionError
from voronka.loop.drift import overdue_customers, winback
from voronka.rules import StepRule

D = 24 * 60


def buyers():
    days = {"a": [0, 10, 24], "b": [20, 30, 42], "c": [0, 30], "d": [5], "e": [40, 41, 42, 43]}
    return [event(c, d * D, "purchase") for c, ds in days.items() for d in ds]


def lapses():
    return [
        event("p", 0, "purchase"), event("p", 60 * D + 120, "winback_offer"), event("p", 80 * D, "purchase"),
        event("q", 0, "purchase"), event("q", 58 * D, "winback_offer"),
        event("r", 0, "purchase"), event("r", 100 * D, "purchase"),
        event("s", 0, "purchase"), event("s", 130 * D, "purchase"),
        event("t", 0, "purchase"), event("t", 30 * D, "purchase"), event("t", 100 * D, "winback_offer"),
        event("v", 350 * D, "purchase"),
        event("z", 400 * D, "ad_view"),
    ]


def test_overdue_and_winback_worked_by_hand(engine_for):
    result = overdue_customers(engine_for(buyers()), as_of=at(50 * D), lang="ru")
    got = [(r["customer_id"], r["days_since_last"], r["usual_gap_days"], r["overdue_own"], r["overdue_population"])
           for r in result.customers.to_pylist()]
    # all gaps: 1,1,1,10,10,12,14,30 -> the 90th percentile (nearest rank 8 of 8) is 30 days
    assert got == [("e", 7, 1.0, True, False), ("a", 26, 12.0, True, False), ("d", 45, None, False, True)]
    assert result.summary.to_pylist() == [{"customers": 5, "overdue": 3, "overdue_own": 2, "overdue_population": 1,
                                           "population_threshold_days": 30}]
    assert result.customers.column("action")[0].as_py().startswith("Предложить программу бонусов")

    wb = winback(engine_for(lapses()))
    assert wb.groups.to_pylist() == [
        {"group": "targeted", "lapses": 2, "returned": 1, "return_rate": 0.5},        # p came back, q did not
        {"group": "not_targeted", "lapses": 6, "returned": 1, "return_rate": 1 / 6},  # only r's first lapse
    ]
    assert wb.uplift == pytest.approx(1 / 3)


def test_overdue_thresholds_are_parameters(engine_on):
    engine = engine_on(buyers())
    median = overdue_customers(engine, as_of=at(50 * D), percentile=50, factor=3)
    # p50 of the gaps is 10 days: a (26), c (20), d (45); own rule with factor 3: e (7 > 3)
    assert {r["customer_id"]: (r["overdue_own"], r["overdue_population"]) for r in median.customers.to_pylist()} == {
        "e": (True, False), "c": (False, True), "a": (False, True), "d": (False, True)}
    with pytest.raises(DefinitionError, match="percentile"):
        overdue_customers(engine, percentile=0)
    with pytest.raises(DefinitionError, match="no stage 'doubt' in journey"):
        overdue_customers(engine, stage="doubt")
    assert overdue_customers(engine, model="hourglass", stage="repeat", as_of=at(50 * D)).customers.num_rows == 3


def test_winback_windows_are_parameters(engine_on):
    engine = engine_on(lapses())
    # offers count up to 30 days after the lapse point: t's late offer now targets its lapse
    late = winback(engine, offer_within="30d")
    assert [(r["lapses"], r["returned"]) for r in late.groups.to_pylist()] == [(3, 1), (5, 1)]
    # another offer event: nobody targeted, no uplift
    none = winback(engine, offer=StepRule(events=["sms"]))
    assert none.groups.to_pylist()[0]["lapses"] == 0 and none.uplift is None
    # follow-up of 30 days: r's return after 40 days no longer counts
    short = winback(engine, return_within="30d")
    assert [r["returned"] for r in short.groups.to_pylist()] == [1, 0]


def test_the_demo_win_back_uplift_is_found(demo_engine):
    """docs/demo.md: 40 % of targeted lapses and 12 % of the others buy again within 60 days."""
    wb = winback(demo_engine, timezone="Asia/Almaty")
    rates = {r["group"]: r["return_rate"] for r in wb.groups.to_pylist()}
    assert rates["targeted"] == pytest.approx(0.40, abs=0.07)
    assert rates["not_targeted"] == pytest.approx(0.12, abs=0.05)
    assert wb.ci_low > 0 and wb.ci_low < 0.28 < wb.ci_high
    assert wb.p_value < 1e-6
    assert math.isclose(wb.uplift, rates["targeted"] - rates["not_targeted"])
