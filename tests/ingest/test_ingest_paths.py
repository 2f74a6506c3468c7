"""The two ways of ingesting a file give the same result, on typed Parquet and on text.

Into an empty table a file is inserted at once and checked afterwards
(``_insert_then_verify``); into a table with rows it is checked first
(``_check_then_insert``). Every case here runs both ways: on an empty store and on a
store already holding one unrelated event, and must report and store the same.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import write_csv

from voronka.errors import InputError
from voronka.ingest import pipeline
from voronka.ingest.normalise import plan
from voronka.store import Store

OTHER = ("other-1", "z", dt.datetime(2020, 1, 1), "seed")
"""The unrelated event of the pre-filled store (its own event_id, so it never clashes)."""


@pytest.fixture(params=["empty", "prefilled"])
def setup(request, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The store (empty or pre-filled), and the list of ways the ingests took. These files are
    small: they take the ways of large ones here (a small source's own way: test_ingest_small.py)."""
    monkeypatch.setattr(pipeline, "SMALL_ROWS", 0)
    if request.param == "prefilled":
        seed = tmp_path / "seed.csv"
        seed.write_text("event_id,customer_id,ts,event\n" + ",".join(map(str, OTHER)) + "\n")
        store.ingest_events([seed])
    ways: list[str] = []
    for name in ("_check_then_insert", "_insert_then_verify"):
        real = getattr(pipeline, name)
        def spy(*args, _real=real, _name=name, **kwargs):
            ways.append(_name)
            return _real(*args, **kwargs)
        monkeypatch.setattr(pipeline, name, spy)
    return store, request.param, ways


def expected_way(kind: str) -> str:
    return "_insert_then_verify" if kind == "empty" else "_check_then_insert"


def stored(store: Store) -> list[tuple]:
    """The events of the file (not the seed), by time."""
    return store.connection.execute(
        "SELECT event_id, customer_id, ts, event, revenue, currency, properties FROM events "
        "WHERE event <> 'seed' ORDER BY ts, customer_id, event, event_id"
    ).fetchall()


def typed(n: int = 6, **changes: list) -> pa.Table:
    """A typed events table of ``n`` distinct rows; ``changes`` replace whole columns."""
    columns = {
        "customer_id": [f"c{i}" for i in range(n)],
        "ts": pa.array([dt.datetime(2026, 3, 1, 10, i) for i in range(n)], pa.timestamp("us")),
        "event": ["purchase" if i % 2 else "site_visit" for i in range(n)],
        "revenue": [100.5 * i if i % 2 else None for i in range(n)],
        "currency": ["KZT" if i % 2 else None for i in range(n)],
        "seq": [str(i + 1) for i in range(n)],
    }
    columns.update(changes)
    return pa.table(columns)


def write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


def test_typed_parquet_null_customer_id(setup, tmp_path: Path) -> None:
    store, kind, ways = setup
    before = store.connection.execute("SELECT * FROM events ORDER BY ALL").fetchall()
    ids: list[str | None] = [f"c{i}" for i in range(6)]
    ids[3] = None
    ids[5] = "  "  # empty after trimming: also missing, but later
    path = write(typed(customer_id=ids), tmp_path / "null.parquet")
    with pytest.raises(InputError) as err:
        store.ingest_events([path])
    assert ways == [expected_way(kind)]
    e = err.value
    assert (e.file, e.row, e.column, e.value) == (str(path), 4, "customer_id", None)
    assert "customer_id is required" in str(err.value)
    assert store.connection.execute("SELECT * FROM events ORDER BY ALL").fetchall() == before


def test_typed_parquet_bad_currency_error_and_rejects(setup, tmp_path: Path) -> None:
    store, kind, _ = setup
    currency = [None, "KZT", None, "KZT", None, "KZT"]
    currency[3] = "tenge!"
    currency[5] = "XX"
    path = write(typed(currency=currency), tmp_path / "cur.parquet")
    with pytest.raises(InputError) as err:
        store.ingest_events([path])
    assert (err.value.row, err.value.column, err.value.value) == (4, "currency", "tenge!")
    rejects = tmp_path / "rejects.csv"
    summary = store.ingest_events([path], reject_file=rejects)
    assert (summary.rows_read, summary.added, summary.duplicates, summary.rejected) == (6, 4, 0, 2)
    with open(rejects, newline="", encoding="utf-8") as fh:
        got = [(r["seq"], r["_row"], r["_column"], r["currency"]) for r in csv.DictReader(fh)]
    assert got == [("4", "4", "currency", "tenge!"), ("6", "6", "currency", "XX")]
    assert [r[1] for r in stored(store)] == ["c0", "c1", "c2", "c4"]


