"""The engine's SQL against the pure-Python reference, on random logs and definitions.

Every option of ``FunnelDefinition`` is drawn; both sides must give the same unit
outcomes and the same step tables.
"""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.backends import T0, at, engine_for
from voronka.funnel import Breakdown, Exclusion, FunnelDefinition, Step, compute_funnel
from voronka.funnel.outcomes import aggregate, finish_steps, finish_trends, trend_aggregate
from voronka.funnel.reference import reference_outcomes
from voronka.rules import Condition, StepRule

NAMES = ["a", "b", "c", "d"]
CUSTOMERS = ["u1", "u2", "u3", "u4"]


@st.composite
def event_logs(draw):
    n = draw(st.integers(0, 22))
    rows = []
    for i in range(n):
        customer = draw(st.sampled_from(CUSTOMERS))
        props = {}
        if draw(st.booleans()):
            props["p"] = draw(st.sampled_from(["1", "2", "10"]))
        name = draw(st.sampled_from(NAMES + ["identify"]))
        if name == "identify":
            props["alias"] = draw(st.sampled_from(CUSTOMERS))
        rows.append({
            "event_id": f"e{draw(st.integers(0, 99)):02d}-{i}",
            "customer_id": customer,
            "ts": at(draw(st.integers(0, 40))),  # minutes: small range, many ties
            "event": name,
            "channel": draw(st.sampled_from(["tv", "web", None])),
            "campaign": None,
            "revenue": None,
            "currency": None,
            "referrer_id": draw(st.sampled_from([None, None, None, "u1", "u2"])),
            "properties": props,
        })
    return rows


@st.composite
def rules(draw):
    kind = draw(st.sampled_from(["plain", "plain", "plain", "where", "purchases", "referrals", "any"]))
    events = tuple(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True)))
    if kind == "any":  # any event, or any event passing a condition
        return StepRule(where=draw(st.sampled_from([(), (Condition(field="channel", op="icontains", value="W"),)])))
    if kind == "where":
        field, op, value = draw(st.sampled_from([
            ("p", "eq", "1"), ("p", "gte", 2), ("p", "in", ["1", "10"]), ("p", "ne", "2"), ("p", "regex", "^1"),
            ("p", "regex", "0$|2"), ("channel", "icontains", "TV"), ("p", "is_null", None)]))
        return StepRule(events=events, where=(Condition(field=field, op=op, value=value),))
    if kind == "purchases":
        return StepRule(events=events, min_purchases=draw(st.integers(1, 3)))
    if kind == "referrals":
        return StepRule(min_referrals=draw(st.integers(1, 2)))
    return StepRule(events=events)


