"""``voronka ingest``: load data files into the store (docs/ingest.md)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

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
    keep_repeats: Annotated[
        bool, typer.Option("--keep-repeats", help="Keep identical rows (without event_id: the row number joins the id).")
    ] = False,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Load into this engine instead of the store: clickhouse://host:8123/db, "
                         "chdb:///folder, sc://host:15002, spark://host:7077, local[2] (docs/engines.md).")] = None,
    into: Annotated[str | None, typer.Option(
        "--into", help="With --engine: the engine's table to append to (created if missing; default: the "
                       "table's own name, e.g. events).")] = None,
    store: StoreOption = Path(DEFAULT_STORE),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Load FILE... into the store (or --engine): all of them, or (on an error) none."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from voronka.ingest import load_mapping_file, parse_pairs
    from voronka.store import Store, StoreLocked

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

    if engine:
        _ingest_into_engine(engine, into, table.value, files, reject_file, fmt, mapping=mapping, tz=tz,
                            encoding=encoding, delimiter=delimiter, keep_repeats=keep_repeats, currency=currency)
        return
    if into:
        raise typer.BadParameter("--into names a table of --engine; give --engine too", param_hint="--into")
    try:
        db = Store(store)
    except StoreLocked:
        from voronka.served import read_serve_file

        served = read_serve_file(store)
        if served is None:
            raise
        summary = _ingest_through_server(served, table.value, files, reject_file, mapping=mapping, tz=tz,
                                         encoding=encoding, delimiter=delimiter, currency=currency,
                                         keep_repeats=keep_repeats)
    else:
        with db, bar:
            summary = db.ingest(table.value, files, mapping=mapping, tz=tz, encoding=encoding,
                                delimiter=delimiter, currency=currency, reject_file=reject_file,
                                progress=progress, keep_repeats=keep_repeats)
    emit(summary.to_arrow(), fmt, title=f"{table.value} → {store}")
    if summary.rejected and reject_file is not None:
        err_console.print(f"{summary.rejected} bad rows written to {reject_file}", highlight=False)


def _ingest_through_server(served: Any, table: str, files: list[Path], reject_file: Path | None, *,
                           mapping: dict[str, str], keep_repeats: bool, **options: str | None) -> Any:
    """The store is held by a running ``voronka serve``: send the file to its ``POST /v1/{table}``
    (the same pipeline, by the server's writer) with the serve file's key; the summary."""
    from voronka.errors import StoreError
    from voronka.ingest.readers import detect_format
    from voronka.ingest.summary import FileSummary, IngestSummary

    where = f"the store is held by voronka serve (pid {served.pid})"
    if reject_file is not None:
        raise typer.BadParameter(f"{where}: fix the bad rows, or stop the server", param_hint="--reject-file")
    if len(files) != 1:  # one request is one transaction: several files could not be all-or-nothing
        raise StoreError(f"{where}: ingest one file per command, or stop the server")
    file = files[0]
    if not file.is_file():
        raise StoreError(f"{file}: no such file")
    err_console.print(f"{where}; sending {file} to it", highlight=False, soft_wrap=True)
    query: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    query["format"] = detect_format(file)
    if mapping:
        query["map"] = ",".join(f"{k}={v}" for k, v in mapping.items())
    if keep_repeats:
        query["keep_repeats"] = "true"
    counts = _send(served, table, file, query)
    return IngestSummary(table, (FileSummary(str(file), counts["rows_read"], counts["added"], counts["duplicates"], 0),))


def _send(served: Any, table: str, file: Path, query: dict[str, Any]) -> dict[str, int]:
    from voronka.errors import StoreError
    from voronka.served import ServerAnswer, ingest_file

    try:
        return ingest_file(served, table, file, query)
    except ServerAnswer as exc:
        if exc.status == 422:  # the pipeline's located message, naming the file as a local ingest would
            raise StoreError(exc.message) from None
        raise


def _ingest_into_engine(url: str, into: str | None, table: str, files: list[Path], reject_file: Path | None,
                        fmt: OutputFormat, **options: Any) -> None:
    from voronka.engines import WritableEngine, open_engine
    from voronka.errors import StoreError
    from voronka.ingest.engine import ingest_into_engine

    if reject_file is not None:
        raise typer.BadParameter("not with --engine: fix the bad rows, or load them into a store first",
                                 param_hint="--reject-file")
    target = open_engine(url)
    if not isinstance(target, WritableEngine):
        raise StoreError(f"{url}: voronka ingests into ClickHouse, chdb or Spark; for DuckDB use --store")
    summary = ingest_into_engine(target, table, files, name=into, **options)
    emit(summary.to_arrow(), fmt, title=f"{table} → {url} {into or table}")


@app.command()
@user_errors
def optimize(store: StoreOption = Path(DEFAULT_STORE)) -> None:
    """Sort a copy of the store's events in funnel order, so funnels on a large store read no more than their steps.

    Funnels use the copy while it matches the events and aliases (docs/performance.md, "The funnel
    layout"); an ingest leaves it out of date, and funnels take their usual way, with the
    same results, until the next `voronka optimize`."""
    import time

    from voronka.store import Store, StoreLocked

    started = time.perf_counter()
    try:
        opened = Store(store)
    except StoreLocked:
        from voronka.served import optimize as optimize_served
        from voronka.served import read_serve_file

        served = read_serve_file(store)
        if served is None:
            raise
        err_console.print(f"the store is held by voronka serve (pid {served.pid}); it rebuilds the layout",
                          highlight=False, soft_wrap=True)
        events = optimize_served(served)["events"]
    else:
        with opened:
            opened.refresh_layout()
            events = opened.count("events")
    err_console.print(f"{store}: {events:,} events in funnel order ({time.perf_counter() - started:.1f} s)",
                      highlight=False, soft_wrap=True)
