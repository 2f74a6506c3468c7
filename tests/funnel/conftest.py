"""Helpers for funnel tests: event rows in, a real engine out (DuckDB, chdb or Spark).

``engine_for(rows, backend)`` loads the rows as the ``events`` table of a fresh engine.
The ``engine_for`` *fixture* is the same function bound to the ``backend`` fixture, which
runs each test on every backend: ``duckdb`` (the default), ``chdb`` (ClickHouse
in-process, the SQL a server would get) and ``spark`` (local[2], one SparkSession per
test process, shared through ``spark_session_for_tests``).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial

import pyarrow as pa
import pytest

from voronka.engines.duckdb import DuckDBEngine
from voronka.schema import ALIASES, EVENTS

T0 = dt.datetime(2026, 3, 2, 9, 0)
BACKENDS = ("duckdb", "chdb", "spark")


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


_SPARK: list = []


def spark_session_for_tests():
    """The one SparkSession of this test process (local[2]), created on first use."""
    if not _SPARK:
        from voronka.engines.spark import spark_session

        _SPARK.append(spark_session("local[2]"))
    return _SPARK[0]


def engine_for(rows: list[dict], backend: str = "duckdb", aliases: pa.Table | None = None):
    """A fresh engine of ``backend`` whose ``events`` table holds ``rows``."""
    events = events_table(rows)
    if backend == "duckdb":
        return DuckDBEngine.from_events(events, aliases)
    if backend == "chdb":
        from voronka.engines.clickhouse import ChdbEngine

        engine = ChdbEngine()
    elif backend == "spark":
        from voronka.engines.spark import SparkEngine

        engine = SparkEngine(spark_session_for_tests())
    else:
        raise ValueError(backend)
    engine.load(EVENTS, events)
    if aliases is not None:
        engine.load(ALIASES, aliases)
    return engine


@pytest.fixture(scope="session")
def spark():
    """The session-scoped SparkSession (stopped at the end of the run)."""
    pytest.importorskip("pyspark")
    session = spark_session_for_tests()
    yield session
    session.stop()
    _SPARK.clear()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each backend in turn; Spark tests share the session fixture and one xdist group."""
    if request.param == "chdb":
        pytest.importorskip("chdb")
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


@pytest.fixture(name="engine_for")
def engine_for_backend(backend):
    return partial(engine_for, backend=backend)


@pytest.fixture
def make_engine(engine_for):
    return engine_for


def pytest_collection_modifyitems(items):
    # with `pytest -n 2 --dist loadgroup`, every Spark test runs in one worker (one JVM)
    for item in items:
        if "[spark" in item.nodeid or item.nodeid.endswith("spark]"):
            item.add_marker(pytest.mark.xdist_group("spark"))
