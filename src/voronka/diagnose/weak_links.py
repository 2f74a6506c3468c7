"""Weak links: where a funnel loses customers, per transition and per segment, with the
test behind every flag and what each loss costs. Definitions: ``docs/diagnose.md``.

* A **transition** joins two consecutive required steps k → q of a funnel (optional steps
  are skipped; in an unordered funnel, "k of n steps" → "k+1 of n").
* Its **trials** are the *settled* units that reached k, its **successes** the settled
  units that reached q. A unit is settled when the funnel has no window, or when its
  counted attempt's window has closed by ``as_of``: an attempt still inside its window
  could convert yet, and counting only the converters among those would bias recent
  segments up (counting them all as lost would bias them down). Without a window, every
  unit is settled and the rate equals the funnel's conversion from previous.
  **Rate** = successes / trials, with a Wilson interval.
* A **segment cell** (one breakdown value at one transition) is tested against the rest
  of that transition (all other values pooled); a **transition** (all units) against each
  neighbouring transition (the one before and the one after; p is the larger of the two
  p-values: it must be worse than both). Every test of one analysis is one family for
  Benjamini–Hochberg. A cell is **flagged** when q ≤ α and its rate is below the reference.
* **Customers lost** = trials × (reference rate − rate). Each is worth **onward** =
  the product of the overall rates of the transitions from q up to the value step (1 when
  q is the value step, 0 after it): **buyers lost** = customers lost × onward, and with an
  average revenue per buyer, **value lost** = buyers lost × revenue per buyer. Flagged
  cells are ranked by buyers lost (equivalently value lost), then customers lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import pyarrow as pa
import pyarrow.compute as pc

from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.funnel import FunnelDefinition, FunnelResult
from voronka.funnel.definition import OTHER
from voronka.source import event_sources
from voronka.sql import resolved_events, rule_predicate
from voronka.stats import benjamini_hochberg, proportion_test, wilson_interval

CELLS_SCHEMA = pa.schema([
    ("transition", pa.int64()), ("from_key", pa.string()), ("to_key", pa.string()), ("label", pa.string()),
    ("segment", pa.string()), ("trials", pa.int64()), ("successes", pa.int64()), ("rate", pa.float64()),
    ("ci_low", pa.float64()), ("ci_high", pa.float64()), ("reference_rate", pa.float64()),
    ("method", pa.string()), ("p", pa.float64()), ("q", pa.float64()), ("flagged", pa.bool_()),
    ("customers_lost", pa.float64()), ("buyers_lost", pa.float64()), ("value_lost", pa.float64()),
    ("rank", pa.int64()),
])
"""One row per transition (``segment`` null: all units) and per segment × transition."""


@dataclass(frozen=True)
class Transition:
    """Required step ``k`` → the next required step ``q`` (0-based indices)."""

    number: int
    k: int
    q: int
    from_key: str
    to_key: str
    label: str


@dataclass(frozen=True)
class Revenue:
    """Average revenue per buyer (``None`` when unknown) and its currency."""

    per_buyer: float | None
    currency: str | None = None


@dataclass(frozen=True)
class WeakLinks:
    """``cells`` (schema ``CELLS_SCHEMA``, transitions first, then segments by transition),
    the significance level, the value step, the revenue per buyer used, and what the
    segments are (the breakdown field, ``period`` for cohorts, or None)."""

    cells: pa.Table
    alpha: float
    value_step: str
    revenue: Revenue
    breakdown: str | None

    def flagged(self) -> list[dict]:
        """The flagged rows, most costly first."""
        rows = [r for r in self.cells.to_pylist() if r["flagged"]]
        return sorted(rows, key=lambda r: r["rank"])


def transitions(definition: FunnelDefinition) -> list[Transition]:
    """The funnel's transitions between consecutive required steps, in order."""
    steps = definition.steps
    idx = list(range(len(steps))) if definition.order == "unordered" else definition.required
    return [
        Transition(i + 1, k, q, steps[k].key, steps[q].key, f"{steps[k].title} → {steps[q].title}")
        for i, (k, q) in enumerate(pairwise(idx))
    ]


