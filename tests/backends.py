"""Event rows in, a real engine out (DuckDB, chdb or Spark): the helpers every test of an
analysis uses. The fixtures binding them to each backend are in ``tests/conftest.py``.

``engine_for(rows, backend)`` loads the rows as the ``events`` table of a fresh engine
(and any other canonical tables given in ``tables``): ``duckdb`` (the default), ``chdb``
(ClickHouse in-process, the SQL a server would get) or ``spark`` (local[2], one
SparkSession per test process, shared through ``spark_session_for_tests``).
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from voronka.engines.duckdb import DuckDBEngine
from voronka.schema import ALIASES, EVENTS, Table

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


def engine_for(rows: list[dict], backend: str = "duckdb", aliases: pa.Table | None = None,
               tables: dict[Table, pa.Table] | None = None):
    """A fresh engine of ``backend`` whose ``events`` table holds ``rows``, plus ``aliases``
    and any other ``tables`` (canonical table → Arrow data in its schema)."""
    if backend == "duckdb":
        engine = DuckDBEngine.from_events(events_table(rows), aliases)
        for table, data in (tables or {}).items():
            engine.load(table, data)
        return engine
    if backend == "chdb":
        from voronka.engines.clickhouse import ChdbEngine

        engine = ChdbEngine()
    elif backend == "spark":
        from voronka.engines.spark import SparkEngine

        engine = SparkEngine(spark_session_for_tests())
    else:
        raise ValueError(backend)
    engine.load(EVENTS, events_table(rows))
    if aliases is not None:
        engine.load(ALIASES, aliases)
    for table, data in (tables or {}).items():
        engine.load(table, data)
    return engine
