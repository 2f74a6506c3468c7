"""The embedded default engine: DuckDB, on a store file or on event files in memory."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from voronka.schema import ALIASES, EVENTS, Table


class DuckDBEngine:
    """Runs voronka's SQL on a DuckDB connection."""

    dialect = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    @classmethod
    def from_events(cls, events: pa.Table, aliases: pa.Table | None = None) -> DuckDBEngine:
        """An in-memory engine over Arrow tables in the canonical schema (no store)."""
        engine = cls(duckdb.connect())
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

    def has_table(self, name: str) -> bool:
        found = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? UNION ALL "
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
            [name, name],
        ).fetchall()
        return sum(r[0] for r in found) > 0
