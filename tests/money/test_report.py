"""The "Channels and money" and deals sections of the HTML report."""

from __future__ import annotations

from pathlib import Path

from tests.backends import engine_for
from tests.money.test_money import MARCH, engine, plan
from voronka.crm import deal_pipeline, manager_plans
from voronka.ingest import read_table
from voronka.money import channel_economics, plan_vs_fact
from voronka.reports import Report
from voronka.reports.money import add_money_sections, cpa_romi_chart
from voronka.schema import DEALS

CRM = Path(__file__).parents[1] / "crm" / "data"


def test_sections_in_russian(tmp_path):
    economics = channel_economics(engine(), margin=0.5, **MARCH)
    planned = plan_vs_fact(engine(), plan(("2026-03-01", "tv", "5000", 4, 2, "KZT")))
    deals = deal_pipeline(engine_for([], tables={DEALS: read_table("deals", [CRM / "amocrm_deals.csv"])}),
                          by="manager")
    report = add_money_sections(Report("Деньги", "ru"), economics, "ru", plan=planned, deals=deals,
                                manager_plans=manager_plans(deals, 2))
    titles = [s.title for s in report.sections]
    assert titles == ["Каналы и деньги", "Итого по валютам", "План и факт", "Воронка сделок",
                      "Доля выигранных сделок", "Зависшие сделки", "План каждого менеджера"]
    channels = report.sections[0]
    assert channels.headers["romi"] == "ROMI (окупаемость)"
    assert channels.formatters["romi"](-0.75) == "-75,0\xa0%"
    path = tmp_path / "r.html"
    report.write(path)
    assert "Воронка сделок" in path.read_text(encoding="utf-8")


def test_cpa_romi_chart_shows_groups_with_spend():
    figure = cpa_romi_chart(channel_economics(engine(), **MARCH), "en")
    cpa, romi = figure.data
    assert list(cpa.x) == ["digital (KZT)", "tv (KZT)"]  # (none) spent nothing
    assert list(cpa.y) == [750, 4000] and list(romi.y) == [0.8, -0.75]
