"""``voronka ingest --engine``: a file loaded into ClickHouse (chdb, a folder it keeps) or a
Spark table (through a real Spark Connect server) gives the funnel the DuckDB store gives
for the same file; a repeat adds nothing; a bad row stores nothing, with the same error.

The commands run as processes, as a user runs them (chdb allows one session per process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from voronka import demo

VORONKA = str(Path(sys.executable).with_name("voronka"))
STEPS = ["--steps", "site_visit,lead_magnet,purchase", "--window", "30d"]


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([VORONKA, *args], capture_output=True, text=True, timeout=600)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def counts(output: str) -> list[tuple]:
    return [(r["step"], r["customers"], r["dropped"], r["in_progress"]) for r in json.loads(output)]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The demo's events as CSV, a copy with one bad time on its third row, and the store's funnel."""
    folder = tmp_path_factory.mktemp("ingest-into")
    events = demo.generate(150, seed=11, days=40).events
    good, bad = folder / "events.csv", folder / "bad.csv"
    pacsv.write_csv(events.drop_columns(["properties"]), good)
    lines = good.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index('"ts"')] = '"yesterday"'
    bad.write_text("\n".join([lines[0], lines[1], lines[2], ",".join(cells)]) + "\n")
    store = folder / "store.duckdb"
    run("ingest", str(good), "--store", str(store))
    return {"good": good, "bad": bad, "funnel": counts(run("funnel", *STEPS, "--store", str(store), "-f", "json").stdout)}


def _round_trip(files: dict[str, Path], url: str, table: str) -> None:
    first = json.loads(run("ingest", str(files["good"]), "--engine", url, "--into", table, "-f", "json").stdout)
    assert first[-1]["added"] == first[-1]["rows_read"] > 0
    again = json.loads(run("ingest", str(files["good"]), "--engine", url, "--into", table, "-f", "json").stdout)
    assert (again[-1]["added"], again[-1]["duplicates"]) == (0, first[-1]["rows_read"])

    failed = run("ingest", str(files["bad"]), "--engine", url, "--into", f"{table}_bad", ok=False)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "row 3" in failed.stderr and "ts" in failed.stderr and "yesterday" in failed.stderr
    failed = run("ingest", str(files["bad"]), "--engine", url, "--into", table, ok=False)
    assert failed.returncode == 1

    funnel = run("funnel", *STEPS, "--engine", url, "--table", table, "-f", "json")
    assert counts(funnel.stdout) == files["funnel"]


def test_chdb_table_gives_the_stores_funnel(files, tmp_path):
    pytest.importorskip("chdb")
    _round_trip(files, f"chdb://{tmp_path / 'clickhouse'}", "web_events")


@pytest.mark.xdist_group("spark-connect")
def test_spark_connect_table_gives_the_stores_funnel(files, spark_connect):
    _round_trip(files, spark_connect, "web_events")
