"""``compat: clickhouse``: ClickHouse's ``windowFunnel(window)(ts, c1, …, cn)`` level per
customer, on every engine.

The cases are ClickHouse's own functional test
``tests/queries/0_stateless/00632_aggregation_window_funnel.sql`` (expected levels from its
``.reference``), the default-mode queries, named by the test's tables, kept as data in
``cases/clickhouse_window_funnel.yaml`` and run by ``test_cases.py``; then random logs
with equal timestamps and overlapping step rules against chdb's real ``windowFunnel``.
windowFunnel reports 0 for a customer without a step-1 event, for whom voronka has no unit.
The modes (``window_funnel: [strict_order, …]``) are checked on the same test's tables,
against its ``.reference`` where chdb 26.9 agrees with it and against chdb's own
``windowFunnel`` everywhere (docs/funnels.md lists where the two differ).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel


def _at(seconds: int) -> float:
    return seconds / 60  # tests.backends.event takes minutes


def levels(engine, steps: list, window_s: int | None, **options) -> dict[str, int]:
    """voronka's level per customer under ``compat: clickhouse`` (0: no unit)."""
    spec = {"steps": [{"key": f"s{i}", **s} if isinstance(s, dict) else {"key": f"s{i}", "events": [s]}
                      for i, s in enumerate(steps)], "window": f"{window_s}s" if window_s else None,
            "compat": "clickhouse", **options}
    return {o.customer_id: o.level for o in compute_funnel(engine, build_funnel(spec)).outcomes()}


STRICT_INCREASE = [event("u", _at(t), e) for t, e in [(0, "1000"), (1, "1001"), (1, "1002"), (1, "1003"), (2, "1004")]]


def test_funnel_test_strict_order_table_in_the_default_mode(engine_for):
    # funnel_test_strict_order, windowFunnel(86400)(dt, a, b, c): [3, 3, 3, 3, 3, 1]
    users = {"1": "abc", "2": "adbc", "3": "aabbcc", "4": "aaaabbcc", "5": "aabbdcc", "6": "ccbbaa"}
    rows = [event(u, _at(i + 1), e) for u, es in users.items() for i, e in enumerate(es)]
    got = levels(engine_for(rows), ["a", "b", "c"], 86400)
    assert [got.get(u, 0) for u in users] == [3, 3, 3, 3, 3, 1]


def test_funnel_test_non_null_table(engine_for):
    # funnel_test_non_null: a missing value satisfies no condition but "is null"
    rows = [event(u, _at(t), "e", properties={k: v for k, v in (("a", a), ("b", b)) if v is not None})
            for u, t, a, b in [("1", 1, "a1", "b1"), ("1", 2, "a2", "b2"), ("2", 1, "a1", None), ("2", 2, "a2", None),
                               ("3", 1, None, None), ("4", 1, None, "b1"), ("4", 2, "a2", None), ("4", 3, None, "b3")]]
    engine = engine_for(rows)

    def eq(field, value):
        return {"where": [{"field": field, "op": "eq", "value": value}]}

    def by_user(steps):
        got = levels(engine, steps, 86400)
        return [got.get(u, 0) for u in "1234"]

    assert by_user([eq("a", "a1"), eq("a", "a2")]) == [2, 2, 0, 0]
    assert by_user([eq("a", "a1"), eq("b", "b2")]) == [2, 1, 0, 0]
    assert by_user([{"where": [{"field": "a", "op": "is_null"}, {"field": "b", "op": "is_null"}]}]) == [0, 0, 1, 0]
    assert by_user([{"where": [{"field": "a", "op": "is_null"}]}, eq("b", "b3")]) == [0, 0, 1, 2]


def window_funnel(rows: list[dict], steps: list[str], window_s: int, modes: list[str]) -> dict[str, int]:
    """chdb's own windowFunnel level per customer (0s left out) over ``rows``."""
    engine = engine_for(rows, "chdb")
    conds = ", ".join(f"event = '{s}'" for s in steps)
    args = ", ".join([str(window_s), *(f"'{m}'" for m in modes)])
    sql = f"SELECT customer_id, windowFunnel({args})(toDateTime(ts), {conds}) AS level FROM events GROUP BY customer_id"
    return {r["customer_id"]: r["level"] for r in engine._run(sql).to_pylist() if r["level"] > 0}


def test_funnel_test_strict_and_strict_increase_tables(engine_for):
    # funnel_test_strict: 1005 twice; strict_deduplication stops at the second (6), the default reaches 7
    strict = [event("u", _at(t), e) for t, e in [(0, "1000"), (10, "1001"), (20, "1002"), (30, "1003"), (40, "1004"),
                                                   (50, "1005"), (51, "1005"), (60, "1006"), (70, "1007")]]
    steps = [str(e) for e in range(1000, 1007)]
    assert levels(engine_for(strict), steps, 10000, window_funnel=["strict_deduplication"]) == {"u": 6}
    assert levels(engine_for(strict), steps, 10000) == {"u": 7}
    # funnel_test_strict_increase: (1, 1001), (1, 1002), (1, 1003) share a second
    engine = engine_for(STRICT_INCREASE)
    assert levels(engine, ["1000", "1001", "1002", "1003", "1004"], 10000, window_funnel=["strict_increase"]) == {"u": 2}
    assert levels(engine, ["1004", "1004", "1004"], 10000, window_funnel=["strict_increase"]) == {"u": 1}


