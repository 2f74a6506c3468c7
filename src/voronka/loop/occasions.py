"""Purchase occasions: the unit every analysis after the sale counts.

Definition: a **purchase** is an event matching the purchase rule (default: event
``purchase``), read through the alias map. A **purchase occasion** is one customer's
purchases on one calendar day in the analysis time zone, merged: its ``ts`` is the first
purchase's, its ``revenue`` the sum of the purchases' revenue (NULL revenue counts as 0),
``purchases`` how many were merged. ``occasion_number`` numbers a customer's occasions
1, 2, … in time order; occasion 1 is the first purchase, 2 and later are repeats.
Revenue of different currencies is never summed: the currency is part of the key
(an occasion with purchases in two currencies becomes two rows, numbered by day alone).
"""

from __future__ import annotations

from voronka.rules import StepRule
from voronka.sql import local_time_sql, resolved_events, rule_predicate

PURCHASE = StepRule(events=["purchase"])


def occasions_sql(events: str, aliases: str | None, *, purchase: StepRule = PURCHASE,
                  timezone: str = "UTC") -> str:
    """A query with one row per purchase occasion: ``customer_id``, ``day`` (local DATE),
    ``ts`` (first purchase, UTC), ``revenue`` (DECIMAL sum), ``currency``, ``purchases``,
    ``channel`` (of the day's first purchase), ``occasion_number`` (1-based, by day)."""
    return f"""
    SELECT customer_id, day, ts, revenue, currency, purchases, channel,
           CAST(dense_rank() OVER (PARTITION BY customer_id ORDER BY day) AS BIGINT) AS occasion_number
    FROM (
        SELECT customer_id, day, min(ts) AS ts,
               CAST(sum(COALESCE(revenue, 0)) AS DECIMAL(18, 4)) AS revenue, currency,
               CAST(count(*) AS BIGINT) AS purchases, arg_min(channel, ts) AS channel
        FROM (SELECT customer_id, ts, revenue, currency, channel,
                     CAST({local_time_sql('ts', timezone)} AS DATE) AS day
              FROM ({resolved_events(events, aliases)}) AS ev
              WHERE {rule_predicate(purchase)}) AS p
        GROUP BY customer_id, day, currency
    ) AS o"""


__all__ = ["PURCHASE", "occasions_sql"]
