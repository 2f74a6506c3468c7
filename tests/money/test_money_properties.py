"""Channel economics on random data: groups partition the customers, leads and spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from voronka.money import channel_economics
from voronka.schema import SPEND

DAY = 24 * 60
EVENTS = ["ad_view", "lead_magnet", "consultation", "purchase"]
CHANNELS = [None, "tv", "radio"]

journeys = st.lists(
    st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(-20, 60), st.sampled_from(CHANNELS)),
             min_size=1, max_size=5),
    min_size=1, max_size=8,
)
spends = st.lists(st.tuples(st.integers(-20, 60), st.sampled_from(["tv", "radio"]), st.integers(0, 1000)),
                  max_size=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys, spends, st.integers(0, 30), st.integers(0, 30))
def test_groups_partition_customers_leads_and_spend(customers, spend_rows, start, length):
    rows = []
    for c, journey in enumerate(customers):
        for i, (name, day, channel) in enumerate(journey):
            extra = {"revenue": Decimal(100), "currency": "KZT"} if name == "purchase" else {}
            rows.append(event(f"c{c}", day * DAY + i, name, channel=channel, **extra))
    spend = pa.Table.from_pylist(
        [{"spend_id": str(i), "date": (dt.datetime(2026, 3, 2) + dt.timedelta(days=d)).date(), "channel": ch,
          "campaign": None, "amount": Decimal(a), "currency": "KZT"} for i, (d, ch, a) in enumerate(spend_rows)],
        SPEND.schema)
    lo = dt.date(2026, 3, 2) + dt.timedelta(days=start - 10)
    hi = lo + dt.timedelta(days=length)
    result = channel_economics(engine_for(rows, "duckdb", tables={SPEND: spend}), date_from=lo, date_to=hi)

    def first(customer_rows, names):
        times = [r["ts"] for r in customer_rows if r["event"] in names]
        return min(times).date() if times else None

    by_customer: dict[str, list] = {}
    for r in rows:
        by_customer.setdefault(r["customer_id"], []).append(r)
    leads = sum(1 for rs in by_customer.values()
                if (d := first(rs, {"lead_magnet", "consultation"})) and lo <= d <= hi)
    bought = sum(1 for rs in by_customer.values() if (d := first(rs, {"purchase"})) and lo <= d <= hi)
    spent = sum(a for d, _, a in spend_rows if lo <= (dt.date(2026, 3, 2) + dt.timedelta(days=d)) <= hi)
    table = result.table.to_pylist()
    assert sum(r["leads"] for r in table) == leads
    assert sum(r["customers"] for r in table) == bought
    assert sum(r["spend"] for r in table) == spent
    assert all(r["revenue"] <= r["revenue_to_date"] for r in table)
