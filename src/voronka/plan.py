"""What-if and the backwards plan: funnel arithmetic on numbers (pure; no engine, no data).

A funnel of stages 1..n is described by the number of **entrants** (customers at stage 1)
and the **rates**: ``rates[j]`` is the conversion from stage j+1 into stage j+2 (n − 1
rates, each in (0, 1]). Customers at stage j = entrants × rates[0] × … × rates[j−2].

* **What-if** (``what_if``): raise the conversion *into* ``stage`` by ``points``
  percentage points. Extra customers at that stage = customers at the stage before ×
  points/100; at every later stage, that times the later rates. Extra revenue = extra
  customers at the value stage (default: the last) × the average ``check``.
* **Backwards plan** (``backwards_plan``): from a ``target`` of sales (customers at the
  last stage) or revenue (÷ ``check`` = sales) per ``period``, for each seller
  (``per="seller"``) or the whole team of ``sellers``: needed at stage j = sales ÷
  (rates[j−1] × … × rates[n−2]), for the team and per seller per period and per seller
  per working day (a month has ``working_days`` days, default 21; a week 5; a day 1).
  Every volume shown is **rounded up** (ceil) from the exact value, separately, so a
  plan is never short; exact values are kept in ``exact``.

Example (the article's "8–10 deals per person per month: how many contacts must each
seller make?"): 10 deals per seller per month, rates contact → meeting 0.3, meeting →
proposal 0.5, proposal → deal 0.2: proposals 10 / 0.2 = 50, meetings 50 / 0.5 = 100,
contacts 100 / 0.3 = 333.3 → 334 a month, 333.3 / 21 = 15.9 → 16 a working day.

The records ``WhatIfDefinition`` and ``PlanDefinition`` (``voronka whatif``, ``voronka plan``)
take the rates typed in (``0.3,0.5,0.2``: no data needed) or measure them from the data: the
overall rates of the record's ``funnel`` (``voronka.diagnose.weak_links.measured_rates``) and
the average check per buyer (``revenue_per_buyer``) unless one is given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import AfterValidator, Field, model_validator

from voronka.columns import column
from voronka.definition import Definition, Text
from voronka.errors import DefinitionError
from voronka.funnel.definition import FunnelDefinition

Period = Literal["day", "week", "month"]
PERIOD_DAYS: dict[str, int | None] = {"day": 1, "week": 5, "month": None}
"""Working days per period; a month's are the ``working_days`` argument."""
WORKING_DAYS_PER_MONTH = 21

_STAGE = [column("step", pa.int64(), "label"), column("stage", pa.string(), "label", "diagnose.col.stage"),
          column("conversion_from_previous", pa.float64(), "rate", "funnel.conversion_from_previous")]
PLAN_SCHEMA = pa.schema([*_STAGE,  # kinds and header keys: voronka.columns
    *(column(c, pa.int64(), "count", f"diagnose.col.{c}")
      for c in ("per_seller_per_day", "per_seller_per_period", "team_per_period")),
])
WHAT_IF_SCHEMA = pa.schema([*_STAGE,
    column("new_conversion", pa.float64(), "rate", "diagnose.col.new_conversion"),
    *(column(c, pa.float64(), "count", f"diagnose.col.{c}") for c in ("customers", "new_customers", "extra_customers")),
])


def ceil(x: float) -> int:
    """Round up, ignoring floating-point dust (10 / 0.2 = 50.000000000000004 → 50)."""
    return math.ceil(round(x, 9))


def check_rates(rates: Sequence[float], stages: Sequence[str] | None = None) -> list[str]:
    """Validate the rates (each in (0, 1]) and name the stages (``stages`` or 1..n)."""
    if not rates:
        raise DefinitionError("give at least one conversion rate (two stages)", field="rates")
    for i, r in enumerate(rates):
        if not 0 < r <= 1:
            raise DefinitionError(f"conversion {i + 1} is {r}: each rate must be above 0 and at most 1 "
                                  "(write 30% as 0.3)", field="rates")
    names = list(stages) if stages is not None else [str(i + 1) for i in range(len(rates) + 1)]
    if len(names) != len(rates) + 1:
        raise DefinitionError(f"{len(names)} stages need {len(names) - 1} rates, not {len(rates)}", field="rates")
    return names


