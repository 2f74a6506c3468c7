"""``voronka attribution``: credit per channel (or campaign) under every attribution model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

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
from voronka.cli.sources import SourceOptions, source_options

SHOWS = ("comparison", "credit", "spend", "transitions", "removal", "paths")


@app.command()
@user_errors
@source_options
def attribution(
    src: SourceOptions,
    models: Annotated[str, typer.Option(help="all, or a comma-separated list: first_touch, last_touch, "
                                              "last_non_direct, linear, time_decay, position_based, markov, shapley.")] = "all",
    order: Annotated[int, typer.Option(help="Markov chain order, 1 to 4.")] = 1,
    lookback: Annotated[str, typer.Option(help="Touches at most this long before a conversion, e.g. 30d.")] = "30d",
    half_life: Annotated[str, typer.Option(help="Time decay: a touch this long before counts half, e.g. 7d.")] = "7d",
    by: Annotated[str, typer.Option("--by", help="channel | campaign")] = "channel",
    value: Annotated[str, typer.Option(help="The side-by-side table: conversions | revenue | conversion_share "
                                            "| revenue_share.")] = "conversions",
    conversion: Annotated[str, typer.Option(help="Conversion: an event, events a|b, or MODEL:STAGE.")] = "purchase",
    first_only: Annotated[bool, typer.Option("--first-only/--every", help="First conversion per customer only, "
                                                                           "or every conversion.")] = False,
    non_converting: Annotated[bool, typer.Option("--non-converting/--converting-only",
                                                 help="Include paths without a conversion (Markov).")] = True,
    direct: Annotated[str, typer.Option(help="Channel(s) that last non-direct skips, comma-separated.")] = "direct",
    position: Annotated[str, typer.Option(help="Position-based first,last shares, e.g. 0.4,0.4.")] = "0.4,0.4",
    samples: Annotated[int, typer.Option(help="Shapley: sampled orderings beyond 20 channels.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Shapley: seed of the sampled orderings.")] = 0,
    date_from: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day of conversions and spend.")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day of conversions and spend.")] = None,
    show: Annotated[str, typer.Option(help=" | ".join(SHOWS))] = "comparison",
    report: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Which channels get credit for conversions and revenue, under every attribution model side by side."""
    from voronka.attribution import AttributionSettings, compute_attribution, parse_models
    from voronka.errors import DefinitionError
    from voronka.reports.attribution import attribution_columns, localise
    from voronka.rules import PURCHASE
    from voronka.touches import parse_rule, positive_duration

    if show not in SHOWS:
        raise typer.BadParameter(f"--show takes {', '.join(SHOWS)}")
    try:
        first, last = (float(x) for x in position.split(","))
    except ValueError:
        raise DefinitionError(f"--position {position!r}: two shares, e.g. 0.4,0.4", field="position") from None
    settings = AttributionSettings(
        models=parse_models(models), order=order, half_life=positive_duration(half_life, "half_life"),
        direct=tuple(d.strip() for d in direct.split(",") if d.strip()), position=(first, last),
        include_non_converting=non_converting, samples=samples, seed=seed)
    engine = src.open()
    result = compute_attribution(
        engine, settings=settings, by=by, conversion=parse_rule(conversion, PURCHASE),
        first_only=first_only, lookback=lookback, date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None)
    headers, formatters = attribution_columns(lang.value, by, shares=show == "comparison" and "share" in value)
    if show == "comparison":
        from voronka.attribution import comparison

        table = comparison(result.credit, value)
    elif show == "credit":
        table = result.credit
    elif show == "spend":
        if result.spend is None:
            raise DefinitionError("no spend loaded: ingest a spend file first ('voronka ingest spend.csv')",
                                  field="show")
        table = result.spend
    elif show == "paths":
        table = result.journeys
    else:
        if result.markov is None:
            raise DefinitionError("--show transitions/removal need the markov model in --models", field="show")
        if show == "transitions":
            table = result.markov.chain.transition_matrix()
        else:
            import pyarrow as pa

            table = pa.table({"channel": list(result.markov.removal_effects),
                              "removal_effect": list(result.markov.removal_effects.values())})
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
