"""Conversion paths built in the engine (every backend): windows, ties, aliases, modes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.backends import at, event
from tests.backends import engine_for as duckdb_engine_for
from voronka.attribution import AttributionSettings, compute_attribution, conversion_journeys
from voronka.errors import DefinitionError
from voronka.schema import ALIASES, SPEND

pytestmark = pytest.mark.spark_connect  # also on a real Spark Connect server

DAY = 24 * 60


def rows():
    return [
        event("a", 0, "ad_view", channel="tv"), event("a", 60, "site_visit", channel="digital"),
        event("a", 120, "purchase", channel="digital", revenue=Decimal(100), currency="KZT"),
        event("a", 130, "content_view", channel="email"),
        event("a", 200, "purchase", revenue=Decimal(50), currency="KZT"),
        event("a", 300, "ad_view", channel="tv"),                                         # after the last purchase
        event("b", -40 * DAY, "ad_view", channel="radio"),                                # outside the 30d lookback
        event("b", 10, "ad_view", channel="tv"), event("b", 11, "complaint"),             # no channel: no touch
        event("b", 20, "purchase", revenue=Decimal(10), currency="KZT"),
        event("c", 0, "ad_view", channel="tv"),                                           # never converts
        event("d", 5, "purchase", revenue=None, currency=None),                           # no touch at all
        event("e", 50, "ad_view", channel="ooh"), event("e", 50, "purchase", revenue=Decimal(7), currency="KZT"),
        event("anon-1", 0, "ad_view", channel="mobile"),                                  # f before identifying
        event("f", 30, "purchase", revenue=Decimal(20), currency="KZT"),
    ]


ALIAS = pa.table({"alias": ["anon-1"], "customer_id": ["f"]}, schema=ALIASES.schema)
SPEND_ROWS = pa.Table.from_pylist([
    {"spend_id": "1", "date": dt.date(2026, 3, 1), "channel": "tv", "campaign": None, "amount": Decimal(30),
     "currency": "KZT"},
    {"spend_id": "2", "date": dt.date(2026, 3, 2), "channel": "tv", "campaign": None, "amount": Decimal(10),
     "currency": "KZT"},
], schema=SPEND.schema)


def paths(table: pa.Table) -> dict[tuple[str, int], tuple]:
    return {(r["customer_id"], r["path_number"]): (r["channels"], r["revenue"]) for r in table.to_pylist()}


EVERY = {
    ("a", 0): (["tv"], 0.0),
    ("a", 1): (["tv", "digital"], 100.0),
    ("a", 2): (["email"], 50.0),
    ("b", 1): (["tv"], 10.0),
    ("c", 0): (["tv"], 0.0),
    ("d", 1): ([], 0.0),
    ("e", 1): (["ooh"], 7.0),
    ("f", 1): (["mobile"], 20.0),
}


def test_paths_credit_and_spend_on_every_backend(engine_for):
    engine = engine_for(rows(), aliases=ALIAS, tables={SPEND: SPEND_ROWS})
    result = compute_attribution(engine, settings=AttributionSettings(models=("first_touch",)))
    assert paths(result.journeys) == EVERY
    a1 = next(r for r in result.journeys.to_pylist() if r["customer_id"] == "a" and r["path_number"] == 1)
    assert a1["ages"] == [120 * 60.0, 60 * 60.0] and a1["touched_at"] == [at(0), at(60)] and a1["ts"] == at(120)
    credit = {r["channel"]: (r["conversions"], r["revenue"]) for r in result.credit.to_pylist()}
    # first touches: a#1 tv, a#2 email, b tv, e ooh, f mobile; d has no touch; digital was touched
    assert credit == {"tv": (2.0, 110.0), "email": (1.0, 50.0), "ooh": (1.0, 7.0), "mobile": (1.0, 20.0),
                      "digital": (0.0, 0.0), "(no touch)": (1.0, 0.0)}
    spend = result.spend.to_pylist()
    assert [(r["channel"], r["spend"], r["cost_per_conversion"], r["roi"]) for r in spend] == [
        ("tv", 40.0, 20.0, (110.0 - 40.0) / 40.0)]


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])
def test_first_purchase_only(backend):
    engine = duckdb_engine_for(rows(), backend, aliases=ALIAS)
    table = conversion_journeys(engine, first_only=True)
    expected = {k: v for k, v in EVERY.items() if k not in {("a", 0), ("a", 2)}}
    assert paths(table) == expected
    without_nulls = conversion_journeys(engine, first_only=True, include_non_converting=False)
    assert ("c", 0) not in paths(without_nulls) and len(paths(without_nulls)) == 5


def test_lookback_and_touch_rule():
    engine = duckdb_engine_for(rows(), aliases=ALIAS)
    short = paths(conversion_journeys(engine, lookback="1h"))
    assert short[("a", 1)] == (["digital"], 100.0)            # tv was 2h before
    from voronka.rules import StepRule

    ads = paths(conversion_journeys(engine, touch=StepRule(events=["ad_view"])))
    assert ads[("a", 1)] == (["tv"], 100.0) and ads[("a", 2)] == ([], 50.0)
    with pytest.raises(DefinitionError, match="lookback"):
        conversion_journeys(engine, lookback=dt.timedelta(0))
    with pytest.raises(DefinitionError, match="field 'lookback': not a duration"):
        compute_attribution(engine, lookback="30days")
    with pytest.raises(DefinitionError, match="field 'conversion'.*counting purchases"):
        conversion_journeys(engine, conversion=StepRule(events=["purchase"], min_purchases=2))


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])
def test_an_empty_channel_is_not_a_touch(backend):
    """The default touch of docs/paths.md: a channel neither null nor empty."""
    engine = duckdb_engine_for([event("g", 0, "ad_view", channel=""), event("g", 5, "site_visit", channel="tv"),
                                event("g", 10, "purchase", revenue=Decimal(3), currency="KZT")], backend)
    assert paths(conversion_journeys(engine)) == {("g", 1): (["tv"], 3.0)}


def test_campaign_level_and_date_range():
    data = rows() + [event("g", 0, "ad_view", channel="tv", campaign="spring"),
                     event("g", 1, "purchase", revenue=Decimal(5), currency="KZT")]
    engine = duckdb_engine_for(data, aliases=ALIAS)
    result = compute_attribution(engine, settings=AttributionSettings(models=("last_touch",)), by="campaign",
                                 date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 2))
    credit = {r["channel"]: r["conversions"] for r in result.credit.to_pylist()}
    assert credit["tv / spring"] == 1.0 and credit["tv / (no campaign)"] == 1.0
    none = compute_attribution(engine, date_from=dt.date(2027, 1, 1))
    assert none.credit.num_rows == 0 and none.spend is None
