"""Referrals and advocacy: the referral tree, K-factor, viral cycle time, fans and promoters.

Definitions (docs/referrals.md has them with examples), on events read through the alias
map (``referrer_id`` too):

* A customer's **referrer** is the ``referrer_id`` of their earliest event that has one
  (a self-reference is ignored; several at that moment: the smallest id). The link counts only when the referrer's first event is
  strictly earlier than the customer's, or the referrer has no events at all (an
  unknown referrer): nobody is referred by someone who came later, so the tree has no
  cycles. Links that fail the rule are dropped and counted (``dropped_links``).
* **Generation** 0: not referred; otherwise the referrer's generation + 1 (an unknown
  referrer counts as generation 0).
* A referral is **rewarded** when the referred customer's earliest event carrying the
  referrer has the property ``reward_property`` (default ``rewarded``) equal to ``true``,
  ``1`` or ``yes``. A referrer with at least one rewarded referral is a **promoter**,
  otherwise a **fan**. A promoter is owed ``commission`` × the purchase revenue of the
  customers of their rewarded referrals (all their purchases; the commission base).
* **K-factor** per period (local calendar ``day``/``week``/``month``): with invitations
  recorded (events matching ``invite``, default ``referral_invite``), ``k_invitations``
  = i × c, i = invitations / active customers, c = referred new customers / invitations;
  ``k_referred`` = referred new customers / active customers, the only K when
  invitations are not recorded (the two agree when both exist; i and c show which factor
  to work on). Active: any event in the period; new: first event in the period.
* **Viral cycle time** of a referred customer with a known referrer: their first event −
  the referrer's first event, in days; the median per period of the referred's arrival.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from voronka.definition import Definition, Rule
from voronka.source import Source

import statistics
from dataclasses import dataclass

import pyarrow as pa

from voronka.columns import column, declared, header, in_currency
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.loop.occasions import PURCHASE, occasions_sql
from voronka.loop.periods import check_period
from voronka.rules import StepRule
from voronka.sql import field_sql, literal, local_time_sql, resolved_events, rule_predicate

INVITE = StepRule(events=["referral_invite"])
TRUE_VALUES = ("true", "1", "yes")


@dataclass(frozen=True)
class ReferralResult:
    """The tables of ``referral_analysis`` (each documented at its builder)."""

    customers: pa.Table
    generations: pa.Table
    referrers: pa.Table
    k_factor: pa.Table
    comparison: pa.Table
    summary: pa.Table


def customers_sql(events: str, aliases: str | None, *, purchase: StepRule = PURCHASE, invite: StepRule = INVITE,
                  reward_property: str = "rewarded", timezone: str = "UTC", period: str = "month",
                  currency: str | None = None) -> str:
    """One row per customer: ``customer_id``, ``first_ts``, ``first_period`` (local),
    ``referrer_raw`` (before the time-order rule), ``rewarded`` (0/1), ``invitations``,
    ``first_purchase``, ``occasions``, ``revenue``, ``touches_before_purchase``."""
    ev = resolved_events(events, aliases)
    rewarded = f"CASE WHEN lower({field_sql(reward_property)}) IN ({', '.join(literal(v) for v in TRUE_VALUES)}) THEN 1 ELSE 0 END"
    value = "revenue" if currency is None else f"CASE WHEN currency = {literal(currency)} THEN revenue ELSE 0 END"
    return f"""
    WITH ev AS ({ev}),
    firsts AS (
        SELECT customer_id, min(ts) AS first_ts,
               CAST(sum(CASE WHEN {rule_predicate(invite)} THEN 1 ELSE 0 END) AS BIGINT) AS invitations
        FROM ev GROUP BY customer_id),
    referring AS (SELECT * FROM ev WHERE referrer_id IS NOT NULL AND referrer_id <> customer_id),
    firstref AS (
        SELECT r.customer_id AS customer_id, r.ts AS t, min(r.referrer_id) AS referrer_raw
        FROM referring AS r
        JOIN (SELECT customer_id, min(ts) AS t FROM referring GROUP BY customer_id) AS m
          ON m.customer_id = r.customer_id AND m.t = r.ts
        GROUP BY r.customer_id, r.ts),
    refs AS (
        SELECT f.customer_id AS customer_id, f.referrer_raw AS referrer_raw, max({rewarded}) AS rewarded
        FROM firstref AS f JOIN referring AS r
          ON r.customer_id = f.customer_id AND r.ts = f.t AND r.referrer_id = f.referrer_raw
        GROUP BY f.customer_id, f.referrer_raw),
    buys AS (
        SELECT customer_id, min(ts) AS first_purchase, CAST(count(DISTINCT day) AS BIGINT) AS occasions,
               CAST(sum({value}) AS DOUBLE) AS revenue
        FROM ({occasions_sql(events, aliases, purchase=purchase, timezone=timezone)}) AS o GROUP BY customer_id),
    touches AS (
        SELECT ev.customer_id AS customer_id, CAST(count(*) AS BIGINT) AS touches_before_purchase
        FROM ev JOIN buys ON buys.customer_id = ev.customer_id WHERE ev.ts < buys.first_purchase
        GROUP BY ev.customer_id)
    SELECT f.customer_id AS customer_id, f.first_ts AS first_ts,
           CAST(date_trunc('{period}', {local_time_sql('f.first_ts', timezone)}) AS DATE) AS first_period,
           r.referrer_raw AS referrer_raw, CAST(COALESCE(r.rewarded, 0) AS BIGINT) AS rewarded,
           f.invitations AS invitations, b.first_purchase AS first_purchase,
           CAST(COALESCE(b.occasions, 0) AS BIGINT) AS occasions, CAST(COALESCE(b.revenue, 0) AS DOUBLE) AS revenue,
           CAST(COALESCE(t.touches_before_purchase, 0) AS BIGINT) AS touches_before_purchase
    FROM firsts AS f LEFT JOIN refs AS r ON r.customer_id = f.customer_id
    LEFT JOIN buys AS b ON b.customer_id = f.customer_id
    LEFT JOIN touches AS t ON t.customer_id = f.customer_id
    ORDER BY customer_id"""


def periods_sql(events: str, aliases: str | None, *, invite: StepRule = INVITE, timezone: str = "UTC",
                period: str = "month") -> str:
    """Per local period: ``period``, ``active`` customers (any event), ``invitations``."""
    return f"""
    SELECT CAST(date_trunc('{period}', {local_time_sql('ts', timezone)}) AS DATE) AS period,
           CAST(count(DISTINCT customer_id) AS BIGINT) AS active,
           CAST(sum(CASE WHEN {rule_predicate(invite)} THEN 1 ELSE 0 END) AS BIGINT) AS invitations
    FROM ({resolved_events(events, aliases)}) AS ev GROUP BY 1 ORDER BY 1"""


def referral_analysis(engine: Engine, *, commission: float = 0.1, period: str = "month",
                      reward_property: str = "rewarded", purchase: StepRule = PURCHASE, invite: StepRule = INVITE,
                      timezone: str = "UTC", currency: str | None = None, events: str | None = None,
                      aliases: str | None = "aliases") -> ReferralResult:
    """The referral tree and everything derived from it (see the module docstring)."""
    from voronka.clv.summary import purchase_currency
    from voronka.source import event_sources

    check_period(period)
    if not 0 <= commission <= 1:
        raise DefinitionError("commission is a share of revenue in [0, 1], e.g. 0.1", field="commission")
    events, aliases = event_sources(engine, events, aliases)
    currency = purchase_currency(engine, events, aliases, purchase=purchase, timezone=timezone, currency=currency)
    rows = engine.query(customers_sql(events, aliases, purchase=purchase, invite=invite,
                                      reward_property=reward_property, timezone=timezone, period=period,
                                      currency=currency)).to_pylist()
    customers, dropped = referral_tree(rows)
    periods = engine.query(periods_sql(events, aliases, invite=invite, timezone=timezone, period=period)).to_pylist()
    tree = pa.Table.from_pylist(customers, schema=CUSTOMER_SCHEMA)
    referrers = _referrers(customers, commission, currency)
    summary = pa.table({
        "customers": [len(customers)], "referred": [sum(c["generation"] > 0 for c in customers)],
        "referrers": [referrers.num_rows],
        "promoters": [sum(k == "promoter" for k in referrers.column("kind").to_pylist())],
        "max_generation": [max((c["generation"] for c in customers), default=0)],
        "dropped_links": [dropped],
        "median_cycle_days": [_median(c["cycle_days"] for c in customers)],
        "commission_total": [float(sum(referrers.column("commission").to_pylist()))],
        "currency": [currency],
    }, schema=SUMMARY_SCHEMA)
    tree, generations, referrers, comparison, summary = (
        in_currency(t, currency) for t in (tree, _generations(customers), referrers, _comparison(customers), summary))
    return ReferralResult(tree, generations, referrers, _k_factor(customers, periods), comparison, summary)


def referral_tree(rows: list[dict]) -> tuple[list[dict], int]:
    """Apply the link rule and number generations; rows as from ``customers_sql``.
    Returns the customers (``CUSTOMER_SCHEMA``) and the number of links dropped."""
    first = {r["customer_id"]: r["first_ts"] for r in rows}
    parent: dict[str, str] = {}
    dropped = 0
    for r in rows:
        ref = r["referrer_raw"]
        if ref is None:
            continue
        if ref not in first or first[ref] < r["first_ts"]:
            parent[r["customer_id"]] = ref
        else:
            dropped += 1
    generation: dict[str, int] = {}
    for start in first:  # walk up to a known generation; the time rule makes every chain finite
        chain, node = [], start
        while node not in generation and node in parent:
            chain.append(node)
            node = parent[node]
        base = generation.get(node, 0)
        for offset, member in enumerate(reversed(chain), 1):
            generation[member] = base + offset
        generation.setdefault(start, 0)
    referred_count: dict[str, int] = {}
    for ref in parent.values():
        referred_count[ref] = referred_count.get(ref, 0) + 1
    out = []
    for r in rows:
        cid = r["customer_id"]
        ref = parent.get(cid)
        cycle = ((r["first_ts"] - first[ref]).total_seconds() / 86400) if ref in first else None
        out.append({
            "customer_id": cid, "referrer_id": ref, "generation": generation[cid],
            "rewarded": bool(r["rewarded"]) if ref is not None else None, "first_seen": r["first_ts"],
            "first_period": r["first_period"], "cycle_days": cycle, "referred": referred_count.get(cid, 0),
            "invitations": r["invitations"], "first_purchase": r["first_purchase"], "occasions": r["occasions"],
            "revenue": r["revenue"], "touches_before_purchase": r["touches_before_purchase"],
        })
    return out, dropped


CUSTOMER_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("customer_id", pa.string(), "label", "value.col.customer_id"),
    column("referrer_id", pa.string(), "label", "value.col.referrer_id"),
    column("generation", pa.int64(), "label", "value.col.generation"),
    header("rewarded", pa.bool_(), "value.col.rewarded"), header("first_seen", pa.timestamp("us"), "value.col.first_seen"),
    header("first_period", pa.date32(), "value.col.first_period"),
    column("cycle_days", pa.float64(), "count", "value.col.cycle_days"),
    column("referred", pa.int64(), "count", "value.col.referred"),
    column("invitations", pa.int64(), "count", "value.col.invitations"),
    header("first_purchase", pa.timestamp("us"), "value.col.first_purchase"),
    column("occasions", pa.int64(), "count", "value.col.occasions"),
    column("revenue", pa.float64(), "money", "value.col.revenue"),
    column("touches_before_purchase", pa.int64(), "count", "value.col.touches_before_purchase"),
])
SUMMARY_SCHEMA = pa.schema([
    *(column(c, pa.int64(), "count", f"value.col.{c}") for c in ("customers", "referred", "referrers", "promoters")),
    column("max_generation", pa.int64(), "count", "value.col.max_generation"),
    column("dropped_links", pa.int64(), "count", "value.col.dropped_links"),
    column("median_cycle_days", pa.float64(), "count", "value.col.median_cycle_days"),
    column("commission_total", pa.float64(), "money", "value.col.commission_total"),
    column("currency", pa.string(), "label", "value.col.currency"),
])
GENERATIONS_SCHEMA = pa.schema([
    column("generation", pa.int64(), "label", "value.col.generation"),
    column("customers", pa.int64(), "count", "value.col.customers"),
    column("buyers", pa.int64(), "count", "value.col.buyers"),
    column("revenue", pa.float64(), "money", "value.col.revenue"),
])
REFERRERS_SCHEMA = pa.schema([
    column("referrer_id", pa.string(), "label", "value.col.referrer_id"),
    column("kind", pa.string(), "label", "value.col.kind", values="value.kind"),
    *(column(c, pa.int64(), "count", f"value.col.{c}") for c in ("referred", "rewarded_referred", "referred_buyers")),
    *(column(c, pa.float64(), "money", f"value.col.{c}") for c in ("referred_revenue", "commission_base", "commission")),
    column("currency", pa.string(), "label", "value.col.currency"),
])
K_FACTOR_SCHEMA = pa.schema([
    header("period", pa.date32(), "value.col.period"),
    *(column(c, pa.int64(), "count", f"value.col.{c}") for c in ("active", "new", "referred_new", "invitations")),
    column("invites_per_customer", pa.float64(), "number", "value.col.invites_per_customer"),
    column("invite_conversion", pa.float64(), "rate", "value.col.invite_conversion"),
    column("k_invitations", pa.float64(), "number", "value.col.k_invitations"),
    column("k_referred", pa.float64(), "number", "value.col.k_referred"),
    column("median_cycle_days", pa.float64(), "count", "value.col.median_cycle_days"),
])
COMPARISON_SCHEMA = pa.schema([
    column("group", pa.string(), "label", "value.col.group", values="value.group"),
    column("customers", pa.int64(), "count", "value.col.customers"),
    column("buyers", pa.int64(), "count", "value.col.buyers"),
    column("conversion", pa.float64(), "rate", "value.col.conversion"),
    column("repeat_share", pa.float64(), "rate", "value.col.repeat_share"),
    column("revenue_per_buyer", pa.float64(), "money", "value.col.revenue_per_buyer"),
    column("median_days_to_purchase", pa.float64(), "count", "value.col.median_days_to_purchase"),
    column("mean_touches_before_purchase", pa.float64(), "count", "value.col.mean_touches_before_purchase"),
])


def _generations(customers: list[dict]) -> pa.Table:
    """Per generation: customers, buyers, revenue."""
    rows: dict[int, dict] = {}
    for c in customers:
        g = rows.setdefault(c["generation"], {"generation": c["generation"], "customers": 0, "buyers": 0, "revenue": 0.0})
        g["customers"] += 1
        g["buyers"] += c["occasions"] > 0
        g["revenue"] += c["revenue"]
    return pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=GENERATIONS_SCHEMA)


def _referrers(customers: list[dict], commission: float, currency: str | None) -> pa.Table:
    """Per referrer: kind (promoter | fan), referred, rewarded_referred, referred_buyers,
    referred_revenue, commission_base (revenue of rewarded referrals), commission owed."""
    rows: dict[str, dict] = {}
    for c in customers:
        ref = c["referrer_id"]
        if ref is None:
            continue
        r = rows.setdefault(ref, {"referrer_id": ref, "kind": "fan", "referred": 0, "rewarded_referred": 0,
                                  "referred_buyers": 0, "referred_revenue": 0.0, "commission_base": 0.0})
        r["referred"] += 1
        r["referred_buyers"] += c["occasions"] > 0
        r["referred_revenue"] += c["revenue"]
        if c["rewarded"]:
            r["kind"] = "promoter"
            r["rewarded_referred"] += 1
            r["commission_base"] += c["revenue"]
    out = sorted(rows.values(), key=lambda r: (-r["referred"], r["referrer_id"]))
    for r in out:
        r["commission"] = round(r["commission_base"] * commission, 2)
        r["currency"] = currency
    return pa.Table.from_pylist(out, schema=REFERRERS_SCHEMA)


def _k_factor(customers: list[dict], periods: list[dict]) -> pa.Table:
    """Per period: active, new, referred_new, invitations, invites_per_customer (i),
    invite_conversion (c), k_invitations (i × c, None without invitations), k_referred,
    median_cycle_days."""
    new: dict = {}
    for c in customers:
        slot = new.setdefault(c["first_period"], {"new": 0, "referred": 0, "cycles": []})
        slot["new"] += 1
        if c["referrer_id"] is not None:
            slot["referred"] += 1
            if c["cycle_days"] is not None:
                slot["cycles"].append(c["cycle_days"])
    out = []
    for p in periods:
        slot = new.get(p["period"], {"new": 0, "referred": 0, "cycles": []})
        active, inv, ref = p["active"], p["invitations"], slot["referred"]
        i = inv / active if active else None
        conv = ref / inv if inv else None
        out.append({"period": p["period"], "active": active, "new": slot["new"], "referred_new": ref,
                    "invitations": inv, "invites_per_customer": i if inv else None, "invite_conversion": conv,
                    "k_invitations": i * conv if conv is not None and i is not None else None,
                    "k_referred": ref / active if active else None, "median_cycle_days": _median(slot["cycles"])})
    return pa.Table.from_pylist(out, schema=K_FACTOR_SCHEMA)


def _comparison(customers: list[dict]) -> pa.Table:
    """Referred vs not referred: customers, buyers, conversion (buyers / customers),
    repeat_share (buyers with ≥ 2 occasions / buyers), revenue_per_buyer,
    median_days_to_purchase (first event → first purchase), mean_touches_before_purchase."""
    out = []
    for group, referred in (("referred", True), ("not_referred", False)):
        members = [c for c in customers if (c["referrer_id"] is not None) == referred]
        buyers = [c for c in members if c["occasions"] > 0]
        n = len(buyers)
        out.append({
            "group": group, "customers": len(members), "buyers": n,
            "conversion": n / len(members) if members else None,
            "repeat_share": sum(c["occasions"] >= 2 for c in buyers) / n if n else None,
            "revenue_per_buyer": sum(c["revenue"] for c in buyers) / n if n else None,
            "median_days_to_purchase": _median((c["first_purchase"] - c["first_seen"]).total_seconds() / 86400
                                               for c in buyers),
            "mean_touches_before_purchase": sum(c["touches_before_purchase"] for c in buyers) / n if n else None,
        })
    return declared(pa.Table.from_pylist(out), COMPARISON_SCHEMA)


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else None


__all__ = ["ReferralsDefinition", "INVITE", "ReferralResult", "customers_sql", "periods_sql", "referral_analysis", "referral_tree"]


class ReferralsDefinition(Definition):
    """``voronka referrals`` as a record: promoters' ``commission`` (share of their referred
    customers' revenue), K-factor per ``period``, the property marking a rewarded referral,
    invitation events ``invite`` and purchases ``purchase`` (``a|b``), revenue in ``currency``
    (docs/referrals.md)."""

    commission: float = Field(0.1, ge=0, le=1)
    period: Literal["day", "week", "month"] = "month"
    reward_property: Annotated[str, Field(min_length=1, max_length=128)] = "rewarded"
    invite: Rule = "referral_invite"
    purchase: Rule = "purchase"
    currency: Annotated[str, Field(max_length=8)] | None = None

    def compute(self, source: Source) -> ReferralResult:
        from voronka.touches import parse_rule

        return referral_analysis(source, commission=self.commission, period=self.period,
                                 reward_property=self.reward_property, invite=parse_rule(self.invite, INVITE, "invite"),
                                 purchase=parse_rule(self.purchase, PURCHASE, "purchase"), timezone=source.timezone,
                                 currency=self.currency)
