"""The funnel's chains and units computed with NumPy over a sorted event stream.

The fast path of ``compute_funnel`` on DuckDB: the engine prunes the events to those
that matter and sorts them (``funnel.sql.stream_sql``: one row per event, its group key,
time in microseconds and the rule flags as bits, sorted by group and time); this module then
builds the same per-unit table ``funnel.sql.units_sql`` would (steps 5–6 of that module,
as docs/funnels.md defines them), vectorised over all attempts of a batch at once:

* step k's event of an attempt is the first row after step k−1's row (after its last
  equal timestamp, for ``ties='strict'``; from the first row of its timestamp, that row
  included, for ``ties='step_order'``) flagged for step k, in the same group (a binary
  search over the rows flagged for step k); for ``order='strict'`` it is the very next row;
  then it must lie inside the window and the step's ``max_from_previous``;
* for ``order='unordered'`` an attempt starts at every row filling any step, and each
  step's time is its first row from the attempt's time on, inside the window;
* exclusions count flagged rows strictly between two steps' rows (running sums);
* the unit of a group is its kept attempt with the highest level, earliest first.

The stream comes sorted by group and time only; rows of one group and one time are put
in ``event_id`` order here, where the definition needs it (``funnel.sql.tie_breaking_rows``).
Rows arrive in batches (``RecordBatch``es of any size); a customer's rows may be split
across batches, so each batch's last customer is held back and joined to the next one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from voronka.duration import epoch_micros, micros
from voronka.funnel.definition import NONE, FunnelDefinition
from voronka.funnel.outcomes import range_bounds
from voronka.funnel.sql import reader_counts

_MISSING = -1
_NO_TIME = np.iinfo(np.int64).max  # a step an unordered attempt did not reach
_WORKERS = 2  # batches computed at once


def units_schema(defn: FunnelDefinition) -> pa.Schema:
    """The per-unit table, as ``funnel.sql.units_sql`` gives it in DuckDB."""
    times = [(f"t{k}", pa.timestamp("us")) for k in range(len(defn.steps))]
    return pa.schema([("customer_id", pa.string()), ("breakdown", pa.string()), ("period", pa.date32()),
                      ("level", pa.int32()), *times, ("in_progress", pa.bool_())])


class HashCollision(Exception):
    """Two customers of the stream share ``hash(customer_id)``: their rows may interleave."""


def units_table(defn: FunnelDefinition, batches: Iterable[pa.RecordBatch], as_of: dt.datetime,
                ids: Callable[[pa.Array], pa.Array] | None = None) -> pa.Table:
    """The per-unit table from the sorted stream ``batches`` (columns: ``customer_id``,
    ``bv`` when there is a breakdown, ``tsu``, the flag masks ``f0``..: see
    ``funnel.sql.stream_sql``). ``ids``: the customer ids of the stream's ``customer_id``
    values, when these are codes (``funnel.layout``).

    A stream sorted by ``h`` (the customer's hash) must change customer exactly where
    ``h`` changes, else ``HashCollision`` is raised (by the worker that sees it). Batches
    are computed two at a time on worker threads (NumPy and Arrow release the GIL), while
    the next batch is read.
    """
    as_of_us = epoch_micros(as_of)
    parts: list[Future[pa.Table]] = []
    carry: pa.Table | None = None
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            if carry is not None and carry.num_rows:
                table = pa.concat_tables([carry, table])
            if table.num_rows == 0:
                continue
            key = "h" if "h" in table.column_names else "customer_id"  # integers compare faster
            # hold back the last customer: more of their rows may follow in the next batch
            last = int(np.flatnonzero(_changes(table.column(key)))[-1])
            if len([p for p in parts if not p.done()]) >= _WORKERS:
                wait(parts, return_when=FIRST_COMPLETED)
            parts.append(pool.submit(_checked_units, defn, table.slice(0, last), as_of_us))
            carry = table.slice(last)
        if carry is not None and carry.num_rows:
            parts.append(pool.submit(_checked_units, defn, carry, as_of_us))
        tables = [p for p in (f.result() for f in parts) if p.num_rows]
    schema = units_schema(defn)
    if not tables:
        return schema.empty_table()
    units = pa.concat_tables(tables)
    if ids is not None:
        units = units.set_column(0, "customer_id", ids(units.column("customer_id").combine_chunks()))
    return units.cast(schema)


def scanned_units(defn: FunnelDefinition, table: pa.Table, as_of: dt.datetime) -> pa.Table:
    """The per-unit table from the stage rows of ``funnel.sql.stage_sql`` in event order
    (``customer_id``, ``bv`` with a breakdown, ``tsu`` and the flag masks ``f0``..), whose
    ``min_purchases`` flags are counted already: for the ``window_funnel`` modes on an
    engine without ``ArrowStreams``."""
    table = table.combine_chunks()
    if table.num_rows == 0:
        return units_schema(defn).empty_table()
    units = _units(defn, table, _changes(table.column("customer_id")), epoch_micros(as_of), counted_here=False)
    return units.cast(units_schema(defn))


def _checked_units(defn: FunnelDefinition, table: pa.Table, as_of_us: int) -> pa.Table:
    """``_units`` of whole customers, after checking that the customer changes exactly where
    ``h`` does (``HashCollision``)."""
    table = table.combine_chunks()
    new_customer = _changes(table.column("customer_id"))
    if "h" in table.column_names and not np.array_equal(new_customer, _changes(table.column("h"))):
        raise HashCollision
    return _units(defn, table, new_customer, as_of_us)


def _changes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """True where a row's value differs from the previous row's (and on the first row)."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    out = np.ones(len(values), dtype=bool)
    if len(values) > 1:
        out[1:] = _bools(pc.not_equal(values.slice(1), values.slice(0, len(values) - 1)))
    return out


def _bools(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean column as a NumPy bool array (null as False; a view of its ``uint8`` cast)."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.cast(pc.fill_null(values, False), pa.uint8()).to_numpy().view(np.bool_)


def _units(defn: FunnelDefinition, table: pa.Table, new_customer: np.ndarray, as_of_us: int,
           counted_here: bool = True) -> pa.Table:
    """The units of the whole customers in ``table`` (sorted: customer, value, time;
    ``new_customer`` marks each customer's first row). ``counted_here=False``: the flags of
    the ``min_purchases`` rules are counted already (``flagged_sql``), not by the reader."""
    n = len(defn.steps)
    rows = table.num_rows
    if rows == 0:
        return units_schema(defn).empty_table()
    by_value = defn.breakdown is not None and defn.breakdown.attribution == "all_steps"
    customers = table.column("customer_id").combine_chunks()
    new_group = new_customer | _changes(table.column("bv")) if by_value else new_customer
    tsu = table.column("tsu").combine_chunks().to_numpy()
    masks = [table.column(f"f{j}").combine_chunks().to_numpy() for j in range((len(defn.rules) + 63) // 64)]
    order = _event_order(table.column("event_id"), new_group, tsu) if "event_id" in table.column_names else None
    if order is not None:  # rows of one group and time, in event_id order
        masks = [m[order] for m in masks]

    def bit(r: int) -> np.ndarray:
        m = masks[r // 64]
        return (m & m.dtype.type(1 << (r % 64))) != 0

    counted = {r: _nth_or_later(bit(r), new_customer, defn.rules[r].min_purchases)  # type: ignore[arg-type]
               for r in (reader_counts(defn) if counted_here else ())}

    def flag(r: int) -> np.ndarray:
        """Whether each row matches rule ``r``."""
        return counted[r] if r in counted else bit(r)

    starts = np.flatnonzero(new_group)
    if defn.scans and not defn.window_funnel:
        return _posthog_units(defn, table, order, starts, tsu, flag)
    group_end = _run_ends(starts, rows)  # one past the group's last row
    flagged = [np.flatnonzero(flag(k)) for k in range(n)]

    # 5. per attempt, the steps reached and their times
    if defn.order == "unordered":
        runs = _time_runs(new_group, tsu)
        first, found = _unordered_steps(defn, flagged, tsu, runs, group_end)
        level = np.count_nonzero(found != _NO_TIME, axis=1).astype(np.int32)
        disq = _unordered_excluded(defn, flag, tsu, first, found, level, _run_ends(runs, rows), group_end)
    elif defn.window_funnel:
        first, at, level, opened = _window_funnel_scan(defn, flag, tsu, starts, rows)
        shown, disq = [a != _MISSING for a in at], np.zeros(len(first), dtype=bool)
    else:
        runs = _time_runs(new_group, tsu)
        after = {"strict": lambda: _run_ends(runs, rows),  # the first row at a later time
                 "step_order": lambda: np.repeat(runs, np.diff(np.append(runs, rows))),  # the first of its time
                 "allow": lambda: np.arange(1, rows + 1)}[defn.ties]()  # the next row
        first, at, shown, level, disq = _ordered_steps(defn, flag, flagged, tsu, group_end, after)
    attempts = len(first)
    t0 = tsu[first]
    opened = tsu[opened] if defn.window_funnel else t0  # the start whose window "in progress" reads

    # 6. one unit per customer (or attempt)
    lo, hi = range_bounds(defn)
    kept = np.ones(attempts, dtype=bool)
    if lo:
        kept &= t0 >= epoch_micros(lo)
    if hi:
        kept &= t0 < epoch_micros(hi)
    is_open = ((opened + micros(defn.window) > as_of_us) if defn.window is not None and defn.scan != "posthog"
               else np.zeros(attempts, dtype=bool))  # PostHog: dropped, never in progress
    if defn.exclusion_scope == "customer":
        customer = (np.cumsum(new_customer) - 1)[first]
        bad = np.zeros(int(customer[-1]) + 1 if attempts else 0, dtype=bool)
        bad[customer[kept & disq]] = True
        kept &= ~bad[customer]
    else:
        kept &= ~disq
    period = table.column("period").take(pa.array(first if order is None else order[first])) if defn.cohort else None
    units = np.flatnonzero(kept)
    in_progress = is_open[units]
    if defn.counting == "customers" and len(units):
        g = np.searchsorted(starts, first[units], side="right")  # the group of each unit
        new_unit = np.r_[True, g[1:] != g[:-1]]
        if period is not None:  # one unit per group and period (sorted: a period is a local date)
            days = period.take(pa.array(units)).cast(pa.int32()).to_numpy()
            by_period = np.lexsort((days, g))
            units, days = units[by_period], days[by_period]
            new_unit[1:] |= days[1:] != days[:-1]
        segment = np.flatnonzero(new_unit)
        seg_of = np.cumsum(new_unit) - 1
        best = np.maximum.reduceat(level[units], segment)
        candidates = np.flatnonzero(level[units] == best[seg_of])
        firsts = candidates[np.r_[True, seg_of[candidates][1:] != seg_of[candidates][:-1]]]
        in_progress = np.maximum.reduceat(is_open[units].astype(np.uint8), segment).astype(bool)
        units = units[firsts]

    if defn.order == "unordered":
        times = [(found[units, k], found[units, k] != _NO_TIME) for k in range(n)]
        rows_of, reached = [first[units]], []
    else:
        rows_of = [at[k][units] for k in range(n)]
        times = [(tsu[r.clip(0)], shown[k][units]) for k, r in enumerate(rows_of)]
        reached = [r != _MISSING for r in rows_of]
    return pa.table({
        "customer_id": customers.take(pa.array(first[units])),
        "breakdown": _attributed(defn, table, order, units, rows_of, reached),
        "period": period.take(pa.array(units)) if period is not None else pa.nulls(len(units), pa.date32()),
        "level": pa.array(level[units], pa.int32()),
        **{f"t{k}": pa.array(np.where(shown_k, values, 0), pa.int64(), mask=~shown_k).cast(pa.timestamp("us"))
           for k, (values, shown_k) in enumerate(times)},
        "in_progress": pa.array(in_progress, pa.bool_()),
    })


_Chains = tuple[np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]


def _ordered_steps(defn: FunnelDefinition, flag: Callable[[int], np.ndarray], flagged: list[np.ndarray],
                   tsu: np.ndarray, group_end: np.ndarray, after: np.ndarray) -> _Chains:
    """Per attempt (a row filling step 1) of an ordered or strict funnel, the greedy chain:
    the attempts' rows, each step's row (``_MISSING``: not reached), whether each step
    counts as shown (an optional step only before the next required one), the level and
    whether an exclusion disqualifies the attempt."""
    n = len(defn.steps)
    first = flagged[0]
    attempts = len(first)
    at = [first] + [np.full(attempts, _MISSING) for _ in range(1, n)]
    alive = [np.arange(attempts)]  # the attempts that reached each step
    t0 = tsu[first]
    for k in range(1, n):
        step = defn.steps[k]
        live = alive[defn.previous_required(k)]  # type: ignore[index]
        rows_at = at[defn.previous_required(k)][live]  # type: ignore[index]
        # attempts at one row go on from it alike: step k's row is found once per distinct row
        distinct = np.ones(len(live), dtype=bool)
        distinct[1:] = rows_at[1:] != rows_at[:-1]
        p = rows_at[distinct]
        if defn.order == "strict":
            cand = p + 1
            ok = cand < group_end[p]
            cand = np.where(ok, cand, 0)
            ok &= flag(k)[cand]
            if defn.ties == "strict":
                ok &= tsu[cand] > tsu[p]
        else:
            cand, ok = _next_flagged(flagged[k], after[p], group_end[p])
        if step.max_from_previous is not None:
            ok &= tsu[cand] - tsu[p] <= micros(step.max_from_previous)
        of = np.cumsum(distinct) - 1  # each live attempt's distinct row
        cand, ok = cand[of], ok[of]
        if defn.window is not None:
            ok &= tsu[cand] - t0[live] <= micros(defn.window)
        alive.append(live[ok])
        at[k][alive[k]] = cand[ok]

    reached = [a != _MISSING for a in at]
    level = sum(reached[k].astype(np.int32) for k in defn.required)
    shown = list(reached)
    for k, step in enumerate(defn.steps):  # an optional step counts only before the next required one
        q = next((j for j in defn.required if j > k), None)
        if step.optional and q is not None:
            shown[k] = reached[k] & (~reached[q] | (at[k] < at[q]))
    disq = np.zeros(attempts, dtype=bool)
    for x, ex in enumerate(defn.exclusions):
        i, j = ex.from_step - 1, ex.to_step - 1
        excluded = flag(n + x)
        counts = np.cumsum(excluded, dtype=np.int64)
        aj, ai = np.where(reached[j], at[j], 0), at[i].clip(0)
        between = counts[aj] - excluded[aj] - counts[ai]
        disq |= reached[j] & (between > 0)
    return first, at, shown, level, disq  # type: ignore[return-value]


def _window_funnel_scan(defn: FunnelDefinition, flag: Callable[[int], np.ndarray], tsu: np.ndarray,
                        starts: np.ndarray, rows: int) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """ClickHouse's ``windowFunnel`` scan, one group at a time (``funnel.reference``'s
    ``_window_funnel_scan`` over rows in event order): per group with a step-1 row, the
    chain of the furthest step's record: its first row, each step's row (``_MISSING``: not
    reached), its level, and the group's last step-1 row (for "in progress"). The entries
    are sorted by NumPy, then scanned by one loop in Python: these modes are a sequential
    scan, not a search per attempt."""
    n, modes = len(defn.steps), set(defn.window_funnel)
    strict_order, dedup = "strict_order" in modes, "strict_deduplication" in modes
    reentry, increase = "allow_reentry" in modes, "strict_increase" in modes
    once = "strict_once" in modes  # every chain of each step is kept: records[k] is a list of them
    window = micros(defn.window) if defn.window is not None else None
    flags = np.stack([flag(k) for k in range(n)], axis=1)
    rows_of, steps_of = np.nonzero(flags)  # one entry per (row, step it matches), code = step + 1
    codes = steps_of + 1
    if strict_order:  # and one "no step" entry (code 0) per row matching none
        none = np.flatnonzero(~flags.any(axis=1))
        rows_of, codes = np.concatenate([rows_of, none]), np.concatenate([codes, np.zeros(len(none), codes.dtype)])
        by_row = np.argsort(rows_of, kind="stable")
        rows_of, codes = rows_of[by_row], codes[by_row]
    group = np.searchsorted(starts, rows_of, side="right")
    order = np.lexsort((codes, tsu[rows_of], group))  # stable: rows of one time and step in event order
    ts = tsu.tolist()
    chains, opened = [], []

    def close(records: list, last_start: int | None) -> None:
        reached = [c for c in records if c]
        if reached:
            chains.append(reached[-1][0] if once else reached[-1])
            opened.append(last_start)

    current, done = -1, True
    records: list[list[int] | None] = []
    last_start: int | None = None
    for g, r, code in zip(group[order].tolist(), rows_of[order].tolist(), codes[order].tolist()):
        if g != current:
            if current != -1:
                close(records, last_start)
            current, done, last_start = g, False, None
            records = [[] for _ in range(n)] if once else [None] * n
        if done:
            continue
        k = code - 1
        if k == -1:  # strict_order: a row of no step ends the scan once a chain started
            done = last_start is not None
        elif k == 0:
            if once:
                records[0].append([r])
            else:
                records[0] = [r]
            last_start = r
        elif dedup and records[k]:
            done = True
        elif strict_order and last_start is not None and not records[k - 1]:
            done = not reentry
        elif once and records[k - 1]:  # every chain of step k-1 in the window without this row
            before, j, t = records[k - 1], 0, ts[r]
            while j < len(before) and not done:
                chain = before[j]
                inside = window is None or t <= ts[chain[0]] + window
                if not inside and len(before) > 1:  # dropped, while another remains
                    del before[j]
                    continue
                if inside and r not in chain and (not increase or ts[chain[-1]] < t):
                    records[k].append(chain + [r])
                    done = k == n - 1
                j += 1
        elif not once and (chain := records[k - 1]) is not None:
            t = ts[r]
            if (window is None or t <= ts[chain[0]] + window) and (not increase or ts[chain[-1]] < t):
                records[k] = chain + [r]
                done = k == n - 1
    if current != -1:
        close(records, last_start)
    at = [np.array([c[k] if k < len(c) else _MISSING for c in chains], dtype=np.int64) for k in range(n)]
    level = np.array([len(c) for c in chains], dtype=np.int32)
    return at[0], at, level, np.array(opened, dtype=np.int64)


def _posthog_units(defn: FunnelDefinition, table: pa.Table, order: np.ndarray | None, starts: np.ndarray,
                   tsu: np.ndarray, flag: Callable[[int], np.ndarray]) -> pa.Table:
    """The units of PostHog's scan (docs/funnels.md, "PostHog's scan") over rows in event
    order, one group (``starts``) after the other: a loop in Python, as the scan is sequential.
    Each group gives one unit per breakdown value its attribution names (``step_values``:
    every value seen at that step), none when excluded or without a step-1 row."""
    n, rows, b = len(defn.steps), table.num_rows, defn.breakdown
    window = micros(defn.window) if defn.window is not None else None
    flags = np.stack([flag(r) for r in range(len(defn.rules))], axis=1) if rows else np.zeros((0, 0), bool)
    into = np.zeros((len(defn.exclusions), n + 1), dtype=bool)  # exclusion x applies on the way into step s
    for x, ex in enumerate(defn.exclusions):
        into[x, ex.from_step + 1:ex.to_step + 1] = True
    codes = []
    for r in flags.tolist():
        steps = [k + 1 for k in range(n) if r[k]]
        hit = [x for x in range(len(defn.exclusions)) if r[n + x]]
        codes.append(tuple(steps + [-s for s in range(2, n + 1) if any(into[x, s] for x in hit)]))
    values: list[str | None] = [None] * rows
    if b is not None:
        bv = table.column("bv").combine_chunks()
        values = (bv.take(pa.array(order)) if order is not None else bv).to_pylist()
    customers = table.column("customer_id").combine_chunks()
    ts = tsu.tolist()
    ends = np.append(starts[1:], rows).tolist()
    out: dict[str, list] = {"customer_id": [], "breakdown": [], "level": [], **{f"t{k}": [] for k in range(n)}}
    # the person's funnel events: rows a rule matches (a row of a step's name before its
    # repeat-purchase count is reached is none), every row when strict order reads them all
    funnel_rows = (flags.any(axis=1) if rows and not defn.reads_every_event else np.ones(rows, bool)).tolist()
    for lo, hi in zip(starts.tolist(), ends):
        if b is not None and b.attribution in ("first_non_empty", "last_non_empty"):
            valued = [values[r] for r in range(lo, hi) if funnel_rows[r] and values[r] not in (None, "")]
            names = [(valued[0] if b.attribution == "first_non_empty" else valued[-1]) if valued else None]
        elif b is not None and b.attribution == "step_values":
            names = sorted({values[r] for r in range(lo, hi) if flags[r, b.step - 1]},  # type: ignore[operator]
                           key=lambda v: (v is not None, v or ""))  # none: not counted
        else:
            names = [None]
        for name in names:
            chain = _posthog_chain(defn, ts, codes, values, lo, hi, name, window)
            if chain is None:
                continue
            out["customer_id"].append(lo)
            out["level"].append(len(chain))
            if b is None:
                out["breakdown"].append(None)
            elif b.attribution in ("first_non_empty", "last_non_empty", "step_values", "all_steps"):
                out["breakdown"].append(values[lo] if b.attribution == "all_steps" else name)
            else:
                k = {"first_touch": 0, "last_touch": len(chain) - 1}.get(b.attribution, (b.step or 1) - 1)
                out["breakdown"].append(values[chain[k]] if k < len(chain) else None)
            for k in range(n):
                out[f"t{k}"].append(ts[chain[k]] if k < len(chain) else None)
    breakdown = pa.array(out["breakdown"], pa.string())
    if b is not None and b.attribution != "all_steps":
        breakdown = pc.coalesce(breakdown, pa.scalar(NONE))
    units = len(out["level"])
    return pa.table({
        "customer_id": customers.take(pa.array(out["customer_id"], pa.int64())),
        "breakdown": breakdown,
        "period": pa.nulls(units, pa.date32()),
        "level": pa.array(out["level"], pa.int32()),
        **{f"t{k}": pa.array(out[f"t{k}"], pa.int64()).cast(pa.timestamp("us")) for k in range(n)},
        "in_progress": pa.array([False] * units, pa.bool_()),  # PostHog counts them as dropped
    })


def _posthog_chain(defn: FunnelDefinition, ts: list[int], codes: list[tuple[int, ...]], values: list[str | None],
                   lo: int, hi: int, name: str | None, window: int | None) -> list[int] | None:
    """The rows of the chain PostHog's scan counts for rows ``lo:hi`` of one group under the
    breakdown value ``name``, or None (no step 1, or excluded). A record is
    ``[t0, excluded, rows]``."""
    n, b = len(defn.steps), defn.breakdown
    fixed = b.step - 1 if b is not None and b.attribution == "step_values" else -1  # type: ignore[operator]
    strict = defn.order == "strict"
    rec: list[list | None] = [None] * (n + 1)
    best: list | None = None
    best_level = 0

    def near(t: int, t0: int) -> bool:
        return window is None or t - t0 <= window

    def step(r: int, cs: tuple[int, ...], several: bool) -> None:
        nonlocal best, best_level
        t = ts[r]
        for code in cs[::-1]:
            s = code if code > 0 else -code
            prev = rec[s - 1]
            if prev is None or not near(t, prev[0]) or (rec[s] is not None and rec[s][0] == prev[0]):
                continue
            if code < 0:
                if not prev[1]:
                    prev[1] = True
                    if best is not None and best_level == s - 1 and near(t, best[0]):
                        best[1] = True
            elif not (s - 1 == fixed and values[r] != name) and not (several and r in prev[2]):
                new = [prev[0], prev[1], prev[2] + [r]]
                if not prev[1]:
                    rec[s] = new
                if s > best_level or (s == best_level and best is not None and best[1]):
                    best, best_level = [new[0], new[1], list(new[2])], s
        if strict and not several:
            for s in range(1, n + 1):
                if s not in cs:
                    rec[s] = None

    r = lo
    while r < hi:
        end = r
        while end < hi and ts[end] == ts[r]:
            end += 1
        rec[0] = [ts[r], False, []]
        # the funnel events of this time (a row no rule counts is none, except in strict order)
        group = [c for c in codes[r:end] if c or strict]
        if len(group) <= 1 or len(set(group)) == 1:
            for q in range(r, end):
                step(q, codes[q], False)
        else:
            for s, q in sorted(((s, q) for q in range(r, end) for s in codes[q] if s > 0), key=lambda e: e[0]):
                step(q, (s,), True)
        if rec[n] is not None:
            break
        r = end
    return None if best is None or best[1] else best[2]


def _unordered_steps(defn: FunnelDefinition, flagged: list[np.ndarray], tsu: np.ndarray, runs: np.ndarray,
                     group_end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per attempt (a row filling any step) of an unordered funnel: the attempts' rows, and
    the steps' first times in ``[t0, t0 + window]`` sorted, ``_NO_TIME`` for steps not
    reached (one row per attempt). A step's first time counts rows of the attempt's own
    time too, whatever their order (as the SQL path's ``RANGE`` frame does)."""
    first = np.unique(np.concatenate(flagged))
    t0 = tsu[first]
    from_row = runs[np.searchsorted(runs, first, side="right") - 1]  # the first row of the attempt's time
    found = np.full((len(first), len(defn.steps)), _NO_TIME, dtype=np.int64)
    for k, rows in enumerate(flagged):
        cand, ok = _next_flagged(rows, from_row, group_end[first])
        if defn.window is not None:
            ok &= tsu[cand] - t0 <= micros(defn.window)
        found[ok, k] = tsu[cand[ok]]
    found.sort(axis=1)
    return first, found


def _unordered_excluded(defn: FunnelDefinition, flag: Callable[[int], np.ndarray], tsu: np.ndarray,
                        first: np.ndarray, found: np.ndarray, level: np.ndarray, later: np.ndarray,
                        group_end: np.ndarray) -> np.ndarray:
    """Per unordered attempt, whether an exclusion row lies after its time and before it
    completes (its last step's time), or, not completed, before its window ends (PostHog).
    ``later``: per row, the first row at a later time."""
    n = len(defn.steps)
    if not defn.exclusions:
        return np.zeros(len(first), dtype=bool)
    excluded = np.zeros(len(tsu), dtype=bool)
    for x in range(len(defn.exclusions)):
        excluded |= flag(n + x)
    cand, ok = _next_flagged(np.flatnonzero(excluded), later[first], group_end[first])
    done = level == n
    if defn.window is not None:
        until = np.where(done, found[:, n - 1], tsu[first] + micros(defn.window))
        return ok & (tsu[cand] < until)
    return ok & (~done | (tsu[cand] < found[:, n - 1]))


def _next_flagged(flagged: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first of the sorted rows ``flagged`` at or after each ``start``, and whether it
    lies before that ``end`` (else the row is 0)."""
    i = np.searchsorted(flagged, start)
    ok = i < len(flagged)
    cand = np.where(ok, flagged[np.minimum(i, len(flagged) - 1)] if len(flagged) else 0, 0)
    ok &= cand < end
    return cand, ok


def _nth_or_later(matches: np.ndarray, new_customer: np.ndarray, n: int) -> np.ndarray:
    """Whether each row matches and is its customer's n-th or later matching row (rows in
    event order; ``new_customer`` marks each customer's first row)."""
    count = np.cumsum(matches, dtype=np.int64)
    starts = np.flatnonzero(new_customer)
    before = np.append(0, count[starts[1:] - 1])  # matching rows before each customer's first
    return matches & (count - np.repeat(before, np.diff(np.append(starts, len(matches)))) >= n)


def _time_runs(new_group: np.ndarray, tsu: np.ndarray) -> np.ndarray:
    """The first row of each run of rows with one group and one time."""
    run_start = new_group.copy()
    run_start[1:] |= tsu[1:] != tsu[:-1]
    return np.flatnonzero(run_start)


def _run_ends(starts: np.ndarray, rows: int) -> np.ndarray:
    """For each of ``rows`` rows, one past the last row of its run (runs start at ``starts``,
    the first at 0)."""
    ends = np.append(starts[1:], rows)
    return np.repeat(ends, ends - starts)


def _event_order(event_ids: pa.ChunkedArray, new_group: np.ndarray, tsu: np.ndarray) -> np.ndarray | None:
    """The row order that sorts each run of rows with one group and one time by ``event_id``
    (the stream is sorted by group and time only: a sort key fewer for the engine); None
    when no two rows of a group share a time."""
    tie = np.zeros(len(tsu), dtype=bool)  # same group and time as the row before
    tie[1:] = ~new_group[1:] & (tsu[1:] == tsu[:-1])
    in_run = tie.copy()
    in_run[:-1] |= tie[1:]
    rows = np.flatnonzero(in_run)
    if not len(rows):
        return None
    runs = pa.table({"run": np.cumsum(~tie)[rows], "id": event_ids.take(pa.array(rows))})
    order = np.arange(len(tsu))
    order[rows] = rows[pc.sort_indices(runs, [("run", "ascending"), ("id", "ascending")]).to_numpy()]
    return order


def _attributed(defn: FunnelDefinition, table: pa.Table, order: np.ndarray | None, units: np.ndarray,
                rows_of: list[np.ndarray], reached: list[np.ndarray]) -> pa.Array:
    """Each unit's breakdown value (``funnel.sql._attribution_sql``): ``rows_of`` are rows in
    event order, the ``order``-th rows of ``table``."""
    b = defn.breakdown
    if b is None:
        return pa.nulls(len(units), pa.string())
    values = table.column("bv").combine_chunks()
    if order is not None:
        rows_of = [order[r.clip(0)] for r in rows_of]
    if b.attribution in ("all_steps", "first_touch"):
        source = rows_of[0]
        value = values.take(pa.array(source))
    else:
        if b.attribution == "step":
            k = b.step - 1  # type: ignore[operator]
            source, hit = rows_of[k], reached[k]
        else:  # last_touch: the furthest required step reached
            source, hit = rows_of[0].copy(), np.ones(len(units), dtype=bool)
            for k in defn.required:
                source = np.where(reached[k], rows_of[k], source)
        value = values.take(pa.array(np.where(hit, source, 0), mask=~hit))
    return value if b.attribution == "all_steps" else pc.coalesce(value, pa.scalar(NONE))
