"""The store behind the server: its writer (``writer.Writer``: every write, group-committed),
ingests of request bodies, reads on their own cursors, the event counter and the dashboard cache."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb

from voronka.errors import InputError, LimitError
from voronka.ingest.readers import Body
from voronka.server.capture import REQUEST, BodyTooLarge, Capture, gunzip
from voronka.server.writer import Writer
from voronka.served import snapshot_file
from voronka.sql import identifier, literal
from voronka.store import Store

LANGS = ("en", "ru", "kk")


class Collector:
    """The store behind the server: its writer, the event counter and the dashboard cache.

    Writes go through ``writer`` (one thread; ``lock`` is held during each transaction).
    Reads run on a cursor of their own (DuckDB's snapshot isolation: a read sees the
    commits before it and never half of a transaction), so a dashboard being built does
    not hold up the writes. ``event_count`` is kept by the writer, so ``/health`` reads
    no table.
    """

    def __init__(self, store_path: str | Path, *, max_queue: int = 4096,
                 max_queued_bytes: int = 256 * 1024 * 1024, max_body_bytes: int = 64 * 1024 * 1024) -> None:
        self.store = Store(store_path)
        self.max_body_bytes = max_body_bytes
        self.bodies = 0  # request bodies being read now, by any write route (the event loop's: no lock)
        self.lock = threading.Lock()
        self.generation = 0  # counts the ingests that added rows: the dashboard cache's key
        self.event_count = self.store.count("events")
        self._pages: dict[tuple[str, str, int], str] = {}
        self._pages_lock = threading.Lock()
        self._snapshot: tuple[int, dt.datetime] | None = None  # (generation, taken at) of the file written
        self._snapshot_lock = threading.Lock()
        self._layout_lock = threading.Lock()
        self.writer = Writer(self.store.connection, self.lock, self._added, max_jobs=max_queue,
                             max_bytes=max_queued_bytes)

    def _added(self, events: int) -> None:
        self.event_count += events
        self.generation += 1

    def close(self) -> None:
        self.writer.stop()
        self.store.close()
        snapshot_file(self.store.path).unlink(missing_ok=True)  # a reader that has it open keeps its copy

    async def capture(self, capture: Capture, size: int) -> int:
        """Store captured rows (group-committed, durable on return); the number of events."""
        return await self.writer.run(capture=capture, size=size)

    async def ingest_body(self, table: str, body: bytes, tz: str | None, mapping: dict[str, str],
                          **options: Any) -> dict[str, int]:
        """``ingest`` run by the writer, in its turn (``Overloaded`` when the queue is full)."""
        return await self.writer.run(call=lambda: self.ingest(table, body, tz, mapping, **options), size=len(body))

    def ingest(self, table: str, body: bytes, tz: str | None, mapping: dict[str, str], *, fmt: str | None = None,
               currency: str | None = None, keep_repeats: bool = False, encoding: str | None = None,
               delimiter: str | None = None, name: str = REQUEST) -> dict[str, int]:
        """Store the rows of ``body`` in ``table`` (one transaction), or raise ``InputError``
        naming ``name`` (the client's file name, else the request body), the row and the field.
        Without ``fmt`` the body is JSON or NDJSON; with one (``csv``, ``tsv``, ``xlsx``, ``parquet``,
        ``ndjson``, ``json``) it is read as a file of that format would be (``voronka ingest``
        through a running server), from the bytes: no file is written. Gzip is inflated at most
        to ``max_body_bytes``."""
        if not body.strip():
            raise InputError("empty body: send a JSON object, an array of objects, or NDJSON", file=name)
        if body[:2] == b"\x1f\x8b":  # gzip, inflated at most to the body limit (no bomb)
            try:
                body = gunzip(body, self.max_body_bytes)
            except BodyTooLarge:
                raise LimitError(f"the body inflates to over {self.max_body_bytes:,} bytes", file=name) from None
        options = {"tz": tz, "mapping": mapping, "currency": currency, "keep_repeats": keep_repeats,
                   "encoding": encoding, "delimiter": delimiter}
        try:
            with self.lock:  # the writer's record of the stored ids (None until read: then it reads these too)
                known = self.writer.seen if table == "events" else None
                summary = self.store.ingest(table, [Body(name, body, fmt or "json")], **options, known=known)
        except InputError as exc:  # the query parameter, not the flag
            raise type(exc)(exc.reason.replace("--map ", "?map="), file=exc.file, row=exc.row, column=exc.column,
                            value=exc.value) from None
        if summary.added:
            self.generation += 1
            if table == "events":
                self.event_count += summary.added
        return {"rows_read": summary.rows_read, "added": summary.added, "duplicates": summary.duplicates}

    def dashboard(self, lang: str, tz: str) -> str:
        """The full report of the store now, as HTML (cached until an ingest adds rows)."""
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.i18n import t
        from voronka.reports.full import full_report

        with self._pages_lock, self.reading() as con:
            key = (lang, tz, self.generation)
            if key not in self._pages:
                links = [(t(f"lang.{code}", code), "?" + urlencode({"lang": code, "tz": tz})) for code in LANGS]
                built = full_report(DuckDBEngine(con), lang, timezone=tz, title=t("dashboard.title", lang))
                built.report.links = links
                self._pages = {k: page for k, page in self._pages.items() if k[2] == self.generation}
                self._pages[key] = built.report.render()
            return self._pages[key]

    def analyse(self, definition: Any, options: dict[str, Any]) -> dict[str, Any]:
        """The JSON answer of ``definition`` (``voronka.analyses``) over the store's events as
        ``options`` say (``Source.from_options``), on a read cursor of its own."""
        from voronka.analyses import compute, result_json
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.source import Source

        with self.reading() as con:
            source = Source.from_options(DuckDBEngine(con), **options)
            return result_json(definition, compute(source, definition))

    def snapshot(self) -> tuple[str, int, dt.datetime]:
        """A consistent copy of the committed store in ``<store>.snapshot.duckdb`` (``served``):
        its path, the generation it holds and when it was taken (UTC). Written by ``COPY FROM
        DATABASE`` on a read cursor (a snapshot of the commits before it: the writer goes on) to
        a temporary name beside it, then renamed over the last one; reused while no write has
        happened since. Only the server chooses the path."""
        target = snapshot_file(self.store.path)
        with self._snapshot_lock:
            generation = self.generation
            if self._snapshot and self._snapshot[0] == generation and target.exists():
                return str(target.resolve()), generation, self._snapshot[1]
            temporary = target.with_name(f"{target.name}.{secrets.token_hex(4)}.tmp")
            alias = f"voronka_snapshot_{secrets.token_hex(4)}"
            taken = dt.datetime.now(dt.UTC)
            try:
                with self.reading() as cursor:
                    (database,) = cursor.execute("SELECT current_database()").fetchone()  # type: ignore[misc]
                    cursor.execute(f"ATTACH {literal(str(temporary))} AS {alias}")
                    try:
                        cursor.execute(f"COPY FROM DATABASE {identifier(database)} TO {alias}")
                    finally:
                        cursor.execute(f"DETACH {alias}")
                os.chmod(temporary, 0o600)  # it holds the keys' hashes, as the store does
                os.replace(temporary, target)
            finally:
                for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
                    leftover.unlink(missing_ok=True)
            self._snapshot = (generation, taken)
            return str(target.resolve()), generation, taken

    def optimize(self) -> int:
        """``refresh_layout`` on a read cursor of its own (``POST /v1/optimize``)."""
        with self.reading() as cursor:
            return self.refresh_layout(cursor)

    def refresh_layout(self, cursor: duckdb.DuckDBPyConnection) -> int:
        """Rebuild the store's funnel layout on ``cursor`` (a read cursor: the writer goes on;
        one rebuild at a time), and take the next snapshot anew; the number of events it holds
        (``voronka optimize`` through the server, ``upkeep.LayoutUpkeep``)."""
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.funnel import layout

        with self._layout_lock:
            layout.refresh(cursor)
            rows = layout.stored_rows(DuckDBEngine(cursor))
        with self._snapshot_lock:
            self._snapshot = None  # the store changed without a write
        return rows

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for one read (a snapshot of the committed store)."""
        with self.lock:  # the connection refuses a call while the writer uses it
            cursor = self.store.connection.cursor()
        cursor.execute("SET enable_progress_bar_print = false")
        try:
            yield cursor
        finally:
            cursor.close()
