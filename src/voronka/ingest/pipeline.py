"""Running an ingest on a DuckDB connection (an I/O edge).

For each file: read it (``readers``), normalise it (``normalise``) and insert the good
rows whose key is not yet in the table, keeping the first of equal keys in file order.
Two ways, with the same result:

* the table has rows: a checking pass (bad rows; does the file repeat a key?), then the
  insert, anti-joined against the table (``_check_then_insert``);
* the table is empty (a first import): the insert at once, then a check of what it did,
  redone exactly in the rare case of a repeated key (``_insert_then_verify``). One pass
  over the file instead of two.

A small source (at most ``SMALL_ROWS`` rows: a request body) is normalised once into a
temporary table (``STAGED``), then checked and inserted from it the first way: what costs
is planning the normalisation, not running it, so it is planned once rather than once per
pass; its keys are looked up in the table (a semi-join on its few keys) rather than the
table's keys hashed whole, and not at all when the caller's ``KnownKeys`` say none can be
there. The plans themselves are kept (``normalise.plan``). Same checks, same result.

Atomicity: one ingest call is one transaction. If any file fails (an unreadable file, a
missing column, a bad row without a reject file), nothing of the call is kept and the
store is exactly as before; several files in one call are all or nothing. The reject
file is written only when the call succeeds.
"""

from __future__ import annotations

import csv
import threading
import zlib
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from voronka.errors import InputError
from voronka.ingest.mapping import resolve
from voronka.ingest.normalise import CURRENCY_SIGNS, SPECS, Plan, plan
from voronka.ingest.readers import ARROW_VIEW, ROW, Body, Source, read_source
from voronka.ingest.summary import FileSummary, IngestSummary
from voronka.sql import identifier, literal

Progress = Callable[[str, int, int], None]
"""``progress(file, rows_done, rows_total)``, called from a helper thread during long steps."""

CHECK_SHARE = 0.2
"""The share of a file's progress bar given to the checking pass (``_check_then_insert``)."""

INSERT_SHARE = 0.9
"""The share of a file's progress bar given to the insert (``_insert_then_verify``)."""

SMALL_ROWS = 10_000
"""Sources of at most this many rows are normalised once into ``STAGED`` (see the module doc)."""

STAGED = "_voronka_staged"
"""The temporary table a small source's normalised rows are kept in during its ingest."""


class KnownKeys(Protocol):
    """What the caller keeps of a table's keys, as DuckDB's 64-bit ``hash()`` of each (the
    server's ``seen.SeenKeys``): ``maybe_seen`` never says False for a stored key, so a small
    source none of whose keys it may have seen is inserted without looking its keys up in
    the table; ``add`` is given the keys an ingest added, once committed."""

    def maybe_seen(self, hashes: np.ndarray) -> np.ndarray: ...

    def add(self, hashes: np.ndarray) -> None: ...


@dataclass
class _Keys:
    known: KnownKeys
    added: list[np.ndarray] = field(default_factory=list)


def check_tz(tz: str | None) -> str | None:
    """``tz`` if it is a known IANA time zone (``Asia/Almaty``); ``InputError`` otherwise."""
    if tz is None:
        return None
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {tz!r} (expected an IANA name such as Asia/Almaty)") from None
    return tz


def check_currency(code: str | None, *, option: str = "--currency") -> str | None:
    """``code`` as an ISO 4217 code (``rub``, ``₽`` and ``руб`` are RUB); ``InputError`` when unknown."""
    if code is None:
        return None
    from babel.numbers import list_currencies

    upper = code.strip().upper()
    upper = CURRENCY_SIGNS.get(upper, upper)
    if upper not in list_currencies():
        raise InputError(f"{option} {code!r} is not a currency code (expected ISO 4217, e.g. KZT, RUB, USD)")
    return upper


