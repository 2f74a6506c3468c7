"""Spend, rates and plan files with Russian headers: CSV (cp1251, ``;``) and XLSX."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from voronka.errors import InputError, StoreError
from voronka.ingest import read_table
from voronka.store import Store


def write_xlsx(path: Path, header: list[str], lines: list[list]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for i, line in enumerate(lines, start=1):
        sheet.write_row(i, 0, line)
    book.close()
    return path


def test_spend_csv_with_russian_headers_and_amounts(tmp_path):
    path = tmp_path / "расходы.csv"
    path.write_bytes("Дата;Канал;Кампания;Расход;Валюта\n01.03.2026;Яндекс Директ;Весна;1 234,56;руб\n"
                     "02.03.2026;ТВ;;12 000;KZT\n".encode("cp1251"))
    with Store(tmp_path / "s.duckdb") as store:
        assert store.ingest_spend([path]).added == 2
        got = store.connection.execute("SELECT date, channel, campaign, amount, currency FROM spend ORDER BY date"
                                       ).fetchall()
    assert got == [(dt.date(2026, 3, 1), "Яндекс Директ", "Весна", Decimal("1234.56"), "RUB"),
                   (dt.date(2026, 3, 2), "ТВ", None, Decimal(12000), "KZT")]


def test_spend_xlsx_with_typed_cells(tmp_path):
    path = write_xlsx(tmp_path / "spend.xlsx", ["Дата", "Источник", "Название кампании", "Сумма", "Валюта"],
                      [["2026-03-01", "google", "brand", 1234.56, "USD"], ["05.03.2026", "google", "brand", "1 000,5", "USD"]])
    table = read_table("spend", [path])
    assert table.select(["date", "channel", "campaign", "amount", "currency"]).to_pylist() == [
        {"date": dt.date(2026, 3, 1), "channel": "google", "campaign": "brand", "amount": Decimal("1234.56"),
         "currency": "USD"},
        {"date": dt.date(2026, 3, 5), "channel": "google", "campaign": "brand", "amount": Decimal("1000.5"),
         "currency": "USD"}]


def test_bad_spend_row_names_file_row_column_and_stores_nothing(tmp_path):
    path = tmp_path / "spend.csv"
    path.write_text("Дата;Канал;Расход;Валюта\n01.03.2026;tv;100;KZT\n02.03.2026;tv;сто;KZT\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError) as info:
            store.ingest_spend([path])
        assert (Path(info.value.file).name, info.value.row, info.value.column, info.value.value) == (
            "spend.csv", 2, "Расход", "сто")
        assert store.count("spend") == 0


def test_rates_and_plan_files(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("Дата;Валюта;Курс\n01.03.2026;USD;512,35\n01.03.2026;RUB;5,8\n", encoding="utf-8")
    assert read_table("rates", [rates]).select(["date", "currency", "rate"]).to_pylist() == [
        {"date": dt.date(2026, 3, 1), "currency": "USD", "rate": 512.35},
        {"date": dt.date(2026, 3, 1), "currency": "RUB", "rate": 5.8}]
    plan = write_xlsx(tmp_path / "plan.xlsx", ["Месяц", "Канал", "Бюджет", "Лиды", "Продажи"],
                      [["2026-03", "tv", "500 000", 120, 12], ["04.2026", "tv", 550000, "130", 13]])
    got = read_table("plan", [plan]).select(["month", "channel", "spend", "leads", "sales", "currency"]).to_pylist()
    assert got == [
        {"month": dt.date(2026, 3, 1), "channel": "tv", "spend": Decimal(500000), "leads": 120, "sales": 12,
         "currency": None},
        {"month": dt.date(2026, 4, 1), "channel": "tv", "spend": Decimal(550000), "leads": 130, "sales": 13,
         "currency": None}]
    bad = tmp_path / "bad_plan.csv"
    bad.write_text("month,channel,leads\n2026-03,tv,12.5\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a whole number") as info:
        read_table("plan", [bad])
    assert (info.value.row, info.value.column) == (1, "leads")


def test_a_store_does_not_take_file_only_tables(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,rate\n2026-03-01,USD,500\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(StoreError, match="no table 'rates'"):
        store.ingest("rates", [path])
