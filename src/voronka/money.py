"""Channel economics: what each channel and campaign costs against what it brings.

docs/money.md is the definition; in short, over a period of local calendar days
``date_from``..``date_to`` (both included; default: the days of the data):

* **group** — a channel (``by="channel"``) or a channel and campaign (``by="campaign"``).
  A customer belongs to the group of their **first touch**: the earliest event (by
  ``ts``, ties by ``event_id``) with a channel, through the alias map; ``(none)`` when
  they have none. Spend belongs to its own channel (and campaign; ``(none)`` if empty).
* **spend** — the sum of spend rows dated in the period.
* **leads** — customers whose first lead event (``lead``, default lead_magnet |
  callback_request | consultation) falls in the period.
* **customers** (new) — customers whose first purchase falls in the period.
* **CPL** = spend / leads; **CPA** = spend / customers. **CAC** is CPA here: voronka
  knows only the spend it is given (add salaries etc. as spend rows to include them).
* **revenue** — the purchase revenue of those new customers from their first purchase to
  ``date_to``; **revenue_to_date** — the same to the latest event.
* **ROMI** = (revenue − spend) / spend; **ROI** = (revenue × margin − spend) / spend
  (needs ``margin``, the gross margin share, e.g. 0.3).
* **payback_months** — the first k such that the gross margin (revenue × margin) of the
  cohort's purchases in their first k months (month = 30 days from each customer's
  first purchase, to date) reaches the spend; null when it never does; 0 without spend.
* **LTV** — the mean ``clv`` of the new customers found in a given CLV table;
  **LTV/CAC** = LTV / CPA.

Currencies are never summed. Without ``rates`` every group's money must be in one
currency (otherwise ``InputError`` says which group mixes which); totals are per
currency. With ``rates`` (date, currency, rate: units of ``base`` per unit) every amount
is converted to ``base`` at the latest rate on or before its day.

The rows are aggregated in the engine (SQL); only per-group sums by day and currency
(and, for LTV, the new customers' ids) come back.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from voronka.definition import Definition, Rule

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa

from voronka.columns import Kind, column, header, in_currency
from voronka.engines import Engine
from voronka.errors import DefinitionError, InputError
from voronka.rules import PURCHASE, StepRule
from voronka.source import Source, event_sources
from voronka.sql import literal, local_time_sql, resolved_events, rule_predicate

LEAD = StepRule(events=["lead_magnet", "callback_request", "consultation"])
NONE = "(none)"
BY = ("channel", "campaign")
MONTH_DAYS = 30
"""A payback month: 30 days from a customer's first purchase."""


@dataclass(frozen=True)
class ChannelEconomics:
    """``table``: one row per group (see the module docstring for every column);
    ``totals``: one row per currency (ratios recomputed from the sums)."""

    table: pa.Table
    totals: pa.Table
    date_from: dt.date
    date_to: dt.date
    by: str
    margin: float | None
    base: str | None


class Converter:
    """Amounts of any currency to ``base`` at the latest rate on or before their day.

    ``rates``: an Arrow table with ``date``, ``currency``, ``rate`` (units of ``base``
    for one unit of ``currency``), as read by ``read_table("rates", ...)``.
    """

    def __init__(self, rates: pa.Table, base: str) -> None:
        self.base = base.upper()
        found: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
        for r in rates.select(["date", "currency", "rate"]).to_pylist():
            if r["rate"] is None or r["rate"] <= 0:
                raise InputError(f"rate of {r['currency']} on {r['date']} must be positive", column="rate",
                                 value=r["rate"])
            found[r["currency"]].append((r["date"], r["rate"]))
        self._rates = {c: sorted(v) for c, v in found.items()}

    def __call__(self, amount: float, currency: str, day: dt.date) -> float:
        if currency == self.base:
            return amount
        series = self._rates.get(currency, [])
        i = bisect.bisect_right(series, (day, math.inf))
        if i == 0:
            raise InputError(f"the rates have no {currency} rate on or before {day} (to convert to {self.base})",
                             column="rate")
        return amount * series[i - 1][1]


def _rule(rule: StepRule | str | Sequence[str]) -> StepRule:
    if isinstance(rule, StepRule):
        return rule
    names = rule.split("|") if isinstance(rule, str) else list(rule)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise DefinitionError("a lead or purchase rule needs at least one event", field="lead")
    return StepRule(events=names)


