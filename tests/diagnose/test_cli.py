"""``voronka diagnose``, ``whatif`` and ``plan`` through the real command line (CliRunner)."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from voronka import demo
from voronka.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def events_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diagnose")
    return demo.write(demo.generate(3000), folder)["events"]


def test_plan_with_typed_rates_needs_no_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no voronka.duckdb here
    result = runner.invoke(app, ["plan", "--target", "10", "--per", "seller", "--period", "month", "--sellers", "4",
                                 "--rates", "0.3,0.5,0.2", "--stages", "contact,meeting,proposal,deal",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["stage"], r["per_seller_per_day"], r["per_seller_per_period"], r["team_per_period"]) for r in rows] == [
        ("contact", 16, 334, 1334), ("meeting", 5, 100, 400), ("proposal", 3, 50, 200), ("deal", 1, 10, 40)]
    assert not (tmp_path / "voronka.duckdb").exists()


def test_plan_table_says_it_rounds_up_in_russian():
    result = runner.invoke(app, ["plan", "--target", "1200000", "--revenue", "--check", "12000", "--currency", "KZT",
                                 "--per", "team", "--sellers", "3", "--rates", "0.25,0.4", "--month", "2026-03",
                                 "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "округлены вверх" in result.stdout and "22 рабочих дн" in result.stdout
    assert "1\xa0200\xa0000" in result.stdout  # the revenue target, formatted


def test_plan_errors_are_one_line():
    result = runner.invoke(app, ["plan", "--target", "10", "--rates", "0.3,abc"])
    assert result.exit_code == 1 and "0.3,0.5,0.2" in result.stderr
    result = runner.invoke(app, ["plan", "--target", "10", "--rates", "30,50"])
    assert result.exit_code == 1 and "0.3" in result.stderr


def test_whatif_with_typed_rates():
    result = runner.invoke(app, ["whatif", "--stage", "c", "--points", "5", "--rates", "0.5,0.4,0.5", "--entrants",
                                 "1000", "--stages", "a,b,c,d", "--check", "100", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["extra_customers"] for r in rows] == pytest.approx([0, 0, 25, 12.5])
    result = runner.invoke(app, ["whatif", "--stage", "c", "--points", "5", "--rates", "0.5,0.4,0.5", "--entrants",
                                 "1000", "--stages", "a,b,c,d", "--value-step", "buy"])
    assert result.exit_code == 1 and "no stage 'buy'; the stages are a, b, c, d" in result.stderr


def test_diagnose_finds_print_on_demo_events(events_file):
    result = runner.invoke(app, ["diagnose", "--data", str(events_file), "--by", "channel", "--format", "json",
                                 "--show", "flagged"])
    assert result.exit_code == 0, result.output
    flagged = json.loads(result.stdout)
    assert (flagged[0]["from_key"], flagged[0]["to_key"], flagged[0]["segment"]) == ("trust", "try", None)
    assert any(r["segment"] == "print" and r["from_key"] == "trust" for r in flagged)
    assert [r["rank"] for r in flagged] == list(range(1, len(flagged) + 1))


def test_diagnose_findings_and_report_in_kazakh(events_file, tmp_path):
    report = tmp_path / "d.html"
    result = runner.invoke(app, ["diagnose", "--data", str(events_file), "--by", "channel", "--lang", "kk",
                                 "--compare-previous", "60d", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "әлсіз буын" in result.stdout and "Не істеу керек" in result.stdout
    html = report.read_text(encoding="utf-8")
    assert "Клиенттерді қай жерде жоғалтасыз" in html and "Алдыңғы мерзіммен" in html


def test_whatif_and_plan_measured_from_data(events_file):
    result = runner.invoke(app, ["whatif", "--data", str(events_file), "--stage", "try", "--points", "5",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["stage"]: r for r in json.loads(result.stdout)}
    assert rows["try"]["extra_customers"] > 0 and rows["trust"]["extra_customers"] == 0
    result = runner.invoke(app, ["plan", "--data", str(events_file), "--target", "10", "--format", "json"])
    assert result.exit_code == 0, result.output
    stages = [r["stage"] for r in json.loads(result.stdout)]
    assert stages == ["know", "like", "trust", "try", "buy"]  # up to the purchase stage


def test_diagnose_show_changes_needs_a_period(events_file):
    result = runner.invoke(app, ["diagnose", "--data", str(events_file), "--show", "changes"])
    assert result.exit_code == 2


def test_measured_plan_targets_sales_not_revenue(events_file):
    result = runner.invoke(app, ["plan", "--data", str(events_file), "--target", "10", "--sellers", "4",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[-1]["team_per_period"] == 40 and rows[-1]["per_seller_per_period"] == 10
    product = math.prod(r["conversion_from_previous"] for r in rows[1:])
    assert rows[0]["team_per_period"] == math.ceil(40 / product)  # reached per buyer × 40 sales
