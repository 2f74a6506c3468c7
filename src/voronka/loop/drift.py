"""Curiosity: customers drifting away, and whether a win-back offer brings them back.

Definitions (unit: purchase occasions up to ``as_of``; days are local calendar days):

* **days since last** = the local date of ``as_of`` − the day of the customer's last occasion.
* A customer's **usual gap** = the median of their own gaps (``voronka.loop.repeat``).
* **Overdue against their own rhythm**: at least ``min_gaps`` gaps (default 2, i.e.
  ≥ 3 occasions) and days since last > ``factor`` × usual gap (default 2). Gaps 10 and
  14 (usual 12), last purchase 25 days ago: overdue (25 > 24).
* **Overdue against the population**: days since last > the population threshold, the
  nearest-rank ``percentile``-th (default 90th) of all gaps of all customers: 90 % of
  repeat purchases came sooner than that. One-time buyers count here too.
* The list shows every customer overdue by either rule, freshest first, with the
  playbook actions of the journey model's *curiosity* stage (bonus, free delivery,
  discounts on related goods).

**Win-back** (the unit is a lapse, not a customer: a customer can lapse more than once):

* A **lapse** is an occasion at time t₀ with no next occasion up to t₀ + L (``lapse_after``,
  default 60 days): at the **lapse point** t_L = t₀ + L the customer is overdue under the
  campaign's rule, the moment a win-back campaign acts.
* It is **targeted** when an offer event (``offer``, default ``winback_offer``) comes
  after t₀, before the next occasion, and no later than t_L + ``offer_within`` (default 7
  days); the first such offer counts. Otherwise it is **not targeted**.
* Follow-up starts at max(first offer, t_L) for the targeted and at t_L (the "would-be"
  offer date under the same rule) for the others; the lapse **returned** when the next
  occasion falls within ``return_within`` (default 60 days) of that start. Only lapses
  with t_L + offer_within + return_within ≤ ``as_of`` count, so every one was fully observed.
* **uplift** = return rate targeted − return rate not targeted, with a Wald confidence
  interval (unpooled standard error) and the two-sided p-value of the pooled two-proportion
  z-test. The comparison is causal only if targeting was random among lapses (as in an
  A/B hold-out); otherwise it is a difference between two groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import Field

from voronka.columns import LABEL, column
from voronka.definition import Definition, Duration, ModelName, Rule
from voronka.duration import epoch_micros, micros, parse_duration
from voronka.engines import Engine
from voronka.loop.occasions import PURCHASE, prepare_occasions
from voronka.loop.repeat import gap_counts, percentile_of_counts
from voronka.rules import StepRule
from voronka.source import Source
from voronka.sql import literal, resolved_events, rule_predicate
from voronka.stats import difference_interval, two_proportion_ztest

WINBACK_OFFER = StepRule(events=["winback_offer"])

OVERDUE_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    ("customer_id", pa.string()), column("occasions", pa.int64(), "count", "loop.col.occasions"),
    ("last_purchase", pa.date32()), column("days_since_last", pa.int64(), "count", "loop.col.days_since_last"),
    column("usual_gap_days", pa.float64(), "count", "loop.col.usual_gap_days"),
    *(pa.field(c, pa.bool_(), metadata={LABEL: f"loop.col.{c}".encode()}) for c in ("overdue_own", "overdue_population")),
    column("action", pa.string(), "label", "loop.col.action"),
])
OVERDUE_SUMMARY_SCHEMA = pa.schema([
    column("customers", pa.int64(), "count", "loop.axis.customers"),
    *(column(c, pa.int64(), "count", f"loop.col.{c}") for c in ("overdue", "overdue_own", "overdue_population")),
    column("population_threshold_days", pa.int64(), "count", "loop.col.threshold"),
])
WINBACK_SCHEMA = pa.schema([
    column("group", pa.string(), "label", "loop.col.group"), column("lapses", pa.int64(), "count", "loop.col.lapses"),
    column("returned", pa.int64(), "count", "loop.col.returned"),
    column("return_rate", pa.float64(), "rate", "loop.col.return_rate"),
])


@dataclass(frozen=True)
class OverdueResult:
    """``customers``: the overdue list (``OVERDUE_SCHEMA``); ``summary``: buyers, overdue
    counts by rule, and the population threshold in days."""

    customers: pa.Table
    summary: pa.Table
    as_of: dt.datetime


@dataclass(frozen=True)
class WinbackResult:
    """``groups``: targeted and not targeted (``WINBACK_SCHEMA``); the uplift in return
    rate with its ``confidence`` interval and p-value (None without both groups)."""

    groups: pa.Table
    uplift: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    confidence: float
    as_of: dt.datetime

    def summary(self) -> pa.Table:
        return pa.Table.from_pylist([{"uplift": self.uplift, "ci_low": self.ci_low, "ci_high": self.ci_high,
                                      "p_value": self.p_value, "confidence": self.confidence}])


def overdue_customers(engine: Engine, *, factor: float = 2.0, min_gaps: int = 2, percentile: float = 90.0,
                      model: str = "journey", stage: str = "curiosity", lang: str = "en",
                      events: str | None = None, aliases: str | None = "aliases", purchase: StepRule = PURCHASE,
                      timezone: str = "UTC", as_of: dt.datetime | None = None) -> OverdueResult:
    """The customers overdue against their own usual gap or the population's (see module)."""
    from voronka.errors import DefinitionError
    from voronka.stage_models import load_model

    for field, value, ok, rule in (("factor", factor, factor > 0, "> 0"), ("min_gaps", min_gaps, min_gaps >= 1, "≥ 1"),
                                   ("percentile", percentile, 0 < percentile <= 100, "in (0, 100]")):
        if not ok:
            raise DefinitionError(f"{field} must be {rule}, not {value!r}", field=field)
    stage_model = load_model(model)
    if stage not in stage_model.keys:
        raise DefinitionError(f"no stage {stage!r} in {stage_model.key} (stages: {', '.join(stage_model.keys)})",
                              field="stage")
    occ = prepare_occasions(engine, events=events, aliases=aliases, purchase=purchase, timezone=timezone, as_of=as_of)
    threshold = percentile_of_counts(gap_counts(engine, occ), percentile)
    today = (occ.today - dt.date(1970, 1, 1)).days
    since = f"({today} - l.last_day)"
    own = f"(o.gaps >= {min_gaps} AND {since} > {float(factor)!r} * o.usual_gap)"
    population = f"({since} > {threshold})" if threshold is not None else "FALSE"
    rows = engine.query(f"""
        WITH g AS (SELECT a.customer_id AS customer_id, CAST(b.day_number - a.day_number AS DOUBLE) AS gap
                   FROM {occ.days} AS a JOIN {occ.days} AS b ON a.customer_id = b.customer_id AND b.n = a.n + 1),
        o AS (SELECT customer_id, count(*) AS gaps, median(gap) AS usual_gap FROM g GROUP BY customer_id),
        l AS (SELECT customer_id, count(*) AS occasions, max(day) AS last_purchase, max(day_number) AS last_day
              FROM {occ.days} GROUP BY customer_id)
        SELECT customer_id, occasions, last_purchase, days_since_last, usual_gap_days,
               COALESCE(overdue_own, FALSE) AS overdue_own, overdue_population FROM (
            SELECT l.customer_id AS customer_id, l.occasions AS occasions, l.last_purchase AS last_purchase,
                   CAST({since} AS BIGINT) AS days_since_last, o.usual_gap AS usual_gap_days,
                   {own} AS overdue_own, {population} AS overdue_population
            FROM l LEFT JOIN o ON o.customer_id = l.customer_id) AS x
        WHERE COALESCE(overdue_own, FALSE) OR overdue_population
        ORDER BY days_since_last, customer_id""").to_pylist()
    action = "; ".join(stage_model.stage(stage).playbook.actions.get(lang))
    rows = [dict(r, overdue_own=bool(r["overdue_own"]), overdue_population=bool(r["overdue_population"]),
                 action=action) for r in rows]  # ClickHouse gives booleans as 0/1
    customers = pa.Table.from_pylist(rows, schema=OVERDUE_SCHEMA)
    buyers = engine.query(f"SELECT count(DISTINCT customer_id) AS n FROM {occ.days}").column(0)[0].as_py()
    summary = pa.Table.from_pylist([{
        "customers": buyers,
        "overdue": len(rows),
        "overdue_own": sum(r["overdue_own"] for r in rows),
        "overdue_population": sum(r["overdue_population"] for r in rows),
        "population_threshold_days": threshold,
    }], schema=OVERDUE_SUMMARY_SCHEMA)
    return OverdueResult(customers, summary, occ.as_of)


