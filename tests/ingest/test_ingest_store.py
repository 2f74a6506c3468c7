"""Ingesting into a store: errors, rejects, atomicity, dedupe, mapping, spend and aliases."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from ingest_helpers import ROWS, events, write_csv

from voronka.errors import InputError
from voronka.ingest import load_mapping_file
from voronka.store import Store


def contents(store: Store) -> dict[str, list[tuple]]:
    return {t: store.connection.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("events", "spend", "aliases", "voronka_meta")}


def test_bad_row_names_file_row_column_value(store, tmp_path: Path) -> None:
    rows = ROWS + [["c3", "2026-03-05", "visit", "12,5", "KZT", ""], ["c4", "not a date", "visit", "", "", ""],
                   ["c5", "also bad", "visit", "", "", ""]]
    path = write_csv(tmp_path / "bad.csv", rows, delimiter=";")
    with pytest.raises(InputError) as err:
        store.ingest_events([path])
    e = err.value
    assert (e.file, e.row, e.column, e.value) == (str(path), 5, "ts", "not a date")
    assert "row 5" in str(e) and "'ts'" in str(e) and "not a date" in str(e)
    assert store.count("events") == 0


def test_required_value_and_mapped_column_name_in_error(store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [["", "2026-03-01", "x"]], header=["клиент", "ts", "event"])
    with pytest.raises(InputError) as err:
        store.ingest_events([path], mapping={"customer_id": "Клиент"})
    assert (err.value.row, err.value.column) == (1, "клиент")


def test_reject_file_keeps_good_rows(store, tmp_path: Path) -> None:
    rows = ROWS + [["c4", "bad", "visit", "", "", "/x"], ["c5", "2026-03-01", "buy", "12abc", "KZT", ""]]
    path = write_csv(tmp_path / "r.csv", rows)
    rejects = tmp_path / "rejects.csv"
    summary = store.ingest_events([path], reject_file=rejects)
    assert (summary.rows_read, summary.added, summary.rejected, summary.duplicates) == (5, 3, 2, 0)
    with open(rejects, newline="", encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [(r["customer_id"], r["_row"], r["_column"]) for r in got] == [("c4", "4", "ts"), ("c5", "5", "revenue")]
    assert got[0]["page"] == "/x" and got[1]["revenue"] == "12abc" and got[0]["_error"].startswith("not a date")


def test_failed_ingest_leaves_store_unchanged(store, tmp_path: Path) -> None:
    store.ingest_events([write_csv(tmp_path / "good.csv", ROWS)])
    store.ingest_spend([write_csv(tmp_path / "s.csv", [["2026-03-01", "tv", "1000", "KZT"]],
                                  header=["date", "channel", "amount", "currency"])])
    before = contents(store)
    more = write_csv(tmp_path / "more.csv", [["c9", "2026-04-01", "visit", "", "", ""]])
    bad = write_csv(tmp_path / "bad.csv", [["c8", "2026-04-01", "visit", "", "", ""], ["c8", "x", "v", "", "", ""]])
    with pytest.raises(InputError):
        store.ingest_events([more, bad])  # the good first file is rolled back too
    assert contents(store) == before
    with pytest.raises(InputError):
        store.ingest_events([tmp_path / "missing.csv"])
    assert contents(store) == before
    store.close()
    with Store(tmp_path / "store.duckdb") as again:  # and on disk
        assert contents(again) == before


def test_reingest_adds_nothing_and_within_file_duplicates(store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ROWS + [ROWS[0], [" c1 ", "2026-03-01T10:00:00", "site_visit", "", "", "/"]])
    first = store.ingest_events([path])
    assert (first.rows_read, first.added, first.duplicates) == (5, 3, 2)
    again = store.ingest_events([path, path])
    assert (again.added, again.duplicates) == (0, 10)
    assert store.count("events") == 3


def test_given_event_ids_keep_the_first(store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ids.csv", [["e1", "a", "2026-03-01", "first"], ["e2", "a", "2026-03-01", "x"],
                                            ["e1", "b", "2026-03-02", "second"], ["", "c", "2026-03-01", "y"]],
                     header=["event_id", "customer_id", "ts", "event"])
    summary = store.ingest_events([path])
    assert (summary.added, summary.duplicates) == (3, 1)
    rows = dict(store.connection.execute("SELECT event_id, event FROM events").fetchall())
    assert rows["e1"] == "first" and "e2" in rows and len([k for k in rows if len(k) == 32]) == 1


def test_mapping_file_yaml_and_json(store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ru.csv", [["77011234567", "23.11.2026 14:05", "покупка", "1\u00a0234,56", "₸"]],
                     header=["Телефон", "Дата", "Событие", "Сумма", "Валюта"], delimiter=";")
    yml = tmp_path / "map.yaml"
    yml.write_text("customer_id: телефон\nts: Дата\nevent: СОБЫТИЕ\nСумма: revenue\ncurrency: Валюта\n",
                   encoding="utf-8")
    summary = store.ingest_events([path], mapping=load_mapping_file(yml), tz="Asia/Almaty")
    assert summary.added == 1
    assert events(store) == [("77011234567", dt.datetime(2026, 11, 23, 9, 5), "покупка", None, None,
                              Decimal("1234.5600"), "KZT", None, "{}")]
    js = tmp_path / "map.json"
    js.write_text('{"customer_id": "nope"}')
    with pytest.raises(InputError, match="not in the file"):
        store.ingest_events([path], mapping=load_mapping_file(js))


def test_missing_required_column(store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a", "b"]], header=["customer_id", "event"])
    with pytest.raises(InputError, match="required column 'ts' is missing"):
        store.ingest_events([path])


def test_ragged_csv_row(store, tmp_path: Path) -> None:
    path = tmp_path / "rag.csv"
    path.write_text("customer_id,ts,event\na,2026-03-01,x\nb,2026-03-01,x,extra\n")
    with pytest.raises(InputError) as err:
        store.ingest_events([path])
    assert err.value.row == 2 and "expected 3 fields" in str(err.value)


def test_spend_and_aliases(store, tmp_path: Path) -> None:
    spend = write_csv(tmp_path / "spend.csv", [["01.03.2026", "tv", "spring", "1 000,50", "kzt"],
                                               ["01.03.2026", "tv", "spring", "1 000,50", "kzt"]],
                      header=["date", "channel", "campaign", "amount", "currency"], delimiter=";")
    s = store.ingest_spend([spend])
    assert (s.added, s.duplicates) == (1, 1)
    assert store.ingest_spend([spend]).added == 0
    aliases = write_csv(tmp_path / "a.csv", [["anon1", "c1"], ["anon2", "c1"], ["anon1", "c9"]],
                        header=["alias", "customer_id"])
    a = store.ingest_aliases([aliases])
    assert (a.added, a.duplicates) == (2, 1)
    assert dict(store.connection.execute("SELECT * FROM aliases").fetchall()) == {"anon1": "c1", "anon2": "c1"}
    bad = write_csv(tmp_path / "b.csv", [["anon3", ""]], header=["alias", "customer_id"])
    with pytest.raises(InputError, match="customer_id is required"):
        store.ingest_aliases([bad])


def test_progress_callback_reaches_the_total(store, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    store.ingest_events([write_csv(tmp_path / "p.csv", ROWS)], progress=lambda *a: calls.append(a))
    assert calls[-1][1:] == (3, 3)
