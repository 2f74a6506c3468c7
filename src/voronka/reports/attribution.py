"""Attribution sections: credit per channel under every model (grouped bars and the
side-by-side table), revenue, cost per conversion and ROI when spend is loaded, and the
Markov chain's removal effects."""

from __future__ import annotations

import html
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from voronka import figure as plot
from voronka.attribution import MODELS, AttributionResult
from voronka.attribution.compute import NO_TOUCH
from voronka.i18n import format_duration, format_number, format_percent, t
from voronka.reports.html import Report
from voronka.reports.charts import PALETTE, style_figure


def model_label(model: str, lang: str) -> str:
    return t(f"attribution.model.{model}", lang)


def attribution_columns(lang: str, by: str = "channel", *, shares: bool = False
                        ) -> tuple[dict[str, str], dict[str, Any]]:
    """(headers, formatters) for every attribution table: translated headers, numbers, %
    (model columns as percentages with ``shares``)."""
    headers = {name: t(f"attribution.col.{name}", lang) for name in (
        "model", "conversions", "conversion_share", "revenue", "revenue_share", "currency", "spend",
        "cost_per_conversion", "roi", "from", "to", "probability", "removal_effect")}
    headers["channel"] = t("attribution.col.campaign" if by == "campaign" else "attribution.col.channel", lang)
    headers.update({m: model_label(m, lang) for m in MODELS})

    def number(digits: int):
        return lambda x: format_number(x, lang, digits=digits)

    def pct(x: Any) -> str:
        return format_percent(x, lang)

    formatters: dict[str, Any] = {"conversions": number(1), "revenue": number(0), "spend": number(0),
                                  "cost_per_conversion": number(0), "conversion_share": pct, "revenue_share": pct,
                                  "roi": pct, "probability": pct, "removal_effect": pct}
    formatters.update({m: pct if shares else number(1) for m in MODELS})
    return headers, formatters


def localise(table: pa.Table, lang: str) -> pa.Table:
    """Model keys as their names and ``(no touch)`` in ``lang``, for people (not for json/csv)."""
    if "model" in table.column_names:
        table = table.set_column(table.column_names.index("model"), "model", pa.array(
            [model_label(m, lang) for m in table.column("model").to_pylist()], pa.string()))
    if "channel" in table.column_names:
        no_touch = t("attribution.no_touch", lang)
        table = table.set_column(table.column_names.index("channel"), "channel", pa.array(
            [no_touch if c == NO_TOUCH else c for c in table.column("channel").to_pylist()], pa.string()))
    return table


def credit_chart(wide: pa.Table, lang: str, title: str) -> plot.Figure:
    """Grouped bars: one group per channel, one bar per model (the side-by-side table)."""
    models = [c for c in wide.column_names if c not in ("channel", "currency")]
    channels = localise(wide.select(["channel"]), lang).column("channel").to_pylist()
    if "currency" in wide.column_names:
        channels = [f"{c} ({k})" if k else c for c, k in zip(channels, wide.column("currency").to_pylist())]
    channels = [html.escape(c, quote=False) for c in channels]  # user text: shown, never read as markup
    figure = plot.Figure()
    for i, model in enumerate(models):
        values = wide.column(model).to_pylist()
        figure.add_bar(name=model_label(model, lang), x=channels, y=values, marker_color=PALETTE[i % len(PALETTE)],
                       hovertemplate="%{x}: %{y:,.1f}<extra>" + model_label(model, lang) + "</extra>")
    # two legend rows: room for them under the title
    return style_figure(figure, lang, title, barmode="group", margin={"l": 20, "r": 20, "t": 110, "b": 40})


def _count(flags: pa.ChunkedArray) -> int:
    """How many of ``flags`` are true."""
    return int(pc.sum(flags).as_py() or 0)


def add_attribution_sections(report: Report, result: AttributionResult, lang: str) -> Report:
    """Conversions by channel and model (chart + table), revenue, spend (when loaded) and
    the Markov removal effects (when the Markov model ran)."""
    headers, formatters = attribution_columns(lang, result.by)
    if result.credit.num_rows == 0:
        return report.add_section(t("attribution.title", lang), text=t("attribution.no_conversions", lang))
    converted = pc.fill_null(result.journeys.column("converted"), pa.scalar(False))
    touched = pc.fill_null(pc.list_value_length(result.journeys.column("channels")), pa.scalar(0, pa.int32()))
    intro = t("attribution.intro", lang, conversions=format_number(result.total_conversions, lang),
              paths=format_number(result.journeys.num_rows - _count(converted), lang),  # not converted
              lookback=format_duration(result.lookback, lang), untouched=format_number(  # converted, no touch
                  _count(pc.and_(converted, pc.equal(touched, 0))), lang))
    report.add_section(t("attribution.title", lang), text=intro,
                       figure=credit_chart(result.conversions, lang, t("attribution.chart.conversions", lang)),
                       table=localise(result.conversions, lang), headers=headers, formatters=formatters)
    if result.revenue.num_rows and any(v for m in result.revenue.column_names[2:]
                                       for v in result.revenue.column(m).to_pylist()):
        report.add_section(t("attribution.chart.revenue", lang),
                           figure=credit_chart(result.revenue, lang, t("attribution.chart.revenue", lang)),
                           table=localise(result.revenue, lang), headers=headers, formatters=formatters)
    if result.spend is not None and result.spend.num_rows:
        report.add_section(t("attribution.spend.title", lang), table=localise(result.spend, lang), headers=headers,
                           formatters=formatters)
    if result.markov is not None:
        effects = pa.table({"channel": list(result.markov.removal_effects),
                            "removal_effect": list(result.markov.removal_effects.values())})
        effects = effects.sort_by([("removal_effect", "descending")])
        report.add_section(t("attribution.removal.title", lang),
                           text=t("attribution.removal.text", lang, order=result.settings.order),
                           table=effects, headers=headers, formatters=formatters)
    return report

