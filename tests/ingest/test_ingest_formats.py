"""Every input format and encoding reads to the same canonical rows."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from ingest_helpers import HEADER, ROWS, events, write_csv

from voronka.ingest import read_events

EXPECTED = [
    ("c1", dt.datetime(2026, 3, 1, 10), "site_visit", None, None, None, None, None, '{"page":"/"}'),
    ("c1", dt.datetime(2026, 3, 1, 11), "purchase", None, None, Decimal("1500.5000"), "KZT", None,
     '{"page":"/buy"}'),
    ("c2", dt.datetime(2026, 3, 2, 9, 30), "ad_view", None, None, None, None, None, "{}"),
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_any_delimiter(store, tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "e.csv", ROWS, delimiter=delimiter)
    summary = store.ingest_events([path])
    assert (summary.rows_read, summary.added) == (3, 3)
    assert events(store) == EXPECTED


def test_tsv(store, tmp_path: Path) -> None:
    store.ingest_events([write_csv(tmp_path / "e.tsv", ROWS, delimiter="\t")])
    assert events(store) == EXPECTED


def test_utf8_bom_and_cp1251_cyrillic(store, tmp_path: Path) -> None:
    header = ["Клиент", "Дата", "Событие", "Страница"]
    rows = [["Пётр", "01.03.2026 10:00", "визит", "Главная"]]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + ";".join(header).encode() + b"\n" + ";".join(rows[0]).encode() + b"\n")
    win = write_csv(tmp_path / "win.csv", [["Анна", "02.03.2026", "покупка", "Корзина"]], header=header,
                    delimiter=";", encoding="cp1251")
    mapping = {"customer_id": "клиент", "ts": "ДАТА", "event": "событие"}
    store.ingest_events([bom, win], mapping=mapping)
    assert events(store) == [
        ("Анна", dt.datetime(2026, 3, 2), "покупка", None, None, None, None, None, '{"Страница":"Корзина"}'),
        ("Пётр", dt.datetime(2026, 3, 1, 10), "визит", None, None, None, None, None, '{"Страница":"Главная"}'),
    ]


def test_cp1251_past_the_head_and_explicit_encoding(tmp_path: Path) -> None:
    rows = [[f"c{i}", "2026-03-01", "visit", "", "", "ascii"] for i in range(60000)]
    rows.append(["c_last", "2026-03-01", "визит", "", "", "ок"])
    path = write_csv(tmp_path / "late.csv", rows, encoding="cp1251")
    table = read_events([path])
    assert table.num_rows == 60001
    assert "визит" in table.column("event").to_pylist()
    small = write_csv(tmp_path / "s.csv", [["a", "2026-03-01", "визит", "", "", ""]], encoding="cp1251")
    assert read_events([small], encoding="windows-1251").column("event").to_pylist() == ["визит"]


def test_xlsx_with_typed_cells(store, tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    stamp = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    sheet.write_row(1, 0, ["Client", "TS", "Event", "Revenue", "Currency", "Phone"])  # header on sheet row 2
    sheet.write_row(2, 0, ["c1"])
    sheet.write_datetime(2, 1, dt.datetime(2026, 3, 1, 10, 0), stamp)
    sheet.write_row(2, 2, ["purchase", 1500.5, "kzt", 77011234567])
    sheet.write_row(4, 0, ["c2", "02.03.2026 09:30", "ad_view"])  # sheet row 5, after an empty row
    book.close()
    store.ingest_events([path], mapping={"customer_id": "client"})
    assert events(store) == [
        ("c1", dt.datetime(2026, 3, 1, 10), "purchase", None, None, Decimal("1500.5000"), "KZT", None,
         '{"Phone":"77011234567"}'),
        ("c2", dt.datetime(2026, 3, 2, 9, 30), "ad_view", None, None, None, None, None, "{}"),
    ]


def test_xlsx_reports_the_sheet_row(store, tmp_path: Path) -> None:
    from voronka.errors import InputError

    path = tmp_path / "bad.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["customer_id", "ts", "event"])
    sheet.write_row(1, 0, ["c1", "2026-03-01", "visit"])
    sheet.write_row(3, 0, ["c2", "yesterday", "visit"])
    book.close()
    with pytest.raises(InputError) as err:
        store.ingest_events([path])
    assert (err.value.row, err.value.column, err.value.value) == (4, "ts", "yesterday")


def test_parquet_typed_and_text(store, tmp_path: Path) -> None:
    typed = pa.table({
        "customer_id": ["c1", "c1", "c2"],
        "ts": pa.array([dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 1, 11), dt.datetime(2026, 3, 2, 9, 30)],
                       pa.timestamp("ms")),
        "event": ["site_visit", "purchase", "ad_view"],
        "revenue": [None, 1500.5, None],
        "currency": [None, "KZT", None],
        "page": ["/", "/buy", None],
    })
    pq.write_table(typed, tmp_path / "typed.parquet")
    store.ingest_events([tmp_path / "typed.parquet"])
    assert events(store) == EXPECTED
    text = pa.table({h: [r[i] or None for r in ROWS] for i, h in enumerate(HEADER)})
    pq.write_table(text, tmp_path / "text.parquet")
    assert store.ingest_events([tmp_path / "text.parquet"]).added == 0  # same rows, same ids


def test_parquet_aware_timestamps_are_converted(tmp_path: Path) -> None:
    t = pa.table({"customer_id": ["a"], "event": ["x"],
                  "ts": pa.array([dt.datetime(2026, 3, 1, 5)], pa.timestamp("us", tz="UTC"))})
    pq.write_table(t, tmp_path / "aware.parquet")
    got = read_events([tmp_path / "aware.parquet"], tz="Asia/Almaty")
    assert got.column("ts").to_pylist() == [dt.datetime(2026, 3, 1, 5)]


@pytest.mark.parametrize("name", ["e.ndjson", "e.jsonl.gz", "e.json"])
def test_ndjson_plain_and_gzip(store, tmp_path: Path, name: str) -> None:
    records = [{k: v for k, v in zip(HEADER, row) if v} for row in ROWS]
    records[1]["revenue"] = 1500.5  # a JSON number
    if name.endswith(".json"):
        data = json.dumps(records).encode()
    else:
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode() + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    store.ingest_events([path])
    assert events(store) == EXPECTED


def test_ndjson_nested_properties_merge(tmp_path: Path) -> None:
    path = tmp_path / "p.ndjson"
    path.write_text(json.dumps({"customer_id": 42, "ts": "2026-03-01T10:00:00Z", "event": "purchase",
                                "properties": {"offer": "core", "qty": 2, "page": "old"}, "page": "new"}) + "\n")
    got = read_events([path]).to_pylist()[0]
    assert got["customer_id"] == "42"
    assert json.loads(got["properties"]) == {"offer": "core", "qty": "2", "page": "new"}


def test_csv_properties_column_merged_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "g.csv"
    good.write_text('customer_id,ts,event,properties,tier\nc1,2026-03-01,x,"{""a"": 1, ""b"": ""t""}",gold\n')
    props = json.loads(read_events([good]).column("properties")[0].as_py())
    assert props == {"a": "1", "b": "t", "tier": "gold"}
    from voronka.errors import InputError

    bad = tmp_path / "b.csv"
    bad.write_text('customer_id,ts,event,properties\nc1,2026-03-01,x,[1]\n')
    with pytest.raises(InputError, match="JSON object"):
        read_events([bad])


def test_an_empty_properties_object_is_the_columns_object(tmp_path: Path) -> None:
    # "{}" is taken without a JSON parse (normalise.properties_json): the same text, and so
    # the same generated key, as "{ }" merged with the columns the long way, and as no object
    path = tmp_path / "e.csv"
    path.write_text('customer_id,ts,event,properties,"n\u00e9 ""q""",tier\n'
                    'c1,2026-03-01,x,{},v\u00e9\\,gold\n'
                    'c1,2026-03-01,x,{ },v\u00e9\\,gold\n'
                    'c2,2026-03-01,x," {} ",,\n'
                    'c3,2026-03-01,x,,v\u00e9\\,gold\n', encoding="utf-8")
    table = read_events([path])
    assert table.num_rows == 3  # the two c1 rows are one event
    got = {r["customer_id"]: r["properties"] for r in table.to_pylist()}
    assert got == {"c1": '{"n\u00e9 \\"q\\"":"v\u00e9\\\\","tier":"gold"}', "c2": "{}", "c3": got["c1"]}


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    from voronka.errors import InputError

    (tmp_path / "e.xml").write_text("<x/>")
    with pytest.raises(InputError, match="unknown file format"):
        read_events([tmp_path / "e.xml"])
    with pytest.raises(InputError, match="no such file"):
        read_events([tmp_path / "nope.csv"])


def test_open_table_holds_what_read_events_returns(tmp_path: Path) -> None:
    """``--data`` analyses run on ``open_table``'s in-memory DuckDB, not a copy of Arrow."""
    from voronka.errors import InputError
    from voronka.ingest import open_table

    path = write_csv(tmp_path / "e.csv", ROWS)
    con = open_table("events", [path])
    try:
        assert con.sql("SHOW TABLES").fetchall() == [("events",)]
        held = con.sql("SELECT * FROM events ORDER BY customer_id, ts").to_arrow_table()
    finally:
        con.close()
    expected = read_events([path]).sort_by([("customer_id", "ascending"), ("ts", "ascending")])
    assert held.to_pylist() == expected.to_pylist()
    bad = write_csv(tmp_path / "bad.csv", [["c1", "not a time", "visit", "", "", ""]])
    with pytest.raises(InputError, match=r"bad\.csv, row 1, column 'ts'"):
        open_table("events", [bad])