@dataclass(frozen=True)
class Plan:
    """The backwards plan: ``table`` (``PLAN_SCHEMA``, volumes rounded up), the exact team
    volumes per period (``exact``), sales and revenue per period for the team."""

    table: pa.Table
    exact: list[float]
    team_sales: float
    team_revenue: float | None
    working_days: int
    sellers: int
    currency: str | None = None


def backwards_plan(
    target: float,
    rates: Sequence[float],
    *,
    target_kind: Literal["sales", "revenue"] = "sales",
    per: Literal["seller", "team"] = "seller",
    sellers: int = 1,
    period: Period = "month",
    working_days: int = WORKING_DAYS_PER_MONTH,
    check: float | None = None,
    stages: Sequence[str] | None = None,
) -> Plan:
    """The volume each stage needs to reach ``target`` (module docstring)."""
    names = check_rates(rates, stages)
    if target <= 0:
        raise DefinitionError("the target must be above 0", field="target")
    if sellers < 1:
        raise DefinitionError("sellers must be at least 1", field="sellers")
    if period not in PERIOD_DAYS:
        raise DefinitionError(f"period {period!r}: use day, week or month", field="period")
    days = PERIOD_DAYS[period] or working_days
    if days < 1:
        raise DefinitionError("working days must be at least 1", field="working_days")
    if check is not None and check <= 0:
        raise DefinitionError("the average check must be above 0", field="check")
    if target_kind == "revenue":
        if check is None:
            raise DefinitionError("a revenue target needs the average check (--check)", field="check")
        sales = target / check
    else:
        sales = float(target)
    team_sales = sales * sellers if per == "seller" else sales
    exact = [team_sales]
    for r in reversed(rates):
        exact.insert(0, exact[0] / r)
    rows = [
        {"step": j + 1, "stage": names[j], "conversion_from_previous": rates[j - 1] if j else None,
         "per_seller_per_day": ceil(x / sellers / days), "per_seller_per_period": ceil(x / sellers),
         "team_per_period": ceil(x)}
        for j, x in enumerate(exact)
    ]
    return Plan(pa.Table.from_pylist(rows, schema=PLAN_SCHEMA), exact, team_sales,
                team_sales * check if check is not None else None, days, sellers)


@dataclass(frozen=True)
class WhatIf:
    """``table`` (``WHAT_IF_SCHEMA``) and the extra revenue at the value stage (None
    without an average check)."""

    table: pa.Table
    stage: int
    points: float
    value_stage: int
    extra_revenue: float | None
    currency: str | None = None


def what_if(
    entrants: float,
    rates: Sequence[float],
    stage: int,
    points: float,
    *,
    check: float | None = None,
    value_stage: int | None = None,
    stages: Sequence[str] | None = None,
) -> WhatIf:
    """Raise the conversion into ``stage`` (1-based, 2..n) by ``points`` percentage points."""
    names = check_rates(rates, stages)
    n = len(names)
    if not 2 <= stage <= n:
        raise DefinitionError(f"stage {stage}: the first stage has no conversion into it; use 2..{n}", field="stage")
    if value_stage is not None and not 1 <= value_stage <= n:
        raise DefinitionError(f"value stage {value_stage}: use 1..{n}", field="value_step")
    new_rate = rates[stage - 2] + points / 100
    if not 0 <= new_rate <= 1:
        raise DefinitionError(f"{rates[stage - 2]:.1%} + {points} points is outside 0–100%", field="points")
    new_rates = list(rates)
    new_rates[stage - 2] = new_rate
    before, after = _customers(entrants, rates), _customers(entrants, new_rates)
    rows = [
        {"step": j + 1, "stage": names[j], "conversion_from_previous": rates[j - 1] if j else None,
         "new_conversion": new_rates[j - 1] if j else None, "customers": before[j], "new_customers": after[j],
         "extra_customers": after[j] - before[j]}
        for j in range(n)
    ]
    v = (value_stage if value_stage is not None else n) - 1
    return WhatIf(pa.Table.from_pylist(rows, schema=WHAT_IF_SCHEMA), stage, points, v + 1,
                  (after[v] - before[v]) * check if check is not None else None)


