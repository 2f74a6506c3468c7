"""Where queries run. The core builds SQL; an ``Engine`` executes it and returns Arrow.

Every analysis talks to this interface only, so the same analysis runs on the embedded
DuckDB default and, through the same SQL transpiled (``engines.dialect``), on ClickHouse
(``engines.clickhouse``) and Spark (``engines.spark``). ``open_engine(url)`` picks one:

    duckdb:///path/store.duckdb      a store file (``duckdb://`` alone: in memory)
    clickhouse://user:pw@host:8123/db  a ClickHouse server (clickhouse-connect, HTTP)
    chdb://                          ClickHouse in-process (tests, small jobs)
    chdb:///path/folder              the same, its tables kept in that folder
    spark://host:7077 | local[4]     a Spark cluster, or Spark local mode
    sc://host:15002                  Spark Connect
"""

from __future__ import annotations

import contextlib
from typing import Protocol, runtime_checkable

import pyarrow as pa

from voronka.schema import Table


class Engine(Protocol):
    """An SQL engine holding (or reaching) the canonical tables."""

    dialect: str

    def query(self, sql: str) -> pa.Table:
        """Run a query written in DuckDB SQL; return its result as Arrow."""

    def materialize(self, name: str, sql: str) -> None:
        """Store a query's result as a temporary table ``name`` (replacing it)."""

    def has_table(self, name: str) -> bool:
        """Whether ``name`` is a table or view here."""


@runtime_checkable
class WritableEngine(Engine, Protocol):
    """An engine ``voronka ingest --engine`` can write to (ClickHouse, chdb, Spark)."""

    def append(self, table: Table, data: pa.Table, name: str, *, check_keys: bool = True) -> int:
        """Add the rows of ``data`` (a validated canonical ``table``) whose key the table
        ``name`` does not hold yet, creating ``name`` if missing; the rows added. With
        ``check_keys`` false every row is added (the caller knows the keys are new)."""


@runtime_checkable
class ArrowStreams(Protocol):
    """A capability some engines have besides ``Engine``: they run in this process and hand a
    query's result over as Arrow batches, and take an Arrow table back as a temporary table,
    at no copying cost (``DuckDBEngine``). An analysis with a faster path through Python uses
    it when its engine has it (``isinstance(engine, ArrowStreams)``; ``Source.streams``), and
    the SQL path everywhere else: the funnel's ``funnel.chains``."""

    def stream(self, sql: str, batch_rows: int) -> pa.RecordBatchReader:
        """The result of ``sql`` in batches of at most ``batch_rows`` rows (close it when done)."""

    def store_temp(self, name: str, data: pa.Table) -> None:
        """Store ``data`` as a temporary table ``name`` (replacing it)."""

    def for_thread(self) -> contextlib.AbstractContextManager[ArrowStreams]:
        """An engine on the same database for another thread (a cursor of its own: one
        connection runs one query at a time), closed on leaving; it sees the committed
        tables, not this engine's temporary ones."""

    def threads(self, n: int) -> contextlib.AbstractContextManager[None]:
        """At most ``n`` threads per query, for every engine of the database, while the block
        runs; then as before."""


def open_engine(url: str) -> Engine:
    """The engine a URL names (see the module docstring); drivers are imported on demand."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else url.split("[", 1)[0].lower()
    if scheme == "duckdb":
        from voronka.engines.duckdb import DuckDBEngine, connect

        path = url.split("://", 1)[1]
        return DuckDBEngine(connect(path or ":memory:"))
    if scheme in ("clickhouse", "clickhouses"):
        from voronka.engines.clickhouse import ClickHouseEngine

        return ClickHouseEngine.connect(url)
    if scheme == "chdb":
        from voronka.engines.clickhouse import ChdbEngine

        return ChdbEngine(url.split("://", 1)[1] or None)
    if scheme in ("spark", "sc", "local"):
        from voronka.engines.spark import SparkEngine

        return SparkEngine.connect(url)
    from voronka.errors import StoreError

    raise StoreError(f"{url}: unknown engine (use duckdb://, clickhouse://, chdb://, spark://, sc:// or local[n])")


__all__ = ["ArrowStreams", "Engine", "WritableEngine", "open_engine"]
