"""The store's one writer: a bounded queue of write jobs, group-committed by one thread.

Every write request becomes a ``Job`` and waits for its answer. The writer thread takes the
oldest job and every job queued behind it or arriving within a moment (``GATHER_GAP``; up to
``MAX_BATCH_ROWS`` rows), stores the captured rows of all of them in **one transaction**,
and only after the commit answers each one: a request is acknowledged once its rows are
durable (DuckDB syncs its write-ahead log at the commit), and concurrent requests share the
cost of one commit. Exactly once by key: of equal ``event_id``s (``alias`` for aliases) in a
batch the first is kept, and one already in the store is skipped: for events, the hashes of
the stored ids are kept in memory (``seen.SeenKeys``) and only the ids whose hash is there
are looked up, so a commit does not scan the store; aliases (few) are checked with an
anti-join.

A group commit is three calls to DuckDB: ``BEGIN``, one ``INSERT … RETURNING
hash(event_id)`` reading the group's rows from an Arrow table (a local variable of
``_commit``, found by DuckDB's replacement scan: no view is registered), ``COMMIT``. The
check comes between the ``INSERT`` and the ``COMMIT``: when a returned hash is among the
stored ones (a retried request), the transaction is rolled back and the batch stored again
without the ids the store has, so the usual batch of new ids pays no separate look-up. The
answers of a group are handed to the event loop in one wake-up. If a batch fails
(which the checks of ``capture.translate`` make rare), it is rolled back and its jobs are
stored again one per transaction, so a request fails only for its own rows.

Jobs that run the file pipeline (``POST /v1/{table}``) are a ``call``: run by the same
thread, one transaction each, in queue order after the batch they were taken with.

Bounds: at most ``max_jobs`` jobs and ``max_bytes`` of request bodies wait; past either,
``submit`` raises ``Overloaded`` (the routes answer ``503`` with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from voronka.server.capture import EVENT_COLUMNS, Capture
from voronka.server.seen import SeenKeys

MAX_BATCH_ROWS = 50_000
"""The most rows one group commit takes (more jobs wait for the next)."""
GATHER_GAP = 0.0005
GATHER_MAX = 0.002
"""A group is gathered while jobs keep coming: after the queue is empty the writer waits up to
``GATHER_GAP`` seconds for one more job, and up to ``GATHER_MAX`` seconds in all (a commit
delay, as PostgreSQL's ``commit_delay``). A commit costs about the same for 8 or 400 rows
(DuckDB's statements and the log's sync), so without it 16 clients posting single events
split into two alternating groups of ~8 (one committing while the next queues); with it the
clients the last commit answered join the next group (measured: 17–24% more single-event
requests/s, 20–25% less server CPU a request, interleaved at load 7)."""

CAPTURED = "_voronka_captured"
ALIASES = "_voronka_captured_aliases"
"""The names of the Arrow tables of a group's rows in ``Writer._commit`` (its local variables:
the statements read them by DuckDB's replacement scan)."""

EVENT_SCHEMA = pa.schema([(name, pa.timestamp("us") if name == "ts" else pa.string()) for name in EVENT_COLUMNS])
"""The Arrow types of a ``Capture``'s rows (``revenue`` as text: cast to DECIMAL by ``INSERT_EVENTS``)."""
ALIAS_SCHEMA = pa.schema([("alias", pa.string()), ("customer_id", pa.string())])

INSERT_EVENTS = f"INSERT INTO events BY NAME SELECT * FROM {CAPTURED} {{where}} RETURNING hash(event_id) AS h"
"""Every captured event (``where`` empty), or those not stored (``EXCEPT_STORED``); their ids' hashes.
``revenue`` is cast from text by the insert itself (DuckDB's cast, as ``CAST`` would: no
expression in the select list, ~15% less of the statement's CPU for a small group)."""
EXCEPT_STORED = "WHERE event_id NOT IN (SELECT unnest($stored::VARCHAR[]))"
STORED = f"""
SELECT event_id FROM events
WHERE event_id IN (SELECT event_id FROM {CAPTURED} WHERE hash(event_id) IN (SELECT unnest($hashes::UBIGINT[])))
"""
"""The batch's ids already stored, among those whose hash a stored id has."""
INSERT_ALIASES = f"""
INSERT INTO aliases (alias, customer_id)
SELECT c.alias, c.customer_id FROM {ALIASES} c ANTI JOIN aliases a ON a.alias = c.alias
"""


def first_of_each(rows: Iterable[Any], key: Any) -> list[Any]:
    """``rows`` without those whose ``key`` came before (the first of equal keys is kept)."""
    seen: set[Any] = set()
    kept = []
    for row in rows:
        if row[key] not in seen:
            seen.add(row[key])
            kept.append(row)
    return kept


class Overloaded(Exception):
    """The queue is full: the request was not taken (answer ``503`` with ``Retry-After``)."""


@dataclass
class Job:
    capture: Capture | None
    call: Callable[[], Any] | None
    size: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future

    @property
    def rows(self) -> int:
        return len(self.capture.rows) + len(self.capture.aliases) if self.capture else 1


class Writer:
    """The thread that owns every write to the store (see the module doc)."""

    def __init__(self, connection: Any, lock: threading.Lock, on_added: Callable[[int], None], *,
                 max_jobs: int = 4096, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.connection = connection
        self.lock = lock
        self.on_added = on_added
        self.max_bytes = max_bytes
        self.queue: queue.Queue[Job | None] = queue.Queue(max_jobs)
        self.queued_bytes = 0
        self.seen: SeenKeys | None = None  # read by the thread before its first commit
        self._budget = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="voronka-writer", daemon=True)
        self.thread.start()

    async def run(self, *, capture: Capture | None = None, call: Callable[[], Any] | None = None,
                  size: int = 0) -> Any:
        """Queue a job and wait for its answer (the call's result, or the number of events stored
        or already there)."""
        loop = asyncio.get_running_loop()
        job = Job(capture, call, size, loop, loop.create_future())
        with self._budget:
            if self.queued_bytes + size > self.max_bytes and self.queued_bytes:
                raise Overloaded("the write queue holds too many bytes")
            try:
                self.queue.put_nowait(job)
            except queue.Full:
                raise Overloaded("the write queue is full") from None
            self.queued_bytes += size
        return await job.future

    def stop(self) -> None:
        """Store what is queued, then end the thread."""
        self.queue.put(None)
        self.thread.join()

    def full(self) -> bool:
        """Would a job now be refused? (Asked before a body is read, to refuse it cheaply.)"""
        return self.queue.full() or self.queued_bytes >= self.max_bytes

    def _run(self) -> None:
        _name_thread(b"voronka-writer")
        # On a cursor of its own, so the store's connection stays free (the server's start reads
        # the keys on it): the stored ids' hashes (seconds on a large store), and DuckDB's import
        # of pandas the first time it scans a Python object (seconds), both while the server
        # already answers rather than in the first request's time. Only this thread writes, and
        # it takes no job before ``seen`` is set.
        with self.lock:
            cursor = self.connection.cursor()
        try:
            _voronka_captured = pa.table({"warm": [1]})  # noqa: F841 - read by the query below
            cursor.execute(f"SELECT count(*) FROM {CAPTURED}").fetchall()
            self.seen = SeenKeys(cursor, "events", "event_id")
        finally:
            cursor.close()
        while True:
            job = self.queue.get()
            if job is None:
                return
            batch, rows, stopping = [job], job.rows, False
            deadline = time.monotonic() + GATHER_MAX
            while rows < MAX_BATCH_ROWS:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:  # wait a little while jobs keep coming (see GATHER_GAP)
                    wait = min(GATHER_GAP, deadline - time.monotonic())
                    if wait <= 0:
                        break
                    try:
                        more = self.queue.get(timeout=wait)
                    except queue.Empty:
                        break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
                rows += more.rows
            with self._budget:
                self.queued_bytes -= sum(j.size for j in batch)
            captures = [j for j in batch if j.capture is not None]
            if captures:
                _settle(self._store(captures))
            for j in batch:
                if j.call is not None:  # one transaction each, answered as soon as it is done
                    _settle([self._answer(j, j.call)])
            if stopping:
                return

    def _store(self, jobs: list[Job]) -> list[Answer]:
        try:
            self._commit([j.capture for j in jobs])
        except Exception:  # noqa: BLE001 - whatever failed, each job is tried alone and answered
            # one by one: only the jobs whose own rows fail get an error
            return [self._answer(j, lambda j=j: self._commit([j.capture])) for j in jobs]
        return [(j, len(j.capture.rows), None) for j in jobs]

    def _commit(self, captures: list[Capture]) -> int:
        """Insert the rows of ``captures`` in one transaction; the number of events added."""
        events = [r for c in captures for r in c.rows]
        if len({r[0] for r in events}) < len(events):  # equal event_ids (a client's retry in the group)
            events = first_of_each(events, 0)
        aliases = first_of_each((r for c in captures for r in c.aliases), "alias")
        con = self.connection
        # read by the statements (replacement scans: CAPTURED and ALIASES are these names)
        columns = list(zip(*events)) or [()] * len(EVENT_SCHEMA)  # column by column from the rows' tuples
        _voronka_captured = pa.Table.from_arrays(  # noqa: F841
            [pa.array(column, field.type) for column, field in zip(columns, EVENT_SCHEMA, strict=True)],
            schema=EVENT_SCHEMA)
        if aliases:
            _voronka_captured_aliases = pa.Table.from_pylist(aliases, ALIAS_SCHEMA)  # noqa: F841
        with self.lock:
            con.execute("BEGIN TRANSACTION")
            try:
                hashes = con.execute(INSERT_EVENTS.format(where="")).fetchnumpy()["h"]
                maybe = hashes[self.seen.maybe_seen(hashes)]
                if len(maybe):  # some ids may be stored already: again, without those that are
                    con.execute("ROLLBACK")
                    con.execute("BEGIN TRANSACTION")
                    stored = [r[0] for r in con.execute(STORED, {"hashes": maybe.tolist()}).fetchall()]
                    hashes = con.execute(INSERT_EVENTS.format(where=EXCEPT_STORED),
                                         {"stored": stored}).fetchnumpy()["h"]
                if aliases:
                    con.execute(INSERT_ALIASES)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self.seen.add(hashes)
        added = len(hashes)
        if added or aliases:  # a new generation: answers kept by the server are stale (server.results)
            self.on_added(added)
        return added

    def _answer(self, job: Job, call: Callable[[], Any]) -> Answer:
        try:
            return job, call(), None
        except Exception as exc:  # noqa: BLE001 - handed to the request, which turns it into its answer
            return job, None, exc


def _name_thread(name: bytes) -> None:
    """Give this thread its name in the system too (``top -H``, ``/proc/PID/task/*/comm``:
    how ``benchmarks/server.py`` tells the writer's CPU time from the event loop's)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(15, name[:15], 0, 0, 0)  # PR_SET_NAME


Answer = tuple[Job, Any, BaseException | None]
"""A job, its result, the error it raised (or ``None``)."""


def _settle(answers: list[Answer]) -> None:
    """Hand the answers to their requests: one wake-up of each event loop (a call from this
    thread into a loop writes to its wake-up pipe: once per group, not per request)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Answer]] = {}
    for answer in answers:
        by_loop.setdefault(answer[0].loop, []).append(answer)
    for loop, mine in by_loop.items():
        try:
            loop.call_soon_threadsafe(_set, mine)
        except RuntimeError:  # the event loop is closed: nobody waits
            pass


def _set(answers: list[Answer]) -> None:
    for job, result, error in answers:
        if job.future.done():  # the client went away
            continue
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)
