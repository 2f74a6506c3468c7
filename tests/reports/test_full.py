"""The full report: every analysis on the demo data, left-out analyses named, and every
figure of it drawn by plotly in headless Chromium."""

from __future__ import annotations

import html
import json
import os
import re

import plotly.graph_objects as go
import pyarrow as pa
import pytest

from tests.backends import engine_for, event
from .test_chromium import CHROMIUM, _chromium
from voronka import demo
from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import DefinitionError
from voronka.figure import to_json
from voronka.i18n import t
from voronka.reports.full import THREADS, full_report, side_by_side
from voronka.schema import SPEND
from voronka.source import Source


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    data = demo.generate(800, seed=3)
    engine = DuckDBEngine.from_events(data.events)
    engine.load(SPEND, data.spend)
    built = full_report(engine, "ru", title="Демо", timezone=demo.TIME_ZONE, holdout_from=None)
    return built, built.report.write(tmp_path_factory.mktemp("full") / "full.html")


def test_every_analysis_runs_on_the_demo_data(demo_report):
    built, path = demo_report
    assert set(built.skipped) == {"deals"}  # the demo has no CRM export
    page = html.unescape(path.read_text(encoding="utf-8"))
    for title in ("Песочные часы", "Где вы теряете клиентов", "Атрибуция", "Каналы и деньги", "RFM",
                  "Удержание когорт", "Пожизненная ценность"):
        assert title in page, title
    assert built.funnel.steps.column("customers")[0].as_py() > 0


def test_analyses_the_data_cannot_support_are_listed_not_fatal(tmp_path):
    # two visitors, one purchase, no spend, no repeat: lifetime value cannot be fitted
    rows = [event("a", 0, "ad_view", channel="tv"), event("a", 60, "purchase", channel="tv", revenue=100,
                                                           currency="KZT"),
            event("b", 5, "ad_view", channel="tv")]
    built = full_report(engine_for(rows), "en", title="Tiny")
    assert "clv" in built.skipped and "money" in built.skipped
    page = html.unescape(built.report.write(tmp_path / "tiny.html").read_text(encoding="utf-8"))
    assert "Analyses left out" in page and built.skipped["clv"] in page


def _visits_and_purchases(customers: int = 200) -> list[dict]:
    """Only site_visit and purchase events: a third buy, a third of those again 20 days later."""
    rows = []
    for i in range(customers):
        start = i * 97 % 40_000
        rows.append(event(f"c{i}", start, "site_visit", channel=("tv", "web", "vk")[i % 3]))
        if i % 3 == 0:
            rows.append(event(f"c{i}", start + 180, "purchase", revenue=1000, currency="KZT"))
        if i % 9 == 0:
            rows.append(event(f"c{i}", start + 20 * 1440, "purchase", revenue=500, currency="KZT"))
    return rows


def _all_zero(table) -> bool:
    """A table with rows whose every numeric cell is 0 or empty."""
    numeric = [c for c, f in zip(table.column_names, table.schema, strict=True)
               if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)]
    cells = [v for c in numeric for v in table.column(c).to_pylist()]
    return table.num_rows > 0 and bool(numeric) and all(v is None or v == 0 for v in cells)


@pytest.mark.parametrize(("lang", "spend", "referrer", "complaint", "repeat"), [
    ("en", "no spend rows", "no event has a referrer", "no complaint event", "fewer than 10 customers"),
    ("ru", "нет строк расходов", "нет пригласившего", "жалобы", "меньше 10 клиентов"),
    ("kk", "шығын жолдары жоқ", "шақырушы", "шағым", "10-ден аз"),
])
def test_what_the_data_cannot_support_is_listed_never_drawn_as_zeros(tmp_path, lang, spend, referrer, complaint,
                                                                     repeat):
    engine = engine_for(_visits_and_purchases(), tables={SPEND: SPEND.schema.empty_table()})
    built = full_report(engine, lang, title="Visits and purchases")
    assert {"money", "referrals", "complaints"} <= set(built.skipped)
    assert spend in built.skipped["money"] and referrer in built.skipped["referrals"]
    assert complaint in built.skipped["complaints"] and "clv" not in built.skipped
    assert "loop" not in built.skipped and "attribution" not in built.skipped
    for section in built.report.sections:
        if section.table is not None:
            table = section.table if isinstance(section.table, pa.Table) else pa.Table.from_pandas(section.table)
            assert not _all_zero(table), section.title
    left_out = built.report.sections[-1]
    assert left_out.title == t("report.skipped", lang)
    for name in ("money", "referrals", "complaints"):
        assert f"{t(f'report.analysis.{name}', lang)}: {built.skipped[name]}" in left_out.text
    few = engine_for(_visits_and_purchases(40))  # 5 repeat customers
    assert repeat in full_report(few, lang, title="Few").skipped["clv"]


