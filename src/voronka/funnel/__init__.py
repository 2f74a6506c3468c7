"""Funnels: the definition, the engine computation, and the pure-Python reference.

    compute_funnel(engine, definition) -> FunnelResult

The computation runs inside the engine: one query builds the per-unit outcomes
(``funnel.sql.stage_sql`` then ``units_sql``), small aggregate queries build the tables; only aggregates
and the unit table come back. On DuckDB (an embedded engine, in this process) the per-unit
table is built faster from the engine's pruned, sorted event stream by ``funnel.chains``
(``funnel.sql.stream_sql``; same definition, same results), then stored in the engine.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from voronka.engines import Engine
from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel import chains
from voronka.funnel.definition import Breakdown, Exclusion, FunnelDefinition, Step
from voronka.funnel.outcomes import finish_steps, finish_trends
from voronka.funnel.result import STEPS_SCHEMA, TRENDS_SCHEMA, FunnelResult, histogram_table
from voronka.funnel.sql import (
    histogram_sql,
    stage_sql,
    steps_sql,
    stream_sql,
    trends_sql,
    units_sql,
)

STAGE_TABLE = "voronka_funnel_stage"
UNITS_TABLE = "voronka_funnel_units"
BATCH_ROWS = 1_000_000  # asked of DuckDB per batch of the sorted stream (2.0 gives at most 122,880)


def events_source(engine: Engine, events: str | None = None) -> str:
    """Where the events are: ``events`` if given, else the engine's ``events_table`` (a
    table name or a mapping subquery, ``voronka.sql.mapped_events_sql``), else ``events``."""
    return events or getattr(engine, "events_table", None) or "events"


def event_sources(engine: Engine, events: str | None, aliases: str | None) -> tuple[str, str | None]:
    """Where the events are (``events_source``) and the alias table to read them through
    (``aliases`` when the engine has that table, else None). Every analysis starts here."""
    return events_source(engine, events), aliases if aliases is not None and engine.has_table(aliases) else None


def latest_event(engine: Engine, events: str | None = None) -> dt.datetime:
    """The default ``as_of``: the latest event timestamp (1970-01-01 for no events)."""
    events = events_source(engine, events)
    value = engine.query(f"SELECT max(ts) AS m FROM {events} AS e").column("m")[0].as_py()
    return value or dt.datetime(1970, 1, 1)


def compute_funnel(
    engine: Engine, definition: FunnelDefinition, *, events: str | None = None, aliases: str | None = "aliases",
    units: bool = True,
) -> FunnelResult:
    """Compute ``definition`` over the ``events`` table (read through ``aliases``).

    ``events`` is a table name or a subquery with the canonical columns (default: the
    engine's ``events_table``, else ``events``). On every engine the per-unit table is
    materialised inside the engine and only aggregates and (with ``units``, the default)
    the unit rows come back: one row per customer, so at billions of events pass
    ``units=False``.
    """
    events, aliases = event_sources(engine, events, aliases)
    as_of = definition.as_of or latest_event(engine, events)
    if isinstance(engine, DuckDBEngine):
        store_units_fast(engine, definition, events, aliases, as_of)
    else:
        engine.materialize(STAGE_TABLE, stage_sql(definition, events, aliases))
        engine.materialize(UNITS_TABLE, units_sql(definition, STAGE_TABLE, as_of))
    raw = engine.query(steps_sql(definition, UNITS_TABLE)).to_pylist()
    steps = pa.Table.from_pylist(finish_steps(definition, raw), schema=STEPS_SCHEMA)
    histogram = histogram_table(engine.query(histogram_sql(definition, UNITS_TABLE)).to_pylist())
    trends = None
    if definition.cohort:
        rows = engine.query(trends_sql(definition, UNITS_TABLE)).to_pylist()
        trends = pa.Table.from_pylist(finish_trends(definition, rows), schema=TRENDS_SCHEMA)
    n = len(definition.steps)
    unit_rows = engine.query(
        "SELECT customer_id, breakdown, period, level, "
        + ", ".join(f"t{k} AS t{k + 1}" for k in range(n))
        + f", in_progress FROM {UNITS_TABLE} ORDER BY customer_id, t0, breakdown"
    ) if units else None
    return FunnelResult(definition, steps, histogram, trends, unit_rows, as_of)


def store_units_fast(engine: DuckDBEngine, definition: FunnelDefinition, events: str, aliases: str | None,
                     as_of: dt.datetime, batch_rows: int = BATCH_ROWS) -> None:
    """The per-unit table of ``units_sql``, built by ``funnel.chains`` from DuckDB's sorted
    event stream read in batches of ``batch_rows``, stored as ``UNITS_TABLE``. Without
    ``identify`` events and alias rows every id is its own: the alias joins are skipped.
    The stream is sorted by the customer's hash, and by the id itself if two customers
    share one (for a million customers, a chance of about 3 in 10⁸)."""
    sources = [f"SELECT count(*) AS n FROM {events} AS e WHERE event = 'identify'"]
    if aliases is not None:
        sources.append(f"SELECT count(*) AS n FROM {aliases}")
    resolve = engine.connection.sql(" UNION ALL ".join(sources)).fetchall() != [(0,)] * len(sources)
    try:
        units = _units_from_stream(engine, definition, stream_sql(definition, events, aliases, resolve=resolve),
                                   as_of, batch_rows)
    except chains.HashCollision:  # two customers share a 64-bit hash: sort by the ids themselves
        units = _units_from_stream(engine, definition, stream_sql(
            definition, events, aliases, resolve=resolve, hashed=False), as_of, batch_rows)
    engine.connection.register("_voronka_units", units)
    try:
        engine.connection.execute(f"CREATE OR REPLACE TEMP TABLE {UNITS_TABLE} AS SELECT * FROM _voronka_units")
    finally:
        engine.connection.unregister("_voronka_units")


def _units_from_stream(engine: DuckDBEngine, definition: FunnelDefinition, sql: str, as_of: dt.datetime,
                       batch_rows: int) -> pa.Table:
    with engine.connection.sql(sql).to_arrow_reader(batch_rows) as reader:  # closed if the chains stop early
        return chains.units_table(definition, reader, as_of)


__all__ = ["Breakdown", "Exclusion", "FunnelDefinition", "FunnelResult", "Step", "compute_funnel"]
