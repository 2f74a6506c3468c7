"""``voronka repeat|retention|lifecycle|overdue|winback|rfm`` on a real store (CliRunner)."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from voronka.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    path = folder / "demo.duckdb"
    result = runner.invoke(app, ["demo", "--customers", "1500", "--store", str(path),
                                 "--report", str(folder / "r.html"), "--format", "json"])
    assert result.exit_code == 0, result.output
    return str(path)


def run(*args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_repeat_json(store):
    summary = json.loads(run("repeat", "--store", store, "--format", "json", "--tz", "Asia/Almaty"))[0]
    assert summary["customers"] > 100 and 0.45 < summary["repeat_rate"] < 0.75
    counts = json.loads(run("repeat", "--store", store, "--format", "json", "--show", "counts"))
    assert sum(r["customers"] for r in counts) == summary["customers"]


def test_retention_matrix_variants(store):
    plain = list(csv.DictReader(run("retention", "--store", store, "--period", "month", "--format", "csv").splitlines()))
    assert plain[0]["cohort"] == "2026-01-01" and float(plain[0]["k0"]) == 1.0
    assert plain[-1]["k0"] == ""  # the month running at as_of: NULL
    later = json.loads(run("retention", "--store", store, "--k-or-later", "--format", "json"))
    assert all(a is None or b is None or a >= b for r in later for a, b in zip(
        [r[f"k{k}"] for k in range(9)], [r[f"k{k}"] for k in range(1, 10)]))
    revenue = json.loads(run("retention", "--store", store, "--revenue", "--format", "json"))
    assert revenue[0]["k0"] == 1.0
    long = json.loads(run("retention", "--store", store, "--period", "week", "--long", "--format", "json"))
    assert {"retention", "retention_k_or_later", "revenue_retention"} <= set(long[0])
    table = run("retention", "--store", store, "--lang", "ru")
    assert "Удержание в периоде k" in table


def test_lifecycle_and_overdue(store):
    rows = json.loads(run("lifecycle", "--store", store, "--period", "month", "--format", "json"))
    assert rows[0]["new"] > 0 and rows[0]["returning"] == 0 and rows[-1]["complete"] is False
    overdue = list(csv.DictReader(run("overdue", "--store", store, "--format", "csv", "--lang", "kk").splitlines()))
    assert overdue and all(r["overdue_own"] == "true" or r["overdue_population"] == "true" for r in overdue)
    assert overdue[0]["action"].startswith("Бонустық бағдарлама ұсыну")
    summary = json.loads(run("overdue", "--store", store, "--summary", "--format", "json"))[0]
    assert summary["overdue"] == len(overdue)


def test_winback_and_rfm_export(store, tmp_path):
    groups = json.loads(run("winback", "--store", store, "--format", "json"))
    assert [g["group"] for g in groups] == ["targeted", "not_targeted"]
    assert groups[0]["return_rate"] > groups[1]["return_rate"] and groups[0]["uplift"] > 0
    assert "uplift" in run("winback", "--store", store)
    segments = json.loads(run("rfm", "--store", store, "--format", "json"))
    buyers = json.loads(run("repeat", "--store", store, "--format", "json"))[0]["customers"]
    assert len(segments) == 11 and sum(s["customers"] for s in segments) == buyers
    out = tmp_path / "at_risk.csv"
    listed = list(csv.DictReader(run("rfm", "--store", store, "--segment", "at_risk", "--format", "csv",
                                     "--export", str(out)).splitlines()))
    at_risk = next(s for s in segments if s["segment"] == "at_risk")["customers"]
    assert len(listed) == at_risk and {r["segment"] for r in listed} == {"at_risk"}
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == at_risk


def test_user_errors_exit_1(store):
    for args in (["rfm", "--segment", "vip"], ["retention", "--period", "year"], ["lifecycle", "--tz", "Mars/Base"]):
        result = runner.invoke(app, [*args, "--store", store])
        assert result.exit_code == 1, result.output
        assert "error:" in result.output


def test_events_from_a_file_without_ingesting(tmp_path):
    from voronka import demo

    files = demo.write(demo.generate(300), tmp_path)
    rows = json.loads(run("lifecycle", "--data", str(files["events"]), "--period", "month", "--format", "json",
                          "--tz", "Asia/Almaty", "--as-of", "2026-06-01"))
    assert rows[-1]["period"] == "2026-06-01" and rows[-1]["complete"] is False
    assert rows[-2]["complete"] is True
    blank = runner.invoke(app, ["repeat", "--purchase", " ", "--data", str(files["events"])])
    assert blank.exit_code == 1 and "purchase" in blank.output
