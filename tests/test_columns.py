"""Result columns carry their kind and header key in Arrow field metadata (voronka.columns),
and the edge (the HTML tables, the CLI) formats by it."""

from __future__ import annotations

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.backends import engine_for, event
from voronka.cli import app
from voronka.columns import column, kind_of, label_of, with_currency
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel
from voronka.plan import backwards_plan
from voronka.reports.tables import described_columns, render_table


def test_the_funnel_step_table_declares_its_columns_and_keeps_them_through_select():
    engine = engine_for([event("a", 0, "visit"), event("a", 5, "buy"), event("b", 1, "visit")])
    steps = compute_funnel(engine, build_funnel({"steps": ["visit", "buy"]})).steps
    assert {f.name: kind_of(f) for f in steps.schema}["conversion_from_first"] == "rate"
    assert kind_of(steps.schema.field("median_seconds_from_previous")) == "duration"
    kept = steps.select(["label", "conversion_from_first"]).drop_columns(["label"])
    assert label_of(kept.schema.field(0)) == "funnel.conversion_from_first"
    markup = render_table(kept, "ru")  # no headers or formatters given: the metadata's
    assert "Конверсия" in markup and "50,0\xa0%" in markup


def test_money_and_count_kinds_in_three_languages():
    table = pa.Table.from_pylist([{"spend": 1234.5, "buyers": 12.5}], schema=pa.schema(
        [column("spend", pa.float64(), "money"), column("buyers", pa.float64(), "count")]))
    headers, formatters = described_columns(with_currency(table, "spend", "KZT").schema, "ru")
    assert headers == {} and formatters["spend"](1234.5) == "1\xa0234,50\xa0₸"
    assert formatters["buyers"](12.5) == "12,5" and formatters["buyers"](3.0) == "3"
    assert described_columns(table.schema, "en")[1]["spend"](1234.5) == "1,234.50"
    k = pa.schema([column("k", pa.float64(), "number"), column("g", pa.string(), "label", values="value.group")])
    _, formatters = described_columns(k, "ru")
    assert formatters["k"](1234.5678) == "1\xa0234,568" and formatters["g"]("resolved") == "Жалоба решена"
    with pytest.raises(ValueError, match="kind 'percent'"):
        column("x", pa.float64(), "percent")  # type: ignore[arg-type]


def test_the_plan_declares_its_columns():
    plan = backwards_plan(10, [0.5, 0.2], stages=["lead", "meeting", "deal"])
    headers, _ = described_columns(plan.table.schema, "kk")
    assert set(headers) >= {"stage", "conversion_from_previous", "per_seller_per_day"}


