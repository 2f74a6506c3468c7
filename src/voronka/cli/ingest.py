"""``voronka ingest``: load data files into the store (docs/ingest.md)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from voronka.cli.app import (
    DEFAULT_STORE,
    FormatOption,
    OutputFormat,
    StoreOption,
    app,
    err_console,
    user_errors,
)
from voronka.cli.output import emit


class TableName(str, Enum):
    events = "events"
    spend = "spend"
    aliases = "aliases"
    deals = "deals"


@app.command()
@user_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(
        help="CSV, TSV, XLSX, Parquet or NDJSON(.gz) files; a first word events|spend|aliases|deals names "
             "the table (voronka ingest deals export.csv).")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="canonical=input column, e.g. customer_id=client_id (repeatable)."),
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping-file", help="A YAML/JSON object of canonical: input names.")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="Time zone of times without an offset, e.g. Asia/Almaty.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Text encoding (default: sniffed; UTF-8 or cp1251).")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option("--delimiter", help="CSV delimiter (default: sniffed among , ; tab |).")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="Currency of amounts without one, e.g. RUB; kept as the "
                                                     "store's default for later ingests.")
    ] = None,
    table: Annotated[TableName, typer.Option("--table", help="The table to load.")] = TableName.events,
    reject_file: Annotated[
        Path | None,
        typer.Option("--reject-file", help="Write bad rows here (CSV) and load the rest, instead of stopping."),
    ] = None,
    store: StoreOption = Path(DEFAULT_STORE),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Load FILE... into the store: all of them, or (on an error) none."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from voronka.ingest import load_mapping_file, parse_pairs
    from voronka.store import Store

    if len(files) > 1 and str(files[0]) in TableName.__members__ and not files[0].exists():
        table, files = TableName(str(files[0])), files[1:]
    mapping = load_mapping_file(mapping_file) if mapping_file else {}
    mapping.update(parse_pairs(map_ or []))
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err_console, transient=True, disable=not err_console.is_terminal)
    tasks: dict[str, int] = {}

    def progress(file: str, done: int, total: int) -> None:
        if file not in tasks:
            tasks[file] = bar.add_task(Path(file).name, total=total)
        bar.update(tasks[file], completed=done, total=total)

    with Store(store) as db, bar:
        summary = db.ingest(table.value, files, mapping=mapping, tz=tz, encoding=encoding,
                            delimiter=delimiter, currency=currency, reject_file=reject_file, progress=progress)
    emit(summary.to_arrow(), fmt, title=f"{table.value} → {store}")
    if summary.rejected and reject_file is not None:
        err_console.print(f"{summary.rejected} bad rows written to {reject_file}", highlight=False)
