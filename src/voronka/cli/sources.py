"""Where a command's events come from, declared once: ``@source_options`` adds the shared
options to a command and hands it one ``SourceOptions``; ``SourceOptions.open()`` builds the
``voronka.source.Source``.

The options: the store, event files (``--data``), or an engine (``--engine URL``) holding the
events, optionally in an existing table read through a column mapping (``--table``, ``--map``);
the time zone and "now" (``--tz``, ``--as-of``); which events count (``--since``, ``--until``,
``--where``) and what is counted (``--unit``, ``--session-gap``); the currency of amounts
without one in ``--data`` files (``--currency``, as ``voronka ingest --currency``; a command
with a ``--currency`` of its own shares it). docs/source.md defines them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from voronka.cli.app import DEFAULT_STORE, StoreOption, option_bundle
from voronka.engines import Engine
from voronka.errors import StoreError
from voronka.source import WHERE_GRAMMAR, Source


@dataclasses.dataclass(frozen=True)
class SourceOptions:
    """The shared source options as given on the command line (nothing opened yet)."""

    store: Path = Path(DEFAULT_STORE)
    data: tuple[Path, ...] = ()
    engine: str | None = None
    table: str | None = None
    mapping: str | None = None
    tz: str | None = None
    as_of: dt.datetime | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    where: tuple[str, ...] = ()
    unit: str | None = None
    session_gap: str | None = None
    currency: str | None = None

    @property
    def timezone(self) -> str:
        return self.tz or "UTC"

    def open(self) -> Source:
        """The ``Source``: filters and unit parsed (errors name the option), the engine opened."""
        events = "events"
        if self.table or self.mapping:
            from voronka.sql import mapped_events_sql, parse_mapping

            events = self.table or "events"
            if self.mapping:
                events = mapped_events_sql(events, parse_mapping(self.mapping))
        return Source.from_options(open_engine(self.store, list(self.data), self.engine, self.currency),
                                   events=events,
                                   timezone=self.tz, as_of=self.as_of, since=self.since, until=self.until,
                                   where=self.where, unit=self.unit, session_gap=self.session_gap)


def open_engine(store: Path, data: list[Path] | None, engine: str | None = None,
                currency: str | None = None) -> Engine:
    """An engine over ``data`` files (read in memory, not ingested; amounts without a currency
    in ``currency``), over ``engine``, or the store."""
    from voronka.cli.nopandas import arrow_without_pandas
    from voronka.engines.duckdb import DuckDBEngine

    if not engine or engine.lower().startswith("duckdb:"):  # DuckDB only (Spark's client uses pandas)
        arrow_without_pandas()
    if data:
        from voronka.ingest import open_table

        return DuckDBEngine(open_table("events", data, currency=currency))
    if engine:
        from voronka.engines import open_engine as open_url

        return open_url(engine)
    if not Path(store).exists():
        raise StoreError(f"{store}: no store here. Load data with 'voronka ingest FILE' or try 'voronka demo'")
    return DuckDBEngine(open_store(store).connection)


def open_store(store: Path) -> Any:
    """The store opened read-only; when a running ``voronka serve`` holds it (its live serve file
    beside it, ``voronka.served``), the server's snapshot of it, said in one line on stderr.
    Another holder: the store's one-line error."""
    from voronka.store import Store, StoreLocked

    try:
        return Store(store, read_only=True)
    except StoreLocked:
        from voronka.served import read_serve_file, snapshot

        served = read_serve_file(store)
        if served is None:
            raise
    path, taken = snapshot(served, store)
    from voronka.cli.app import err_console

    err_console.print(f"the store is held by voronka serve (pid {served.pid}); reading its snapshot of "
                      f"{taken.astimezone():%H:%M:%S}", highlight=False, soft_wrap=True)
    return Store(path, read_only=True)


EngineOption = Annotated[Optional[str], typer.Option(
    "--engine", help="Run inside this engine: clickhouse://host:8123/db, spark://host:7077, sc://host:15002, "
                     "local[4], duckdb:///file (default: the store).")]
