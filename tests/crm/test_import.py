"""CRM deal exports into the ``deals`` table: amoCRM (cp1251 CSV, ``;``) and Bitrix24 (XLSX)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from voronka.errors import InputError
from voronka.store import Store

DATA = Path(__file__).parent / "data"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def rows(store: Store, deal: str) -> list[tuple]:
    return store.connection.execute(
        "SELECT pipeline, stage, changed_at, manager, amount, currency, status FROM deals "
        "WHERE deal_id = ? ORDER BY changed_at", [deal]).fetchall()


def test_amocrm_export_in_cp1251_with_semicolons(store):
    summary = store.ingest_deals([DATA / "amocrm_deals.csv"], tz="Asia/Almaty")
    assert (summary.added, summary.duplicates, summary.rejected) == (16, 0, 0)
    assert rows(store, "102") == [
        ("Продажи", "Первичный контакт", dt.datetime(2026, 3, 2, 4), "Иванова Анна", Decimal(80000), None, "open"),
        ("Продажи", "Переговоры", dt.datetime(2026, 3, 4, 4), "Иванова Анна", Decimal(80000), None, "open"),
        ("Продажи", "Закрыто и не реализовано", dt.datetime(2026, 3, 6, 4), "Иванова Анна", Decimal(80000),
         None, "lost"),
    ]
    assert rows(store, "104")[0][4] is None  # an empty budget
    assert rows(store, "201")[-1][-1] == "won"  # «Успешно реализовано»
    again = store.ingest_deals([DATA / "amocrm_deals.csv"], tz="Asia/Almaty")
    assert (again.added, again.duplicates) == (0, 16)


def test_bitrix24_xlsx_export(store):
    store.ingest_deals([DATA / "bitrix24_deals.xlsx"])
    assert rows(store, "7002") == [
        ("Оптовые продажи", "Новая", dt.datetime(2026, 4, 1, 12), "Ким Виктор", Decimal("320000.5"), "KZT", "open"),
        ("Оптовые продажи", "Сделка провалена", dt.datetime(2026, 4, 3, 12), "Ким Виктор", Decimal("320000.5"),
         "KZT", "lost"),
    ]
    assert rows(store, "7001")[-1][-1] == "won"


def test_status_column_and_bitrix_stage_history_names(store, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("ID,OWNER_ID,CATEGORY_ID,STAGE_ID,STAGE_SEMANTIC_ID,CREATED_TIME,ASSIGNED_BY_ID\n"
                    "1,55,0,NEW,P,2026-04-01 10:00:00,7\n"
                    "2,55,0,WON,S,2026-04-02 10:00:00,7\n"
                    "3,56,0,PREPARATION,F,2026-04-02 11:00:00,8\n", encoding="utf-8")
    store.ingest_deals([path])
    got = store.connection.execute(
        "SELECT deal_id, pipeline, stage, manager, status FROM deals ORDER BY changed_at").fetchall()
    assert got == [("55", "0", "NEW", "7", "open"), ("55", "0", "WON", "7", "won"),
                   ("56", "0", "PREPARATION", "8", "lost")]


def test_bitrix_final_stage_ids_of_other_pipelines_without_a_status(store, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("OWNER_ID,CATEGORY_ID,STAGE_ID,CREATED_TIME\n"
                    "55,2,C2:NEW,2026-04-01 10:00:00\n55,2,C2:WON,2026-04-02 10:00:00\n"
                    "56,2,C2:LOSE,2026-04-03 10:00:00\n57,2,C2:APOLOGY,2026-04-04 10:00:00\n", encoding="utf-8")
    store.ingest_deals([path])
    assert store.connection.execute("SELECT stage, status FROM deals ORDER BY changed_at").fetchall() == [
        ("C2:NEW", "open"), ("C2:WON", "won"), ("C2:LOSE", "lost"), ("C2:APOLOGY", "lost")]


def test_map_overrides_the_accepted_names(store, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("Сделка;Шаг;Когда\nA-1;Звонок;01.04.2026 10:00\n", encoding="utf-8")
    store.ingest_deals([path], mapping={"deal_id": "Сделка", "stage": "Шаг", "changed_at": "Когда"})
    assert store.connection.execute("SELECT deal_id, stage, status FROM deals").fetchall() == [
        ("A-1", "Звонок", "open")]


@pytest.mark.parametrize(("line", "column", "value", "reason"), [
    ("7;Продажи;Переговоры;31.02.2026 10:00;Иванова;100", "Дата изменения", "31.02.2026 10:00", "not a date-time"),
    ("7;Продажи;;01.03.2026 10:00;Иванова;100", "Этап", None, "stage is required"),
    ("7;Продажи;Переговоры;01.03.2026 10:00;Иванова;сто тысяч", "Бюджет", "сто тысяч", "not an amount"),
])
def test_a_bad_row_names_file_row_and_column_and_stores_nothing(store, tmp_path, line, column, value, reason):
    path = tmp_path / "bad.csv"
    good = "8;Продажи;Первичный контакт;01.03.2026 09:00;Иванова;100"
    path.write_bytes(("ID;Воронка;Этап;Дата изменения;Ответственный;Бюджет\n" + good + "\n" + line + "\n")
                     .encode("cp1251"))
    with pytest.raises(InputError, match=reason) as info:
        store.ingest_deals([path])
    error = info.value
    assert (Path(error.file).name, error.row, error.column) == ("bad.csv", 2, column)
    if value is not None:
        assert error.value == value
    assert store.count("deals") == 0


def test_unknown_status_word_is_an_error(store, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ID,Этап,Дата изменения,Статус\n1,Новая,2026-04-01,в работе\n2,Новая,2026-04-01,может быть\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="not a deal status") as info:
        store.ingest_deals([path])
    assert (info.value.row, info.value.column) == (2, "Статус")
    assert store.count("deals") == 0


def test_a_store_from_before_deals_gets_the_table_when_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    with Store(path) as s:
        s.connection.execute("DROP TABLE deals")
    con = duckdb.connect(str(path))
    assert "deals" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    con.close()
    with Store(path) as s:
        assert s.count("deals") == 0
