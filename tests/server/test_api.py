"""The JSON API over the list of analyses, served by a real uvicorn on loopback over a real demo
store: one definition driven through CLI flags, a YAML file and HTTP (query string and JSON body)
gives identical result tables; every parameter is declared with its range; no input is a 500."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from voronka import demo
from voronka.analyses import ANALYSES, json_value
from voronka.cli import app as cli
from voronka.store import Store

from .test_server import Served, _serve

KEY = "read-and-write-key"
runner = CliRunner()


def _store(folder: Path, customers: int, seed: int) -> Path:
    files = demo.write(demo.generate(customers, seed=seed), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
        store.ingest_spend([files["spend"]])
    return folder / "demo.duckdb"


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    """The same demo store twice: one the CLI reads, one the server holds."""
    cli_store = _store(tmp_path_factory.mktemp("api-cli"), 300, 11)
    served = tmp_path_factory.mktemp("api-served") / "demo.duckdb"
    served.write_bytes(cli_store.read_bytes())
    return cli_store, served


@pytest.fixture(scope="module")
def server(stores) -> Iterator[Served]:
    yield from _serve(stores[1], token=KEY)


def _get(server: Served, name: str, params: list[tuple[str, str]]) -> tuple[int, object]:
    return server.json("GET", f"/v1/{name}?" + urllib.parse.urlencode(params), Authorization=f"Bearer {KEY}")


def _post(server: Served, name: str, body: dict) -> tuple[int, object]:
    return server.json("POST", f"/v1/{name}", json.dumps(body).encode(), Authorization=f"Bearer {KEY}",
                       **{"Content-Type": "application/json"})


def _cli(args: list[str]) -> list[dict]:
    result = runner.invoke(cli, args + ["--format", "json"])
    assert result.exit_code == 0, result.output
    return json_value(json.loads(result.stdout))


def _query(options: dict) -> list[tuple[str, str]]:
    items = []
    for k, v in options.items():
        for one in v if isinstance(v, list) else [v]:
            items.append((k, str(one).lower() if isinstance(one, bool) else str(one)))
    return items


SOURCE = {"where": ["channel!=tv"], "since": "2025-01-01"}
SOURCE_FLAGS = ["--where", "channel!=tv", "--since", "2025-01-01"]

CASES = [
    # analysis, its options (the names of the API and YAML), the same as CLI flags, the CLI's --show and table
    ("funnel", {"steps": "ad_view,site_visit|consultation,purchase", "window": "30d", "order": "unordered",
                "by": "channel"},
     ["--steps", "ad_view,site_visit|consultation,purchase", "--window", "30d", "--order", "unordered", "--by",
      "channel"], "steps"),
    ("diagnose", {"steps": "ad_view,site_visit,purchase", "order": "unordered", "by": "channel", "alpha": 0.1},
     ["--steps", "ad_view,site_visit,purchase", "--order", "unordered", "--by", "channel", "--alpha", "0.1"],
     "cells"),
    ("diagnose", {"steps": "site_visit,consultation,purchase", "compat": "posthog", "scan": "posthog", "by": "channel",
                  "attribution": "first_non_empty"},  # PostHog's scan and attribution: the spec builder's too
     ["--steps", "site_visit,consultation,purchase", "--compat", "posthog", "--scan", "posthog", "--by", "channel",
      "--attribution", "first_non_empty"], "cells"),
    ("paths", {"conversion": "purchase", "max_steps": 4, "top": 5, "lookback": "30d"},
     ["--to", "purchase", "--steps", "4", "--top", "5", "--lookback", "30d"], "top"),
    ("touches", {"lookback": "14d", "cap": 5, "among": "site_visit|consultation"},
     ["--lookback", "14d", "--cap", "5", "--among", "site_visit|consultation"], "touches"),
    ("retention", {"period": "week", "purchase": "purchase"}, ["--period", "week"], "retention"),
    ("attribution", {"models": "first_touch,last_touch,markov", "lookback": "14d", "first_only": True},
     ["--models", "first_touch,last_touch,markov", "--lookback", "14d", "--first-only"], "credit"),
]


def _yaml_file(tmp_path: Path, name: str, options: dict) -> Path:
    """The options as a YAML file: the funnel analyses' in the funnel file's own shape."""
    data = dict(options)
    if name in ("funnel", "diagnose"):
        data["steps"] = data["steps"].split(",")
        data["breakdown"] = {"field": data.pop("by"), **({"attribution": data.pop("attribution")}
                                                          if "attribution" in data else {})}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "options", "flags", "show"), CASES, ids=[c[0] for c in CASES])
def test_one_definition_through_flags_yaml_and_http_gives_identical_tables(
        stores, server, tmp_path, name, options, flags, show):
    store = ["--store", str(stores[0])]
    shown = [] if name == "retention" else ["--show", show]  # retention prints its matrix
    by_flags = _cli([name, *store, *flags, *SOURCE_FLAGS, *shown])
    by_yaml = _cli([name, *store, "--file", str(_yaml_file(tmp_path, name, options)), *SOURCE_FLAGS, *shown])
    status, by_query = _get(server, name, _query({**options, **SOURCE})) if name != "funnel" else (200, None)
    assert status == 200, by_query
    status, by_body = _post(server, name, {**options, **SOURCE})
    assert status == 200, by_body
    assert by_flags, "an empty table proves nothing"
    assert by_yaml == by_flags
    assert by_body["tables"][show] == by_flags
    if by_query is not None:
        assert by_query == by_body
    if name == "funnel":  # the older route: the same steps
        status, steps = server.json("GET", "/v1/funnel?" + urllib.parse.urlencode(_query({**options, **SOURCE})),
                                    Authorization=f"Bearer {KEY}")
        assert status == 200 and json_value(steps) == by_flags


PLAN = [{"month": "2026-03", "channel": "digital", "spend": 4000.0, "leads": 6, "sales": 2, "currency": "KZT"},
        {"month": "2026-04", "channel": "mobile", "leads": 3, "sales": 1}]
"""A plan of two lines, as ``planfact``'s record, YAML file and JSON body write it."""

