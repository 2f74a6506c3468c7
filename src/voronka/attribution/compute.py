"""All models over the same paths, side by side, with spend: ``compute_attribution``.

Totals: every model credits the conversions (and revenue) of the converting paths with
at least one touch; conversions with an empty path go to the row ``(no touch)`` under
every model, so each model's column sums to all conversions. Revenue is credited per
currency (amounts in different currencies are never added); ``conversions`` is credited
once over all currencies.

Spend (table ``spend``, when it has rows): a channel's spend is the sum of its rows'
``amount`` per currency (``--by campaign``: per channel and campaign), over the dates
``date_from``–``date_to`` when given, else all rows. Under each model,
cost per conversion = spend / credited conversions and ROI = (credited revenue − spend)
/ spend, only for revenue in the spend's currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import AfterValidator, Field

from voronka.attribution import heuristic
from voronka.attribution.journeys import conversion_journeys, journeys_to_paths, touch_label
from voronka.attribution.markov import MarkovResult, markov
from voronka.attribution.path import ConversionPath, Credit, aggregate
from voronka.columns import column
from voronka.attribution.shapley import shapley
from voronka.definition import Definition, Duration, Rule, Text
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.rules import PURCHASE, StepRule
from voronka.source import Source
from voronka.sql import literal
from voronka.touches import positive_duration

MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "markov",
          "shapley")
NO_TOUCH = "(no touch)"
VALUES = ("conversions", "revenue", "conversion_share", "revenue_share")

CREDIT_SCHEMA = pa.schema([  # kinds: voronka.columns
    column("model", pa.string(), "label"), column("channel", pa.string(), "label"),
    column("conversions", pa.float64(), "count"), column("conversion_share", pa.float64(), "rate"),
    column("revenue", pa.float64(), "money"), column("revenue_share", pa.float64(), "rate"),
    ("currency", pa.string()),
])
SPEND_SCHEMA = pa.schema([
    ("model", pa.string()), ("channel", pa.string()), ("spend", pa.float64()), ("currency", pa.string()),
    ("conversions", pa.float64()), ("cost_per_conversion", pa.float64()), ("revenue", pa.float64()),
    ("roi", pa.float64()),
])


@dataclass(frozen=True)
class AttributionSettings:
    """The options every model reads (one documented meaning each, docs/attribution.md)."""

    models: tuple[str, ...] = MODELS
    order: int = 1
    half_life: dt.timedelta = dt.timedelta(days=7)
    direct: tuple[str, ...] = ("direct",)
    position: tuple[float, float] = (0.4, 0.4)
    include_non_converting: bool = True
    exact_up_to: int = 20
    samples: int = 10_000
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [m for m in self.models if m not in MODELS]
        if unknown or not self.models:
            raise DefinitionError(f"unknown model {', '.join(unknown) or '(none)'}; models: {', '.join(MODELS)}",
                                  field="models")
        if not 1 <= self.order <= 4:
            raise DefinitionError(f"Markov order {self.order}: use 1 to 4", field="order")
        if self.half_life.total_seconds() <= 0:
            raise DefinitionError("half-life must be positive, e.g. 7d", field="half_life")


def parse_models(text: str) -> tuple[str, ...]:
    """``all`` or ``first_touch,markov`` → model names, checked."""
    names = MODELS if text.strip().lower() == "all" else tuple(m.strip() for m in text.split(",") if m.strip())
    return AttributionSettings(models=names).models


def run_model(name: str, paths: Sequence[ConversionPath], settings: AttributionSettings,
              grouped: Sequence[ConversionPath] | None = None) -> tuple[Credit, MarkovResult | None]:
    """One model over ``paths`` (time decay reads them one by one; the others read
    ``grouped``, the paths aggregated, computed here when not given)."""
    if name == "time_decay":
        return heuristic.time_decay(paths, settings.half_life.total_seconds()), None
    grouped = aggregate(paths) if grouped is None else grouped
    if name == "markov":
        result = markov(grouped, settings.order, settings.include_non_converting)
        return result.credit, result
    if name == "shapley":
        return shapley(grouped, exact_up_to=settings.exact_up_to, samples=settings.samples, seed=settings.seed), None
    if name == "last_non_direct":
        return heuristic.last_non_direct(grouped, settings.direct), None
    if name == "position_based":
        return heuristic.position_based(grouped, *settings.position), None
    return getattr(heuristic, name)(grouped), None


def attribute(paths: Sequence[ConversionPath], settings: AttributionSettings = AttributionSettings()
              ) -> tuple[pa.Table, MarkovResult | None]:
    """The credit table (``CREDIT_SCHEMA``): one row per model, channel and revenue currency."""
    converted = [p for p in paths if p.conversions > 0]
    currencies = sorted({p.currency for p in converted if p.currency is not None}) or [None]
    untouched = [p for p in converted if not p.channels]
    rows, markov_result = [], None
    grouped = aggregate(paths)
    for name in settings.models:
        credit, details = run_model(name, paths, settings, grouped)
        markov_result = details or markov_result
        conversions = dict(credit.conversions)
        if untouched:
            conversions[NO_TOUCH] = sum(p.conversions for p in untouched)
        total_conversions = sum(conversions.values())
        for currency in currencies:
            if len(currencies) == 1:
                value = credit.value
            else:
                only = [replace(p, value=p.value if p.currency == currency else 0.0) for p in paths]
                value = run_model(name, only, settings)[0].value
            value = dict(value)
            if untouched:
                value[NO_TOUCH] = sum(p.value for p in untouched if p.currency == currency)
            total_value = sum(value.values())
            for channel in sorted(set(conversions) | set(value), key=lambda c: (c == NO_TOUCH, c)):
                c, v = conversions.get(channel, 0.0), value.get(channel, 0.0)
                rows.append({"model": name, "channel": channel, "conversions": c,
                             "conversion_share": c / total_conversions if total_conversions else None,
                             "revenue": v, "revenue_share": v / total_value if total_value else None,
                             "currency": currency})
    return pa.Table.from_pylist(rows, schema=CREDIT_SCHEMA), markov_result


def comparison(credit: pa.Table, value: str = "conversions") -> pa.Table:
    """Channel × model: one row per channel (and currency, for revenue), one column per model,
    channels by their mean credit, largest first. ``value``: conversions, revenue,
    conversion_share or revenue_share."""
    if value not in VALUES:
        raise DefinitionError(f"value {value!r}: one of {', '.join(VALUES)}", field="value")
    models = list(dict.fromkeys(credit.column("model").to_pylist()))
    cells: dict[tuple, dict[str, float]] = {}
    for r in credit.to_pylist():
        key = (r["channel"], r["currency"] if value.startswith("revenue") else None)
        cells.setdefault(key, {})[r["model"]] = r[value]
    keys = sorted(cells, key=lambda k: (k[0] == NO_TOUCH, -sum(cells[k].values()), k[0], k[1] or ""))
    columns: dict[str, list] = {"channel": [k[0] for k in keys]}
    if value.startswith("revenue"):
        columns["currency"] = [k[1] for k in keys]
    for m in models:
        columns[m] = [cells[k].get(m, 0.0) for k in keys]
    return pa.table(columns)


def spend_totals(engine: Engine, by: str = "channel", date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> dict[tuple[str, str], float]:
    """(label, currency) → spend; empty when there is no ``spend`` table or it has no rows."""
    if not engine.has_table("spend"):
        return {}
    where = []
    if date_from:
        where.append(f"date >= CAST({literal(date_from.isoformat())} AS DATE)")
    if date_to:
        where.append(f"date <= CAST({literal(date_to.isoformat())} AS DATE)")
    sql = ("SELECT channel, campaign, currency, CAST(sum(amount) AS DOUBLE) AS amount FROM spend"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " GROUP BY channel, campaign, currency")
    totals: dict[tuple[str, str], float] = {}
    for r in engine.query(sql).to_pylist():
        key = (touch_label(r["channel"], r["campaign"], by), r["currency"])
        totals[key] = totals.get(key, 0.0) + r["amount"]
    return totals


def spend_table(credit: pa.Table, spend: dict[tuple[str, str], float]) -> pa.Table:
    """Per model and channel with spend: spend, credited conversions, cost per conversion,
    credited revenue in the spend's currency, ROI (``SPEND_SCHEMA``)."""
    by_model: dict[tuple[str, str], dict] = {}
    for r in credit.to_pylist():
        entry = by_model.setdefault((r["model"], r["channel"]), {"conversions": r["conversions"], "revenue": {}})
        entry["revenue"][r["currency"]] = r["revenue"]
    models = list(dict.fromkeys(credit.column("model").to_pylist()))
    rows = []
    for model in models:
        for (channel, currency), amount in sorted(spend.items()):
            entry = by_model.get((model, channel), {"conversions": 0.0, "revenue": {}})
            conversions = entry["conversions"]
            revenue = entry["revenue"].get(currency, 0.0)
            rows.append({"model": model, "channel": channel, "spend": amount, "currency": currency,
                         "conversions": conversions,
                         "cost_per_conversion": amount / conversions if conversions else None,
                         "revenue": revenue, "roi": (revenue - amount) / amount if amount else None})
    return pa.Table.from_pylist(rows, schema=SPEND_SCHEMA)


