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
