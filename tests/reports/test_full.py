"""The full report: every analysis on the demo data, left-out analyses named, and every
figure of it drawn by plotly in headless Chromium."""

from __future__ import annotations

import html
import re

import pytest

from tests.backends import engine_for, event
from tests.report.test_chromium import CHROMIUM, _chromium
from voronka import demo
from voronka.engines.duckdb import DuckDBEngine
from voronka.reports.full import full_report
from voronka.schema import SPEND


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    data = demo.generate(800, seed=3)
    engine = DuckDBEngine.from_events(data.events)
    engine.load(SPEND, data.spend)
    built = full_report(engine, "ru", title="Демо", timezone=demo.TIME_ZONE, holdout_from=None)
    return built, built.report.write(tmp_path_factory.mktemp("full") / "full.html")


def test_every_analysis_runs_on_the_demo_data(demo_report):
    built, path = demo_report
    assert built.skipped == {}
    page = html.unescape(path.read_text(encoding="utf-8"))
    for title in ("Песочные часы", "Где вы теряете клиентов", "Атрибуция", "Каналы и деньги", "RFM",
                  "Удержание когорт", "Пожизненная ценность"):
        assert title in page, title
    assert built.hourglass.steps.column("customers")[0].as_py() > 0


def test_analyses_the_data_cannot_support_are_listed_not_fatal(tmp_path):
    # two visitors, one purchase, no spend, no repeat: lifetime value cannot be fitted
    rows = [event("a", 0, "ad_view", channel="tv"), event("a", 60, "purchase", channel="tv", revenue=100,
                                                           currency="KZT"),
            event("b", 5, "ad_view", channel="tv")]
    built = full_report(engine_for(rows), "en", title="Tiny")
    assert "clv" in built.skipped and "money" not in built.skipped
    page = html.unescape(built.report.write(tmp_path / "tiny.html").read_text(encoding="utf-8"))
    assert "Analyses left out" in page and built.skipped["clv"] in page


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (CI installs it)")
def test_every_figure_renders_in_chromium(demo_report, tmp_path):
    _, path = demo_report
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    figures = len(re.findall(r'class="plotly-figure', dom))
    drawn = len(re.findall(r'class="plotly-figure js-plotly-plot"', dom))
    assert figures >= 15 and drawn == figures
