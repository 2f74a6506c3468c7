"""``voronka report``: every analysis the data supports, in one self-contained HTML file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from voronka.cli.app import Lang, LangOption, app, console, user_errors
from voronka.cli.funnel import FunnelFlags, funnel_options
from voronka.cli.sources import SourceOptions, source_options


@app.command()
@user_errors
@source_options
@funnel_options
def report(
    src: SourceOptions,
    flags: FunnelFlags,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("voronka-report.html"),
    title: Annotated[Optional[str], typer.Option(help="The report's title.")] = None,
    holdout_from: Annotated[Optional[dt.datetime], typer.Option(
        formats=["%Y-%m-%d"], help="Check the lifetime-value model on purchases from this day on.")] = None,
    target: Annotated[int, typer.Option(help="Sales target per month for the plan section.")] = 10,
    sellers: Annotated[int, typer.Option(min=1, help="Sellers sharing the target.")] = 1,
    rates: Annotated[Optional[str], typer.Option(
        "--rates", help="Conversions stage to stage for the plan, e.g. 0.3,0.5,0.2 (default: measured).")] = None,
    lang: LangOption = Lang.en,
) -> None:
    """Write the full report: the funnel (default: the hourglass), weak links and plan, paths,
    attribution, money, retention, value; analyses the data cannot support are listed with the reason."""
    from voronka.plan import parse_rates
    from voronka.i18n import t
    from voronka.reports.full import full_report

    definition = flags.definition(src, lang, default_model="hourglass")
    built = full_report(src.open(), lang.value,
                        title=title or t("report.full_title", lang.value), timezone=src.timezone,
                        holdout_from=holdout_from.date() if holdout_from else None,
                        plan_target=target, plan_sellers=sellers, funnel=definition,
                        model=flags.stage_model(), rates=parse_rates(rates) if rates is not None else None,
                        exclusive=True)
    built.report.write(output)
    for name, reason in built.skipped.items():
        console.print(f"skipped {name}: {reason}", highlight=False)
    console.print(f"report: {output}", highlight=False)
