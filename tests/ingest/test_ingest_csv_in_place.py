"""A large UTF-8 CSV file is read by DuckDB where it lies (``readers.csv_source``), any other
CSV by Arrow (``readers.read_csv``): both ways store the same rows in the same order, count
the same and name the same file, row and column. Each case runs both ways, the size
threshold (``IN_PLACE_BYTES``) lowered so that small files take DuckDB's way."""

from __future__ import annotations

from pathlib import Path

import pytest

from voronka.errors import InputError
from voronka.ingest import readers
from voronka.store import Store

CASES = {
    "values.csv": ("customer_id,ts,event,revenue,currency,page\n"
                   "c1,2026-03-01 10:00,visit,,,/\n"
                   " c2 ,2026-03-01T10:00:00+05:00,purchase,\"1 234,50\",KZT,\n"
                   "c3,1772359200,purchase,12.5,₸,NA\n"),
    "bom-semicolon.csv": "\ufeffcustomer_id;ts;event\nc1;01.03.2026;visit\n"
                         "c2;01.03.2026 10:05;visit\n",
    "blank-lines.csv": "customer_id,ts,event\n\nc1,2026-03-01,visit\n\n\nc2,2026-03-02,visit\n",
    "quoted.csv": ('customer_id,ts,event,note\nc1,2026-03-01,visit,"two\nlines"\nc2,2026-03-02,visit,""\n'
                   'c3,2026-03-03,visit,"say ""hi"", then go"\n'),
    "repeats.csv": "customer_id,ts,event\nc1,2026-03-01,visit\nc1,2026-03-01,visit\nc2,2026-03-01,visit\n",
    "russian.tsv": "Клиент\tДата\tСобытие\tМенеджер\nк1\t01.03.2026\tвизит\tАйгерим\nк2\t02.03.2026\tзаказ\t\n",
    "crlf.csv": "event_id,customer_id,ts,event\r\ne1,c1,2026-03-01,visit\r\ne1,c2,2026-03-01,visit\r\n",
}


@pytest.fixture(params=["duckdb", "arrow"])
def way(request, monkeypatch) -> str:
    monkeypatch.setattr(readers, "IN_PLACE_BYTES", 0 if request.param == "duckdb" else 1 << 62)
    return request.param


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def stored(path: Path) -> tuple[list[tuple], list[tuple]]:
    with Store(path, read_only=True) as store:
        return (store.connection.execute("SELECT * FROM events ORDER BY rowid").fetchall(),
                store.connection.execute("SELECT * FROM spend ORDER BY rowid").fetchall())


def ingest_both_ways(tmp_path: Path, monkeypatch, files: list[Path], **options) -> list:
    """The summaries and stored rows of ingesting ``files`` one after another, each way."""
    results = []
    for threshold in (0, 1 << 62):
        monkeypatch.setattr(readers, "IN_PLACE_BYTES", threshold)
        store_path = tmp_path / f"store-{threshold}.duckdb"
        with Store(store_path) as store:
            summaries = [store.ingest_events([f], **options) for f in files]
        results.append(([(s.rows_read, s.added, s.duplicates, s.rejected) for s in summaries], stored(store_path)))
    return results


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_ways_store_the_same_rows(tmp_path, monkeypatch, name):
    path = write(tmp_path, name, CASES[name])
    monkeypatch.setattr(readers, "IN_PLACE_BYTES", 0)
    assert readers.read_source(path).arrow is None  # DuckDB's way is taken
    in_place, arrow = ingest_both_ways(tmp_path, monkeypatch, [path])
    assert in_place == arrow
    assert in_place[0][0][0] >= 2 and in_place[1][0]  # rows were read and stored


def test_both_ways_into_a_store_with_rows(tmp_path, monkeypatch):
    """The anti-join and the first of equal keys kept, in file order (the ROW numbers)."""
    first = write(tmp_path, "first.csv", "event_id,customer_id,ts,event\ne1,c1,2026-03-01,a\ne2,c2,2026-03-01,b\n")
    second = write(tmp_path, "second.csv", "event_id,customer_id,ts,event\ne3,c3,2026-03-02,c\ne2,c9,2026-03-02,x\n"
                   "\ne4,c4,2026-03-02,d\ne3,c8,2026-03-02,y\n")
    in_place, arrow = ingest_both_ways(tmp_path, monkeypatch, [first, second])
    assert in_place == arrow
    assert in_place[0] == [(2, 2, 0, 0), (4, 2, 2, 0)]
    assert [r[0] for r in in_place[1][0]] == ["e1", "e2", "e3", "e4"]


