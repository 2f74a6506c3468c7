"""``voronka diagnose``, ``voronka whatif`` and ``voronka plan``: weak links, what-if and the
backwards plan on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from voronka.cli.app import (
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    app,
    console,
    user_errors,
)
from voronka.cli.funnel import FunnelFlags, funnel_options
from voronka.cli.output import check_steps, emit
from voronka.cli.sources import DefinitionFileOption, SourceOptions, analyse, source_options

ModelOption = Annotated[Optional[str], typer.Option("--model", help="A stage model: built-in name or YAML file "
                                                                    "(default: hourglass).")]
StepsOption = Annotated[Optional[str], typer.Option("--steps", help="Comma-separated steps instead of a model.")]
WindowOption = Annotated[Optional[str], typer.Option(help="Conversion window from step 1, e.g. 30d.")]
CheckOption = Annotated[Optional[float], typer.Option("--check", help="Average revenue per buyer "
                                                                      "(default: measured from the data).")]
ValueStepOption = Annotated[Optional[str], typer.Option("--value-step", help="The step where customers become "
                                                                              "buyers (default: the purchase step).")]


@app.command()
@user_errors
@source_options
@funnel_options
def diagnose(
    src: SourceOptions,
    flags: FunnelFlags,
    compare_previous: Annotated[Optional[str], typer.Option(help="Compare the last period of this length (e.g. 30d; "
                                                                 "with --from/--to: that period) with the one before.")] = None,
    alpha: Annotated[Optional[float], typer.Option(help="Significance level for the BH q-values (default 0.05).")] = None,
    check: CheckOption = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency of --check, e.g. KZT.")] = None,
    value_step: ValueStepOption = None,
    show: Annotated[str, typer.Option(help="findings | flagged | cells | changes")] = "findings",
    report: Annotated[Optional[Path], typer.Option(help="Also write a self-contained HTML report here.")] = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Where the funnel loses customers: conversion per transition and segment with 95% intervals,
    the cells significantly worse than the rest (BH-adjusted), ranked by what they cost."""
    from voronka.analyses import build_definition, compute, tables as named_tables

    if show not in ("findings", "flagged", "cells", "changes"):
        raise typer.BadParameter("--show takes findings, flagged, cells or changes")
    if show == "changes" and not compare_previous:
        raise typer.BadParameter("--show changes needs --compare-previous (with --from and --to: their period)")
    values = {**flags.values, "tz": src.tz, "as_of": src.as_of, "alpha": alpha, "check": check, "currency": currency,
              "value_step": value_step, "compare_previous": compare_previous}
    for day in ("date_from", "date_to"):
        values[day] = values[day].date() if values[day] else None
    file = values.pop("file")  # a funnel file, which may also hold diagnose's own options
    definition = build_definition("diagnose", values, file=file, lang=lang.value)
    engine = src.open()
    result = compute(engine, definition)
    tables = named_tables(definition, result)
    check_steps(engine, result.funnel, lang.value)
    if show == "findings":
        if fmt is OutputFormat.table:
            for f in result.findings:
                console.print("• " + f.sentence(), highlight=False, soft_wrap=True)
        else:
            emit(tables["findings"], fmt)
    elif show in ("flagged", "cells"):
        cells = tables[show]
        if fmt is OutputFormat.table:
            from voronka.reports.diagnose import TABLE_COLUMNS, cell_columns

            columns = [c for c in TABLE_COLUMNS if c != "segment" or result.links.breakdown]
            emit(cells.select(columns), fmt, **cell_columns(lang.value, result.links.revenue.currency))
        else:
            emit(cells, fmt)
    elif result.changes is not None:
        if fmt is OutputFormat.table:
            from voronka.reports.diagnose import CHANGE_COLUMNS, cell_columns

            emit(result.changes.table.select(CHANGE_COLUMNS), fmt, **cell_columns(lang.value, None))
        else:
            emit(result.changes.table, fmt)
    if report is not None:
        from voronka.i18n import t
        from voronka.reports import Report
        from voronka.reports.diagnose import add_diagnose_sections

        add_diagnose_sections(Report(t("diagnose.section.lose", lang.value), lang.value), result, lang.value,
                              currency=result.links.revenue.currency).write(report)
        if fmt is OutputFormat.table:
            console.print(f"report: {report}", highlight=False)


