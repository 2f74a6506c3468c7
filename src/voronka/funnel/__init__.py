"""Funnels: the definition, the engine computation, and the pure-Python reference.

    compute_funnel(engine, definition) -> FunnelResult

The computation runs inside the engine: one query builds the per-unit outcomes
(``funnel.sql.stage_sql`` then ``units_sql``), small aggregate queries build the tables; only aggregates
and the unit table come back. On an engine with the ``ArrowStreams`` capability (DuckDB,
embedded in this process) the per-unit table is built faster from the engine's pruned,
sorted event stream by ``funnel.chains`` (``funnel.sql.stream_sql``; same definition, same
results), then stored in the engine; on a store whose funnel layout serves the funnel and
its source (``funnel.layout``), from the layout's rows, already in order, by the compiled
kernel (``funnel.kernel``) or the chains.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from voronka.engines import ArrowStreams, Engine
from voronka.funnel import chains, layout
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
from voronka.schema import Table
from voronka.source import Source, as_source, latest_event
from voronka.sql import RESOLVED

STAGE_TABLE = "voronka_funnel_stage"
UNITS_TABLE = "voronka_funnel_units"
KERNEL_ROWS = 1_000_000  # stored events from which a funnel the kernel serves takes it
BATCH_ROWS = 1_000_000  # asked of DuckDB per batch of the sorted stream (2.0 gives at most 122,880)


def compute_funnel(
    engine: Engine | Source, definition: FunnelDefinition, *, events: str | None = None, aliases: str | None = "aliases",
    units: bool = True,
) -> FunnelResult:
    """Compute ``definition`` over the events of ``engine`` (an engine or a ``Source``).

    ``events``/``aliases``, when given, replace the source's (a table name or a subquery
    with the canonical columns; the alias table). On every engine the per-unit table is
    materialised inside the engine and only aggregates and (with ``units``, the default)
    the unit rows come back: one row per customer, so at billions of events pass
    ``units=False``.
    """
    source = as_source(engine, events, aliases)
    events, aliases = source.tables()
    as_of = store_units_from_layout(source, definition, ids=units)
    if as_of is None:
        as_of = definition.as_of or latest_event(source, events)
        if source.streams is not None:
            store_units_fast(source.streams, definition, events, aliases, as_of)
        elif definition.scans:
            store_units_scanned(source.engine, definition, events, aliases, as_of)
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


def store_units_from_layout(source: Source, definition: FunnelDefinition, ids: bool = True) -> dt.datetime | None:
    """On a store whose funnel layout is current and serves the funnel and the source's
    filters (``funnel.layout``), the per-unit table of ``units_sql`` from the layout's rows,
    already in order (no sort), stored as ``UNITS_TABLE``; the funnel's ``as_of`` (the
    latest of the rows the source keeps, by default). None, storing nothing, elsewhere.
    Without ``ids`` the table's ``customer_id`` holds the customers' codes as text (the
    aggregates do not read it; the ids cost a read of every customer's)."""
    engine = source.streams
    if engine is None or not layout.serves(definition):
        return None
    kept = layout.kept_sql(source)
    if kept is None or not layout.current(engine, source.aliases):
        return None
    as_of = definition.as_of or source.as_of or (
        latest_event(source) if kept == "TRUE" else layout.latest(engine, kept))
    units = _units_from_layout(engine, definition, as_of, kept, ids)
    if units is None:
        return None
    engine.store_temp(UNITS_TABLE, units)
    return as_of


def store_units_fast(engine: ArrowStreams, definition: FunnelDefinition, events: str, aliases: str | None,
                     as_of: dt.datetime, batch_rows: int = BATCH_ROWS) -> None:
    """The per-unit table of ``units_sql``, built by ``funnel.chains`` from DuckDB's sorted
    event stream read in batches of ``batch_rows``, stored as ``UNITS_TABLE``. Without
    ``identify`` events and alias rows every id is its own: the alias joins are skipped.
    The stream is sorted by the customer's hash, and by the id itself if two customers
    share one (for a million customers, a chance of about 3 in 10⁸)."""
    sources = [f"SELECT count(*) AS n FROM {events} AS e WHERE event = 'identify'"]
    if aliases is not None:
        sources.append(f"SELECT count(*) AS n FROM {aliases}")
    if aliases == RESOLVED:
        resolve = False
    else:
        with engine.stream(" UNION ALL ".join(sources), len(sources)) as counts:
            resolve = counts.read_all().column("n").to_pylist() != [0] * len(sources)
    try:
        units = _units_from_stream(engine, definition, stream_sql(definition, events, aliases, resolve=resolve),
                                   as_of, batch_rows)
    except chains.HashCollision:  # two customers share a 64-bit hash: sort by the ids themselves
        units = _units_from_stream(engine, definition, stream_sql(
            definition, events, aliases, resolve=resolve, hashed=False), as_of, batch_rows)
    engine.store_temp(UNITS_TABLE, units)


def store_units_scanned(engine: Engine, definition: FunnelDefinition, events: str, aliases: str | None,
                        as_of: dt.datetime) -> None:
    """The per-unit table of the ``window_funnel`` modes and of ``scan='posthog'`` (sequential scans, which
    SQL does not express) on an engine without ``ArrowStreams``: the stage table
    (``stage_sql``) is read back in event order, scanned by ``funnel.chains`` and stored as
    ``UNITS_TABLE``. Every event that matters crosses to Python once: fine for tests and
    moderate logs; on a ClickHouse server at scale, ``windowFunnel`` itself gives the levels."""
    engine.materialize(STAGE_TABLE, stage_sql(definition, events, aliases))
    rules = len(definition.rules)
    by_value = definition.breakdown is not None and definition.breakdown.attribution == "all_steps"
    value = "bv, " if definition.breakdown else ""
    rows = engine.query(f"SELECT customer_id, {value}tsu, {', '.join(f'm{r}' for r in range(rules))} "
                        f"FROM {STAGE_TABLE} ORDER BY customer_id{', bv' if by_value else ''}, ord")
    columns = {name: rows.column(name) for name in ("customer_id", "bv", "tsu") if name in rows.column_names}
    for j in range(0, rules, 64):  # the flags packed as funnel.sql.stream_sql packs them
        mask = np.zeros(rows.num_rows, dtype=np.uint64)
        for r in range(j, min(j + 64, rules)):
            flag = pc.fill_null(rows.column(f"m{r}").cast(pa.bool_()), False).to_numpy(zero_copy_only=False)
            mask |= flag.astype(np.uint64) << np.uint64(r - j)
        columns[f"f{j // 64}"] = pa.array(mask)
    units = chains.scanned_units(definition, pa.table(columns), as_of)
    if isinstance(engine, ArrowStreams):
        engine.store_temp(UNITS_TABLE, units)
    else:
        engine.load(Table(UNITS_TABLE, units.schema, (), "customer_id"), units, UNITS_TABLE)  # type: ignore[attr-defined]


def _units_from_layout(engine: ArrowStreams, definition: FunnelDefinition, as_of: dt.datetime,
                       kept: str, with_ids: bool) -> pa.Table | None:
    """The per-unit table from the store's funnel layout (``funnel.layout``), of its rows
    passing ``kept`` (``layout.kept_sql``): by the compiled
    kernel (``funnel.kernel``) for the funnels it serves on layouts of ``KERNEL_ROWS`` rows
    or more (below, importing Numba and loading the kernel would cost more than it saves),
    else by ``funnel.chains``;
    None when the layout's rows do not come in order."""
    def ids(codes: pa.Array) -> pa.Array:
        return layout.customer_ids(engine, codes) if with_ids else codes.cast(pa.string())

    try:
        if layout.stored_rows(engine) >= KERNEL_ROWS:
            from voronka.funnel import kernel  # imports Numba

            if kernel.serves(definition):
                try:
                    return kernel.units_table(definition, layout.parts(engine, definition, kept=kept, codes=True),
                                              layout.name_masks(engine, definition)[0], as_of, ids)
                except kernel.PeriodsBack:
                    pass
        return chains.units_table(definition, layout.stream(engine, definition, kept=kept), as_of, ids)
    except layout.OutOfOrder:
        return None


def warm_kernel(engine: Engine) -> None:
    """On a store whose funnel layout is current and holds ``KERNEL_ROWS`` rows or more,
    import Numba and load the compiled kernel (seconds), so that the first funnel does not
    wait for it (the server does it in the background as it starts)."""
    if isinstance(engine, ArrowStreams) and layout.current(engine) and layout.stored_rows(engine) >= KERNEL_ROWS:
        from voronka.funnel import kernel

        kernel.warm()


def _units_from_stream(engine: ArrowStreams, definition: FunnelDefinition, sql: str, as_of: dt.datetime,
                       batch_rows: int) -> pa.Table:
    with engine.stream(sql, batch_rows) as reader:  # closed if the chains stop early
        return chains.units_table(definition, reader, as_of)


__all__ = ["Breakdown", "Exclusion", "FunnelDefinition", "FunnelResult", "Step", "compute_funnel",
           "latest_event"]