class _Query:
    """The SQL of one money analysis (DuckDB dialect; run on any engine)."""

    def __init__(self, engine: Engine, by: str, lead: StepRule, purchase: StepRule, timezone: str,
                 events: str | None, aliases: str | None, spend: str) -> None:
        if by not in BY:
            raise DefinitionError(f"--by takes {' or '.join(BY)}, not {by!r}", field="by")
        self.engine = engine
        self.keys = ["channel"] + (["campaign"] if by == "campaign" else [])
        events, aliases = event_sources(engine, events, aliases)
        self.spend = spend if engine.has_table(spend) else None
        local = lambda col: f"CAST({local_time_sql(col, timezone)} AS DATE)"
        self.local = local
        self.base = f"""WITH e AS ({resolved_events(events, aliases)}),
    touch AS (SELECT customer_id, channel, campaign,
                     row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS rn
              FROM e WHERE channel IS NOT NULL),
    firsts AS (SELECT customer_id, min(CASE WHEN {rule_predicate(lead)} THEN ts END) AS first_lead,
                      min(CASE WHEN {rule_predicate(purchase)} THEN ts END) AS first_purchase
               FROM e GROUP BY customer_id),
    c AS (SELECT f.customer_id AS customer_id, coalesce(t.channel, {literal(NONE)}) AS channel,
                 coalesce(t.campaign, {literal(NONE)}) AS campaign, f.first_purchase AS first_purchase,
                 {local('f.first_lead')} AS lead_day, {local('f.first_purchase')} AS buy_day
          FROM firsts AS f LEFT JOIN (SELECT * FROM touch WHERE rn = 1) AS t ON t.customer_id = f.customer_id),
    p AS (SELECT customer_id, ts, revenue, currency FROM e
          WHERE {rule_predicate(purchase)} AND revenue IS NOT NULL)"""

    def data_days(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last local day of the events and the spend."""
        found = self.engine.query(f"{self.base}\nSELECT min({self.local('ts')}) AS lo, max({self.local('ts')}) AS hi "
                                  "FROM e").to_pylist()
        if self.spend:
            found += self.engine.query(f"SELECT min(date) AS lo, max(date) AS hi FROM {self.spend}").to_pylist()
        los = [r["lo"] for r in found if r["lo"] is not None]
        his = [r["hi"] for r in found if r["hi"] is not None]
        return (min(los) if los else None), (max(his) if his else None)

    def counts(self, lo: dt.date, hi: dt.date, monthly: bool) -> list[dict]:
        """Per group (and month): leads and new customers."""
        keys = ", ".join(self.keys)
        rows = []
        for what, day in (("leads", "lead_day"), ("customers", "buy_day")):
            month = f", CAST(date_trunc('month', {day}) AS DATE) AS month" if monthly else ""
            group = ", month" if monthly else ""
            for r in self.engine.query(
                f"{self.base}\nSELECT {keys}{month}, count(*) AS n FROM c "
                f"WHERE {day} >= {_date(lo)} AND {day} <= {_date(hi)} GROUP BY {keys}{group}"
            ).to_pylist():
                rows.append({**r, "what": what})
        return rows

    def spend_rows(self, lo: dt.date, hi: dt.date) -> list[dict]:
        """Per group, currency and day: the spend."""
        if not self.spend:
            return []
        cols = ", ".join(f"coalesce({k}, {literal(NONE)}) AS {k}" for k in self.keys)
        return self.engine.query(
            f"SELECT {cols}, currency, date AS day, sum(amount) AS amount FROM {self.spend} "
            f"WHERE date >= {_date(lo)} AND date <= {_date(hi)} GROUP BY {', '.join(self.keys)}, currency, date"
        ).to_pylist()

    def revenue_rows(self, lo: dt.date, hi: dt.date) -> list[dict]:
        """Per group, currency, day and month since the first purchase: revenue of new customers."""
        keys = ", ".join(f"c.{k} AS {k}" for k in self.keys)
        return self.engine.query(
            f"{self.base}\nSELECT {', '.join(self.keys)}, currency, day, month_index, sum(revenue) AS amount FROM ("
            f"SELECT {keys}, p.currency AS currency, {self.local('p.ts')} AS day, "
            f"CAST(floor(CAST(epoch_us(p.ts) - epoch_us(c.first_purchase) AS DOUBLE) / "
            f"{MONTH_DAYS * 86400 * 10**6}.0) AS BIGINT) AS month_index, p.revenue AS revenue "
            f"FROM p JOIN c ON c.customer_id = p.customer_id "
            f"WHERE c.buy_day >= {_date(lo)} AND c.buy_day <= {_date(hi)} AND p.ts >= c.first_purchase) AS r "
            f"GROUP BY {', '.join(self.keys)}, currency, day, month_index"
        ).to_pylist()

    def new_customers(self, lo: dt.date, hi: dt.date) -> list[dict]:
        return self.engine.query(
            f"{self.base}\nSELECT customer_id, {', '.join(self.keys)} FROM c "
            f"WHERE buy_day >= {_date(lo)} AND buy_day <= {_date(hi)}"
        ).to_pylist()


def _date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _period(query: _Query, date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    if date_from is None or date_to is None:
        lo, hi = query.data_days()
        date_from = date_from or lo or dt.date(1970, 1, 1)
        date_to = date_to or hi or date_from
    if date_from > date_to:
        raise DefinitionError(f"--from {date_from} is after --to {date_to}", field="from")
    return date_from, date_to


class _Money:
    """Amounts of one group in one currency: the currency policy in one place."""

    def __init__(self, converter: Converter | None) -> None:
        self.converter = converter
        self.currencies: dict[tuple, set[str]] = defaultdict(set)

    def amount(self, group: tuple, value: Decimal | float, currency: str, day: dt.date) -> float:
        if self.converter is not None:
            self.currencies[group].add(self.converter.base)
            return self.converter(float(value), currency, day)
        self.currencies[group].add(currency)
        return float(value)

    def currency(self, group: tuple, label: str) -> str | None:
        found = sorted(self.currencies.get(group, ()))
        if len(found) > 1:
            raise InputError(
                f"{label} mixes currencies {', '.join(found)}; voronka never adds different currencies up: "
                f"give a rates file (--rates, with --base) to convert them to one"
            )
        return found[0] if found else None


def channel_economics(
    engine: Engine,
    *,
    by: str = "channel",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    lead: StepRule | str | Sequence[str] = LEAD,
    purchase: StepRule | str | Sequence[str] = PURCHASE,
    margin: float | None = None,
    rates: pa.Table | None = None,
    base: str | None = None,
    clv: pa.Table | None = None,
    timezone: str = "UTC",
    events: str | None = None,
    aliases: str | None = "aliases",
    spend: str = "spend",
) -> ChannelEconomics:
    """Spend, leads, new customers, CPL, CPA, revenue, ROMI, ROI, payback and LTV/CAC per group.

    ``clv``: an Arrow table with ``customer_id`` and ``clv`` (and ``currency``, else the
    group's currency is assumed).
    """
    if margin is not None and not 0 < margin <= 1:
        raise DefinitionError(f"margin is a share between 0 and 1 (e.g. 0.3), not {margin}", field="margin")
    if rates is not None and not base:
        raise DefinitionError("converting with a rates file needs the base currency (--base, e.g. KZT)",
                              field="base")
    query = _Query(engine, by, _rule(lead), _rule(purchase), timezone, events, aliases, spend)
    lo, hi = _period(query, date_from, date_to)
    money = _Money(Converter(rates, base) if rates is not None else None)
    keys = query.keys
    groups: dict[tuple, dict] = defaultdict(lambda: {"spend": 0.0, "leads": 0, "customers": 0, "revenue": 0.0,
                                                     "revenue_to_date": 0.0, "by_month": defaultdict(float),
                                                     "clv": []})
    for r in query.counts(lo, hi, monthly=False):
        groups[tuple(r[k] for k in keys)][r["what"]] += r["n"]
    for r in query.spend_rows(lo, hi):
        g = tuple(r[k] for k in keys)
        groups[g]["spend"] += money.amount(g, r["amount"], r["currency"], r["day"])
    for r in query.revenue_rows(lo, hi):
        g = tuple(r[k] for k in keys)
        value = money.amount(g, r["amount"], r["currency"], r["day"])
        groups[g]["revenue_to_date"] += value
        groups[g]["by_month"][r["month_index"]] += value
        if r["day"] <= hi:
            groups[g]["revenue"] += value
    if clv is not None:
        _attach_clv(query.new_customers(lo, hi), clv, groups, money, keys, hi)
    rows = []
    for g in sorted(groups, key=lambda g: tuple(x or "" for x in g)):
        label = " / ".join(f"{k} {v!r}" for k, v in zip(keys, g))
        data = groups[g]
        rows.append({**dict(zip(keys, g)), "currency": money.currency(g, label),
                     **_metrics(data, margin), "payback_months": _payback(data, margin)})
    table = pa.Table.from_pylist(rows, _schema(keys)) if rows else _schema(keys).empty_table()
    totals = _totals(rows, margin)
    base = money.converter.base if money.converter else None
    currency = base or _only_currency(table)
    return ChannelEconomics(in_currency(table, currency), in_currency(totals, currency), lo, hi, by, margin, base)


def _only_currency(table: pa.Table) -> str | None:
    """The one currency of every row of ``table`` (None: none, or several)."""
    found = set(table.column("currency").to_pylist()) if table.num_rows else set()
    return found.pop() if len(found) == 1 else None


def _attach_clv(customers: list[dict], clv: pa.Table, groups: dict, money: _Money, keys: list[str],
                day: dt.date) -> None:
    if "customer_id" not in clv.column_names or "clv" not in clv.column_names:
        raise InputError(f"the CLV table needs columns customer_id and clv; it has {', '.join(clv.column_names)}")
    values = {r["customer_id"]: r for r in clv.to_pylist()}
    for c in customers:
        found = values.get(c["customer_id"])
        if found is None or found["clv"] is None:
            continue
        g = tuple(c[k] for k in keys)
        currency = found.get("currency")
        if currency is None:  # the group's own currency
            groups[g]["clv"].append(float(found["clv"]))
        else:
            groups[g]["clv"].append(money.amount(g, found["clv"], currency, day))


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _metrics(data: dict, margin: float | None) -> dict:
    spend, revenue = data["spend"], data["revenue"]
    cpa = _ratio(spend, data["customers"])
    ltv = sum(data["clv"]) / len(data["clv"]) if data["clv"] else None
    return {
        "spend": spend, "leads": data["leads"], "customers": data["customers"],
        "cpl": _ratio(spend, data["leads"]), "cpa": cpa,
        "revenue": revenue, "revenue_to_date": data["revenue_to_date"],
        "romi": _ratio(revenue - spend, spend),
        "roi": _ratio(revenue * margin - spend, spend) if margin is not None else None,
        "ltv": ltv, "ltv_cac": _ratio(ltv, cpa),
    }


def _payback(data: dict, margin: float | None) -> int | None:
    """The first month k whose cumulative gross margin reaches the spend (see docstring)."""
    if margin is None:
        return None
    if data["spend"] <= 0:
        return 0
    total = 0.0
    months = data["by_month"]
    for index in range(max(months, default=-1) + 1):
        total += months.get(index, 0.0) * margin
        if total >= data["spend"] - 1e-9:
            return index + 1
    return None


KINDS: dict[str, Kind] = {"spend": "money", "leads": "count", "customers": "count", "cpl": "money", "cpa": "money",
                         "revenue": "money", "revenue_to_date": "money", "romi": "rate", "roi": "rate", "ltv": "money",
                         "ltv_cac": "number", "payback_months": "count"}
"""The kind of every measure of the economics table (``voronka.columns``); the header key is ``money.<name>``."""


def _schema(keys: list[str]) -> pa.Schema:
    """The economics table's schema: the group ``keys``, the currency, the measures (``KINDS``)."""
    fields = [column(k, pa.string(), "label", f"money.{k}") for k in [*keys, "currency"]]
    for name, kind in KINDS.items():
        fields.append(column(name, pa.int64() if kind == "count" else pa.float64(), kind, f"money.{name}"))
    return pa.schema(fields)


def _totals(rows: list[dict], margin: float | None) -> pa.Table:
    """One row per currency (groups without money form a row of their own, currency null)."""
    by_currency: dict[str | None, dict] = {}
    for r in rows:
        t = by_currency.setdefault(r["currency"], {"spend": 0.0, "leads": 0, "customers": 0, "revenue": 0.0,
                                                   "revenue_to_date": 0.0, "clv": []})
        for name in ("spend", "leads", "customers", "revenue", "revenue_to_date"):
            t[name] += r[name]
    out = []
    for currency in sorted(by_currency, key=lambda c: c or ""):
        m = _metrics(by_currency[currency], margin)
        out.append({"currency": currency, **{k: m[k] for k in ("spend", "leads", "customers", "cpl", "cpa",
                                                               "revenue", "revenue_to_date", "romi", "roi")}})
    schema = pa.schema([f for f in _schema([]) if f.name not in ("ltv", "ltv_cac", "payback_months")])
    return pa.Table.from_pylist(out, schema)


# --- plan versus fact ---------------------------------------------------------------------

PLAN_METRICS = ("spend", "leads", "sales")
PLAN_FACT_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    header("month", pa.date32(), "money.month"), column("channel", pa.string(), "label", "money.channel"),
    column("currency", pa.string(), "label", "money.currency"),
    *(field for m in PLAN_METRICS for field in (
        *(column(f"{m}_{part}", pa.float64() if m == "spend" else pa.int64(), "money" if m == "spend" else "count",
                 f"money.{m}_{part}") for part in ("plan", "fact", "deviation")),
        column(f"{m}_pct", pa.float64(), "rate", f"money.{m}_pct"))),
])


