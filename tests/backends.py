"""Event rows in, a real engine out (DuckDB, chdb or Spark): the helpers every test of an
analysis uses. The fixtures binding them to each backend are in ``tests/conftest.py``.

``engine_for(rows, backend)`` loads the rows as the ``events`` table of a fresh engine
(and any other canonical tables given in ``tables``): ``duckdb`` (the default), ``chdb``
(ClickHouse in-process, the SQL a server would get), ``spark`` (local[2], one
SparkSession per test process, shared through ``spark_session_for_tests``) or
``spark-connect`` (a real Spark Connect server on loopback, started once per test process
by ``SparkConnectServer`` from the installed pyspark, or the one ``VORONKA_SPARK_CONNECT``
names; each engine gets a session of its own on it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from voronka.engines.duckdb import DuckDBEngine
from voronka.schema import ALIASES, EVENTS, Table

T0 = dt.datetime(2026, 3, 2, 9, 0)
BACKENDS = ("duckdb", "chdb", "spark")
SPARK_CONNECT = "spark-connect"
"""The fourth backend, for the test modules marked ``spark_connect`` (tests/conftest.py)."""


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def event(customer: str, minutes: float, name: str, event_id: str | None = None, **columns) -> dict:
    """One event row; ``properties`` a dict (JSON-encoded for the engine)."""
    props = columns.pop("properties", {})
    return {
        "event_id": event_id or f"{customer}-{minutes}-{name}",
        "customer_id": customer,
        "ts": at(minutes),
        "event": name,
        "channel": columns.get("channel"),
        "campaign": columns.get("campaign"),
        "revenue": columns.get("revenue"),
        "currency": columns.get("currency"),
        "referrer_id": columns.get("referrer_id"),
        "properties": props,
    }


def events_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        [dict(r, properties=json.dumps(r["properties"], ensure_ascii=False)) for r in rows],
        schema=EVENTS.schema,
    )


_SPARK: list = []


def spark_session_for_tests():
    """The one SparkSession of this test process (local[2]), created on first use."""
    if not _SPARK:
        from voronka.engines.spark import spark_session

        _SPARK.append(spark_session("local[2]"))
    return _SPARK[0]


class SparkConnectServer:
    """A Spark Connect server on 127.0.0.1, run from the installed pyspark's own launcher
    (``sbin/start-connect-server.sh --wait``: the ``spark-connect`` jar ships in pyspark),
    in local mode on two cores; ``url`` is its ``sc://`` address. ``stop`` ends its process group."""

    CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"

    def __init__(self, timeout: float = 180) -> None:
        import pyspark

        home = Path(pyspark.__file__).parent
        self.folder = Path(tempfile.mkdtemp(prefix="voronka-spark-connect-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ, SPARK_HOME=str(home), SPARK_NO_DAEMONIZE="1", SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_LOG_DIR=str(self.folder), SPARK_PID_DIR=str(self.folder))
        conf = {"spark.connect.grpc.binding.address": "127.0.0.1", "spark.connect.grpc.binding.port": str(port),
                "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "2g",
                "spark.sql.warehouse.dir": str(self.folder / "warehouse"),
                "spark.sql.catalogImplementation": "in-memory"}
        command = ["bash", str(home / "sbin" / "start-connect-server.sh"), "--wait", "--master", "local[2]"]
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        self.log = self.folder / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.folder)
        self.url = f"sc://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while b"Spark Connect server started" not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"the Spark Connect server did not start:\n{tail}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


_SPARK_CONNECT: dict = {}  # "url" of the server, the "server" started here, this process's "session" on it


def spark_connect_url() -> str:
    """The Spark Connect server of this test process: ``VORONKA_SPARK_CONNECT`` or one started here."""
    if "url" not in _SPARK_CONNECT:
        _SPARK_CONNECT["url"] = os.environ.get("VORONKA_SPARK_CONNECT") or _start_spark_connect()
    return _SPARK_CONNECT["url"]


def _start_spark_connect() -> str:
    _SPARK_CONNECT["server"] = SparkConnectServer()
    return _SPARK_CONNECT["server"].url


def stop_spark_connect() -> None:
    """End this process's session on the server, then the server if this process started it."""
    if "session" in _SPARK_CONNECT:
        _SPARK_CONNECT.pop("session").stop()
    if "server" in _SPARK_CONNECT:
        _SPARK_CONNECT.pop("server").stop()
    _SPARK_CONNECT.clear()


def spark_connect_session():
    """The session of this test process on the Spark Connect server, its temporary views
    dropped (each engine starts clean). One session per process: a second client session
    with the same id would free the first one's checkpointed frames when it goes. Built by
    the Connect client's own builder: pyspark's ``SparkSession.builder`` refuses a remote
    session in a process that also runs local-mode Spark (the ``spark`` backend)."""
    from pyspark.sql.connect.session import SparkSession

    if "session" not in _SPARK_CONNECT:
        _SPARK_CONNECT["session"] = SparkSession.builder.remote(spark_connect_url()).getOrCreate()
    session = _SPARK_CONNECT["session"]
    for table in session.catalog.listTables():
        if table.isTemporary:
            session.catalog.dropTempView(table.name)
    return session


def engine_for(rows: list[dict], backend: str = "duckdb", aliases: pa.Table | None = None,
               tables: dict[Table, pa.Table] | None = None):
    """A fresh engine of ``backend`` whose ``events`` table holds ``rows``, plus ``aliases``
    and any other ``tables`` (canonical table → Arrow data in its schema)."""
    if backend == "duckdb":
        engine = DuckDBEngine.from_events(events_table(rows), aliases)
        for table, data in (tables or {}).items():
            engine.load(table, data)
        return engine
    if backend == "chdb":
        from voronka.engines.clickhouse import ChdbEngine

        engine = ChdbEngine()
    elif backend == "spark":
        from voronka.engines.spark import SparkEngine

        engine = SparkEngine(spark_session_for_tests())
    elif backend == SPARK_CONNECT:
        from voronka.engines.spark import SparkEngine

        engine = SparkEngine(spark_connect_session(), isolated=False)
    else:
        raise ValueError(backend)
    engine.load(EVENTS, events_table(rows))
    if aliases is not None:
        engine.load(ALIASES, aliases)
    for table, data in (tables or {}).items():
        engine.load(table, data)
    return engine
