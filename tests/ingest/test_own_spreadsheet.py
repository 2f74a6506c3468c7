"""The first five minutes with one's own file: a Russian spreadsheet exported as cp1251 CSV
(``Дата;Клиент;Событие;Канал;Сумма``, amounts like ``1 234,56``) ingests with no --map and
one --currency, and the funnel on it runs (docs/ingest.md)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app
from voronka.ingest.mapping import HEADERS, resolve
from voronka.ingest.normalise import SPECS
from voronka.store import Store

runner = CliRunner()
NBSP = "\u00a0"
ROWS = [
    "Дата;Клиент;Событие;Канал;Сумма",
    "01.03.2026 10:00;Иванов;визит;Яндекс;",
    "01.03.2026 11:30;Иванов;покупка;Яндекс;1 234,56",
    "02.03.2026 09:00;Петров;визит;VK;",
    f"03.03.2026 12:00;Петров;покупка;VK;12{NBSP}000,00",
    "04.03.2026 15:00;Сидоров;визит;VK;",
]


def spreadsheet(path: Path, rows: list[str] = ROWS) -> Path:
    """The file as Excel in Russia writes it: cp1251, ';', CRLF."""
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1251"))
    return path


def test_the_russian_spreadsheet_ingests_with_one_currency_and_a_funnel_runs(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["ingest", str(spreadsheet(tmp_path / "выгрузка.csv")), "--currency", "RUB",
                                 "--store", str(store), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[-1]["added"] == 5
    with Store(store) as db:
        assert db.default_currency == "RUB"
        rows = db.connection.execute(
            "SELECT customer_id, ts, event, channel, revenue, currency, properties FROM events ORDER BY ts"
        ).fetchall()
    assert rows[1] == ("Иванов", dt.datetime(2026, 3, 1, 11, 30), "покупка", "Яндекс", Decimal("1234.56"),
                       "RUB", "{}")
    assert rows[3][4:6] == (Decimal("12000"), "RUB")
    assert [r[5] for r in rows if r[4] is None] == [None, None, None]  # no amount, no currency

    funnel = runner.invoke(app, ["funnel", "--steps", "визит,покупка", "--store", str(store), "-f", "json"])
    assert funnel.exit_code == 0, funnel.output
    assert [s["customers"] for s in json.loads(funnel.stdout)] == [3, 2]


def test_the_store_remembers_its_currency(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    first = spreadsheet(tmp_path / "march.csv")
    later = spreadsheet(tmp_path / "april.csv", [ROWS[0], "01.04.2026 10:00;Орлов;покупка;VK;99,90"])
    assert runner.invoke(app, ["ingest", str(first), "--currency", "руб", "--store", str(store)]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(later), "--store", str(store)])
    assert result.exit_code == 0, result.output
    with Store(store) as db:
        assert db.connection.execute("SELECT revenue, currency FROM events WHERE customer_id = 'Орлов'").fetchall() \
            == [(Decimal("99.9"), "RUB")]
        # a currency column wins over the default
        own = tmp_path / "own.csv"
        own.write_text("Клиент,Дата,Событие,Сумма,Валюта\nc9,2026-04-02,покупка,5,KZT\n", encoding="utf-8")
        db.ingest("events", [own])
        assert db.connection.execute("SELECT currency FROM events WHERE customer_id = 'c9'").fetchall() == [("KZT",)]


def test_an_amount_without_a_currency_is_refused_with_the_way_out(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(spreadsheet(tmp_path / "e.csv")), "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert "e.csv, row 2" in result.stderr and "--currency RUB" in result.stderr


@pytest.mark.parametrize("code", ["RUBX", "рубли", "XYZ"])
def test_an_unknown_currency_is_refused_and_nothing_is_stored(tmp_path: Path, code: str) -> None:
    store = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["ingest", str(spreadsheet(tmp_path / "e.csv")), "--currency", code,
                                 "--store", str(store)])
    assert result.exit_code == 1
    assert f"--currency {code!r} is not a currency code" in result.stderr
    with Store(store) as db:
        assert db.count("events") == 0 and db.default_currency is None


@pytest.mark.parametrize("headers", [
    ["Күні", "Клиенттің ID", "Оқиға", "Көзі", "Сома"],
    ["Дата и время", "ID клиента", "Действие", "Источник", "Выручка"],
    ["уақыты", "тұтынушы", "әрекет", "арна", "түсім"],
    ["Дата/время", "id_клиента", "Событие ", "Канал", "Сумма, ₽"],
    ["Время", "Покупатель", "Тип события", "Источник трафика", "Сумма заказа (руб.)"],
])
def test_russian_and_kazakh_headers_are_recognised(headers: list[str]) -> None:
    found = resolve(headers, list(SPECS["events"].table.columns), None, synonyms=SPECS["events"].synonyms)
    assert found == dict(zip(["ts", "customer_id", "event", "channel", "revenue"], headers, strict=True))


def test_docs_list_every_recognised_header() -> None:
    text = (Path(__file__).parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")
    for table, columns in HEADERS.items():
        for column, names in columns.items():
            row = re.search(rf"^\| {table} \| `{column}` \| (.*) \|$", text, re.M)
            assert row is not None, (table, column)
            assert [n.strip() for n in row.group(1).split(",")] == list(names), (table, column)


def test_spend_takes_the_default_currency_too(tmp_path: Path) -> None:
    spend = tmp_path / "расходы.csv"
    spend.write_bytes("Дата;Источник;Расход\r\n01.03.2026;Яндекс;10 000\r\n".encode("cp1251"))
    with Store(tmp_path / "s.duckdb") as db:
        db.ingest("spend", [spend], currency="RUB")
        assert db.connection.execute("SELECT channel, amount, currency FROM spend").fetchall() == [
            ("Яндекс", Decimal("10000"), "RUB")]