def test_every_figure_is_plotlys_own_json(demo_report):
    """The figures are plain JSON (``voronka.figure``): plotly validates every property of each
    (an unknown name or a bad value raises) and gives back the same JSON."""
    built, _ = demo_report
    figures = [s.figure for s in built.report.sections if s.figure is not None]
    assert len(figures) >= 15
    for figure in figures:
        spec = json.loads(to_json(figure))
        assert json.loads(go.Figure(spec).to_json()) == spec, figure.layout.title


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (CI installs it)")
def test_every_figure_renders_in_chromium(demo_report, tmp_path):
    _, path = demo_report
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    figures = len(re.findall(r'class="plotly-figure', dom))
    drawn = len(re.findall(r'class="plotly-figure js-plotly-plot"', dom))
    assert figures >= 15 and drawn == figures


def test_the_channel_stage_table_lists_the_cells_its_heatmap_colours(demo_report):
    built, _ = demo_report
    section = next(s for s in built.report.sections if s.title == t("paths.channels.title", "ru"))
    cells = [v for row in section.figure.data[0].z for v in row if v is not None]
    rates = [r for r in section.table.column("conversion_rate").to_pylist() if r is not None]
    assert cells and sorted(rates) == sorted(cells)  # never a coloured heatmap over a "No data" table


def _rounded(value):
    """``value`` with its floats to 9 significant digits (DuckDB's sums of floats on several
    threads differ in the last digits from run to run, side by side or not)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def _page(built) -> list:
    return _rounded([(s.title, s.text, json.loads(to_json(s.figure)) if s.figure is not None else None,
                      s.table.to_pylist() if isinstance(s.table, pa.Table) else None)
                     for s in built.report.sections])


def test_the_parts_side_by_side_give_the_page_computed_one_after_another(demo_report, monkeypatch):
    """The demo engine's tables are the connection's own (no temporary ones): its parts are
    computed on three threads, each on a cursor; with one thread, one after another."""
    built, _ = demo_report
    data = demo.generate(800, seed=3)
    engine = DuckDBEngine.from_events(data.events)
    engine.load(SPEND, data.spend)
    assert side_by_side(Source(engine))
    monkeypatch.setenv(THREADS, "1")
    alone = full_report(engine, "ru", title="Демо", timezone=demo.TIME_ZONE, holdout_from=None)
    assert _page(alone) == _page(built) and alone.skipped == built.skipped


def test_an_exclusive_report_shares_the_cores_out_and_gives_the_same_page(demo_report, monkeypatch):
    """``exclusive`` (the command line): while the parts run side by side each DuckDB query gets
    the cores divided among them; the page is the same, and the setting is back afterwards."""
    built, _ = demo_report
    data = demo.generate(800, seed=3)
    engine = DuckDBEngine.from_events(data.events)
    engine.load(SPEND, data.spend)
    engine.connection.execute("SET threads = 4")
    seen = []
    original = DuckDBEngine.threads

    def threads(self, n):
        seen.append(n)
        return original(self, n)

    monkeypatch.setattr(DuckDBEngine, "threads", threads)
    monkeypatch.setenv(THREADS, "3")
    shared = full_report(engine, "ru", title="Демо", timezone=demo.TIME_ZONE, holdout_from=None, exclusive=True)
    assert seen == [max(1, (os.cpu_count() or 1) // 3)]
    assert engine.connection.execute("SELECT current_setting('threads')").fetchone()[0] == 4
    assert _page(shared) == _page(built) and shared.skipped == built.skipped


def test_a_connection_with_temporary_tables_computes_one_part_after_another():
    """A cursor sees neither the connection's temporary tables nor its registered Arrow tables."""
    engine = engine_for(_visits_and_purchases(20))
    engine.connection.register("extra", pa.table({"a": [1]}))
    assert not side_by_side(Source(engine))
    engine.connection.unregister("extra")
    assert side_by_side(Source(engine))
    engine.connection.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS a")
    assert not side_by_side(Source(engine))


@pytest.mark.parametrize("threads", ["0", "two", "-1"])
def test_a_bad_thread_count_is_named(monkeypatch, threads):
    monkeypatch.setenv(THREADS, threads)
    engine = engine_for(_visits_and_purchases(20))
    with pytest.raises(DefinitionError, match=THREADS):
        full_report(engine, "en", title="T")
