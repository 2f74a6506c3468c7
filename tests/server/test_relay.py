"""``voronka serve --engine``: what the collector stores reaches the big engine exactly once.

A real server on loopback carries a store and the events posted to it into ClickHouse
(chdb, a folder it keeps); the engine's funnel then equals the store's. A relay stopped
after a batch reached the engine but before it was recorded sends nothing twice.
chdb allows one session per process, so the engine side runs in processes of its own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pytest

from tests.server._live import VORONKA, free_port, spawn
from voronka import demo

pytest.importorskip("chdb")

STEPS = ["--steps", "site_visit,lead_magnet,purchase", "--window", "30d", "-f", "json"]


def run(*args: str) -> str:
    done = subprocess.run([VORONKA, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def in_engine(url: str, sql: str) -> list:
    """The rows of ``sql`` on the engine at ``url``, read by a process of its own."""
    code = f"from voronka.engines import open_engine; print(open_engine({url!r}).query({sql!r}).to_pylist())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout)  # noqa: S307 - our own process's repr of plain rows


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    events = tmp_path / "events.csv"
    pacsv.write_csv(demo.generate(120, seed=5, days=40).events.drop_columns(["properties"]), events)
    path = tmp_path / "store.duckdb"
    run("ingest", str(events), "--store", str(path))
    return path


def _serve_into(store: Path, url: str, prefix: str) -> None:
    """Serve ``store`` with ``--engine url``, post events (and a repeat), stop; then the
    engine holds every stored event once and gives the store's funnel."""
    port = free_port()
    server = spawn(store, port, "--engine", url, "--into-prefix", prefix, "--relay-every", "0.2")
    try:
        posted = [{"event_id": f"live-{i}", "customer_id": f"live-{i % 7}", "ts": f"2026-03-0{1 + i % 5}T10:0{i % 10}:00Z",
                   "event": ["site_visit", "lead_magnet", "purchase"][i % 3]} for i in range(40)]
        for body in (posted, posted[:10]):  # the repeat adds nothing, in the store or the engine
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/events", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200
    finally:  # as Ctrl-C: the relay makes its last pass (Spark may take a while) before the store closes
        server.send_signal(signal.SIGINT)
        server.wait(300)
    assert server.returncode == 0, server.stderr.read().decode()[-2000:]

    with duckdb.connect(str(store), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM events").fetchone()[0]
    [held] = in_engine(url, f"SELECT count(*) AS n, count(DISTINCT event_id) AS ids, "
                            f"sum(CASE WHEN event_id LIKE 'live-%' THEN 1 ELSE 0 END) AS live FROM {prefix}events")
    assert (held["n"], held["ids"], held["live"]) == (stored, stored, 40)
    engine_funnel = json.loads(run("funnel", *STEPS, "--engine", url, "--table", f"{prefix}events"))
    store_funnel = json.loads(run("funnel", *STEPS, "--store", str(store)))
    assert [(r["step"], r["customers"]) for r in engine_funnel] == [(r["step"], r["customers"]) for r in store_funnel]
    assert store_funnel[0]["customers"] > 0


def test_served_events_reach_clickhouse_once_and_give_the_stores_funnel(store: Path, tmp_path: Path) -> None:
    _serve_into(store, f"chdb://{tmp_path / 'clickhouse'}", "")


@pytest.mark.xdist_group("spark-connect")
def test_served_events_reach_spark_once_and_give_the_stores_funnel(store: Path, spark_connect: str) -> None:
    _serve_into(store, spark_connect, f"relay_{store.parent.name.replace('-', '_')}_")


def test_a_batch_sent_but_not_recorded_is_not_sent_twice(store: Path, tmp_path: Path) -> None:
    """The relay dies after its batch reached the engine and before it recorded that: the
    next relay checks that batch's keys and adds only what the engine lacks."""
    url = f"chdb://{tmp_path / 'clickhouse'}"
    script = textwrap.dedent(f"""
        import contextlib, json
        from voronka.engines import open_engine
        from voronka.ingest.normalise import SPECS
        from voronka.server.relay import Relay
        from voronka.store import Store

        store = Store({str(store)!r})
        engine = open_engine({url!r})

        @contextlib.contextmanager
        def reading():
            cursor = store.connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

        @contextlib.contextmanager
        def writing():
            yield store.connection

        first = Relay(engine, {url!r}, reading, writing, batch_rows=500)
        rows, end = first._batch("events", 0)
        first._record("events", 0, end)                    # recorded as sending...
        engine.append(SPECS["events"].table, rows, "events", check_keys=False)  # ...reached the engine; died
        again = Relay(engine, {url!r}, reading, writing, batch_rows=500)
        added = again.carry()
        held = engine.query("SELECT count(*) AS n, uniqExact(event_id) AS ids FROM events").to_pylist()[0]
        print(json.dumps({{"first": rows.num_rows, "added": added, "held": held,
                          "stored": store.count("events"), "behind": again.behind()}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["first"] == 500 < out["stored"]
    assert out["held"] == {"n": out["stored"], "ids": out["stored"]}
    assert out["added"] == out["stored"] - 500
    assert out["behind"] == {"events": 0, "spend": 0, "aliases": 0, "deals": 0}


def test_an_engine_voronka_cannot_write_to_is_refused_at_start(store: Path) -> None:
    done = subprocess.run([VORONKA, "serve", "--store", str(store), "--port", str(free_port()),
                           "--engine", "duckdb://" + str(store.with_name("other.duckdb"))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "--engine" in done.stderr
