"""Diagnose sections: "Where you lose customers" (conversion per transition with its 95 %
interval, the flagged cells ranked by cost, the findings), the changes against the
previous period, "What if" and "Plan"."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from voronka import figure as plot
from voronka.diagnose import Diagnosis
from voronka.diagnose.findings import format_p
from voronka.i18n import format_money, format_number, format_percent, t
from voronka.plan import Plan, WhatIf
from voronka.reports.html import Report
from voronka.reports.charts import PALETTE

MAX_SEGMENTS_CHARTED = 8
TABLE_COLUMNS = ("rank", "label", "segment", "trials", "rate", "ci_low", "ci_high", "reference_rate", "q",
                 "customers_lost", "buyers_lost", "value_lost")
"""The columns of a weak-links table shown to people."""
CHANGE_COLUMNS = ("label", "segment", "previous_trials", "previous_rate", "trials", "rate", "change", "method", "p", "q")


def add_diagnose_sections(report: Report, diagnosis: Diagnosis | None, lang: str, *, plan: Plan | None = None,
                          what_if: WhatIf | None = None, period: str = "month", currency: str | None = None) -> Report:
    """Add the sections of whatever is given: a diagnosis, a what-if, a plan."""
    if diagnosis is not None:
        links = diagnosis.links
        flagged = links.flagged()
        text = "\n\n".join(f.sentence() for f in diagnosis.findings if f.kind in ("transition", "segment", "none"))
        report.add_section(t("diagnose.section.lose", lang), text=text, figure=interval_chart(links.cells, lang),
                           table=_cells_table(flagged, links.breakdown is not None),
                           **cell_columns(lang, links.revenue.currency))
        if diagnosis.changes is not None:
            changes = diagnosis.changes
            text = "\n\n".join(f.sentence() for f in diagnosis.findings if f.kind in ("change", "no_change"))
            rows = changes.significant()
            table = pa.Table.from_pylist(rows, schema=changes.table.schema).select(CHANGE_COLUMNS) if rows else None
            report.add_section(t("diagnose.section.changes", lang), text=text or None, table=table,
                               **cell_columns(lang, None))
    if what_if is not None:
        report.add_section(t("diagnose.section.whatif", lang), text=what_if_summary(what_if, lang, currency),
                           table=what_if.table.drop_columns(["step"]), **plan_columns(lang))
    if plan is not None:
        report.add_section(t("diagnose.section.plan", lang), text=plan_summary(plan, period, lang, currency),
                           table=plan.table.drop_columns(["step"]), **plan_columns(lang))
    return report


def what_if_summary(what_if: WhatIf, lang: str, currency: str | None = None) -> str:
    """One sentence: the raised stage, the points, the extra customers at the value stage and revenue."""
    stages = what_if.table.column("stage").to_pylist()
    extra = what_if.table.column("extra_customers")[what_if.value_stage - 1].as_py()
    revenue = "" if what_if.extra_revenue is None else t(
        "diagnose.whatif.revenue", lang, revenue=_money(what_if.extra_revenue, currency, lang))
    return t("diagnose.whatif.summary", lang, stage=stages[what_if.stage - 1], points=format_number(what_if.points, lang),
             extra=format_number(extra, lang, digits=1), value_stage=stages[what_if.value_stage - 1], revenue=revenue)


def plan_summary(plan: Plan, period: str, lang: str, currency: str | None = None) -> str:
    """One sentence: the team's sales (and revenue) per period, rounding, working days."""
    revenue = "" if plan.team_revenue is None else t(
        "diagnose.plan.revenue", lang, revenue=_money(plan.team_revenue, currency, lang))
    return t("diagnose.plan.summary", lang, sales=format_number(plan.team_sales, lang, digits=1).rstrip("0").rstrip(".,"),
             period=t(f"diagnose.period.{period}", lang), sellers=format_number(plan.sellers, lang),
             revenue=revenue, days=plan.working_days)


