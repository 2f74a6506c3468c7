"""``voronka repeat``, ``retention``, ``lifecycle``, ``overdue``, ``winback`` and ``rfm``:
the loop after the purchase on the command line (definitions: docs/loop.md)."""

from __future__ import annotations

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
from voronka.cli.sources import (
    DefinitionFileOption,
    PurchaseFlag,
    SourceOptions,
    analyse,
    events_flag,
    source_options,
)
from voronka.i18n import format_percent, t



@app.command()
@user_errors
@source_options
def repeat(
    src: SourceOptions,
    show: Annotated[str, typer.Option(help="summary | counts | gaps")] = "summary",
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Repeat purchases: repeat-purchase rate, purchases per customer, days between purchases."""
    if show not in ("summary", "counts", "gaps"):
        raise typer.BadParameter("--show takes summary, counts or gaps")
    _, _, tables = analyse("repeat", src, {"purchase": events_flag(purchase)}, file=file, lang=lang.value)
    emit(tables[show], fmt, lang=lang.value)  # headers and formats: the columns' declared kinds


@app.command()
@user_errors
@source_options
def retention(
    src: SourceOptions,
    period: Annotated[str | None, typer.Option("--period", help="day | week | month (default month)")] = None,
    revenue: Annotated[bool, typer.Option("--revenue", help="Revenue retention: revenue in k / revenue in 0.")] = False,
    k_or_later: Annotated[bool, typer.Option("--k-or-later", help="Share buying in period k or any later one.")] = False,
    long: Annotated[bool, typer.Option("--long", help="One row per cohort and k, with every measure.")] = False,
    currency: Annotated[str | None, typer.Option(help="Only purchases in this currency.")] = None,
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Cohort retention by first-purchase period: cohorts as rows, k = 0, 1, 2… as columns."""
    if revenue and k_or_later:
        raise typer.BadParameter("give --revenue or --k-or-later, not both")
    _, _, tables = analyse("retention", src, {"period": period, "currency": currency,
                                              "purchase": events_flag(purchase)}, file=file, lang=lang.value)
    if long:
        emit(tables["long"], fmt, lang=lang.value)
        return
    measure = "revenue_retention" if revenue else "retention_k_or_later" if k_or_later else "retention"
    table = tables[measure]
    pct = lambda v: format_percent(v, lang.value)  # noqa: E731
    emit(table, fmt, title=t(f"loop.measure.{measure}", lang.value),
         formatters={c: pct for c in table.column_names if c.startswith("k")},
         headers={"cohort": t("loop.axis.cohort", lang.value)})


@app.command()
@user_errors
@source_options
def lifecycle(
    src: SourceOptions,
    period: Annotated[str | None, typer.Option("--period", help="day | week | month (default week)")] = None,
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Per period: new, returning, resurrecting and dormant customers (dormant as a positive count)."""
    _, _, tables = analyse("lifecycle", src, {"period": period, "purchase": events_flag(purchase)}, file=file,
                           lang=lang.value)
    emit(tables["lifecycle"], fmt, headers={"period": t("loop.axis.period", lang.value)}, lang=lang.value)


@app.command()
@user_errors
@source_options
def overdue(
    src: SourceOptions,
    factor: Annotated[float | None, typer.Option(help="Overdue when days since last > factor × own median gap "
                                                      "(default 2).")] = None,
    min_gaps: Annotated[int | None, typer.Option(help="Own rule only for customers with at least this many gaps "
                                                      "(default 2).")] = None,
    percentile: Annotated[float | None, typer.Option(help="Population rule: the percentile of all gaps "
                                                          "(default 90).")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Print the counts instead of the list.")] = False,
    model: Annotated[str | None, typer.Option(help="Stage model whose playbook gives the action "
                                                   "(default journey).")] = None,
    stage: Annotated[str | None, typer.Option(help="Its stage for drifting customers (default curiosity).")] = None,
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Customers overdue against their own usual gap or the population's, with the playbook action."""
    _, _, tables = analyse("overdue", src, {"factor": factor, "min_gaps": min_gaps, "percentile": percentile,
                                            "model": model, "stage": stage, "purchase": events_flag(purchase)},
                           file=file, lang=lang.value)
    emit(tables["summary" if summary else "customers"], fmt, lang=lang.value)


@app.command()
@user_errors
@source_options
def winback(
    src: SourceOptions,
    offer: Annotated[str | None, typer.Option(help="The win-back offer event(s), a|b (default winback_offer).")] = None,
    lapse_after: Annotated[str | None, typer.Option(help="Lapsed after this long without a purchase "
                                                         "(default 60d).")] = None,
    offer_within: Annotated[str | None, typer.Option(help="An offer up to this long after the lapse point counts "
                                                          "(default 7d).")] = None,
    return_within: Annotated[str | None, typer.Option(help="Returned when buying within this long of the offer "
                                                           "(default 60d).")] = None,
    confidence: Annotated[float | None, typer.Option(help="Confidence level of the uplift interval "
                                                          "(default 0.95).")] = None,
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Did customers who got a win-back offer come back more often than those who did not?"""
    _, result, tables = analyse("winback", src, {
        "offer": events_flag(offer), "lapse_after": lapse_after, "offer_within": offer_within,
        "return_within": return_within, "confidence": confidence, "purchase": events_flag(purchase)},
        file=file, lang=lang.value)
    if fmt is not OutputFormat.table:
        emit(tables["groups"], fmt)
        return
    emit(result.groups, fmt, formatters={"group": lambda g: t(f"loop.winback.{g}", lang.value)}, lang=lang.value)
    if result.uplift is not None:
        from voronka.reports.loop import winback_sentence

        console.print(winback_sentence(result, lang.value), highlight=False)


@app.command()
@user_errors
@source_options
def rfm(
    src: SourceOptions,
    segment: Annotated[str | None, typer.Option(help="List the customers of this segment (e.g. at_risk).")] = None,
    customers: Annotated[bool, typer.Option("--customers", help="List every scored customer.")] = False,
    currency: Annotated[str | None, typer.Option(help="Only purchases in this currency.")] = None,
    export: Annotated[Path | None, typer.Option(help="Also write the listed customers as CSV here.")] = None,
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """RFM scores 1–5 and segments: sizes and revenue, or the customers of one segment."""
    definition, _, tables = analyse("rfm", src, {"segment": segment, "currency": currency,
                                                 "purchase": events_flag(purchase)}, file=file, lang=lang.value)
    if definition.segment or customers:
        emit(tables["customers"], fmt)
    else:
        segments = tables["segments"]
        emit(segments.drop_columns(["segment"]) if fmt is OutputFormat.table else segments, fmt, lang=lang.value)
    if export is not None:
        import pyarrow.csv as pacsv

        pacsv.write_csv(tables["customers"], export)
        if fmt is OutputFormat.table:
            console.print(f"wrote {export}", highlight=False)
