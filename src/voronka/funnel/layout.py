"""The funnel layout: a store's events kept in funnel order, so a funnel needs no sort.

A derived copy of the ``events`` table of a store read through its alias map
(``voronka.sql.resolved_events``: the ``aliases`` table and the ``identify`` events), as every
analysis reads it (docs/performance.md, *Second round*), rebuilt by ``refresh`` (``voronka
optimize``; an ingest leaves it out of date):

* ``voronka_layout_customers`` (``c``, ``customer_id``): every (resolved) customer id and
  its code, ``0..``, in id order;
* ``voronka_layout_names`` (``e``, ``event``): every event name and its code;
* ``voronka_layout_events`` (``c``, ``e``, ``tsu``, then ``COLUMNS``: ``channel``,
  ``campaign``, ``revenue``, ``currency``, ``referrer_id``, the last resolved too): one row
  per event, its customer's and name's codes, its time in microseconds and its other
  columns but ``event_id`` and ``properties``, stored in the definition's event order: by
  customer, then ``(ts, event_id)``.

The layout reflects one **generation** of the store: the numbers of rows of ``events`` and
of ``aliases`` when it was built, kept in ``voronka_meta`` (key ``funnel_layout``). Events
and aliases are only ever added (by ``voronka ingest`` and the collector; a known alias
keeps its first id), so a store holding other numbers of rows has changed since, and the
layout is not used (``current``) until the next refresh; nor is a layout built before it
held every column of ``COLUMNS``.

A funnel the layout serves (``serves``: rules that test the event name only, a breakdown
by ``COLUMNS`` or none) over a source it serves (``kept_sql``: the store's events, counting
customers, filtered by ``where`` conditions on ``COLUMNS`` and by a date range, or not at
all) reads its steps' rows from it in stored order, with no sort (``parts``): the rows the
source gives the SQL path, the filter tested on each stored row as
``voronka.source.Source.events_sql`` tests it on each resolved event. Each row's stored
position comes along and the reader checks that they increase (``OutOfOrder``: the funnel
then takes the sorted stream). The units are then computed by the compiled kernel
(``funnel.kernel``) or, for what it does not serve, by ``funnel.chains`` as over the
sorted stream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from voronka.engines import Engine
from voronka.funnel.definition import FunnelDefinition
from voronka.funnel.sql import _grouping, _period_sql, breakdown_sql, reader_counts
from voronka.source import CUSTOMER, Source
from voronka.sql import literal, resolved_events

CUSTOMERS = "voronka_layout_customers"
NAMES = "voronka_layout_names"
EVENTS = "voronka_layout_events"
META_KEY = "funnel_layout"
COLUMNS = ("channel", "campaign", "revenue", "currency", "referrer_id")
"""The events' columns the layout keeps as they are (breakdowns and filters read them)."""
PART_ROWS = 4_000_000  # stored rows a funnel reads from the layout at a time
_META = "voronka_meta"