def value_step_index(definition: FunnelDefinition, value_step: str | int | None = None) -> int:
    """The 0-based step at which a customer becomes a buyer: ``value_step`` (key or 1-based
    number), else the first step whose rule names the event ``purchase``, else the last step."""
    keys = [s.key for s in definition.steps]
    if value_step is None:
        return next((i for i, s in enumerate(definition.steps) if "purchase" in s.rule.events), len(keys) - 1)
    if isinstance(value_step, int) or str(value_step).isdigit():
        i = int(value_step) - 1
        if 0 <= i < len(keys):
            return i
    elif value_step in keys:
        return keys.index(value_step)
    raise DefinitionError(f"no step {value_step!r}; the steps are {', '.join(keys)}", field="value_step")


def counts(result: FunnelResult) -> dict[str | None, list[tuple[int, int]]]:
    """Per segment (``None``: all units) the (trials, successes) of each transition, over the
    settled units: with a window, those whose counted attempt's window has closed by
    ``as_of`` (step 1 at or before ``as_of − window``); without one, every unit.

    Segments: the breakdown values (those of the steps table; the rest is ``(other)``), or
    without a breakdown but with a ``cohort``, the cohort periods (first day, ISO text)."""
    definition = result.definition
    if definition.breakdown is not None and definition.breakdown.attribution == "all_steps":
        raise DefinitionError("weak links need one value per customer: attribute the breakdown by "
                              "first_touch, last_touch or step, not all_steps", field="breakdown")
    units = result.units
    if definition.window is not None:
        units = units.filter(pc.less_equal(units["t1"], pa.scalar(result.as_of - definition.window, units["t1"].type)))
    trans = transitions(definition)
    reached = {f"r{k}": pc.cast(pc.is_valid(units[f"t{k + 1}"]), pa.int64())
               for k in sorted({t.k for t in trans} | {t.q for t in trans})}

    def tally(table: pa.Table) -> list[tuple[int, int]]:
        return [(pc.sum(table[f"r{t.k}"]).as_py() or 0, pc.sum(table[f"r{t.q}"]).as_py() or 0) for t in trans]

    flags = pa.table(reached)
    out: dict[str | None, list[tuple[int, int]]] = {None: tally(flags)}
    if definition.breakdown is not None:
        shown = [v for v in dict.fromkeys(result.steps.column("breakdown").to_pylist()) if v is not None]
        segment = pc.if_else(pc.is_in(units["breakdown"], value_set=pa.array(shown, pa.string())),
                             units["breakdown"], pa.scalar(OTHER))
    elif definition.cohort is not None:
        segment = pc.cast(units["period"], pa.string())
        shown = sorted(v for v in set(segment.to_pylist()) if v is not None)
    else:
        return out
    for value in shown:
        out[value] = tally(flags.filter(pc.equal(segment, value)))
    return out


@dataclass(frozen=True)
class MeasuredRates:
    """A funnel's numbers for ``voronka.plan``: units at the first required step (settled),
    the overall rate of each transition, the stage keys, and the value stage (1-based)."""

    entrants: int
    rates: list[float]
    stages: list[str]
    value_stage: int

    def up_to_value(self) -> tuple[list[float], list[str]]:
        """The rates and stages from the first stage to the value stage (for a sales plan)."""
        return self.rates[: self.value_stage - 1], self.stages[: self.value_stage]


def measured_rates(result: FunnelResult, value_step: str | int | None = None) -> MeasuredRates:
    """The overall weak-links rates of ``result`` (``counts``); a ``DefinitionError`` when a
    stage has no customers, since a plan cannot divide by a zero rate."""
    definition = result.definition
    trans = transitions(definition)
    if not trans:
        raise DefinitionError("a funnel needs two required steps to have a transition", field="steps")
    overall = counts(result)[None]
    if any(n == 0 or x == 0 for n, x in overall):
        raise DefinitionError("some stage has no customers in the data: type the rates in (--rates)", field="rates")
    stages = [trans[0].from_key] + [t.to_key for t in trans]
    value = definition.steps[value_step_index(definition, value_step)].key
    return MeasuredRates(overall[0][0], [x / n for n, x in overall], stages,
                         stages.index(value) + 1 if value in stages else len(stages))