def test_a_restart_breaks_a_strict_increase_chain():
    # a@0, a@5, b@5: ClickHouse's record of step 1 is the restart at 5, which b@5 does not
    # strictly follow (level 1); voronka's own ties 'strict' keeps the attempt from 0 (level 2)
    rows = [event("u", _at(0), "a", "e1"), event("u", _at(5), "a", "e2"), event("u", _at(5), "b", "e3")]
    engine = engine_for(rows)
    assert levels(engine, ["a", "b"], 600, window_funnel=["strict_increase"]) == {"u": 1}
    assert levels(engine, ["a", "b"], 600, ties="strict") == {"u": 2}
    assert window_funnel(rows, ["a", "b"], 600, ["strict_increase"]) == {"u": 1}


def test_the_preset_leaves_given_options_alone():
    defn = build_funnel({"steps": ["a", "b"], "compat": "clickhouse", "ties": "strict"})
    assert (defn.order, defn.ties) == ("ordered", "strict")
    assert build_funnel({"steps": ["a", "b"], "compat": "clickhouse"}).ties == "step_order"
    from voronka.errors import DefinitionError

    with pytest.raises(DefinitionError, match="compat 'mixpanel': give one of"):
        build_funnel({"steps": ["a", "b"], "compat": "mixpanel"})


# -- against chdb's windowFunnel on random logs ----------------------------------------------

RULES = {"a": "event = 'a'", "b": "event = 'b'", "a|b": "event IN ('a', 'b')", "c": "event = 'c'",
         "b|c": "event IN ('b', 'c')"}


@st.composite
def logs(draw):
    """Whole seconds in a short span (many equal timestamps), ids in any order."""
    return [event(draw(st.sampled_from(["u1", "u2", "u3"])), _at(draw(st.integers(0, 12))),
                  draw(st.sampled_from(["a", "b", "c", "x"])), event_id=f"e{draw(st.integers(0, 99)):02d}-{i}")
            for i in range(draw(st.integers(1, 25)))]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), steps=st.lists(st.sampled_from(list(RULES)), min_size=1, max_size=4),
       window_s=st.sampled_from([1, 2, 5, 60]),
       modes=st.sampled_from([[], [], ["strict_increase"], ["strict_deduplication"], ["strict_order"],
                              ["strict_order", "allow_reentry"], ["strict_order", "strict_deduplication"],
                              ["strict_increase", "strict_order", "allow_reentry", "strict_deduplication"]]))
def test_levels_equal_window_funnel_on_random_logs(log, steps, window_s, modes):
    pytest.importorskip("chdb")
    engine = engine_for(log, "chdb")
    conds = ", ".join(RULES[s] for s in steps)
    args = ", ".join([str(window_s), *(f"'{m}'" for m in modes)])
    sql = (f"SELECT customer_id, windowFunnel({args})(toDateTime(ts), {conds}) AS level FROM "
           "(SELECT * FROM events ORDER BY customer_id, ts, event_id) GROUP BY customer_id")
    clickhouse = {r["customer_id"]: r["level"] for r in engine._run(sql).to_pylist() if r["level"] > 0}
    ours = levels(engine, [{"events": s.split("|")} for s in steps], window_s, window_funnel=modes)
    assert ours == clickhouse


def test_flags_a_yaml_file_and_the_http_api_take_the_preset_and_the_modes(tmp_path):
    import json

    from typer.testing import CliRunner

    from tests.server.test_server import _serve
    from voronka.cli import app
    from voronka.store import Store

    rows = [{"event_id": f"e{i}", "customer_id": c, "ts": f"2026-03-02 09:00:0{s}", "event": e}
            for i, (c, s, e) in enumerate([("u", 1, "a"), ("u", 2, "c"), ("u", 3, "a"), ("u", 4, "b"),
                                           ("v", 1, "b"), ("v", 1, "a")])]
    (tmp_path / "events.ndjson").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        s.ingest("events", [tmp_path / "events.ndjson"])
    spec = tmp_path / "funnel.yaml"
    spec.write_text("steps: [a, b, c]\nwindow: 10m\ncompat: clickhouse\nwindow_funnel: [strict_order]\n",
                    encoding="utf-8")

    def customers(*args: str) -> list[int]:
        result = CliRunner().invoke(app, ["funnel", "--store", str(store), *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return [r["customers"] for r in json.loads(result.stdout)]

    flags = customers("--steps", "a,b,c", "--window", "10m", "--compat", "clickhouse", "--window-funnel", "strict_order")
    assert flags == customers("--file", str(spec))
    # u: a, c ends the scan (level 1); v: a and b in one second, in step order (level 2)
    assert flags == [2, 1, 0]
    assert customers("--steps", "a,b,c", "--window", "10m", "--compat", "clickhouse") == [2, 2, 0]
    for served in _serve(store, public_dashboard=True):
        status, body = served.json("GET", "/v1/funnel?steps=a,b,c&window=10m&compat=clickhouse&window_funnel=strict_order")
        assert status == 200 and [r["customers"] for r in body] == flags
        status, body = served.json("GET", "/v1/funnel?steps=a,b&compat=mixpanel")
        assert status == 422 and "compat 'mixpanel'" in json.dumps(body)