_DAY = ["%Y-%m-%d"]
_OPTIONS: dict[str, tuple[Any, Any]] = {  # parameter → (annotation, default)
    "store": (StoreOption, Path(DEFAULT_STORE)),
    "data": (Annotated[Optional[list[Path]], typer.Option(
        "--data", help="Analyse these event files directly, without ingesting them (repeatable).")], None),
    "engine": (EngineOption, None),
    "table": (Annotated[Optional[str], typer.Option(
        "--table", "--events-table", help="Read events from this existing table of the engine.")], None),
    "mapping": (Annotated[Optional[str], typer.Option(
        "--map", help="Columns of --table: 'posthog' or SOURCE=COLUMN pairs, "
                      "e.g. distinct_id=customer_id,timestamp=ts,uuid=event_id.")], None),
    "tz": (Annotated[Optional[str], typer.Option(
        "--tz", help="Time zone of calendar days and periods, e.g. Asia/Almaty (default UTC).")], None),
    "as_of": (Annotated[Optional[dt.datetime], typer.Option(
        "--as-of", help="'Now' (UTC); default: the latest event.")], None),
    "since": (Annotated[Optional[dt.datetime], typer.Option(
        "--since", formats=_DAY, help="Only events on or after this day (in --tz).")], None),
    "until": (Annotated[Optional[dt.datetime], typer.Option(
        "--until", formats=_DAY, help="Only events on or before this day (in --tz).")], None),
    "where": (Annotated[Optional[list[str]], typer.Option(
        "--where", help=f"Only events passing this filter (repeatable, all must hold): {WHERE_GRAMMAR}; "
                        "a key is an events column or a property.")], None),
    "unit": (Annotated[Optional[str], typer.Option(
        "--unit", help="What is counted: customer (default), session, or a column or property "
                       "(e.g. session_id, company_id).")], None),
    "session_gap": (Annotated[Optional[str], typer.Option(
        "--session-gap", help="With --unit session: a session ends after more than this without events "
                              "(default 30m).")], None),
    "currency": (Annotated[Optional[str], typer.Option(
        "--currency", help="With --data: the currency of amounts without one, e.g. RUB.")], None),
}


def _source_options(values: dict[str, Any]) -> SourceOptions:
    values["since"], values["until"] = (d.date() if d else None for d in (values["since"], values["until"]))
    values["data"], values["where"] = tuple(values["data"] or ()), tuple(values["where"] or ())
    return SourceOptions(**values)


source_options = option_bundle("src", _OPTIONS, _source_options, shared=("currency",))
"""Add the shared source options to a typer command; it receives them as ``src: SourceOptions``."""


DefinitionFileOption = Annotated[Optional[Path], typer.Option(
    "--file", help="A YAML file of this analysis's options, by the names of its API parameters "
                   "(GET /v1/analyses); flags given override it.")]


def analyse(name: str, src: SourceOptions, values: dict[str, Any], *, file: Path | None = None,
            lang: str = "en") -> tuple[Any, Any, dict[str, Any]]:
    """Analysis ``name`` (``voronka.analyses``) over ``src``: the definition from ``values`` (flags
    by field name; None: not given) over ``file`` through the one spec builder, computed by the
    one verb (no source is opened for a record that ``needs_source`` not, e.g. a plan on
    typed-in rates); ``(definition, result, named result tables)``."""
    from voronka.analyses import build_definition, compute, tables

    definition = build_definition(name, {**values, "tz": src.tz, "as_of": src.as_of}, file=file, lang=lang)
    source = src.open() if getattr(definition, "needs_source", True) else None
    result = compute(source, definition)
    return definition, result, tables(definition, result)


PurchaseFlag = Annotated[Optional[str], typer.Option("--purchase", help="Purchase events: a|b (or a,b, or "
                                                                        "MODEL:STAGE; default purchase).")]
"""``--purchase`` of a command built through ``analyse`` (None: the record's default, or the file's)."""


def events_flag(text: str | None) -> str | None:
    """An events flag as older commands took it, ``a,b`` as well as ``a|b``, in the one grammar (``a|b``)."""
    return None if text is None else "|".join(e.strip() for e in text.replace(",", "|").split("|") if e.strip())