RECORDS = [
    # analysis, its options (the names of the API and YAML), the same as CLI flags (and the CLI's choice of
    # table), the table the CLI prints
    ("repeat", {"purchase": "purchase|trial"}, ["--purchase", "purchase|trial", "--show", "gaps"], "gaps"),
    ("lifecycle", {"period": "month"}, ["--period", "month"], "lifecycle"),
    ("overdue", {"factor": 1.5, "percentile": 80, "stage": "curiosity"},
     ["--factor", "1.5", "--percentile", "80", "--stage", "curiosity"], "customers"),
    ("winback", {"lapse_after": "30d", "return_within": "45d", "confidence": 0.9},
     ["--lapse-after", "30d", "--return-within", "45d", "--confidence", "0.9"], "groups"),
    ("rfm", {"segment": "at_risk"}, ["--segment", "at_risk"], "customers"),
    ("scan", {"steps": "ad_view,site_visit,purchase", "grain": "week", "alpha": 0.5, "max_window": 3},
     ["--steps", "ad_view,site_visit,purchase", "--grain", "week", "--alpha", "0.5", "--max-window", "3",
      "--show", "series"], "series"),
    ("whatif", {"steps": "site_visit,consultation,purchase", "stage": "2", "points": 5, "check": 1000},
     ["--steps", "site_visit,consultation,purchase", "--stage", "2", "--points", "5", "--check", "1000"], "stages"),
    ("plan", {"steps": "site_visit,consultation,purchase", "target": 10, "sellers": 2, "period": "week"},
     ["--steps", "site_visit,consultation,purchase", "--target", "10", "--sellers", "2", "--period", "week"],
     "stages"),
    ("planfact", {"plan": PLAN, "lead": "lead_magnet|consultation"}, ["--lead", "lead_magnet|consultation"],
     "lines"),
]


def _record_yaml(tmp_path: Path, name: str, options: dict) -> Path:
    """The options as a YAML file (a funnel analysis's steps as the funnel file's list)."""
    data = dict(options)
    if "steps" in data:
        data["steps"] = data["steps"].split(",")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "options", "flags", "table"), RECORDS, ids=[c[0] for c in RECORDS])
def test_the_loop_scan_plan_and_planfact_records_through_flags_yaml_and_http(
        stores, server, tmp_path, name, options, flags, table):
    """Each of these analyses' records: CLI flags, a YAML file, the query string and a JSON body
    give the same table (planfact's plan lines are a CSV file on the command line)."""
    store = ["--store", str(stores[0])]
    plan = []
    if name == "planfact":
        csv = tmp_path / "plan.csv"
        csv.write_text("month,channel,spend,leads,sales,currency\n2026-03,digital,4000,6,2,KZT\n"
                       "2026-04,mobile,,3,1,\n", encoding="utf-8")
        plan = [str(csv)]
    by_flags = _cli([name, *plan, *store, *flags, *SOURCE_FLAGS])
    shown = flags[flags.index("--show"):][:2] if "--show" in flags else []
    by_yaml = _cli([name, *store, "--file", str(_record_yaml(tmp_path, name, options)), *SOURCE_FLAGS, *shown])
    status, by_body = _post(server, name, {**options, **SOURCE})
    assert status == 200, by_body
    assert by_flags, "an empty table proves nothing"
    assert by_yaml == by_flags
    assert by_body["tables"][table] == by_flags
    if name != "planfact":  # the plan's lines are objects: a JSON body, not a query string
        status, by_query = _get(server, name, _query({**options, **SOURCE}))
        assert status == 200, by_query
        assert by_query == by_body


