"""The generated key stays what docs/ingest.md defines (``normalise.stable_key``), whatever
DuckDB version runs it: recomputed in Python from the definition, and pinned."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from voronka.store import Store

HEADER = "customer_id,ts,event,channel,revenue,currency,page"
ROWS = [
    "c1,2026-03-01 10:00:00+05:00,purchase,tv,1500.5,kzt,/buy",
    "c2,2026-03-01T10:00:00.25,site_visit,,,,",
    "  c3 ,1900-01-01 00:00:00.000001,ad_view,digital,-0.0001,RUB,",
]
PINNED = {  # computed once (DuckDB 2.0) and checked against expected_key
    "c1": "711435330a95bbe9d04791aa81d269ea",
    "c2": "94cd98cc19896145627e9b3bf9b9a3c2",
    "c3": "ab5e26e2d42613a5558a343a01e78199",
}


def value_text(value: object) -> str:
    """A value's text in the key, as docs/ingest.md defines it (independent of DuckDB)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    return str(value)


def expected_key(row: tuple, row_number: int | None = None) -> str:
    texts = [value_text(v) for v in row] + ([str(row_number)] if row_number is not None else [])
    return hashlib.md5("\x1f".join(texts).encode()).hexdigest()


@pytest.fixture
def stored(tmp_path: Path) -> list[tuple]:
    path = tmp_path / "events.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with Store(tmp_path / "store.duckdb") as store:
        store.ingest_events([path])
        return store.connection.execute(
            "SELECT event_id, customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties "
            "FROM events ORDER BY customer_id").fetchall()


def test_key_is_the_md5_of_the_documented_text(stored: list[tuple]) -> None:
    assert [r[1] for r in stored] == ["c1", "c2", "c3"]
    for event_id, *row in stored:
        assert event_id == expected_key(tuple(row))


def test_known_keys_are_pinned(stored: list[tuple]) -> None:
    # the text hashed, in full, for the first row: UTC time, money with four decimals
    c1 = stored[0]
    assert "\x1f".join(value_text(v) for v in c1[1:]) == (
        "c1\x1f2026-03-01 05:00:00\x1fpurchase\x1ftv\x1f\x1f1500.5000\x1fKZT\x1f\x1f{\"page\":\"/buy\"}")
    assert {r[1]: r[0] for r in stored} == PINNED


def test_keep_repeats_joins_the_row_number(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([HEADER, ROWS[1], ROWS[1]]) + "\n", encoding="utf-8")
    with Store(tmp_path / "store.duckdb") as store:
        store.ingest_events([path], keep_repeats=True)
        stored = store.connection.execute(
            "SELECT event_id, customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties "
            "FROM events ORDER BY rowid").fetchall()
    assert [r[0] for r in stored] == [expected_key(tuple(stored[0][1:]), 1), expected_key(tuple(stored[1][1:]), 2)]
