"""The profile (docs/explore.md, "Profile"): a file with repeats, out-of-order times and a
rare new event names all three; the counts on every backend."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import event
from voronka.engines.duckdb import DuckDBEngine, connect
from voronka.explore.profile import compute_profile, profile_sentences
from voronka.ingest.pipeline import ingest
from voronka.schema import EVENTS


def write_log(path) -> None:
    """60 days of views and carts by 40 customers; row 3 repeats row 2; customer c0's
    second row is an hour earlier than its first; payment_error appears once, on the last day."""
    lines = ["customer_id,ts,event"]
    start = dt.datetime(2026, 3, 1, 10, 0)
    for day in range(60):
        for c in range(4):
            t = start + dt.timedelta(days=day, minutes=c)
            lines.append(f"c{(day * 4 + c) % 40},{t:%Y-%m-%d %H:%M:%S},view")
            lines.append(f"c{(day * 4 + c) % 40},{t + dt.timedelta(minutes=5):%Y-%m-%d %H:%M:%S},cart")
    lines.insert(3, lines[2])  # a repeat of the first cart
    lines.insert(4, f"c0,{start - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S},view")  # out of order
    lines.append(f"c7,{start + dt.timedelta(days=59, hours=2):%Y-%m-%d %H:%M:%S},payment_error")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_file_with_repeats_disorder_and_a_rare_new_event(tmp_path):
    path = tmp_path / "events.csv"
    write_log(path)
    con = connect()
    con.execute(EVENTS.ddl())
    summary = ingest(con, "events", [path])
    assert summary.duplicates == 1
    result = compute_profile(DuckDBEngine(con), repeats=summary.duplicates, now=dt.datetime(2026, 6, 1))
    keys = [k for k, _ in result.findings]
    assert "repeats" in keys and "out_of_order" in keys
    assert ("new", "payment_error") in [(k, p.get("event")) for k, p in result.findings]
    assert ("rare", "payment_error") in [(k, p.get("event")) for k, p in result.findings]
    # 09:00, ingested after c0's 10:00 view and 10:05 cart: 65 minutes back
    assert result.out_of_order == {"rows": 1, "median_gap_seconds": 3900.0}
    for lang in ("en", "ru", "kk"):
        text = " ".join(profile_sentences(result, lang))
        assert "payment_error" in text and "1" in text
    # --keep-repeats keeps the identical row
    con2 = connect()
    con2.execute(EVENTS.ddl())
    assert ingest(con2, "events", [path], keep_repeats=True).duplicates == 0


def test_counts(engine_for):
    day = 24 * 60
    rows = [event("a", 0, "view", channel="ads", properties={"os": "ios"}), event("a", 0, "cart"),
            event("a", 90, "view"), event("b", 2 * day, "view", channel="ads"),
            event("b", 2 * day + 1, "identify", properties={"alias": "anon-b"}),
            event("anon-b", 2 * day + 2, "view")]
    result = compute_profile(engine_for(rows), now=dt.datetime(2026, 3, 3, 9, 0))
    vocab = {r["event"]: r for r in result.vocabulary.to_pylist()}
    assert vocab["view"]["events"] == 4 and vocab["view"]["customers"] == 3
    assert result.days.num_rows == 3 and result.gaps == [(dt.date(2026, 3, 3), dt.date(2026, 3, 3))]
    assert result.simultaneous == 2
    assert result.future == 3  # b's three events (2 March + 2 days) are after 'now'
    assert result.identity["ids_stored"] == 3 and result.identity["customers"] == 2
    assert result.sessions["sessions"] == 3  # a: 0–0 and 90 (gap > 30m); b
    props = {r["field"]: r for r in result.properties.to_pylist()}
    assert props["channel"]["coverage"] == pytest.approx(2 / 6)
    assert props["properties.os"]["values"] == 1


def test_out_of_order_without_repeats_and_into_a_store_with_rows(tmp_path):
    """The ingest sequence holds on a first clean import and on an import into a table that
    has rows (anti-joined), so profile finds the one row stored after a later one."""
    from voronka.store import Store

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("customer_id,ts,event\n" + "".join(f"c{i},2026-03-01 10:{i:02d}:00,view\n" for i in range(40))
                     + "c0,2026-03-01 09:00:00,cart\n", encoding="utf-8")
    second.write_text("customer_id,ts,event\nc1,2026-03-01 11:00:00,cart\nc1,2026-03-01 08:00:00,cart\n",
                      encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest("events", [first])
        assert compute_profile(DuckDBEngine(store.connection)).out_of_order["rows"] == 1
        store.ingest("events", [second])
        assert compute_profile(DuckDBEngine(store.connection)).out_of_order["rows"] == 2
