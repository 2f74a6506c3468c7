"""What the data supports: which analyses a full report leaves out, and why (docs/report.md).

An analysis is left out, not drawn as a table of zeros, when the data lacks what it
measures:

    analysis      left out when
    money         the spend table is missing or has no rows
    attribution   no purchase event (nothing to attribute)
    loop          no purchase event
    clv           fewer than ``MIN_REPEAT_CUSTOMERS`` customers with a repeat purchase
                  (a second purchase occasion, i.e. on another local day)
    referrals     no event names a referrer (``referrer_id`` other than the customer)
                  and no ``referral_invite`` event
    complaints    no ``complaint`` event
    deals         the deals table (CRM stage changes) is missing or has no rows

The counts come from one pass over the events plus one over the purchase occasions,
inside the engine. An analysis that passes these checks may still fail on its own
terms (a ``VoronkaError``); the report lists that reason too.
"""

from __future__ import annotations

from dataclasses import dataclass

from voronka.distance import COMPLAINT
from voronka.engines import Engine
from voronka.source import event_sources
from voronka.i18n import t
from voronka.loop.occasions import PURCHASE, occasions_sql
from voronka.referrals import INVITE
from voronka.sql import rule_predicate

MIN_REPEAT_CUSTOMERS = 10
"""Customers with a repeat purchase below which lifetime value is not fitted in a report."""


@dataclass(frozen=True)
class DataProfile:
    """The counts the checks look at."""

    events: int
    purchases: int
    repeat_customers: int
    referred: int
    invitations: int
    complaints: int
    spend_rows: int
    deal_rows: int = 0

    def missing(self, lang: str) -> dict[str, str]:
        """Analysis → why the data cannot support it (in ``lang``), for those it cannot."""
        reasons: dict[str, str] = {}
        if not self.spend_rows:
            reasons["money"] = t("report.reason.no_spend", lang)
        if not self.purchases:
            reasons["attribution"] = reasons["loop"] = t("report.reason.no_purchase", lang)
        if self.repeat_customers < MIN_REPEAT_CUSTOMERS:
            reasons["clv"] = t("report.reason.few_repeat", lang, found=self.repeat_customers,
                               needed=MIN_REPEAT_CUSTOMERS)
        if not self.referred and not self.invitations:
            reasons["referrals"] = t("report.reason.no_referrer", lang)
        if not self.complaints:
            reasons["complaints"] = t("report.reason.no_complaint", lang)
        if not self.deal_rows:
            reasons["deals"] = t("report.reason.no_deals", lang)
        return reasons


def data_profile(engine: Engine, *, timezone: str = "UTC") -> DataProfile:
    """The ``DataProfile`` of the engine's events (read through the alias map) and spend."""
    events, aliases = event_sources(engine, None, "aliases")
    row = engine.query(f"""
        SELECT count(*) AS events,
               sum(CASE WHEN {rule_predicate(PURCHASE)} THEN 1 ELSE 0 END) AS purchases,
               sum(CASE WHEN referrer_id IS NOT NULL AND referrer_id <> customer_id THEN 1 ELSE 0 END) AS referred,
               sum(CASE WHEN {rule_predicate(INVITE)} THEN 1 ELSE 0 END) AS invitations,
               sum(CASE WHEN {rule_predicate(COMPLAINT)} THEN 1 ELSE 0 END) AS complaints
        FROM {events} AS e""").to_pylist()[0]
    repeat = engine.query(
        f"SELECT count(*) AS n FROM (SELECT customer_id FROM ({occasions_sql(events, aliases, timezone=timezone)}) "
        f"AS o GROUP BY customer_id HAVING count(DISTINCT day) >= 2) AS r").to_pylist()[0]["n"]
    spend, deals = (engine.query(f"SELECT count(*) AS n FROM {name}").to_pylist()[0]["n"]
                    if engine.has_table(name) else 0 for name in ("spend", "deals"))
    return DataProfile(int(row["events"] or 0), int(row["purchases"] or 0), int(repeat or 0),
                       int(row["referred"] or 0), int(row["invitations"] or 0), int(row["complaints"] or 0),
                       int(spend or 0), int(deals or 0))
