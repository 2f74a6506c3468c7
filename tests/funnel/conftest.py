"""Helpers for funnel tests: event rows in, a real in-memory DuckDB engine out."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from voronka.engines.duckdb import DuckDBEngine
from voronka.schema import EVENTS

T0 = dt.datetime(2026, 3, 2, 9, 0)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def event(customer: str, minutes: float, name: str, event_id: str | None = None, **columns) -> dict:
    """One event row; ``properties`` a dict (JSON-encoded for the engine)."""
    props = columns.pop("properties", {})
    return {
        "event_id": event_id or f"{customer}-{minutes}-{name}",
        "customer_id": customer,
        "ts": at(minutes),
        "event": name,
        "channel": columns.get("channel"),
        "campaign": columns.get("campaign"),
        "revenue": columns.get("revenue"),
        "currency": columns.get("currency"),
        "referrer_id": columns.get("referrer_id"),
        "properties": props,
    }


def events_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        [dict(r, properties=json.dumps(r["properties"], ensure_ascii=False)) for r in rows],
        schema=EVENTS.schema,
    )


def engine_for(rows: list[dict]) -> DuckDBEngine:
    return DuckDBEngine.from_events(events_table(rows))


@pytest.fixture
def make_engine():
    return engine_for
