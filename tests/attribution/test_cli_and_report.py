"""``voronka attribution`` end to end on the demo store, and the report sections."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from voronka.attribution import AttributionSettings, compute_attribution
from voronka.cli import app
from voronka.reports import Report
from voronka.reports.attribution import add_attribution_sections

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("attribution") / "demo.duckdb"
    result = runner.invoke(app, ["demo", "--customers", "300", "--store", str(store), "--format", "json",
                                 "--report", str(store.parent / "report.html")])
    assert result.exit_code == 0, result.output
    return store


def test_side_by_side_json_sums_to_the_conversions(demo_store):
    result = runner.invoke(app, ["attribution", "--store", str(demo_store), "--format", "json", "--order", "2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    models = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "markov",
              "shapley"]
    assert list(rows[0]) == ["channel", *models]
    totals = {m: sum(r[m] for r in rows) for m in models}
    assert len({round(v, 6) for v in totals.values()}) == 1 and totals["linear"] > 0
    assert rows[-1]["channel"] == "(no touch)"


def test_spend_campaigns_and_errors(demo_store, tmp_path):
    spend = runner.invoke(app, ["attribution", "--store", str(demo_store), "--show", "spend", "--models",
                                "linear", "--format", "csv"])
    assert spend.exit_code == 0, spend.output
    assert spend.stdout.splitlines()[0].replace('"', '') == "model,channel,spend,currency,conversions,cost_per_conversion,revenue,roi"
    campaign = runner.invoke(app, ["attribution", "--store", str(demo_store), "--by", "campaign", "--models",
                                   "last_touch", "--format", "json", "--lang", "kk",
                                   "--report", str(tmp_path / "a.html")])
    assert campaign.exit_code == 0, campaign.output
    assert all(" / " in r["channel"] or r["channel"] == "(no touch)" for r in json.loads(campaign.stdout))
    assert "Атрибуция" in (tmp_path / "a.html").read_text(encoding="utf-8")
    bad = runner.invoke(app, ["attribution", "--store", str(demo_store), "--models", "first,markov"])
    assert bad.exit_code == 1 and "unknown model first" in bad.output
    for option, value in (("--half-life", "x"), ("--conversion", "")):
        bad = runner.invoke(app, ["attribution", "--store", str(demo_store), option, value])
        assert bad.exit_code == 1 and "error: field" in bad.output, bad.output
    table = runner.invoke(app, ["attribution", "--store", str(demo_store), "--show", "removal", "--lang", "ru"])
    assert table.exit_code == 0 and "Эффект удаления" in table.stdout


def test_report_sections(demo_store):
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.store import Store

    engine = DuckDBEngine(Store(demo_store, read_only=True).connection)
    result = compute_attribution(engine, settings=AttributionSettings(models=("linear", "markov", "shapley")))
    report = add_attribution_sections(Report("r", "ru"), result, "ru")
    titles = [s.title for s in report.sections]
    assert titles == ["Атрибуция: вклад каналов", "Выручка, приписанная каналам, по моделям",
                      "Стоимость конверсии и ROI по каждой модели", "Цепь Маркова: эффекты удаления"]
    bars = report.sections[0].figure.data
    assert [b.name for b in bars] == ["Линейная", "Цепь Маркова", "Вектор Шепли"]
    assert "<html" in report.render()
