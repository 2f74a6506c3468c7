"""``voronka touches``, ``voronka paths`` and ``voronka channels``: touches before
conversion, customer paths, and channels by stage (docs/paths.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voronka.cli.app import (
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    ReportOption,
    app,
    console,
    user_errors,
)
from voronka.cli.output import emit
from voronka.cli.sources import DefinitionFileOption, SourceOptions, analyse, source_options

ConversionOption = Annotated[
    str | None,
    typer.Option("--to", help="Conversion: an event, events a|b, or MODEL:STAGE (default: purchase)."),
]


def _emit(table, fmt: OutputFormat, lang: Lang, label: str | None = None) -> None:
    """``table`` with translated headers; ``label`` names its ``label`` column instead."""
    from voronka.reports.paths import paths_columns

    headers, formatters = paths_columns(table, lang.value)
    if label:
        headers["label"] = label
    emit(table, fmt, headers=headers, formatters=formatters, lang=lang.value)


def _write_report(path: Path | None, title: str, fmt: OutputFormat, lang: Lang, **results) -> None:
    if path is None:
        return
    from voronka.reports import Report
    from voronka.reports.paths import add_paths_sections

    add_paths_sections(Report(title, lang.value), lang.value, **results).write(path)
    if fmt is OutputFormat.table:
        console.print(f"report: {path}", highlight=False)


@app.command()
@user_errors
@source_options
def touches(
    src: SourceOptions,
    to: ConversionOption = None,
    lookback: Annotated[str | None, typer.Option(help="Count touches this long before conversion, e.g. 30d; "
                                                      "'all': no limit (default 30d).")] = None,
    among: Annotated[str | None, typer.Option(help="Only customers with this event (a|b, MODEL:STAGE) before converting.")] = None,
    show: Annotated[str, typer.Option(help="touches | channels | ranges | summary")] = "touches",
    cap: Annotated[int | None, typer.Option(help="The last bucket: this many touches or more (default 10).")] = None,
    file: DefinitionFileOption = None,
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Touches before conversion: how many, how many channels, and conversion by touch count."""
    from voronka.i18n import t

    if show not in ("touches", "channels", "ranges", "summary"):
        raise typer.BadParameter("--show takes touches, channels, ranges or summary")
    _, result, tables = analyse("touches", src, {"conversion": to, "lookback": lookback, "among": among, "cap": cap},
                                file=file, lang=lang.value)
    table = tables[show]
    _emit(table.drop_columns(["bucket"]) if "bucket" in table.column_names and fmt is OutputFormat.table else table,
          fmt, lang, t("paths.touches.channels", lang.value) if show == "channels" else None)
    _write_report(report, t("paths.touches.title", lang.value), fmt, lang, touches=result)


@app.command()
@user_errors
@source_options
def paths(
    src: SourceOptions,
    to: ConversionOption = None,
    from_event: Annotated[str | None, typer.Option("--after", "--from", help="Show the steps after each customer's "
                                                                          "first EVENT.")] = None,
    until: Annotated[str | None, typer.Option("--before", help="Show the steps before each customer's first EVENT "
                                                               "(--until is the shared last day).")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Steps to show: after/before the event, or the longest "
                                                              "path kept (default 6).")] = None,
    by: Annotated[str | None, typer.Option(help="What a step is: event | channel.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Steps are the stages of this model.")] = None,
    map_steps: Annotated[str | None, typer.Option("--steps-map", help="Rename events: EVENT=STEP,… (STEP empty: leave out).")] = None,
    keep_repeats: Annotated[bool, typer.Option("--keep-repeats", help="Do not merge consecutive equal steps.")] = False,
    lookback: Annotated[str | None, typer.Option(help="Only steps this long before the path's end, e.g. 30d.")] = None,
    top: Annotated[int | None, typer.Option(help="Paths to show per group (default 10).")] = None,
    show: Annotated[str, typer.Option(help="top | lengths | sankey")] = "top",
    file: DefinitionFileOption = None,
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Customer paths: top paths to conversion and to drop-off, or the steps around an event."""
    from voronka.i18n import t

    if by not in (None, "event", "channel"):
        raise typer.BadParameter("--by takes event or channel")
    if from_event and until:
        raise typer.BadParameter("give --after or --before, not both")
    if show not in ("top", "lengths", "sankey"):
        raise typer.BadParameter("--show takes top, lengths or sankey")
    values = {"conversion": to, "after": from_event, "before": until, "max_steps": steps, "by": by, "model": model,
              "steps_map": map_steps, "keep_repeats": keep_repeats or None, "lookback": lookback, "top": top}
    definition, result, tables = analyse("paths", src, values, file=file, lang=lang.value)
    if definition.after or definition.before:
        _emit(tables["sankey" if show == "sankey" else "steps"], fmt, lang)
        return
    _emit(tables[show], fmt, lang)
    _write_report(report, t("paths.top.title", lang.value), fmt, lang, paths=result)


@app.command()
@user_errors
@source_options
def channels(
    src: SourceOptions,
    model: Annotated[str, typer.Option("--model", help="A stage model: built-in name or YAML file.")] = "channel_funnel",
    by: Annotated[str, typer.Option(help="entry (the channel of the event entering the stage) | first_touch")] = "entry",
    min_customers: Annotated[int, typer.Option(help="Flag only channels with at least this many entries.")] = 30,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only the cells where data and article disagree.")] = False,
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Channels by stage: who brings customers into each stage, how each converts onward,
    and where the data disagrees with the recommended channels."""
    from voronka.channel_stages import compute_channel_stages
    from voronka.i18n import t

    result = compute_channel_stages(src.open(), model, by=by,  # type: ignore[arg-type]
                                    lang=lang.value, min_customers=min_customers, as_of=src.as_of)
    table = result.flagged if flagged else result.table
    if fmt is OutputFormat.table:
        table = table.drop_columns(["stage", "stage_number"])
    _emit(table, fmt, lang)
    _write_report(report, t("paths.channels.title", lang.value), fmt, lang, channels=result)
