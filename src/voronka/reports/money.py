"""Money sections: "Channels and money" (per-channel table, CPA/ROMI chart, totals, plan
vs fact) and the deals pipeline (stage funnel, win rate, stuck deals).

The figures are built here from the result tables of ``voronka.money`` and
``voronka.crm``; every label comes from ``voronka.messages.money`` in en/ru/kk, the tables'
headers and number formats from their declared columns (``voronka.columns``).
"""

from __future__ import annotations

import html

import pyarrow as pa

from voronka import figure as plot
from voronka.crm import DealPipeline
from voronka.i18n import format_date, format_datetime, format_number, format_percent, t
from voronka.money import ChannelEconomics
from voronka.reports.html import Report
from voronka.reports.charts import style_figure


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
                           table=economics.table)
        report.add_section(t("money.section.totals", lang), table=economics.totals)
    if plan is not None:
        report.add_section(t("money.section.planfact", lang), table=plan)
    if deals is not None:
        text = t("money.section.deals.text", lang, as_of=format_datetime(deals.as_of, lang),
                 days=format_number(deals.stuck_for.total_seconds() / 86400, lang))
        report.add_section(t("money.section.deals", lang), text=text, figure=deals_chart(deals, lang),
                           table=deals.stages)
        report.add_section(t("money.section.outcomes", lang), table=deals.outcomes)
        if deals.stuck.num_rows:
            report.add_section(t("money.section.stuck", lang), table=deals.stuck)
    if manager_plans is not None:
        report.add_section(t("money.section.manager_plans", lang), table=manager_plans)
    return report
