"""``window_funnel: [strict_once]``: ClickHouse's ``windowFunnel(window, 'strict_once')``, which
chdb 26.9 defines (``AggregateFunctionWindowFunnelStrictOnceData``): one row counts once in a
chain even when it matches several conditions, and every chain that reached a step is kept.
Checked against chdb's own ``windowFunnel`` on hand cases and random logs, alone and with the
other modes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from tests.funnel.test_compat_clickhouse import RULES, levels, logs

pytest.importorskip("chdb")


def chdb_levels(log: list[dict], steps: list[str], window_s: int, modes: list[str]) -> dict[str, int]:
    """chdb's ``windowFunnel`` level per customer (0s left out), rows fed in event order."""
    engine = engine_for(log, "chdb")
    conds = ", ".join(RULES.get(s, f"event = '{s}'") for s in steps)
    args = ", ".join([str(window_s), *(f"'{m}'" for m in modes)])
    sql = (f"SELECT customer_id, windowFunnel({args})(toDateTime(ts), {conds}) AS level FROM "
           "(SELECT * FROM events ORDER BY customer_id, ts, event_id) GROUP BY customer_id")
    return {r["customer_id"]: r["level"] for r in engine._run(sql).to_pylist() if r["level"] > 0}


def _one_a_second(names: str) -> list[dict]:
    return [event("u", i / 60, name, event_id=f"e{i:02d}") for i, name in enumerate(names)]


@pytest.mark.parametrize(("names", "steps", "modes", "expected"), [
    # ClickHouse's comment: in 'start a b a end' the second a counts once in a chain
    ("sabae", ["s", "a|b", "a|b", "e"], ["strict_once"], 4),
    ("sae", ["s", "a", "a", "e"], ["strict_once"], 2),  # one a cannot fill two steps
    ("sae", ["s", "a", "a", "e"], [], 4),  # the default: a fills steps 2 and 3
    ("saae", ["s", "a", "a", "e"], ["strict_once"], 4),
    ("sbab", ["s", "a|b", "b"], ["strict_once", "strict_order"], 3),
])
def test_strict_once_cases(engine_for, names, steps, modes, expected):
    log = _one_a_second(names)
    spec = [{"events": s.split("|")} for s in steps]
    assert levels(engine_for(log), spec, 60, window_funnel=modes) == {"u": expected}
    assert chdb_levels(log, steps, 60, modes) == {"u": expected}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), steps=st.lists(st.sampled_from(list(RULES)), min_size=1, max_size=4),
       window_s=st.sampled_from([1, 2, 5, 60]),
       modes=st.sampled_from([["strict_once"], ["strict_once", "strict_increase"],
                              ["strict_once", "strict_deduplication"], ["strict_once", "strict_order"],
                              ["strict_once", "strict_order", "allow_reentry"],
                              ["strict_once", "strict_increase", "strict_order", "allow_reentry",
                               "strict_deduplication"]]))
def test_strict_once_levels_equal_window_funnel_on_random_logs(log, steps, window_s, modes):
    ours = levels(engine_for(log, "chdb"), [{"events": s.split("|")} for s in steps], window_s, window_funnel=modes)
    assert ours == chdb_levels(log, steps, window_s, modes)
