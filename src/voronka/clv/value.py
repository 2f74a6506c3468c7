"""Customer lifetime value over a horizon, and how well the purchase model predicted a holdout.

**CLV** of a customer with history (x, t_x, T) and mean repeat value m_x, over H months
at a monthly discount rate d (discrete time, purchases of month m discounted as if at
its end):

    CLV = margin · E[M | x, m_x] · Σ_{m=1..H} (E[Y(m·u) | x, t_x, T] − E[Y((m−1)·u) | x, t_x, T]) / (1 + d)^m

where E[Y(t) | …] is BG/NBD's expected repeat purchases in (T, T+t], E[M | …] the
Gamma-Gamma expected mean spend, and u the model time units in one month (a month is
365.25 / 12 = 30.4375 days: 30.4375 day-units or 4.348 week-units). With d = 0 it is
expected purchases in H months × expected spend.

**Holdout check**: with the model fitted on calibration, each customer's predicted
purchases in the holdout E[Y(holdout_length) | x, t_x, T] against the actual
``frequency_holdout``; reported as totals (actual, predicted, error % = (predicted −
actual) / actual), mean absolute error per customer (MAE) and the paper's table by
calibration frequency x = 0, 1, …, 6, 7+ (customers, mean actual, mean predicted).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from voronka.clv.bgnbd import BetaGeo
from voronka.clv.gamma_gamma import GammaGamma
from voronka.clv.summary import UNITS, Summary
from voronka.columns import column, in_currency

DAYS_PER_MONTH = 365.25 / 12

CUSTOMERS_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("customer_id", pa.string(), "label", "value.col.customer_id"),
    column("frequency", pa.int64(), "count", "value.col.frequency"),
    column("recency", pa.float64(), "number", "value.col.recency"), column("T", pa.float64(), "number", "value.col.T"),
    column("monetary_value", pa.float64(), "money", "value.col.monetary_value"),
    column("p_alive", pa.float64(), "rate", "value.col.p_alive"),
    column("expected_purchases", pa.float64(), "count", "value.col.expected_purchases"),
    column("expected_spend", pa.float64(), "money", "value.col.expected_spend"),
    column("clv", pa.float64(), "money", "value.col.clv"),
])
HOLDOUT_SCHEMA = pa.schema([
    column("customers", pa.int64(), "count", "value.col.customers"),
    column("holdout_length", pa.float64(), "number", "value.col.holdout_length"),
    column("unit", pa.string(), "label", "value.col.unit", values="value.unit"),
    column("actual", pa.float64(), "count", "value.col.actual_total"),
    column("predicted", pa.float64(), "count", "value.col.predicted_total"),
    column("error_pct", pa.float64(), "rate", "value.col.error_pct"), column("mae", pa.float64(), "number", "value.col.mae"),
])
BY_FREQUENCY_SCHEMA = pa.schema([
    column("x", pa.string(), "label", "value.col.x"), column("customers", pa.int64(), "count", "value.col.customers"),
    column("actual", pa.float64(), "number", "value.col.actual"),
    column("predicted", pa.float64(), "number", "value.col.predicted"),
])


def customer_values(summary: Summary, model: BetaGeo, spend: GammaGamma | None, *, horizon_months: int = 12,
                    discount: float = 0.01, margin: float = 1.0) -> pa.Table:
    """One row per customer of ``summary``: the history, ``p_alive``, ``expected_purchases``
    in the horizon, ``expected_spend`` per purchase (None without a spend model) and
    ``clv`` (None without a spend model), highest CLV first."""
    c = summary.customers
    x, t_x, T = (c.column(n).to_numpy() for n in ("frequency", "recency", "T"))
    u = DAYS_PER_MONTH / UNITS[summary.unit]
    cumulative = [np.zeros(len(x))] + [model.conditional_expected_purchases(m * u, x, t_x, T)
                                       for m in range(1, horizon_months + 1)]
    discounted = sum((cumulative[m] - cumulative[m - 1]) / (1 + discount) ** m for m in range(1, horizon_months + 1))
    out = {n: c.column(n) for n in ("customer_id", "frequency", "recency", "T", "monetary_value")}
    out["p_alive"] = pa.array(model.p_alive(x, t_x, T))
    out["expected_purchases"] = pa.array(cumulative[-1])
    if spend is not None:
        m = spend.conditional_expected_spend(x, c.column("monetary_value").to_numpy())
        out["expected_spend"] = pa.array(m)
        out["clv"] = pa.array(margin * m * np.asarray(discounted, dtype=float))
        order = "clv"
    else:
        out["expected_spend"] = pa.nulls(len(x), pa.float64())
        out["clv"] = pa.nulls(len(x), pa.float64())
        order = "expected_purchases"
    table = pa.table(out, schema=CUSTOMERS_SCHEMA).sort_by([(order, "descending"), ("customer_id", "ascending")])
    return in_currency(table, summary.currency)


def holdout_check(summary: Summary, model: BetaGeo) -> tuple[pa.Table, pa.Table]:
    """The totals row (customers, holdout_length, actual, predicted, error_pct, mae) and the
    table by calibration frequency (``x`` as text: 0…6, 7+), for a summary with a holdout."""
    if summary.holdout_end is None:
        raise ValueError("the summary has no holdout period")
    c = summary.customers
    x, t_x, T = (c.column(n).to_numpy() for n in ("frequency", "recency", "T"))
    actual = c.column("frequency_holdout").to_numpy().astype(float)
    predicted = model.conditional_expected_purchases(summary.holdout_length, x, t_x, T)
    total_actual, total_predicted = float(actual.sum()), float(predicted.sum())
    totals = pa.table({
        "customers": [len(x)], "holdout_length": [summary.holdout_length], "unit": [summary.unit],
        "actual": [total_actual], "predicted": [total_predicted],
        "error_pct": [(total_predicted - total_actual) / total_actual if total_actual else None],
        "mae": [float(np.mean(np.abs(predicted - actual))) if len(x) else None],
    }, schema=HOLDOUT_SCHEMA)
    group = np.minimum(x, 7)
    rows = []
    for g in range(8):
        chosen = group == g
        if chosen.any():
            rows.append({"x": "7+" if g == 7 else str(g), "customers": int(chosen.sum()),
                         "actual": float(actual[chosen].mean()), "predicted": float(predicted[chosen].mean())})
    by_frequency = pa.Table.from_pylist(rows, schema=BY_FREQUENCY_SCHEMA)
    return totals, by_frequency


__all__ = ["BY_FREQUENCY_SCHEMA", "CUSTOMERS_SCHEMA", "DAYS_PER_MONTH", "HOLDOUT_SCHEMA", "customer_values", "holdout_check"]