def winback(engine: Engine, *, offer: StepRule = WINBACK_OFFER, lapse_after: str | dt.timedelta = "60d",
            offer_within: str | dt.timedelta = "7d", return_within: str | dt.timedelta = "60d",
            confidence: float = 0.95, events: str | None = None, aliases: str | None = "aliases",
            purchase: StepRule = PURCHASE, timezone: str = "UTC", as_of: dt.datetime | None = None) -> WinbackResult:
    """Return rates of targeted and untargeted lapses and the uplift (see module)."""
    from voronka.source import event_sources

    occ = prepare_occasions(engine, events=events, aliases=aliases, purchase=purchase, timezone=timezone, as_of=as_of)
    src, aliases = event_sources(engine, events, aliases)
    lapse, within, back = (micros(parse_duration(d)) for d in (lapse_after, offer_within, return_within))
    as_of_us = epoch_micros(occ.as_of)
    rows = engine.query(f"""
        WITH o AS (SELECT customer_id, n, epoch_us(ts) AS t FROM {occ.days}),
        lapses AS (SELECT a.customer_id AS customer_id, a.t AS t0, a.t + {lapse} AS tl, b.t AS t_next
                   FROM o AS a LEFT JOIN o AS b ON b.customer_id = a.customer_id AND b.n = a.n + 1
                   WHERE (b.t IS NULL OR b.t > a.t + {lapse}) AND a.t + {lapse + within + back} <= {as_of_us}),
        offers AS (SELECT customer_id, epoch_us(ts) AS t FROM ({resolved_events(src, aliases)}) AS ev
                   WHERE {rule_predicate(offer)} AND ts <= {literal(occ.as_of)}),
        firsts AS (SELECT l.customer_id AS customer_id, l.t0 AS t0, min(f.t) AS t_offer
                   FROM lapses AS l JOIN offers AS f ON f.customer_id = l.customer_id
                   WHERE f.t > l.t0 AND f.t <= l.tl + {within} AND (l.t_next IS NULL OR f.t < l.t_next)
                   GROUP BY l.customer_id, l.t0)
        SELECT targeted, count(*) AS lapses, sum(returned) AS returned FROM (
            SELECT CASE WHEN f.t_offer IS NULL THEN 'not_targeted' ELSE 'targeted' END AS targeted,
                   CASE WHEN l.t_next IS NOT NULL AND l.t_next <= (CASE WHEN f.t_offer IS NOT NULL AND f.t_offer > l.tl
                        THEN f.t_offer ELSE l.tl END) + {back} THEN 1 ELSE 0 END AS returned
            FROM lapses AS l LEFT JOIN firsts AS f ON f.customer_id = l.customer_id AND f.t0 = l.t0) AS x
        GROUP BY targeted""").to_pylist()
    found = {r["targeted"]: (int(r["lapses"]), int(r["returned"] or 0)) for r in rows}
    groups = [{"group": g, "lapses": n, "returned": k, "return_rate": k / n if n else None}
              for g in ("targeted", "not_targeted") for n, k in [found.get(g, (0, 0))]]
    (n1, k1), (n2, k2) = found.get("targeted", (0, 0)), found.get("not_targeted", (0, 0))
    uplift = low = high = p = None
    if n1 and n2:
        uplift, low, high = difference_interval(k1, n1, k2, n2, confidence)
        p = two_proportion_ztest(k1, n1, k2, n2)[1]
    return WinbackResult(pa.Table.from_pylist(groups, schema=WINBACK_SCHEMA), uplift, low, high, p, confidence,
                         occ.as_of)


