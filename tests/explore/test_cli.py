"""``voronka scan``, ``transitions`` and ``profile`` end to end on a demo file, with their
reports, and the errors a user can make."""

from __future__ import annotations

import html
import json

import pytest
from typer.testing import CliRunner

from voronka import demo
from voronka.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    return demo.write(demo.generate(3000), tmp_path_factory.mktemp("explore"))["events"]


def run(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_scan_command(events, tmp_path):
    rows = json.loads(run("scan", "--data", events, "--tz", demo.TIME_ZONE, "--show", "series",
                          "--format", "json").stdout)
    assert rows and {"measure", "segment", "first", "last", "p", "q", "rank"} <= set(rows[0])
    out = run("scan", "--data", events, "--lang", "kk", "--report", tmp_path / "scan.html").stdout
    assert out.startswith("•")
    assert "Не өзгерді" in html.unescape((tmp_path / "scan.html").read_text(encoding="utf-8"))


def test_transitions_command(events, tmp_path):
    loops = json.loads(run("transitions", "--data", events, "--format", "json").stdout)
    assert (loops[0]["from"], loops[0]["to"]) == ("trial", "site_visit")
    compare = json.loads(run("transitions", "--data", events, "--compare", "channel=mobile,channel=digital",
                             "--show", "compare", "--format", "json").stdout)
    assert any(r["from"] == "trial" and r["to"] == "site_visit" and r["moves_b"] == 0 for r in compare)
    run("transitions", "--data", events, "--lang", "ru", "--report", tmp_path / "t.html")
    assert "Переходы между событиями" in html.unescape((tmp_path / "t.html").read_text(encoding="utf-8"))


def test_transitions_compare_steps(events, tmp_path):
    # planted: digital people go on from the ad to the site far more often than tv people (0.80 against 0.45)
    cells = json.loads(run("transitions", "--data", events, "--compare", "channel=digital,channel=tv",
                           "--show", "compare-steps", "--format", "json").stdout)
    cell = {(r["step"], r["state"]): r for r in cells}
    assert cell[1, "ad_view"]["share_a"] == cell[1, "ad_view"]["share_b"] == 1.0  # every path starts at the ad
    visit = cell[2, "site_visit"]
    assert visit["share_a"] > visit["share_b"] + 0.1 and visit["q"] <= 0.05
    assert sum(r["share_a"] for r in cells if r["step"] == 3) == pytest.approx(1.0)
    out = run("transitions", "--data", events, "--compare", "channel=digital,channel=tv", "--lang", "kk",
              "--report", tmp_path / "c.html").stdout
    assert "қадам, END: channel=digital ішінде" in out
    page = html.unescape((tmp_path / "c.html").read_text(encoding="utf-8"))
    assert "Екі сегментті салыстыру: channel=digital және channel=tv" in page


def test_profile_command(events):
    vocabulary = json.loads(run("profile", "--data", events, "--show", "events", "--format", "json").stdout)
    assert {r["event"] for r in vocabulary} >= {"ad_view", "purchase", "trial"}


@pytest.mark.parametrize("args", [
    ["scan", "--grain", "month"], ["transitions", "--compare", "channel"], ["transitions", "--compare", "a=1"],
    ["transitions", "--show", "compare-steps"],
    ["scan", "--within", "soon"],
])
def test_user_errors_are_one_line(events, args):
    result = runner.invoke(app, [*args, "--data", str(events)])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output


def test_funnel_trend_shows_the_scan_windows(tmp_path):
    # the default demo, whose planted incident the scan flags (docs/demo.md, effect 9)
    events = demo.write(demo.generate(), tmp_path)["events"]
    run("funnel", "--data", events, "--steps", "trial,purchase", "--cohort", "week", "--tz", demo.TIME_ZONE,
        "--report", tmp_path / "f.html")
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert '"text":"trial \\u2192 purchase (channel = digital)"' in page
