"""The plan arithmetic by hand: the backwards plan, what-if, working days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voronka.errors import DefinitionError
from voronka.plan import backwards_plan, ceil, what_if, working_days_in_month


def test_the_articles_example():
    # 10 deals per seller per month; contact → meeting 0.3, meeting → proposal 0.5, proposal → deal 0.2
    plan = backwards_plan(10, [0.3, 0.5, 0.2], sellers=4, stages=["contact", "meeting", "proposal", "deal"])
    rows = plan.table.to_pylist()
    assert [r["stage"] for r in rows] == ["contact", "meeting", "proposal", "deal"]
    # proposals 10 / 0.2 = 50, meetings 50 / 0.5 = 100, contacts 100 / 0.3 = 333.3 → 334
    assert [r["per_seller_per_period"] for r in rows] == [334, 100, 50, 10]
    # per working day (21): 333.3 / 21 = 15.87 → 16; 100 / 21 = 4.76 → 5; 50 / 21 → 3; 10 / 21 → 1
    assert [r["per_seller_per_day"] for r in rows] == [16, 5, 3, 1]
    # the team of four: 1333.3 → 1334 (not 4 × 334 = 1336: each volume is rounded up once)
    assert [r["team_per_period"] for r in rows] == [1334, 400, 200, 40]
    assert plan.exact == pytest.approx([4000 / 3, 400, 200, 40])
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.3, 0.5, 0.2]
    assert plan.team_sales == 40 and plan.team_revenue is None


def test_revenue_target_for_the_team():
    # 1,200,000 ₸ a month for the team of 3 at a check of 12,000: 100 sales; rates 0.25, 0.4
    plan = backwards_plan(1_200_000, [0.25, 0.4], target_kind="revenue", per="team", sellers=3, check=12_000)
    rows = plan.table.to_pylist()
    # sales 100 → 100 / 0.4 = 250 → 250 / 0.25 = 1000 leads; per seller 333.3 → 334; per day 15.9 → 16
    assert [r["team_per_period"] for r in rows] == [1000, 250, 100]
    assert [r["per_seller_per_period"] for r in rows] == [334, 84, 34]
    assert [r["per_seller_per_day"] for r in rows] == [16, 4, 2]
    assert plan.team_revenue == pytest.approx(1_200_000)


def test_weekly_plan_and_working_days():
    plan = backwards_plan(5, [0.5], period="week")
    assert plan.working_days == 5
    assert plan.table.column("per_seller_per_day").to_pylist() == [2, 1]  # 10 / 5, 5 / 5
    assert backwards_plan(5, [0.5], working_days=20).table.column("per_seller_per_day").to_pylist() == [1, 1]


def test_ceil_ignores_floating_point_dust():
    assert ceil(50.000000000001) == 50 and ceil(50.01) == 51 and ceil(1 / 3 * 3) == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"rates": []}, "at least one"), ({"rates": [0.0]}, "above 0"), ({"rates": [30]}, "0.3"),
    ({"target": 0}, "target"), ({"sellers": 0}, "sellers"), ({"period": "year"}, "period"),
    ({"target_kind": "revenue"}, "check"), ({"check": -1}, "check"), ({"stages": ["a"]}, "2 stages|1 stages"),
])
def test_plan_errors_name_the_field(kwargs, message):
    args = {"target": 10, "rates": [0.5], **kwargs}
    with pytest.raises(DefinitionError, match=message):
        backwards_plan(args.pop("target"), args.pop("rates"), **args)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500), st.lists(st.floats(0.01, 1), min_size=1, max_size=6), st.integers(1, 12))
def test_rounded_plan_is_never_short(target, rates, sellers):
    plan = backwards_plan(target, rates, sellers=sellers, per="team")
    team = plan.table.column("team_per_period").to_pylist()
    expected = team[0]
    for r in rates:  # carrying the rounded first-stage volume forward reaches the target
        expected *= r
    assert expected >= target - 1e-6
    assert all(v >= x - 1e-9 for v, x in zip(team, plan.exact))
    assert all(v - x < 1 + 1e-9 for v, x in zip(team, plan.exact))


def test_what_if_by_hand():
    # 1000 entrants, rates 0.5, 0.4, 0.5: customers 1000, 500, 200, 100
    result = what_if(1000, [0.5, 0.4, 0.5], stage=3, points=5, check=100, stages=["a", "b", "c", "d"])
    rows = result.table.to_pylist()
    assert [r["customers"] for r in rows] == pytest.approx([1000, 500, 200, 100])
    # into c: 0.4 → 0.45: +500 × 0.05 = 25 at c, × 0.5 = 12.5 at d; revenue 12.5 × 100
    assert [r["extra_customers"] for r in rows] == pytest.approx([0, 0, 25, 12.5])
    assert rows[2]["new_conversion"] == pytest.approx(0.45)
    assert result.extra_revenue == pytest.approx(1250)
    # valued at stage b (before the change): no extra revenue
    assert what_if(1000, [0.5, 0.4, 0.5], 3, 5, check=100, value_stage=2).extra_revenue == 0
    assert what_if(1000, [0.5, 0.4, 0.5], 3, 5).extra_revenue is None


@pytest.mark.parametrize("stage, points, message", [(1, 5, "first stage"), (5, 5, "2..4"), (2, 60, "outside")])
def test_what_if_errors(stage, points, message):
    with pytest.raises(DefinitionError, match=message):
        what_if(1000, [0.5, 0.4, 0.5], stage, points)


@pytest.mark.parametrize("kwargs, message", [
    ({"rates": [0.5, 0.0, 0.5]}, "above 0"), ({"stages": ["a", "b"]}, "2 stages need 1 rates"),
    ({"value_stage": 5}, "1..4"), ({"value_stage": 0}, "1..4"),
])
def test_what_if_input_errors(kwargs, message):
    args = {"rates": [0.5, 0.4, 0.5], **kwargs}
    with pytest.raises(DefinitionError, match=message):
        what_if(1000, args.pop("rates"), 3, 5, **args)


def test_working_days_in_month():
    assert working_days_in_month(2026, 3) == 22  # March 2026: starts on a Sunday, 31 days
    assert working_days_in_month(2026, 2) == 20
    assert working_days_in_month(2026, 12) == 23
    # Nauryz 2026 (21–23 March: Sat, Sun, Mon): only Monday the 23rd is a weekday
    assert working_days_in_month(2026, 3, [dt.date(2026, 3, d) for d in (21, 22, 23)]) == 21
