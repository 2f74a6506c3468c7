"""``POST /v1/{table}?format=…``: a file's bytes read by the ingest readers from memory, on a real
uvicorn on loopback and a real store file; errors name the client's file (``Content-Disposition``),
the row and the field."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from .test_server import Served, _serve

GOOD_CSV = "customer_id;ts;event;revenue;currency\nc1;01.03.2026 10:00;purchase;1 234,50;KZT\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    yield from _serve(tmp_path / "store.duckdb")


def post(server: Served, fmt: str, body: bytes, file: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Disposition": f'attachment; filename="{file}"'} if file else {}
    return server.json("POST", f"/v1/events?format={fmt}", body, **headers)


def workbook(rows: list[list[object]]) -> bytes:
    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return data.getvalue()


def test_a_bad_csv_row_is_located_in_the_clients_file(server: Served) -> None:
    body = b"customer_id,ts,event\nc1,2026-03-01 10:00,site_visit\nc2,yesterday,purchase\n"
    assert post(server, "csv", body, "march.csv") == (422, {"error": (
        "march.csv, row 2, column 'ts' (value 'yesterday'): not a date-time (expected ISO 8601, "
        "DD.MM.YYYY [HH:MM[:SS]] or epoch seconds)")})
    status, answer = post(server, "csv", body)  # no name given: the request body
    assert status == 422 and answer["error"].startswith("request body, row 2, column 'ts' (value 'yesterday')")
    ragged = b"customer_id,ts,event\nc1,2026-03-01,a\nc2,2026-03-01,b,extra\n"
    assert post(server, "csv", ragged, "ragged.csv")[1]["error"] == (
        "ragged.csv, row 2 (value 'c2,2026-03-01,b,extra'): expected 3 fields (as in the header), found 4")
    with server.app.state.collector.reading() as con:  # nothing of a refused body is kept
        assert con.execute("SELECT count(*) FROM events").fetchall() == [(0,)]


def test_a_bad_spreadsheet_row_is_located_by_its_sheet_row(server: Served) -> None:
    body = workbook([[], ["customer_id", "ts", "event"], ["c1", "2026-03-01 10:00", "site_visit"],
                     [], ["c2", "2026-03-01 11:00", None]])
    status, answer = post(server, "xlsx", body, "Воронка март.xlsx".encode().decode("latin-1"))
    assert status == 422
    assert answer["error"] == "Воронка март.xlsx, row 5, column 'event': event is required"
    status, answer = post(server, "xlsx", b"PK\x03\x04 not a workbook", "broken.xlsx")
    assert status == 422 and answer["error"].startswith("broken.xlsx: cannot read the workbook")


def test_every_format_is_read_from_the_bytes(server: Served) -> None:
    parquet = io.BytesIO()
    pq.write_table(pa.table({"customer_id": ["c-parquet"], "ts": pa.array([1772359200], pa.int64()),
                             "event": pa.array(["purchase"]).dictionary_encode()}), parquet)
    bodies = {
        "csv": GOOD_CSV.replace("c1", "c-cp1251").encode("cp1251"),  # sniffed and decoded in Python
        "tsv": GOOD_CSV.replace(";", "\t").replace("c1", "c-tsv").encode(),
        "xlsx": workbook([["Клиент", "Дата", "Событие"], ["c-xlsx", "01.03.2026 10:00", "purchase"]]),
        "parquet": parquet.getvalue(),
        "ndjson": json.dumps({"customer_id": "c-ndjson", "ts": "2026-03-01T10:00:00Z", "event": "purchase"}).encode(),
    }
    for fmt, body in bodies.items():
        assert post(server, fmt, body, f"e.{fmt}") == (200, {"rows_read": 1, "added": 1, "duplicates": 0}), fmt
    assert post(server, "csv", bodies["csv"], "again.csv")[1] == {"rows_read": 1, "added": 0, "duplicates": 1}
    status, answer = post(server, "parquet", b"PAR1 not parquet", "bad.parquet")
    assert status == 422 and answer["error"].startswith("bad.parquet: cannot read Parquet")
    with server.app.state.collector.reading() as con:
        rows = con.execute("SELECT customer_id, strftime(ts, '%Y-%m-%d %H:%M'), event, revenue "
                                        "FROM events ORDER BY 1").fetchall()
    assert rows == [("c-cp1251", "2026-03-01 10:00", "purchase", 1234.5),
                    ("c-ndjson", "2026-03-01 10:00", "purchase", None),
                    ("c-parquet", "2026-03-01 10:00", "purchase", None),
                    ("c-tsv", "2026-03-01 10:00", "purchase", 1234.5),
                    ("c-xlsx", "2026-03-01 10:00", "purchase", None)]


def test_a_clients_file_name_is_only_text_in_messages(server: Served) -> None:
    body = b"customer_id,ts,event\nc1,never,a\n"
    status, answer = post(server, "csv", body, "../../etc/passwd")  # named, never opened
    assert status == 422 and answer["error"].startswith("../../etc/passwd, row 1, column 'ts'")
    headers = {"Content-Disposition": "attachment; filename*=UTF-8''%D0%BC%D0%B0%D1%80%D1%82%0A%1B.csv"}
    assert server.json("POST", "/v1/events?format=csv", body, **headers)[1]["error"].startswith("март??.csv, row 1")
    headers = {"Content-Disposition": "attachment; filename=\"" + "x" * 400 + "\""}
    assert server.json("POST", "/v1/events?format=csv", body, **headers)[1]["error"].startswith("x" * 255 + ", row 1")


def test_a_parquet_body_decodes_within_its_limit(server: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from voronka.ingest import limits

    body = io.BytesIO()  # 100,000 rows of one long value: a small file, dictionary-encoded
    pq.write_table(pa.table({"customer_id": ["c" * 200] * 100_000, "ts": ["2026-03-01"] * 100_000,
                             "event": ["e"] * 100_000}), body)
    assert len(body.getvalue()) < 100_000
    monkeypatch.setattr(limits, "MAX_DECODED_BYTES", 4_000_000)  # 1 GiB by default
    status, answer = post(server, "parquet", body.getvalue(), "bomb.parquet")
    assert status == 413 and answer["error"].startswith("bomb.parquet: the Parquet file decodes to ")
    with server.app.state.collector.reading() as con:
        assert con.execute("SELECT count(*) FROM events").fetchall() == [(0,)]
