"""The reports voronka writes: analysis results laid out as sections of a
``voronka.report.Report`` (the renderer). One module per area, each with
``add_<area>_sections(report, ..., lang)``."""

from voronka.reports.funnel import add_funnel_sections, funnel_report

__all__ = ["add_funnel_sections", "funnel_report"]
