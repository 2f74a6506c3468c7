"""Where does each customer sit? The current stage of every customer in a stage model.

Definition: a customer's **current stage** is the furthest stage, in model order, whose
rule the customer has satisfied at least once (an event matching it; for repeat and
referral rules, the n-th purchase or referral); earlier stages need not have been seen,
so a referred friend who starts at a consultation sits at *trust* at once. **Entered at**
is the first time the customer satisfied that stage's rule; **time in stage** is
``as_of`` − entered at. The stage's first playbook action is the suggested next step.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from voronka.definition import Definition, Duration, ModelName
from voronka.source import Source

import datetime as dt

import pyarrow as pa

from voronka.columns import column, header
from voronka.duration import parse_duration
from voronka.engines import Engine
from voronka.funnel.spec import build_funnel
from voronka.funnel.sql import flagged_sql
from voronka.source import event_sources, latest_event
from voronka.sql import literal
from voronka.stage_models import load_model


def customer_positions(
    engine: Engine,
    model: str,
    *,
    lang: str = "en",
    stage: str | None = None,
    stuck_for: str | dt.timedelta | None = None,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> pa.Table:
    """One row per customer: customer_id, stage, stage_label, stage_number, entered_at,
    days_in_stage, next_action. Filter by ``stage`` key and by ``stuck_for`` (at least that
    long in the stage)."""
    stage_model = load_model(model)
    if stage is not None and stage not in stage_model.keys:
        from voronka.errors import DefinitionError

        raise DefinitionError(f"no stage {stage!r} in {stage_model.key} (stages: {', '.join(stage_model.keys)})",
                              field="stage")
    events, aliases = event_sources(engine, events, aliases)
    defn = build_funnel({"model": model}, lang=lang)
    as_of = as_of or latest_event(engine, events)
    ctes, stream = flagged_sql(defn, events, aliases)
    n = len(defn.steps)
    firsts = ", ".join(f"min(CASE WHEN m{k} THEN ts END) AS e{k}" for k in range(n))
    cases = lambda pick: " ".join(  # noqa: E731
        f"WHEN e{k} IS NOT NULL THEN {pick(k)}" for k in reversed(range(n))
    )
    where = ["stage_number IS NOT NULL"]
    if stage is not None:
        where.append(f"stage_number = {stage_model.keys.index(stage) + 1}")
    if stuck_for is not None:
        where.append(f"entered_at <= {literal(as_of - parse_duration(stuck_for))}")
    sql = (
        "WITH " + ",\n".join(ctes) + f",\nfirsts AS (SELECT customer_id, {firsts} FROM ({stream}) AS s "
        "GROUP BY customer_id),\n"
        f"placed AS (SELECT customer_id, CASE {cases(lambda k: k + 1)} END AS stage_number, "
        f"CASE {cases(lambda k: f'e{k}')} END AS entered_at FROM firsts)\n"
        f"SELECT customer_id, stage_number, entered_at FROM placed WHERE {' AND '.join(where)} "
        "ORDER BY stage_number, entered_at, customer_id"
    )
    rows = engine.query(sql).to_pylist()
    stages = stage_model.stages
    out = [
        {
            "customer_id": r["customer_id"],
            "stage": stages[r["stage_number"] - 1].key,
            "stage_label": stages[r["stage_number"] - 1].label(lang),
            "stage_number": r["stage_number"],
            "entered_at": r["entered_at"],
            "days_in_stage": round((as_of - r["entered_at"]).total_seconds() / 86400, 2),
            "next_action": next(iter(stages[r["stage_number"] - 1].playbook.actions.get(lang)), None),
        }
        for r in rows
    ]
    return pa.Table.from_pylist(out, schema=POSITIONS_SCHEMA)


POSITIONS_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("customer_id", pa.string(), "label", "positions.col.customer_id"),
    column("stage", pa.string(), "label", "positions.col.stage"),
    column("stage_label", pa.string(), "label", "positions.col.stage_label"),
    column("stage_number", pa.int64(), "label", "positions.col.stage_number"),
    header("entered_at", pa.timestamp("us"), "positions.col.entered_at"),
    column("days_in_stage", pa.float64(), "count", "positions.col.days_in_stage"),
    column("next_action", pa.string(), "label", "positions.col.next_action"),
])


class PositionsDefinition(Definition):
    """``voronka customers`` as a record: each unit's current stage of ``model``, only those at
    ``stage`` and in it at least ``stuck_for``, labels in ``lang`` (docs/models.md)."""

    model: ModelName = "hourglass"
    stage: Annotated[str, Field(max_length=128)] | None = None
    stuck_for: Duration | None = None
    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source) -> pa.Table:
        return customer_positions(source, self.model, lang=self.lang, stage=self.stage, stuck_for=self.stuck_for,
                                  as_of=source.as_of)
