"""The funnel layout kept up to date by the server (``voronka serve --optimize-after SECONDS``).

A store on which ``voronka optimize`` has built the funnel layout (``funnel.layout``) serves
funnels from it only while it reflects the events and aliases as they are; every write the
server takes leaves it out of date. Once no write has come for ``quiet`` seconds, a thread
of the server rebuilds it (``layout.refresh``: one transaction on a read cursor of its own,
the events as they were when it began), while the writer goes on taking events: writes
that come meanwhile leave the new layout out of date, and the next quiet spell rebuilds it
again. A store without a layout is left alone (building one is the user's choice: it costs
the size of the events once more), and so is a layout that is current.

Until the rebuild, funnels take the sorted stream, with the same results (docs/performance.md,
*The funnel layout*). A rebuild in progress at shutdown is interrupted and rolled back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import duckdb

from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel import layout, warm_kernel

log = logging.getLogger("voronka.server.upkeep")

CHECK_EVERY = 1.0
"""Seconds between two looks at the store's generation."""


class LayoutUpkeep:
    """Rebuilds the store's funnel layout once writes have been quiet for ``quiet`` seconds
    (see the module docstring). ``generation()`` counts the server's writes; ``reading()``
    gives a read cursor of the store; ``refresh(cursor)`` rebuilds the layout on it."""

    def __init__(self, generation: Callable[[], int],
                 reading: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]], *, quiet: float,
                 refresh: Callable[[duckdb.DuckDBPyConnection], object] = layout.refresh) -> None:
        self.generation = generation
        self.reading = reading
        self.quiet = quiet
        self.refresh = refresh
        self.rebuilds = 0  # layouts built by this server (for the log and the tests)
        self._stop = threading.Event()
        self._cursor: duckdb.DuckDBPyConnection | None = None  # the cursor of a rebuild in progress
        self._thread = threading.Thread(target=self._run, name="voronka-layout", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, interrupting a rebuild in progress (rolled back), before the store closes."""
        self._stop.set()
        cursor = self._cursor
        if cursor is not None:
            cursor.interrupt()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        seen, changed = None, time.monotonic()  # the generation looked at, and when it last changed
        while not self._stop.wait(CHECK_EVERY):
            now, generation = time.monotonic(), self.generation()
            if generation != seen:
                if seen is not None:
                    changed = now
                seen = generation
                checked = False
            if checked or now - changed < self.quiet:
                continue
            checked = True  # until the next write: a current layout, or none, stays as it is
            try:
                self._rebuild_if_stale()
            except duckdb.InterruptException:
                return
            except Exception:  # noqa: BLE001 - the server goes on; funnels take the sorted stream
                log.exception("the funnel layout could not be rebuilt; funnels take the sorted stream")

    def _rebuild_if_stale(self) -> None:
        with self.reading() as cursor:
            engine = DuckDBEngine(cursor)
            if not engine.has_table(layout.EVENTS) or layout.current(engine):
                return
            self._cursor = cursor
            try:
                began = time.perf_counter()
                self.refresh(cursor)
            finally:
                self._cursor = None
            self.rebuilds += 1
            log.info("funnel layout rebuilt in %.1f s", time.perf_counter() - began)
            warm_kernel(engine)  # a layout the server started without: the first funnel need not load it
