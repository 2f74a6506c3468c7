"""ClickHouse specifics, on chdb: the windowFunnel claims of docs/funnels.md, mapped tables.

``windowFunnel(window[, mode])(ts, c1, ..., cn)`` returns, per group, the furthest level a
chain of the conditions reaches within ``window`` of its first condition's row. The
claims checked here against voronka's *default* options' level per customer (docs/funnels.md,
"ClickHouse and PostHog"), on random data where the definitions coincide: step rules
disjoint (one event name per step), distinct timestamps, no per-step limits, no
exclusions. ``compat: clickhouse``, which reproduces windowFunnel everywhere, is tested in
``tests/funnel/test_compat_clickhouse.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from voronka.funnel import FunnelDefinition, Step, compute_funnel
from voronka.rules import StepRule

pytest.importorskip("chdb")

NAMES = ["a", "b", "c", "x"]


@st.composite
def logs(draw):
    """Random logs with distinct timestamps per customer (see the ties test for why)."""
    rows, seen = [], set()
    for i in range(draw(st.integers(1, 25))):
        customer, minute = draw(st.sampled_from(["u1", "u2", "u3"])), draw(st.integers(0, 30))
        if (customer, minute) not in seen:
            seen.add((customer, minute))
            rows.append(event(customer, minute, draw(st.sampled_from(NAMES)), event_id=f"e{i:02d}"))
    return rows


def window_funnel(engine, steps: list[str], window_s: int, mode: str | None, all_rows: bool) -> dict[str, int]:
    """ClickHouse's level per customer; ts as whole seconds (windowFunnel takes DateTime, not DateTime64)."""
    conds = ", ".join(f"event = '{s}'" for s in steps)
    args = f"{window_s}" + (f", '{mode}'" if mode else "")
    where = "" if all_rows else f"WHERE event IN ({', '.join(repr(s) for s in steps)})"
    # rows in voronka's event order (ts, event_id) so ties are broken the same way
    sql = (f"SELECT customer_id, windowFunnel({args})(toDateTime(ts), {conds}) AS level FROM "
           f"(SELECT * FROM events {where} ORDER BY customer_id, ts, event_id) GROUP BY customer_id")
    return {r["customer_id"]: r["level"] for r in engine._run(sql).to_pylist()}


def voronka_levels(engine, steps, window_s, order="ordered", ties="allow") -> dict[str, int]:
    defn = FunnelDefinition(steps=tuple(Step(key=f"s{i}", rule=StepRule(events=(s,))) for i, s in enumerate(steps)),
                            window=dt.timedelta(seconds=window_s), order=order, ties=ties)
    units = compute_funnel(engine, defn, aliases=None).units.to_pylist()
    return {u["customer_id"]: u["level"] for u in units}


def _ch_levels(levels: dict[str, int], customers) -> dict[str, int]:
    # windowFunnel reports 0 for customers without a step-1 event; voronka has no unit for them
    return {c: v for c, v in levels.items() if v > 0}


