"""The DuckDB fast path (``funnel.chains`` over ``funnel.sql.stream_sql``) against the SQL path.

The fast path is also what ``compute_funnel`` runs on DuckDB in every semantics test and in
the property test against the reference; here it is held to the engine's own SQL
(``stage_sql`` + ``units_sql``) unit for unit, with the sorted stream cut into batches as
small as one row, so a customer's rows are split across batches.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.backends import T0, at, engine_for, event
from tests.funnel.test_engine_matches_reference import definitions, event_logs
from voronka import funnel
from voronka.funnel import (
    STAGE_TABLE,
    UNITS_TABLE,
    chains,
    compute_funnel,
    latest_event,
    store_units_fast,
    store_units_scanned,
)
from voronka.funnel.definition import Breakdown, Exclusion, FunnelDefinition, Step
from voronka.funnel.sql import stage_sql, stream_sql, tie_breaking_rows, units_sql
from voronka.rules import Condition, StepRule

ORDER = "ORDER BY ALL"


def _units(engine, defn: FunnelDefinition, batch_rows: int | None) -> list[tuple]:
    aliases = "aliases" if engine.has_table("aliases") else None
    as_of = defn.as_of or latest_event(engine)
    if batch_rows is None and defn.scans:  # the scan over the stage table, as chdb and Spark run it
        store_units_scanned(engine, defn, "events", aliases, as_of)
    elif batch_rows is None:
        engine.materialize(STAGE_TABLE, stage_sql(defn, "events", aliases))
        engine.materialize(UNITS_TABLE, units_sql(defn, STAGE_TABLE, as_of))
    else:
        store_units_fast(engine, defn, "events", aliases, as_of, batch_rows=batch_rows)
    return engine.connection.execute(f"SELECT * FROM {UNITS_TABLE} {ORDER}").fetchall()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions(), batch_rows=st.integers(1, 6))
def test_fast_path_gives_the_sql_units_in_any_batching(log, defn, batch_rows):
    engine = engine_for(log)
    assert _units(engine, defn, batch_rows) == _units(engine, defn, None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions(), batch_rows=st.integers(1, 6))
def test_fast_path_gives_the_sql_cohorts_over_many_days(log, defn, batch_rows):
    assume(defn.cohort is not None)
    spread = [{**row, "ts": T0 + (row["ts"] - T0) * 180} for row in log]  # 40 minutes become 5 days
    engine = engine_for(spread)
    assert _units(engine, defn, batch_rows) == _units(engine, defn, None)


def _steps(*names: str, **options) -> FunnelDefinition:
    return FunnelDefinition(steps=tuple(Step(key=n, rule=StepRule(events=(n,))) for n in names), **options)


def test_a_customer_split_across_batches_keeps_one_chain():
    rows = [event("u1", 0, "a"), event("u1", 1, "x"), event("u1", 2, "b"), event("u1", 3, "c"),
            event("u2", 0, "a"), event("u2", 5, "b")]
    engine = engine_for(rows)
    defn = _steps("a", "b", "c", window="10m")
    for batch_rows in (1, 2, 3, 100):
        units = _units(engine, defn, batch_rows)
        assert [(u[0], u[3]) for u in units] == [("u1", 3), ("u2", 2)]
        assert units[0][4:7] == (at(0), at(2), at(3))


def test_customer_exclusion_spans_breakdown_values_and_batches():
    # u1's tv attempt is disqualified (x between a and b); with exclusion_scope customer,
    # u1's web attempt goes too, although its rows are another group of the stream.
    rows = [event("u1", 0, "a", channel="tv"), event("u1", 1, "x", channel="tv"), event("u1", 2, "b", channel="tv"),
            event("u1", 3, "a", channel="web"), event("u1", 4, "b", channel="web"),
            event("u2", 0, "a", channel="web"), event("u2", 1, "b", channel="web")]
    engine = engine_for(rows)
    base = {"breakdown": Breakdown(field="channel", attribution="all_steps"),
            "exclusions": (Exclusion(rule=StepRule(events=("x",)), from_step=1, to_step=2),)}
    for scope, expected in (("attempt", [("u1", "web"), ("u2", "web")]), ("customer", [("u2", "web")])):
        defn = _steps("a", "b", exclusion_scope=scope, **base)
        for batch_rows in (1, 2, 7):
            assert [(u[0], u[1]) for u in _units(engine, defn, batch_rows)] == expected


def test_ties_strict_skips_every_row_of_the_same_second():
    rows = [event("u1", 0, "a", "e1"), event("u1", 0, "b", "e2"), event("u1", 0, "b", "e3"), event("u1", 1, "b", "e4")]
    result = compute_funnel(engine_for(rows), _steps("a", "b", ties="strict"))
    assert result.units.column("t2").to_pylist() == [at(1)]


def test_rows_inside_one_second_are_put_in_event_id_order_only_where_it_matters():
    # a@0 (e9) and a@0 (e1) start two attempts; with strict ties both reach b@1, so the
    # order inside the second matters only for the value a breakdown reads: the earlier
    # attempt (e1) gives step 1's (web), the first b@1 (e3) gives step 2's (print).
    rows = [event("u1", 0, "a", "e9", channel="tv"), event("u1", 0, "a", "e1", channel="web"),
            event("u1", 0, "b", "e5"), event("u1", 1, "b", "e7", channel="ooh"),
            event("u1", 1, "b", "e3", channel="print")]

    def by_channel(attribution: str, **options) -> FunnelDefinition:
        return _steps("a", "b", ties="strict", breakdown=Breakdown(field="channel", attribution=attribution, **options))

    plain = _steps("a", "b", ties="strict")
    first, second = by_channel("first_touch"), by_channel("step", step=2)
    assert tie_breaking_rows(plain) is None and tie_breaking_rows(by_channel("all_steps")) is None
    assert (tie_breaking_rows(first), tie_breaking_rows(second)) == ("m0", "m1")
    assert tie_breaking_rows(by_channel("last_touch")) == "TRUE"
    assert tie_breaking_rows(_steps("a", "b")) == "TRUE"  # ties allowed: b may follow a inside a second
    engine = engine_for(rows)
    assert [(u[3], u[4], u[5]) for u in _units(engine, plain, 2)] == [(2, at(0), at(1))]
    assert [(u[1], u[5]) for u in _units(engine, first, 1)] == [("web", at(1))]
    assert [(u[1], u[5]) for u in _units(engine, second, 2)] == [("print", at(1))]
    # counting attempts, each attempt is a unit with its own first row: no order needed
    attempts = _steps("a", "b", ties="strict", counting="attempts", breakdown=Breakdown(field="channel"))
    assert tie_breaking_rows(attempts) is None
    assert [u[1] for u in _units(engine, attempts, 1)] == ["tv", "web"]


def test_an_empty_stream_gives_no_units():
    engine = engine_for([event("u1", 0, "x")])
    assert _units(engine, _steps("a", "b", window=dt.timedelta(minutes=5)), 2) == []
    assert compute_funnel(engine, _steps("a", "b")).steps.column("customers").to_pylist() == [0, 0]


def test_the_stream_sorted_by_id_gives_the_units_of_the_stream_sorted_by_hash():
    rows = [event(f"u{i % 7}", i * 37 % 50, "ab"[i % 2], f"e{i}", channel="tv" if i % 3 else "web") for i in range(60)]
    engine = engine_for(rows)
    defn = _steps("a", "b", window="20s", breakdown=Breakdown(field="channel", attribution="all_steps"))
    as_of = latest_event(engine)

    def units(hashed: bool) -> list[dict]:
        sql = stream_sql(defn, "events", None, hashed=hashed)
        table = chains.units_table(defn, engine.connection.sql(sql).to_arrow_reader(4), as_of)
        return sorted(table.to_pylist(), key=lambda u: (u["customer_id"], u["breakdown"]))

    assert units(hashed=True) == units(hashed=False) != []


def test_two_customers_with_one_hash_are_caught():
    # the stream is sorted by h; were two customers to share one, their rows could interleave
    batch = pa.record_batch({"h": pa.array([7, 7, 7, 9], pa.uint64()), "customer_id": ["u1", "u2", "u1", "u3"],
                             "tsu": pa.array([0, 1, 2, 0], pa.int64()), "f0": pa.array([1, 1, 2, 1], pa.uint8())})
    with pytest.raises(chains.HashCollision):
        chains.units_table(_steps("a", "b"), [batch], at(10))


def test_more_rules_than_one_flag_mask_holds():
    # 70 steps: the flags travel as two masks, f0 (steps 1–64) and f1 (65–70)
    names = [f"s{k}" for k in range(70)]
    rows = [event("u1", k, name) for k, name in enumerate(names)]
    rows += [event("u2", k, name) for k, name in enumerate(names[:66])]
    engine = engine_for(rows)
    defn = _steps(*names)
    fast = _units(engine, defn, 50)
    assert fast == _units(engine, defn, None)
    assert [u[3] for u in fast] == [70, 66]


def test_name_bits_where_rules_and_repeat_purchases_share_both_masks():
    # step 2 and step 66 test a condition, step 3 is a repeat: their bits come from their
    # own flags, the other 67 from the table of names, in f0 and in f1
    names = [f"s{k}" for k in range(70)]
    tv = (Condition(field="channel", value="tv"),)
    rules = [StepRule(events=(n,), where=tv if k in (1, 65) else (), min_purchases=2 if k == 2 else None)
             for k, n in enumerate(names)]
    defn = FunnelDefinition(steps=tuple(Step(key=n, rule=r) for n, r in zip(names, rules)))
    rows = [event(c, k, n, channel="web" if (c, k) == ("u2", 65) else "tv") for c in ("u1", "u2", "u3")
            for k, n in enumerate(names) if (c, k) != ("u3", 2)]
    rows += [event(c, 2.5, "s2", channel="tv") for c in ("u1", "u2", "u3")]  # u3's only s2: not a repeat
    engine = engine_for(rows)
    fast = _units(engine, defn, 50)
    assert fast == _units(engine, defn, None)
    assert [(u[0], u[3]) for u in fast] == [("u1", 70), ("u2", 65), ("u3", 2)]


def test_a_hash_collision_falls_back_to_sorting_by_the_id(monkeypatch):
    # make every customer's hash 0: their rows interleave, the reader notices, and the
    # stream is read again sorted by customer_id, with the same units as the SQL path
    calls = []

    def colliding(*args, hashed: bool = True, **kwargs) -> str:
        calls.append(hashed)
        sql = stream_sql(*args, hashed=hashed, **kwargs)
        return sql.replace("hash(customer_id) AS h", "CAST(0 AS UBIGINT) AS h") if hashed else sql

    monkeypatch.setattr(funnel, "stream_sql", colliding)
    rows = [event(f"u{i % 3}", i, "ab"[i % 2]) for i in range(12)]
    engine = engine_for(rows)
    defn = _steps("a", "b", window="5m")
    assert _units(engine, defn, 4) == _units(engine, defn, None) != []
    assert calls == [True, False]


def test_posthog_first_non_empty_reads_only_the_funnel_events():
    """PostHog's ``first_non_empty`` takes the first value among the person's funnel events: a
    row of a step's name before its repeat-purchase count is reached is not one (found by the
    property test above: the fast path took that row's channel)."""
    from voronka.funnel.reference import reference_outcomes

    log = [event("u1", 0, "a", event_id="e00-0", channel="tv"), event("u1", 0, "a", event_id="e00-1", channel="web")]
    defn = FunnelDefinition(steps=(Step(key="s0", rule=StepRule(events=("a",), min_purchases=2)),), ties="allow",
                            scan="posthog", breakdown=Breakdown(field="channel", attribution="first_non_empty"))
    engine = engine_for(log)
    assert [o.breakdown for o in reference_outcomes(defn, log)] == ["web"]
    assert _units(engine, defn, 1) == _units(engine, defn, None)
    assert [u[1] for u in _units(engine, defn, 1)] == ["web"]


