"""``voronka money``, ``voronka planfact`` and ``voronka deals``: channel economics, plan vs
fact, and the CRM deals funnel on the command line (docs/money.md, docs/crm.md)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from voronka.cli.app import (
    DEFAULT_STORE,
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    PurchaseOption,
    ReportOption,
    StoreOption,
    app,
    console,
    event_rule,
    user_errors,
)
from voronka.cli.output import emit
from voronka.cli.sources import (
    DefinitionFileOption,
    EngineOption,
    PurchaseFlag,
    SourceOptions,
    events_flag,
    open_engine,
    source_options,
)
from voronka.engines import Engine
from voronka.source import Source


class By(str, Enum):
    channel = "channel"
    campaign = "campaign"


class DealsBy(str, Enum):
    pipeline = "pipeline"
    manager = "manager"


SpendOption = Annotated[
    list[Path] | None, typer.Option("--spend", help="Spend files (CSV/XLSX) to use instead of the store's spend.")
]
RatesOption = Annotated[
    Path | None, typer.Option("--rates", help="Currency rates file: date, currency, rate (units of --base).")
]
BaseOption = Annotated[str | None, typer.Option("--base", help="The currency --rates converts to, e.g. KZT.")]
LeadOption = Annotated[str, typer.Option("--lead", help="Lead events: a|b|c (or a,b,c).")]


def _source(src: SourceOptions, spend: list[Path] | None) -> Source:
    """The source, with the ``spend`` files (when given) loaded into its engine as its spend."""
    source = src.open()
    if spend:
        from voronka.ingest import read_table
        from voronka.schema import SPEND

        source.engine.load(SPEND, read_table("spend", spend))  # type: ignore[attr-defined]
    return source


def _rates(rates: Path | None) -> pa.Table | None:
    if rates is None:
        return None
    from voronka.ingest import read_table

    return read_table("rates", [rates])


def _clv(path: Path | None) -> pa.Table | None:
    if path is None:
        return None
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from voronka.errors import InputError

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pq.read_table(path)
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"customer_id": pa.string(), "currency": pa.string()}))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"cannot read the CLV table: {exc}", file=str(path)) from None


def _write_report(path: Path | None, lang: str, fmt: OutputFormat, **sections) -> None:
    if path is None:
        return
    from voronka.i18n import t
    from voronka.reports import Report
    from voronka.reports.money import add_money_sections

    economics = sections.pop("economics", None)
    title = t("money.section.deals" if economics is None and "deals" in sections else "money.section.channels", lang)
    add_money_sections(Report(title, lang), economics, lang, **sections).write(path)
    if fmt is OutputFormat.table:
        console.print(f"report: {path}", highlight=False)


@app.command()
@user_errors
@source_options
def money(
    src: SourceOptions,
    by: Annotated[By, typer.Option("--by", help="channel | campaign")] = By.channel,
    date_from: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")] = None,
    margin: Annotated[float | None, typer.Option("--margin", help="Gross margin share for ROI and payback, e.g. 0.3.")] = None,
    rates: RatesOption = None,
    base: BaseOption = None,
    clv: Annotated[Path | None, typer.Option("--clv", help="CSV/Parquet of customer_id, clv[, currency]: LTV/CAC.")] = None,
    lead: LeadOption = "lead_magnet|callback_request|consultation",
    purchase: PurchaseOption = "purchase",
    totals: Annotated[bool, typer.Option("--totals", help="Show the totals per currency instead.")] = False,
    report: ReportOption = None,
    spend: SpendOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Channel economics: spend, leads, new customers, CPL, CPA, revenue, ROMI, ROI, payback."""
    from voronka.money import channel_economics

    result = channel_economics(
        _source(src, spend), by=by.value,
        date_from=date_from.date() if date_from else None, date_to=date_to.date() if date_to else None,
        lead=event_rule(lead, "--lead"), purchase=event_rule(purchase, "--purchase"), margin=margin,
        rates=_rates(rates), base=base, clv=_clv(clv), timezone=src.timezone,
    )
    emit(result.totals if totals else result.table, fmt, lang=lang.value)
    _write_report(report, lang.value, fmt, economics=result)


