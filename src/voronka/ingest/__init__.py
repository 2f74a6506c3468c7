"""Ingestion: data files (CSV, TSV, XLSX, Parquet, NDJSON) into the canonical tables.

    read_source   a file → its columns as found plus a row number   (``readers``)
    plan          those columns → SQL that normalises and checks    (``normalise``, pure)
    ingest        runs the plan on a store's connection, atomically (``pipeline``)

``open_table`` runs the same steps into an in-memory DuckDB, for analyses run directly on
files (``--data``); ``read_table`` / ``read_events`` return the canonical table as Arrow.
docs/ingest.md describes formats, mapping, time zones, numbers, errors and dedupe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypedDict, Unpack

import duckdb
import pyarrow as pa

from voronka.engines.duckdb import connect
from voronka.ingest.mapping import load_mapping_file, parse_pairs
from voronka.ingest.normalise import SPECS
from voronka.ingest.pipeline import KnownKeys, Progress, ingest
from voronka.ingest.summary import FileSummary, IngestSummary


class ReadOptions(TypedDict, total=False):
    """How files are read, as ``voronka ingest`` takes it (docs/ingest.md)."""

    mapping: Mapping[str, str] | None
    tz: str | None
    encoding: str | None
    delimiter: str | None
    currency: str | None


class IngestOptions(ReadOptions, total=False):
    """``ReadOptions`` plus what an ingest into a store takes (``voronka.store.Store.ingest``)."""

    reject_file: str | Path | None
    progress: Progress | None
    known: KnownKeys | None


def open_table(table: str, paths: Iterable[str | Path], **options: Unpack[ReadOptions]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding only the canonical ``table``, read from ``paths``
    without a store (duplicates dropped); the caller closes it.

    ``table`` is a store table or a file-only one (``rates``, ``plan``: ``schema.FILES``).

    A bad row raises ``InputError``, exactly as ``voronka ingest`` would.
    """
    con = connect()
    try:
        con.execute(SPECS[table].table.ddl())
        ingest(con, table, paths, **options)
    except BaseException:
        con.close()
        raise
    return con


def read_table(table: str, paths: Iterable[str | Path], **options: Unpack[ReadOptions]) -> pa.Table:
    """The canonical ``table`` read from ``paths`` (``open_table``), as Arrow."""
    con = open_table(table, paths, **options)
    try:
        return con.sql(f"SELECT * FROM {table}").to_arrow_table().cast(SPECS[table].table.schema)
    finally:
        con.close()


def read_events(paths: Iterable[str | Path], **options: Unpack[ReadOptions]) -> pa.Table:
    """The canonical events table (``voronka.schema.EVENTS``) read from ``paths``."""
    return read_table("events", paths, **options)


__all__ = [
    "FileSummary",
    "IngestOptions",
    "IngestSummary",
    "Progress",
    "ReadOptions",
    "ingest",
    "load_mapping_file",
    "open_table",
    "parse_pairs",
    "read_events",
    "read_table",
]
