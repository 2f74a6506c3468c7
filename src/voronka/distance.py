"""Distance and enchantment: negative experiences, how they were resolved, and what followed.

The cluster funnel's "distance" is the gap between promise and experience; here it is
measured from complaint and support events (names configurable; the demo has
``complaint``, ``support_contact``, ``complaint_resolved``), read through the alias map.

* **Population**: customers with at least one purchase occasion or complaint.
* A customer had a **negative experience** when they have a complaint event. Only the
  first complaint opens the case: its **resolution** is the first resolve event at or
  after it; **steps** are the support events from the complaint to the resolution (both
  inclusive; to the end of the data when unresolved); **time to resolution** is
  resolution − complaint, in days.
* Groups: ``no_complaint``, ``resolved``, ``unresolved``. Outcomes per group:
  ``repeat_share`` (≥ 2 purchase occasions, over the group), ``purchase_after_share``
  (an occasion after the first complaint; complainers only), ``churned_share`` (no event
  at all in the last ``churn_after``, default 90 days, before ``as_of``) and
  ``referrer_share`` (referred at least one customer). Only events at or before ``as_of``
  (default: the latest event) count.
"""

from __future__ import annotations

from voronka.definition import Definition, Duration, Rule
from voronka.source import Source

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from voronka.columns import column
from voronka.duration import parse_duration
from voronka.engines import Engine
from voronka.loop.occasions import PURCHASE, occasions_sql
from voronka.rules import StepRule
from voronka.sql import literal, resolved_events, rule_predicate

COMPLAINT = StepRule(events=["complaint"])
SUPPORT = StepRule(events=["support_contact"])
RESOLVED = StepRule(events=["complaint_resolved"])
GROUPS = ("no_complaint", "resolved", "unresolved")


@dataclass(frozen=True)
class DistanceResult:
    """``summary``: one row; ``outcomes``: one row per group (``GROUPS``)."""

    summary: pa.Table
    outcomes: pa.Table
    as_of: dt.datetime
    churn_after: dt.timedelta


def people_sql(events: str, aliases: str | None, *, as_of: dt.datetime, churn_after: dt.timedelta,
               complaint: StepRule = COMPLAINT, support: StepRule = SUPPORT, resolved: StepRule = RESOLVED,
               purchase: StepRule = PURCHASE, timezone: str = "UTC") -> str:
    """One row per customer of the population: ``customer_id``, ``grp``, ``steps``,
    ``days_to_resolution``, ``repeated``, ``purchased_after``, ``churned``, ``referrer`` (0/1)."""
    churn_before = literal(as_of - churn_after)
    return f"""
    WITH ev AS ({resolved_events(events, aliases)}),
    occ AS ({occasions_sql(events, aliases, purchase=purchase, timezone=timezone)}),
    comp AS (SELECT customer_id, min(ts) AS c_ts FROM ev WHERE {rule_predicate(complaint)} GROUP BY customer_id),
    res AS (SELECT ev.customer_id AS customer_id, min(ev.ts) AS r_ts FROM ev JOIN comp ON comp.customer_id = ev.customer_id
            WHERE {rule_predicate(resolved)} AND ev.ts >= comp.c_ts GROUP BY ev.customer_id),
    steps AS (SELECT ev.customer_id AS customer_id, count(*) AS n FROM ev
              JOIN comp ON comp.customer_id = ev.customer_id LEFT JOIN res ON res.customer_id = ev.customer_id
              WHERE {rule_predicate(support)} AND ev.ts >= comp.c_ts AND (res.r_ts IS NULL OR ev.ts <= res.r_ts)
              GROUP BY ev.customer_id),
    buys AS (SELECT occ.customer_id AS customer_id, count(DISTINCT occ.day) AS occasions,
                    sum(CASE WHEN comp.c_ts IS NOT NULL AND occ.ts > comp.c_ts THEN 1 ELSE 0 END) AS after_n
             FROM occ LEFT JOIN comp ON comp.customer_id = occ.customer_id GROUP BY occ.customer_id),
    last AS (SELECT customer_id, max(ts) AS last_ts FROM ev GROUP BY customer_id),
    refs AS (SELECT referrer_id AS customer_id, count(*) AS n FROM ev
             WHERE referrer_id IS NOT NULL AND referrer_id <> customer_id GROUP BY referrer_id)
    SELECT l.customer_id AS customer_id,
           CASE WHEN c.c_ts IS NULL THEN 'no_complaint' WHEN r.r_ts IS NULL THEN 'unresolved' ELSE 'resolved' END AS grp,
           CASE WHEN c.c_ts IS NULL THEN NULL ELSE CAST(COALESCE(s.n, 0) AS BIGINT) END AS steps,
           CAST(epoch_us(r.r_ts) - epoch_us(c.c_ts) AS DOUBLE) / 86400000000.0 AS days_to_resolution,
           CASE WHEN COALESCE(b.occasions, 0) >= 2 THEN 1 ELSE 0 END AS repeated,
           CASE WHEN COALESCE(b.after_n, 0) > 0 THEN 1 ELSE 0 END AS purchased_after,
           CASE WHEN l.last_ts < {churn_before} THEN 1 ELSE 0 END AS churned,
           CASE WHEN f.n IS NULL THEN 0 ELSE 1 END AS referrer
    FROM last AS l LEFT JOIN comp AS c ON c.customer_id = l.customer_id
    LEFT JOIN res AS r ON r.customer_id = l.customer_id LEFT JOIN steps AS s ON s.customer_id = l.customer_id
    LEFT JOIN buys AS b ON b.customer_id = l.customer_id LEFT JOIN refs AS f ON f.customer_id = l.customer_id
    WHERE b.customer_id IS NOT NULL OR c.customer_id IS NOT NULL"""