@st.composite
def definitions(draw):
    n = draw(st.integers(1, 4))
    order = draw(st.sampled_from(["ordered", "ordered", "strict", "unordered"]))
    steps = []
    for k in range(n):
        steps.append(Step(
            key=f"s{k}",
            rule=draw(rules()),
            optional=k > 0 and order == "ordered" and draw(st.booleans()) and draw(st.booleans()),
            max_from_previous=(dt.timedelta(minutes=draw(st.integers(0, 15)))
                               if k > 0 and order != "unordered" and draw(st.booleans()) else None),
        ))
    exclusions = ()
    if n >= 2 and order != "unordered" and draw(st.booleans()):
        i = draw(st.integers(1, n - 1))
        exclusions = (Exclusion(rule=StepRule(events=(draw(st.sampled_from(NAMES)),)), from_step=i,
                                to_step=draw(st.integers(i + 1, n))),)
    breakdown = None
    if draw(st.booleans()):
        attribution = draw(st.sampled_from(["first_touch", "last_touch", "all_steps", "step"]))
        breakdown = Breakdown(field=draw(st.sampled_from(["channel", "p", ("channel", "p")])), attribution=attribution,
                              step=draw(st.integers(1, n)) if attribution == "step" else None,
                              top=draw(st.integers(1, 3)))
    window = draw(st.sampled_from([None, dt.timedelta(minutes=5), dt.timedelta(minutes=20)]))
    date_from = date_to = None
    if draw(st.booleans()):
        date_from = T0.date()
        date_to = T0.date()
    kwargs = dict(
        steps=tuple(steps), window=window, order=order, ties=draw(st.sampled_from(["allow", "strict", "step_order"])),
        exclusions=exclusions, exclusion_scope=draw(st.sampled_from(["attempt", "customer"])),
        counting=draw(st.sampled_from(["customers", "attempts"])), breakdown=breakdown,
        date_from=date_from, date_to=date_to,
        timezone=draw(st.sampled_from(["UTC", "Asia/Almaty"])),
        cohort=draw(st.sampled_from([None, "day", "week"])),
    )
    if draw(st.booleans()):
        kwargs["as_of"] = at(draw(st.integers(0, 60)))
    if order == "ordered" and kwargs["ties"] == "step_order" and draw(st.booleans()):  # ClickHouse's scan
        modes = draw(st.lists(st.sampled_from(
            ["strict_increase", "strict_deduplication", "strict_order", "strict_once"]), unique=True, min_size=1))
        if "strict_order" in modes and draw(st.booleans()):
            modes.append("allow_reentry")
        kwargs.update(window_funnel=tuple(modes), exclusions=(), counting="customers", date_from=None, date_to=None,
                      cohort=None, steps=tuple(s.model_copy(update={"optional": False, "max_from_previous": None})
                                               for s in steps))
    if draw(st.integers(0, 3)) == 0:  # PostHog's scan (unordered: the attempts, never in progress)
        attribution = draw(st.sampled_from(["first_touch", "last_touch", "all_steps", "step", "first_non_empty",
                                            "last_non_empty", "step_values"]))
        breakdown = draw(st.sampled_from([None, Breakdown(
            field=draw(st.sampled_from(["channel", "p", ("p", "channel")])), attribution=attribution,
            step=draw(st.integers(1, n)) if attribution in ("step", "step_values") else None)]))
        if n >= 2 and not exclusions and draw(st.booleans()):  # exclusions over several steps (unordered: all)
            i = 1 if order == "unordered" else draw(st.integers(1, n - 1))
            exclusions = (Exclusion(rule=StepRule(events=(draw(st.sampled_from(NAMES)),)), from_step=i,
                                    to_step=n if order == "unordered" else draw(st.integers(i + 1, n))),)
        kwargs.update(scan="posthog", ties="allow", exclusions=exclusions, exclusion_scope="attempt",
                      counting="customers", breakdown=breakdown, date_from=None, date_to=None, cohort=None,
                      window_funnel=(), steps=tuple(
                          s.model_copy(update={"optional": False, "max_from_previous": None}) for s in steps))
    try:
        return FunnelDefinition(**kwargs)
    except ValidationError:
        assume(False)


def _key(o):
    return (o.customer_id, o.breakdown or "", str(o.period), o.level, tuple(str(t) for t in o.times), o.in_progress)


def _same_rows(engine_rows, reference_rows):
    assert len(engine_rows) == len(reference_rows)
    for a, b in zip(engine_rows, reference_rows):
        assert a.keys() == b.keys()
        for name in a:
            x, y = a[name], b[name]
            if isinstance(x, float) or isinstance(y, float):
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6), (name, a, b)
            else:
                assert x == y, (name, a, b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions())
def test_engine_matches_reference(log, defn):
    result = compute_funnel(engine_for(log), defn)
    expected = reference_outcomes(defn, log)
    assert sorted(map(_key, result.outcomes())) == sorted(map(_key, expected))
    _same_rows(result.steps.to_pylist(), finish_steps(defn, aggregate(defn, expected)))
    if defn.cohort:  # trends per period and breakdown value, from the same units
        _same_rows(result.trends.to_pylist(), finish_trends(defn, trend_aggregate(defn, expected)))
