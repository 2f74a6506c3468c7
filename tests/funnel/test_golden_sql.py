"""The SQL a funnel definition builds, pinned as data (tests/funnel/golden/): a change to the
SQL is a reviewed diff of a .sql file, and each pinned query still runs on a real DuckDB."""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path

import pytest
import yaml

from tests.backends import engine_for, event
from voronka.funnel import compute_funnel
from voronka.funnel.sql import stage_sql, steps_sql, units_sql
from voronka.funnel.spec import build_funnel

GOLDEN = Path(__file__).parent / "golden"
DEFINITIONS = yaml.safe_load((GOLDEN / "cases.yaml").read_text(encoding="utf-8"))
AS_OF = dt.datetime(2026, 3, 31)


def built_sql(spec: dict) -> str:
    defn = build_funnel(spec)
    return "\n".join([
        "-- stage", stage_sql(defn, "events", "aliases").strip(),
        "-- units", units_sql(defn, "stage", AS_OF).strip(),
        "-- steps", steps_sql(defn, "units").strip(), ""])


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_the_built_sql_is_the_golden_file(name):
    path, sql = GOLDEN / f"{name}.sql", built_sql(DEFINITIONS[name])
    if os.environ.get("VORONKA_UPDATE_GOLDEN") == "1":
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no {path.name}: run with VORONKA_UPDATE_GOLDEN=1 (see golden/cases.yaml)"
    golden = path.read_text(encoding="utf-8")
    assert sql == golden, "".join(difflib.unified_diff(golden.splitlines(True), sql.splitlines(True),
                                                       f"golden/{path.name}", "built"))


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_the_golden_definitions_run(name):
    rows = [event("a", 0, "visit", channel="tv", properties={"platform": "mobile"}), event("a", 5, "signup"),
            event("a", 9, "cart"), event("a", 10, "buy"), event("b", 1, "visit", channel="web")]
    result = compute_funnel(engine_for(rows), build_funnel({**DEFINITIONS[name], "as_of": AS_OF}))
    assert result.steps.column("customers").to_pylist()[0] >= 1