def _customers(entrants: float, rates: Sequence[float]) -> list[float]:
    out = [float(entrants)]
    for r in rates:
        out.append(out[-1] * r)
    return out


def working_days_in_month(year: int, month: int, holidays: Sequence[dt.date] = ()) -> int:
    """Monday–Friday days of a calendar month, minus the ``holidays`` that fall on them."""
    first = dt.date(year, month, 1)
    days = (dt.date(year + month // 12, month % 12 + 1, 1) - first).days
    off = set(holidays)
    return sum(1 for d in (first + dt.timedelta(days=i) for i in range(days)) if d.weekday() < 5 and d not in off)


def parse_rates(text: str) -> list[float]:
    """Typed-in conversions stage to stage, ``0.3,0.5,0.2`` (``--rates``)."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise DefinitionError(f"--rates {text!r}: write shares separated by commas, e.g. 0.3,0.5,0.2",
                              field="rates") from None


def _rates(text: str | None) -> str | None:
    if text is not None and text.strip() != "measured":
        try:
            check_rates(parse_rates(text))
        except DefinitionError as exc:
            raise ValueError(exc.reason) from None
    return text


def stage_number(stage: str, keys: list[str], field: str) -> int:
    """A stage given by key or 1-based number."""
    if stage.isdigit():
        return int(stage)
    if stage in keys:
        return keys.index(stage) + 1
    raise DefinitionError(f"no stage {stage!r}; the stages are {', '.join(keys)}", field=field)


Rates = Annotated[str, Field(max_length=2000), AfterValidator(_rates)]
"""Conversions stage to stage, ``0.3,0.5,0.2`` (each in (0, 1])."""
Money = Annotated[float, Field(ge=0, le=1e15)]
Currency = Annotated[str, Field(max_length=8)]
StageKey = Annotated[str, Field(min_length=1, max_length=256)]


def _names(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",")] if text else None


@dataclass(frozen=True)
class Measured:
    """A funnel's measured rates (``MeasuredRates``) and average revenue per buyer (``Revenue``)."""

    rates: Any
    revenue: Any


def measure(source: Any, funnel: FunnelDefinition | None, value_step: str | None, check: float | None,
            lang: str) -> Measured:
    """The rates of ``funnel`` (None: the hourglass) over ``source`` and the average check
    (``check`` if given, else measured); a funnel whose first step matches nothing says which
    event names exist."""
    from voronka.diagnose.weak_links import Revenue, measured_rates, revenue_per_buyer
    from voronka.funnel import compute_funnel
    from voronka.funnel.coverage import coverage
    from voronka.funnel.spec import funnel_definition

    funnel = funnel or funnel_definition({}, lang=lang, default_model="hourglass")

    result = compute_funnel(source, funnel)
    if not all(n > 0 for n in result.steps.column("customers").to_pylist()):
        found = coverage(source, funnel)
        if found.empty and (message := found.message(lang)) is not None:
            raise DefinitionError(message)
    rates = measured_rates(result, value_step)
    revenue = Revenue(check) if check is not None else revenue_per_buyer(source, funnel, value_step)
    return Measured(rates, revenue)


class WhatIfDefinition(Definition):
    """``voronka whatif`` as a record: raise the conversion into ``stage`` (key or number) by
    ``points`` percentage points, over typed-in ``rates`` (with ``entrants`` at the first stage,
    stage names ``stages``) or the rates measured on ``funnel``; extra revenue at the value
    stage (``value_step``) × the average ``check`` in ``currency`` (default: measured)
    (docs/plan.md)."""

    funnel: FunnelDefinition | None = None
    stage: StageKey
    points: float = Field(ge=-100, le=100)
    rates: Rates | None = None
    entrants: Money | None = None
    stages: Text | None = None
    check: Money | None = None
    currency: Currency | None = None
    value_step: StageKey | None = None
    lang: Literal["en", "ru", "kk"] = "en"

    @model_validator(mode="after")
    def _typed(self) -> WhatIfDefinition:
        if self.rates is not None and self.entrants is None:
            raise ValueError("typed-in rates need entrants (customers at the first stage)")
        return self

    @property
    def needs_source(self) -> bool:
        """Whether the rates are measured from the data (else no source is read)."""
        return self.rates is None

    def compute(self, source: Any) -> WhatIf:
        currency = self.currency
        if self.rates is not None:
            rates = parse_rates(self.rates)
            keys = _names(self.stages) or [str(i + 1) for i in range(len(rates) + 1)]
            entrants = float(self.entrants or 0)
            value = stage_number(self.value_step, keys, "value_step") if self.value_step else None
            check = self.check
        else:
            measured = measure(source, self.funnel, self.value_step, self.check, self.lang)
            m = measured.rates
            entrants, rates, keys, value = m.entrants, m.rates, m.stages, m.value_stage
            check, currency = measured.revenue.per_buyer, currency or measured.revenue.currency
        result = what_if(entrants, rates, stage_number(self.stage, keys, "stage"), self.points, check=check,
                         value_stage=value, stages=keys)
        return dataclasses.replace(result, currency=currency)


class PlanDefinition(Definition):
    """``voronka plan`` as a record: the backwards plan to ``target`` sales (revenue with
    ``revenue``, ÷ the average ``check``) per ``period``, for each seller or the team (``per``)
    of ``sellers``, over typed-in ``rates`` (stage names ``stages``) or the rates of ``funnel``
    up to ``value_step`` (``measured``); ``working_days`` a month (default 21, or the Monday–Friday
    days of ``month``, ``YYYY-MM``) (docs/plan.md)."""

    funnel: FunnelDefinition | None = None
    target: float = Field(gt=0, le=1e15)
    per: Literal["seller", "team"] = "seller"
    period: Literal["day", "week", "month"] = "month"
    sellers: int = Field(1, ge=1, le=1_000_000)
    rates: Rates = "measured"
    stages: Text | None = None
    check: Money | None = None
    currency: Currency | None = None
    revenue: bool = False
    working_days: int | None = Field(None, ge=1, le=31)
    month: Annotated[str, Field(max_length=7, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] | None = None
    value_step: StageKey | None = None
    lang: Literal["en", "ru", "kk"] = "en"

    @property
    def needs_source(self) -> bool:
        """Whether the rates are measured from the data (else no source is read)."""
        return self.rates.strip() == "measured"

    def compute(self, source: Any) -> Plan:
        check, currency = self.check, self.currency
        if self.needs_source:
            measured = measure(source, self.funnel, self.value_step, self.check, self.lang)
            rates, keys = measured.rates.up_to_value()
            check, currency = measured.revenue.per_buyer, currency or measured.revenue.currency
        else:
            rates, keys = parse_rates(self.rates), _names(self.stages)
        year, month = (int(x) for x in self.month.split("-")) if self.month else (0, 0)
        days = self.working_days or (working_days_in_month(year, month) if self.month else WORKING_DAYS_PER_MONTH)
        result = backwards_plan(self.target, rates, target_kind="revenue" if self.revenue else "sales", per=self.per,
                                sellers=self.sellers, period=self.period, working_days=days, check=check,
                                stages=keys)
        return dataclasses.replace(result, currency=currency)