def weak_links(
    result: FunnelResult,
    *,
    alpha: float = 0.05,
    revenue: Revenue = Revenue(None),
    value_step: str | int | None = None,
    confidence: float = 0.95,
) -> WeakLinks:
    """Test and rank every transition and segment cell of a computed funnel (module docstring)."""
    definition = result.definition
    trans = transitions(definition)
    if not trans:
        raise DefinitionError("a funnel needs two required steps to have a transition", field="steps")
    table = counts(result)
    overall = table[None]
    v = value_step_index(definition, value_step)
    rates = [x / n if n else 0.0 for n, x in overall]
    onward = []
    for t in trans:
        factor = 1.0 if t.q <= v else 0.0
        for later in trans:
            if later.k >= t.q and later.q <= v:
                factor *= rates[later.number - 1]
        onward.append(factor)

    rows: list[dict] = []
    for t in trans:  # a transition against its neighbours
        n, x = overall[t.number - 1]
        tests = []
        for j in (t.number - 2, t.number):
            if 0 <= j < len(trans) and n and overall[j][0]:
                nj, xj = overall[j]
                tests.append((xj / nj, proportion_test(x, n, xj, nj)))
        reference = min((r for r, _ in tests), default=None)
        worse = bool(tests) and all(x / n < r for r, _ in tests)
        test = max(tests, key=lambda rt: rt[1].p)[1] if tests else None
        rows.append(_row(t, None, n, x, reference, test, worse, confidence))
    for segment, cells in table.items():
        if segment is None:
            continue
        for t in trans:
            n, x = cells[t.number - 1]
            rn, rx = overall[t.number - 1][0] - n, overall[t.number - 1][1] - x
            test = proportion_test(x, n, rx, rn) if n and rn else None
            reference = rx / rn if rn else None
            rows.append(_row(t, segment, n, x, reference, test, bool(test) and x / n < rx / rn, confidence))

    tested = [r for r in rows if r["p"] is not None]
    for r, q in zip(tested, benjamini_hochberg([r["p"] for r in tested])):
        r["q"] = q
    for r in rows:
        worse = r.pop("_worse")
        r["flagged"] = r["q"] is not None and r["q"] <= alpha and worse
        lost = r["trials"] * (r["reference_rate"] - r["rate"]) if r["flagged"] else 0.0
        r["customers_lost"] = lost
        r["buyers_lost"] = lost * onward[r["transition"] - 1]
        r["value_lost"] = r["buyers_lost"] * revenue.per_buyer if revenue.per_buyer is not None else None
    ranked = sorted((r for r in rows if r["flagged"]), key=lambda r: (-r["buyers_lost"], -r["customers_lost"]))
    for i, r in enumerate(ranked, 1):
        r["rank"] = i
    field = definition.breakdown.name if definition.breakdown else ("period" if definition.cohort else None)
    return WeakLinks(pa.Table.from_pylist(rows, schema=CELLS_SCHEMA), alpha, definition.steps[v].key, revenue, field)


def _row(t: Transition, segment: str | None, n: int, x: int, reference: float | None, test, worse: bool,
         confidence: float) -> dict:
    low, high = wilson_interval(x, n, confidence)
    return {
        "transition": t.number, "from_key": t.from_key, "to_key": t.to_key, "label": t.label, "segment": segment,
        "trials": n, "successes": x, "rate": x / n if n else None, "ci_low": low, "ci_high": high,
        "reference_rate": reference, "method": test.method if test else None, "p": test.p if test else None,
        "q": None, "rank": None, "_worse": worse,
    }


def revenue_per_buyer(engine: Engine, definition: FunnelDefinition, value_step: str | int | None = None, *,
                      events: str | None = None, aliases: str | None = "aliases") -> Revenue:
    """Average revenue per buyer, measured: the revenue of all events matching the value
    step's rule (``events`` and ``where``; NULL revenue counts as 0) / the customers with such
    an event, over the whole data, read through the alias map. Purchases in more than one
    currency cannot be averaged: a ``DefinitionError`` asks for the average check instead."""
    events, aliases = event_sources(engine, events, aliases)
    rule = definition.steps[value_step_index(definition, value_step)].rule
    row = engine.query(
        "SELECT count(DISTINCT customer_id) AS buyers, sum(revenue) AS revenue, "
        "count(DISTINCT currency) AS currencies, min(currency) AS currency "
        f"FROM ({resolved_events(events, aliases)}) AS e WHERE {rule_predicate(rule)}"
    ).to_pylist()[0]
    if row["currencies"] and row["currencies"] > 1:
        raise DefinitionError("purchases are in several currencies: give the average check (--check) "
                              "in one currency", field="check")
    if not row["buyers"]:
        return Revenue(None)
    return Revenue(float(row["revenue"] or 0) / row["buyers"], row["currency"])