def ingest(
    con: duckdb.DuckDBPyConnection,
    table: str,
    paths: Iterable[str | Path | Body],
    *,
    mapping: Mapping[str, str] | None = None,
    tz: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    currency: str | None = None,
    reject_file: str | Path | None = None,
    progress: Progress | None = None,
    keep_repeats: bool = False,
    known: KnownKeys | None = None,
) -> IngestSummary:
    """Ingest ``paths`` into ``table`` of the store on ``con``, in one transaction.

    ``currency`` is the currency of amounts whose row has none (docs/ingest.md).
    ``known``: the caller's record of the table's keys (``KnownKeys``), used and kept up to date.
    """
    if table not in SPECS:
        raise InputError(f"unknown table {table!r}; expected one of {', '.join(SPECS)}")
    tz = check_tz(tz)
    currency = check_currency(currency)
    paths = [p if isinstance(p, Body) else str(p) for p in paths]
    if not paths:
        raise InputError("no files to ingest")
    files: list[FileSummary] = []
    rejects: list[pa.Table] = []
    keys = _Keys(known) if known is not None else None
    restore = _enable_progress(con) if progress else None
    con.execute("BEGIN TRANSACTION")
    try:
        for path in paths:
            summary, bad = _ingest_file(con, table, path, mapping=dict(mapping or {}), tz=tz,
                                        currency=currency, encoding=encoding, delimiter=delimiter,
                                        keep_bad=reject_file is not None, progress=progress,
                                        keep_repeats=keep_repeats, keys=keys)
            files.append(summary)
            if bad is not None and bad.num_rows:
                rejects.append(bad)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        if restore:
            restore()
    if keys is not None and keys.added:
        keys.known.add(np.concatenate(keys.added))
    if reject_file is not None:
        write_rejects(rejects, reject_file)
    return IngestSummary(table, tuple(files), str(reject_file) if reject_file is not None else None)


def _ingest_file(con: duckdb.DuckDBPyConnection, table: str, path: str | Body, *, mapping: dict[str, str],
                 tz: str | None, currency: str | None, encoding: str | None, delimiter: str | None,
                 keep_bad: bool, progress: Progress | None, keep_repeats: bool = False,
                 keys: _Keys | None = None) -> tuple[FileSummary, pa.Table | None]:
    name = path.name if isinstance(path, Body) else path
    try:
        source = read_source(path, encoding=encoding, delimiter=delimiter, fold=_fold(table, mapping, name))
    except (pa.ArrowException, UnicodeError, csv.Error, OSError, EOFError, zlib.error, ValueError,
            RecursionError) as exc:
        # A reader's own checks raise InputError; this is what a library raised past them.
        raise InputError(f"cannot read: {_first_line(exc)}", file=name) from None
    if source.arrow is not None:
        con.register(ARROW_VIEW, source.arrow)
    try:
        return _normalise_into(con, table, source, mapping=mapping, tz=tz, currency=currency, keep_bad=keep_bad,
                               progress=progress, keep_repeats=keep_repeats, keys=keys)
    except (duckdb.Error, pa.ArrowException) as exc:
        if source.failed is not None and "CSV" in _first_line(exc):  # DuckDB reading the file itself
            raise source.failed(str(exc)) from None
        raise InputError(f"cannot ingest: {_first_line(exc)}", file=source.file) from None
    finally:
        if source.arrow is not None:
            try:
                con.unregister(ARROW_VIEW)
            except duckdb.Error:  # an aborted transaction: the caller rolls back
                pass


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _fold(table: str, mapping: dict[str, str], file: str) -> Callable[[list[str]], tuple[set[str], str | None]]:
    """Which JSON keys are columns of ``table`` (the rest are the event's properties)."""
    spec = SPECS[table]

    def fold(keys: list[str]) -> tuple[set[str], str | None]:
        mapped = resolve(keys, spec.table.columns, mapping, file=file, synonyms=spec.synonyms)
        if not spec.properties:
            return set(mapped.values()), None
        return set(mapped.values()), mapped.get(spec.properties, spec.properties)

    return fold


def _normalise_into(con: duckdb.DuckDBPyConnection, table: str, source: Source, *, mapping: dict[str, str],
                    tz: str | None, currency: str | None, keep_bad: bool, progress: Progress | None,
                    keep_repeats: bool = False, keys: _Keys | None = None
                    ) -> tuple[FileSummary, pa.Table | None]:
    fields = [f for f in source.arrow.schema if f.name != ROW] if source.arrow is not None else []
    if source.arrow is not None and all(pa.types.is_string(f.type) for f in fields):  # text, as readers make
        columns = [(f.name, "VARCHAR") for f in fields]
    elif source.arrow is not None:  # the types DuckDB gives the Arrow columns (no catalog lookup)
        relation = con.from_arrow(source.arrow)
        columns = [(c, str(t)) for c, t in zip(relation.columns, relation.types) if c != ROW]
    else:
        described = con.execute(f"DESCRIBE SELECT * FROM {source.relation}").fetchall()
        columns = [(row[0], row[1]) for row in described if row[0] != ROW]
    staged = source.rows is not None and source.rows <= SMALL_ROWS
    total = source.rows
    if total is None and progress:  # a progress bar needs the total first
        total = con.execute(source.count).fetchall()[0][0]
    p = plan(table, columns, source.relation, mapping=mapping, tz=tz, file=source.file, keep_repeats=keep_repeats,
             folded=source.folded, currency=currency, few=staged)
    report = _reporter(progress, source.file, total or 0)
    if staged:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED} AS {p.staging}")
        p = p.over(STAGED)
    try:
        way = _check_then_insert if staged or _has_rows(con, table) else _insert_then_verify
        rows, n_bad, added_rows, bad = way(con, p, source, keep_bad=keep_bad, report=report, keys=keys, total=total)
    finally:
        if staged:
            con.execute(f"DROP TABLE IF EXISTS {STAGED}")
    if progress:
        progress(source.file, rows, rows)
    return FileSummary(source.file, rows, added_rows, rows - n_bad - added_rows, n_bad), bad