class OutOfOrder(Exception):
    """The layout's rows did not come in customer and time order (the reader falls back)."""


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the layout from the store's ``events`` read through its alias map on ``con``
    in one transaction, and record the generation it reflects."""
    con.execute("BEGIN TRANSACTION")
    try:
        aliases = "aliases" if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'aliases' "
                                           "AND NOT temporary").fetchall()[0][0] else None
        resolved = resolved_events("events", aliases)
        con.execute(f"CREATE OR REPLACE TABLE {CUSTOMERS} AS SELECT CAST(row_number() OVER (ORDER BY customer_id) - 1 "
                    f"AS INTEGER) AS c, customer_id FROM (SELECT DISTINCT customer_id FROM ({resolved})) ORDER BY c")
        con.execute(f"CREATE OR REPLACE TABLE {NAMES} AS SELECT CAST(row_number() OVER (ORDER BY event) - 1 "
                    "AS INTEGER) AS e, event FROM (SELECT DISTINCT event FROM events) ORDER BY e")
        con.execute(f"CREATE OR REPLACE TABLE {EVENTS} AS SELECT k.c, n.e, epoch_us(v.ts) AS tsu, "
                    f"{', '.join('v.' + c for c in COLUMNS)} "
                    f"FROM ({resolved}) AS v JOIN {CUSTOMERS} AS k ON k.customer_id = v.customer_id "
                    f"JOIN {NAMES} AS n ON n.event = v.event ORDER BY k.c, v.ts, v.event_id")
        con.execute(f"INSERT OR REPLACE INTO {_META} SELECT ?, ({_generation(aliases)})", [META_KEY])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _generation(aliases: str | None) -> str:
    """SQL for the generation of the store's events and alias map: the rows of ``events``
    and of the alias table (``aliases``; both are only ever added to), as text."""
    alias_rows = f"(SELECT count(*) FROM {aliases})" if aliases else "0"
    return f"SELECT CAST((SELECT count(*) FROM events) AS VARCHAR) || ' ' || CAST({alias_rows} AS VARCHAR)"


def current(engine: Engine, aliases: str | None = "aliases") -> bool:
    """Whether ``engine`` holds a layout of every column of ``COLUMNS`` built from its
    ``events`` and alias table as they are now. ``aliases`` None: for a reader that reads
    no alias table (only ``identify`` events), which the layout serves while the table
    has no rows."""
    if not (engine.has_table(EVENTS) and engine.has_table(_META)):
        return False
    if not set(COLUMNS) <= set(engine.query(f"SELECT * FROM {EVENTS} LIMIT 0").column_names):
        return False
    table = "aliases" if engine.has_table("aliases") else None
    row = engine.query(f"SELECT (SELECT value FROM {_META} WHERE key = {literal(META_KEY)}) AS built, "
                       f"({_generation(table)}) AS now").to_pylist()[0]
    return row["built"] == row["now"] and (aliases is not None or row["now"].endswith(" 0"))


def serves(defn: FunnelDefinition) -> bool:
    """Whether the layout holds everything ``defn`` reads: rules that test event names only
    (a count of repeat purchases left to the reader), no breakdown or one by ``COLUMNS``
    that is not ``all_steps`` (that one groups a customer's rows by value)."""
    by_value, _ = _grouping(defn)
    counted = reader_counts(defn)
    b = defn.breakdown
    return (not by_value and (b is None or set(b.fields) <= set(COLUMNS))
            and all(not r.where and r.min_referrals is None and ((r.min_purchases or 1) == 1 or i in counted)
                    for i, r in enumerate(defn.rules)))


def kept_sql(source: Source) -> str | None:
    """The condition over the layout's rows that keeps the events ``source`` reads
    (``TRUE``: all), or None when the layout does not serve it: events other than the
    store's, a unit other than the customer, a ``where`` condition on a field outside
    ``COLUMNS`` (a property, ``event``, ``customer_id``, ``event_id``)."""
    if (source.events != "events" or source.aliases not in ("aliases", None) or source.unit != CUSTOMER
            or any(c.field not in COLUMNS for c in source.where)):
        return None
    return " AND ".join(f"({k})" for k in source.kept("make_timestamp(tsu)")) or "TRUE"


def latest(engine: Engine, kept: str) -> dt.datetime:
    """The latest time of the layout's rows that pass ``kept`` (1970-01-01 for none): the
    default ``as_of`` of the source ``kept_sql`` read it from."""
    us = engine.query(f"SELECT max(tsu) AS m FROM {EVENTS} WHERE {kept}").column("m")[0].as_py()
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=us or 0)


