"""``voronka funnel`` and ``voronka customers``: the funnel engine on the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from voronka.cli.app import (
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    app,
    console,
    option_bundle,
    user_errors,
)
from voronka.cli.output import check_steps, emit
from voronka.cli.sources import SourceOptions, source_options
from voronka.funnel import FunnelDefinition
from voronka.funnel.spec import funnel_definition

_DAY = ["%Y-%m-%d"]
FUNNEL_OPTIONS: dict[str, tuple[Any, Any]] = {  # the funnel's flags (funnel.spec.spec_from_flags) → typer options
    "steps": (Annotated[Optional[str], typer.Option("--steps", help="Comma-separated steps; a|b = any of a, b.")],
              None),
    "model": (Annotated[Optional[str], typer.Option("--model", help="A stage model: built-in name or YAML file.")],
              None),
    "file": (Annotated[Optional[Path], typer.Option("--file", help="A funnel YAML file (flags override it).")], None),
    "window": (Annotated[Optional[str], typer.Option("--window", help="Conversion window from step 1, e.g. 30m, 7d.")],
               None),
    "order": (Annotated[Optional[str], typer.Option("--order", help="ordered | strict | unordered")], None),
    "ties": (Annotated[Optional[str], typer.Option("--ties", help="allow | strict | step_order (equal timestamps)")],
             None),
    "compat": (Annotated[Optional[str], typer.Option(
        "--compat", help="clickhouse | posthog: the options that reproduce ClickHouse's windowFunnel or "
                         "PostHog's funnels.")], None),
    "window_funnel": (Annotated[Optional[str], typer.Option(
        "--window-funnel", help="windowFunnel modes, comma-separated: strict_increase, strict_deduplication, "
                                "strict_order, allow_reentry, strict_once (with --compat clickhouse).")], None),
    "scan": (Annotated[Optional[str], typer.Option(
        "--scan", help="attempts | posthog (PostHog's scan; set by --compat posthog).")], None),
    "exclude": (Annotated[Optional[list[str]], typer.Option("--exclude", help="EVENT:FROM-TO, e.g. refund:1-3 "
                                                                            "(repeatable).")], None),
    "exclusion_scope": (Annotated[Optional[str], typer.Option("--exclusion-scope", help="attempt | customer")], None),
    "counting": (Annotated[Optional[str], typer.Option("--counting", help="customers | attempts")], None),
    "by": (Annotated[Optional[str], typer.Option("--by", help="Breakdown: a column or property, or several "
                                                              "(comma-separated).")], None),
    "attribution": (Annotated[Optional[str], typer.Option(
        "--attribution", help="first_touch | last_touch | step | all_steps; with --compat posthog also "
                              "first_non_empty | last_non_empty | step_values")], None),
    "attribution_step": (Annotated[Optional[int], typer.Option(
        "--attribution-step", help="The step for attribution 'step' or 'step_values'.")], None),
    "top": (Annotated[Optional[int], typer.Option("--top", help="Breakdown values to keep; the rest is (other).")],
            None),
    "date_from": (Annotated[Optional[dt.datetime], typer.Option("--from", formats=_DAY, help="First day of entry.")],
                  None),
    "date_to": (Annotated[Optional[dt.datetime], typer.Option("--to", formats=_DAY, help="Last day of entry.")], None),
    "cohort": (Annotated[Optional[str], typer.Option("--cohort", help="day | week | month: conversion trends.")], None),
}


@dataclasses.dataclass(frozen=True)
class FunnelFlags:
    """The funnel's flags as given (``FUNNEL_OPTIONS``)."""

    values: dict[str, Any]

    def definition(self, src: SourceOptions, lang: Lang, default_model: str | None = None) -> FunnelDefinition:
        """The one spec builder over these flags, the file, and the source's --tz/--as-of."""
        if default_model is None and not any(self.values[k] for k in ("steps", "model", "file")):
            raise typer.BadParameter("give --steps, --model or --file")
        flags = {**self.values, "timezone": src.tz, "as_of": src.as_of}
        for day in ("date_from", "date_to"):
            flags[day] = flags[day].date() if flags[day] else None
        return funnel_definition(flags, file=flags.pop("file"), lang=lang.value, default_model=default_model)

    def stage_model(self):
        """The stage model whose playbook the findings quote (``stage_model``)."""
        return stage_model(self.values["model"], self.values["steps"], self.values["file"])


