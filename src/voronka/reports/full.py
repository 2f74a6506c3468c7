"""The full report: every analysis the data supports, in the order of the customer's
journey — the hourglass, where customers are lost and the plan, what changed (the change
scan), touches and paths, transitions and loops, attribution, channels and money, the loop
after the purchase, lifetime value, referrals and complaints, and the profile of the data.

An analysis the data cannot support is left out, never drawn as a table of zeros: first
by the checks of ``voronka.reports.support`` (no spend rows, no referrer, no complaint,
too few repeat customers, …), then when it raises a ``VoronkaError`` on its own terms.
Its sections are missing and the reason is listed in the last section, "Analyses left
out" (in the report's language), so one missing table never costs the rest of the report.
Hourglass stages that no event matches are listed there too, with the events the data has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voronka.engines import Engine
from voronka.errors import VoronkaError
from voronka.funnel import FunnelResult, compute_funnel
from voronka.funnel.coverage import coverage
from voronka.funnel.spec import build_funnel
from voronka.i18n import t
from voronka.reports.html import Report


@dataclass
class FullReport:
    """The report, the hourglass it opens with, and the analyses left out (name → reason;
    names as in ``voronka.reports.support``, plus ``hourglass``, ``diagnose``, ``paths``)."""

    report: Report
    hourglass: FunnelResult
    skipped: dict[str, str] = field(default_factory=dict)


def full_report(engine: Engine, lang: str, *, title: str, intro: str | None = None, timezone: str = "UTC",
                holdout_from: dt.date | None = None, plan_target: int = 10, plan_sellers: int = 1) -> FullReport:
    """Run every analysis on ``engine`` and lay the results out in one report."""
    from voronka.attribution import AttributionSettings, compute_attribution
    from voronka.channel_stages import compute_channel_stages
    from voronka.clv import clv_analysis
    from voronka.diagnose import diagnose_funnel, measured_rates
    from voronka.distance import distance_analysis
    from voronka.explore.profile import compute_profile
    from voronka.explore.transitions import compute_transitions
    from voronka.loop import compute_loop
    from voronka.money import channel_economics
    from voronka.paths import compute_paths
    from voronka.plan import backwards_plan
    from voronka.referrals import referral_analysis
    from voronka.reports.attribution import add_attribution_sections
    from voronka.reports.diagnose import add_diagnose_sections
    from voronka.reports.explore import add_profile_section, add_transitions_section
    from voronka.reports.funnel import add_funnel_sections
    from voronka.reports.loop import add_loop_sections
    from voronka.reports.money import add_money_sections
    from voronka.reports.paths import add_paths_sections
    from voronka.reports.support import data_profile
    from voronka.reports.value import add_value_sections
    from voronka.stage_models import load_model
    from voronka.touches import compute_touches

    page = Report(title, lang)
    if intro:
        page.add_section(title, text=intro)
    hourglass = compute_funnel(engine, build_funnel({"model": "hourglass", "timezone": timezone}, lang=lang))
    add_funnel_sections(page, hourglass, lang, hourglass_split="buy")
    out = FullReport(page, hourglass)
    if not all(hourglass.steps.column("customers").to_pylist()):
        unmatched = coverage(engine, hourglass.definition).message(lang)
        if unmatched:
            out.skipped["hourglass"] = unmatched
    missing = data_profile(engine, timezone=timezone).missing(lang)

    def attempt(name: str, run: Callable[[], Any]) -> None:
        if name in missing:
            out.skipped[name] = missing[name]
            return
        try:
            run()
        except VoronkaError as exc:
            out.skipped[name] = str(exc)

    def weak_links_and_plan() -> None:
        definition = build_funnel({"model": "hourglass", "breakdown": "channel", "timezone": timezone}, lang=lang)
        diagnosis = diagnose_funnel(engine, definition, model=load_model("hourglass"), lang=lang)
        rates, stages = measured_rates(diagnosis.funnel).up_to_value()
        plan = backwards_plan(plan_target, rates, stages=stages, sellers=plan_sellers,
                              check=diagnosis.links.revenue.per_buyer)
        add_diagnose_sections(page, diagnosis, lang, plan=plan, currency=diagnosis.links.revenue.currency)

    attempt("diagnose", weak_links_and_plan)

    def change_scan() -> None:
        from voronka.explore.scan import scan_changes, scan_findings
        from voronka.reports.explore import add_scan_section

        result = scan_changes(engine, build_funnel({"model": "hourglass", "timezone": timezone}, lang=lang))
        add_scan_section(page, result, scan_findings(result, lang, load_model("hourglass"))[:10], lang)

    attempt("scan", change_scan)
    attempt("paths", lambda: add_paths_sections(
        page, lang, touches=compute_touches(engine, lookback=None), paths=compute_paths(engine),
        channels=compute_channel_stages(engine, lang=lang)))
    attempt("transitions", lambda: add_transitions_section(page, compute_transitions(engine, top=5), lang))
    attempt("attribution", lambda: add_attribution_sections(
        page, compute_attribution(engine, settings=AttributionSettings(order=2)), lang))
    values: list[Any] = []  # lifetime value, when it can be fitted: also gives money its LTV/CAC
    attempt("clv", lambda: values.append(clv_analysis(engine, holdout_from=holdout_from, timezone=timezone)))
    clv = values[0] if values else None
    attempt("money", lambda: add_money_sections(page, channel_economics(
        engine, timezone=timezone, clv=clv.customers if clv else None), lang))
    attempt("loop", lambda: add_loop_sections(page, compute_loop(engine, timezone=timezone, lang=lang), lang))
    if clv is not None:
        add_value_sections(page, lang, clv=clv)
    attempt("referrals", lambda: add_value_sections(
        page, lang, referrals=referral_analysis(engine, timezone=timezone)))
    attempt("complaints", lambda: add_value_sections(
        page, lang, distance=distance_analysis(engine, timezone=timezone)))
    attempt("profile", lambda: add_profile_section(page, compute_profile(engine), lang))
    if out.skipped:
        page.add_section(t("report.skipped", lang), text="\n\n".join(
            f"{t(f'report.analysis.{name}', lang)}: {reason}" for name, reason in out.skipped.items()))
    return out