@app.command()
@user_errors
@source_options
def whatif(
    src: SourceOptions,
    stage: Annotated[Optional[str], typer.Option("--stage", help="Raise the conversion INTO this stage (key or "
                                                                 "number).")] = None,
    points: Annotated[Optional[float], typer.Option("--points", help="By this many percentage points.")] = None,
    rates: Annotated[Optional[str], typer.Option(help="Typed-in rates, e.g. 0.3,0.5,0.2 (no data needed).")] = None,
    entrants: Annotated[Optional[float], typer.Option(help="Customers at the first stage (with --rates).")] = None,
    stages: Annotated[Optional[str], typer.Option("--stages", help="Names of the stages for typed-in rates.")] = None,
    model: ModelOption = None,
    steps: StepsOption = None,
    window: WindowOption = None,
    check: CheckOption = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency of the check, e.g. KZT.")] = None,
    value_step: ValueStepOption = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """What if a stage converted better: extra customers at every later stage and extra revenue."""
    _, result, tables = analyse("whatif", src, {
        "stage": stage, "points": points, "rates": rates, "entrants": entrants, "stages": stages, "model": model,
        "steps": steps, "window": window, "check": check, "currency": currency, "value_step": value_step},
        file=file, lang=lang.value)
    if fmt is OutputFormat.table:
        from voronka.reports.diagnose import plan_columns, what_if_summary

        emit(tables["stages"].drop_columns(["step"]), fmt, **plan_columns(lang.value))
        console.print(what_if_summary(result, lang.value, result.currency), highlight=False, soft_wrap=True)
    else:
        emit(tables["stages"], fmt)


@app.command()
@user_errors
@source_options
def plan(
    src: SourceOptions,
    target: Annotated[Optional[float], typer.Option("--target", help="Sales (or revenue with --revenue) per "
                                                                     "period.")] = None,
    per: Annotated[Optional[str], typer.Option("--per", help="seller | team: whom the target is for "
                                                             "(default seller).")] = None,
    period: Annotated[Optional[str], typer.Option("--period", help="day | week | month (default month)")] = None,
    sellers: Annotated[Optional[int], typer.Option("--sellers", help="Number of sellers (default 1).")] = None,
    rates: Annotated[Optional[str], typer.Option("--rates", help="Conversions stage to stage, e.g. 0.3,0.5,0.2, or "
                                                                 "'measured' (from the data; the default).")] = None,
    stages: Annotated[Optional[str], typer.Option("--stages", help="Names of the stages for typed-in rates, "
                                                                   "e.g. contact,meeting,proposal,deal.")] = None,
    check: Annotated[Optional[float], typer.Option("--check", help="Average check (revenue per sale).")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency of the check, e.g. KZT.")] = None,
    revenue: Annotated[Optional[bool], typer.Option("--revenue", help="The target is revenue, not sales.")] = None,
    working_days: Annotated[Optional[int], typer.Option(help="Working days per month (default 21).")] = None,
    month: Annotated[Optional[str], typer.Option(help="Count the working days (Mon–Fri) of this month, "
                                                      "e.g. 2026-03.")] = None,
    model: ModelOption = None,
    steps: StepsOption = None,
    window: WindowOption = None,
    value_step: ValueStepOption = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """The backwards plan: how many contacts, meetings, ... each seller needs per working day to
    reach a target. With typed-in --rates no data is needed. Volumes are rounded up."""
    definition, result, tables = analyse("plan", src, {
        "target": target, "per": per, "period": period, "sellers": sellers, "rates": rates, "stages": stages,
        "check": check, "currency": currency, "revenue": revenue, "working_days": working_days, "month": month,
        "model": model, "steps": steps, "window": window, "value_step": value_step}, file=file, lang=lang.value)
    if fmt is OutputFormat.table:
        from voronka.reports.diagnose import plan_columns, plan_summary

        emit(tables["stages"].drop_columns(["step"]), fmt, **plan_columns(lang.value))
        console.print(plan_summary(result, definition.period, lang.value, result.currency), highlight=False,
                      soft_wrap=True)
    else:
        emit(tables["stages"], fmt)
