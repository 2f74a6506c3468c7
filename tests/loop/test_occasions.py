"""Purchase occasions: one customer's purchases on one local day merge into one (every backend)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.backends import at, event
from voronka.errors import DefinitionError
from voronka.loop.occasions import OCCASIONS_TABLE, occasions_sql, prepare_occasions

D = 24 * 60


def rows():
    return [
        event("a", 0, "purchase", revenue=100, currency="KZT", channel="tv"),      # Mon 09:00 UTC
        event("a", 60, "purchase", revenue=50, currency="KZT", channel="mobile"),  # same day: merged
        event("a", D, "purchase", currency="KZT"),                                 # no revenue: 0
        event("anon-1", 2 * D, "purchase", revenue=10, currency="KZT"),            # a, through identify
        event("a", 2 * D - 5, "identify", properties={"alias": "anon-1"}),
        event("b", 14 * 60, "purchase", revenue=1, currency="KZT"),                # 23:00 UTC = 04:00 Almaty
        event("b", 16 * 60, "purchase", revenue=2, currency="KZT"),                # 01:00 UTC next day
        event("c", 0, "purchase", revenue=100, currency="KZT"),
        event("c", 10, "purchase", revenue=5, currency="USD"),                     # other currency: own row
        event("c", 20, "site_visit"),
    ]


def _occasions(engine, timezone="UTC"):
    table = engine.query(f"SELECT * FROM ({occasions_sql('events', None, timezone=timezone)}) AS o "
                         "ORDER BY customer_id, day, currency")
    return [(r["customer_id"], r["day"].isoformat(), r["revenue"], r["currency"], r["purchases"], r["channel"],
             r["occasion_number"]) for r in table.to_pylist()]


def test_purchases_on_one_local_day_are_one_occasion(engine_for):
    engine = engine_for(rows())
    assert _occasions(engine) == [
        ("a", "2026-03-02", Decimal("150.0000"), "KZT", 2, "tv", 1),
        ("a", "2026-03-03", Decimal("0E-4"), "KZT", 1, None, 2),
        ("a", "2026-03-04", Decimal("10.0000"), "KZT", 1, None, 3),
        ("b", "2026-03-02", Decimal("1.0000"), "KZT", 1, None, 1),
        ("b", "2026-03-03", Decimal("2.0000"), "KZT", 1, None, 2),
        ("c", "2026-03-02", Decimal("100.0000"), "KZT", 1, None, 1),
        ("c", "2026-03-02", Decimal("5.0000"), "USD", 1, None, 1),
    ]
    # in Almaty (UTC+5) b's two purchases fall on the same local day, 2026-03-03
    almaty = [r for r in _occasions(engine, "Asia/Almaty") if r[0] == "b"]
    assert almaty == [("b", "2026-03-03", Decimal("3.0000"), "KZT", 2, None, 1)]


def test_prepared_days_stop_at_as_of_and_number_days(engine_on):
    engine = engine_on(rows())
    occ = prepare_occasions(engine, as_of=at(D + 1))
    days = engine.query(f"SELECT customer_id, day, revenue, n FROM {occ.days} ORDER BY customer_id, day").to_pylist()
    assert [(r["customer_id"], r["day"].isoformat(), r["revenue"], r["n"]) for r in days] == [
        ("a", "2026-03-02", 150.0, 1), ("a", "2026-03-03", 0.0, 2),
        ("b", "2026-03-02", 1.0, 1), ("b", "2026-03-03", 2.0, 2),
        ("c", "2026-03-02", 105.0, 1),  # days sum every currency: the analyses check currencies
    ]
    assert occ.as_of == at(D + 1) and occ.today == dt.date(2026, 3, 3)
    usd = prepare_occasions(engine, currency="USD")
    assert engine.query(f"SELECT customer_id, revenue FROM {usd.days}").to_pylist() == [
        {"customer_id": "c", "revenue": 5.0}]
    assert engine.has_table(OCCASIONS_TABLE)


def test_the_default_as_of_is_the_latest_event_and_tz_is_checked(engine_on):
    engine = engine_on(rows())
    assert prepare_occasions(engine).as_of == at(2 * D)
    with pytest.raises(DefinitionError, match="unknown time zone 'Mars/Olympus'"):
        prepare_occasions(engine, timezone="Mars/Olympus")


def test_alias_table_is_followed(engine_on):
    aliases = pa.table({"alias": ["b"], "customer_id": ["a"]})
    engine = engine_on(rows(), aliases=aliases)
    occ = prepare_occasions(engine)
    got = engine.query(f"SELECT customer_id, count(*) AS n FROM {occ.days} GROUP BY customer_id ORDER BY customer_id")
    assert got.to_pylist() == [{"customer_id": "a", "n": 3}, {"customer_id": "c", "n": 1}]
