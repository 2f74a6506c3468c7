"""The writer's exactly-once check by the stored ids' hashes (``server/seen.py``): new ids are
stored, stored ids are skipped, and a hash shared by a new id and a stored one (a collision)
still stores the new id. Real DuckDB stores, the real writer thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np

from voronka.server.capture import translate
from voronka.server.collector import Collector
from voronka.server.seen import MERGE_AT, SeenKeys

NOW = dt.datetime(2026, 3, 1, 12, 0)


def _hashes(con: duckdb.DuckDBPyConnection, ids: list[str]) -> np.ndarray:
    return con.execute("SELECT hash(i) AS h FROM unnest($ids::VARCHAR[]) t(i)", {"ids": ids}).fetchnumpy()["h"]


def test_seen_keys_know_the_stored_ids_and_those_added():
    con = duckdb.connect()
    con.execute("CREATE TABLE events AS SELECT 'e' || i AS event_id FROM range(1000) t(i)")
    seen = SeenKeys(con, "events", "event_id")
    assert len(seen) == 1000
    assert seen.maybe_seen(_hashes(con, ["e0", "e999", "new"])).tolist() == [True, True, False]
    seen.add(_hashes(con, ["new"]))
    assert seen.maybe_seen(_hashes(con, ["new", "other"])).tolist() == [True, False]
    many = [f"n{i}" for i in range(MERGE_AT)]  # past the merge threshold: merged into the sorted array
    seen.add(_hashes(con, many))
    assert seen.maybe_seen(_hashes(con, ["n0", f"n{MERGE_AT - 1}", "new", "e5", "none"])).tolist() == [
        True, True, True, True, False]


def _events(*ids: str) -> bytes:
    return json.dumps({"api_key": "k", "batch": [
        {"event": "site_visit", "distinct_id": f"c-{i}", "uuid": i, "timestamp": "2026-03-01T11:00:00Z"} for i in ids]}).encode()


def _stored(collector: Collector) -> list[str]:
    with collector.reading() as con:
        return sorted(r[0] for r in con.execute("SELECT event_id FROM events").fetchall())


def test_the_writer_stores_each_id_once_without_scanning_the_store(tmp_path: Path):
    collector = Collector(tmp_path / "s.duckdb")
    try:
        async def run() -> None:
            await collector.capture(translate(_events("a", "b", "a"), now=NOW), 1)  # the second a: dropped
            await collector.capture(translate(_events("b", "c"), now=NOW), 1)  # b is stored: skipped
            # the file pipeline stores d; the writer learns of it and skips a capture of d
            await collector.ingest_body("events", b'{"event_id": "d", "customer_id": "x", "ts": "2026-03-01 10:00:00", '
                                        b'"event": "site_visit"}', None, {})
            await collector.capture(translate(_events("d", "e"), now=NOW), 1)
            # a collision: new ids whose hashes the index already holds are looked up, and stored
            with collector.reading() as con:
                collector.writer.seen.add(_hashes(con, ["f", "g"]))
            await collector.capture(translate(_events("f", "g", "a"), now=NOW), 1)

        asyncio.run(run())
        assert _stored(collector) == ["a", "b", "c", "d", "e", "f", "g"]
        assert collector.event_count == 7
    finally:
        collector.close()
    # after a restart, the index is read from the store: stored ids stay skipped
    collector = Collector(tmp_path / "s.duckdb")
    try:
        asyncio.run(collector.capture(translate(_events("a", "g", "h"), now=NOW), 1))
        assert _stored(collector) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    finally:
        collector.close()
