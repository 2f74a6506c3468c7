"""Reports: one self-contained HTML file with charts and tables, in English, Russian or Kazakh.

    >>> from voronka.report import Report, funnel_chart
    >>> report = Report("Воронка продаж", "ru")
    >>> fig = funnel_chart(steps, "ru")  # doctest: +SKIP
    >>> report.add_section("Воронка", figure=fig, table=steps)  # doctest: +SKIP
    >>> report.write("report.html")  # doctest: +SKIP

See docs/report.md.
"""

from voronka.report.charts import (
    conversion_trend,
    funnel_chart,
    hourglass_chart,
    time_to_convert_histogram,
)
from voronka.report.html import Report, Section
from voronka.report.tables import funnel_columns, render_table

__all__ = [
    "Report",
    "Section",
    "conversion_trend",
    "funnel_chart",
    "funnel_columns",
    "hourglass_chart",
    "render_table",
    "time_to_convert_histogram",
]
