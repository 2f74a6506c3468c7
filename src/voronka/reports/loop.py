"""Loop sections ("after the purchase"): repeat summary, retention heatmap, lifecycle
chart, RFM segments, drifting customers and the win-back comparison.

    add_loop_sections(report, compute_loop(engine, timezone="Asia/Almaty"), lang)

The figures are built here (plotly, labelled for ``lang``); the numbers come from
``voronka.loop``. Every argument of ``LoopResults`` is optional: missing ones add no section.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from voronka import figure as plot
from voronka.i18n import format_date, format_money, format_number, format_percent, t
from voronka.loop import LoopResults
from voronka.loop.drift import WinbackResult
from voronka.loop.retention import RetentionResult
from voronka.reports.html import Report
from voronka.reports.charts import PALETTE

_STATE_COLOURS = {"new": PALETTE[0], "returning": PALETTE[2], "resurrecting": PALETTE[1], "dormant": PALETTE[3]}


def add_loop_sections(report: Report, results: LoopResults, lang: str) -> Report:
    """Add a section for each result present in ``results``."""
    def pct(v: float) -> str:
        return format_percent(v, lang)

    def one(v: float) -> str:
        return format_number(v, lang, digits=1)

    def money(v: float) -> str:
        return format_money(v, results.currency, lang) if results.currency else format_number(v, lang, digits=2)

    if results.repeat is not None:
        headers = {k: t(f"loop.col.{k}", lang) for k in
                   ("repeat_rate", "repeat_customers", "occasions", "occasions_per_customer", "gaps",
                    "median_gap_days", "mean_gap_days")} | {"customers": t("loop.axis.customers", lang)}
        report.add_section(t("loop.section.repeat", lang), figure=purchase_count_chart(results.repeat.counts, lang),
                           table=results.repeat.summary, headers=headers,
                           formatters={"repeat_rate": pct, "occasions_per_customer": one, "median_gap_days": one,
                                       "mean_gap_days": one})
    if results.retention is not None and results.retention.table.num_rows:
        report.add_section(t("loop.section.retention", lang),
                           figure=retention_heatmap(results.retention, lang, "retention"),
                           text=t("loop.retention.note", lang))
    if results.lifecycle is not None and results.lifecycle.num_rows:
        report.add_section(t("loop.section.lifecycle", lang), figure=lifecycle_chart(results.lifecycle, lang))
    if results.rfm is not None:
        table = results.rfm.segments.drop_columns(["segment"])
        report.add_section(t("loop.section.rfm", lang), figure=rfm_chart(results.rfm.segments, lang), table=table,
                           headers={"label": t("loop.col.segment", lang), "share": t("loop.col.share", lang),
                                    "revenue_share": t("loop.col.revenue_share", lang),
                                    "customers": t("loop.axis.customers", lang), "revenue": t("loop.axis.revenue", lang)}
                           | {k: t(f"loop.col.{k}", lang) for k in ("mean_recency_days", "mean_frequency", "mean_monetary")},
                           formatters={"share": pct, "revenue_share": pct, "mean_recency_days": one,
                                       "mean_frequency": one,
                                       "revenue": money, "mean_monetary": money})
    if results.overdue is not None:
        text = winback_sentence(results.winback, lang) if results.winback is not None else None
        report.add_section(t("loop.section.overdue", lang), table=results.overdue.summary, text=text,
                           headers={k: t(f"loop.col.{k}", lang) for k in ("overdue", "overdue_own", "overdue_population")}
                           | {"customers": t("loop.axis.customers", lang),
                              "population_threshold_days": t("loop.col.threshold", lang)})
    return report


def winback_sentence(result: WinbackResult, lang: str) -> str | None:
    """The win-back comparison in one sentence (None without both groups)."""
    if result.uplift is None:
        return None
    rates = {r["group"]: r["return_rate"] for r in result.groups.to_pylist()}
    return t("loop.winback.summary", lang, targeted=format_percent(rates["targeted"], lang),
             control=format_percent(rates["not_targeted"], lang), uplift=format_percent(result.uplift, lang),
             confidence=format_percent(result.confidence, lang, 0), low=format_percent(result.ci_low, lang),
             high=format_percent(result.ci_high, lang), p=f"{result.p_value:.2g}")


def retention_heatmap(result: RetentionResult, lang: str, measure: str = "retention") -> plot.Figure:
    """Cohorts (rows, oldest on top) × k (columns); incomplete cells are blank."""
    matrix = result.matrix(measure)
    ks = [c for c in matrix.column_names if c.startswith("k")]
    rows = matrix.to_pylist()
    z = [[r[k] for k in ks] for r in rows]
    labels = [f"{format_date(r['cohort'], lang)} ({r['cohort_customers']})" for r in rows]
    text = [[format_percent(v, lang) if v is not None else "" for v in line] for line in z]
    fig = plot.Figure(plot.Heatmap(z=z, x=[k[1:] for k in ks], y=labels, text=text, texttemplate="%{text}",
                                   colorscale="Blues", zmin=0, zmax=1 if measure != "revenue_retention" else None,
                                   hoverongaps=False, showscale=False))
    fig.update_yaxes(autorange="reversed", title=t("loop.axis.cohort", lang), type="category")
    fig.update_xaxes(title=t("loop.axis.k", lang), type="category")
    return _layout(fig, t(f"loop.measure.{measure}", lang), height=max(320, 28 * len(rows) + 140))


def lifecycle_chart(table: pa.Table, lang: str) -> plot.Figure:
    """Stacked bars per period: new, returning, resurrecting above zero, dormant below."""
    rows = table.to_pylist()
    x = [format_date(r["period"], lang) for r in rows]
    fig = plot.Figure()
    for state in ("new", "returning", "resurrecting", "dormant"):
        sign = -1 if state == "dormant" else 1
        fig.add_bar(name=t(f"loop.state.{state}", lang), x=x, y=[sign * r[state] for r in rows],
                    marker_color=_STATE_COLOURS[state])
    fig.update_layout(barmode="relative")
    fig.update_yaxes(title=t("loop.axis.customers", lang))
    return _layout(fig, t("loop.section.lifecycle", lang))


def rfm_chart(segments: pa.Table, lang: str) -> plot.Figure:
    """Share of customers and of revenue per RFM segment (horizontal bars)."""
    rows = segments.to_pylist()
    labels = [r["label"] for r in rows]
    fig = plot.Figure()
    for column, colour in (("share", PALETTE[0]), ("revenue_share", PALETTE[1])):
        values = [r[column] or 0.0 for r in rows]
        fig.add_bar(name=t(f"loop.col.{column}", lang), y=labels, x=values, orientation="h", marker_color=colour,
                    text=[format_percent(v, lang) for v in values], textposition="auto")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat=".0%")
    return _layout(fig, t("loop.section.rfm", lang), height=max(360, 34 * len(rows) + 120))


def purchase_count_chart(counts: pa.Table, lang: str) -> plot.Figure:
    """Customers by number of purchase occasions."""
    rows = counts.to_pylist()
    fig = plot.Figure(plot.Bar(x=[str(r["occasions"]) for r in rows], y=[r["customers"] for r in rows],
                               marker_color=PALETTE[0], text=[format_percent(r["share"], lang) for r in rows]))
    fig.update_xaxes(title=t("loop.col.occasions", lang), type="category")
    fig.update_yaxes(title=t("loop.axis.customers", lang))
    return _layout(fig, t("loop.section.repeat", lang))


def _layout(fig: plot.Figure, title: str, **extra: Any) -> plot.Figure:
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"}, template="plotly_white",
                      margin={"l": 20, "r": 20, "t": 60, "b": 40},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0}, **extra)
    return fig


__all__ = ["add_loop_sections", "lifecycle_chart", "purchase_count_chart", "retention_heatmap", "rfm_chart",
           "winback_sentence"]
