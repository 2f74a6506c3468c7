"""This period against the previous one: which transitions (and segments) changed
significantly. Definitions: ``docs/diagnose.md``, *Changes*.

The **current period** is the funnel's ``date_from``..``date_to`` (both inclusive, local
dates), or the ``days`` days ending on ``date_to`` when only it is given, else on the day
of ``as_of`` (default: the latest event), or with a window, on the day of
``as_of − window``, so that the period's attempts are settled (``weak_links.counts``:
only units whose window has closed are compared).
The **previous period** has the same number of days and ends the day before the current
one starts. The funnel is computed for each (attempts that start in the period count;
later steps may fall after it), every transition's and segment's rate (weak-links
trials and successes) is compared with the previous period's by ``proportion_test``,
and Benjamini–Hochberg runs over all those tests. A change is **significant** when
q ≤ α; ``change`` is the difference of the rates (current − previous).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from voronka.diagnose.weak_links import counts, transitions
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.funnel import (
    FunnelDefinition,
    FunnelResult,
    compute_funnel,
)
from voronka.loop.occasions import local_date
from voronka.source import latest_event
from voronka.stats import benjamini_hochberg, proportion_test

CHANGES_SCHEMA = pa.schema([
    ("transition", pa.int64()), ("from_key", pa.string()), ("to_key", pa.string()), ("label", pa.string()),
    ("segment", pa.string()), ("previous_trials", pa.int64()), ("previous_rate", pa.float64()),
    ("trials", pa.int64()), ("rate", pa.float64()), ("change", pa.float64()), ("method", pa.string()),
    ("p", pa.float64()), ("q", pa.float64()), ("significant", pa.bool_()),
])


@dataclass(frozen=True)
class Changes:
    """``table`` (``CHANGES_SCHEMA``; ``segment`` null: all units) and the two periods."""

    table: pa.Table
    current: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]
    alpha: float

    def significant(self) -> list[dict]:
        """The significant changes, largest first (by |change|)."""
        return sorted((r for r in self.table.to_pylist() if r["significant"]), key=lambda r: -abs(r["change"]))


def periods(definition: FunnelDefinition, as_of: dt.datetime, days: int | None = None
            ) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """(current, previous) periods as inclusive (first day, last day) pairs (module docstring)."""
    if definition.date_from and definition.date_to:
        start, end = definition.date_from, definition.date_to
    elif days is not None and days >= 1:
        settled = as_of - definition.window if definition.window else as_of
        end = definition.date_to or local_date(settled, definition.timezone)
        start = end - dt.timedelta(days=days - 1)
    else:
        raise DefinitionError("give the period: a length (e.g. 30d) or both --from and --to", field="compare_previous")
    length = (end - start).days + 1
    previous_end = start - dt.timedelta(days=1)
    return (start, end), (previous_end - dt.timedelta(days=length - 1), previous_end)


def compare_periods(current: FunnelResult, previous: FunnelResult, *, alpha: float = 0.05) -> pa.Table:
    """The changes table of two results of one funnel (pure)."""
    now, before = counts(current), counts(previous)
    rows = []
    for t in transitions(current.definition):
        for segment in now:
            n, x = now[segment][t.number - 1]
            pn, px = before.get(segment, [(0, 0)] * t.number)[t.number - 1]
            test = proportion_test(x, n, px, pn) if n and pn else None
            rate, previous_rate = (x / n if n else None), (px / pn if pn else None)
            rows.append({
                "transition": t.number, "from_key": t.from_key, "to_key": t.to_key, "label": t.label,
                "segment": segment, "previous_trials": pn, "previous_rate": previous_rate, "trials": n,
                "rate": rate, "change": rate - previous_rate if test else None,
                "method": test.method if test else None, "p": test.p if test else None, "q": None,
            })
    rows.sort(key=lambda r: (r["segment"] is not None, r["transition"]))
    tested = [r for r in rows if r["p"] is not None]
    for r, q in zip(tested, benjamini_hochberg([r["p"] for r in tested])):
        r["q"] = q
    for r in rows:
        r["significant"] = r["q"] is not None and r["q"] <= alpha
    return pa.Table.from_pylist(rows, schema=CHANGES_SCHEMA)


def period_changes(engine: Engine, definition: FunnelDefinition, *, days: int | None = None, alpha: float = 0.05,
                   events: str | None = None, aliases: str | None = "aliases") -> Changes:
    """Compute the funnel for the current and the previous period and compare them."""
    as_of = definition.as_of or latest_event(engine, events)
    current, previous = periods(definition, as_of, days)
    fixed = {"as_of": as_of, "cohort": None}  # periods are the comparison here, not segments
    now = compute_funnel(engine, definition.model_copy(update={**fixed, "date_from": current[0], "date_to": current[1]}),
                         events=events, aliases=aliases)
    before = compute_funnel(engine, definition.model_copy(
        update={**fixed, "date_from": previous[0], "date_to": previous[1]}), events=events, aliases=aliases)
    return Changes(compare_periods(now, before, alpha=alpha), current, previous, alpha)
