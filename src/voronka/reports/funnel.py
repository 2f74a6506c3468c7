"""Funnel sections: the funnel or hourglass chart, the step table, time to convert, trends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from voronka.funnel import FunnelResult
from voronka.i18n import t
from voronka.reports import charts
from voronka.reports.html import Report


def add_funnel_sections(report: Report, result: FunnelResult, lang: str, *, hourglass_split: str | None = None,
                        flagged: Sequence[tuple[dt.date, dt.date, str]] = ()) -> Report:
    """The funnel chart (an hourglass when ``hourglass_split`` names the neck stage), the
    step table, the time-to-convert histogram, and trends when the funnel has a cohort,
    with the ``flagged`` windows (first day, last day, label: ``Scan.windows``) shaded."""
    overall = result.steps
    if hourglass_split is not None:
        figure = charts.hourglass_chart(overall, lang, split_after=hourglass_split)
    else:
        figure = charts.funnel_chart(overall, lang)
    title = t("chart.hourglass.title" if hourglass_split else "chart.funnel.title", lang)
    report.add_section(title, figure=figure, table=_table(overall, result))  # headers, formats: declared
    if result.histogram.num_rows:
        report.add_section(t("chart.ttc.title", lang),
                           figure=charts.time_to_convert_histogram(result.histogram, lang,
                                                                   labels=_labels(result)))
    if result.trends is not None and result.trends.num_rows:
        report.add_section(t("chart.trend.title", lang), figure=charts.conversion_trend(result.trends, lang,
                                                                                     flagged=flagged))
    return report


def funnel_report(result: FunnelResult, lang: str, title: str | None = None,
                  flagged: Sequence[tuple[dt.date, dt.date, str]] = ()) -> Report:
    return add_funnel_sections(Report(title or t("chart.funnel.title", lang), lang), result, lang, flagged=flagged)


def _table(steps: pa.Table, result: FunnelResult) -> pa.Table:
    drop = ["step_key"] + ([] if result.definition.breakdown else ["breakdown"])
    return steps.drop_columns(drop)


def _labels(result: FunnelResult) -> dict[int, str]:
    return {i + 1: s.title for i, s in enumerate(result.definition.steps)}