__all__ = ["WINBACK_OFFER", "OverdueDefinition", "OverdueResult", "WinbackDefinition", "WinbackResult",
           "overdue_customers", "winback"]


class OverdueDefinition(Definition):
    """``voronka overdue`` as a record: buyers of ``purchase`` (``a|b`` or ``MODEL:STAGE``)
    overdue against ``factor`` × their own usual gap (with at least ``min_gaps`` gaps) or the
    population's ``percentile`` of gaps, with the playbook action of ``model``'s ``stage`` in
    ``lang`` (docs/loop.md). The zone and "now" are the source's."""

    factor: float = Field(2.0, gt=0, le=1000)
    min_gaps: int = Field(2, ge=1, le=10_000)
    percentile: float = Field(90.0, gt=0, le=100)
    model: ModelName = "journey"
    stage: Annotated[str, Field(min_length=1, max_length=128)] = "curiosity"
    purchase: Rule = "purchase"
    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source) -> OverdueResult:
        from voronka.touches import parse_rule

        return overdue_customers(source, factor=self.factor, min_gaps=self.min_gaps, percentile=self.percentile,
                                 model=self.model, stage=self.stage, lang=self.lang,
                                 purchase=parse_rule(self.purchase, PURCHASE, "purchase"),
                                 timezone=source.timezone, as_of=source.as_of)


class WinbackDefinition(Definition):
    """``voronka winback`` as a record: lapses after ``lapse_after`` without a purchase, an
    ``offer`` (``a|b``) within ``offer_within`` of the lapse point counting as targeted, a
    return within ``return_within``; the uplift's interval at ``confidence`` (docs/loop.md).
    The zone and "now" are the source's."""

    offer: Rule = "winback_offer"
    lapse_after: Duration = "60d"
    offer_within: Duration = "7d"
    return_within: Duration = "60d"
    confidence: float = Field(0.95, gt=0, lt=1)
    purchase: Rule = "purchase"

    def compute(self, source: Source) -> WinbackResult:
        from voronka.touches import parse_rule

        return winback(source, offer=parse_rule(self.offer, WINBACK_OFFER, "offer"), lapse_after=self.lapse_after,
                       offer_within=self.offer_within, return_within=self.return_within,
                       confidence=self.confidence, purchase=parse_rule(self.purchase, PURCHASE, "purchase"),
                       timezone=source.timezone, as_of=source.as_of)
