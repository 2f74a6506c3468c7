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
per step crosses that step's rows (listed per step in one pass over a part) at most
once; and once an attempt finds no row of step k, no later attempt of the customer gets
further than step k−1, so its attempts stop there. Imported only for layouts of at least
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
from voronka.funnel.layout import OutOfOrder
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
def _step_rows(e, code_start, code_steps, n):  # pragma: no cover (compiled)
    """Per step, the rows of its names in stored order, as one array cut at ``start[k]``:
    step k's rows are ``rows[start[k]:start[k + 1]]``. ``code_start``/``code_steps``: per
    name code ``c``, the steps it fills are ``code_steps[code_start[c]:code_start[c + 1]]``."""
    start = np.zeros(n + 1, np.int64)
    for i in range(len(e)):
        c = e[i]
        for j in range(code_start[c], code_start[c + 1]):
            start[code_steps[j] + 1] += 1
    for k in range(n):
        start[k + 1] += start[k]
    fill = start[:n].copy()
    rows = np.empty(start[n], np.int32)
    for i in range(len(e)):
        c = e[i]
        for j in range(code_start[c], code_start[c + 1]):
            k = code_steps[j]
            rows[fill[k]] = i
            fill[k] += 1
    return start, rows


@nb.njit(cache=True, nogil=True)
def _increasing(o):  # pragma: no cover (compiled)
    """Whether the stored positions ``o`` increase."""
    for i in range(1, len(o)):
        if o[i] <= o[i - 1]:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _unit_count(cust, tsu, period, starts, lo, hi):  # pragma: no cover (compiled)
    """The number of units the attempts at rows ``starts`` make: of those inside the range
    ``[lo, hi)``, one per run of equal customer and period."""
    units = 0
    last_c = -1
    last_p = 0
    for a in starts:
        t0 = tsu[a]
        if t0 < lo or (hi != _NONE_US and t0 >= hi):
            continue
        if units == 0 or cust[a] != last_c or period[a] != last_p:
            units += 1
            last_c = cust[a]
            last_p = period[a]
    return units


@nb.njit(cache=True, nogil=True)
def _units(cust, tsu, e, code_start, code_steps, period, n, strict, window, gaps, lo, hi,
           as_of):  # pragma: no cover (compiled)
    """Per unit (customer, or customer and period): the row of each step reached (−1 past
    its level), the steps' times (``_NONE_US`` past its level; one row per step), its level
    and whether it is in progress; and whether a customer's periods ever went back (then
    its units of one period are not together: ``PeriodsBack``). ``e``: each row's name
    code, ``code_start``/``code_steps`` the steps each code fills (``_step_rows``);
    ``period``: each row's cohort period (all 0 without cohorts); ``window``, ``gaps[k]``
    (``max_from_previous`` of step k) and the range ``[lo, hi)`` of step 1's time in
    microseconds, ``_NONE_US`` for none.

    Each step's pointer moves forward over its own rows only (``_step_rows``), so a
    customer costs its rows once plus, per attempt, the steps it reaches."""
    start, listed = _step_rows(e, code_start, code_steps, n)
    count = _unit_count(cust, tsu, period, listed[start[0]:start[1]], lo, hi)
    at = np.full((count, n), -1, np.int64)
    times = np.full((n, count), _NONE_US, np.int64)
    level = np.zeros(count, np.int32)
    open_ = np.zeros(count, np.bool_)
    pointer = start[:n].copy()
    chain = np.empty(n, np.int64)
    backwards = False  # a customer's periods went back (a zone's clock turned back over midnight)
    unit = -1
    c = -1
    current = 0  # the unit's period
    best = 0
    cap = n  # the customer's highest level left: an attempt found no row of step cap+1 after its step cap
    for i in range(start[0], start[1]):
        a = listed[i]
        t0 = tsu[a]
        if t0 < lo or (hi != _NONE_US and t0 >= hi):
            continue
        if unit < 0 or cust[a] != c or period[a] != current:
            if unit >= 0 and cust[a] == c:
                backwards |= period[a] < current
            else:
                cap = n
            unit += 1
            c = cust[a]
            current = period[a]
            best = 0
        if window != _NONE_US and t0 + window > as_of:
            open_[unit] = True
        if best == cap:  # a later attempt's rows come no earlier: none reaches further
            continue
        chain[0] = a
        reached = 1
        prev = a
        for k in range(1, n):
            p = pointer[k]
            limit = start[k + 1]
            if strict:  # the first row of step k after prev's, at a later time, of the same customer
                while p < limit and (listed[p] <= prev or (cust[listed[p]] == c and tsu[listed[p]] <= tsu[prev])):
                    p += 1
            else:
                while p < limit and listed[p] <= prev:
                    p += 1
            pointer[k] = p
            if p == limit or cust[listed[p]] != c:
                cap = k
                break
            r = listed[p]
            if window != _NONE_US and tsu[r] - t0 > window:
                break
            if gaps[k] != _NONE_US and tsu[r] - tsu[prev] > gaps[k]:
                break
            chain[k] = r
            reached += 1
            prev = r
        if reached > best:
            best = reached
            level[unit] = reached
            for k in range(n):
                if k < reached:
                    at[unit, k] = chain[k]
                    times[k, unit] = tsu[chain[k]]
                else:
                    at[unit, k] = -1
                    times[k, unit] = _NONE_US
    return at, times, level, open_, backwards


