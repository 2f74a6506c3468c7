"""Lifetime value: BG/NBD purchases, Gamma-Gamma spend and discounted CLV per customer.

``clv_analysis(engine, ...)`` computes the per-customer summary inside the engine
(``clv.summary``), fits both models in Python by maximum likelihood (``clv.bgnbd``,
``clv.gamma_gamma``), values every customer over a horizon (``clv.value``) and, with
``holdout_from``, checks the purchase model on a holdout: fitted on the days before
``holdout_from``, predicting each customer's purchases from that day to the end. The CLV
itself always uses a fit on all the data up to the end. docs/clv.md has every definition.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from voronka.definition import Definition, Rule
from voronka.source import Source

import datetime as dt
from dataclasses import dataclass, replace

import pyarrow as pa

from voronka.clv.bgnbd import BetaGeo, fit_bgnbd
from voronka.clv.gamma_gamma import GammaGamma, fit_gamma_gamma
from voronka.clv.summary import Summary, customer_summary
from voronka.clv.value import customer_values, holdout_check
from voronka.columns import column, in_currency
from voronka.engines import Engine
from voronka.errors import DefinitionError, InputError
from voronka.loop.occasions import PURCHASE, local_date
from voronka.rules import StepRule


PARAMETERS_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("model", pa.string(), "label", "value.col.model"),
    column("parameter", pa.string(), "label", "value.col.parameter"),
    column("value", pa.float64(), "number", "value.col.value"),
])
TOTALS_SCHEMA = pa.schema([
    column("customers", pa.int64(), "count", "value.col.customers"),
    column("horizon_months", pa.int64(), "count", "value.col.horizon_months"),
    column("discount", pa.float64(), "rate", "value.col.discount"),
    column("expected_purchases", pa.float64(), "count", "value.col.expected_purchases"),
    column("mean_p_alive", pa.float64(), "rate", "value.col.mean_p_alive"),
    column("clv_total", pa.float64(), "money", "value.col.clv_total"),
    column("clv_mean", pa.float64(), "money", "value.col.clv_mean"),
    column("currency", pa.string(), "label", "value.col.currency"),
])


@dataclass(frozen=True)
class ClvResult:
    """Everything ``clv_analysis`` found: the summary and fits on all data, the customers'
    values, the parameters, and (with a holdout) the check of the calibration fit."""

    summary: Summary
    model: BetaGeo
    spend: GammaGamma | None
    customers: pa.Table
    horizon_months: int
    discount: float
    holdout: pa.Table | None = None
    holdout_by_frequency: pa.Table | None = None
    holdout_model: BetaGeo | None = None
    holdout_from: dt.date | None = None

    @property
    def parameters(self) -> pa.Table:
        """One row per fitted parameter: model, parameter, value."""
        rows = [("bgnbd", k, getattr(self.model, k)) for k in ("r", "alpha", "a", "b")]
        if self.spend is not None:
            rows += [("gamma_gamma", k, getattr(self.spend, k)) for k in ("p", "q", "gamma")]
        return pa.table({"model": [r[0] for r in rows], "parameter": [r[1] for r in rows],
                         "value": [float(r[2]) for r in rows]}, schema=PARAMETERS_SCHEMA)

    @property
    def totals(self) -> pa.Table:
        """One row: customers, expected purchases and total CLV in the horizon, mean p_alive."""
        c = self.customers
        clv = c.column("clv").to_numpy(zero_copy_only=False) if self.spend is not None else None
        return in_currency(pa.table({
            "customers": [c.num_rows], "horizon_months": [self.horizon_months], "discount": [self.discount],
            "expected_purchases": [float(sum(c.column("expected_purchases").to_pylist()))],
            "mean_p_alive": [float(sum(c.column("p_alive").to_pylist()) / c.num_rows) if c.num_rows else None],
            "clv_total": [float(clv.sum()) if clv is not None else None],
            "clv_mean": [float(clv.mean()) if clv is not None and len(clv) else None],
            "currency": [self.summary.currency],
        }, schema=TOTALS_SCHEMA), self.summary.currency)


def clv_analysis(engine: Engine, *, horizon_months: int = 12, discount: float = 0.01, unit: str = "week",
                 holdout_from: dt.date | None = None, as_of: dt.date | None = None, margin: float = 1.0,
                 purchase: StepRule = PURCHASE, timezone: str = "UTC", currency: str | None = None,
                 events: str | None = None, aliases: str | None = "aliases") -> ClvResult:
    """Fit BG/NBD and Gamma-Gamma on occasions up to ``as_of`` (a local date; default: the
    latest event's) and value every customer over ``horizon_months`` at monthly
    ``discount``; with ``holdout_from``, also the holdout check (see ``clv.value``)."""
    if horizon_months < 1:
        raise DefinitionError("the horizon must be at least one month", field="horizon")
    if not 0 <= discount < 1:
        raise DefinitionError("the monthly discount rate must be in [0, 1), e.g. 0.01", field="discount")
    common = {"unit": unit, "purchase": purchase, "timezone": timezone, "currency": currency, "events": events,
              "aliases": aliases}
    if as_of is None:
        from voronka.source import latest_event

        as_of = local_date(latest_event(engine, events), timezone)
    summary = customer_summary(engine, calibration_end=as_of, **common)
    model = _fit(summary)
    try:
        spend = fit_gamma_gamma(*(summary.customers.column(n).to_numpy() for n in ("frequency", "monetary_value")))
    except InputError:  # no repeat purchase with revenue: purchases are valued, spend is not
        spend = None
    values = customer_values(summary, model, spend, horizon_months=horizon_months, discount=discount, margin=margin)
    result = ClvResult(summary, model, spend, values, horizon_months, discount)
    if holdout_from is None:
        return result
    if holdout_from > as_of:
        raise DefinitionError(f"the holdout starts after the end of the data ({as_of})", field="holdout_from")
    calibration = customer_summary(engine, calibration_end=holdout_from - dt.timedelta(days=1), holdout_end=as_of,
                                   **common)
    holdout_model = _fit(calibration)
    totals, by_frequency = holdout_check(calibration, holdout_model)
    return replace(result, holdout=totals, holdout_by_frequency=by_frequency, holdout_model=holdout_model,
                   holdout_from=holdout_from)


def _fit(summary: Summary) -> BetaGeo:
    return fit_bgnbd(*(summary.customers.column(n).to_numpy() for n in ("frequency", "recency", "T")))


__all__ = ["ClvDefinition", "BetaGeo", "ClvResult", "GammaGamma", "Summary", "clv_analysis", "customer_summary", "customer_values",
           "fit_bgnbd", "fit_gamma_gamma", "holdout_check"]


class ClvDefinition(Definition):
    """``voronka clv`` as a record: BG/NBD and Gamma-Gamma in ``time_unit`` steps, valued over
    ``horizon`` months discounted by ``discount`` a month, ``margin`` of revenue, purchases
    ``purchase`` in ``currency``; checked on the days from ``holdout_from``; ``top`` customers
    listed (docs/clv.md). "Now" is the source's ``as_of`` (its local date)."""

    horizon: int = Field(12, ge=1, le=600)
    discount: float = Field(0.01, ge=0, le=1)
    time_unit: Literal["day", "week"] = "week"
    holdout_from: dt.date | None = None
    margin: float = Field(1.0, gt=0, le=1)
    currency: Annotated[str, Field(max_length=8)] | None = None
    purchase: Rule = "purchase"
    top: int | None = Field(20, ge=1, le=1_000_000)

    def compute(self, source: Source) -> ClvResult:
        from voronka.touches import parse_rule

        return clv_analysis(source, horizon_months=self.horizon, discount=self.discount, unit=self.time_unit,
                            margin=self.margin, holdout_from=self.holdout_from,
                            as_of=source.as_of.date() if source.as_of else None,
                            purchase=parse_rule(self.purchase, PURCHASE, "purchase"), timezone=source.timezone,
                            currency=self.currency)