def name_masks(engine: Engine, defn: FunnelDefinition) -> tuple[np.ndarray, list[int]]:
    """Per event-name code, the rule flags as ``funnel.sql._flag_masks`` packs them
    (one ``uint64`` column per 64 rules), and the codes any rule names (every code for a
    rule naming no event, or for strict order: every event then matters)."""
    names = engine.query(f"SELECT e, event FROM {NAMES} ORDER BY e").column("event").to_pylist()
    masks = np.zeros((max(len(names), 1), (len(defn.rules) + 63) // 64), dtype=np.uint64)
    for r, rule in enumerate(defn.rules):
        for e, name in enumerate(names):
            if not rule.events or name in rule.events:
                masks[e, r // 64] |= np.uint64(1) << np.uint64(r % 64)
    wanted = [e for e in range(len(names)) if masks[e].any() or defn.reads_every_event]
    return masks, wanted


def stream_sql(defn: FunnelDefinition, wanted: list[int] | None, first: list[int], periods: bool = True,
               kept: str = "TRUE") -> str:
    """The layout's rows of the names ``wanted`` (None: every name) that pass ``kept`` (``kept_sql``), in stored
    order (no ``ORDER BY``): ``customer_id`` (the customer's code), ``bv`` (the breakdown
    value, ``funnel.sql.breakdown_sql``),
    ``period`` (with a cohort, on the rows that start attempts: of the names ``first``
    fill step 1, any row for unordered funnels; not with ``periods=False``), ``tsu``, ``e``
    and the stored position ``o``."""
    columns = ["c AS customer_id"]
    if defn.breakdown is not None:
        columns.append(f"{breakdown_sql(defn.breakdown)} AS bv")
    if defn.cohort and periods:
        starts = "TRUE" if defn.order == "unordered" else _in(first)
        columns.append(f"CASE WHEN {starts} THEN {_period_sql(defn, 'make_timestamp(tsu)')} END AS period")
    columns += ["tsu", "e", "rowid AS o"]
    names = "TRUE" if defn.reads_every_event or wanted is None else _in(wanted)
    return f"SELECT {', '.join(columns)} FROM {EVENTS} WHERE {names} AND {kept}"


def _in(codes: list[int]) -> str:
    """Whether ``e`` is one of ``codes``, as bit tests (``e IN (…)`` becomes a join,
    which does not keep the stored order)."""
    tests = []
    for j in sorted({code // 64 for code in codes}):
        mask = sum(1 << (code - 64 * j) for code in codes if code // 64 == j)
        tests.append(f"(e >= {64 * j} AND e < {64 * j + 64} AND (CAST({mask} AS UBIGINT) >> (e - {64 * j})) & 1 = 1)")
    return f"({' OR '.join(tests)})" if tests else "FALSE"


def parts(engine: Engine, defn: FunnelDefinition, part_rows: int = PART_ROWS,
          kept: str = "TRUE", codes: bool = False) -> Iterator[pa.Table]:
    """The layout's rows a funnel reads (of them, those passing ``kept``), in parts of whole
    customers, as ``funnel.chains.units_table`` takes them (``customer_id`` holding customer
    codes, ``f0``.. the flags), checked to come in stored order (``OutOfOrder``). With
    ``codes``, as ``funnel.kernel.units_table`` takes them: the name codes ``e`` and the
    stored positions ``o`` instead of the flags, the order left to the kernel to check.

    A part holds about ``part_rows`` stored rows (a range of customer codes: DuckDB skips
    the row groups outside it by their min/max) and is fetched whole: DuckDB keeps the
    stored order in a fetched result, not across the batches of a streamed one. Each row's
    stored position (``rowid``) comes along: they must increase. When every name is wanted
    (a funnel whose steps name them all) no row is tested for its name."""
    masks, wanted = name_masks(engine, defn)
    first = [e for e in range(len(masks)) if masks[e, 0] & np.uint64(1)]
    periods = _period_table(engine, defn) if defn.cohort else None
    sql = stream_sql(defn, None if len(wanted) == len(masks) else wanted, first, periods=periods is None, kept=kept)
    customers, rows = engine.query(f"SELECT (SELECT count(*) FROM {CUSTOMERS}) AS customers, "
                                   f"(SELECT count(*) FROM {EVENTS}) AS n").to_pylist()[0].values()
    count = max(1, -(-rows // part_rows))
    bounds = [customers * i // count for i in range(count + 1)]
    last = -1
    for lo, hi in zip(bounds, bounds[1:]):
        part = engine.query(f"{sql} AND c >= {lo} AND c < {hi}")
        if part.num_rows == 0:
            continue
        if not codes:  # the kernel takes the columns it reads out of the chunks itself
            part = part.combine_chunks()
        if periods is not None:
            base, days = periods
            at = part.column("tsu").to_numpy() // QUARTER - base
            part = part.append_column("period", pa.array(days[at]).cast(pa.date32()))
        if codes:
            yield part
            continue
        o = part.column("o").to_numpy()
        if not _in_order(o, last):
            raise OutOfOrder
        last = int(o[-1])
        e = part.column("e").to_numpy()
        part = part.drop_columns(["e", "o"])
        for j in range(masks.shape[1]):
            part = part.append_column(f"f{j}", pa.array(masks[e, j].astype(_mask_type(len(defn.rules) - 64 * j))))
        yield part


QUARTER = 15 * 60 * 1_000_000  # µs: every time zone's offset is a multiple of 15 minutes today
MAX_QUARTERS = 1_000_000  # about 28 years of events: beyond, DuckDB gives each row's period


def _period_table(engine: Engine, defn: FunnelDefinition) -> tuple[int, np.ndarray] | None:
    """The cohort period of every quarter of an hour the layout spans (its first
    quarter's number, and the periods as days since 1970), when no period starts inside
    a quarter (true of every offset a zone has today; None otherwise: then DuckDB gives
    each row's period, as it does for layouts spanning more than ``MAX_QUARTERS``). Local
    calendars are computed once per quarter, not per row."""
    row = engine.query(f"SELECT min(tsu) AS lo, max(tsu) AS hi FROM {EVENTS}").to_pylist()[0]
    if row["lo"] is None:
        return None
    lo, hi = row["lo"] // QUARTER, row["hi"] // QUARTER
    if hi - lo > MAX_QUARTERS:
        return None

    def period(us: str) -> str:
        return f"date_diff('day', DATE '1970-01-01', {_period_sql(defn, f'make_timestamp({us})')})"
    table = engine.query(f"SELECT {period(f'q * {QUARTER}')} AS a, {period(f'q * {QUARTER} + {QUARTER - 1}')} AS b "
                         f"FROM range({lo}, {hi + 1}) AS r(q) ORDER BY q")
    a, b = table.column("a").to_numpy(), table.column("b").to_numpy()
    return (lo, a.astype(np.int32)) if np.array_equal(a, b) else None


def stream(engine: Engine, defn: FunnelDefinition, part_rows: int = PART_ROWS,
           kept: str = "TRUE") -> Iterator[pa.RecordBatch]:
    """The rows of ``parts`` as record batches."""
    for part in parts(engine, defn, part_rows, kept):
        yield from part.to_batches()


def _mask_type(bits: int) -> type[np.unsignedinteger]:
    """The smallest unsigned integer holding ``bits`` flags (as the SQL stream packs them)."""
    return next(t for width, t in ((8, np.uint8), (16, np.uint16), (32, np.uint32)) if bits <= width) \
        if bits <= 32 else np.uint64


def _in_order(rows: np.ndarray, last: int) -> bool:
    """Whether the stored positions ``rows`` increase, from the previous batch's ``last``."""
    return bool(rows[0] > last and (np.diff(rows) > 0).all())


def customer_ids(engine: Engine, codes: pa.Array) -> pa.Array:
    """The customer ids of the customer ``codes``."""
    ids = engine.query(f"SELECT customer_id FROM {CUSTOMERS} ORDER BY c").column("customer_id").combine_chunks()
    return ids.take(codes)


def stored_rows(engine: Engine) -> int:
    """The number of events in the layout."""
    return engine.query(f"SELECT count(*) AS n FROM {EVENTS}").column("n")[0].as_py()
