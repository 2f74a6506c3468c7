"""Issue 18: hostile names round-trip unchanged and inert.

Quotes, semicolons, ``<script>``, SQL comment marks and right-to-left marks in event
names, channels, property keys and values, and in a mapped column's header, go through
``voronka ingest``, the store, the funnel and the HTML report: equal when read back, and
never markup in the report.
"""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from voronka.cli import app
from voronka.store import Store

SCRIPT = '<script>alert("x")</script>'
VISIT = "visit'; DROP TABLE events;--"
BUY = f'buy "now" {SCRIPT}'
CHANNEL = "\u202etv\u200f <b>bold</b> ' OR 1=1 --"
KEY = f'k"\'; {SCRIPT}\u202e'
VALUE = f"v\u200f'\"; {SCRIPT}"
HEADER = 'кто"; DELETE FROM events;--<i>'


def test_hostile_names_round_trip_through_store_funnel_and_report(tmp_path):
    data = tmp_path / "hostile.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([HEADER, "ts", "event", "channel", KEY])
        out.writerow(["c1", "2026-03-01 10:00", VISIT, CHANNEL, VALUE])
        out.writerow(["c1", "2026-03-02 10:00", BUY, CHANNEL, ""])
        out.writerow(["c2", "2026-03-01 11:00", VISIT, "", VALUE])
    store = tmp_path / "store.duckdb"
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(data), "--map", f"customer_id={HEADER}", "--store", str(store)])
    assert result.exit_code == 0, result.output

    with Store(store, read_only=True) as s:
        rows = s.connection.execute(
            "SELECT customer_id, event, channel, properties FROM events ORDER BY customer_id, ts").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("c1", VISIT, CHANNEL), ("c1", BUY, CHANNEL), ("c2", VISIT, None)]
    assert [json.loads(r[3]) for r in rows] == [{KEY: VALUE}, {}, {KEY: VALUE}]

    # The funnel by these names (written as JSON steps in a model file: names with any character)
    model = tmp_path / "model.yaml"
    model.write_text(json.dumps({"steps": [{"key": "visit", "label": VISIT, "rule": {"events": [VISIT]}},
                                           {"key": "buy", "label": BUY, "rule": {"events": [BUY]}}]}),
                     encoding="utf-8")
    result = runner.invoke(app, ["funnel", "--file", str(model), "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [(s["label"], s["customers"]) for s in json.loads(result.output)] == [(VISIT, 2), (BUY, 1)]

    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--store", str(store), "--output", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    assert SCRIPT not in page and "<b>bold</b>" not in page and "<i>" not in page
    assert "alert(" in page  # the names are there, escaped
