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

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from voronka.engines import Engine
from voronka.rules import PURCHASE, StepRule
from voronka.sql import literal, local_time_sql, resolved_events, rule_predicate


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


OCCASIONS_TABLE = "voronka_loop_occasions"
DAYS_TABLE = "voronka_loop_days"


@dataclass(frozen=True)
class Occasions:
    """The occasions of one analysis, materialised in the engine.

    ``table`` has the columns of ``occasions_sql`` (purchases up to ``as_of`` only);
    ``days`` one row per customer and occasion day: ``customer_id``, ``day``, ``ts``,
    ``revenue`` (all currencies summed: see ``currency`` of ``prepare_occasions``),
    ``n`` (1, 2, … in day order) and ``day_number`` (days since 1970-01-01).
    ``as_of`` is UTC; ``today`` is the local calendar date of ``as_of``.
    """

    table: str
    days: str
    as_of: dt.datetime
    today: dt.date
    timezone: str


def prepare_occasions(engine: Engine, *, events: str | None = None, aliases: str | None = "aliases",
                      purchase: StepRule = PURCHASE, timezone: str = "UTC", as_of: dt.datetime | None = None,
                      currency: str | None = None) -> Occasions:
    """Materialise the occasions of purchases at or before ``as_of`` (default: the latest
    event). Only purchases in ``currency`` count when it is given."""
    from voronka.source import event_sources, latest_event

    try:
        ZoneInfo(timezone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        from voronka.errors import DefinitionError

        raise DefinitionError(f"unknown time zone {timezone!r} (e.g. Asia/Almaty, UTC)", field="timezone") from None
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    upto = f"(SELECT * FROM {events} AS e0 WHERE ts <= {literal(as_of)})"
    engine.materialize(OCCASIONS_TABLE, occasions_sql(upto, aliases, purchase=purchase, timezone=timezone))
    only = f" WHERE currency = {literal(currency)}" if currency is not None else ""
    engine.materialize(DAYS_TABLE, f"""
        SELECT customer_id, day, ts, revenue, day_number,
               CAST(row_number() OVER (PARTITION BY customer_id ORDER BY day) AS BIGINT) AS n
        FROM (SELECT customer_id, day, min(ts) AS ts, CAST(sum(revenue) AS DOUBLE) AS revenue,
                     CAST(date_diff('day', DATE '1970-01-01', day) AS BIGINT) AS day_number
              FROM {OCCASIONS_TABLE}{only} GROUP BY customer_id, day) AS d""")
    return Occasions(OCCASIONS_TABLE, DAYS_TABLE, as_of, local_date(as_of, timezone), timezone)


def currencies(engine: Engine, occasions: Occasions) -> list[str]:
    """The currencies of the occasions' revenue (NULL not counted), sorted."""
    found = engine.query(f"SELECT DISTINCT currency FROM {occasions.table} WHERE currency IS NOT NULL").column(0)
    return sorted(str(c) for c in found.to_pylist())


def check_one_currency(engine: Engine, occasions: Occasions) -> None:
    """Raise a DefinitionError when revenue in several currencies would be summed."""
    found = currencies(engine, occasions)
    if len(found) > 1:
        from voronka.errors import DefinitionError

        raise DefinitionError(f"purchases in several currencies ({', '.join(found)}): choose one with currency",
                              field="currency")


def local_date(ts: dt.datetime, timezone: str) -> dt.date:
    """The calendar date in ``timezone`` of the naive UTC timestamp ``ts``."""
    return ts.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()


__all__ = [
    "DAYS_TABLE",
    "OCCASIONS_TABLE",
    "PURCHASE",
    "Occasions",
    "check_one_currency",
    "currencies",
    "local_date",
    "occasions_sql",
    "prepare_occasions",
]
