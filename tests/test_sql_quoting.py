"""The one quoting of SQL text (voronka.sql: literal, literals, identifier): hostile strings
come back unchanged through real engines (DuckDB and ClickHouse in-process), and text
holding a NUL is refused with a clear error."""

from __future__ import annotations

import pytest

from tests.backends import engine_for, event
from voronka.errors import DefinitionError
from voronka.sql import identifier, literal, literals

HOSTILE = [
    "O'Brien", "''", "'", "a''b", "back\\slash\\", "\\'", "\\", 'double"quote', '"', "'; DROP TABLE events; --",
    "/* comment */", "line\nbreak\ttab\r", "Қазақ тілі", "Ёжик в тумане", "日本語", "🎉 emoji", "$1 ? %s {x}",
    "e\u0301", "\u202eright-to-left", "",
]


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])
def test_hostile_literals_and_identifiers_round_trip(backend):
    engine = engine_for([event("a", 0, "visit")], backend)
    columns = ", ".join(f"{literal(s)} AS {identifier(f'c{i}')}" for i, s in enumerate(HOSTILE))
    row = engine.query(f"SELECT {columns}").to_pylist()[0]
    assert [row[f"c{i}"] for i in range(len(HOSTILE))] == HOSTILE
    names = [s for s in HOSTILE if s]  # an identifier cannot be empty
    table = engine.query("SELECT " + ", ".join(f"{i} AS {identifier(s)}" for i, s in enumerate(names)))
    assert table.column_names == names


def test_a_hostile_value_filters_as_a_value_not_as_sql():
    engine = engine_for([event("a", 0, "O'Brien"), event("b", 0, "visit")])
    hit = engine.query(f"SELECT customer_id FROM events WHERE event IN ({literals(['O' + chr(39) + 'Brien', 'x'])})")
    assert hit.column("customer_id").to_pylist() == ["a"]
    none = engine.query(f"SELECT count(*) AS n FROM events WHERE event = {literal(chr(39) + ' OR 1=1 --')}")
    assert none.column("n").to_pylist() == [0]


def test_other_values():
    assert literal(None) == "NULL" and literal(True) == "TRUE" and literal(3) == "3" and literal(0.5) == "0.5"
    assert literals([]) == ""


@pytest.mark.parametrize("quote", [literal, identifier])
def test_nul_is_refused_with_a_clear_error(quote):
    with pytest.raises(DefinitionError, match=r"'a\\\\0b': text with a NUL character"):
        quote("a\x00b")


def test_a_filter_with_a_nul_is_a_located_error_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from voronka.cli import app

    data = tmp_path / "events.csv"
    data.write_text("customer_id;ts;event\nu1;2026-01-01 10:00;visit\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["funnel", "--data", str(data), "--steps", "visit",
                                      "--where", "event=a\x00b"])
    assert result.exit_code == 1 and "NUL" in result.output and "Traceback" not in result.output
