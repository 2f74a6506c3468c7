"""The deals funnel against a slow pure-Python oracle of docs/crm.md, on random histories."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import engine_for
from voronka.crm import deal_pipeline
from voronka.schema import DEALS

STAGES = ["A", "B", "C", "D"]
T0 = dt.datetime(2026, 1, 1)

deal_histories = st.lists(
    st.tuples(
        st.lists(st.tuples(st.sampled_from(STAGES), st.integers(0, 40)), min_size=1, max_size=4),
        st.sampled_from(["open", "won", "lost"]),
        st.sampled_from(["m1", "m2"]),
    ),
    min_size=1, max_size=12,
)


def to_rows(histories) -> list[dict]:
    rows = []
    for i, (steps, outcome, manager) in enumerate(histories):
        t = T0 + dt.timedelta(hours=i)  # distinct times across deals
        for stage, gap in steps:
            t += dt.timedelta(days=gap, minutes=1)
            rows.append({"deal_id": str(i), "stage": stage, "changed_at": t, "manager": manager, "status": "open"})
        if outcome != "open":
            t += dt.timedelta(days=1)
            rows.append({"deal_id": str(i), "stage": outcome.upper(), "changed_at": t, "manager": manager,
                         "status": outcome})
    return rows


def oracle(rows: list[dict], order: list[str]):
    deals: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: r["changed_at"]):
        deals.setdefault(r["deal_id"], []).append(r)
    n = len(order)
    reached = [0] * (n + 1)
    stays: dict[str, list[float]] = {s: [] for s in order}
    won = lost = 0
    for history in deals.values():
        outcome = history[-1]["status"]
        furthest = max((order.index(r["stage"]) + 1 for r in history if r["status"] == "open"), default=1)
        top = n + 1 if outcome == "won" else furthest
        for k in range(1, top + 1):
            reached[k - 1] += 1
        won += outcome == "won"
        lost += outcome == "lost"
        for a, b in zip(history, history[1:]):
            if a["status"] == "open":
                stays[a["stage"]].append((b["changed_at"] - a["changed_at"]).total_seconds() / 86400)
    return reached, stays, won, lost


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deal_histories)
def test_matches_the_oracle(histories):
    rows = to_rows(histories)
    table = pa.Table.from_pylist(
        [{"change_id": str(i), "pipeline": "p", "amount": None, "currency": None, **r} for i, r in enumerate(rows)],
        DEALS.schema)
    result = deal_pipeline(engine_for([], "duckdb", tables={DEALS: table}), stage_order=STAGES)
    seen = [s for s in STAGES if any(r["stage"] == s for r in rows)]
    reached, stays, won, lost = oracle(rows, seen)
    got = result.stages.to_pylist()
    assert [r["stage"] for r in got] == seen
    assert [r["reached"] for r in got] == reached[:-1]
    assert [r["next_reached"] for r in got] == reached[1:]
    for r in got:
        durations = stays[r["stage"]]
        assert r["stays"] == len(durations)
        if durations:
            assert r["median_days"] == pytest.approx(float(np.quantile(durations, 0.5)))
            assert r["p90_days"] == pytest.approx(float(np.quantile(durations, 0.9)))
    (outcome,) = result.outcomes.to_pylist()
    assert (outcome["won"], outcome["lost"], outcome["deals"]) == (won, lost, len(histories))
    by_manager = deal_pipeline(engine_for([], "duckdb", tables={DEALS: table}), stage_order=STAGES, by="manager")
    for k, stage in enumerate(seen):  # counts per manager add up to the pipeline's
        assert sum(r["reached"] for r in by_manager.stages.to_pylist() if r["stage"] == stage) == reached[k]
