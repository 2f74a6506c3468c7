"""Reports: one self-contained HTML file with charts and tables, in English, Russian or Kazakh.

The renderer is ``html.Report`` (with ``charts`` and ``tables``); the analysis results are
laid out as its sections by one module per area, each with ``add_<area>_sections(report, ..., lang)``.

    >>> from voronka.reports import Report, funnel_chart
    >>> report = Report("Воронка продаж", "ru")
    >>> fig = funnel_chart(steps, "ru")  # doctest: +SKIP
    >>> report.add_section("Воронка", figure=fig, table=steps)  # doctest: +SKIP
    >>> report.write("report.html")  # doctest: +SKIP

See docs/report.md.
"""

from voronka.reports.charts import (
    conversion_trend,
    funnel_chart,
    hourglass_chart,
    time_to_convert_histogram,
)
from voronka.reports.html import Report, Section
from voronka.reports.tables import funnel_columns, render_table
from voronka.reports.funnel import add_funnel_sections, funnel_report

__all__ = [
    "Report",
    "Section",
    "add_funnel_sections",
    "conversion_trend",
    "funnel_chart",
    "funnel_columns",
    "funnel_report",
    "hourglass_chart",
    "render_table",
    "time_to_convert_histogram",
]
