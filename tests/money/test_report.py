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
from voronka.reports.tables import described_columns
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
    headers, formatters = described_columns(report.sections[0].table.schema, "ru")  # the declared columns'
    assert headers["romi"] == "ROMI (окупаемость)" and formatters["romi"](-0.75) == "-75,0\xa0%"
    assert formatters["spend"](5000.0) == "5\xa0000,00\xa0₸"  # every row in tenge: the currency declared
    path = tmp_path / "r.html"
    report.write(path)
    page = path.read_text(encoding="utf-8")
    assert "Воронка сделок" in page and "ROMI (окупаемость)" in page and "Расход: % плана" in page
    assert "Доля выигранных" in page and "Дней на этапе" in page


def test_cpa_romi_chart_shows_groups_with_spend():
    figure = cpa_romi_chart(channel_economics(engine(), **MARCH), "en")
    cpa, romi = figure.data
    assert list(cpa.x) == ["digital (KZT)", "tv (KZT)"]  # (none) spent nothing
    assert list(cpa.y) == [750, 4000] and list(romi.y) == [0.8, -0.75]
