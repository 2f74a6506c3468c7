"""The server keeps a store's funnel layout up to date (``server.upkeep``): once writes have
been quiet, an out-of-date layout is rebuilt; a store without one is left alone; ``voronka
optimize`` on a store the server holds goes through it (``POST /v1/optimize``)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pytest

from tests.server._live import VORONKA, free_port, spawn, stop
from voronka import demo
from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel import layout
from voronka.served import read_serve_file, snapshot
from voronka.server.upkeep import LayoutUpkeep
from voronka.store import Store


@pytest.fixture()
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    pacsv.write_csv(demo.generate(80, seed=3, days=30).events.drop_columns(["properties"]), path)
    return path


def _more(tmp_path: Path) -> Path:
    path = tmp_path / "more.ndjson"
    path.write_text("\n".join(json.dumps({"event_id": f"more-{i}", "customer_id": f"new-{i % 4}",
                                          "ts": f"2026-02-0{1 + i % 5}T12:00:00Z", "event": "site_visit"})
                              for i in range(12)))
    return path


def _upkeep(store: Store, generation: list[int]) -> LayoutUpkeep:
    @contextlib.contextmanager
    def reading() -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = store.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    return LayoutUpkeep(lambda: generation[0], reading, quiet=0.3)


def _until(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_an_out_of_date_layout_is_rebuilt_once_writes_are_quiet(tmp_path: Path, events: Path) -> None:
    with Store(tmp_path / "store.duckdb") as store:
        store.ingest_events([events])
        store.refresh_layout()
        store.ingest_events([_more(tmp_path)])  # the layout is out of date
        engine = DuckDBEngine(store.connection)
        assert not layout.current(engine)
        upkeep = _upkeep(store, [1])
        upkeep.start()
        try:
            assert _until(lambda: upkeep.rebuilds == 1)
        finally:
            upkeep.stop()
        assert layout.current(engine)
        assert layout.stored_rows(engine) == store.count("events")


def test_a_store_without_a_layout_is_left_alone(tmp_path: Path, events: Path) -> None:
    with Store(tmp_path / "store.duckdb") as store:
        store.ingest_events([events])
        generation = [1]
        upkeep = _upkeep(store, generation)
        upkeep.start()
        try:
            time.sleep(1.5)  # past the quiet spell and a check
            generation[0] += 1  # a write, then quiet again
            time.sleep(1.5)
        finally:
            upkeep.stop()
        assert upkeep.rebuilds == 0
        assert not DuckDBEngine(store.connection).has_table(layout.EVENTS)


def test_voronka_serve_rebuilds_the_layout_after_the_events_it_takes(tmp_path: Path, events: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        store.ingest_events([events])
        store.refresh_layout()
    port = free_port()
    server = spawn(path, port, "--optimize-after", "2")
    try:
        posted = [{"event_id": f"live-{i}", "customer_id": f"live-{i % 3}", "ts": "2026-02-03T10:00:00Z",
                   "event": "site_visit"} for i in range(9)]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/events", data=json.dumps(posted).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200
        served = read_serve_file(path)
        assert served is not None

        def current() -> bool:
            copy, _ = snapshot(served, path)  # the store as the server holds it now
            with duckdb.connect(str(copy), read_only=True) as con:
                return layout.current(DuckDBEngine(con)) and layout.stored_rows(DuckDBEngine(con)) == \
                    con.execute("SELECT count(*) FROM events").fetchone()[0]

        assert not current()  # right after the write, before the quiet spell
        assert _until(current)
    finally:
        stop(server)


def test_voronka_optimize_goes_through_the_server_that_holds_the_store(tmp_path: Path, events: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        store.ingest_events([events])
        stored = store.count("events")
    port = free_port()
    server = spawn(path, port, "--optimize-after", "0")
    try:
        refused = urllib.request.Request(f"http://127.0.0.1:{port}/v1/optimize", data=b"", method="POST")
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(refused, timeout=30)  # no read key
        assert answer.value.code == 401
        done = subprocess.run([VORONKA, "optimize", "--store", str(path)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "held by voronka serve" in done.stderr and f"{stored:,} events in funnel order" in done.stderr
        served = read_serve_file(path)
        assert served is not None
        copy, _ = snapshot(served, path)  # taken anew: the layout is in it
        with duckdb.connect(str(copy), read_only=True) as con:
            assert layout.current(DuckDBEngine(con)) and layout.stored_rows(DuckDBEngine(con)) == stored
    finally:
        stop(server)
