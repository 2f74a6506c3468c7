"""Where a command's events come from: the store, or event files given with ``--data``."""

from __future__ import annotations

from pathlib import Path

from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import StoreError


def open_engine(store: Path, data: list[Path] | None) -> DuckDBEngine:
    """An engine over ``data`` files (read in memory, not ingested), or over the store."""
    if data:
        from voronka.ingest import read_events

        return DuckDBEngine.from_events(read_events(data))
    if not Path(store).exists():
        raise StoreError(f"{store}: no store here. Load data with 'voronka ingest FILE' or try 'voronka demo'")
    from voronka.store import Store

    return DuckDBEngine(Store(store, read_only=True).connection)
