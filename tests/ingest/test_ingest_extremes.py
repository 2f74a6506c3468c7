"""Issue 18: analyses cannot crash on any value the store accepts.

The store gets the extremes the ingest accepts — the first and last instants of the time
range (1900-01-01 00:00 and 2199-12-31 23:59:59.999999), the largest and smallest
DECIMAL(18,4) revenue, the smallest positive one — then every analysis runs through the
CLI and exits 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app
from voronka.ingest.limits import TS_MAX, TS_MIN
from voronka.store import Store

MAX_MONEY = "99999999999999.9999"
EXTREMES = [
    {"customer_id": "c1", "ts": "1900-01-01 00:00:00", "event": "site_visit", "channel": "tv"},
    {"customer_id": "c1", "ts": "1900-01-01 01:00:00", "event": "purchase", "revenue": MAX_MONEY,
     "currency": "KZT", "channel": "tv"},
    {"customer_id": "c1", "ts": "1900-01-02 01:00:00", "event": "purchase", "revenue": MAX_MONEY,
     "currency": "KZT", "channel": "tv"},
    {"customer_id": "c2", "ts": "2199-12-31 23:59:59.999999", "event": "site_visit", "channel": "digital"},
    {"customer_id": "c2", "ts": "2199-12-31 23:59:59.999999", "event": "purchase", "revenue": "-" + MAX_MONEY,
     "currency": "KZT", "channel": "digital"},
    {"customer_id": "c3", "ts": "2026-03-01 10:00", "event": "site_visit", "channel": "wom", "referrer_id": "c1"},
    {"customer_id": "c3", "ts": "2026-03-02 10:00", "event": "purchase", "revenue": "0.0001", "currency": "KZT",
     "channel": "wom"},
    {"customer_id": "c3", "ts": "2026-03-03 10:00", "event": "complaint", "channel": "wom"},
]

ANALYSES = [
    ["funnel", "--steps", "site_visit,purchase"], ["customers"], ["repeat"], ["retention"], ["lifecycle"],
    ["overdue"], ["winback"], ["rfm"], ["clv"], ["referrals"], ["complaints"], ["touches"], ["paths"],
    ["channels"], ["attribution"], ["diagnose"], ["money"],
]


@pytest.fixture(scope="module")
def extreme_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extremes")
    data = folder / "extremes.ndjson"
    data.write_text("\n".join(json.dumps(e) for e in EXTREMES), encoding="utf-8")
    store = folder / "store.duckdb"
    with Store(store) as s:
        assert s.ingest("events", [data]).added == len(EXTREMES)
        low, high = s.connection.execute("SELECT min(ts), max(ts) FROM events").fetchall()[0]
    assert low == TS_MIN and high < TS_MAX and (TS_MAX - high).total_seconds() < 1e-5
    return store


@pytest.mark.parametrize("args", ANALYSES, ids=lambda a: a[0])
def test_every_analysis_runs_on_the_extremes(extreme_store, args):
    result = CliRunner().invoke(app, [*args, "--store", str(extreme_store), "--format", "json"])
    assert result.exit_code == 0, result.output[-2000:]
    assert result.output.strip()


def test_the_report_runs_on_the_extremes(extreme_store, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--store", str(extreme_store), "--output", str(out)])
    assert result.exit_code == 0, result.output[-2000:]
    assert out.stat().st_size > 1000
