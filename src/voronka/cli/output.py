"""Printing result tables as a terminal table, JSON or CSV."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sys
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from rich.console import Console
from rich.table import Table

from voronka.cli.app import OutputFormat, console, err_console


def emit(table: pa.Table, fmt: OutputFormat, *, title: str | None = None,
         formatters: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
         lang: str | None = None) -> None:
    """Print ``table``: ``table`` for people (``formatters`` and translated ``headers`` per
    column; with ``lang``, also those its columns declare, ``voronka.columns``), json/csv
    for machines.

    JSON is a list of row objects; CSV has a header row. Machine formats are never
    formatted or translated, so scripts get the raw values.
    """
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(table.to_pylist(), default=_json_default, ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    elif fmt is OutputFormat.csv:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink)
        sys.stdout.write(sink.getvalue().to_pybytes().decode("utf-8"))
    else:
        if lang is not None:
            from voronka.reports.tables import described_columns

            declared_headers, declared = described_columns(table.schema, lang)
            headers, formatters = {**declared_headers, **(headers or {})}, {**declared, **(formatters or {})}
        formatters = formatters or {}
        view = Table(title=title, show_lines=False, header_style="bold")
        for name in table.column_names:
            numeric = pa.types.is_integer(table.schema.field(name).type) or pa.types.is_floating(
                table.schema.field(name).type) or pa.types.is_decimal(table.schema.field(name).type)
            view.add_column((headers or {}).get(name, name), justify="right" if numeric else "left",
                            overflow="fold")
        for row in table.to_pylist():
            view.add_row(*[_cell(row[c], formatters.get(c)) for c in table.column_names])
        if console.is_terminal:
            console.print(view)
        else:  # a pipe or a file gets the table unwrapped
            Console(width=Console(width=100_000).measure(view).maximum).print(view)


def _cell(value: Any, formatter: Any) -> str:
    if value is None:
        return "—"
    if formatter is not None:
        return formatter(value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def check_steps(engine: Any, result: Any, lang: str) -> None:
    """Say when a funnel's steps match no event (``voronka.funnel.coverage``): an empty
    funnel is an error naming the events that exist; a later step matching nothing is a
    warning on stderr. Asked of the engine only when some step counts no unit."""
    if all(n > 0 for n in result.steps.column("customers").to_pylist()):
        return
    from voronka.errors import DefinitionError
    from voronka.funnel.coverage import coverage

    found = coverage(engine, result.definition)
    message = found.message(lang)
    if message is not None and found.empty:
        raise DefinitionError(message)
    if message is not None:
        err_console.print(f"[yellow]warning:[/yellow] {message}", markup=True, highlight=False, soft_wrap=True)
