"""``--currency`` with ``--data``: amounts without a currency in files analysed directly are
in that currency, as ``voronka ingest --currency`` does; a command with a ``--currency`` of
its own (diagnose: the currency of the check) shares it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from voronka.cli import app

runner = CliRunner()


@pytest.fixture
def roubles(tmp_path):
    data = tmp_path / "sales.csv"
    data.write_text("customer_id;ts;event;revenue\nu1;2026-01-01 10:00;visit;\nu1;2026-01-01 10:05;purchase;1 234,56\n"
                    "u2;2026-01-01 11:00;visit;\nu3;2026-01-02 11:00;visit;\nu3;2026-01-02 11:30;purchase;100\n",
                    encoding="utf-8")
    return data


def test_amounts_without_a_currency_need_one(roubles):
    result = runner.invoke(app, ["funnel", "--data", str(roubles), "--steps", "visit,purchase"])
    assert result.exit_code == 1
    assert "row 2" in result.output and "--currency" in result.output


def test_currency_applies_to_the_data_files(roubles):
    result = runner.invoke(app, ["funnel", "--data", str(roubles), "--steps", "visit,purchase", "--currency", "руб",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["customers"] for r in json.loads(result.stdout)] == [3, 2]


def test_a_commands_own_currency_is_shared_with_the_data(roubles):
    result = runner.invoke(app, ["diagnose", "--data", str(roubles), "--steps", "visit,purchase", "--currency", "RUB",
                                 "--show", "cells", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "visit → purchase" in result.stdout


def test_an_unknown_currency_is_named(roubles):
    result = runner.invoke(app, ["funnel", "--data", str(roubles), "--steps", "visit,purchase", "--currency", "XXQ"])
    assert result.exit_code == 1 and "'XXQ' is not a currency code" in result.output
