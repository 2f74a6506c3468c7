"""``voronka ingest`` through typer's CliRunner: summary, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from ingest_helpers import ROWS, write_csv
from typer.testing import CliRunner

from voronka.cli import app

runner = CliRunner()


def test_ingest_prints_the_summary_as_json(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", ROWS, delimiter=";")
    store = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--store", str(store), "--format", "json", "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[-1] == {"file": "total", "rows_read": 3, "added": 3, "duplicates": 0, "rejected": 0}
    again = runner.invoke(app, ["ingest", str(path), "--store", str(store), "-f", "csv"])
    assert again.exit_code == 0 and "total,3,0,3,0" in again.stdout.replace('"', "")


def test_bad_row_is_exit_1_and_one_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", [["c", "nope", "x"]], header=["client", "ts", "event"])
    result = runner.invoke(app, ["ingest", str(path), "--map", "customer_id=client",
                                 "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "row 1" in lines[0] and "nope" in lines[0]


def test_reject_file_and_other_tables(tmp_path: Path) -> None:
    spend = write_csv(tmp_path / "s.csv", [["2026-03-01", "tv", "10", "KZT"], ["bad", "tv", "1", "KZT"]],
                      header=["date", "channel", "amount", "currency"])
    result = runner.invoke(app, ["ingest", str(spend), "--table", "spend", "--reject-file",
                                 str(tmp_path / "rej.csv"), "--store", str(tmp_path / "s.duckdb"), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[-1]["rejected"] == 1
    assert (tmp_path / "rej.csv").read_text().count("\n") == 2


def test_bad_usage_is_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest"]).exit_code == 2
    assert runner.invoke(app, ["ingest", "x.csv", "--table", "nope"]).exit_code == 2
