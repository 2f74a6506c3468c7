"""Normalisation of values: money, time zones, dates, currency; property-based round trips."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.ingest import read_events, read_table
from voronka.ingest.normalise import money, timestamp
from voronka.ingest.text import sniff_delimiter, sniff_encoding

CON = duckdb.connect()


def parse_money(values: list[str]) -> list[Decimal | None]:
    t = pa.table({"v": pa.array(values, pa.string())})
    return [r[0] for r in CON.sql(f"SELECT {money('v')} FROM t").fetchall()]


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.56", "1234.56"), ("1 234,56", "1234.56"), ("1\u00a0234,56", "1234.56"),
    ("1\u202f234\u202f567,5", "1234567.5"), ("1,5", "1.5"), ("1.234,56", "1234.56"), ("1,234.56", "1234.56"),
    ("1.234.567", "1234567"), ("1,234,567", "1234567"), ("-12,5", "-12.5"), ("\u221212,5", "-12.5"),
    ("0,00001", "0.0000"), ("1.23456", "1.2346"), (",5", "0.5"),
])
def test_money_rules(text: str, expected: str) -> None:
    assert parse_money([text]) == [Decimal(expected)]


@pytest.mark.parametrize("text", ["abc", "1,2x", "12 руб", "--1", "1.2.3,4,5", "1e999"])
def test_money_rejects_garbage(text: str) -> None:
    assert parse_money([text]) == [None]


@st.composite
def russian_amounts(draw: st.DrawFn) -> tuple[str, Decimal]:
    units = draw(st.integers(min_value=0, max_value=10**13))
    cents = draw(st.integers(min_value=0, max_value=9999))
    negative = draw(st.booleans())
    group = draw(st.sampled_from([" ", "\u00a0", "\u202f", ""]))
    decimal_sep = draw(st.sampled_from([",", "."]))
    digits = f"{units:,}".replace(",", group) if group else str(units)
    scale = draw(st.integers(min_value=0, max_value=4))
    frac = f"{cents:04d}"[:scale]
    text = ("-" if negative else "") + digits + (decimal_sep + frac if scale else "")
    value = Decimal(f"{'-' if negative else ''}{units}.{frac or '0'}")
    return text, value


@settings(max_examples=200, deadline=None)
@given(st.lists(russian_amounts(), min_size=1, max_size=20))
def test_russian_numbers_round_trip(cases: list[tuple[str, Decimal]]) -> None:
    texts = [t for t, _ in cases]
    assert parse_money(texts) == [v for _, v in cases]


def parse_ts(values: list[str], tz: str | None = None) -> list[dt.datetime | None]:
    t = pa.table({"v": pa.array(values, pa.string())})
    return [r[0] for r in CON.sql(f"SELECT {timestamp('v', 'VARCHAR', tz)} FROM t").fetchall()]


@pytest.mark.parametrize(("text", "tz", "expected"), [
    ("2026-03-01T10:00:00+05:00", None, dt.datetime(2026, 3, 1, 5)),
    ("2026-03-01T10:00:00Z", "Asia/Almaty", dt.datetime(2026, 3, 1, 10)),
    ("2026-03-01 10:00:00 +0300", None, dt.datetime(2026, 3, 1, 7)),
    ("2026-03-01 10:00", "Asia/Almaty", dt.datetime(2026, 3, 1, 5)),
    ("2026-03-01", None, dt.datetime(2026, 3, 1)),
    ("23.11.2026 14:05", "Europe/Moscow", dt.datetime(2026, 11, 23, 11, 5)),
    ("23.11.2026", None, dt.datetime(2026, 11, 23)),
    ("23.11.2026 14:05 +05:00", None, dt.datetime(2026, 11, 23, 9, 5)),
    ("23.11.2026 14:05:07", None, dt.datetime(2026, 11, 23, 14, 5, 7)),
    ("1772359200", "Asia/Almaty", dt.datetime(2026, 3, 1, 10)),  # epoch is UTC whatever tz
    ("1772359200000", None, dt.datetime(2026, 3, 1, 10)),
    ("2026-03-01T10:00:00.250", None, dt.datetime(2026, 3, 1, 10, 0, 0, 250000)),
    ("yesterday", None, None), ("31.02.2026", None, None),
])
def test_timestamps(text: str, tz: str | None, expected: dt.datetime | None) -> None:
    assert parse_ts([text], tz) == [expected]


def test_unknown_time_zone(tmp_path: Path) -> None:
    from voronka.errors import InputError

    path = tmp_path / "e.csv"
    path.write_text("customer_id,ts,event\na,2026-03-01,x\n")
    with pytest.raises(InputError, match="unknown time zone"):
        read_events([path], tz="Mars/Olympus")


def test_currency_required_and_normalised(tmp_path: Path) -> None:
    from voronka.errors import InputError

    path = tmp_path / "e.csv"
    path.write_text("customer_id,ts,event,revenue,currency\na,2026-03-01,buy,10,₸\nb,2026-03-01,buy,5,usd\n")
    assert read_events([path]).column("currency").to_pylist() == ["KZT", "USD"]
    path.write_text("customer_id,ts,event,revenue,currency\na,2026-03-01,buy,10,\n")
    with pytest.raises(InputError) as err:
        read_events([path])
    assert (err.value.row, err.value.column) == (1, "currency")
    assert "required when revenue" in str(err.value)


def test_spend_dates(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    path.write_text("date;channel;campaign;amount;currency\n01.03.2026;tv;spring;1 500 000,00;kzt\n"
                    "2026-03-02;radio;;250;KZT\n", encoding="utf-8")
    t = read_table("spend", [path])
    assert t.column("date").to_pylist() == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    assert t.column("amount").to_pylist() == [Decimal("1500000"), Decimal("250")]
    assert all(len(s) == 32 for s in t.column("spend_id").to_pylist())


@st.composite
def text_tables(draw: st.DrawFn) -> list[list[str]]:
    cell = st.text(alphabet=st.sampled_from(list("abcxyzАБВЖЯёй 0123456789.,;|\t\"'-")), min_size=1, max_size=8)
    cell = cell.map(str.strip).filter(bool)
    n = draw(st.integers(min_value=1, max_value=8))
    return draw(st.lists(st.lists(cell, min_size=2, max_size=2), min_size=n, max_size=n))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text_tables(), st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]))
def test_random_csv_round_trip(tmp_path: Path, rows: list[list[str]], delimiter: str, encoding: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["customer_id", "event", "ts"])
    for i, (a, b) in enumerate(rows):
        writer.writerow([a, b, f"2026-03-01 10:00:{i:02d}"])
    path = tmp_path / f"r{abs(hash((delimiter, encoding))) % 1000}.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    table = read_events([path]).sort_by("ts")
    assert [[r["customer_id"], r["event"]] for r in table.to_pylist()] == rows


def test_sniffers() -> None:
    assert sniff_encoding("Клиент".encode("cp1251")) == "cp1251"
    assert sniff_encoding("Клиент".encode()) == "utf-8"
    assert sniff_encoding(b"\xef\xbb\xbfa") == "utf-8-sig"
    assert sniff_delimiter("a;b;c\n1;2,5;3\n") == ";"
    assert sniff_delimiter("a|b\n1|2\n") == "|"
    assert sniff_delimiter("a,b\n\"1;2\",3\n") == ","