def plan_vs_fact(
    engine: Engine,
    plan: pa.Table,
    *,
    lead: StepRule | str | Sequence[str] = LEAD,
    purchase: StepRule | str | Sequence[str] = PURCHASE,
    rates: pa.Table | None = None,
    base: str | None = None,
    timezone: str = "UTC",
    events: str | None = None,
    aliases: str | None = "aliases",
    spend: str = "spend",
) -> pa.Table:
    """The plan (per month and channel: spend, leads, sales) against the actuals.

    ``plan``: ``read_table("plan", ...)`` (month as its first day, channel, spend,
    leads, sales, currency). Actuals, per calendar month of the plan row: spend dated in
    the month; leads and sales (new customers) whose first lead / first purchase falls in
    it, by first-touch channel, exactly as ``channel_economics``. For every metric the
    plan gives: ``<m>_plan``, ``<m>_fact``, ``<m>_deviation`` (fact − plan) and
    ``<m>_pct`` (fact / plan; null when the plan is 0). Spend is compared in the plan's
    currency (or the actual spend's only currency when the plan names none); with
    ``rates`` both are converted to ``base``.
    """
    if rates is not None and not base:
        raise DefinitionError("converting with a rates file needs the base currency (--base, e.g. KZT)",
                              field="base")
    lines = plan.to_pylist()
    if not lines:
        raise InputError("the plan has no rows")
    seen = set()
    for i, line in enumerate(lines, start=1):
        if (line["month"], line["channel"]) in seen:
            raise InputError(f"the plan has {line['channel']!r} for {line['month']:%Y-%m} twice", row=i,
                             column="channel", value=line["channel"])
        seen.add((line["month"], line["channel"]))
    query = _Query(engine, "channel", _rule(lead), _rule(purchase), timezone, events, aliases, spend)
    lo = min(line["month"] for line in lines)
    hi = _month_end(max(line["month"] for line in lines))
    converter = Converter(rates, base) if rates is not None else None
    facts: dict[tuple, dict] = defaultdict(lambda: {"leads": 0, "sales": 0, "spend": defaultdict(float)})
    for r in query.counts(lo, hi, monthly=True):
        facts[(r["month"], r["channel"])]["leads" if r["what"] == "leads" else "sales"] += r["n"]
    for r in query.spend_rows(lo, hi):
        month = r["day"].replace(day=1)
        amount, currency = float(r["amount"]), r["currency"]
        if converter is not None:
            amount, currency = converter(amount, currency, r["day"]), converter.base
        facts[(month, r["channel"])]["spend"][currency] += amount
    out = []
    for line in lines:
        fact = facts[(line["month"], line["channel"])]
        row = {"month": line["month"], "channel": line["channel"]}
        plan_spend = float(line["spend"]) if line["spend"] is not None else None
        plan_currency = line.get("currency")
        if plan_spend is not None and converter is not None and plan_currency not in (None, converter.base):
            plan_spend = converter(plan_spend, plan_currency, line["month"])
        currency = converter.base if converter is not None else plan_currency
        spent = fact["spend"]
        if currency is None and len(spent) > 1:
            raise InputError(f"channel {line['channel']!r} spent in {', '.join(sorted(spent))} in "
                             f"{line['month']:%Y-%m}; name the plan's currency or give --rates and --base",
                             column="currency")
        if currency is None and spent:
            currency = next(iter(spent))
        others = sorted(c for c in spent if c != currency)
        if others and plan_spend is not None:
            raise InputError(f"channel {line['channel']!r} spent in {', '.join(others)} in {line['month']:%Y-%m} "
                             f"but the plan is in {currency}; give --rates and --base to convert",
                             column="currency")
        row["currency"] = currency
        actual = {"spend": spent.get(currency, 0.0), "leads": fact["leads"], "sales": fact["sales"]}
        planned = {"spend": plan_spend, "leads": line["leads"], "sales": line["sales"]}
        for m in PLAN_METRICS:
            p, f = planned[m], actual[m]
            row[f"{m}_plan"], row[f"{m}_fact"] = p, f
            row[f"{m}_deviation"] = f - p if p is not None else None
            row[f"{m}_pct"] = f / p if p else None
        out.append(row)
    table = pa.Table.from_pylist(out, PLAN_FACT_SCHEMA)
    return in_currency(table, converter.base if converter is not None else _only_currency(table))


