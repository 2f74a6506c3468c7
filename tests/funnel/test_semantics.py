"""Hand-made cases, one per documented rule of docs/funnels.md, on every engine (DuckDB, chdb, Spark)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import at, event
from voronka.funnel import Breakdown, Exclusion, FunnelDefinition, Step, compute_funnel
from voronka.funnel.reference import reference_outcomes
from voronka.rules import Condition, StepRule
from voronka.stats import wilson_interval

pytestmark = pytest.mark.spark_connect  # also on a real Spark Connect server


def steps(*names: str, **options) -> FunnelDefinition:
    keys = [n if names.count(n) == 1 else f"{n}{i + 1}" for i, n in enumerate(names)]
    return FunnelDefinition(
        steps=tuple(Step(key=k, rule=StepRule(events=tuple(n.split("|")))) for k, n in zip(keys, names)), **options
    )


def counts(engine_for, rows, defn) -> list[int]:
    result = compute_funnel(engine_for(rows), defn)
    # every hand-made case also holds for the reference implementation
    ref = reference_outcomes(defn, rows)
    assert sorted(o.level for o in result.outcomes()) == sorted(o.level for o in ref)
    return [r["customers"] for r in result.steps.to_pylist() if r["breakdown"] in (None, "tv", "web")][: len(defn.steps)]


def test_ordered_allows_other_events_between_steps(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "noise"), event("u", 2, "signup"), event("u", 3, "buy")]
    assert counts(engine_for, rows, steps("visit", "signup", "buy")) == [1, 1, 1]


def test_strict_order_needs_the_very_next_event(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "noise"), event("u", 2, "signup")]
    assert counts(engine_for, rows, steps("visit", "signup", order="strict")) == [1, 0]
    rows = [event("u", 0, "visit"), event("u", 2, "signup")]
    assert counts(engine_for, rows, steps("visit", "signup", order="strict")) == [1, 1]


def test_unordered_counts_steps_in_any_order_within_the_window(engine_for):
    rows = [event("u", 0, "buy"), event("u", 5, "visit"), event("u", 50, "signup")]
    assert counts(engine_for, rows, steps("visit", "signup", "buy", order="unordered", window="10m")) == [1, 1, 0]


def test_window_is_counted_from_the_first_step_and_its_end_is_inclusive(engine_for):
    rows = [event("u", 0, "visit"), event("u", 10, "signup"), event("v", 0, "visit"), event("v", 10.5, "signup")]
    assert counts(engine_for, rows, steps("visit", "signup", window="10m")) == [2, 1]


def test_a_later_first_step_starts_a_new_attempt(engine_for):
    # the first visit's window closes before signup; the second visit's does not
    rows = [event("u", 0, "visit"), event("u", 30, "visit"), event("u", 35, "signup")]
    result = compute_funnel(engine_for(rows), steps("visit", "signup", window="10m"))
    assert [r["customers"] for r in result.steps.to_pylist()] == [1, 1]
    assert result.units.column("t1").to_pylist() == [at(30)]  # the attempt that got furthest


def test_among_equally_far_attempts_the_earliest_counts(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "signup"), event("u", 5, "visit"), event("u", 6, "signup")]
    result = compute_funnel(engine_for(rows), steps("visit", "signup", window="10m"))
    assert result.units.column("t1").to_pylist() == [at(0)]
    assert result.steps.column("median_seconds_from_previous").to_pylist() == [None, 60.0]


def test_ties_allow_lets_an_equal_timestamp_fill_the_next_step(engine_for):
    rows = [event("u", 0, "visit", "1"), event("u", 0, "signup", "2")]
    assert counts(engine_for, rows, steps("visit", "signup", ties="allow")) == [1, 1]
    assert counts(engine_for, rows, steps("visit", "signup", ties="strict")) == [1, 0]


def test_one_event_never_fills_two_steps(engine_for):
    rows = [event("u", 0, "visit")]
    assert counts(engine_for, rows, steps("visit", "visit")) == [1, 0]
    rows.append(event("u", 1, "visit"))
    assert counts(engine_for, rows, steps("visit", "visit")) == [1, 1]


def test_exclusion_between_steps_disqualifies_the_attempt(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "refund"), event("u", 2, "buy"),
            event("v", 0, "visit"), event("v", 2, "buy"), event("v", 3, "refund")]
    defn = steps("visit", "buy", exclusions=(Exclusion(rule=StepRule(events=("refund",)), from_step=1, to_step=2),))
    assert counts(engine_for, rows, defn) == [1, 1]  # u is gone; v's refund came after buy


def test_exclusion_scope_customer_removes_every_attempt_of_the_customer(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "refund"), event("u", 2, "buy"),
            event("u", 30, "visit")]
    x = (Exclusion(rule=StepRule(events=("refund",)), from_step=1, to_step=2),)
    assert counts(engine_for, rows, steps("visit", "buy", window="10m", exclusions=x)) == [1, 0]  # the later attempt stays
    assert counts(engine_for, rows, steps("visit", "buy", window="10m", exclusions=x, exclusion_scope="customer")) == [0, 0]


def test_customers_inside_their_window_are_in_progress_not_dropped(engine_for):
    rows = [event("u", 0, "visit"), event("v", 100, "visit"), event("w", 105, "visit")]
    result = compute_funnel(engine_for(rows), steps("visit", "signup", window="10m"))
    first = result.steps.to_pylist()[0]
    assert (first["dropped"], first["in_progress"]) == (1, 2)  # as_of = 105 min
    assert sorted(result.customers(1, "in_progress").column("customer_id").to_pylist()) == ["v", "w"]
    assert result.customers("visit", "dropped").column("customer_id").to_pylist() == ["u"]


def test_optional_step_does_not_block_the_next_one(engine_for):
    defn = FunnelDefinition(steps=(
        Step(key="visit", rule=StepRule(events=("visit",))),
        Step(key="trial", rule=StepRule(events=("trial",)), optional=True),
        Step(key="buy", rule=StepRule(events=("buy",))),
    ))
    rows = [event("u", 0, "visit"), event("u", 1, "buy"), event("v", 0, "visit"), event("v", 1, "trial"),
            event("v", 2, "buy")]
    assert counts(engine_for, rows, defn) == [2, 1, 2]


def test_max_time_from_previous_step(engine_for):
    defn = FunnelDefinition(steps=(Step(key="visit", rule=StepRule(events=("visit",))),
                                   Step(key="buy", rule=StepRule(events=("buy",)), max_from_previous="5m")))
    rows = [event("u", 0, "visit"), event("u", 4, "buy"), event("v", 0, "visit"), event("v", 6, "buy")]
    assert counts(engine_for, rows, defn) == [2, 1]


def test_a_step_may_match_any_of_several_events_and_property_conditions(engine_for):
    defn = FunnelDefinition(steps=(
        Step(key="touch", rule=StepRule(events=("ad_view", "content_view"))),
        Step(key="big", rule=StepRule(events=("purchase",), where=(Condition(field="revenue", op="gte", value=5000),))),
    ))
    rows = [event("u", 0, "content_view"), event("u", 1, "purchase", revenue=9000, currency="KZT"),
            event("v", 0, "ad_view"), event("v", 1, "purchase", revenue=990, currency="KZT")]
    assert counts(engine_for, rows, defn) == [2, 1]


def test_repeat_purchase_and_referral_rules(engine_for):
    defn = FunnelDefinition(steps=(
        Step(key="buy", rule=StepRule(events=("purchase",))),
        Step(key="repeat", rule=StepRule(events=("purchase",), min_purchases=2)),
        Step(key="refer", rule=StepRule(min_referrals=1)),
    ))
    rows = [event("u", 0, "purchase"), event("u", 10, "purchase"), event("f", 20, "visit", referrer_id="u"),
            event("v", 0, "purchase")]
    assert counts(engine_for, rows, defn) == [2, 1, 1]


def test_breakdown_attribution_first_and_last_touch(engine_for):
    rows = [event("u", 0, "visit", channel="tv"), event("u", 1, "buy", channel="web"),
            event("v", 0, "visit", channel="web")]
    first = compute_funnel(engine_for(rows), steps("visit", "buy", breakdown=Breakdown(field="channel")))
    assert {(r["breakdown"], r["step"]): r["customers"] for r in first.steps.to_pylist()} == {
        ("tv", 1): 1, ("tv", 2): 1, ("web", 1): 1, ("web", 2): 0}
    last = compute_funnel(engine_for(rows), steps("visit", "buy", breakdown=Breakdown(field="channel", attribution="last_touch")))
    assert {(r["breakdown"], r["step"]): r["customers"] for r in last.steps.to_pylist()} == {
        ("web", 1): 2, ("web", 2): 1}


def test_breakdown_top_values_and_other(engine_for):
    rows = [event(f"c{i}", 0, "visit", channel=ch) for i, ch in enumerate(["tv"] * 3 + ["web"] * 2 + ["radio"])]
    result = compute_funnel(engine_for(rows), steps("visit", breakdown=Breakdown(field="channel", top=1)))
    assert [(r["breakdown"], r["customers"]) for r in result.steps.to_pylist()] == [("tv", 3), ("(other)", 3)]


def test_date_range_selects_who_enters_in_the_named_time_zone(engine_for):
    # 2026-03-02 09:00 UTC is 14:00 in Almaty (UTC+5); 20:00 UTC is already 03-03 there
    rows = [event("u", 0, "visit"), event("v", 11 * 60, "visit"), event("u", 3 * 24 * 60, "buy")]
    defn = steps("visit", "buy", date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 2), timezone="Asia/Almaty")
    assert counts(engine_for, rows, defn) == [1, 1]  # u entered in range; its later purchase still counts


def test_counting_attempts_counts_every_attempt(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "buy"), event("u", 2, "visit"), event("u", 3, "buy")]
    assert counts(engine_for, rows, steps("visit", "buy", counting="attempts")) == [2, 2]
    assert counts(engine_for, rows, steps("visit", "buy")) == [1, 1]


def test_trends_per_cohort_period(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "buy"), event("v", 8 * 24 * 60, "visit")]
    result = compute_funnel(engine_for(rows), steps("visit", "buy", cohort="week"))
    assert [(str(r["period"]), r["step"], r["customers"]) for r in result.trends.to_pylist()] == [
        ("2026-03-02", 1, 1), ("2026-03-02", 2, 1), ("2026-03-09", 1, 1), ("2026-03-09", 2, 0)]


def test_trends_follow_the_breakdown_with_every_period_and_an_interval(engine_for):
    week = 7 * 24 * 60
    rows = [event("u", 0, "visit", channel="tv"), event("u", 1, "buy"), event("v", 2, "visit", channel="web"),
            event("w", 2 * week, "visit", channel="tv"), event("x", 2 * week + 5, "visit", channel="vk"),
            event("x", 2 * week + 6, "buy")]
    defn = steps("visit", "buy", cohort="week", breakdown=Breakdown(field="channel", top=1))
    result = compute_funnel(engine_for(rows), defn)
    got = [(r["breakdown"], str(r["period"]), r["step"], r["entered"], r["customers"], r["conversion_from_first"])
           for r in result.trends.to_pylist()]
    assert got == [  # tv has the most units; web and vk are (other); the empty week is there, with zeros
        ("tv", "2026-03-02", 1, 1, 1, 1.0), ("tv", "2026-03-02", 2, 1, 1, 1.0),
        ("tv", "2026-03-09", 1, 0, 0, None), ("tv", "2026-03-09", 2, 0, 0, None),
        ("tv", "2026-03-16", 1, 1, 1, 1.0), ("tv", "2026-03-16", 2, 1, 0, 0.0),
        ("(other)", "2026-03-02", 1, 1, 1, 1.0), ("(other)", "2026-03-02", 2, 1, 0, 0.0),
        ("(other)", "2026-03-09", 1, 0, 0, None), ("(other)", "2026-03-09", 2, 0, 0, None),
        ("(other)", "2026-03-16", 1, 1, 1, 1.0), ("(other)", "2026-03-16", 2, 1, 1, 1.0),
    ]
    point = result.trends.to_pylist()[5]
    assert (point["ci_low"], point["ci_high"]) == wilson_interval(0, 1)
    assert result.trends.to_pylist()[2]["ci_low"] is None
    # the series add up to the trends without breakdown
    plain = compute_funnel(engine_for(rows), steps("visit", "buy", cohort="week")).trends.to_pylist()
    assert [r["customers"] for r in plain] == [a + b for a, b in zip(
        [r[4] for r in got[:6]], [r[4] for r in got[6:]], strict=True)]


def test_trends_cover_the_whole_date_range(engine_for):
    rows = [event("u", 0, "visit"), event("u", 1, "buy")]
    defn = steps("visit", "buy", cohort="day", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 3))
    periods = [str(r["period"]) for r in compute_funnel(engine_for(rows), defn).trends.to_pylist() if r["step"] == 1]
    assert periods == ["2026-03-01", "2026-03-02", "2026-03-03"]


def test_a_customer_entering_in_two_periods_counts_in_both_in_local_time(engine_for):
    # 09:00 UTC is 14:00 in Almaty (UTC+5); 20:00 UTC is 01:00 there, the next day
    rows = [event("u", 0, "visit"), event("u", 1, "buy"), event("u", 11 * 60, "visit")]

    def trends(timezone: str) -> list[tuple]:
        result = compute_funnel(engine_for(rows), steps("visit", "buy", cohort="day", timezone=timezone))
        return [(str(r["period"]), r["step"], r["customers"]) for r in result.trends.to_pylist()]

    assert trends("Asia/Almaty") == [("2026-03-02", 1, 1), ("2026-03-02", 2, 1),
                                     ("2026-03-03", 1, 1), ("2026-03-03", 2, 0)]
    assert trends("UTC") == [("2026-03-02", 1, 1), ("2026-03-02", 2, 1)]


def test_twenty_five_steps(engine_for):
    names = [f"e{i}" for i in range(25)]
    rows = [event("u", i, name) for i, name in enumerate(names)] + [event("v", i, n) for i, n in enumerate(names[:7])]
    assert counts(engine_for, rows, steps(*names))[-1] == 1
    assert counts(engine_for, rows, steps(*names))[6:8] == [2, 1]


def test_aliases_merge_identities_before_analysis(engine_for):
    rows = [event("anon-1", 0, "visit"), event("+77010000000", 5, "identify", properties={"alias": "anon-1"}),
            event("+77010000000", 6, "buy")]
    assert counts(engine_for, rows, steps("visit", "buy")) == [1, 1]


@pytest.mark.parametrize("bad", [
    dict(order="unordered", exclusions=(Exclusion(rule=StepRule(events=("x",)), from_step=1, to_step=2),)),
    dict(window="-1m"),
    dict(timezone="Mars/Olympus"),
    dict(breakdown=Breakdown(field="channel", attribution="step", step=5)),
])
def test_invalid_definitions_are_rejected(bad):
    with pytest.raises(ValueError):
        steps("visit", "buy", **bad)


def test_breakdown_attribution_at_a_named_step(engine_for):
    rows = [event("u", 0, "visit", channel="tv"), event("u", 1, "signup", channel="web"), event("u", 2, "buy"),
            event("v", 0, "visit", channel="tv")]
    result = compute_funnel(engine_for(rows), steps("visit", "signup", "buy",
                                                    breakdown=Breakdown(field="channel", attribution="step", step=2)))
    got = {(r["breakdown"], r["step"]): r["customers"] for r in result.steps.to_pylist()}
    assert got == {("web", 1): 1, ("web", 2): 1, ("web", 3): 1, ("(none)", 1): 1, ("(none)", 2): 0, ("(none)", 3): 0}


def test_breakdown_all_steps_runs_the_funnel_per_value(engine_for):
    # u visits on tv and buys on web: under all_steps neither value has both steps
    rows = [event("u", 0, "visit", channel="tv"), event("u", 1, "buy", channel="web"),
            event("v", 0, "visit", channel="web"), event("v", 1, "buy", channel="web")]
    result = compute_funnel(engine_for(rows), steps("visit", "buy", breakdown=Breakdown(field="channel",
                                                                                     attribution="all_steps")))
    got = {(r["breakdown"], r["step"]): r["customers"] for r in result.steps.to_pylist()}
    assert got == {("web", 1): 1, ("web", 2): 1, ("tv", 1): 1, ("tv", 2): 0}


def test_without_unit_rows_the_aggregates_are_the_same(engine_for):
    """``units=False`` (billions of events): same step table, no per-customer rows back."""
    from voronka.errors import DefinitionError

    rows = [event("a", 0, "visit"), event("a", 5, "buy"), event("b", 1, "visit")]
    engine = engine_for(rows)
    full = compute_funnel(engine, steps("visit", "buy"))
    slim = compute_funnel(engine, steps("visit", "buy"), units=False)
    assert slim.steps.equals(full.steps) and slim.histogram.equals(full.histogram)
    assert slim.units is None and full.customers("buy").column("customer_id").to_pylist() == ["a"]
    with pytest.raises(DefinitionError, match="units=False"):
        slim.customers(1)


def test_a_step_without_events_is_filled_by_any_event(engine_for):
    # visit, then any event, then buy: the buy right after the visit fills "any event"
    defn = FunnelDefinition(steps=(Step(key="visit", rule=StepRule(events=("visit",))), Step(key="any", rule=StepRule()),
                                   Step(key="buy", rule=StepRule(events=("buy",)))))
    assert counts(engine_for, [event("u", 0, "visit"), event("u", 1, "buy")], defn) == [1, 1, 0]
    assert counts(engine_for, [event("u", 0, "visit"), event("u", 1, "noise"), event("u", 2, "buy")], defn) == [1, 1, 1]


def test_ties_step_order_takes_one_second_in_step_order(engine_for):
    # b (e1) before a (e2) in event order, one second: step order reaches a → b; one event fills a, a
    rows = [event("u", 0, "b", "e1"), event("u", 0, "a", "e2")]
    assert counts(engine_for, rows, steps("a", "b", ties="allow")) == [1, 0]
    assert counts(engine_for, rows, steps("a", "b", ties="step_order")) == [1, 1]
    assert counts(engine_for, rows, steps("a", "a", ties="step_order")) == [1, 1]
    # an exclusion counts only between the steps' events in event order: x (e0) is before both
    rows.append(event("u", 0, "x", "e0"))
    excluded = steps("a", "b", ties="step_order", exclusions=(Exclusion(rule=StepRule(events=("x",)), from_step=1,
                                                                      to_step=2),))
    assert counts(engine_for, rows, excluded) == [1, 1]
