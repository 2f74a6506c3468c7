"""Where a command's events come from: the store, event files (``--data``), or an engine
(``--engine URL``) holding them, optionally in an existing table read through a column
mapping (``--table``, ``--map``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from voronka.engines import Engine
from voronka.errors import StoreError

DataOption = Annotated[
    Optional[list[Path]],
    typer.Option("--data", help="Analyse these event files directly, without ingesting them (repeatable)."),
]
EngineOption = Annotated[
    Optional[str],
    typer.Option("--engine", help="Run inside this engine: clickhouse://host:8123/db, spark://host:7077, "
                                   "sc://host:15002, local[4], duckdb:///file (default: the store)."),
]
TableOption = Annotated[
    Optional[str],
    typer.Option("--table", "--events-table", help="Read events from this existing table of the engine."),
]
MapOption = Annotated[
    Optional[str],
    typer.Option("--map", help="Columns of --table: 'posthog' or SOURCE=COLUMN pairs, "
                               "e.g. distinct_id=customer_id,timestamp=ts,uuid=event_id."),
]


def open_engine(store: Path, data: list[Path] | None, engine: str | None = None, table: str | None = None,
                mapping: str | None = None) -> Engine:
    """An engine over ``data`` files (read in memory, not ingested), over ``engine``, or the store.

    With ``table``, the events are read from that table, through ``mapping`` when given
    (the engine's ``events_table`` becomes the mapping subquery: nothing is copied).
    """
    from voronka.engines.duckdb import DuckDBEngine

    if data:
        from voronka.ingest import open_table

        result: Engine = DuckDBEngine(open_table("events", data))
    elif engine:
        from voronka.engines import open_engine as open_url

        result = open_url(engine)
    else:
        if not Path(store).exists():
            raise StoreError(f"{store}: no store here. Load data with 'voronka ingest FILE' or try 'voronka demo'")
        from voronka.store import Store

        result = DuckDBEngine(Store(store, read_only=True).connection)
    if table or mapping:
        from voronka.sql import mapped_events_sql, parse_mapping

        source = table or "events"
        result.events_table = mapped_events_sql(source, parse_mapping(mapping)) if mapping else source  # type: ignore[attr-defined]
    return result
