"""``engines.duckdb.connect``: every DuckDB connection voronka opens, and the memory cap
``VORONKA_MEMORY_LIMIT`` past which DuckDB spills to disk instead of growing."""

from __future__ import annotations

import duckdb
import pytest

from voronka.engines.duckdb import MEMORY_LIMIT, DuckDBEngine, connect
from voronka.errors import StoreError
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel
from voronka.store import Store


def _memory_limit(connection: duckdb.DuckDBPyConnection) -> str:
    return connection.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]


def test_the_limit_comes_from_the_environment(tmp_path, monkeypatch):
    unset = _memory_limit(connect())
    expected = duckdb.connect()
    expected.execute("SET memory_limit = '300MB'")
    monkeypatch.setenv(MEMORY_LIMIT, " 300MB ")
    with Store(tmp_path / "s.duckdb") as store:
        assert _memory_limit(store.connection) == _memory_limit(expected) != unset
    assert _memory_limit(connect()) == _memory_limit(expected)


def test_a_bad_limit_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT, "lots")
    with pytest.raises(StoreError, match=r"VORONKA_MEMORY_LIMIT='lots': not a memory size"):
        Store(tmp_path / "s.duckdb")
    assert not (tmp_path / "s.duckdb").exists()  # checked before the file is touched


def test_a_bad_limit_is_a_one_line_cli_error(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from voronka.cli import app

    monkeypatch.setenv(MEMORY_LIMIT, "2 parrots")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "none.csv"), "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1, result.output
    assert "VORONKA_MEMORY_LIMIT='2 parrots'" in result.output and "Traceback" not in result.output


def test_a_funnel_larger_than_the_limit_spills_and_gives_the_same_answer(tmp_path, monkeypatch):
    path = tmp_path / "big.duckdb"
    with Store(path) as store:  # 1.5M events of 100,000 customers over 23 days
        store.connection.execute(
            "INSERT INTO events (event_id, customer_id, ts, event, properties) "
            "SELECT 'e' || i, 'c' || (hash(i) % 100000), "
            "TIMESTAMP '2026-01-01' + to_seconds((hash(i * 3) % 2000000)::BIGINT), "
            "['visit', 'lead', 'buy'][1 + (hash(i * 7) % 3)::INT], '{}' FROM range(1500000) AS r(i)"
        )
    definition = build_funnel({"steps": ["visit", "lead", "buy"], "window": "7d"})
    with Store(path, read_only=True) as store:
        free = compute_funnel(DuckDBEngine(store.connection), definition)

    monkeypatch.setenv(MEMORY_LIMIT, "48MB")
    with Store(path, read_only=True) as store:  # the work does not fit: without a disk it fails
        store.connection.execute("SET temp_directory = ''")
        with pytest.raises(duckdb.OutOfMemoryException):
            compute_funnel(DuckDBEngine(store.connection), definition)
    with Store(path, read_only=True) as store:  # with one (beside the store) it spills
        capped = compute_funnel(DuckDBEngine(store.connection), definition)
    assert capped.steps.equals(free.steps)
    assert capped.units.equals(free.units)
    assert free.steps.column("customers")[0].as_py() > 90_000
