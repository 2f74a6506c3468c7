"""``voronka models list|show|new`` through typer's CliRunner (exit codes 0, 1, 2)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app
from voronka.stage_models import builtin_models, load_model

BAD = Path(__file__).parent / "bad"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["models", *args], catch_exceptions=False)

    return invoke


def test_list_json(run) -> None:
    result = run("list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == builtin_models()
    assert {r["name"]: r["stages"] for r in rows}["journey"] == 12
    assert {r["name"]: r["title"] for r in rows}["hourglass"] == "Hourglass marketing"


def test_list_in_kazakh(run) -> None:
    rows = json.loads(run("list", "-f", "json", "--lang", "kk").stdout)
    assert {r["name"]: r["title"] for r in rows}["hourglass"] == "Құм сағат маркетингі"


def test_list_table(run) -> None:
    result = run("list")
    assert result.exit_code == 0
    assert "nine_touches" in result.stdout


def test_show_json_in_russian(run) -> None:
    result = run("show", "hourglass", "--format", "json", "--lang", "ru")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["key"] for r in rows] == ["know", "like", "trust", "try", "buy", "repeat", "refer"]
    assert rows[0]["label"] == "Знакомство"
    assert rows[5]["rule"] == "purchase (#2+)"
    assert rows[0]["action"] == "Запустить маркетинговые и рекламные кампании"
    assert rows[6]["channels"] == "digital,wom"


def test_show_csv(run) -> None:
    result = run("show", "channel_funnel", "-f", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["channels"] == "mass,ooh,tv,radio,print"
    assert len(rows) == 6


def test_show_table(run) -> None:
    result = run("show", "journey", "--lang", "kk")
    assert result.exit_code == 0
    assert "Клиент жолы" in result.stdout


def test_show_a_file(run, tmp_path: Path) -> None:
    assert run("new", "mine", "--from", "cluster", "--dir", str(tmp_path)).exit_code == 0
    rows = json.loads(run("show", str(tmp_path / "mine.yaml"), "-f", "json").stdout)
    assert [r["key"] for r in rows] == list(load_model("cluster").keys)


def test_show_unknown_model_is_a_user_error(run) -> None:
    result = run("show", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no built-in model 'nope'")
    assert result.stderr.count("\n") == 1


def test_show_bad_file_names_line_and_field(run) -> None:
    result = run("show", str(BAD / "missing_kk_label.yaml"))
    assert result.exit_code == 1
    assert "line 14" in result.stderr and "stages[1].labels.kk" in result.stderr
    assert "Traceback" not in result.output


def test_bad_usage_exits_2(run) -> None:
    assert run("show", "hourglass", "--lang", "de").exit_code == 2
    assert run("show", "hourglass", "--format", "xml").exit_code == 2
    assert run("new", "mine").exit_code == 2  # --from is required
    assert run("show").exit_code == 2


def test_new_writes_and_refuses_to_overwrite(run, tmp_path: Path) -> None:
    result = run("new", "my_funnel", "--from", "hourglass", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    path = tmp_path / "my_funnel.yaml"
    assert load_model(path).key == "my_funnel"
    again = run("new", "my_funnel", "--from", "aida", "--dir", str(tmp_path))
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert load_model(path).stages == load_model("hourglass").stages
    forced = run("new", "my_funnel", "--from", "aida", "--dir", str(tmp_path), "--force")
    assert forced.exit_code == 0
    assert load_model(path).stages == load_model("aida").stages


def test_new_from_unknown_model(run, tmp_path: Path) -> None:
    result = run("new", "x", "--from", "funnelx", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert not (tmp_path / "x.yaml").exists()
