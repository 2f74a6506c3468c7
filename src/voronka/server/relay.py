"""The relay of ``voronka serve --engine URL``: what the collector stores, carried on into a big engine.

The store stays the point of acknowledgement: an event is answered ``200`` once it is
durable in the store, exactly as without ``--engine`` (docs/guarantees.md). A thread then
appends the stored rows of every canonical table (``events``, ``spend``, ``aliases``,
``deals``), in the order they were stored (DuckDB's ``rowid``; the store only ever appends),
to the engine's table of the same name after ``prefix`` (``lake.`` → ``lake.events``; created
as ``voronka ingest --engine`` creates it: docs/engines.md), in batches of at most
``batch_rows``, every ``interval`` seconds.

Exactly once: for each table the store keeps (in its ``voronka_meta`` table, key
``relay:<engine>:<table>``) how far the engine has the rows (``done``) and, while a batch is
on its way, where it ends (``sending``). A batch is recorded as sending, appended with no
key check, then recorded as done. If the process dies in between, the next start does not
know whether the engine took that batch, so it appends it again with the engine's key
check (``WritableEngine.append(..., check_keys=True)``): the keys the table holds are left
out. Only that one batch pays for the check.

An engine that fails (down, refusing) is retried after ``interval``, with the error logged;
the store keeps collecting meanwhile, so the engine catches up when it is back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import duckdb

from voronka.engines import WritableEngine
from voronka.ingest.normalise import SPECS

log = logging.getLogger("voronka.server.relay")

TABLES = ("events", "spend", "aliases", "deals")
"""The canonical tables the relay carries, each to the engine's table of the same name."""


class Relay:
    """Carries the store's rows into ``engine`` (see the module docstring).

    ``reading()`` gives a read cursor of the store; ``writing()`` holds the store's
    connection for a write (the collector's lock) and gives it."""

    def __init__(self, engine: WritableEngine, engine_url: str,
                 reading: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
                 writing: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]], *,
                 prefix: str = "", interval: float = 5.0, batch_rows: int = 100_000) -> None:
        self.engine = engine
        self.reading = reading
        self.writing = writing
        self.interval = interval
        self.batch_rows = batch_rows
        self.prefix = prefix
        self._key = hashlib.sha256(f"{engine_url} {prefix}".encode()).hexdigest()[:16]  # the URL may hold a password
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voronka-relay", daemon=True)
        self.failure: str | None = None
        """The last error of the engine (None once a pass succeeds)."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the pass under way, make one last pass, and stop."""
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def nudge(self) -> None:
        """Start a pass now rather than at the next interval (e.g. after a write)."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            try:
                self.carry()
                self.failure = None
            except Exception as exc:  # the engine is down or refused: keep collecting, retry later
                self.failure = f"{type(exc).__name__}: {exc}"
                log.warning("relay to the engine failed (retried in %s s): %s", self.interval, self.failure)
            if stopping:
                return
            self._wake.wait(self.interval)
            self._wake.clear()

    def carry(self) -> int:
        """One pass: every table's rows the engine does not have yet; the rows appended."""
        return sum(self._carry(table) for table in TABLES)

    def behind(self) -> dict[str, int]:
        """Per table, the stored rows the engine does not have yet."""
        out = {}
        for table in TABLES:
            done, _ = self._state(table)
            with self.reading() as cursor:
                out[table] = cursor.execute(f"SELECT count(*) FROM {table} WHERE rowid >= ?", [done]).fetchone()[0]
        return out

    def _carry(self, table: str) -> int:
        added = 0
        done, sending = self._state(table)
        if sending is not None:  # a batch was on its way when the last run stopped: check its keys
            added += self._send(table, done, sending, check_keys=True)
            done = sending
        while True:
            rows, end = self._batch(table, done)
            if not rows.num_rows:
                return added
            self._record(table, done, end)
            added += self._send(table, done, end, check_keys=False, rows=rows)
            done = end

    def _send(self, table: str, start: int, end: int, *, check_keys: bool, rows: Any = None) -> int:
        if rows is None:
            rows, _ = self._batch(table, start, end)
        spec = SPECS[table].table
        added = self.engine.append(spec, rows, self.prefix + table, check_keys=check_keys) if rows.num_rows else 0
        self._record(table, end, None)
        return added

    def _batch(self, table: str, start: int, end: int | None = None) -> tuple[Any, int]:
        """The rows stored from ``rowid`` ``start`` (to ``end``, or ``batch_rows`` of them) and
        the ``rowid`` after the last."""
        spec = SPECS[table].table
        columns = ", ".join(spec.columns)
        upper = "AND rowid < ?" if end is not None else ""
        with self.reading() as cursor:
            result = cursor.sql(
                f"SELECT {columns}, rowid FROM {table} WHERE rowid >= ? {upper} ORDER BY rowid LIMIT ?",
                params=[start, *([end] if end is not None else []), self.batch_rows]).to_arrow_table()
        last = result.column("rowid")[-1].as_py() + 1 if result.num_rows else start
        return result.drop_columns(["rowid"]).cast(spec.schema), (end if end is not None else last)

    def _meta_key(self, table: str) -> str:
        return f"relay:{self._key}:{table}"

    def _state(self, table: str) -> tuple[int, int | None]:
        with self.reading() as cursor:
            row = cursor.execute("SELECT value FROM voronka_meta WHERE key = ?", [self._meta_key(table)]).fetchone()
        state = json.loads(row[0]) if row else {}
        return int(state.get("done", 0)), state.get("sending")

    def _record(self, table: str, done: int, sending: int | None) -> None:
        value = json.dumps({"done": done, "sending": sending})
        with self.writing() as con:
            con.execute("INSERT OR REPLACE INTO voronka_meta VALUES (?, ?)", [self._meta_key(table), value])