class PeriodsBack(Exception):
    """A customer's cohort periods went back in time order (the caller falls back)."""


@nb.njit(cache=True, nogil=True)
def _unordered_units(cust, tsu, e, code_start, code_steps, period, n, window, lo, hi,
                     as_of):  # pragma: no cover (compiled)
    """``_units`` for an unordered funnel: per unit its attempt's first row, the steps'
    times sorted (``_NONE_US`` past its level; one row per step), its level, whether it is
    in progress, and whether periods went back. An attempt starts at every row of any
    step; a step's time is its first row from the first row of the attempt's time on,
    kept inside the window."""
    start, listed = _step_rows(e, code_start, code_steps, n)
    rows = len(cust)
    any_step = np.empty(rows, np.int32)
    attempts = 0
    for i in range(rows):
        if code_start[e[i] + 1] > code_start[e[i]]:
            any_step[attempts] = i
            attempts += 1
    count = _unit_count(cust, tsu, period, any_step[:attempts], lo, hi)
    at = np.empty(count, np.int64)
    times = np.full((n, count), _NONE_US, np.int64)
    level = np.zeros(count, np.int32)
    open_ = np.zeros(count, np.bool_)
    pointer = start[:n].copy()
    found = np.empty(n, np.int64)
    backwards = False
    unit = -1
    c = -1
    current = 0
    best = 0
    cap = n  # the steps of which the customer has rows left
    run = 0  # the first row of the attempt's time
    for a in range(rows):
        if a == 0 or cust[a] != cust[a - 1] or tsu[a] != tsu[a - 1]:
            run = a
        if code_start[e[a] + 1] == code_start[e[a]]:
            continue
        t0 = tsu[a]
        if t0 < lo or (hi != _NONE_US and t0 >= hi):
            continue
        if unit < 0 or cust[a] != c or period[a] != current:
            if unit >= 0 and cust[a] == c:
                backwards |= period[a] < current
            else:
                cap = n
            unit += 1
            c = cust[a]
            current = period[a]
            best = 0
        if window != _NONE_US and t0 + window > as_of:
            open_[unit] = True
        if best == cap:  # no later attempt finds a step this one found none of
            continue
        reached = 0
        left = 0
        for k in range(n):
            p = pointer[k]
            limit = start[k + 1]
            while p < limit and listed[p] < run:
                p += 1
            pointer[k] = p
            if p < limit and cust[listed[p]] == c:
                left += 1
                if window == _NONE_US or tsu[listed[p]] - t0 <= window:
                    found[reached] = tsu[listed[p]]
                    reached += 1
        cap = left
        if reached > best:
            best = reached
            level[unit] = reached
            at[unit] = a
            found[:reached].sort()
            for k in range(n):
                times[k, unit] = found[k] if k < reached else _NONE_US
    return at, times, level, open_, backwards


def units_table(defn: FunnelDefinition, parts: Iterable[pa.Table], masks: np.ndarray, as_of: dt.datetime,
                ids: Callable[[pa.Array], pa.Array]) -> pa.Table:
    """The per-unit table of ``funnel.sql.units_sql`` from the layout's rows in parts of
    whole customers (``funnel.layout.parts`` with ``codes``: name codes and stored
    positions, no flags), two parts at a time on worker threads. ``masks``: the rule flags
    of each name code (``funnel.layout.name_masks``). Raises ``layout.OutOfOrder`` when
    the stored positions do not increase."""
    code_start, code_steps = _code_steps(masks[:, 0] if masks.size else np.zeros(1, np.uint64), len(defn.steps))
    futures: list[Future[tuple[pa.Table, int, int]]] = []
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for part in parts:  # at most two parts in flight while the next is fetched
            while sum(not f.done() for f in futures) >= _WORKERS:
                wait(futures, return_when=FIRST_COMPLETED)
            futures.append(pool.submit(_part_units, defn, part, code_start, code_steps, epoch_micros(as_of)))
        results = [f.result() for f in futures]
    last = -1
    for _, first_o, last_o in results:  # each part's positions increase; and from one part to the next
        if last_o < 0:
            continue
        if first_o <= last:
            raise OutOfOrder
        last = last_o
    tables = [t for t, _, _ in results if t.num_rows]
    schema = units_schema(defn)
    if not tables:
        return schema.empty_table()
    units = pa.concat_tables(tables)
    return units.set_column(0, "customer_id", ids(units.column("customer_id").combine_chunks())).cast(schema)