_S = dict(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(**_S)
@given(log=logs(), window_min=st.sampled_from([1, 5, 20]))
def test_ordered_ties_allow_is_the_default_mode(log, window_min):
    engine = engine_for(log, "chdb")
    steps = ["a", "b", "c"]
    assert _ch_levels(window_funnel(engine, steps, window_min * 60, None, False), None) == \
        voronka_levels(engine, steps, window_min * 60)


@settings(**_S)
@given(log=logs(), window_min=st.sampled_from([1, 5, 20]))
def test_ties_strict_is_strict_increase(log, window_min):
    engine = engine_for(log, "chdb")
    steps = ["a", "b", "c"]
    assert _ch_levels(window_funnel(engine, steps, window_min * 60, "strict_increase", False), None) == \
        voronka_levels(engine, steps, window_min * 60, ties="strict")


def test_strict_order_stops_at_the_first_interruption_in_clickhouse():
    # a, c, a, b: voronka's attempt from the second a reaches b; windowFunnel's strict_order
    # stops at the c that broke the first chain and never tries the second a
    rows = [event("u", 0, "a"), event("u", 1, "c"), event("u", 2, "a"), event("u", 3, "b")]
    engine = engine_for(rows, "chdb")
    assert voronka_levels(engine, ["a", "b", "c"], 600, order="strict") == {"u": 2}
    assert window_funnel(engine, ["a", "b", "c"], 600, "strict_order", True) == {"u": 1}


def test_a_repeated_first_step_does_not_interrupt_strict_order_in_clickhouse():
    # a, b, a, c: voronka's strict attempts stop at the second a (level 2); ClickHouse's
    # strict_order lets a step-1 event pass and continues the first chain to c (level 3)
    rows = [event("u", 0, "a"), event("u", 1, "b"), event("u", 2, "a"), event("u", 3, "c")]
    engine = engine_for(rows, "chdb")
    assert voronka_levels(engine, ["a", "b", "c"], 600, order="strict") == {"u": 2}
    assert window_funnel(engine, ["a", "b", "c"], 600, "strict_order", True) == {"u": 3}


def test_a_row_matching_two_conditions_advances_two_levels_in_clickhouse():
    engine = engine_for([event("u", 0, "a")], "chdb")
    sql = "SELECT windowFunnel(60)(toDateTime(ts), event = 'a', event = 'a') AS level FROM events"
    clickhouse = engine._run(sql).column("level")[0].as_py()
    assert voronka_levels(engine, ["a", "a"], 60) == {"u": 1}
    assert clickhouse == CLAIMED_TWO_CONDITION_LEVEL


# what chdb answers for one row matching both conditions (docs/funnels.md states it)
CLAIMED_TWO_CONDITION_LEVEL = 2


@pytest.mark.parametrize("mode", [None, "strict_order"])
def test_equal_timestamps_follow_condition_order_in_clickhouse(mode):
    # voronka puts equal timestamps in event_id order: a (e1), c (e2), b (e3) reaches a→b only;
    # windowFunnel takes the rows of one second in condition order, a→b→c, in either mode
    # (voronka's ties 'step_order' does the same: tests/funnel/test_compat_clickhouse.py)
    rows = [event("u", 0, "a", "e1"), event("u", 0, "c", "e2"), event("u", 0, "b", "e3")]
    engine = engine_for(rows, "chdb")
    ch = window_funnel(engine, ["a", "b", "c"], 60, mode, True)["u"]
    order = "strict" if mode else "ordered"
    assert voronka_levels(engine, ["a", "b", "c"], 60, order=order) == {"u": 1 if mode else 2}
    assert ch == TIED_LEVEL[mode]


TIED_LEVEL = {None: 3, "strict_order": 3}


def test_an_existing_posthog_table_is_read_through_the_mapping():
    from voronka.engines.clickhouse import ChdbEngine
    from voronka.sql import POSTHOG, mapped_events_sql

    engine = ChdbEngine()
    engine._run("CREATE TABLE ph_events (uuid UUID, event String, properties String, "
                "timestamp DateTime64(6, 'UTC'), distinct_id String) ENGINE = MergeTree ORDER BY timestamp")
    engine._run("INSERT INTO ph_events VALUES "
                "(generateUUIDv4(), 'visit', '{\"$utm_source\": \"tv\"}', '2026-03-02 09:00:00', 'u'), "
                "(generateUUIDv4(), 'buy', '{}', '2026-03-02 09:05:00.5', 'u'), "
                "(generateUUIDv4(), 'visit', '{}', '2026-03-02 09:00:00', 'v')")
    from voronka.funnel.spec import build_funnel
    from voronka.source import Source

    source = Source(engine, events=mapped_events_sql("ph_events", POSTHOG))
    result = compute_funnel(source, build_funnel({"steps": ["visit", "buy"], "breakdown": {"field": "channel"}}))
    got = {(r["breakdown"], r["step"]): r["customers"] for r in result.steps.to_pylist()}
    assert got == {("tv", 1): 1, ("tv", 2): 1, ("(none)", 1): 1, ("(none)", 2): 0}
    tv2 = next(r for r in result.steps.to_pylist() if r["breakdown"] == "tv" and r["step"] == 2)
    assert tv2["median_seconds_from_previous"] == 300.5  # microseconds survive the mapping