def _month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


class MoneyDefinition(Definition):
    """``voronka money`` as a record: channel economics per ``by`` from ``date_from`` to
    ``date_to``, leads ``lead`` and purchases ``purchase`` (``a|b``), ``margin`` for ROI and
    payback (docs/money.md). Spend is the engine's; rates and CLV files are CLI-only."""

    by: Literal["channel", "campaign"] = "channel"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    margin: float | None = Field(None, gt=0, le=1)
    lead: Rule = "lead_magnet|callback_request|consultation"
    purchase: Rule = "purchase"
    base: Annotated[str, Field(max_length=8)] | None = None

    def compute(self, source: Source, *, rates: pa.Table | None = None, clv: pa.Table | None = None
                ) -> ChannelEconomics:
        from voronka.touches import parse_rule

        return channel_economics(source, by=self.by, date_from=self.date_from, date_to=self.date_to,
                                 lead=parse_rule(self.lead, LEAD, "lead"),
                                 purchase=parse_rule(self.purchase, PURCHASE, "purchase"), margin=self.margin,
                                 rates=rates, base=self.base, clv=clv, timezone=source.timezone)


def _first_of_month(value: object) -> object:
    """A plan month as written: a date (its month), ``YYYY-MM`` or ``YYYY-MM-DD``."""
    if isinstance(value, str) and len(value.strip()) == 7:
        value = value.strip() + "-01"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r}: write the month as YYYY-MM, e.g. 2026-03") from None
    return value.replace(day=1) if isinstance(value, dt.date) else value