def _check_then_insert(con: duckdb.DuckDBPyConnection, p: Plan, source: Source, *, keep_bad: bool,
                       report: Callable[[float, float], Callable[[float], None] | None],
                       keys: _Keys | None = None, total: int | None = None) -> tuple[int, int, int, pa.Table | None]:
    """Into a table that has rows: one checking pass, then the insert (rows, bad, added, rejects).

    The checking pass counts the bad rows and whether the file repeats a key (a 64-bit
    hash, so the exact dedupe below runs only when needed); the insert anti-joins the
    table (unless ``keys`` say the table holds none of a small source's keys) and, when
    the file repeats a key, keeps the first of equal keys.
    """
    anti_join = True
    if p.staged:  # a few rows: their flags and keys' hashes, counted here (one plain scan)
        found = con.execute(f"SELECT _bad, hash({p.key_expr}) AS h FROM ({p.body})").fetchnumpy()
        is_bad = np.asarray(found["_bad"], dtype=bool)
        hashes = np.asarray(found["h"], dtype=np.uint64)[~is_bad]
        rows, n_bad, n_repeats = len(is_bad), int(is_bad.sum()), len(hashes) - len(np.unique(hashes))
        if keys is not None:  # none of the keys may be in the table: no need to look them up
            anti_join = bool(keys.known.maybe_seen(hashes).any())
    else:
        rows, n_bad, n_repeats = _run(con, (
            f"SELECT count(*), count(*) FILTER (WHERE _bad), "
            f"count(*) FILTER (WHERE NOT _bad) - count(DISTINCT {p.dup_key}) FILTER (WHERE NOT _bad) "
            f"FROM ({p.body})"
        ), report(0.0, CHECK_SHARE)).fetchall()[0]
    bad = _bad_rows(con, p, source, keep_bad=keep_bad) if n_bad else None
    n_added = _insert(con, insert_sql(p, filter_bad=bool(n_bad), anti_join=anti_join, dedupe=bool(n_repeats)),
                      report(CHECK_SHARE, 1.0), p, keys)
    return rows, n_bad, n_added, bad


def _insert_then_verify(con: duckdb.DuckDBPyConnection, p: Plan, source: Source, *, keep_bad: bool,
                        report: Callable[[float, float], Callable[[float], None] | None],
                        keys: _Keys | None = None, total: int | None = None) -> tuple[int, int, int, pa.Table | None]:
    """Into an empty table: insert the good rows at once, then verify (rows, bad, added, rejects).

    Nothing needs anti-joining, so the rows not inserted are exactly the bad ones: none
    when ``added`` equals the row count, else they are looked up (the first one raised,
    or all of them returned as rejects). The table now holds this file's rows only, so
    the file repeats a key exactly when the table does (compared by a 64-bit hash of the
    key; a collision only costs the exact path). When it does, the rows are deleted and
    inserted again, first of equal keys kept. All of it inside the ingest's transaction:
    an error leaves nothing behind. This saves the checking pass of
    ``_check_then_insert`` (normalising and hashing the whole file a second time).
    """
    n_added = _run(con, insert_sql(p, filter_bad=True, anti_join=False, dedupe=False),
                   report(0.0, INSERT_SHARE)).fetchall()[0][0]
    rows = total if total is not None else con.execute(source.count or f"SELECT count(*) FROM {source.relation}"
                                                       ).fetchall()[0][0]
    n_bad = rows - n_added
    bad = _bad_rows(con, p, source, keep_bad=keep_bad) if n_bad else None
    (repeats,) = _run(con, f"SELECT count(*) - count(DISTINCT hash({identifier(p.key)})) FROM {p.table}",
                      report(INSERT_SHARE, 1.0)).fetchall()[0]
    if repeats:
        con.execute(f"DELETE FROM {p.table}")
        redo = insert_sql(p, filter_bad=bool(n_bad), anti_join=False, dedupe=True)
        n_added = con.execute(redo).fetchall()[0][0]
    if keys is not None and n_added:  # the table holds this file's rows only
        keys.added.append(con.execute(f"SELECT hash({identifier(p.key)}) AS h FROM {p.table}").fetchnumpy()["h"])
    return rows, n_bad, n_added, bad


