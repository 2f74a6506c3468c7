"""Lifecycle: per period, where the buyers of the period came from and who went quiet.

Definitions (unit: purchase occasions up to ``as_of``; periods as in
``voronka.loop.periods``; a customer is **active** in a period with ≥ 1 occasion in it).
For each period P, every customer active in P is exactly one of:

* **new**: P is the period of their first occasion;
* **returning**: active in P and in P − 1;
* **resurrecting**: active in P, not in P − 1, but in some period before P − 1;

and **dormant** counts the customers active in P − 1 and not in P. Dormant is its own
column, a positive count (charts draw it below zero). These are the states of PostHog's
lifecycle insight and of Adobe CJA's "active growth" analysis, with purchase occasions
in place of events. ``active`` = new + returning + resurrecting. The period running at
``as_of`` is included with ``complete`` false: its dormant count can still fall.

Occasions in weeks 1, 2 and 4: new in week 1, returning in week 2, dormant in week 3,
resurrecting in week 4, dormant in week 5.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pyarrow as pa

from voronka.columns import column
from voronka.definition import Definition, Rule
from voronka.engines import Engine
from voronka.loop.occasions import PURCHASE, prepare_occasions
from voronka.loop.periods import check_period, period_index, period_index_sql, period_start
from voronka.rules import StepRule
from voronka.source import Source

LIFECYCLE_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    ("period", pa.date32()), ("complete", pa.bool_()),
    *(column(state, pa.int64(), "count", f"loop.state.{state}") for state in ("new", "returning", "resurrecting",
                                                                             "dormant")),
    column("active", pa.int64(), "count"),
])


def lifecycle(engine: Engine, *, period: str = "week", events: str | None = None, aliases: str | None = "aliases",
              purchase: StepRule = PURCHASE, timezone: str = "UTC", as_of: dt.datetime | None = None) -> pa.Table:
    """One row per period from the first occasion's to the one running at ``as_of``
    (``LIFECYCLE_SCHEMA``)."""
    check_period(period)
    occ = prepare_occasions(engine, events=events, aliases=aliases, purchase=purchase, timezone=timezone, as_of=as_of)
    cte = (f"WITH cp AS (SELECT DISTINCT customer_id, {period_index_sql(period)} AS p FROM {occ.days} AS d), "
           "fl AS (SELECT customer_id, min(p) AS first FROM cp GROUP BY customer_id) ")
    active = engine.query(
        cte + "SELECT a.p AS p, sum(CASE WHEN a.p = f.first THEN 1 ELSE 0 END) AS new, "
        "sum(CASE WHEN a.p <> f.first AND b.customer_id IS NOT NULL THEN 1 ELSE 0 END) AS returning, "
        "sum(CASE WHEN a.p <> f.first AND b.customer_id IS NULL THEN 1 ELSE 0 END) AS resurrecting "
        "FROM cp AS a JOIN fl AS f ON a.customer_id = f.customer_id "
        "LEFT JOIN cp AS b ON b.customer_id = a.customer_id AND b.p = a.p - 1 GROUP BY a.p").to_pylist()
    dormant = engine.query(
        cte + "SELECT p, count(*) AS dormant FROM (SELECT a.p + 1 AS p FROM cp AS a "
        "LEFT JOIN cp AS b ON b.customer_id = a.customer_id AND b.p = a.p + 1 WHERE b.customer_id IS NULL) AS q "
        "GROUP BY p").to_pylist()
    if not active:
        return LIFECYCLE_SCHEMA.empty_table()
    states = {r["p"]: r for r in active}
    quiet = {r["p"]: r["dormant"] for r in dormant}
    now = period_index(occ.today, period)
    rows = []
    for p in range(min(states), now + 1):
        r = states.get(p, {})
        new, ret, res = (int(r.get(k) or 0) for k in ("new", "returning", "resurrecting"))
        rows.append({"period": period_start(p, period), "complete": p < now, "new": new, "returning": ret,
                     "resurrecting": res, "dormant": int(quiet.get(p, 0)), "active": new + ret + res})
    return pa.Table.from_pylist(rows, schema=LIFECYCLE_SCHEMA)


__all__ = ["LIFECYCLE_SCHEMA", "LifecycleDefinition", "lifecycle"]


class LifecycleDefinition(Definition):
    """``voronka lifecycle`` as a record: new, returning, resurrecting and dormant buyers per
    ``period``, of the purchases matching ``purchase`` (``a|b`` or ``MODEL:STAGE``; docs/loop.md).
    The zone and "now" are the source's."""

    period: Literal["day", "week", "month"] = "week"
    purchase: Rule = "purchase"

    def compute(self, source: Source) -> pa.Table:
        from voronka.touches import parse_rule

        return lifecycle(source, period=self.period, purchase=parse_rule(self.purchase, PURCHASE, "purchase"),
                         timezone=source.timezone, as_of=source.as_of)
