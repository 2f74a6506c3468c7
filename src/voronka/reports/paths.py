"""Paths sections: touches before conversion, conversion by touch count, top paths, the
Sankey, and the channel × stage heatmap with its flags."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from voronka import figure as plot
from voronka.channel_stages import ChannelStages, heatmap_figure
from voronka.i18n import format_duration, format_number, format_percent, t
from voronka.messages.paths import MESSAGES
from voronka.paths import PathsResult, sankey_figure
from voronka.reports.html import Report
from voronka.reports.charts import style_figure
from voronka.touches import TouchesResult

_PERCENT = ("conversion_rate", "share_of_converted", "share_of_not_converted", "ci_low", "ci_high", "share",
            "share_of_stage", "stage_rate")


def paths_columns(table: pa.Table, lang: str) -> tuple[dict[str, str], dict[str, Any]]:
    """(headers, formatters) for any table of this area: translated headers, percents,
    yes/no, translated flags."""
    headers = {c: t(f"paths.col.{c}", lang) for c in table.column_names if f"paths.col.{c}" in MESSAGES}

    def pct(x: Any) -> str:
        return format_percent(x, lang)

    def yes_no(x: Any) -> str:
        return t("paths.yes" if x else "paths.no", lang)

    def flag(x: Any) -> str:
        return t(f"paths.flag.{x}", lang) if x else ""

    formatters: dict[str, Any] = {c: pct for c in _PERCENT}
    formatters.update({"truncated": yes_no, "recommended": yes_no, "flag": flag,
                       "p_value": lambda x: f"{x:.3g}", "mean_length": lambda x: format_number(x, lang, digits=1),
                       "converted": lambda x: yes_no(x) if isinstance(x, bool) else str(x)})
    return headers, formatters


def add_paths_sections(report: Report, lang: str, *, touches: TouchesResult | None = None,
                       paths: PathsResult | None = None, channels: ChannelStages | None = None) -> Report:
    """The sections of whichever results are given, in the order touches, paths, channels."""
    if touches is not None:
        _touches(report, touches, lang)
    if paths is not None:
        top = paths.top
        headers, formatters = paths_columns(top, lang)
        report.add_section(t("paths.top.title", lang), table=top, headers=headers, formatters=formatters)
        report.add_section(t("paths.sankey.title", lang), figure=sankey_figure(paths.sankey, lang=lang))
    if channels is not None:
        table = channels.table.drop_columns(["stage", "stage_number"])
        headers, formatters = paths_columns(table, lang)
        report.add_section(t("paths.channels.title", lang), text=t("paths.channels.text", lang),
                           figure=heatmap_figure(channels, lang=lang),
                           table=table,
                           headers=headers, formatters=formatters)
    return report


def _touches(report: Report, result: TouchesResult, lang: str) -> None:
    text = (t("paths.touches.text", lang, lookback=format_duration(result.lookback, lang)) if result.lookback
            else t("paths.touches.text_all", lang))
    table = result.by_touches.drop_columns(["bucket"])
    headers, formatters = paths_columns(table, lang)
    report.add_section(t("paths.touches.title", lang), text=text,
                       figure=touches_figure(result, lang), table=table, headers=headers, formatters=formatters)
    headers, formatters = paths_columns(result.by_range, lang)
    report.add_section(t("paths.touches.range_title", lang), table=result.by_range, headers=headers,
                       formatters=formatters)


def touches_figure(result: TouchesResult, lang: str) -> plot.Figure:
    """Bars: the distribution of touches for converted and not converted customers; a line
    (right axis): the conversion rate by number of touches."""
    rows = result.by_touches.to_pylist()
    labels = [r["label"] for r in rows]
    figure = plot.Figure()
    for column in ("share_of_converted", "share_of_not_converted"):
        figure.add_bar(x=labels, y=[r[column] for r in rows], name=t(f"paths.col.{column}", lang))
    figure.add_scatter(x=labels, y=[r["conversion_rate"] for r in rows], name=t("paths.col.conversion_rate", lang),
                       yaxis="y2", mode="lines+markers")
    return style_figure(
        figure, lang, "", height=420, barmode="group",
        xaxis={"title": t("paths.touches.touches", lang), "type": "category"},
        yaxis={"tickformat": ".0%", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1], "dtick": 0.2, "showgrid": False},
    )
