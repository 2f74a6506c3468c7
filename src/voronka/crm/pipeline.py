"""The sales funnel of CRM deals: stage conversion, time in stage, stuck deals, win rate.

Input: the ``deals`` table (``voronka.schema.DEALS``), one row per deal entering a
stage. A deal is one ``(pipeline, deal_id)``. docs/crm.md is the definition; in short:

* **Stage order** — per pipeline, the open (not won / lost) stages in the order given,
  else in first-seen order: by the earliest ``changed_at`` at which any deal entered the
  stage (ties by name). Stages missing from a given order follow it in first-seen order.
* **Reached** — a deal reached stage k when its furthest open stage is k or later; a won
  deal reached every stage; every deal reached stage 1. So stages skipped in the CRM
  (or a list export with only the current stage) count as passed.
* **Conversion** of stage k = reached(k+1) / reached(k); of the last stage = won /
  reached(last).
* **Time in stage** — a stay lasts from entering the stage to the deal's next row
  (any stage, won or lost included). Stays still open at ``as_of`` are left out
  (censored); median and p90 (linear interpolation, as ``numpy.quantile``) in days.
* **Stuck** — an open deal (its latest row not won / lost) whose current stage was
  entered at least ``stuck_for`` before ``as_of`` (default: the latest ``changed_at``;
  rows after an earlier ``as_of`` are left out of every number).
* **Win rate** — won / (won + lost), over deals whose latest row is won or lost.
* **Manager** — the responsible manager of the deal's latest row.

Equal ``changed_at`` within a deal are ordered by stage order (won / lost last).
Everything over rows runs in the engine; only counts and per-stay durations come back.

    result = deal_pipeline(engine, by="manager", stuck_for="14d")
    result.stages, result.outcomes, result.stuck
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from voronka.definition import Definition, Duration, Text

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from voronka.columns import column, declared, header
from voronka.duration import parse_duration
from voronka.engines import Engine
from voronka.errors import DefinitionError, StoreError
from voronka.sql import literal

BY = ("pipeline", "manager")


@dataclass(frozen=True)
class DealPipeline:
    """The deals funnel.

    ``stages``: pipeline, [manager], stage_number, stage, reached, next_reached,
    conversion, stays, median_days, p90_days, open_now, stuck.
    ``outcomes``: pipeline, [manager], deals, won, lost, open, win_rate.
    ``stuck``: pipeline, deal_id, manager, stage, entered_at, days_in_stage.
    """

    stages: pa.Table
    outcomes: pa.Table
    stuck: pa.Table
    as_of: dt.datetime
    stuck_for: dt.timedelta
    by: str


def deal_pipeline(
    engine: Engine,
    *,
    pipeline: str | None = None,
    by: str = "pipeline",
    stage_order: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    stuck_for: str | dt.timedelta = "14d",
    as_of: dt.datetime | None = None,
    deals: str = "deals",
) -> DealPipeline:
    """The funnel of every pipeline (or ``pipeline`` only), per pipeline or per manager.

    ``stage_order`` is a list of stages (for every pipeline) or ``{pipeline: [stages]}``.
    """
    if by not in BY:
        raise DefinitionError(f"--by takes {' or '.join(BY)}, not {by!r}", field="by")
    if not engine.has_table(deals):
        raise StoreError(f"no {deals} table here: load a CRM export with 'voronka ingest deals FILE'")
    threshold = parse_duration(stuck_for) if isinstance(stuck_for, str) else stuck_for
    conditions = ([f"coalesce(pipeline, '') = {literal(pipeline)}"] if pipeline is not None else []) + (
        [f"changed_at <= {literal(as_of)}"] if as_of is not None else [])  # the pipeline as it stood at as_of
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    base = (f"SELECT deal_id, coalesce(pipeline, '') AS pipeline, stage, changed_at, manager, "
            f"coalesce(status, 'open') AS status FROM {deals} {where}")
    orders = _stage_orders(engine, base, stage_order)
    if not orders:
        if pipeline is not None:
            raise StoreError(f"no deals in pipeline {pipeline!r}")
        raise StoreError(f"the {deals} table is empty: load a CRM export with 'voronka ingest deals FILE'")
    if as_of is None:
        as_of = engine.query(f"SELECT max(changed_at) AS m FROM ({base}) AS b").column("m")[0].as_py()
    position = " ".join(
        f"WHEN pipeline = {literal(p)} AND stage = {literal(s)} THEN {k}"
        for p, stages in orders.items() for k, s in enumerate(stages, start=1)
    )
    sizes = " ".join(f"WHEN pipeline = {literal(p)} THEN {len(s)}" for p, s in orders.items())
    ctes = f"""WITH b AS ({base}),
    p AS (SELECT b.*, CASE WHEN status = 'open' THEN CASE {position} END
                           ELSE (CASE {sizes} END) + 1 END AS pos FROM b),
    n AS (SELECT p.*, row_number() OVER (PARTITION BY pipeline, deal_id ORDER BY changed_at, pos) AS rn,
                 row_number() OVER (PARTITION BY pipeline, deal_id ORDER BY changed_at DESC, pos DESC) AS latest
          FROM p),
    s AS (SELECT a.*, b.changed_at AS left_at FROM n AS a LEFT JOIN n AS b
          ON b.pipeline = a.pipeline AND b.deal_id = a.deal_id AND b.rn = a.rn + 1),
    d AS (SELECT pipeline, deal_id,
                 max(CASE WHEN latest = 1 THEN status END) AS outcome,
                 max(CASE WHEN latest = 1 THEN manager END) AS manager,
                 max(CASE WHEN latest = 1 THEN stage END) AS stage,
                 max(CASE WHEN latest = 1 THEN changed_at END) AS entered_at,
                 max(CASE WHEN latest = 1 THEN pos END) AS current_pos,
                 coalesce(max(CASE WHEN status = 'open' THEN pos END), 1) AS furthest
          FROM s GROUP BY pipeline, deal_id)"""
    keys = "pipeline, manager" if by == "manager" else "pipeline"
    cutoff = literal(as_of - threshold)
    counts = engine.query(
        f"{ctes}\nSELECT {keys}, reach, outcome, current_pos, is_stuck, count(*) AS n FROM ("
        f"SELECT {keys}, outcome, CASE WHEN outcome = 'won' THEN -1 ELSE furthest END AS reach, "
        f"CASE WHEN outcome = 'open' THEN current_pos END AS current_pos, "
        f"CASE WHEN outcome = 'open' AND entered_at <= {cutoff} THEN 1 ELSE 0 END AS is_stuck FROM d) AS c "
        f"GROUP BY {keys}, reach, outcome, current_pos, is_stuck"
    ).to_pylist()
    stays = engine.query(
        f"{ctes}\nSELECT s.pipeline AS pipeline, d.manager AS manager, s.pos AS pos, "
        f"CAST(epoch_us(s.left_at) - epoch_us(s.changed_at) AS DOUBLE) / 86400000000.0 AS days "
        f"FROM s JOIN d ON d.pipeline = s.pipeline AND d.deal_id = s.deal_id "
        f"WHERE s.status = 'open' AND s.left_at IS NOT NULL"
    ).to_pylist()
    stuck = engine.query(
        f"{ctes}\nSELECT pipeline, deal_id, manager, stage, entered_at FROM d "
        f"WHERE outcome = 'open' AND entered_at <= {cutoff} ORDER BY pipeline, entered_at, deal_id"
    )
    days = [round((as_of - t).total_seconds() / 86400, 2) for t in stuck.column("entered_at").to_pylist()]
    stuck = declared(stuck.append_column("days_in_stage", pa.array(days, pa.float64())), STUCK_SCHEMA)
    stages_table, outcomes = _assemble(orders, counts, stays, by)
    return DealPipeline(stages_table, outcomes, stuck, as_of, threshold, by)


def _stage_orders(engine: Engine, base: str, given: Mapping[str, Sequence[str]] | Sequence[str] | None
                  ) -> dict[str, list[str]]:
    """``{pipeline: [open stages in order]}``: given first, then first-seen."""
    rows = engine.query(
        f"SELECT pipeline, stage, min(CASE WHEN status = 'open' THEN changed_at END) AS first_seen "
        f"FROM ({base}) AS b GROUP BY pipeline, stage"
    ).to_pylist()
    seen: dict[str, list[tuple[dt.datetime, str]]] = {}
    for r in rows:
        bucket = seen.setdefault(r["pipeline"], [])
        if r["first_seen"] is not None:
            bucket.append((r["first_seen"], r["stage"]))
    orders = {}
    for name, found in sorted(seen.items()):
        first_seen = [s for _, s in sorted(found)]
        wanted = list(given.get(name, ()) if isinstance(given, Mapping) else (given or ()))
        orders[name] = [s for s in wanted if s in first_seen] + [s for s in first_seen if s not in wanted]
    return orders


def _assemble(orders: dict[str, list[str]], counts: list[dict], stays: list[dict], by: str
              ) -> tuple[pa.Table, pa.Table]:
    groups = sorted({(r["pipeline"], r.get("manager") if by == "manager" else None) for r in counts},
                    key=lambda g: (g[0], g[1] or ""))
    stage_rows, outcome_rows = [], []
    for pipeline, manager in groups:
        mine = [r for r in counts if r["pipeline"] == pipeline and (by != "manager" or r["manager"] == manager)]
        n = len(orders[pipeline])
        reach = [sum(r["n"] for r in mine if r["reach"] == -1 or r["reach"] >= k) for k in range(1, n + 2)]
        won = sum(r["n"] for r in mine if r["outcome"] == "won")
        lost = sum(r["n"] for r in mine if r["outcome"] == "lost")
        key = {"pipeline": pipeline, **({"manager": manager} if by == "manager" else {})}
        for k, stage in enumerate(orders[pipeline], start=1):
            durations = [r["days"] for r in stays if r["pipeline"] == pipeline and r["pos"] == k
                         and (by != "manager" or r["manager"] == manager)]
            stage_rows.append({
                **key, "stage_number": k, "stage": stage, "reached": reach[k - 1], "next_reached": reach[k],
                "conversion": reach[k] / reach[k - 1] if reach[k - 1] else None,
                "stays": len(durations),
                "median_days": float(np.quantile(durations, 0.5)) if durations else None,
                "p90_days": float(np.quantile(durations, 0.9)) if durations else None,
                "open_now": sum(r["n"] for r in mine if r["current_pos"] == k),
                "stuck": sum(r["n"] for r in mine if r["current_pos"] == k and r["is_stuck"]),
            })
        outcome_rows.append({**key, "deals": sum(r["n"] for r in mine), "won": won, "lost": lost,
                             "open": sum(r["n"] for r in mine if r["outcome"] == "open"),
                             "win_rate": won / (won + lost) if won + lost else None})
    key_fields = [_label("pipeline")] + ([_label("manager")] if by == "manager" else [])
    return (pa.Table.from_pylist(stage_rows, pa.schema(key_fields + STAGE_FIELDS)),
            pa.Table.from_pylist(outcome_rows, pa.schema(key_fields + OUTCOME_FIELDS)))


def _label(name: str) -> pa.Field:
    return column(name, pa.string(), "label", f"money.{name}")


# kinds and header keys of the result tables (voronka.columns); the key columns pipeline[, manager] come first
STAGE_FIELDS = [
    column("stage_number", pa.int64(), "label", "money.stage_number"), _label("stage"),
    column("reached", pa.int64(), "count", "money.reached"), column("next_reached", pa.int64(), "count", "money.next_reached"),
    column("conversion", pa.float64(), "rate", "money.conversion"), column("stays", pa.int64(), "count", "money.stays"),
    column("median_days", pa.float64(), "count", "money.median_days"),
    column("p90_days", pa.float64(), "count", "money.p90_days"),
    column("open_now", pa.int64(), "count", "money.open_now"), column("stuck", pa.int64(), "count", "money.stuck"),
]
OUTCOME_FIELDS = [
    *(column(c, pa.int64(), "count", f"money.{c}") for c in ("deals", "won", "lost", "open")),
    column("win_rate", pa.float64(), "rate", "money.win_rate"),
]
STUCK_SCHEMA = pa.schema([  # the engine's types; the kinds and headers declared over them
    _label("pipeline"), _label("deal_id"), _label("manager"), _label("stage"),
    header("entered_at", pa.timestamp("us"), "money.entered_at"),
    column("days_in_stage", pa.float64(), "count", "money.days_in_stage"),
])
MANAGER_PLANS_SCHEMA = pa.schema([
    _label("pipeline"), _label("manager"), column("step", pa.int64(), "label", "money.step"), _label("stage"),
    column("conversion_from_previous", pa.float64(), "rate", "money.conversion_from_previous"),
    column("per_seller_per_day", pa.int64(), "count", "money.per_seller_per_day"),
    column("per_seller_per_period", pa.int64(), "count", "money.per_seller_per_period"),
])


def manager_plans(result: DealPipeline, target: float, *, period: str = "month",
                  working_days: int | None = None) -> pa.Table:
    """Each manager's plan: the deals each stage needs for ``target`` won deals per manager.

    The backwards plan (``voronka.plan.backwards_plan``) per pipeline, with the measured
    conversions of the pipeline (reached counts summed over its managers; the last rate
    is won / reached(last stage)) and the pipeline's managers as the sellers. Columns:
    pipeline, manager, step, stage (the last is ``won``), conversion_from_previous,
    per_seller_per_day, per_seller_per_period (rounded up, as the backwards plan).
    """
    from voronka.plan import WORKING_DAYS_PER_MONTH, backwards_plan

    if result.by != "manager":
        raise DefinitionError("each manager's plan needs the deals per manager (--by manager)", field="by")
    rows = result.stages.to_pylist()
    out = []
    for name in sorted({r["pipeline"] for r in rows}):
        mine = [r for r in rows if r["pipeline"] == name]
        stages = sorted({(r["stage_number"], r["stage"]) for r in mine})
        reached = [sum(r["reached"] for r in mine if r["stage_number"] == k) for k, _ in stages]
        won = sum(r["next_reached"] for r in mine if r["stage_number"] == len(stages))
        counts = reached + [won]
        if 0 in counts:
            empty = ([s for _, s in stages] + ["won"])[counts.index(0)]
            raise DefinitionError(f"pipeline {name!r}: no deal reached {empty!r}, so its conversion is 0; "
                                  "a plan needs every measured conversion above 0", field="target")
        rates = [b / a for a, b in itertools.pairwise(counts)]
        managers = sorted({r["manager"] for r in mine}, key=lambda m: m or "")
        plan = backwards_plan(target, rates, per="seller", sellers=len(managers), period=period,  # type: ignore[arg-type]
                              working_days=working_days or WORKING_DAYS_PER_MONTH,
                              stages=[s for _, s in stages] + ["won"])
        for manager in managers:
            for step in plan.table.to_pylist():
                out.append({"pipeline": name, "manager": manager, "step": step["step"], "stage": step["stage"],
                            "conversion_from_previous": step["conversion_from_previous"],
                            "per_seller_per_day": step["per_seller_per_day"],
                            "per_seller_per_period": step["per_seller_per_period"]})
    return pa.Table.from_pylist(out, MANAGER_PLANS_SCHEMA)


class PipelineDefinition(Definition):
    """``voronka deals`` as a record: the CRM deals funnel of ``pipeline`` (default: every one)
    per pipeline or manager (``by``), stages in ``stages`` order (comma-separated; default: first
    seen), open deals in a stage ``stuck_for`` or longer are stuck (docs/crm.md). Deals are not
    events: filters and the unit do not apply; "now" is the source's ``as_of``."""

    pipeline: Annotated[str, Field(max_length=256)] | None = None
    by: Literal["pipeline", "manager"] = "pipeline"
    stages: Text | None = None
    stuck_for: Duration = "14d"

    def compute(self, source: Engine) -> DealPipeline:
        order = [s.strip() for s in self.stages.split(",") if s.strip()] if self.stages else None
        return deal_pipeline(source, pipeline=self.pipeline, by=self.by, stage_order=order,
                             stuck_for=self.stuck_for, as_of=getattr(source, "as_of", None))
