"""``voronka clv``, ``referrals``, ``complaints`` and the value report sections, end to end on
the demo store; the demo's planted referral and complaint effects are found."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from typer.testing import CliRunner

from voronka.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value")
    path = folder / "demo.duckdb"
    result = runner.invoke(app, ["demo", "--store", str(path), "--report", str(folder / "r.html"), "--format", "json"])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_clv_with_a_holdout_check(store, tmp_path):
    report = tmp_path / "clv.html"
    common = ["--store", str(store), "--tz", "Asia/Almaty", "--holdout-from", "2026-08-01"]
    (holdout,) = json.loads(run("clv", *common, "--show", "holdout", "--format", "json", "--report", str(report)))
    assert holdout["unit"] == "week" and holdout["actual"] > 0 and holdout["predicted"] > 0
    assert abs(holdout["error_pct"]) < 0.5
    customers = json.loads(run("clv", *common, "--top", "5", "--format", "json"))
    assert len(customers) == 5
    assert [c["clv"] for c in customers] == sorted((c["clv"] for c in customers), reverse=True)
    assert all(0 < c["p_alive"] <= 1 for c in customers)
    html = report.read_text(encoding="utf-8")
    assert "Customer lifetime value" in html and "holdout" in html


def test_clv_errors_are_one_line(store):
    result = runner.invoke(app, ["clv", "--store", str(store), "--time-unit", "month"])
    assert result.exit_code == 1 and "unit must be one of day, week" in result.output


def test_referrals_recover_the_planted_k(store):
    tree = json.loads(run("referrals", "--store", str(store), "--show", "tree", "--format", "json"))
    end = max(dt.datetime.fromisoformat(c["first_seen"]) for c in tree)
    early = {c["customer_id"] for c in tree
             if c["first_purchase"] and dt.datetime.fromisoformat(c["first_purchase"]) <= end - dt.timedelta(days=70)}
    referred = sum(1 for c in tree if c["referrer_id"] in early)
    assert referred / len(early) == pytest.approx(0.30, abs=0.1)   # docs/demo.md: K = 0.30
    comparison = {r["group"]: r for r in csv.DictReader(io.StringIO(
        run("referrals", "--store", str(store), "--show", "comparison", "--format", "csv")))}
    referred_row, others = comparison["referred"], comparison["not_referred"]
    assert float(referred_row["conversion"]) > 3 * float(others["conversion"])     # they enter with trust
    assert float(referred_row["mean_touches_before_purchase"]) < float(others["mean_touches_before_purchase"])


def test_complaints_find_the_planted_distance(store):
    (summary,) = json.loads(run("complaints", "--store", str(store), "--show", "summary", "--format", "json"))
    assert 0.05 < summary["negative_share"] < 0.2
    assert summary["resolved_share"] == pytest.approx(0.85, abs=0.12)           # 85 % resolved
    assert summary["mean_steps"] == pytest.approx(2.48, abs=0.5)                # 1–5 steps, mean 2.48
    out = run("complaints", "--store", str(store), "--lang", "ru")
    assert "Жалоба" in out   # the groups in Russian (narrow terminals fold the rest)


def test_report_sections_in_every_language(store, tmp_path):
    from voronka.clv import clv_analysis
    from voronka.distance import distance_analysis
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.referrals import referral_analysis
    from voronka.reports import Report
    from voronka.reports.value import add_value_sections
    from voronka.store import Store

    engine = DuckDBEngine(Store(store, read_only=True).connection)
    results = {"clv": clv_analysis(engine, holdout_from=dt.date(2026, 8, 1), timezone="Asia/Almaty"),
               "referrals": referral_analysis(engine), "distance": distance_analysis(engine)}
    for lang, title in (("en", "Promoters and fans"), ("ru", "Промоутеры и фанаты"), ("kk", "Промоутерлер")):
        report = add_value_sections(Report("value", lang), lang, **results)
        assert len(report.sections) == 7
        html = report.write(tmp_path / f"{lang}.html").read_text(encoding="utf-8")
        assert title in html
