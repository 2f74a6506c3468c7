"""The store: creation, format version, refusing foreign files, counts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from voronka.errors import StoreError
from voronka.store import FORMAT_VERSION, Store
from voronka.schema import TABLES


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
