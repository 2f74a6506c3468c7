"""The store: creation, format version, refusing foreign files, counts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from voronka.errors import StoreError
from voronka.store import FORMAT_VERSION, Store
from voronka.schema import EVENTS, TABLES


def test_creates_tables_and_version(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        assert store.format_version == FORMAT_VERSION
        assert all(store.count(t) == 0 for t in TABLES)
        cols = [r[0] for r in store.connection.execute("DESCRIBE events").fetchall()]
        assert cols == TABLES["events"].columns
    with Store(path) as again:  # reopening is fine
        assert again.count("events") == 0


def test_not_a_store(tmp_path: Path) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("hello, not a database")
    with pytest.raises(StoreError, match="cannot open"):
        Store(text)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (x INT)")
    con.close()
    with pytest.raises(StoreError, match="not a voronka store"):
        Store(other)


def test_newer_version_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.connection.execute("UPDATE voronka_meta SET value = ? WHERE key = 'format_version'",
                                 [str(FORMAT_VERSION + 1)])
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_read_only_and_unknown_table(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Store(tmp_path / "absent.duckdb", read_only=True)
    Store(tmp_path / "s.duckdb").close()
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        with pytest.raises(StoreError, match="no table"):
            store.count("nope")


def test_memory_store() -> None:
    with Store(":memory:") as store:
        assert store.count("spend") == 0


def test_event_ids_are_stored_with_zstd(tmp_path: Path) -> None:
    """A new store keeps ``event_id`` with ZSTD (schema.EVENTS.compression); one made before,
    with DuckDB's default, keeps its definition and takes ingests as before."""
    rows = "".join(f"e{i},c{i % 7},2026-03-01 10:00,visit\n" for i in range(3000))
    data = tmp_path / "e.csv"
    data.write_text("event_id,customer_id,ts,event\n" + rows)
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE voronka_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("INSERT INTO voronka_meta VALUES ('format_version', ?)", [str(FORMAT_VERSION)])
    con.execute(EVENTS.ddl())  # no compression of its own, as stores were made before
    con.close()
    methods = {}
    for path in (tmp_path / "new.duckdb", old):
        with Store(path) as store:
            assert store.ingest_events([data]).added == 3000
            store.connection.execute("CHECKPOINT")
            methods[path.stem] = {m for (m,) in store.connection.execute(
                "SELECT DISTINCT compression FROM pragma_storage_info('events') "
                "WHERE column_name = 'event_id' AND segment_type = 'VARCHAR'").fetchall()}
    assert methods["new"] == {"ZSTD"}
    assert "ZSTD" not in methods["old"]
