"""Value sections of the report: lifetime value with its holdout check, the referral tree
and K-factor, complaints and what followed. Figures are built here (plotly); the tables'
headers and number formats come from their declared columns (``voronka.columns``)."""

from __future__ import annotations

import pyarrow as pa

from voronka import figure as plot
from voronka.clv import ClvResult
from voronka.distance import DistanceResult
from voronka.i18n import format_money, format_number, format_percent, t
from voronka.referrals import ReferralResult
from voronka.reports.html import Report


def add_value_sections(report: Report, lang: str, *, clv: ClvResult | None = None,
                       referrals: ReferralResult | None = None, distance: DistanceResult | None = None,
                       top: int = 20) -> Report:
    """Add the sections of whichever results are given, in the order CLV, referrals, distance."""
    if clv is not None:
        _clv_sections(report, clv, lang, top)
    if referrals is not None:
        _referral_sections(report, referrals, lang)
    if distance is not None:
        _distance_section(report, distance, lang)
    return report


def _clv_sections(report: Report, result: ClvResult, lang: str, top: int) -> None:
    totals = result.totals.to_pylist()[0]
    currency = result.summary.currency
    total = format_money(totals["clv_total"], currency, lang) if currency and totals["clv_total"] is not None else "—"
    text = t("value.text.clv", lang, customers=format_number(totals["customers"], lang),
             unit=t(f"value.unit.{result.summary.unit}", lang), horizon=result.horizon_months,
             discount=format_percent(result.discount, lang), total=total)
    table = result.customers.slice(0, top).drop_columns(["recency", "T"])
    report.add_section(t("value.section.clv", lang), text=text, table=table)
    if result.holdout is None:
        report.add_section(t("value.section.holdout", lang), text=t("value.text.no_holdout", lang))
        return
    h = result.holdout.to_pylist()[0]
    text = t("value.text.holdout", lang, start=str(result.holdout_from),
             predicted=format_number(h["predicted"], lang, digits=0), actual=format_number(h["actual"], lang, digits=0),
             length=format_number(h["holdout_length"], lang, digits=1), unit=t(f"value.unit.{h['unit']}", lang),
             error=format_percent(h["error_pct"], lang) if h["error_pct"] is not None else "—",
             mae=format_number(h["mae"], lang, digits=2))
    report.add_section(t("value.section.holdout", lang), text=text, figure=holdout_chart(result.holdout_by_frequency, lang),
                       table=result.holdout_by_frequency)


def holdout_chart(by_frequency: pa.Table, lang: str) -> plot.Figure:
    """Mean holdout purchases per customer by calibration repeat purchases: actual vs predicted."""
    x = by_frequency.column("x").to_pylist()
    fig = plot.Figure([
        plot.Bar(name=t("value.series.actual", lang), x=x, y=by_frequency.column("actual").to_pylist()),
        plot.Scatter(name=t("value.series.predicted", lang), x=x, y=by_frequency.column("predicted").to_pylist(),
                     mode="lines+markers"),
    ])
    fig.update_layout(template="plotly_white", title=t("value.section.holdout", lang),
                      xaxis_title=t("value.axis.x", lang), yaxis_title=t("value.axis.purchases", lang))
    return fig


def _referral_sections(report: Report, result: ReferralResult, lang: str) -> None:
    s = result.summary.to_pylist()[0]
    currency = s["currency"]
    commission = format_money(s["commission_total"], currency, lang) if currency else format_number(
        s["commission_total"], lang, digits=2)
    text = t("value.text.referrals", lang, referred=format_number(s["referred"], lang),
             customers=format_number(s["customers"], lang), generations=s["max_generation"],
             promoters=format_number(s["promoters"], lang), commission=commission)
    report.add_section(t("value.section.referrals", lang), text=text, figure=generations_chart(result.generations, lang),
                       table=result.generations)
    report.add_section(t("value.section.k_factor", lang), figure=k_factor_chart(result.k_factor, lang),
                       table=result.k_factor)
    report.add_section(t("value.section.referrers", lang), table=result.referrers.drop_columns(["currency"]), max_rows=50)
    report.add_section(t("value.section.referred_vs_others", lang), table=result.comparison)


def generations_chart(generations: pa.Table, lang: str) -> plot.Figure:
    """Customers and buyers per referral generation (0: not referred)."""
    x = [str(g) for g in generations.column("generation").to_pylist()]
    fig = plot.Figure([
        plot.Bar(name=t("value.col.customers", lang), x=x, y=generations.column("customers").to_pylist()),
        plot.Bar(name=t("value.col.buyers", lang), x=x, y=generations.column("buyers").to_pylist()),
    ])
    fig.update_layout(template="plotly_white", barmode="group", title=t("value.section.referrals", lang),
                      xaxis_title=t("value.axis.generation", lang), yaxis_title=t("value.axis.customers", lang),
                      yaxis_type="log")
    return fig


def k_factor_chart(k_factor: pa.Table, lang: str) -> plot.Figure:
    """K per period: ``k_referred`` (referred new / active; equal to i × c when invitations are recorded)."""
    x = [str(p) for p in k_factor.column("period").to_pylist()]
    fig = plot.Figure([plot.Scatter(name=t("value.col.k_referred", lang), x=x, y=k_factor.column("k_referred").to_pylist(),
                                    mode="lines+markers")])
    fig.update_layout(template="plotly_white", title=t("value.section.k_factor", lang),
                      xaxis_title=t("value.col.period", lang), yaxis_rangemode="tozero")
    return fig


def _distance_section(report: Report, result: DistanceResult, lang: str) -> None:
    s = result.summary.to_pylist()[0]
    num = lambda v, d=1: format_number(v, lang, digits=d) if v is not None else "—"
    text = t("value.text.distance", lang,
             share=format_percent(s["negative_share"], lang) if s["negative_share"] is not None else "—",
             resolved=format_percent(s["resolved_share"], lang) if s["resolved_share"] is not None else "—",
             days=num(s["median_days_to_resolution"]), steps=num(s["median_steps"], 0))
    report.add_section(t("value.section.distance", lang), text=text, table=result.outcomes)


__all__ = ["add_value_sections", "generations_chart", "holdout_chart", "k_factor_chart"]
