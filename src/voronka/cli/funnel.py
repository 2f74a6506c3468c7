"""``voronka funnel`` and ``voronka customers``: the funnel engine on the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from voronka.cli.app import (
    DEFAULT_STORE,
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    StoreOption,
    app,
    console,
    user_errors,
)
from voronka.cli.output import check_steps, emit
from voronka.cli.sources import DataOption, EngineOption, MapOption, TableOption, open_engine
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel, load_funnel, parse_exclusion_flag


@app.command()
@user_errors
def funnel(
    steps: Annotated[Optional[str], typer.Option("--steps", help="Comma-separated steps; a|b = any of a, b.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="A stage model: built-in name or YAML file.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="A funnel YAML file (flags override it).")] = None,
    window: Annotated[Optional[str], typer.Option(help="Conversion window from step 1, e.g. 30m, 7d.")] = None,
    order: Annotated[Optional[str], typer.Option(help="ordered | strict | unordered")] = None,
    ties: Annotated[Optional[str], typer.Option(help="allow | strict (equal timestamps)")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option(help="EVENT:FROM-TO, e.g. refund:1-3 (repeatable).")] = None,
    exclusion_scope: Annotated[Optional[str], typer.Option(help="attempt | customer")] = None,
    counting: Annotated[Optional[str], typer.Option(help="customers | attempts")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Breakdown: a column or property.")] = None,
    attribution: Annotated[Optional[str], typer.Option(help="first_touch | last_touch | step | all_steps")] = None,
    attribution_step: Annotated[Optional[int], typer.Option(help="The step for attribution 'step'.")] = None,
    top: Annotated[Optional[int], typer.Option(help="Breakdown values to keep; the rest is (other).")] = None,
    date_from: Annotated[Optional[dt.datetime], typer.Option("--from", formats=["%Y-%m-%d"], help="First day of entry.")] = None,
    date_to: Annotated[Optional[dt.datetime], typer.Option("--to", formats=["%Y-%m-%d"], help="Last day of entry.")] = None,
    tz: Annotated[Optional[str], typer.Option("--tz", help="Time zone of dates and periods, e.g. Asia/Almaty.")] = None,
    cohort: Annotated[Optional[str], typer.Option(help="day | week | month: conversion trends.")] = None,
    as_of: Annotated[Optional[dt.datetime], typer.Option(help="'Now' for in-progress (UTC).")] = None,
    show: Annotated[str, typer.Option(help="steps | histogram | trends")] = "steps",
    export: Annotated[Optional[Path], typer.Option(help="Write the customers of --export-step/--export-status as CSV.")] = None,
    export_step: Annotated[int, typer.Option(help="Step for --export (1-based).")] = 1,
    export_status: Annotated[str, typer.Option(help="reached | converted | dropped | in_progress")] = "dropped",
    report: Annotated[Optional[Path], typer.Option(help="Also write a self-contained HTML report here.")] = None,
    data: DataOption = None,
    engine_url: EngineOption = None,
    events_table: TableOption = None,
    mapping: MapOption = None,
    store: StoreOption = Path(DEFAULT_STORE),
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Compute a funnel: customers per step, conversion, drop-off, time to convert."""
    flags: dict[str, Any] = {
        "window": window, "order": order, "ties": ties, "exclusion_scope": exclusion_scope,
        "counting": counting, "timezone": tz, "cohort": cohort, "as_of": as_of,
        "date_from": date_from.date() if date_from else None, "date_to": date_to.date() if date_to else None,
    }
    if steps:
        flags["steps"] = [s for s in steps.split(",") if s.strip()]
    if model:
        flags["model"] = model
    if exclude:
        flags["exclusions"] = [parse_exclusion_flag(x) for x in exclude]
    if by or attribution or top or attribution_step:
        flags["breakdown"] = {k: v for k, v in {"field": by, "attribution": attribution, "step": attribution_step,
                                                  "top": top}.items() if v is not None}
    flags = {k: v for k, v in flags.items() if v is not None}
    if file is not None:
        definition = load_funnel(file, overrides=flags, lang=lang.value)
    elif "steps" not in flags and "model" not in flags:
        raise typer.BadParameter("give --steps, --model or --file")
    else:
        definition = build_funnel(flags, lang=lang.value)

    engine = open_engine(store, data, engine_url, events_table, mapping)
    result = compute_funnel(engine, definition, units=export is not None)  # unit rows only to export
    check_steps(engine, result, lang.value)
    table = {"steps": result.steps, "histogram": result.histogram, "trends": result.trends}.get(show)
    if table is None:
        raise typer.BadParameter("--show takes steps, histogram or trends (trends need --cohort)")
    if show == "steps" and fmt is OutputFormat.table:
        from voronka.report import funnel_columns

        headers, formatters = funnel_columns(lang.value)
        emit(table.drop_columns(["step_key"] + ([] if definition.breakdown else ["breakdown"])), fmt,
             formatters=formatters, headers=headers)
    else:
        emit(table, fmt)
    if export is not None:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result.customers(export_step, export_status), export)  # type: ignore[arg-type]
        if fmt is OutputFormat.table:
            console.print(f"wrote {export}", highlight=False)
    if report is not None:
        from voronka.reports import funnel_report

        funnel_report(result, lang.value).write(report)
        if fmt is OutputFormat.table:
            console.print(f"report: {report}", highlight=False)


@app.command()
@user_errors
def customers(
    model: Annotated[str, typer.Option("--model", help="A stage model: built-in name or YAML file.")] = "hourglass",
    stage: Annotated[Optional[str], typer.Option(help="Only customers at this stage (its key).")] = None,
    stuck_for: Annotated[Optional[str], typer.Option(help="Only those in their stage at least this long, e.g. 14d.")] = None,
    as_of: Annotated[Optional[dt.datetime], typer.Option(help="'Now' (UTC); default: the latest event.")] = None,
    data: DataOption = None,
    engine_url: EngineOption = None,
    events_table: TableOption = None,
    mapping: MapOption = None,
    store: StoreOption = Path(DEFAULT_STORE),
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Where does each customer sit? Current stage, time in it, and the playbook's next action."""
    from voronka.positions import customer_positions

    table = customer_positions(open_engine(store, data, engine_url, events_table, mapping), model, lang=lang.value, stage=stage,
                               stuck_for=stuck_for, as_of=as_of)
    emit(table, fmt)