@pytest.mark.parametrize(("text", "row", "column"), [
    ("customer_id,ts,event\nc1,2026-03-01,visit\n\nc2,31.02.2026,visit\n", 2, "ts"),
    ('customer_id,ts,event\nc1,2026-03-01,"a\nb"\nc2,2026-03-01,\nc3,2026-03-01,visit\n', 2, "event"),
    ("customer_id,ts,event,revenue,currency\nc1,2026-03-01,visit,12,KZT\nc2,2026-03-01,visit,12,KZT\n"
     "c3,2026-03-01,visit,x,KZT\n", 3, "revenue"),
])
def test_a_bad_row_is_named_the_same_way(tmp_path, way, text, row, column):
    path = write(tmp_path, "bad.csv", text)
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(InputError) as err:
        store.ingest_events([path])
    assert (err.value.file, err.value.row, err.value.column) == (str(path), row, column)


def test_a_record_of_the_wrong_width_is_located(tmp_path, way):
    path = write(tmp_path, "ragged.csv", "customer_id,ts,event\nc1,2026-03-01,visit\nc2,2026-03-01,visit,extra\n")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError) as err:
            store.ingest_events([path])
        assert store.count("events") == 0
    assert (err.value.file, err.value.row) == (str(path), 2)
    assert "expected 3 fields" in str(err.value)


def test_rejects_are_the_same(tmp_path, monkeypatch):
    path = write(tmp_path, "mixed.csv", "customer_id,ts,event\nc1,2026-03-01,visit\n,2026-03-01,visit\n"
                 "c3,someday,visit\nc4,2026-03-04,visit\n")
    texts = []
    for threshold in (0, 1 << 62):
        monkeypatch.setattr(readers, "IN_PLACE_BYTES", threshold)
        rejects = tmp_path / f"rejects-{threshold}.csv"
        with Store(tmp_path / f"s-{threshold}.duckdb") as store:
            summary = store.ingest_events([path], reject_file=rejects)
        assert (summary.added, summary.rejected) == (2, 2)
        texts.append(rejects.read_text())
    assert texts[0] == texts[1]
    assert 'mixed.csv","3","ts"' in texts[0]


def test_a_failing_file_leaves_the_store_as_it_was(tmp_path, way):
    good = write(tmp_path, "good.csv", "customer_id,ts,event\nc1,2026-03-01,visit\n")
    bad = write(tmp_path, "bad.csv", "customer_id,ts,event\nc2,2026-03-01,visit\nc3,,visit\n")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest_events([good])
        with pytest.raises(InputError):
            store.ingest_events([good, bad])
        assert store.count("events") == 1


def test_not_utf8_past_the_head_is_read_as_cp1251(tmp_path, monkeypatch):
    """DuckDB could not recover from the bytes inside the transaction: such a file goes to Arrow."""
    monkeypatch.setattr(readers, "IN_PLACE_BYTES", 0)
    filler = "".join(f"c{i},2026-03-01,visit\n" for i in range(70_000))  # past the 1 MiB head
    path = write(tmp_path, "late.csv", "customer_id,ts,event\n" + filler + "клиент,2026-03-01,визит\n", "cp1251")
    assert readers.read_source(path).arrow is not None
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest_events([path])
        assert store.connection.execute("SELECT event FROM events WHERE customer_id = 'клиент'").fetchall() == [
            ("визит",)]


def test_a_nul_byte_goes_to_arrow_and_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "IN_PLACE_BYTES", 0)
    path = write(tmp_path, "nul.csv", "customer_id,ts,event\nc1,2026-03-01,vi\x00sit\n")
    assert readers.read_source(path).arrow is not None
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(InputError) as err:
        store.ingest_events([path])
    assert (err.value.row, err.value.column) == (1, "event")


def test_a_long_record_is_read(tmp_path, way):
    """DuckDB's reader allows 2 MB records by default; Arrow any: so does ``csv_source``."""
    page = "x" * (3 << 20)
    path = write(tmp_path, "long.csv", f"customer_id,ts,event,page\nc1,2026-03-01,visit,{page}\n")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest_events([path])
        assert store.connection.execute("SELECT length(properties) FROM events").fetchall() == [
            (len(page) + len('{"page":""}'),)]


def test_spend_both_ways(tmp_path, monkeypatch):
    path = write(tmp_path, "spend.csv",
                 "Дата;Канал;Расход;Валюта\n01.03.2026;tv;1 000,50;₽\n02.03.2026;radio;20;KZT\n")
    results = []
    for threshold in (0, 1 << 62):
        monkeypatch.setattr(readers, "IN_PLACE_BYTES", threshold)
        with Store(tmp_path / f"s-{threshold}.duckdb") as store:
            assert store.ingest_spend([path]).added == 2
        results.append(stored(tmp_path / f"s-{threshold}.duckdb")[1])
    assert results[0] == results[1]


def test_progress_knows_the_rows(tmp_path, way):
    """DuckDB's way does not know the rows before reading: with a progress bar they are counted first."""
    rows = "".join(f"c{i},2026-03-01,visit\n" for i in range(50))
    path = write(tmp_path, "p.csv", "customer_id,ts,event\n" + rows)
    calls = []
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest_events([path], progress=lambda *call: calls.append(call))
    assert calls[-1] == (str(path), 50, 50)