def test_the_unit_and_filters_reach_every_analysis_the_same_way(stores, server):
    """Sessions as the unit: the CLI and the API count the same units, fewer customers than sessions."""
    flags = ["--unit", "session", "--session-gap", "1h"]
    by_flags = _cli(["touches", "--store", str(stores[0]), *flags, "--show", "summary"])
    status, answer = _get(server, "touches", [("unit", "session"), ("session_gap", "1h")])
    assert status == 200 and answer["tables"]["summary"] == by_flags
    status, customers = _get(server, "touches", [])
    assert customers["tables"]["summary"] != by_flags


def test_a_read_key_is_needed(server):
    assert server.json("GET", "/v1/touches")[0] == 401
    assert server.json("POST", "/v1/paths", b"{}", **{"Content-Type": "application/json"})[0] == 401
    assert server.json("GET", "/v1/analyses")[0] == 401


def test_the_analyses_and_every_parameter_with_its_range(server):
    status, listed = server.json("GET", "/v1/analyses", Authorization=f"Bearer {KEY}")
    assert status == 200 and [a["name"] for a in listed] == list(ANALYSES)
    touches = next(a for a in listed if a["name"] == "touches")
    assert touches["doc"] == "docs/paths.md" and {"lookback", "cap", "where", "unit"} <= set(touches["parameters"])
    schema = server.json("GET", "/openapi.json")[1]
    for name in ANALYSES:
        for method in ("get", "post"):
            operation = schema["paths"][f"/v1/{name}"].get(method)
            if operation is None or (name == "funnel" and method == "get"):
                continue
            if method == "get":
                declared = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
            else:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                declared = schema["components"]["schemas"][ref]["properties"]
            assert declared, (name, method)
            for parameter, spec in declared.items():
                assert _bounded(spec, schema), (name, method, parameter, spec)


def _bounded(spec: dict, schema: dict) -> bool:
    """A parameter's schema states its range: a length, a pattern, a set of values, bounds, or a date."""
    if "$ref" in spec:
        return _bounded(schema["components"]["schemas"][spec["$ref"].rsplit("/", 1)[1]], schema)
    if "anyOf" in spec:
        return all(_bounded(s, schema) for s in spec["anyOf"])
    kind = spec.get("type")
    if kind in ("null", "boolean") or "enum" in spec or "const" in spec:
        return True
    if kind == "string":
        return "maxLength" in spec or spec.get("format") in ("date", "date-time")
    if kind in ("integer", "number"):
        return ("minimum" in spec or "exclusiveMinimum" in spec) and ("maximum" in spec or "exclusiveMaximum" in spec)
    if kind == "array":
        return "maxItems" in spec and _bounded(spec["items"], schema)
    if kind == "object":  # a record of bounded fields (e.g. a plan's line)
        return all(_bounded(s, schema) for s in spec["properties"].values())
    return False


HOSTILE = ["'; DROP TABLE events; --", "0", "x" * 3000, "../../etc/passwd:buy", "1e309"]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Iterator[Served]:
    yield from _serve(_store(tmp_path_factory.mktemp("api-small"), 60, 2), public_dashboard=True)


def test_no_input_is_a_500_and_no_parameter_opens_a_file(small):
    """Every parameter of every analysis with hostile values: a result or a located 422."""
    for a in ANALYSES.values():
        params = small.json("GET", "/openapi.json")[1]["paths"][f"/v1/{a.name}"]
        names = [p["name"] for p in params["get"]["parameters"]] if "get" in params else ["steps", "window"]
        for parameter in names:
            if parameter in ("key", "lang"):
                continue
            for value in HOSTILE:
                status, answer = small.json("POST", f"/v1/{a.name}", json.dumps({parameter: value}).encode(),
                                            **{"Content-Type": "application/json"})
                assert status in (200, 422), (a.name, parameter, value, status, answer)
                assert status == 200 or answer["error"] and "internal" not in answer["error"]


def test_a_time_with_an_offset_is_taken_in_utc(small):
    """``as_of`` with an offset (it once was a 500 on ``GET /v1/funnel``) is the same moment in UTC."""
    offset = small.json("GET", "/v1/funnel?model=hourglass&as_of=2026-03-01T05:00:00%2B05:00")
    utc = small.json("GET", "/v1/funnel?model=hourglass&as_of=2026-03-01T00:00:00")
    assert offset[0] == 200 and offset == utc
    assert small.json("GET", "/v1/touches?as_of=2026-03-01T05:00:00%2B05:00")[1]["tables"] == \
        small.json("GET", "/v1/touches?as_of=2026-03-01T00:00:00")[1]["tables"]