def _code_steps(masks: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per name code, the steps whose flag its mask sets, as ``_step_rows`` takes them."""
    steps = [[k for k in range(n) if int(m) >> k & 1] for m in masks]
    start = np.zeros(len(steps) + 1, np.int64)
    start[1:] = np.cumsum([len(s) for s in steps])
    return start, np.array([k for s in steps for k in s], np.int64)


def _part_units(defn: FunnelDefinition, part: pa.Table, code_start: np.ndarray, code_steps: np.ndarray,
                as_of_us: int) -> tuple[pa.Table, int, int]:
    """The units of one part, and its first and last stored positions (``OutOfOrder``
    when they do not increase inside it)."""
    n = len(defn.steps)
    if not part.num_rows:
        return units_schema(defn).empty_table(), _NONE_US, -1
    last = -1
    for chunk in part.column("o").chunks:  # each chunk's positions increase, and from one to the next
        o = chunk.to_numpy()
        if len(o) and (o[0] <= last or not _increasing(o)):
            raise OutOfOrder
        last = int(o[-1]) if len(o) else last
    cust, tsu, e = (_numpy(part.column(name)) for name in ("customer_id", "tsu", "e"))
    period = (_numpy(pc.fill_null(part.column("period").cast(pa.int32()), -2)) if defn.cohort
              else _read_only(np.zeros(len(cust), np.int32)))
    gaps = np.array([micros(s.max_from_previous) if s.max_from_previous is not None else _NONE_US
                     for s in defn.steps], np.int64)
    lo, hi = range_bounds(defn)
    window = micros(defn.window) if defn.window is not None else _NONE_US
    bounds = (epoch_micros(lo) if lo else -_NONE_US, epoch_micros(hi) if hi else _NONE_US, as_of_us)
    if defn.order == "unordered":
        first, found, level, open_, backwards = _unordered_units(cust, tsu, e, code_start, code_steps, period, n,
                                                                 window, *bounds)
        at = first[:, None]
    else:
        at, found, level, open_, backwards = _units(cust, tsu, e, code_start, code_steps, period, n,
                                                    defn.ties == "strict", window, gaps, *bounds)
        first = at[:, 0]
    if backwards:
        raise PeriodsBack
    times = {f"t{k}": _timestamps(found[k]) for k in range(n)}
    return pa.table({
        "customer_id": pa.array(cust[first]),
        "breakdown": _attributed(defn, part, at, level),
        "period": part.column("period").take(pa.array(first)) if defn.cohort else pa.nulls(len(first), pa.date32()),
        "level": pa.array(level),
        **times,
        "in_progress": pa.array(open_),
    }), int(part.column("o")[0].as_py()), last


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    """A column without nulls as one read-only NumPy array (its chunks copied once, side by side)."""
    chunks = column.chunks
    return _read_only(chunks[0].to_numpy() if len(chunks) == 1 else np.concatenate([c.to_numpy() for c in chunks]))


def _read_only(array: np.ndarray) -> np.ndarray:
    """``array``, read-only: Numba compiles a function once per kind of array, and a column
    taken from Arrow without a copy is read-only, so every input is made so (else a part
    of one chunk would compile the kernel anew, seconds, inside a funnel)."""
    array.flags.writeable = False
    return array


def _timestamps(us: np.ndarray) -> pa.Array:
    """Microseconds as timestamps, ``_NONE_US`` as null (the buffers themselves: no copy)."""
    valid = np.packbits(us != _NONE_US, bitorder="little")
    return pa.Array.from_buffers(pa.timestamp("us"), len(us), [pa.py_buffer(valid), pa.py_buffer(us)])


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
                     "e": pa.array([0], pa.int32()), "o": pa.array([0], pa.int64())})
    for order in ("ordered", "unordered"):
        defn = FunnelDefinition(steps=(Step(key="a", rule=StepRule(events=("a",))),), order=order, ties="strict")
        _part_units(defn, part, *_code_steps(np.ones(1, np.uint64), 1), 0)
