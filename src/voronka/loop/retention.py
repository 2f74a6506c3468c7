"""Cohort retention: of the customers who first bought in a period, how many buy again.

Definitions (unit: purchase occasions up to ``as_of``; periods: local day, ISO week or
calendar month, ``voronka.loop.periods``):

* A customer's **cohort** is the period of their first occasion; ``cohort_customers``
  its size. **Period k** of a cohort is the cohort's period + k (k = 0 is the cohort's own).
* **retention** (retention in period k) = customers of the cohort with an occasion in
  period k / cohort customers. k = 0 is 1 by definition.
* **retention_k_or_later** ("unbounded" retention) = customers of the cohort with an
  occasion in period k or any later period up to ``as_of`` / cohort customers. It never
  rises with k, and a cell can still grow while later periods are being observed.
* **revenue_retention** = the cohort's revenue in period k / its revenue in period 0
  (NULL when period-0 revenue is 0, or when purchases are in several currencies and no
  ``currency`` is chosen). It can exceed 1.
* A period is **complete** when it ended at or before ``as_of`` (its next period starts
  on or before the local date of ``as_of``). Cells of incomplete periods (the one
  running at ``as_of``) are NULL in every measure, never 0.

Cohort of March (2 customers a, b): a buys in March and May, b in March only; as_of in
June. Period 1 (April): retention 0; period 2 (May): 0.5; k-or-later for k = 1: 0.5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import pyarrow as pa

from pydantic import Field

from voronka.columns import column
from voronka.definition import Definition, Rule
from voronka.engines import Engine
from voronka.loop.occasions import PURCHASE, currencies, prepare_occasions
from voronka.loop.periods import check_period, period_index, period_index_sql, period_start
from voronka.rules import StepRule
from voronka.source import Source

MEASURES = ("retention", "retention_k_or_later", "revenue_retention")

RETENTION_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    ("cohort", pa.date32()), column("k", pa.int64(), "label"), ("period_start", pa.date32()), ("complete", pa.bool_()),
    column("cohort_customers", pa.int64(), "count"), column("customers", pa.int64(), "count", "loop.axis.customers"),
    column("retention", pa.float64(), "rate", "loop.measure.retention"),
    column("customers_k_or_later", pa.int64(), "count"),
    column("retention_k_or_later", pa.float64(), "rate", "loop.measure.retention_k_or_later"),
    column("revenue", pa.float64(), "money", "loop.axis.revenue"),
    column("revenue_retention", pa.float64(), "rate", "loop.measure.revenue_retention"),
])


@dataclass(frozen=True)
class RetentionResult:
    """``table``: one row per cohort and k (``RETENTION_SCHEMA``), k from 0 to the period
    running at ``as_of``."""

    table: pa.Table
    period: str
    as_of: dt.datetime

    def matrix(self, measure: str = "retention") -> pa.Table:
        """Cohorts as rows, ``k0``, ``k1``, … as columns, holding ``measure``."""
        if measure not in MEASURES:
            from voronka.errors import DefinitionError

            raise DefinitionError(f"measure must be one of {', '.join(MEASURES)}", field="measure")
        rows = self.table.to_pylist()
        width = max((r["k"] for r in rows), default=-1) + 1
        out: dict = {}
        for r in rows:
            row = out.setdefault(r["cohort"], {"cohort": r["cohort"], "cohort_customers": r["cohort_customers"],
                                               **{f"k{k}": None for k in range(width)}})
            row[f"k{r['k']}"] = r[measure]
        schema = pa.schema([("cohort", pa.date32()), ("cohort_customers", pa.int64())]
                           + [(f"k{k}", pa.float64()) for k in range(width)])
        return pa.Table.from_pylist(list(out.values()), schema=schema)


def retention(engine: Engine, *, period: str = "month", events: str | None = None, aliases: str | None = "aliases",
              purchase: StepRule = PURCHASE, timezone: str = "UTC", as_of: dt.datetime | None = None,
              currency: str | None = None) -> RetentionResult:
    """Cohort retention by first-occasion ``period`` (day, week, month): every measure of
    the module docstring, per cohort and k."""
    check_period(period)
    occ = prepare_occasions(engine, events=events, aliases=aliases, purchase=purchase, timezone=timezone,
                            as_of=as_of, currency=currency)
    with_revenue = currency is not None or len(currencies(engine, occ)) <= 1
    cte = (f"WITH cp AS (SELECT customer_id, p, sum(revenue) AS revenue FROM (SELECT customer_id, revenue, "
           f"{period_index_sql(period)} AS p FROM {occ.days} AS d) AS x GROUP BY customer_id, p), "
           "fl AS (SELECT customer_id, min(p) AS cohort, max(p) AS last FROM cp GROUP BY customer_id) ")
    cells = engine.query(
        cte + "SELECT cohort, k, count(*) AS customers, sum(revenue) AS revenue FROM (SELECT fl.cohort AS cohort, "
        "cp.p - fl.cohort AS k, cp.revenue AS revenue FROM cp JOIN fl ON cp.customer_id = fl.customer_id) AS j "
        "GROUP BY cohort, k").to_pylist()
    lasts = engine.query(cte + "SELECT cohort, last - cohort AS last_k, count(*) AS customers FROM fl "
                               "GROUP BY cohort, last - cohort").to_pylist()
    now = period_index(occ.today, period)
    by_cell = {(r["cohort"], r["k"]): r for r in cells}
    sizes: dict[int, int] = {}
    later: dict[int, dict[int, int]] = {}
    for r in lasts:
        sizes[r["cohort"]] = sizes.get(r["cohort"], 0) + r["customers"]
        later.setdefault(r["cohort"], {})[r["last_k"]] = r["customers"]
    rows = []
    for cohort in sorted(sizes):
        size = sizes[cohort]
        base = by_cell.get((cohort, 0), {}).get("revenue")
        for k in range(now - cohort + 1):
            complete = period_start(cohort + k + 1, period) <= occ.today
            cell = by_cell.get((cohort, k), {"customers": 0, "revenue": 0.0})
            k_or_later = sum(c for last_k, c in later[cohort].items() if last_k >= k)
            revenue = float(cell["revenue"] or 0.0) if with_revenue else None
            rows.append({
                "cohort": period_start(cohort, period), "k": k, "period_start": period_start(cohort + k, period),
                "complete": complete, "cohort_customers": size,
                "customers": cell["customers"] if complete else None,
                "retention": cell["customers"] / size if complete else None,
                "customers_k_or_later": k_or_later if complete else None,
                "retention_k_or_later": k_or_later / size if complete else None,
                "revenue": revenue if complete else None,
                "revenue_retention": revenue / base if complete and revenue is not None and base else None,
            })
    return RetentionResult(pa.Table.from_pylist(rows, schema=RETENTION_SCHEMA), period, occ.as_of)


__all__ = ["MEASURES", "RETENTION_SCHEMA", "RetentionResult", "retention"]


class RetentionDefinition(Definition):
    """``voronka retention`` as a record: cohorts by first-purchase ``period``, purchases
    matching ``purchase`` (``a|b`` or ``MODEL:STAGE``), in ``currency`` only if given
    (docs/loop.md). The zone and "now" are the source's."""

    period: Literal["day", "week", "month"] = "month"
    currency: Annotated[str, Field(max_length=8)] | None = None
    purchase: Rule = "purchase"

    def compute(self, source: Source) -> RetentionResult:
        from voronka.touches import parse_rule

        return retention(source, period=self.period, currency=self.currency,
                         purchase=parse_rule(self.purchase, PURCHASE, "purchase"), timezone=source.timezone,
                         as_of=source.as_of)
