"""``voronka clv``, ``referrals`` and ``complaints``: lifetime value, the referral loop and
the distance of the cluster funnel on the command line (definitions: docs/clv.md,
docs/referrals.md, docs/distance.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from voronka.cli.app import (
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    PurchaseOption,
    ReportOption,
    app,
    console,
    event_rule,
    user_errors,
)
from voronka.cli.output import emit
from voronka.cli.sources import SourceOptions, source_options


def _show(tables: dict[str, pa.Table], show: str) -> pa.Table:
    if show not in tables:
        raise typer.BadParameter(f"--show takes {' | '.join(tables)}")
    return tables[show]


def _report(path: Path | None, fmt: OutputFormat, lang: Lang, **results) -> None:
    if path is None:
        return
    from voronka.i18n import t
    from voronka.reports import Report
    from voronka.reports.value import add_value_sections

    title = t(f"value.section.{next(k for k, v in results.items() if v is not None)}", lang.value)
    add_value_sections(Report(title, lang.value), lang.value, **results).write(path)
    if fmt is OutputFormat.table:
        console.print(f"report: {path}", highlight=False)


@app.command()
@user_errors
@source_options
def clv(
    src: SourceOptions,
    horizon: Annotated[int, typer.Option(help="Months to value.")] = 12,
    discount: Annotated[float, typer.Option(help="Monthly discount rate, e.g. 0.01.")] = 0.01,
    unit: Annotated[str, typer.Option("--time-unit", help="Time unit of the models: day | week "
                                                          "(--unit is what is counted).")] = "week",
    holdout_from: Annotated[dt.datetime | None, typer.Option("--holdout-from", formats=["%Y-%m-%d"],
                                                             help="Check the model on the days from here on.")] = None,
    margin: Annotated[float, typer.Option(help="Share of revenue that is profit (1 = value revenue).")] = 1.0,
    currency: Annotated[str | None, typer.Option(help="Currency of revenue, when purchases have several.")] = None,
    show: Annotated[str, typer.Option(help="customers | totals | parameters | holdout | by-frequency")] = "customers",
    top: Annotated[int | None, typer.Option(help="Customers to show (highest CLV first).")] = 20,
    purchase: PurchaseOption = "purchase",
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Lifetime value: BG/NBD expected purchases and P(alive), Gamma-Gamma spend, discounted CLV."""
    from voronka.clv import clv_analysis

    engine = src.open()
    result = clv_analysis(engine, horizon_months=horizon, discount=discount, unit=unit, margin=margin,
                          holdout_from=holdout_from.date() if holdout_from else None,
                          as_of=src.as_of.date() if src.as_of else None, purchase=event_rule(purchase, "--purchase"),
                          timezone=src.timezone, currency=currency)
    if show in ("holdout", "by-frequency") and result.holdout is None:
        raise typer.BadParameter("--show holdout needs --holdout-from DATE")
    tables = {"customers": result.customers.slice(0, top) if top else result.customers, "totals": result.totals,
              "parameters": result.parameters, "holdout": result.holdout, "by-frequency": result.holdout_by_frequency}
    emit(_show(tables, show), fmt, lang=lang.value)
    _report(report, fmt, lang, clv=result)


@app.command()
@user_errors
@source_options
def referrals(
    src: SourceOptions,
    commission: Annotated[float, typer.Option(help="Promoters' commission: share of their referred customers' revenue.")] = 0.1,
    period: Annotated[str, typer.Option(help="Periods of the K-factor: day | week | month.")] = "month",
    reward_property: Annotated[str, typer.Option(help="Property marking a rewarded referral (true/1/yes).")] = "rewarded",
    invite: Annotated[str, typer.Option(help="Invitation events, comma-separated.")] = "referral_invite",
    currency: Annotated[str | None, typer.Option(help="Currency of revenue, when purchases have several.")] = None,
    show: Annotated[str, typer.Option(help="summary | generations | referrers | k | comparison | tree")] = "summary",
    purchase: PurchaseOption = "purchase",
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Referrals: tree and generations, K-factor, viral cycle time, promoters' commission."""
    from voronka.referrals import referral_analysis

    engine = src.open()
    result = referral_analysis(engine, commission=commission, period=period, reward_property=reward_property,
                               invite=event_rule(invite, "--invite"), purchase=event_rule(purchase, "--purchase"),
                               timezone=src.timezone, currency=currency)
    tables = {"summary": result.summary, "generations": result.generations, "referrers": result.referrers,
              "k": result.k_factor, "comparison": result.comparison, "tree": result.customers}
    emit(_show(tables, show), fmt, lang=lang.value)
    _report(report, fmt, lang, referrals=result)


@app.command()
@user_errors
@source_options
def complaints(
    src: SourceOptions,
    churn_after: Annotated[str, typer.Option(help="No event for this long before the end = churned, e.g. 90d.")] = "90d",
    complaint: Annotated[str, typer.Option(help="Complaint events, comma-separated.")] = "complaint",
    support: Annotated[str, typer.Option(help="Support-contact events (the steps), comma-separated.")] = "support_contact",
    resolved: Annotated[str, typer.Option(help="Resolution events, comma-separated.")] = "complaint_resolved",
    show: Annotated[str, typer.Option(help="outcomes | summary")] = "outcomes",
    purchase: PurchaseOption = "purchase",
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Distance: share of customers with a complaint, steps and time to resolution, what followed."""
    from voronka.distance import distance_analysis

    engine = src.open()
    result = distance_analysis(engine, churn_after=churn_after, complaint=event_rule(complaint, "--complaint"),
                               support=event_rule(support, "--support"), resolved=event_rule(resolved, "--resolved"),
                               purchase=event_rule(purchase, "--purchase"), timezone=src.timezone)
    emit(_show({"outcomes": result.outcomes, "summary": result.summary}, show), fmt, lang=lang.value)
    _report(report, fmt, lang, distance=result)
