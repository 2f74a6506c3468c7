"""``voronka ingest deals|spend``, ``deals``, ``money`` and ``planfact`` end to end on store files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app

runner = CliRunner()
CRM = Path(__file__).parents[1] / "crm" / "data"


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("money")
    path = folder / "s.duckdb"
    events = folder / "events.csv"
    events.write_text(
        "customer_id,ts,event,channel,revenue,currency\n"
        "a,2026-03-02 09:00,ad_view,tv,,\n"
        "a,2026-03-02 10:00,lead_magnet,,,\n"
        "a,2026-03-03 09:00,purchase,,1000,KZT\n"
        "b,2026-03-02 09:00,site_visit,digital,,\n"
        "b,2026-03-04 09:00,purchase,,2000,KZT\n", encoding="utf-8")
    spend = folder / "spend.csv"
    spend.write_bytes("Дата;Канал;Расход;Валюта\n01.03.2026;tv;4 000,00;KZT\n10.03.2026;digital;1 500;KZT\n"
                      .encode("cp1251"))
    assert run("ingest", events, "--store", path).exit_code == 0
    result = run("ingest", "spend", spend, "--store", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["added"] == 2
    result = run("ingest", "deals", CRM / "amocrm_deals.csv", "--store", path, "--format", "json")
    assert result.exit_code == 0, result.output
    return path


def test_money_json(store):
    result = run("money", "--store", store, "--margin", "0.5", "--format", "json")
    assert result.exit_code == 0, result.output
    got = {r["channel"]: r for r in json.loads(result.stdout)}
    assert (got["tv"]["spend"], got["tv"]["leads"], got["tv"]["customers"], got["tv"]["romi"]) == (4000, 1, 1, -0.75)
    assert (got["digital"]["cpa"], got["digital"]["roi"]) == (1500, (1000 - 1500) / 1500)


def test_money_report_and_russian_table(store, tmp_path):
    report = tmp_path / "money.html"
    result = run("money", "--store", store, "--lang", "ru", "--report", report)
    assert result.exit_code == 0, result.output
    assert "Канал" in result.stdout
    assert "Каналы и деньги" in report.read_text(encoding="utf-8")


def test_planfact_csv(store, tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text("Месяц;Канал;Бюджет;Лиды;Продажи\n03.2026;tv;5000;2;1\n", encoding="utf-8")
    result = run("planfact", plan, "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["spend_pct"], row["leads_fact"], row["sales_pct"]) == (0.8, 1, 1.0)


def test_deals_by_manager_and_stuck(store, tmp_path):
    result = run("deals", "--store", store, "--pipeline", "Продажи", "--by", "manager", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {r["manager"] for r in json.loads(result.stdout)} == {"Иванова Анна", "Петров Олег"}
    result = run("deals", "--store", store, "--stuck-for", "7d", "--show", "stuck", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 3  # a header and deals 103, 104
    report = tmp_path / "deals.html"
    assert run("deals", "--file", CRM / "bitrix24_deals.xlsx", "--report", report, "--lang", "kk").exit_code == 0
    assert "Мәмілелер шұңқыры" in report.read_text(encoding="utf-8")


def test_user_errors_are_one_line(store):
    result = run("money", "--store", store, "--by", "campaign", "--rates", "nope.csv")
    assert result.exit_code == 1
    assert "error:" in result.output
    result = run("deals", "--store", store, "--pipeline", "Нет")
    assert result.exit_code == 1 and "no deals in pipeline 'Нет'" in result.output
