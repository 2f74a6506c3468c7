"""The engine's conversion paths held to a plain-Python oracle of the definition
(docs/attribution.md, "Paths") on random event logs (hypothesis, DuckDB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from voronka.attribution import conversion_journeys


def oracle(rows: list[dict], lookback: dt.timedelta, first_only: bool) -> dict:
    """(customer, path number) → (channels, revenue); 0 is the non-converting path."""
    out = {}
    for customer in {r["customer_id"] for r in rows}:
        mine = sorted((r for r in rows if r["customer_id"] == customer), key=lambda r: (r["ts"], r["event_id"]))
        conversions = [r for r in mine if r["event"] == "purchase"][: 1 if first_only else None]
        touches = [r for r in mine if r["channel"] is not None and r["event"] != "purchase"]
        previous = None
        for n, c in enumerate(conversions, start=1):
            kept = [t for t in touches if (previous is None or t["ts"] > previous) and t["ts"] <= c["ts"]
                    and c["ts"] - t["ts"] <= lookback]
            out[(customer, n)] = ([t["channel"] for t in kept], float(c["revenue"] or 0))
            previous = c["ts"]
        if first_only and conversions:
            continue
        tail = [t for t in touches if previous is None or t["ts"] > previous]
        if tail:
            end = max(t["ts"] for t in tail)
            out[(customer, 0)] = ([t["channel"] for t in tail if end - t["ts"] <= lookback], 0.0)
    return out


event_rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 40), st.sampled_from(["purchase", "ad_view", "visit"]),
              st.sampled_from([None, "tv", "radio", "email"]), st.integers(0, 9)),
    max_size=25)


@settings(max_examples=40, deadline=None)
@given(event_rows, st.sampled_from([5, 15, 60]), st.booleans())
def test_engine_paths_match_the_oracle(raw, lookback_minutes, first_only):
    rows = [event(c, m, e, event_id=f"e{i:02d}", channel=ch, revenue=Decimal(rev), currency="KZT")
            for i, (c, m, e, ch, rev) in enumerate(raw)]
    rows.append(event("z", 0, "visit"))  # never empty
    lookback = dt.timedelta(minutes=lookback_minutes)
    table = conversion_journeys(engine_for(rows), lookback=lookback, first_only=first_only)
    got = {(r["customer_id"], r["path_number"]): (r["channels"], r["revenue"]) for r in table.to_pylist()}
    assert got == oracle(rows, lookback, first_only)
    assert all(r["touched_at"] == sorted(r["touched_at"]) for r in table.to_pylist())
