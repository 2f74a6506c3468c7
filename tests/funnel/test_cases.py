"""Funnel cases kept as data files (tests/funnel/cases/*.yaml), run on every engine.

``clickhouse_window_funnel.yaml``: ClickHouse's own windowFunnel test, default mode and
modes (see the file's header and ``test_compat_clickhouse``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.backends import event

from .test_compat_clickhouse import _at, levels, window_funnel

CASES = Path(__file__).parent / "cases"
WINDOW_FUNNEL = yaml.safe_load((CASES / "clickhouse_window_funnel.yaml").read_text(encoding="utf-8"))


def rows_of(table: str) -> list[dict]:
    """The event rows of a table of the case file (``seconds`` or ``letters`` per user)."""
    rows = []
    for user, spec in WINDOW_FUNNEL["tables"][table].items():
        pairs = spec.get("seconds") or [(i + 1, e) for i, e in enumerate(spec["letters"])]
        rows += [event(str(user), _at(t), str(e)) for t, e in pairs]
    return rows


def step_of(step) -> str | dict:
    """An event name, or ``{lte: N}`` / ``{gte: N}`` on the event name read as a number."""
    if isinstance(step, dict):
        (op, value), = step.items()
        return {"where": [{"field": "event", "op": op, "value": value}]}
    return step


@pytest.mark.parametrize("case", WINDOW_FUNNEL["default_mode"], ids=lambda c: c["name"])
def test_window_funnel_default_mode_cases(engine_for, case):
    got = levels(engine_for(rows_of(case["table"])), [step_of(s) for s in case["steps"]], case["window"])
    assert got.get("u", 0) == case["level"]


@pytest.mark.parametrize("case", WINDOW_FUNNEL["modes"], ids=lambda c: c["name"])
def test_window_funnel_modes_cases(engine_for, case):
    rows, steps = rows_of(case["table"]), list(case["steps"])
    got = levels(engine_for(rows), [{"events": [s]} for s in steps], case["window"], window_funnel=case["modes"])
    assert got == window_funnel(rows, steps, case["window"], case["modes"])
    if case["reference"] is not None:
        users = list(WINDOW_FUNNEL["tables"][case["table"]])
        assert [got.get(str(u), 0) for u in users] == case["reference"]
