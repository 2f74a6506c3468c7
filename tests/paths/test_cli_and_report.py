"""``voronka touches``, ``paths`` and ``channels`` end to end (a real demo store), and the
report sections."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.backends import engine_for as make_engine
from tests.backends import event
from voronka.channel_stages import compute_channel_stages
from voronka.cli import app
from voronka.paths import compute_paths
from voronka.reports import Report
from voronka.reports.paths import add_paths_sections
from voronka.touches import compute_touches

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paths")
    path = folder / "demo.duckdb"
    result = runner.invoke(app, ["demo", "--customers", "600", "--store", str(path), "--report",
                                 str(folder / "r.html"), "--format", "json"])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_touches_command(store, tmp_path):
    rows = json.loads(run("touches", "--store", str(store), "--format", "json").stdout)
    assert sum(r["converted"] for r in rows) > 0 and rows[-1]["label"] in ("10+", str(rows[-1]["bucket"]))
    ranges = run("touches", "--store", str(store), "--show", "ranges", "--format", "csv", "--lookback", "all")
    assert ranges.stdout.splitlines()[0] == '"range","customers","converted","conversion_rate","ci_low","ci_high"'
    assert len(ranges.stdout.splitlines()) == 4
    report = tmp_path / "t.html"
    table = run("touches", "--store", str(store), "--lang", "ru", "--among", "trial", "--report", str(report))
    assert "Конверсия" in table.stdout and report.exists()
    assert "Distinct" in run("touches", "--store", str(store), "--show", "channels").stdout  # not "Touches"
    bad = runner.invoke(app, ["touches", "--store", str(store), "--to", "hourglass:nope"])
    assert bad.exit_code == 1 and "no stage 'nope'" in bad.output


def test_paths_command(store):
    rows = json.loads(run("paths", "--store", str(store), "--format", "json", "--top", "3").stdout)
    assert [r["converted"] for r in rows] == [True] * 3 + [False] * 3
    assert all(r["path"].endswith("purchase") for r in rows[:3])
    after = json.loads(run("paths", "--store", str(store), "--from", "consultation", "--steps", "2",
                           "--format", "json").stdout)
    assert after[0] == {"offset": 0, "step": "consultation", "customers": after[0]["customers"], "share": 1.0}
    assert {r["offset"] for r in after} == {0, 1, 2}
    before = json.loads(run("paths", "--store", str(store), "--before", "purchase", "--steps", "1",
                            "--format", "json").stdout)
    assert {r["offset"] for r in before} == {-1, 0} and before[0]["step"] == "trial"  # the demo buys after a trial
    channels = json.loads(run("paths", "--store", str(store), "--by", "channel", "--show", "sankey",
                              "--format", "json").stdout)
    assert channels and {"source", "target", "customers"} <= set(channels[0])
    mapped = run("paths", "--store", str(store), "--steps-map", "ad_view=ad,content_view=", "--format", "csv")
    assert "content_view" not in mapped.stdout and "ad →" in mapped.stdout
    assert runner.invoke(app, ["paths", "--store", str(store), "--by", "x"]).exit_code == 2


def test_channels_command(store, tmp_path):
    rows = json.loads(run("channels", "--store", str(store), "--format", "json").stdout)
    assert rows[0]["stage"] == "awareness" and rows[-1]["stage"] == "advocacy"
    flagged = json.loads(run("channels", "--store", str(store), "--flagged", "--format", "json").stdout)
    assert all(r["flag"] for r in flagged)
    report = tmp_path / "c.html"
    out = run("channels", "--store", str(store), "--lang", "kk", "--report", str(report))
    assert "Арна" in out.stdout and "plotly" in report.read_text(encoding="utf-8")


def test_report_sections(tmp_path):
    engine = make_engine([
        event("a", 0, "ad_view", channel="tv"), event("a", 5, "site_visit", channel="digital"),
        event("a", 9, "purchase", channel="digital"), event("b", 0, "ad_view", channel="tv"),
    ])
    report = add_paths_sections(Report("Paths", "ru"), "ru", touches=compute_touches(engine),
                                paths=compute_paths(engine), channels=compute_channel_stages(engine))
    titles = [s.title for s in report.sections]
    assert titles == ["Касания до конверсии", "Конверсия по диапазонам касаний («5–7 касаний до платного предложения»)",
                      "Частые пути", "Пути (диаграмма Санки)", "Каналы по этапам"]
    sankey = report.sections[3].figure.data[0]
    assert len(sankey.node.label) == 3 and list(sankey.link.value) == [1, 1]
    bars = report.sections[0].figure.data
    assert [trace.type for trace in bars] == ["bar", "bar", "scatter"]
    assert list(bars[2].y) == [0.0, 1.0]  # b: 1 touch, not converted; a: 2 touches, converted
    report.write(tmp_path / "r.html")
    assert "Санки" in (tmp_path / "r.html").read_text(encoding="utf-8")