def interval_chart(cells: pa.Table, lang: str) -> plot.Figure:
    """Conversion per transition (rows) as a point with its Wilson interval: all customers,
    then each segment (the first ``MAX_SEGMENTS_CHARTED``); flagged points drawn as diamonds."""
    rows = cells.to_pylist()
    segments = list(dict.fromkeys(r["segment"] for r in rows))[: MAX_SEGMENTS_CHARTED + 1]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    fig = plot.Figure()
    for i, segment in enumerate(segments):
        mine = [r for r in rows if r["segment"] == segment and r["rate"] is not None]
        name = t("diagnose.chart.all", lang) if segment is None else str(segment)
        fig.add_trace(plot.Scatter(
            x=[r["rate"] for r in mine], y=[r["label"] for r in mine], name=name, mode="markers",
            marker={"color": PALETTE[i % len(PALETTE)], "size": [12 if r["flagged"] else 8 for r in mine],
                    "symbol": ["diamond" if r["flagged"] else "circle" for r in mine]},
            error_x={"type": "data", "symmetric": False, "array": [r["ci_high"] - r["rate"] for r in mine],
                     "arrayminus": [r["rate"] - r["ci_low"] for r in mine], "thickness": 1.2},
            text=[f"{name}: {format_percent(r['rate'], lang)} ({format_percent(r['ci_low'], lang)}–"
                  f"{format_percent(r['ci_high'], lang)}), n = {format_number(r['trials'], lang)}" for r in mine],
            hoverinfo="text",
        ))
    fig.update_layout(
        title={"text": t("diagnose.chart.title", lang), "x": 0.0}, template="plotly_white", scattermode="group",
        xaxis={"title": t("diagnose.chart.rate", lang), "tickformat": ".0%", "range": [0, 1]},
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1]},
        height=max(360, 90 * len(labels)), legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def _cells_table(flagged: list[dict], segmented: bool) -> pa.Table | None:
    if not flagged:
        return None
    columns = [c for c in TABLE_COLUMNS if c != "segment" or segmented]
    return pa.Table.from_pylist([{c: r[c] for c in columns} for r in flagged])


def _money(value: float, currency: str | None, lang: str) -> str:
    return format_money(round(value), currency, lang) if currency else format_number(value, lang, digits=0)


def cell_columns(lang: str, currency: str | None) -> dict[str, Any]:
    """Headers and formatters (``Report.add_section``, ``cli.output.emit``) of weak-links and changes tables."""
    pct = lambda x: format_percent(x, lang)
    pvalue = lambda x: format_p(x, lang).lstrip("= ")
    headers = {c: t(f"diagnose.col.{c}", lang) for c in (
        "rank", "segment", "trials", "rate", "customers_lost", "buyers_lost", "value_lost", "previous_rate", "change")}
    headers["previous_trials"] = t("diagnose.col.previous_rate", lang) + ": " + t("diagnose.col.trials", lang)
    headers.update(label=t("diagnose.col.transition", lang), reference_rate=t("diagnose.col.reference", lang),
                   ci_low="95% −", ci_high="95% +", q=t("diagnose.col.q", lang))
    formatters = {c: pct for c in ("rate", "ci_low", "ci_high", "reference_rate", "previous_rate")}
    formatters.update(p=pvalue, q=pvalue, method=lambda m: t(f"diagnose.test.{m}", lang),
                      change=lambda x: format_number(100 * x, lang, digits=1),
                      customers_lost=lambda x: format_number(x, lang, digits=0),
                      buyers_lost=lambda x: format_number(x, lang, digits=1),
                      value_lost=lambda x: _money(x, currency, lang))
    return {"headers": headers, "formatters": formatters}


def plan_columns(lang: str) -> dict[str, Any]:
    """Headers and formatters of the plan and what-if tables."""
    from voronka.plan import PLAN_SCHEMA, WHAT_IF_SCHEMA
    from voronka.reports.tables import described_columns

    (h1, f1), (h2, f2) = (described_columns(s, lang) for s in (PLAN_SCHEMA, WHAT_IF_SCHEMA))
    return {"headers": {**h1, **h2}, "formatters": {**f1, **f2}}