def test_the_cli_table_takes_headers_and_formats_from_the_columns(tmp_path):
    data = tmp_path / "events.csv"
    data.write_text("customer_id;ts;event\nu1;2026-01-01 10:00;visit\nu1;2026-01-01 10:05;buy\n"
                    "u2;2026-01-01 11:00;visit\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["funnel", "--data", str(data), "--steps", "visit,buy", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "Клиенты" in result.stdout and "50,0\xa0%" in result.stdout and "5 мин" in result.stdout


# -- the value, money, CRM, customers and profile tables (issue 17, item 7) ---------------------------

@pytest.fixture(scope="module")
def demo_data():
    from voronka import demo

    return demo.generate(600, seed=3)


@pytest.fixture(scope="module")
def demo_engine(demo_data):
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.schema import SPEND

    data = demo_data
    engine = DuckDBEngine.from_events(data.events)
    engine.load(SPEND, data.spend)
    return engine


def _declared(tables: dict[str, pa.Table]) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(table, column) → (kind, currency) of every column; each column must declare a header."""
    from voronka.columns import currency_of
    from voronka.i18n import MESSAGES

    out = {}
    for name, table in tables.items():
        for f in table.schema:
            assert label_of(f) in MESSAGES, f"{name}.{f.name} declares no header"
            out[(name, f.name)] = (kind_of(f), currency_of(f))
    return out


def _computed(engine, name: str, **values) -> dict[str, pa.Table]:
    from voronka.analyses import build_definition, compute, tables

    definition = build_definition(name, values)
    return tables(definition, compute(engine, definition))  # an engine: every event as stored


def test_the_value_tables_declare_their_columns(demo_engine):
    clv = _declared(_computed(demo_engine, "clv", holdout_from="2026-08-01"))
    assert clv[("customers", "clv")] == ("money", "KZT") and clv[("customers", "p_alive")] == ("rate", None)
    assert clv[("customers", "frequency")][0] == "count" and clv[("parameters", "value")][0] == "number"
    assert clv[("totals", "clv_total")] == ("money", "KZT") and clv[("totals", "discount")][0] == "rate"
    assert clv[("holdout", "error_pct")][0] == "rate" and clv[("by-frequency", "x")][0] == "label"
    referrals = _declared(_computed(demo_engine, "referrals"))
    assert referrals[("referrers", "commission")] == ("money", "KZT")
    assert referrals[("k", "invite_conversion")][0] == "rate" and referrals[("k", "k_referred")][0] == "number"
    assert referrals[("comparison", "revenue_per_buyer")] == ("money", "KZT")
    assert referrals[("tree", "revenue")] == ("money", "KZT") and referrals[("summary", "referred")][0] == "count"
    complaints = _declared(_computed(demo_engine, "complaints"))
    assert complaints[("outcomes", "churned_share")][0] == "rate" and complaints[("summary", "negative")][0] == "count"
    # codes read through the messages at the edge: the groups and kinds in the reader's language
    comparison = _computed(demo_engine, "referrals")["comparison"]
    assert "Без рекомендации" in render_table(comparison, "ru") and "Ұсыныссыз" in render_table(comparison, "kk")


def test_the_money_pipeline_customers_and_profile_tables_declare_their_columns(demo_engine):
    from pathlib import Path

    from voronka.analyses import build_definition, compute, tables
    from voronka.ingest import read_table
    from voronka.schema import DEALS

    money = _declared(_computed(demo_engine, "money", margin=0.3))
    assert money[("channels", "cpa")] == ("money", "KZT") and money[("channels", "romi")] == ("rate", None)
    assert money[("channels", "ltv_cac")][0] == "number" and money[("totals", "leads")][0] == "count"
    plan = [{"month": "2026-03-01", "channel": "instagram", "spend": 1000, "leads": 10, "sales": 2,
             "currency": "KZT"}]
    lines = _declared(_computed(demo_engine, "planfact", plan=plan))
    assert lines[("lines", "spend_deviation")] == ("money", "KZT") and lines[("lines", "sales_pct")][0] == "rate"
    deals = engine_for([], tables={DEALS: read_table("deals", [Path(__file__).parent / "crm/data/amocrm_deals.csv"])})
    definition = build_definition("pipeline", {"by": "manager"})
    pipeline = _declared(tables(definition, compute(deals, definition)))
    assert pipeline[("stages", "conversion")][0] == "rate" and pipeline[("outcomes", "won")][0] == "count"
    assert pipeline[("stuck", "days_in_stage")][0] == "count" and pipeline[("stages", "manager")][0] == "label"
    customers = _declared(_computed(demo_engine, "customers"))
    assert customers[("customers", "days_in_stage")][0] == "count"
    profile = _computed(demo_engine, "profile")
    profile = _declared({k: v for k, v in profile.items() if k != "findings"})
    assert profile[("events", "share")][0] == "rate" and profile[("properties", "coverage")][0] == "rate"
    assert profile[("days", "events")][0] == "count"


def test_the_cli_formats_the_value_and_money_tables_by_their_columns(tmp_path, demo_data):
    from voronka import demo

    paths = {k: str(v) for k, v in demo.write(demo_data, tmp_path).items()}
    runner = CliRunner()
    out = runner.invoke(app, ["referrals", "--data", paths["events"], "--show", "comparison", "--lang", "kk"])
    assert out.exit_code == 0, out.output
    assert "Сатып алуға конверсия" in out.stdout and "Ұсыныссыз" in out.stdout and "%" in out.stdout
    money = ["money", "--data", paths["events"], "--spend", paths["spend"]]
    out = runner.invoke(app, [*money, "--lang", "ru"])
    assert out.exit_code == 0, out.output
    assert "Цена клиента (CPA)" in out.stdout and "₸" in out.stdout
    as_json = runner.invoke(app, [*money, "--format", "json"])
    assert '"cpa":' in as_json.stdout and "₸" not in as_json.stdout  # machine output: raw values