@dataclass(frozen=True)
class AttributionResult:
    """Everything ``compute_attribution`` found. ``credit``: long (``CREDIT_SCHEMA``);
    ``conversions``/``revenue``: channel × model; ``spend``: None without spend rows;
    ``markov``: the chain, transitions and removal effects when the Markov model ran."""

    settings: AttributionSettings
    by: str
    lookback: dt.timedelta
    journeys: pa.Table
    credit: pa.Table
    conversions: pa.Table
    revenue: pa.Table
    spend: pa.Table | None
    markov: MarkovResult | None

    @property
    def total_conversions(self) -> int:
        return sum(self.journeys.column("converted").to_pylist())


def compute_attribution(
    engine: Engine,
    *,
    settings: AttributionSettings = AttributionSettings(),
    by: str = "channel",
    conversion: StepRule = PURCHASE,
    touch: StepRule | None = None,
    first_only: bool = False,
    lookback: str | dt.timedelta = "30d",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> AttributionResult:
    """Paths from the engine, every model of ``settings`` over them, spend when loaded.

    ``date_from``/``date_to`` keep the conversions of those days (UTC) and the spend of
    those dates; non-converting paths are kept whole."""
    if by not in ("channel", "campaign"):
        raise DefinitionError(f"--by {by!r}: channel or campaign", field="by")
    lookback = positive_duration(lookback)
    journeys = conversion_journeys(engine, conversion=conversion, touch=touch, first_only=first_only,
                                   lookback=lookback,
                                   include_non_converting=settings.include_non_converting, events=events,
                                   aliases=aliases)
    if date_from or date_to:
        keep = [not r["converted"] or ((date_from is None or r["ts"].date() >= date_from)
                                       and (date_to is None or r["ts"].date() <= date_to))
                for r in journeys.select(["converted", "ts"]).to_pylist()]
        journeys = journeys.filter(pa.array(keep, pa.bool_()))
    paths = journeys_to_paths(journeys, by)
    if not any(p.conversions for p in paths):
        credit, markov_result = pa.Table.from_pylist([], schema=CREDIT_SCHEMA), None
    else:
        credit, markov_result = attribute(paths, settings)
    spend = spend_totals(engine, by, date_from, date_to)
    return AttributionResult(settings, by, lookback, journeys, credit, comparison(credit, "conversions"),
                             comparison(credit, "revenue"), spend_table(credit, spend) if spend else None,
                             markov_result)


def _models(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        parse_models(text)
    except DefinitionError as exc:
        raise ValueError(exc.reason) from None
    return text


def _position(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        first, last = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"{text!r}: two shares, e.g. 0.4,0.4") from None
    try:
        AttributionSettings(position=(first, last))
    except DefinitionError as exc:
        raise ValueError(exc.reason) from None
    return text


class AttributionDefinition(Definition):
    """``voronka attribution`` as a record: credit per ``by`` under ``models`` (``all`` or a
    comma-separated list), journeys of touches at most ``lookback`` before each ``conversion``
    (``a|b`` or ``MODEL:STAGE``), the first conversion per customer only with ``first_only``;
    conversions and spend from ``date_from`` to ``date_to`` (docs/attribution.md)."""

    models: Annotated[Text, AfterValidator(_models)] = "all"
    order: int = Field(1, ge=1, le=4)
    lookback: Duration = "30d"
    half_life: Duration = "7d"
    by: Literal["channel", "campaign"] = "channel"
    conversion: Rule = "purchase"
    first_only: bool = False
    non_converting: bool = True
    direct: Text = "direct"
    position: Annotated[Text, AfterValidator(_position)] = "0.4,0.4"
    samples: int = Field(10_000, ge=1, le=1_000_000)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def settings(self) -> AttributionSettings:
        first, last = (float(x) for x in self.position.split(","))
        return AttributionSettings(models=parse_models(self.models), order=self.order,
                                   half_life=positive_duration(self.half_life, "half_life"),
                                   direct=tuple(d.strip() for d in self.direct.split(",") if d.strip()),
                                   position=(first, last), include_non_converting=self.non_converting,
                                   samples=self.samples, seed=self.seed)

    def compute(self, source: Source) -> AttributionResult:
        from voronka.touches import parse_rule

        return compute_attribution(source, settings=self.settings(), by=self.by,
                                   conversion=parse_rule(self.conversion, PURCHASE), first_only=self.first_only,
                                   lookback=self.lookback, date_from=self.date_from, date_to=self.date_to)