def distance_analysis(engine: Engine, *, churn_after: str | dt.timedelta = "90d", as_of: dt.datetime | None = None,
                      complaint: StepRule = COMPLAINT, support: StepRule = SUPPORT, resolved: StepRule = RESOLVED,
                      purchase: StepRule = PURCHASE, timezone: str = "UTC", events: str | None = None,
                      aliases: str | None = "aliases") -> DistanceResult:
    """The summary of negative experiences and the outcomes by group (module docstring)."""
    from voronka.source import event_sources, latest_event

    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    events = f"(SELECT * FROM {events} AS e0 WHERE ts <= {literal(as_of)})"  # the data ends at as_of
    churn = parse_duration(churn_after)
    people = people_sql(events, aliases, as_of=as_of, churn_after=churn, complaint=complaint, support=support,
                        resolved=resolved, purchase=purchase, timezone=timezone)
    groups = {r["grp"]: r for r in engine.query(f"""
        SELECT grp, CAST(count(*) AS BIGINT) AS customers, CAST(sum(repeated) AS DOUBLE) AS repeated,
               CAST(sum(purchased_after) AS DOUBLE) AS purchased_after, CAST(sum(churned) AS DOUBLE) AS churned,
               CAST(sum(referrer) AS DOUBLE) AS referrers, CAST(avg(steps) AS DOUBLE) AS mean_steps,
               CAST(median(days_to_resolution) AS DOUBLE) AS median_days_to_resolution
        FROM ({people}) AS p GROUP BY grp""").to_pylist()}
    overall = engine.query(f"""
        SELECT CAST(avg(steps) AS DOUBLE) AS mean_steps, CAST(median(steps) AS DOUBLE) AS median_steps,
               CAST(median(days_to_resolution) AS DOUBLE) AS median_days_to_resolution
        FROM ({people}) AS p WHERE grp <> 'no_complaint'""").to_pylist()[0]
    outcomes = []
    for name in GROUPS:
        g = groups.get(name, {"customers": 0})
        n = g["customers"]
        outcomes.append({
            "group": name, "customers": n, "repeat_share": _share(g, "repeated"),
            "purchase_after_share": None if name == "no_complaint" else _share(g, "purchased_after"),
            "churned_share": _share(g, "churned"), "referrer_share": _share(g, "referrers"),
            "mean_steps": g.get("mean_steps") if name != "no_complaint" else None,
            "median_days_to_resolution": g.get("median_days_to_resolution"),
        })
    population = sum(o["customers"] for o in outcomes)
    negative = outcomes[1]["customers"] + outcomes[2]["customers"]
    summary = pa.table({
        "population": [population], "negative": [negative],
        "negative_share": [negative / population if population else None],
        "resolved_share": [outcomes[1]["customers"] / negative if negative else None],
        "mean_steps": [overall["mean_steps"]], "median_steps": [overall["median_steps"]],
        "median_days_to_resolution": [overall["median_days_to_resolution"]],
    }, schema=SUMMARY_SCHEMA)
    table = pa.Table.from_pylist(outcomes, schema=OUTCOMES_SCHEMA)
    return DistanceResult(summary, table, as_of, churn)


SUMMARY_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("population", pa.int64(), "count", "value.col.population"),
    column("negative", pa.int64(), "count", "value.col.negative"),
    column("negative_share", pa.float64(), "rate", "value.col.negative_share"),
    column("resolved_share", pa.float64(), "rate", "value.col.resolved_share"),
    column("mean_steps", pa.float64(), "count", "value.col.mean_steps"),
    column("median_steps", pa.float64(), "count", "value.col.median_steps"),
    column("median_days_to_resolution", pa.float64(), "count", "value.col.median_days_to_resolution"),
])
OUTCOMES_SCHEMA = pa.schema([
    column("group", pa.string(), "label", "value.col.group", values="value.group"),
    column("customers", pa.int64(), "count", "value.col.customers"),
    *(column(c, pa.float64(), "rate", f"value.col.{c}")
      for c in ("repeat_share", "purchase_after_share", "churned_share", "referrer_share")),
    column("mean_steps", pa.float64(), "count", "value.col.mean_steps"),
    column("median_days_to_resolution", pa.float64(), "count", "value.col.median_days_to_resolution"),
])


def _share(group: dict, key: str) -> float | None:
    return group[key] / group["customers"] if group["customers"] else None


__all__ = ["DistanceDefinition", "COMPLAINT", "GROUPS", "OUTCOMES_SCHEMA", "SUMMARY_SCHEMA", "RESOLVED", "SUPPORT", "DistanceResult", "distance_analysis", "people_sql"]


class DistanceDefinition(Definition):
    """``voronka complaints`` as a record: a unit with no event for ``churn_after`` before the
    end has churned; complaint, support-contact, resolution and purchase events (``a|b``)
    (docs/distance.md)."""

    churn_after: Duration = "90d"
    complaint: Rule = "complaint"
    support: Rule = "support_contact"
    resolved: Rule = "complaint_resolved"
    purchase: Rule = "purchase"

    def compute(self, source: Source) -> DistanceResult:
        from voronka.touches import parse_rule

        return distance_analysis(source, churn_after=self.churn_after,
                                 complaint=parse_rule(self.complaint, COMPLAINT, "complaint"),
                                 support=parse_rule(self.support, SUPPORT, "support"),
                                 resolved=parse_rule(self.resolved, RESOLVED, "resolved"),
                                 purchase=parse_rule(self.purchase, PURCHASE, "purchase"), timezone=source.timezone)
