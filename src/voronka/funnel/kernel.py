"""The units of a plain ordered funnel, compiled per customer (Numba), from the funnel layout.

The fast path of ``compute_funnel`` on a store whose funnel layout is current
(``funnel.layout``) for the funnels ``serves`` accepts: ordered steps, all required,
``ties`` ``strict`` or ``allow``, or unordered steps; no exclusions, counting customers,
no sequential scan, no repeat-purchase count, at most 64 steps; a breakdown by channel
attributed to the first touch, the last touch or a step; cohort periods. The layout gives each customer's rows in
event order, so one pass per customer computes the definition of docs/funnels.md:

* every row of step 1 inside the date range starts an attempt; step k's row is the first
  row of step k after step k−1's row (at a strictly later time for ``ties: strict``),
  kept if it lies inside the window from step 1 and the step's ``max_from_previous``;
* unordered: every row of any step starts an attempt; each step's time is its first row
  from the first row of the attempt's time on, inside the window; the times are sorted;
* the unit of a customer (and cohort period) is its attempt with the highest level,
  earliest first; it is in progress when any of its attempts' windows is still open.

The search for step k's row only moves forward: attempts are taken in order, and the
row each reaches at step k−1 never comes before the previous attempt's, so one pointer
per step crosses a customer's rows at most once. Imported only for layouts of at least
``MIN_ROWS`` rows (``compute_funnel``): compiling costs seconds on first use, after which
Numba's cache (``cache=True``) keeps the machine code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from voronka.duration import epoch_micros, micros
from voronka.funnel.chains import units_schema
from voronka.funnel.definition import NONE, FunnelDefinition
from voronka.funnel.outcomes import range_bounds
from voronka.funnel.sql import reader_counts

_NONE_US = np.iinfo(np.int64).max  # no window, no max_from_previous, no range bound
_WORKERS = 2


def serves(defn: FunnelDefinition) -> bool:
    """Whether the kernel computes ``defn`` (the module docstring's funnels)."""
    b = defn.breakdown
    ordered = defn.order == "ordered" and defn.ties in ("strict", "allow")
    return ((ordered or defn.order == "unordered") and not defn.exclusions and defn.scan != "posthog"
            and defn.required == list(range(len(defn.steps))) and not defn.scans and defn.counting == "customers"
            and not reader_counts(defn) and len(defn.rules) <= 64
            and (b is None or b.attribution in ("first_touch", "last_touch", "step")))


@nb.njit(cache=True, nogil=True)
def _units(cust, tsu, flags, period, n, strict, window, gaps, lo, hi, as_of):  # pragma: no cover (compiled)
    """Per unit (customer, or customer and period): the row of each step reached (−1 past
    its level), its level and whether it is in progress; and whether a customer's periods
    ever went back (then its units of one period are not together: ``PeriodsBack``). ``flags``: the step bits of each
    row; ``period``: each row's cohort period (all 0 without cohorts); ``window``,
    ``gaps[k]`` (``max_from_previous`` of step k) and the range ``[lo, hi)`` of step 1's
    time in microseconds, ``_NONE_US`` for none."""
    rows = len(cust)
    starts = 0
    for i in range(rows):
        if flags[i] & 1:
            starts += 1
    at = np.full((starts, n), -1, np.int64)
    level = np.zeros(starts, np.int32)
    open_ = np.zeros(starts, np.bool_)
    units = 0
    pointer = np.empty(n, np.int64)
    chain = np.empty(n, np.int64)
    backwards = False  # a customer's periods went back (a zone's clock turned back over midnight)
    g = 0
    while g < rows:
        end = g
        while end < rows and cust[end] == cust[g]:
            end += 1
        for k in range(n):
            pointer[k] = g
        best = 0
        started = False  # the customer's first unit
        current = 0  # its period
        for a in range(g, end):
            if not flags[a] & 1:
                continue
            t0 = tsu[a]
            if t0 < lo or (hi != _NONE_US and t0 >= hi):
                continue
            if not started or period[a] != current:
                if started:
                    units += 1
                    backwards |= period[a] < current
                started = True
                current = period[a]
                best = 0
                open_[units] = False
            if window != _NONE_US and t0 + window > as_of:
                open_[units] = True
            if best == n:
                continue
            chain[0] = a
            reached = 1
            prev = a
            for k in range(1, n):
                bit = np.uint64(1) << np.uint64(k)
                r = pointer[k]
                if strict:
                    while r < end and not (flags[r] & bit and tsu[r] > tsu[prev]):
                        r += 1
                else:
                    if r <= prev:
                        r = prev + 1
                    while r < end and not flags[r] & bit:
                        r += 1
                pointer[k] = r
                if r == end:
                    break
                if window != _NONE_US and tsu[r] - t0 > window:
                    break
                if gaps[k] != _NONE_US and tsu[r] - tsu[prev] > gaps[k]:
                    break
                chain[k] = r
                reached += 1
                prev = r
            if reached > best:
                best = reached
                level[units] = reached
                for k in range(n):
                    at[units, k] = chain[k] if k < reached else -1
        if started:
            units += 1
        g = end
    return at[:units], level[:units], open_[:units], backwards


class PeriodsBack(Exception):
    """A customer's cohort periods went back in time order (the caller falls back)."""


@nb.njit(cache=True, nogil=True)
def _unordered_units(cust, tsu, flags, period, n, window, lo, hi, as_of):  # pragma: no cover (compiled)
    """``_units`` for an unordered funnel: per unit its attempt's first row, the steps'
    times sorted (``_NONE_US`` past its level), its level, whether it is in progress, and
    whether periods went back. An attempt starts at every row of any step; a step's time
    is its first row from the first row of the attempt's time on, kept inside the window."""
    rows = len(cust)
    at = np.empty(rows, np.int64)
    times = np.full((rows, n), _NONE_US, np.int64)
    level = np.zeros(rows, np.int32)
    open_ = np.zeros(rows, np.bool_)
    units = 0
    pointer = np.empty(n, np.int64)
    found = np.empty(n, np.int64)
    backwards = False
    g = 0
    while g < rows:
        end = g
        while end < rows and cust[end] == cust[g]:
            end += 1
        for k in range(n):
            pointer[k] = g
        best = 0
        started = False
        current = 0
        run = g  # the first row of the attempt's time
        for a in range(g, end):
            if a > g and tsu[a] != tsu[a - 1]:
                run = a
            if flags[a] == 0:
                continue
            t0 = tsu[a]
            if t0 < lo or (hi != _NONE_US and t0 >= hi):
                continue
            if not started or period[a] != current:
                if started:
                    units += 1
                    backwards |= period[a] < current
                started = True
                current = period[a]
                best = 0
                open_[units] = False
            if window != _NONE_US and t0 + window > as_of:
                open_[units] = True
            if best == n:
                continue
            reached = 0
            for k in range(n):
                bit = np.uint64(1) << np.uint64(k)
                r = pointer[k]
                if r < run:
                    r = run
                while r < end and not flags[r] & bit:
                    r += 1
                pointer[k] = r
                if r < end and (window == _NONE_US or tsu[r] - t0 <= window):
                    found[reached] = tsu[r]
                    reached += 1
            if reached > best:
                best = reached
                level[units] = reached
                at[units] = a
                found[:reached].sort()
                for k in range(n):
                    times[units, k] = found[k] if k < reached else _NONE_US
        if started:
            units += 1
        g = end
    return at[:units], times[:units], level[:units], open_[:units], backwards


def units_table(defn: FunnelDefinition, parts: Iterable[pa.Table], as_of: dt.datetime,
                ids: Callable[[pa.Array], pa.Array]) -> pa.Table:
    """The per-unit table of ``funnel.sql.units_sql`` from the layout's rows in parts of
    whole customers (``funnel.layout.parts``), two parts at a time on worker threads."""
    futures: list[Future[pa.Table]] = []
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for part in parts:  # at most two parts in flight while the next is fetched
            while sum(not f.done() for f in futures) >= _WORKERS:
                wait(futures, return_when=FIRST_COMPLETED)
            futures.append(pool.submit(_part_units, defn, part, epoch_micros(as_of)))
        tables = [t for t in (f.result() for f in futures) if t.num_rows]
    schema = units_schema(defn)
    if not tables:
        return schema.empty_table()
    units = pa.concat_tables(tables)
    return units.set_column(0, "customer_id", ids(units.column("customer_id").combine_chunks())).cast(schema)


def _part_units(defn: FunnelDefinition, part: pa.Table, as_of_us: int) -> pa.Table:
    n = len(defn.steps)
    part = part.combine_chunks()
    cust = part.column("customer_id").to_numpy()
    tsu = part.column("tsu").to_numpy()
    flags = part.column("f0").to_numpy().astype(np.uint64)
    period = (pc.fill_null(part.column("period").cast(pa.int32()), -2).to_numpy() if defn.cohort
              else np.zeros(len(cust), np.int32))
    gaps = np.array([micros(s.max_from_previous) if s.max_from_previous is not None else _NONE_US
                     for s in defn.steps], np.int64)
    lo, hi = range_bounds(defn)
    window = micros(defn.window) if defn.window is not None else _NONE_US
    bounds = (epoch_micros(lo) if lo else -_NONE_US, epoch_micros(hi) if hi else _NONE_US, as_of_us)
    if defn.order == "unordered":
        first, found, level, open_, backwards = _unordered_units(cust, tsu, flags, period, n, window, *bounds)
        at = first[:, None]
    else:
        at, level, open_, backwards = _units(cust, tsu, flags, period, n, defn.ties == "strict", window, gaps,
                                             *bounds)
        first = at[:, 0]
        found = np.where(at >= 0, tsu[at], _NONE_US)
    if backwards:
        raise PeriodsBack
    times = {f"t{k}": pa.array(found[:, k], mask=found[:, k] == _NONE_US).cast(pa.timestamp("us")) for k in range(n)}
    return pa.table({
        "customer_id": pa.array(cust[first]),
        "breakdown": _attributed(defn, part, at, level),
        "period": part.column("period").take(pa.array(first)) if defn.cohort else pa.nulls(len(first), pa.date32()),
        "level": pa.array(level),
        **times,
        "in_progress": pa.array(open_),
    })


def _attributed(defn: FunnelDefinition, part: pa.Table, at: np.ndarray, level: np.ndarray) -> pa.Array:
    """Each unit's breakdown value: its first touch's, last touch's (the furthest step
    reached) or step's (none when not reached). ``at``: the rows of the steps reached (of
    an unordered funnel: its first row only, the one first touch reads)."""
    b = defn.breakdown
    if b is None:
        return pa.nulls(len(level), pa.string())
    if b.attribution == "first_touch":
        rows = at[:, 0]
    elif b.attribution == "last_touch":
        rows = at[np.arange(len(level)), level - 1]
    else:
        rows = at[:, b.step - 1]  # type: ignore[operator]
    value = part.column("bv").take(pa.array(np.maximum(rows, 0), mask=rows < 0))
    return pc.coalesce(value, pa.scalar(NONE))


def warm() -> None:
    """Load the compiled functions (from Numba's cache, or compile them) ahead of a first
    funnel: an ordered and an unordered one-step funnel over one row of a part."""
    from voronka.funnel.definition import Step
    from voronka.rules import StepRule

    part = pa.table({"customer_id": pa.array([0], pa.int32()), "tsu": pa.array([0], pa.int64()),
                     "f0": pa.array([1], pa.uint8())})
    for order in ("ordered", "unordered"):
        defn = FunnelDefinition(steps=(Step(key="a", rule=StepRule(events=("a",))),), order=order, ties="strict")
        _part_units(defn, part, 0)
