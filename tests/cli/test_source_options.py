"""The shared source options end to end: one funnel definition through command-line flags,
a YAML file and the HTTP API (a real server on loopback) gives the same steps, and every
analysis command takes ``--where`` and ``--unit``."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from tests.server.test_server import _serve
from voronka.cli import app
from voronka.store import Store

runner = CliRunner()

EVENTS = [  # customer, minute, event, channel, platform, session
    ("a", 0, "visit", "tv", "mobile", "s1"), ("a", 5, "signup", "tv", "mobile", "s1"),
    ("a", 20, "purchase", "tv", "desktop", "s2"), ("a", 60, "visit", "web", "mobile", "s3"),
    ("a", 75, "purchase", "web", "mobile", "s3"), ("b", 0, "visit", "web", "desktop", "s4"),
    ("b", 3, "lead", "web", "mobile", "s4"), ("b", 9, "purchase", "web", "mobile", "s4"),
    ("c", 1, "visit", "tv", "mobile", "s5"), ("c", 2, "lead", "tv", "mobile", "s5"),
    ("c", 200, "purchase", "tv", "mobile", "s6"), ("d", 0, "visit", "tv", "mobile", "s7"),
]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def _rows(customer_from: str = "customer") -> list[dict]:
    return [{"customer_id": {"customer": c, "session": s}[customer_from], "event_id": f"{c}-{m}-{e}",
             "ts": f"2026-03-02 {9 + m // 60:02d}:{m % 60:02d}:00", "event": e, "channel": ch, "platform": p,
             "session_id": s} for c, m, e, ch, p, s in EVENTS]


def _store(folder: Path, rows: list[dict], name: str) -> Path:
    store = folder / f"{name}.duckdb"
    with Store(store) as s:
        s.ingest("events", [_write(folder / f"{name}.ndjson", rows)])
    return store


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("source")
    return {"all": _store(folder, _rows(), "all"),
            "mobile": _store(folder, [r for r in _rows() if r["platform"] == "mobile"], "mobile"),
            "sessions": _store(folder, _rows("session"), "sessions")}


def _json(*args: str) -> list[dict]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_flags_a_yaml_file_and_the_http_api_give_the_same_funnel(stores, tmp_path):
    source = ["--where", "platform=mobile", "--where", "channel in tv|web", "--unit", "session_id"]
    flags = _json("funnel", "--store", str(stores["all"]), "--steps", "visit,signup|lead,purchase",
                  "--window", "1h", "--order", "ordered", *source)
    spec = tmp_path / "funnel.yaml"
    spec.write_text("steps: [visit, signup|lead, purchase]\nwindow: 1h\norder: ordered\n", encoding="utf-8")
    from_file = _json("funnel", "--store", str(stores["all"]), "--file", str(spec), *source)
    query = urlencode([("steps", "visit,signup|lead,purchase"), ("window", "1h"), ("order", "ordered"),
                       ("where", "platform=mobile"), ("where", "channel in tv|web"), ("unit", "session_id")])
    for served in _serve(stores["all"], public_dashboard=True):
        status, over_http = served.json("GET", "/v1/funnel?" + query)
        assert served.json("GET", "/v1/funnel?steps=visit&where=platform")[0] == 422
        assert served.json("GET", "/v1/funnel?steps=visit&wehre=x")[1] == {"error": "unknown query parameter 'wehre'"}
    assert status == 200
    assert flags == from_file == over_http
    assert [s["customers"] for s in flags] == [4, 2, 0]  # s1, s3, s5, s7 visit; s1, s5 sign up or leave a lead
    assert flags[1]["label"] == "signup|lead"  # a|b is one step "any of" everywhere


def test_where_equals_ingesting_only_the_rows_it_keeps(stores):
    for command in (["funnel", "--steps", "visit,lead|signup,purchase"], ["touches"], ["paths"], ["retention"],
                    ["customers"]):
        filtered = _json(*command, "--store", str(stores["all"]), "--where", "platform=mobile")
        assert filtered == _json(*command, "--store", str(stores["mobile"])), command


def test_unit_equals_ingesting_with_the_unit_as_the_customer(stores):
    for command in (["funnel", "--steps", "visit,lead|signup,purchase"], ["touches"], ["paths"]):
        assert _json(*command, "--store", str(stores["all"]), "--unit", "session_id") == \
            _json(*command, "--store", str(stores["sessions"])), command


def test_sessions_cut_by_inactivity_from_the_command_line(stores):
    steps = _json("funnel", "--store", str(stores["all"]), "--steps", "visit,purchase", "--unit", "session",
                  "--session-gap", "30m")
    # a: [0, 5, 20] [60, 75]; b: [0, 3, 9]; c: [1, 2] [200]; d: [0]
    assert [s["customers"] for s in steps] == [5, 3]


def test_every_analysis_command_takes_where_and_unit(stores, tmp_path):
    common = ["--store", str(stores["all"]), "--where", "channel!=web", "--unit", "session", "--session-gap", "1h"]
    funnel = ["--steps", "visit,lead|signup,purchase", "--order", "unordered", "--ties", "strict"]
    cells = _json("diagnose", *funnel, "--show", "cells", *common)
    steps = _json("funnel", *funnel, *common)
    assert [c["trials"] for c in cells] == [s["customers"] for s in steps[:-1]]
    for command in (["paths"], ["touches"], ["retention"], ["attribution"], ["customers"],
                    ["report", "--output", str(tmp_path / "r.html")]):
        result = runner.invoke(app, [*command, *common])
        assert result.exit_code == 0, (command, result.output)


@pytest.mark.parametrize("args, message", [
    (["--where", "platform"], "--where 'platform': not a filter"),
    (["--unit", "company_id", "--session-gap", "30m"], "--session-gap needs --unit session"),
    (["--since", "2026-03-05", "--until", "2026-03-01"], "--since 2026-03-05 is after --until 2026-03-01"),
])
def test_source_option_errors_are_one_line(stores, args, message):
    result = runner.invoke(app, ["funnel", "--steps", "visit,purchase", "--store", str(stores["all"]), *args])
    assert result.exit_code == 1 and message in result.output
