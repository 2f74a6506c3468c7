"""A funnel whose steps match no event says so and lists the events that exist
(``voronka.funnel.coverage``, docs/funnels.md), on DuckDB and chdb and in the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.backends import engine_for, event
from voronka.cli import app
from voronka.funnel import FunnelDefinition, Step
from voronka.funnel.coverage import coverage
from voronka.funnel.spec import build_funnel
from voronka.rules import Condition, StepRule
from voronka.store import Store

runner = CliRunner()
ROWS = [event("a", 0, "site_visit"), event("a", 1, "purchase", revenue=5, currency="KZT"),
        event("b", 0, "site_visit", channel="tv"), event("c", 3, "site_visit"), event("c", 4, "refund")]


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])
def test_coverage_counts_the_events_of_each_step_and_the_most_frequent_names(backend: str) -> None:
    if backend == "chdb":
        pytest.importorskip("chdb")
    engine = engine_for(ROWS, backend)
    found = coverage(engine, build_funnel({"steps": ["site_visit", "purchase|refund", "signup"]}), top=2)
    assert found.matches == (3, 2, 0) and found.total == 5
    assert found.events == (("site_visit", 3), ("purchase", 1))  # most frequent first, ties by name
    assert found.unmatched == [2] and not found.empty
    assert found.message("en") == ("No event matches these steps: 3 «signup». The events in the data "
                                   "(the 2 most frequent): site_visit (3), purchase (1)")
    tv = StepRule(events=("site_visit",), where=(Condition(field="channel", value="tv"),))
    conditioned = FunnelDefinition(steps=(Step(key="tv", rule=tv),))
    assert coverage(engine, conditioned).matches == (1,)
    nothing = coverage(engine, build_funnel({"steps": ["visit", "purchase"]}))
    assert nothing.empty and nothing.message("ru").startswith("Воронка пуста")


def test_an_unordered_funnel_is_empty_only_when_no_step_matches() -> None:
    engine = engine_for(ROWS)
    assert not coverage(engine, build_funnel({"steps": ["signup", "purchase"], "order": "unordered"})).empty
    assert coverage(engine, build_funnel({"steps": ["signup", "purchase"]})).empty


def _store(path: Path, rows: list[dict]) -> Path:
    from tests.backends import events_table

    with Store(path) as db:
        db.connection.register("rows", events_table(rows))
        db.connection.execute("INSERT INTO events SELECT * FROM rows")
    return path


@pytest.mark.parametrize(("lang", "start"), [("en", "The funnel is empty"), ("ru", "Воронка пуста"),
                                             ("kk", "Воронка бос")])
def test_the_cli_says_a_funnel_is_empty_and_which_events_exist(tmp_path: Path, lang: str, start: str) -> None:
    store = _store(tmp_path / "s.duckdb", ROWS)
    for command in (["funnel", "--steps", "visit,buy"], ["diagnose", "--steps", "visit,buy"],
                    ["plan", "--steps", "visit,buy", "--target", "10"]):
        result = runner.invoke(app, [*command, "--store", str(store), "--lang", lang])
        assert result.exit_code == 1, result.output
        assert start in result.stderr and "site_visit (3)" in result.stderr and "refund (1)" in result.stderr
        assert result.stdout == ""  # no table of zeros


def test_the_cli_warns_of_a_later_step_and_still_prints_the_funnel(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.duckdb", ROWS)
    result = runner.invoke(app, ["funnel", "--steps", "site_visit,signup", "--store", str(store), "-f", "json"])
    assert result.exit_code == 0
    assert [r["customers"] for r in json.loads(result.stdout)] == [3, 0]
    assert "No event matches these steps: 2 «signup»" in result.stderr


def test_the_cli_says_the_store_has_no_events(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.duckdb", [])
    result = runner.invoke(app, ["funnel", "--steps", "a,b", "--store", str(store)])
    assert result.exit_code == 1 and "There are no events to count" in result.stderr and result.stdout == ""