def test_posthog_ties_ignore_rows_no_rule_counts():
    """A row of a step's name before its repeat-purchase count is reached is no funnel event:
    it does not make a group of simultaneous events one of "different steps" (found by the
    property test against the reference: the step-1 time differed)."""
    from voronka.funnel.reference import reference_outcomes

    log = [event("u1", 0, "a", event_id="e00-0"),
           *(event("u1", 1, "a", event_id=f"e00-{i}") for i in range(1, 6)),
           event("u1", 1, "d", event_id="e00-6")]
    defn = FunnelDefinition(steps=(Step(key="s0", rule=StepRule(events=("a",))),
                                   Step(key="s1", rule=StepRule(events=("a",))),
                                   Step(key="s2", rule=StepRule(events=("d",), min_purchases=2))),
                            ties="allow", scan="posthog")
    [expected] = reference_outcomes(defn, log)
    assert (expected.level, expected.times[0]) == (2, at(0))
    engine = engine_for(log)
    assert _units(engine, defn, 1) == _units(engine, defn, None)
    assert compute_funnel(engine, defn).steps.column("customers").to_pylist()[:2] == [1, 1]
    [unit] = compute_funnel(engine_for(log), defn).outcomes()
    assert (unit.level, unit.times[0]) == (2, at(0))
