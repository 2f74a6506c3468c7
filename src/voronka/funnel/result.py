"""The result of a funnel: tables, and the units behind them for export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from voronka.columns import column
from voronka.errors import DefinitionError
from voronka.funnel.definition import FunnelDefinition
from voronka.funnel.outcomes import HISTOGRAM_EDGES, Outcome

STEPS_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("step", pa.int64(), "label", "funnel.step"), column("step_key", pa.string(), "label", "funnel.step_key"),
    column("label", pa.string(), "label", "funnel.stage"), column("breakdown", pa.string(), "label", "funnel.breakdown"),
    column("customers", pa.int64(), "count", "funnel.customers"),
    column("conversion_from_previous", pa.float64(), "rate", "funnel.conversion_from_previous"),
    column("conversion_from_first", pa.float64(), "rate", "funnel.conversion_from_first"),
    column("dropped", pa.int64(), "count", "funnel.dropped"),
    column("in_progress", pa.int64(), "count", "funnel.in_progress"),
    column("median_seconds_from_previous", pa.float64(), "duration", "funnel.median_time"),
    column("mean_seconds_from_previous", pa.float64(), "duration", "funnel.mean_time"),
])
HISTOGRAM_SCHEMA = pa.schema([
    column("step", pa.int64(), "label", "funnel.step"), column("bucket_start_seconds", pa.float64(), "duration"),
    column("bucket_end_seconds", pa.float64(), "duration"), column("customers", pa.int64(), "count", "funnel.customers"),
])
TRENDS_SCHEMA = pa.schema([
    ("period", pa.date32()), column("breakdown", pa.string(), "label", "funnel.breakdown"),
    column("step", pa.int64(), "label", "funnel.step"), column("label", pa.string(), "label", "funnel.stage"),
    column("entered", pa.int64(), "count"), column("customers", pa.int64(), "count", "funnel.customers"),
    column("conversion_from_first", pa.float64(), "rate", "funnel.conversion_from_first"),
    column("ci_low", pa.float64(), "rate"), column("ci_high", pa.float64(), "rate"),
])

Status = Literal["reached", "dropped", "in_progress", "converted"]


@dataclass(frozen=True)
class FunnelResult:
    """What ``compute_funnel`` returns.

    * ``steps``: per breakdown value (null without breakdown) and step: ``customers``
      reaching it (units: customers or attempts), conversion from the previous required
      step and from step 1, ``dropped`` (reached it, not the next required step, window
      closed), ``in_progress`` (same, window still open), median/mean seconds from the
      previous required step;
    * ``histogram``: time from step 1 to each later step, in fixed buckets;
    * ``trends``: per breakdown value (null without breakdown), cohort period (when
      ``cohort`` is set; every period present) and step: ``entered`` (units at step 1),
      ``customers`` reaching the step, conversion from step 1 with its 95% Wilson interval;
    * ``units``: one row per unit with ``t1..tn`` (when each step was reached), for export;
      None when computed with ``compute_funnel(..., units=False)`` (billions of events:
      the aggregates come back, the per-unit rows stay in the engine).
    """

    definition: FunnelDefinition
    steps: pa.Table
    histogram: pa.Table
    trends: pa.Table | None
    units: pa.Table | None
    as_of: dt.datetime

    def to_pandas(self):  # noqa: ANN201 - pandas is optional for callers
        return self.steps.to_pandas()

    def customers(self, step: int | str, status: Status = "reached") -> pa.Table:
        """The units at a step (1-based number or key): who ``reached`` it, who ``converted``
        to the next required step, who ``dropped`` after it, who is still ``in_progress``."""
        if self.units is None:
            raise DefinitionError("this funnel was computed without its per-customer rows (units=False)",
                                  field="units")
        defn = self.definition
        k = step - 1 if isinstance(step, int) else [s.key for s in defn.steps].index(step)
        if not 0 <= k < len(defn.steps):
            raise IndexError(f"no step {step}")
        reached = pc.is_valid(self.units[f"t{k + 1}"])
        nxt = next((q for q in defn.required if q > k), None) if defn.order != "unordered" else (
            k + 1 if k + 1 < len(defn.steps) else None)
        if status == "reached" or nxt is None and status == "converted":
            mask = reached
        else:
            moved = pc.is_valid(self.units[f"t{nxt + 1}"]) if nxt is not None else pc.scalar(False)
            if status == "converted":
                mask = pc.and_(reached, moved)
            else:
                stalled = pc.and_(reached, pc.invert(moved))
                flag = self.units["in_progress"]
                mask = pc.and_(stalled, flag if status == "in_progress" else pc.invert(flag))
        return self.units.filter(mask)

    def outcomes(self) -> list[Outcome]:
        """The units as ``Outcome`` records (to compare with the reference implementation)."""
        n = len(self.definition.steps)
        return [
            Outcome(
                customer_id=r["customer_id"],
                breakdown=r["breakdown"],
                period=r["period"],
                level=r["level"],
                times=tuple(r[f"t{k + 1}"] for k in range(n)),
                in_progress=r["in_progress"],
            )
            for r in self.units.to_pylist()
        ]


def histogram_table(rows: list[dict]) -> pa.Table:
    edges = list(HISTOGRAM_EDGES)
    out = [
        {
            "step": r["step"],
            "bucket_start_seconds": float(edges[r["bucket"]]),
            "bucket_end_seconds": float(edges[r["bucket"] + 1]) if r["bucket"] + 1 < len(edges) else None,
            "customers": r["customers"],
        }
        for r in sorted(rows, key=lambda r: (r["step"], r["bucket"]))
    ]
    return pa.Table.from_pylist(out, schema=HISTOGRAM_SCHEMA)
