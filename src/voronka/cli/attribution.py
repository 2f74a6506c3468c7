"""``voronka attribution``: credit per channel (or campaign) under every attribution model."""

from __future__ import annotations

import datetime as dt
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
from voronka.cli.output import emit
from voronka.cli.sources import DefinitionFileOption, SourceOptions, analyse, source_options

SHOWS = ("comparison", "credit", "spend", "transitions", "removal", "paths")


@app.command()
@user_errors
@source_options
def attribution(
    src: SourceOptions,
    models: Annotated[Optional[str], typer.Option(help="all (default), or a comma-separated list: first_touch, "
                                                       "last_touch, last_non_direct, linear, time_decay, position_based, "
                                                       "markov, shapley.")] = None,
    order: Annotated[Optional[int], typer.Option(help="Markov chain order, 1 to 4 (default 1).")] = None,
    lookback: Annotated[Optional[str], typer.Option(help="Touches at most this long before a conversion "
                                                         "(default 30d).")] = None,
    half_life: Annotated[Optional[str], typer.Option(help="Time decay: a touch this long before counts half "
                                                          "(default 7d).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="channel (default) | campaign")] = None,
    value: Annotated[str, typer.Option(help="The side-by-side table: conversions | revenue | conversion_share "
                                            "| revenue_share.")] = "conversions",
    conversion: Annotated[Optional[str], typer.Option(help="Conversion: an event, events a|b, or MODEL:STAGE "
                                                           "(default purchase).")] = None,
    first_only: Annotated[Optional[bool], typer.Option("--first-only/--every", help="First conversion per customer "
                                                       "only, or every conversion (default).")] = None,
    non_converting: Annotated[Optional[bool], typer.Option("--non-converting/--converting-only",
                                                           help="Include paths without a conversion (Markov; "
                                                                "default: include).")] = None,
    direct: Annotated[Optional[str], typer.Option(help="Channel(s) that last non-direct skips, comma-separated "
                                                       "(default direct).")] = None,
    position: Annotated[Optional[str], typer.Option(help="Position-based first,last shares (default 0.4,0.4).")] = None,
    samples: Annotated[Optional[int], typer.Option(help="Shapley: sampled orderings beyond 20 channels "
                                                        "(default 10000).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Shapley: seed of the sampled orderings (default 0).")] = None,
    date_from: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day of conversions and spend.")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day of conversions and spend.")] = None,
    show: Annotated[str, typer.Option(help=" | ".join(SHOWS))] = "comparison",
    file: DefinitionFileOption = None,
    report: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Which channels get credit for conversions and revenue, under every attribution model side by side."""
    from voronka.errors import DefinitionError
    from voronka.reports.attribution import attribution_columns, localise

    if show not in SHOWS:
        raise typer.BadParameter(f"--show takes {', '.join(SHOWS)}")
    values = {"models": models, "order": order, "lookback": lookback, "half_life": half_life, "by": by,
              "conversion": conversion, "first_only": first_only, "non_converting": non_converting, "direct": direct,
              "position": position, "samples": samples, "seed": seed,
              "date_from": date_from.date() if date_from else None, "date_to": date_to.date() if date_to else None}
    definition, result, tables = analyse("attribution", src, values, file=file, lang=lang.value)
    headers, formatters = attribution_columns(lang.value, definition.by,
                                              shares=show == "comparison" and "share" in value)
    if show == "comparison":
        from voronka.attribution import comparison

        table = comparison(result.credit, value)
    elif show == "spend" and "spend" not in tables:
        raise DefinitionError("no spend loaded: ingest a spend file first ('voronka ingest spend.csv')", field="show")
    elif show in ("transitions", "removal") and show not in tables:
        raise DefinitionError("--show transitions/removal need the markov model in --models", field="show")
    else:
        table = tables[show]
    if fmt is OutputFormat.table:
        emit(localise(table, lang.value), fmt, headers=headers, formatters=formatters)
    else:
        emit(table, fmt)
    if report is not None:
        from voronka.i18n import t
        from voronka.reports import Report
        from voronka.reports.attribution import add_attribution_sections

        add_attribution_sections(Report(t("attribution.title", lang.value), lang.value), result, lang.value).write(report)
        if fmt is OutputFormat.table:
            console.print(f"report: {report}", highlight=False)