def stage_model(model: str | None, steps: str | None, file: Path | None = None):
    """The stage model whose playbook findings quote: ``--model`` (else the hourglass); None
    for steps of one's own (``--steps``, or a ``--file`` without ``--model``)."""
    from voronka.stage_models import load_model

    return None if steps or (file and not model) else load_model(model or "hourglass")


funnel_options = option_bundle("flags", FUNNEL_OPTIONS, FunnelFlags)
"""Add the funnel's options to a command; it receives them as ``flags: FunnelFlags``."""


@app.command()
@user_errors
@source_options
@funnel_options
def funnel(
    src: SourceOptions,
    flags: FunnelFlags,
    show: Annotated[str, typer.Option(help="steps | histogram | trends | time_to_convert (PostHog's bins, "
                                           "step 1 to the last)")] = "steps",
    bins: Annotated[Optional[int], typer.Option(help="Bins of --show time_to_convert (1..90; default: the "
                                                      "cube root of the units, as PostHog).")] = None,
    export: Annotated[Optional[Path], typer.Option(help="Write the customers of --export-step/--export-status as CSV.")] = None,
    export_step: Annotated[int, typer.Option(help="Step for --export (1-based).")] = 1,
    export_status: Annotated[str, typer.Option(help="reached | converted | dropped | in_progress")] = "dropped",
    report: Annotated[Optional[Path], typer.Option(help="Also write a self-contained HTML report here.")] = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Compute a funnel: customers per step, conversion, drop-off, time to convert."""
    from voronka.analyses import compute

    definition = flags.definition(src, lang)
    engine = src.open()
    # unit rows only to export or for PostHog's bins
    result = compute(engine, definition, units=export is not None or show == "time_to_convert")
    check_steps(engine, result, lang.value)
    table = {"steps": result.steps, "histogram": result.histogram, "trends": result.trends}.get(show)
    if show == "time_to_convert":
        import pyarrow as pa

        from voronka.funnel.outcomes import time_to_convert

        binned = time_to_convert(definition, result.outcomes(), bin_count=bins)
        table = pa.table({"bin_start_seconds": [b for b, _ in binned], "customers": [n for _, n in binned]},
                         schema=pa.schema([("bin_start_seconds", pa.float64()), ("customers", pa.int64())]))
    if table is None:
        raise typer.BadParameter("--show takes steps, histogram, trends (trends need --cohort) or time_to_convert")
    if show == "steps" and fmt is OutputFormat.table:
        table = table.drop_columns(["step_key"] + ([] if definition.breakdown else ["breakdown"]))
    emit(table, fmt, lang=lang.value)  # headers and formats: the columns' declared kinds
    if export is not None:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result.customers(export_step, export_status), export)  # type: ignore[arg-type]
        if fmt is OutputFormat.table:
            console.print(f"wrote {export}", highlight=False)
    if report is not None:
        from voronka.explore.scan import trend_windows
        from voronka.reports import funnel_report

        funnel_report(result, lang.value, flagged=trend_windows(engine, result)).write(report)
        if fmt is OutputFormat.table:
            console.print(f"report: {report}", highlight=False)


@app.command()
@user_errors
@source_options
def customers(
    src: SourceOptions,
    model: Annotated[str, typer.Option("--model", help="A stage model: built-in name or YAML file.")] = "hourglass",
    stage: Annotated[Optional[str], typer.Option(help="Only customers at this stage (its key).")] = None,
    stuck_for: Annotated[Optional[str], typer.Option(help="Only those in their stage at least this long, e.g. 14d.")] = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Where does each customer sit? Current stage, time in it, and the playbook's next action."""
    from voronka.positions import customer_positions

    table = customer_positions(src.open(), model, lang=lang.value, stage=stage, stuck_for=stuck_for, as_of=src.as_of)
    emit(table, fmt, lang=lang.value)
