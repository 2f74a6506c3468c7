"""Channel economics and plan vs fact on small data, every number worked out by hand.

Period 2026-03-01..31 (T0 = 2026-03-02 09:00). First touch: a → tv/tv1, c → tv/tv2,
b → digital/d1, e → digital (no campaign, its lead in February), d → (none).
Spend (KZT): tv 3000 (tv1) + 1000 (tv2), digital 1500 (d1); 999 in February.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.backends import engine_for as make_engine
from tests.backends import event
from voronka.errors import DefinitionError, InputError
from voronka.money import channel_economics, plan_vs_fact
from voronka.schema import PLAN, RATES, SPEND

DAY = 24 * 60
MARCH = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}


def buy(customer, minutes, amount, currency="KZT"):
    return event(customer, minutes, "purchase", revenue=Decimal(amount), currency=currency)


def rows():
    return [
        event("a", 0, "ad_view", channel="tv", campaign="tv1"), event("a", 60, "lead_magnet"),
        buy("a", DAY, 1000), buy("a", 40 * DAY, 500),
        event("b", 0, "site_visit", channel="digital", campaign="d1"), event("b", 10, "consultation"),
        buy("b", 2 * DAY, 2000),
        event("c", 0, "ad_view", channel="tv", campaign="tv2"), event("c", 5, "callback_request"),
        buy("d", 3 * DAY, 300),
        event("e", -10 * DAY, "ad_view", channel="digital"), event("e", -10 * DAY + 1, "lead_magnet"),
        buy("e", 5 * DAY, 700),
    ]


def spend(extra=()):
    lines = [("2026-03-01", "tv", "tv1", "3000", "KZT"), ("2026-03-15", "tv", "tv2", "1000", "KZT"),
             ("2026-03-10", "digital", "d1", "1500", "KZT"), ("2026-02-15", "digital", "d1", "999", "KZT"),
             *extra]
    return pa.Table.from_pylist(
        [{"spend_id": f"s{i}", "date": dt.date.fromisoformat(d), "channel": ch, "campaign": cp,
          "amount": Decimal(a), "currency": cur} for i, (d, ch, cp, a, cur) in enumerate(lines)],
        SPEND.schema)


def engine(extra=(), backend="duckdb", events=None):
    return make_engine(events or rows(), backend, tables={SPEND: spend(extra)})


def by_key(result, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in result.table.to_pylist()}


def test_per_channel_on_every_backend(engine_for):
    result = channel_economics(engine_for(rows(), tables={SPEND: spend()}), margin=0.6, **MARCH)
    got = by_key(result, "channel")
    tv, digital, none = got["tv"], got["digital"], got["(none)"]
    assert (tv["spend"], tv["leads"], tv["customers"], tv["currency"]) == (4000, 2, 1, "KZT")
    assert (tv["cpl"], tv["cpa"], tv["revenue"], tv["revenue_to_date"]) == (2000, 4000, 1000, 1500)
    assert tv["romi"] == pytest.approx(-0.75)
    assert tv["roi"] == pytest.approx((1000 * 0.6 - 4000) / 4000)
    assert tv["payback_months"] is None  # 600 + 300 of margin never reaches 4000
    assert (digital["spend"], digital["leads"], digital["customers"]) == (1500, 1, 2)  # e's lead was in February
    assert (digital["cpl"], digital["cpa"], digital["revenue"]) == (1500, 750, 2700)
    assert digital["romi"] == pytest.approx(0.8)
    assert digital["roi"] == pytest.approx(0.08)
    assert digital["payback_months"] == 1  # 2700 × 0.6 = 1620 ≥ 1500 in the first 30 days
    assert (none["spend"], none["customers"], none["revenue"], none["cpa"], none["romi"]) == (0, 1, 300, 0, None)
    assert none["payback_months"] == 0
    (total,) = result.totals.to_pylist()
    assert (total["currency"], total["spend"], total["leads"], total["customers"], total["revenue"]) == (
        "KZT", 5500, 3, 4, 4000)
    assert total["romi"] == pytest.approx((4000 - 5500) / 5500)


def test_per_campaign():
    got = by_key(channel_economics(engine(), by="campaign", **MARCH), "channel", "campaign")
    assert {k: (r["spend"], r["leads"], r["customers"]) for k, r in got.items()} == {
        ("tv", "tv1"): (3000, 1, 1), ("tv", "tv2"): (1000, 1, 0), ("digital", "d1"): (1500, 1, 1),
        ("digital", "(none)"): (0, 0, 1), ("(none)", "(none)"): (0, 0, 1)}
    assert got[("tv", "tv2")]["cpa"] is None


def test_payback_counts_months_from_each_first_purchase():
    # a's 500 falls 39 days after the first purchase: month 2; with margin 1, tv has 1000 + 500 < 4000
    result = channel_economics(engine(extra=[]), margin=1.0, **MARCH)
    assert by_key(result, "channel")["tv"]["payback_months"] is None
    cheap = channel_economics(engine(extra=[("2026-03-20", "tv", "tv1", "-2600", "KZT")]), margin=1.0, **MARCH)
    assert by_key(cheap, "channel")["tv"]["spend"] == 1400
    assert by_key(cheap, "channel")["tv"]["payback_months"] == 2  # 1000 in month 1, 1500 by month 2


def test_lead_rule_and_default_period():
    result = channel_economics(engine(), lead="lead_magnet")
    assert result.date_from == dt.date(2026, 2, 15) and result.date_to == dt.date(2026, 4, 11)
    got = by_key(result, "channel")
    assert (got["tv"]["leads"], got["digital"]["leads"]) == (1, 1)  # a; e (in the wider period)
    assert got["digital"]["spend"] == 2499


def test_currencies_are_kept_apart_per_channel():
    result = channel_economics(engine(extra=[("2026-03-05", "radio", None, "100", "USD")]), **MARCH)
    assert by_key(result, "channel")["radio"]["currency"] == "USD"
    totals = {r["currency"]: r["spend"] for r in result.totals.to_pylist()}
    assert totals == {"KZT": 5500, "USD": 100}


def test_mixed_currencies_without_rates_is_an_error():
    with pytest.raises(InputError, match="channel 'tv' mixes currencies KZT, USD.*--rates"):
        channel_economics(engine(extra=[("2026-03-12", "tv", "tv1", "10", "USD")]), **MARCH)


def rates(*lines):
    return pa.Table.from_pylist([{"row_id": str(i), "date": dt.date.fromisoformat(d), "currency": c, "rate": r}
                                 for i, (d, c, r) in enumerate(lines)], RATES.schema)


def test_rates_convert_at_the_latest_rate_on_or_before_the_day():
    table = rates(("2026-03-01", "USD", 500.0), ("2026-03-10", "USD", 520.0), ("2026-03-13", "USD", 530.0))
    result = channel_economics(engine(extra=[("2026-03-12", "tv", "tv1", "10", "USD")]), rates=table, base="KZT",
                               **MARCH)
    tv = by_key(result, "channel")["tv"]
    assert (tv["currency"], tv["spend"]) == ("KZT", 4000 + 10 * 520)
    assert result.base == "KZT"
    with pytest.raises(InputError, match="no USD rate on or before 2026-03-12"):
        channel_economics(engine(extra=[("2026-03-12", "tv", "tv1", "10", "USD")]),
                          rates=rates(("2026-03-20", "USD", 1.0)), base="KZT", **MARCH)
    with pytest.raises(DefinitionError, match="--base"):
        channel_economics(engine(), rates=table, **MARCH)


def test_ltv_to_cac_from_a_clv_table():
    clv = pa.table({"customer_id": ["a", "b", "e", "zz"], "clv": [5000.0, 3000.0, 1000.0, 1.0]})
    got = by_key(channel_economics(engine(), clv=clv, **MARCH), "channel")
    assert got["tv"]["ltv"] == 5000 and got["tv"]["ltv_cac"] == pytest.approx(1.25)
    assert got["digital"]["ltv"] == 2000 and got["digital"]["ltv_cac"] == pytest.approx(2000 / 750)
    usd = clv.append_column("currency", pa.array(["USD"] * 4))
    with pytest.raises(InputError, match="mixes currencies KZT, USD"):
        channel_economics(engine(), clv=usd, **MARCH)


def test_bad_definitions():
    with pytest.raises(DefinitionError, match="--by"):
        channel_economics(engine(), by="manager")
    with pytest.raises(DefinitionError, match="margin"):
        channel_economics(engine(), margin=30)
    with pytest.raises(DefinitionError, match="after"):
        channel_economics(engine(), date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 3, 1))


def plan(*lines):
    return pa.Table.from_pylist(
        [{"row_id": str(i), "month": dt.date.fromisoformat(m), "channel": ch,
          "spend": Decimal(s) if s is not None else None, "leads": ld, "sales": sa, "currency": cur}
         for i, (m, ch, s, ld, sa, cur) in enumerate(lines)], PLAN.schema)


def test_plan_vs_fact():
    table = plan_vs_fact(engine(), plan(("2026-03-01", "tv", "5000", 4, 2, "KZT"),
                                        ("2026-03-01", "digital", "1500", 1, 1, None),
                                        ("2026-02-01", "digital", "1000", 2, 0, "KZT")))
    tv, digital, feb = table.to_pylist()
    assert (tv["spend_fact"], tv["spend_deviation"], tv["spend_pct"]) == (4000, -1000, 0.8)
    assert (tv["leads_fact"], tv["leads_deviation"], tv["leads_pct"]) == (2, -2, 0.5)
    assert (tv["sales_fact"], tv["sales_pct"]) == (1, 0.5)
    assert (digital["currency"], digital["spend_pct"], digital["sales_fact"], digital["sales_pct"]) == (
        "KZT", 1.0, 2, 2.0)
    assert (feb["spend_fact"], feb["leads_fact"], feb["sales_fact"]) == (999, 1, 0)
    assert (feb["sales_deviation"], feb["sales_pct"]) == (0, None)


def test_plan_errors():
    with pytest.raises(InputError, match="'tv' for 2026-03 twice"):
        plan_vs_fact(engine(), plan(("2026-03-01", "tv", "1", 1, 1, None), ("2026-03-01", "tv", "2", 1, 1, None)))
    with pytest.raises(InputError, match="spent in USD.*plan is in KZT"):
        plan_vs_fact(engine(extra=[("2026-03-12", "tv", "tv1", "10", "USD")]),
                     plan(("2026-03-01", "tv", "5000", 4, 2, "KZT")))
