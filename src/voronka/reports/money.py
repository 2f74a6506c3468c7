"""Money sections: "Channels and money" (per-channel table, CPA/ROMI chart, totals, plan
vs fact) and the deals pipeline (stage funnel, win rate, stuck deals).

The figures are built here from the result tables of ``voronka.money`` and
``voronka.crm``; every label comes from ``voronka.messages.money`` in en/ru/kk.
"""

from __future__ import annotations

import html
from typing import Any

import pyarrow as pa

from voronka import figure as plot
from voronka.crm import DealPipeline
from voronka.i18n import format_date, format_datetime, format_number, format_percent, t
from voronka.money import PLAN_METRICS, ChannelEconomics
from voronka.reports.html import Report
from voronka.reports.charts import style_figure

PERCENT = ("romi", "roi", "conversion", "win_rate")
MONEY = ("spend", "cpl", "cpa", "revenue", "revenue_to_date", "ltv")


def money_columns(lang: str, names: list[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """(headers, formatters) for the columns ``names`` of a money or deals table."""
    headers: dict[str, str] = {}
    formatters: dict[str, Any] = {}
    for name in names:
        base, _, part = name.rpartition("_")
        if part in ("plan", "fact", "deviation", "pct") and base in PLAN_METRICS:
            metric = t("money.sales" if base == "sales" else f"money.{base}", lang)
            headers[name] = t(f"money.{part}", lang, metric=metric)
            formatters[name] = _percent(lang) if part == "pct" else _number(lang, 0 if base != "spend" else 2)
            continue
        headers[name] = t(f"money.{name}", lang)
        if name in PERCENT:
            formatters[name] = _percent(lang)
        elif name in MONEY:
            formatters[name] = _number(lang, 2)
        elif name in ("ltv_cac", "median_days", "p90_days", "days_in_stage"):
            formatters[name] = _number(lang, 1)
        elif name == "conversion_from_previous":
            formatters[name] = _percent(lang)
        elif name in ("month",):
            formatters[name] = lambda v: f"{v:%Y-%m}"
        elif name == "entered_at":
            formatters[name] = lambda v: format_datetime(v, lang)
    return headers, formatters


def _percent(lang: str):
    return lambda v: format_percent(v, lang)


def _number(lang: str, digits: int):
    return lambda v: format_number(v, lang, digits=digits)


def _labelled(table: pa.Table, lang: str) -> dict[str, Any]:
    headers, formatters = money_columns(lang, table.column_names)
    return {"table": table, "headers": headers, "formatters": formatters}


def cpa_romi_chart(economics: ChannelEconomics, lang: str) -> plot.Figure:
    """Bars: CPA per group (left axis, in each row's currency) and ROMI (right axis, %)."""
    rows = [r for r in economics.table.to_pylist() if r["spend"]]
    names = [html.escape(" / ".join(str(r[k]) for k in ("channel", "campaign") if k in r)
                         + (f" ({r['currency']})" if r["currency"] else "")) for r in rows]
    figure = plot.make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(plot.Bar(x=names, y=[r["cpa"] for r in rows], name=t("money.cpa", lang), offsetgroup="0",
                              hovertext=[format_number(r["cpa"], lang, digits=2) if r["cpa"] is not None else "—"
                                       for r in rows], hoverinfo="x+text"), secondary_y=False)
    figure.add_trace(plot.Bar(x=names, y=[r["romi"] for r in rows], name=t("money.romi", lang), offsetgroup="1",
                              hovertext=[format_percent(r["romi"], lang) if r["romi"] is not None else "—"
                                       for r in rows], hoverinfo="x+text"), secondary_y=True)
    style_figure(figure, lang, t("money.chart.cpa_romi", lang), barmode="group")
    figure.update_yaxes(title_text=t("money.cpa", lang), secondary_y=False)
    figure.update_yaxes(title_text=t("money.romi", lang), tickformat=".0%", secondary_y=True)
    return figure


def deals_chart(pipeline: DealPipeline, lang: str) -> plot.Figure:
    """Horizontal bars: deals that reached each stage, one trace per pipeline (and manager)."""
    figure = plot.Figure()
    traces: dict[str, list[dict]] = {}
    for r in pipeline.stages.to_pylist():
        name = r["pipeline"] + (f" · {r['manager'] or '—'}" if "manager" in r else "")
        traces.setdefault(name, []).append(r)
    for name, rows in traces.items():
        figure.add_trace(plot.Bar(
            y=[html.escape(r["stage"]) for r in rows], x=[r["reached"] for r in rows], orientation="h",
            name=html.escape(name or "—"),
            text=[format_percent(r["conversion"], lang) if r["conversion"] is not None else "" for r in rows],
        ))
    return style_figure(figure, lang, t("money.chart.deals", lang), barmode="group", yaxis={"autorange": "reversed"})


def add_money_sections(report: Report, economics: ChannelEconomics | None, lang: str, *,
                       plan: pa.Table | None = None, deals: DealPipeline | None = None,
                       manager_plans: pa.Table | None = None) -> Report:
    """"Channels and money" (table, CPA/ROMI chart, totals, plan vs fact) and the deals pipeline
    (stage funnel, win rate, stuck deals, each manager's plan)."""
    if economics is not None:
        text = t("money.section.channels.text", lang, start=format_date(economics.date_from, lang),
                 end=format_date(economics.date_to, lang))
        report.add_section(t("money.section.channels", lang), text=text, figure=cpa_romi_chart(economics, lang),
                           **_labelled(economics.table, lang))
        report.add_section(t("money.section.totals", lang), **_labelled(economics.totals, lang))
    if plan is not None:
        report.add_section(t("money.section.planfact", lang), **_labelled(plan, lang))
    if deals is not None:
        text = t("money.section.deals.text", lang, as_of=format_datetime(deals.as_of, lang),
                 days=format_number(deals.stuck_for.total_seconds() / 86400, lang))
        report.add_section(t("money.section.deals", lang), text=text, figure=deals_chart(deals, lang),
                           **_labelled(deals.stages, lang))
        report.add_section(t("money.section.outcomes", lang), **_labelled(deals.outcomes, lang))
        if deals.stuck.num_rows:
            report.add_section(t("money.section.stuck", lang), **_labelled(deals.stuck, lang))
    if manager_plans is not None:
        report.add_section(t("money.section.manager_plans", lang), **_labelled(manager_plans, lang))
    return report