def test_typed_parquet_repeated_event_id_keeps_the_first(setup, tmp_path: Path) -> None:
    store, kind, ways = setup
    path = write(typed(event_id=["e1", "e2", "e1", None, "e2", ""]), tmp_path / "ids.parquet")
    summary = store.ingest_events([path])
    assert ways == [expected_way(kind)]
    assert (summary.rows_read, summary.added, summary.duplicates) == (6, 4, 2)
    rows = {r[0]: r[1] for r in stored(store)}
    assert rows["e1"] == "c0" and rows["e2"] == "c1"  # the first of each
    assert sorted(v for k, v in rows.items() if len(k) == 32) == ["c3", "c5"]  # generated ids
    assert store.ingest_events([path]).added == 0


def test_identical_rows_after_normalising_are_one_event(setup, tmp_path: Path) -> None:
    store, kind, _ = setup
    t = typed(4)
    padded = t.set_column(0, "customer_id",
                          pa.array([f" {c}\u00a0" for c in t.column("customer_id").to_pylist()]))
    both = pa.concat_tables([t, padded, t.slice(1, 1)])
    summary = store.ingest_events([write(both, tmp_path / "dups.parquet")])
    assert (summary.rows_read, summary.added, summary.duplicates) == (9, 4, 5)
    assert [r[1] for r in stored(store)] == ["c0", "c1", "c2", "c3"]


def test_bad_rows_and_repeats_together(setup, tmp_path: Path) -> None:
    store, _, _ = setup
    events = ["site_visit", None, "purchase", "purchase", "x", "y"]
    t = typed(event=events)
    path = write(pa.concat_tables([t, t.slice(0, 3)]), tmp_path / "mixed.parquet")
    summary = store.ingest_events([path], reject_file=tmp_path / "r.csv")
    assert (summary.rows_read, summary.added, summary.duplicates, summary.rejected) == (9, 5, 2, 2)


def test_same_rows_both_ways(tmp_path: Path) -> None:
    """One file into an empty store and into a pre-filled one: the same events, the same ids."""
    rows = [["c1", "2026-03-01 10:00", "a", "1 234,5", "₸"], ["c1", "2026-03-01 10:00", "a", "1 234,5", "₸"],
            [" c2", "01.03.2026 11:00", "b", "", ""], ["c3", "1772359200", "c", "-5", "usd"]]
    header = ["customer_id", "ts", "event", "revenue", "currency"]
    path = write_csv(tmp_path / "f.csv", rows, header=header, delimiter=";")
    seed = tmp_path / "seed.csv"
    seed.write_text("event_id,customer_id,ts,event\n" + ",".join(map(str, OTHER)) + "\n")
    results = []
    for name, first in (("a", []), ("b", [seed])):
        with Store(tmp_path / f"{name}.duckdb") as s:
            if first:
                s.ingest_events(first)
            summary = s.ingest_events([path], tz="Asia/Almaty")
            results.append(((summary.added, summary.duplicates), stored(s)))
    assert results[0] == results[1]
    assert results[0][0] == (3, 1)
    assert results[0][1][0][4:6] == (Decimal("1234.5000"), "KZT")


def test_a_later_bad_file_rolls_back_an_earlier_first_import(store, tmp_path: Path) -> None:
    good = write(typed(4), tmp_path / "good.parquet")
    repeats = write(pa.concat_tables([typed(6), typed(2)]), tmp_path / "repeats.parquet")
    bad = write(typed(3, event=["a", None, "c"]), tmp_path / "bad.parquet")
    with pytest.raises(InputError) as err:
        store.ingest_events([good, repeats, bad])
    assert (err.value.file, err.value.row) == (str(bad), 2)
    assert store.count("events") == 0
    summary = store.ingest_events([good, repeats])  # the first into an empty table only
    assert [(f.added, f.duplicates) for f in summary.files] == [(4, 0), (2, 6)]
    assert store.count("events") == 6


def test_progress_reaches_the_total_both_ways(setup, tmp_path: Path) -> None:
    store, _, _ = setup
    calls: list[tuple[str, int, int]] = []
    store.ingest_events([write(typed(5), tmp_path / "p.parquet")], progress=lambda *a: calls.append(a))
    assert calls[-1][1:] == (5, 5)


def test_a_typed_timestamp_is_not_checked_for_parsing() -> None:
    columns = [("customer_id", "VARCHAR"), ("ts", "TIMESTAMP"), ("event", "VARCHAR")]
    assert "not a date-time" not in plan("events", columns, "t").checks
    assert "ts is required" in plan("events", columns, "t").checks
    assert "not a date-time" in plan("events", [(c, "VARCHAR") for c, _ in columns], "t").checks
