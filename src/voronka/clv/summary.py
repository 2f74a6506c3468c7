"""Frequency, recency, T and mean repeat value per customer: the input of BG/NBD and Gamma-Gamma.

Computed inside the engine from purchase occasions (``voronka.loop.occasions``: one
customer's purchases on one local calendar day are one occasion), in the convention of
Fader & Hardie and of the ``lifetimes`` package, with days counted between local dates:

* **calibration** is every occasion on or before ``calibration_end`` (a local date,
  inclusive); a customer enters the summary when the first occasion is in it;
* ``frequency`` x = occasions in calibration − 1 (repeat occasions);
* ``recency`` t_x = last − first occasion date in calibration (0 when x = 0);
* ``T`` = calibration_end − first occasion date;
* ``monetary_value`` = mean revenue of the repeat occasions in calibration (0 when x = 0;
  the first occasion is left out: it is usually different, e.g. a trial offer);
* with a holdout (``holdout_end`` after ``calibration_end``): ``frequency_holdout`` =
  occasions in (calibration_end, holdout_end], and ``holdout_length`` = holdout_end −
  calibration_end, the same for every customer.

Times are in ``unit``: ``day`` or ``week`` (days / 7). Example: first purchase
1997-01-01, repeats 1997-01-18 and 1997-08-02, calibration_end 1997-09-30, weeks:
x = 2, t_x = 213 / 7 = 30.43, T = 272 / 7 = 38.86.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.loop.occasions import PURCHASE, local_date, occasions_sql
from voronka.rules import StepRule
from voronka.sql import literal

UNITS = {"day": 1.0, "week": 7.0}
"""Time units of the models: days per unit."""

EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Summary:
    """The per-customer summary (``customers``) and the choices it was computed with."""

    customers: pa.Table
    unit: str
    calibration_end: dt.date
    holdout_end: dt.date | None
    currency: str | None

    @property
    def holdout_length(self) -> float | None:
        """holdout_end − calibration_end, in ``unit`` (None without a holdout)."""
        if self.holdout_end is None:
            return None
        return (self.holdout_end - self.calibration_end).days / UNITS[self.unit]


def summary_sql(events: str, aliases: str | None, *, calibration_end: dt.date, holdout_end: dt.date | None = None,
                purchase: StepRule = PURCHASE, timezone: str = "UTC", currency: str | None = None) -> str:
    """One row per customer with a first occasion in calibration: ``customer_id``,
    ``first_day`` (day number since 1970-01-01), ``frequency``, ``recency_days``,
    ``t_days``, ``monetary_value``, ``frequency_holdout`` (0 without a holdout).
    With ``currency``, only revenue in that currency is summed (other purchases count as
    occasions with revenue 0)."""
    cal = (calibration_end - EPOCH).days
    end = (holdout_end - EPOCH).days if holdout_end is not None else cal
    value = "revenue" if currency is None else f"CASE WHEN currency = {literal(currency)} THEN revenue ELSE 0 END"
    return f"""
    WITH days AS (
        SELECT customer_id, CAST(date_diff('day', DATE '1970-01-01', day) AS BIGINT) AS d,
               CAST(sum({value}) AS DOUBLE) AS v
        FROM ({occasions_sql(events, aliases, purchase=purchase, timezone=timezone)}) AS o
        GROUP BY customer_id, day),
    cal AS (
        SELECT customer_id, min(d) AS first_d, max(d) AS last_d, count(*) AS n, sum(v) AS total,
               arg_min(v, d) AS v1
        FROM days WHERE d <= {cal} GROUP BY customer_id),
    hold AS (
        SELECT customer_id, count(*) AS n_hold FROM days WHERE d > {cal} AND d <= {end} GROUP BY customer_id)
    SELECT c.customer_id AS customer_id, CAST(c.first_d AS BIGINT) AS first_day,
           CAST(c.n - 1 AS BIGINT) AS frequency, CAST(c.last_d - c.first_d AS BIGINT) AS recency_days,
           CAST({cal} - c.first_d AS BIGINT) AS t_days,
           CASE WHEN c.n > 1 THEN (c.total - c.v1) / (c.n - 1) ELSE 0.0 END AS monetary_value,
           CAST(COALESCE(h.n_hold, 0) AS BIGINT) AS frequency_holdout
    FROM cal AS c LEFT JOIN hold AS h ON h.customer_id = c.customer_id
    ORDER BY customer_id"""


def customer_summary(engine: Engine, *, unit: str = "week", calibration_end: dt.date | None = None,
                     holdout_end: dt.date | None = None, purchase: StepRule = PURCHASE, timezone: str = "UTC",
                     currency: str | None = None, events: str | None = None,
                     aliases: str | None = "aliases") -> Summary:
    """The per-customer summary (see the module docstring) computed in ``engine``.

    ``calibration_end`` defaults to the local date of the latest event (no holdout), or,
    with ``holdout_end``, must come before it. Revenue of several currencies is never
    summed: give ``currency`` when the purchases hold more than one (DefinitionError)."""
    from voronka.source import event_sources, latest_event

    if unit not in UNITS:
        raise DefinitionError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}", field="unit")
    events, aliases = event_sources(engine, events, aliases)
    if calibration_end is None:
        if holdout_end is not None:
            raise DefinitionError("a holdout needs the end of calibration", field="calibration_end")
        calibration_end = local_date(latest_event(engine, events), timezone)
    if holdout_end is not None and holdout_end <= calibration_end:
        raise DefinitionError(f"the holdout must end after calibration ({calibration_end})", field="holdout_end")
    currency = purchase_currency(engine, events, aliases, purchase=purchase, timezone=timezone, currency=currency)
    table = engine.query(summary_sql(events, aliases, calibration_end=calibration_end, holdout_end=holdout_end,
                                     purchase=purchase, timezone=timezone, currency=currency))
    per = UNITS[unit]
    d = table.to_pydict()
    customers = pa.table({
        "customer_id": pa.array(d["customer_id"], pa.string()),
        "first_purchase": pa.array([EPOCH + dt.timedelta(days=x) for x in d["first_day"]], pa.date32()),
        "frequency": pa.array(d["frequency"], pa.int64()),
        "recency": pa.array([x / per for x in d["recency_days"]], pa.float64()),
        "T": pa.array([x / per for x in d["t_days"]], pa.float64()),
        "monetary_value": pa.array([float(x or 0.0) for x in d["monetary_value"]], pa.float64()),
        "frequency_holdout": pa.array(d["frequency_holdout"], pa.int64()),
    })
    if holdout_end is None:
        customers = customers.drop_columns(["frequency_holdout"])
    return Summary(customers, unit, calibration_end, holdout_end, currency)


def purchase_currency(engine: Engine, events: str, aliases: str | None, *, purchase: StepRule = PURCHASE,
                      timezone: str = "UTC", currency: str | None = None) -> str | None:
    """The currency whose revenue is summed: ``currency`` when given, else the only one
    of the purchases (None without any); several and none chosen: DefinitionError."""
    if currency is not None:
        return currency
    found = engine.query(
        f"SELECT DISTINCT currency FROM ({occasions_sql(events, aliases, purchase=purchase, timezone=timezone)}) "
        "AS o WHERE currency IS NOT NULL").column(0).to_pylist()
    if len(found) > 1:
        raise DefinitionError(f"purchases in several currencies ({', '.join(sorted(found))}): choose one "
                              "with currency", field="currency")
    return found[0] if found else None


__all__ = ["UNITS", "Summary", "customer_summary", "purchase_currency", "summary_sql"]