class PlanLine(BaseModel):
    """One line of a plan: the ``month``, the ``channel`` and what is planned for it (spend in
    ``currency``, leads, sales; any may be left out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    month: Annotated[dt.date, BeforeValidator(_first_of_month)]
    channel: Annotated[str, Field(min_length=1, max_length=256)]
    spend: float | None = Field(None, ge=0, le=1e15)
    leads: int | None = Field(None, ge=0, le=10**12)
    sales: int | None = Field(None, ge=0, le=10**12)
    currency: Annotated[str, Field(max_length=8)] | None = None


PLAN_LINES_SCHEMA = pa.schema([("month", pa.date32()), ("channel", pa.string()), ("spend", pa.float64()),
                               ("leads", pa.int64()), ("sales", pa.int64()), ("currency", pa.string())])


class PlanFactDefinition(Definition):
    """``voronka planfact`` as a record: the ``plan`` (lines of month, channel, spend, leads,
    sales, currency; the CLI reads them from a CSV/XLSX file) against the actuals, leads
    ``lead`` and purchases ``purchase`` (``a|b``), spend converted to ``base`` with a rates file
    (CLI-only) (docs/money.md, *Plan versus fact*)."""

    plan: tuple[PlanLine, ...] = Field(min_length=1, max_length=10_000)
    lead: Rule = "lead_magnet|callback_request|consultation"
    purchase: Rule = "purchase"
    base: Annotated[str, Field(max_length=8)] | None = None

    def compute(self, source: Source, *, rates: pa.Table | None = None) -> pa.Table:
        from voronka.touches import parse_rule

        lines = pa.Table.from_pylist([line.model_dump() for line in self.plan], schema=PLAN_LINES_SCHEMA)
        return plan_vs_fact(source, lines, lead=parse_rule(self.lead, LEAD, "lead"),
                            purchase=parse_rule(self.purchase, PURCHASE, "purchase"), rates=rates, base=self.base,
                            timezone=source.timezone)