def _insert(con: duckdb.DuckDBPyConnection, sql: str, on_progress: Callable[[float], None] | None, p: Plan,
            keys: _Keys | None) -> int:
    """Run the ``INSERT`` ``sql``; the rows it added (their keys' hashes kept in ``keys``)."""
    if keys is None:
        return _run(con, sql, on_progress).fetchall()[0][0]
    hashes = _run(con, f"{sql} RETURNING hash({identifier(p.key)}) AS h", on_progress).fetchnumpy()["h"]
    keys.added.append(hashes)
    return len(hashes)


def _bad_rows(con: duckdb.DuckDBPyConnection, p: Plan, source: Source, *, keep_bad: bool
              ) -> pa.Table:
    """The bad rows of ``source`` as rejects; without ``keep_bad``, the first one raised."""
    if not keep_bad:
        row, column, reason, value = con.execute(f"{p.checks} ORDER BY {ROW} LIMIT 1").fetchall()[0]
        raise InputError(reason, file=source.file, row=row, column=column, value=value)
    bad = con.sql(
        f"SELECT s.* EXCLUDE ({ROW}), {literal(source.file)} AS _file, c.{ROW} AS _row, "
        f"c._column, c._error FROM ({p.checks}) c JOIN {source.relation} s ON s.{ROW} = c.{ROW} "
        f"ORDER BY c.{ROW}"
    ).arrow()
    return bad.read_all() if hasattr(bad, "read_all") else bad


def insert_sql(p: Plan, *, filter_bad: bool, anti_join: bool, dedupe: bool) -> str:
    """``INSERT`` of the good rows of plan ``p`` whose key is new, first of equal keys kept, in
    file order."""
    cols = ", ".join(identifier(c) for c in p.columns)
    key = identifier(p.key)
    where = []
    if filter_bad:
        where.append("NOT _bad")
    if anti_join and p.staged:  # few keys: those of them the table holds, looked up
        held = f"SELECT t.{key} FROM {p.table} t WHERE t.{key} IN (SELECT {key} FROM ({p.normal}))"
        where.append(f"{key} NOT IN ({held})")
    elif anti_join:
        where.append(f"{key} NOT IN (SELECT {key} FROM {p.table})")
    sql = f"INSERT INTO {p.table} ({cols}) SELECT {cols} FROM ({p.normal})"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if dedupe:
        sql += f" QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {ROW}) = 1"
    # in file order, the ingest sequence (rowid) voronka profile reads: DuckDB keeps the order
    # of a plain filtered scan by itself; the window and the anti-join need the sort
    return sql + f" ORDER BY {ROW}" if dedupe or anti_join else sql


def write_rejects(rejects: list[pa.Table], path: str | Path) -> None:
    """The bad rows as CSV: the original columns (text) then ``_file, _row, _column, _error``."""
    extra = ["_file", "_row", "_column", "_error"]
    tables = [t.cast(pa.schema([pa.field(n, pa.string()) for n in t.column_names])) for t in rejects]
    if tables:
        merged = pa.concat_tables(tables, promote_options="default")
    else:
        merged = pa.table({n: pa.array([], pa.string()) for n in extra})
    order = [n for n in merged.column_names if n not in extra] + extra
    pacsv.write_csv(merged.select(order), str(path))


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]


# --- progress ----------------------------------------------------------------------------

def _enable_progress(con: duckdb.DuckDBPyConnection) -> Callable[[], None]:
    before = con.execute(
        "SELECT current_setting('enable_progress_bar'), current_setting('enable_progress_bar_print')"
    ).fetchall()[0]
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")

    def restore() -> None:
        con.execute(f"SET enable_progress_bar = {_flag(before[0])}; "
                    f"SET enable_progress_bar_print = {_flag(before[1])}")

    return restore


def _flag(value: object) -> str:
    return "true" if str(value).lower() in ("true", "1") else "false"


def _reporter(progress: Progress | None, file: str, total: int
              ) -> Callable[[float, float], Callable[[float], None] | None]:
    def span(start: float, end: float) -> Callable[[float], None] | None:
        if progress is None:
            return None
        return lambda pct: progress(file, int(total * (start + (end - start) * min(max(pct, 0.0), 100.0) / 100)),
                                    total)
    return span


def _run(con: duckdb.DuckDBPyConnection, sql: str, on_progress: Callable[[float], None] | None):
    """``con.execute(sql)``, polling DuckDB's query progress into ``on_progress`` meanwhile."""
    if on_progress is None:
        return con.execute(sql)
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            try:
                pct = con.query_progress()
            except duckdb.Error:
                return
            if pct >= 0:
                on_progress(pct)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        return con.execute(sql)
    finally:
        done.set()
        thread.join()
