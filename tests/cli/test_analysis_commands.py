"""``voronka demo``, ``funnel`` and ``customers`` end to end: real store files, real ingest."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from voronka.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    store, report = folder / "demo.duckdb", folder / "report.html"
    result = runner.invoke(app, ["demo", "--customers", "400", "--store", str(store), "--report", str(report),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)
    assert [s["step_key"] for s in steps] == ["know", "like", "trust", "try", "buy", "repeat", "refer"]
    assert steps[0]["customers"] == 400
    assert all(a["customers"] >= b["customers"] for a, b in zip(steps, steps[1:]))
    html = report.read_text(encoding="utf-8")
    assert "plotly" in html and "<html" in html
    return store


def test_demo_prints_the_hourglass_in_russian(tmp_path):
    result = runner.invoke(app, ["demo", "--customers", "100", "--store", str(tmp_path / "s.duckdb"),
                                 "--report", str(tmp_path / "r.html"), "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "Песочные часы" in result.stdout  # the title; narrow terminals fold long labels


def test_funnel_steps_json_and_breakdown(demo_store):
    result = runner.invoke(app, ["funnel", "--store", str(demo_store), "--steps", "ad_view,site_visit,purchase",
                                 "--window", "30d", "--by", "channel", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["breakdown"] for r in rows} >= {"tv", "digital"}
    assert {r["step"] for r in rows} == {1, 2, 3}


def test_funnel_csv_export_of_dropped_customers(demo_store, tmp_path):
    out = tmp_path / "dropped.csv"
    result = runner.invoke(app, ["funnel", "--store", str(demo_store), "--model", "hourglass", "--format", "csv",
                                 "--export", str(out), "--export-step", "3", "--export-status", "dropped"])
    assert result.exit_code == 0, result.output
    header = next(csv.reader(result.stdout.splitlines()))
    assert header[:3] == ["step", "step_key", "label"]
    exported = list(csv.DictReader(out.open(encoding="utf-8")))
    assert exported and all(r["t3"] and not r["t4"] for r in exported)


def test_funnel_on_a_file_without_ingesting(tmp_path):
    data = tmp_path / "events.csv"
    data.write_text("customer_id;ts;event\nu1;2026-01-01 10:00;visit\nu1;2026-01-01 10:05;buy\n"
                    "u2;2026-01-01 11:00;visit\n", encoding="utf-8")
    result = runner.invoke(app, ["funnel", "--data", str(data), "--steps", "visit,buy", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["customers"] for r in json.loads(result.stdout)] == [2, 1]


def test_funnel_trends_and_report(demo_store, tmp_path):
    report = tmp_path / "f.html"
    result = runner.invoke(app, ["funnel", "--store", str(demo_store), "--steps", "ad_view,purchase", "--cohort",
                                 "month", "--tz", "Asia/Almaty", "--show", "trends", "--format", "json",
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["period"].startswith("2026-")
    assert report.exists()


def test_customers_stuck_in_trust(demo_store):
    result = runner.invoke(app, ["customers", "--store", str(demo_store), "--stage", "trust", "--stuck-for", "14d",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(r["stage"] == "trust" and r["days_in_stage"] >= 14 for r in rows)


@pytest.mark.parametrize("args, code, text", [
    (["funnel", "--steps", "a,b", "--order", "sideways"], 1, "order"),
    (["funnel", "--steps", "a,b", "--window", "soon"], 1, "window"),
    (["customers", "--stage", "nope"], 1, "no stage"),
    (["funnel"], 2, "--steps"),
    (["funnel", "--no-such-flag"], 2, "No such option"),
])
def test_user_errors_are_one_line_with_exit_code(demo_store, args, code, text):
    result = runner.invoke(app, args + ["--store", str(demo_store)])
    assert result.exit_code == code, result.output
    assert text in result.output
    assert "Traceback" not in result.output


def test_missing_store_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["funnel", "--steps", "a", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "voronka ingest" in result.output


def test_engine_url_and_an_existing_posthog_style_table(tmp_path):
    """``--engine URL --table T --map posthog``: events read in place through the mapping."""
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE ph_events (uuid VARCHAR, distinct_id VARCHAR, timestamp TIMESTAMP, event VARCHAR, "
                "properties VARCHAR)")
    con.execute("""INSERT INTO ph_events VALUES
        ('1', 'u1', '2026-05-01 10:00', '$pageview', '{"$utm_source": "tv"}'),
        ('2', 'u1', '2026-05-01 10:03', 'signup', '{}'),
        ('3', 'u2', '2026-05-01 11:00', '$pageview', '{"$utm_source": "digital"}')""")
    con.close()
    result = runner.invoke(app, ["funnel", "--engine", f"duckdb://{path}", "--table", "ph_events", "--map",
                                 "posthog", "--steps", "$pageview,signup", "--by", "channel", "--format", "json"])
    assert result.exit_code == 0, result.output
    got = {(r["breakdown"], r["step"]): r["customers"] for r in json.loads(result.stdout)}
    assert got == {("tv", 1): 1, ("tv", 2): 1, ("digital", 1): 1, ("digital", 2): 0}
