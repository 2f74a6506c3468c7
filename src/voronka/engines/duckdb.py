"""The embedded default engine: DuckDB, on a store file or on event files in memory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import duckdb
import pyarrow as pa

from voronka.errors import StoreError
from voronka.schema import ALIASES, EVENTS, Table

MEMORY_LIMIT = "VORONKA_MEMORY_LIMIT"


def connect(path: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as voronka opens every one: no progress bar printed (a library
    prints nothing) and, when the ``VORONKA_MEMORY_LIMIT`` environment variable is set
    (``2GB``, ``512MB``), that ``memory_limit``: past it DuckDB spills sorts, joins and
    aggregates to disk (``<store>.tmp``; ``.tmp`` for an in-memory database) instead of
    growing. Unset, DuckDB's own default holds: 80% of the machine's memory.

    Raises ``StoreError`` for a bad limit (before ``path`` is touched), ``duckdb.Error``
    when ``path`` cannot be opened.
    """
    config: dict[str, str] = {}
    limit = os.environ.get(MEMORY_LIMIT, "").strip()
    if limit:
        try:
            duckdb.connect(config={"memory_limit": limit}).close()
        except duckdb.Error:
            raise StoreError(f"{MEMORY_LIMIT}={limit!r}: not a memory size (e.g. 2GB or 512MB)") from None
        config["memory_limit"] = limit
    connection = duckdb.connect(path, read_only=read_only, config=config)
    connection.execute("SET enable_progress_bar_print = false")
    return connection


class DuckDBEngine:
    """Runs voronka's SQL on a DuckDB connection."""

    dialect = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    @classmethod
    def from_events(cls, events: pa.Table, aliases: pa.Table | None = None) -> DuckDBEngine:
        """An in-memory engine over Arrow tables in the canonical schema (no store)."""
        engine = cls(connect())
        engine.load(EVENTS, events)
        if aliases is not None:
            engine.load(ALIASES, aliases)
        return engine

    def load(self, table: Table, data: pa.Table, name: str | None = None) -> None:
        """Create table ``name`` (default: the table's own name) holding ``data``."""
        self.connection.register("_load_arrow", data)
        self.connection.execute(f"CREATE OR REPLACE TABLE {name or table.name} AS SELECT * FROM _load_arrow")
        self.connection.unregister("_load_arrow")

    def query(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def materialize(self, name: str, sql: str) -> None:
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def stream(self, sql: str, batch_rows: int) -> pa.RecordBatchReader:
        return self.connection.sql(sql).to_arrow_reader(batch_rows)

    def store_temp(self, name: str, data: pa.Table) -> None:
        self.connection.register("_voronka_arrow", data)
        try:
            self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _voronka_arrow")
        finally:
            self.connection.unregister("_voronka_arrow")

    @contextlib.contextmanager
    def for_thread(self) -> Iterator[DuckDBEngine]:
        cursor = self.connection.cursor()
        cursor.execute("SET enable_progress_bar_print = false")
        try:
            yield DuckDBEngine(cursor)
        finally:
            cursor.close()

    @contextlib.contextmanager
    def threads(self, n: int) -> Iterator[None]:
        """DuckDB's ``threads`` setting (for every cursor of the database) at ``n`` while the
        block runs, then back to what it was."""
        before = self.connection.execute("SELECT current_setting('threads')").fetchone()[0]
        self.connection.execute(f"SET threads = {int(n)}")
        try:
            yield
        finally:
            self.connection.execute(f"SET threads = {int(before)}")

    def has_table(self, name: str) -> bool:
        found = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? UNION ALL "
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
            [name, name],
        ).fetchall()
        return sum(r[0] for r in found) > 0