@app.command()
@user_errors
@source_options
def planfact(
    src: SourceOptions,
    plan_file: Annotated[Path | None, typer.Argument(help="CSV/XLSX: month, channel, spend, leads, sales[, currency] "
                                                          "(or the plan's lines in --file).")] = None,
    rates: RatesOption = None,
    base: BaseOption = None,
    lead: Annotated[str | None, typer.Option("--lead", help="Lead events: a|b|c (or a,b,c; default "
                                                            "lead_magnet|callback_request|consultation).")] = None,
    purchase: PurchaseFlag = None,
    file: DefinitionFileOption = None,
    report: ReportOption = None,
    spend: SpendOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Plan versus fact per month and channel: spend, leads, sales, deviation, % of plan."""
    from voronka.analyses import build_definition, compute, tables

    plan = None
    if plan_file is not None:
        from voronka.ingest import read_table

        plan = read_table("plan", [plan_file]).drop_columns(["row_id"]).to_pylist()
    definition = build_definition("planfact", {"plan": plan, "lead": events_flag(lead),
                                               "purchase": events_flag(purchase), "base": base}, file=file)
    table = tables(definition, compute(_source(src, spend), definition, rates=_rates(rates)))["lines"]
    emit(table, fmt, lang=lang.value)
    _write_report(report, lang.value, fmt, plan=table)


class Show(str, Enum):
    stages = "stages"
    outcomes = "outcomes"
    stuck = "stuck"
    plan = "plan"


@app.command()
@user_errors
def deals(
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline.")] = None,
    by: Annotated[DealsBy, typer.Option("--by", help="pipeline | manager")] = DealsBy.pipeline,
    stuck_for: Annotated[str, typer.Option("--stuck-for", help="Open in a stage this long is stuck, e.g. 14d.")] = "14d",
    as_of: Annotated[dt.datetime | None, typer.Option("--as-of", help="'Now' (UTC); default: the latest change.")] = None,
    stages: Annotated[str | None, typer.Option("--stages", help="Stage order, comma-separated (default: first seen).")] = None,
    show: Annotated[Show, typer.Option("--show", help="stages | outcomes | stuck | plan (needs --target)")] = Show.stages,
    target: Annotated[float | None, typer.Option("--target", help="Won deals per manager per month: each "
                                                    "manager's plan from the backwards plan.")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="Analyse these CRM exports directly.")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Time zone of --file times, e.g. Asia/Almaty.")] = None,
    report: ReportOption = None,
    engine_url: EngineOption = None,
    store: StoreOption = Path(DEFAULT_STORE),
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """The CRM deals funnel: stage conversion, time in stage, stuck deals, win rate."""
    from voronka.crm import deal_pipeline

    if file:
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.ingest import open_table

        engine: Engine = DuckDBEngine(open_table("deals", file, tz=tz))
    else:
        engine = open_engine(store, None, engine_url)
    order = [s.strip() for s in stages.split(",") if s.strip()] if stages else None
    result = deal_pipeline(engine, pipeline=pipeline, by=by.value, stage_order=order, stuck_for=stuck_for,
                           as_of=as_of)
    plans = None
    if target is not None:
        from voronka.crm import manager_plans

        plans = manager_plans(result, target)
    elif show is Show.plan:
        raise typer.BadParameter("--show plan needs --target (won deals per manager per month)")
    tables = {"stages": result.stages, "outcomes": result.outcomes, "stuck": result.stuck, "plan": plans}
    emit(tables[show.value], fmt, lang=lang.value)
    _write_report(report, lang.value, fmt, deals=result, manager_plans=plans)
