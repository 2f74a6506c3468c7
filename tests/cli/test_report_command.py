"""``voronka report`` follows the analysis: the analyst's funnel (--steps/--file/--model,
--by), --where and --unit reach its sections, --rates feeds the plan, and on a store with
another event vocabulary nothing is drawn as zeros: what the data cannot support is listed
with the reason. A real DuckDB store, ingested with ``voronka ingest``."""

from __future__ import annotations

import datetime as dt
import html
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app
from voronka.cli.sources import SourceOptions
from voronka.funnel.spec import funnel_definition
from voronka.i18n import t
from voronka.reports.full import full_report
from voronka.reports.tables import as_arrow

from ..reports.test_full import _all_zero as all_zero

runner = CliRunner()
CUSTOMERS = 90


@pytest.fixture(scope="module")
def saas_store(tmp_path_factory):
    """A product's clickstream: page_view, signup, onboarding_done; no purchase, spend or referrer."""
    folder = tmp_path_factory.mktemp("saas")
    lines = ["customer_id,ts,event,platform,session_id"]
    start = dt.datetime(2026, 2, 1, 9)
    for i in range(CUSTOMERS):
        at = start + dt.timedelta(hours=7 * i)
        platform = "mobile" if i % 3 == 0 else "web"
        lines.append(f"u{i},{at:%Y-%m-%d %H:%M},page_view,{platform},s{i}")
        if i % 2 == 0:
            lines.append(f"u{i},{at + dt.timedelta(minutes=5):%Y-%m-%d %H:%M},signup,{platform},s{i}")
        if i % 4 == 0:
            lines.append(f"u{i},{at + dt.timedelta(days=2):%Y-%m-%d %H:%M},onboarding_done,{platform},s{i}b")
    data = folder / "clicks.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = folder / "saas.duckdb"
    result = runner.invoke(app, ["ingest", str(data), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def _all_zero(table) -> bool:
    return all_zero(as_arrow(table))


def _report(store, *args: str, where: tuple[str, ...] = (), unit: str | None = None, rates=None, lang="en"):
    """The full report through the same pieces as the command: the source options and the one builder."""
    src = SourceOptions(store=store, where=where, unit=unit)
    flags = dict(arg.split("=", 1) for arg in args)
    return full_report(src.open(), lang, title="SaaS", funnel=funnel_definition(flags, lang=lang, default_model="hourglass")
                       if flags else None, rates=rates)


def test_the_default_hourglass_on_another_vocabulary_is_listed_not_drawn(saas_store, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--store", str(saas_store), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped hourglass:" in result.stdout and "page_view" in result.stdout
    built = _report(saas_store)
    assert {"hourglass", "diagnose", "scan", "money", "referrals", "clv", "attribution", "loop",
            "deals"} <= set(built.skipped)
    assert "page_view (90)" in built.skipped["hourglass"]
    titles = [s.title for s in built.report.sections]
    assert t("chart.hourglass.title", "en") not in titles
    for section in built.report.sections:
        assert section.table is None or not _all_zero(section.table), section.title
    assert out.exists() and "page_view" in html.unescape(out.read_text(encoding="utf-8"))


def test_the_report_takes_the_analysts_funnel_breakdown_and_filter(saas_store, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--store", str(saas_store), "-o", str(out), "--steps",
                                 "page_view,signup,onboarding_done", "--window", "7d", "--by", "platform",
                                 "--where", "platform in mobile|web", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "skipped funnel" not in result.stdout and "skipped diagnose" not in result.stdout
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert t("chart.funnel.title", "ru") in page and "onboarding_done" in page and "mobile" in page
    built = _report(saas_store, "steps=page_view,signup,onboarding_done", "window=7d", "by=platform")
    overall = [r for r in built.funnel.steps.to_pylist() if r["breakdown"] is None] or built.funnel.steps.to_pylist()
    assert built.funnel.definition.breakdown.field == "platform"
    assert {"funnel", "diagnose", "scan"}.isdisjoint(built.skipped)
    assert {"money", "referrals", "clv", "attribution", "loop", "complaints"} <= set(built.skipped)
    assert built.skipped["attribution"] == t("report.reason.no_purchase", "en")
    for section in built.report.sections:
        assert section.table is None or not _all_zero(section.table), section.title
    assert sum(r["customers"] for r in overall if r["step"] == 1) == CUSTOMERS


def test_where_and_unit_reach_the_funnel_and_its_diagnosis(saas_store):
    steps = ("steps=page_view,signup,onboarding_done",)
    mobile = _report(saas_store, *steps, where=("platform=mobile",))
    assert mobile.funnel.steps.column("customers").to_pylist() == [30, 15, 8]
    sessions = _report(saas_store, *steps, unit="session_id")
    assert sessions.funnel.steps.column("customers").to_pylist() == [CUSTOMERS, 45, 0]  # onboarding: another session
    assert "funnel" not in sessions.skipped  # every step matches events: the zero is the answer
    assert "--rates" in sessions.skipped["diagnose"]  # a plan cannot divide by an empty stage


def test_typed_in_rates_give_the_plan_when_a_stage_is_empty(saas_store, tmp_path):
    steps = ("steps=page_view,signup,upgrade",)
    measured = _report(saas_store, *steps)
    assert "upgrade" in measured.skipped["funnel"] and "--rates" in measured.skipped["diagnose"]
    typed = _report(saas_store, *steps, rates=[0.5, 0.2])
    assert "diagnose" not in typed.skipped
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--store", str(saas_store), "-o", str(out), "--steps",
                                 "page_view,signup,upgrade", "--rates", "0.5,0.2"])
    assert result.exit_code == 0, result.output
    assert "skipped diagnose" not in result.stdout


@pytest.mark.parametrize("args, text", [
    (["--steps", "a,b", "--model", "hourglass"], "not both"),
    (["--rates", "0.5,x"], "--rates"),
    (["--where", "platform"], "--where"),
    (["--steps", "a,b", "--order", "sideways"], "order"),
])
def test_bad_report_options_are_located(saas_store, tmp_path, args, text):
    result = runner.invoke(app, ["report", "--store", str(saas_store), "-o", str(tmp_path / "r.html"), *args])
    assert result.exit_code != 0 and text in result.output, result.output
    assert not (tmp_path / "r.html").exists()


def test_the_crm_deals_pipeline_is_drawn_when_the_store_has_deals(saas_store, tmp_path):
    store = tmp_path / "with-deals.duckdb"
    shutil.copy(saas_store, store)
    deals = Path(__file__).parents[1] / "crm" / "data" / "amocrm_deals.csv"
    result = runner.invoke(app, ["ingest", "deals", str(deals), "--store", str(store), "--tz", "Asia/Almaty"])
    assert result.exit_code == 0, result.output
    built = _report(store, "steps=page_view,signup")
    assert "deals" not in built.skipped
    assert t("money.section.deals", "en") in [s.title for s in built.report.sections]
