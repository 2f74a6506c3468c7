"""Ingest into a big engine (ClickHouse, chdb, Spark) instead of the store.

    ingest_into_engine(engine, "events", ["events.csv"], name="events")

The files are read, normalised, checked and freed of repeats exactly as for the store
(the same pipeline, in an in-memory DuckDB), so a bad row is the same located
``InputError`` and nothing reaches the engine. Then the rows whose key (``event_id``,
``spend_id``…) the engine's table does not hold yet are appended in one write
(``WritableEngine.append``): a repeated ingest adds nothing. What each engine promises
when a write fails half way is in docs/engines.md (*Ingesting into the engine*).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from voronka.engines import WritableEngine
from voronka.engines.duckdb import connect
from voronka.errors import InputError
from voronka.ingest.normalise import SPECS
from voronka.ingest.pipeline import ingest
from voronka.ingest.summary import FileSummary, IngestSummary

if TYPE_CHECKING:
    from voronka.ingest import ReadOptions


def ingest_into_engine(engine: WritableEngine, table: str, paths: Iterable[str | Path], *, name: str | None = None,
                       **options: Unpack["ReadOptions"]) -> IngestSummary:
    """Append the canonical ``table`` read from ``paths`` to the engine's table ``name``
    (default: ``table``); the summary counts rows already there as duplicates."""
    if table not in SPECS:
        raise InputError(f"unknown table {table!r}; expected one of {', '.join(SPECS)}")
    paths = [str(p) for p in paths]
    con = connect()
    try:
        con.execute(SPECS[table].table.ddl())
        local = ingest(con, table, paths, **options)  # every check; raises before any write
        data = con.sql(f"SELECT * FROM {table}").to_arrow_table().cast(SPECS[table].table.schema)
    finally:
        con.close()
    added = engine.append(SPECS[table].table, data, name or table)
    total = FileSummary(" + ".join(paths), local.rows_read, added, local.rows_read - added, 0)
    return IngestSummary(table, (total,))
