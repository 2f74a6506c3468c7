"""The full report: every analysis the data supports, in the order of the customer's
journey — the hourglass, where customers are lost and the plan, what changed (the change
scan), touches and paths, transitions and loops, attribution, channels and money, the CRM
deals pipeline, the loop after the purchase, lifetime value, referrals and complaints, and
the profile of the data.

An analysis the data cannot support is left out, never drawn as a table of zeros: first
by the checks of ``voronka.reports.support`` (no spend rows, no referrer, no complaint,
too few repeat customers, …), then when it raises a ``VoronkaError`` on its own terms.
Its sections are missing and the reason is listed in the last section, "Analyses left
out" (in the report's language), so one missing table never costs the rest of the report.
Funnel steps that no event matches are listed there too, with the events the data has.

The funnel is the analyst's (``funnel``: steps, a model or a funnel file, with its window,
order, breakdown …; default the hourglass model): the funnel, weak-links and change-scan
sections all use that one definition. A funnel whose first step matches no event (another
event vocabulary) is not drawn: it is listed with the event names the data has, and the
weak links, plan and change scan are listed as left out with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from voronka.engines import Engine
from voronka.errors import VoronkaError
from voronka.funnel import FunnelResult, compute_funnel
from voronka.funnel.coverage import coverage
from voronka.funnel.definition import FunnelDefinition
from voronka.funnel.spec import build_funnel
from voronka.i18n import t
from voronka.reports.html import Report
from voronka.stage_models import StageModel


@dataclass
class FullReport:
    """The report, the funnel it opens with, and the analyses left out (name → reason;
    names as in ``voronka.reports.support``, plus ``hourglass`` or ``funnel``, ``diagnose``,
    ``scan``, ``paths``)."""

    report: Report
    funnel: FunnelResult
    skipped: dict[str, str] = field(default_factory=dict)


HOURGLASS_NECK = "buy"
"""The hourglass model's neck stage: the chart narrows down to it and widens after it."""


def full_report(engine: Engine, lang: str, *, title: str, intro: str | None = None, timezone: str = "UTC",
                holdout_from: dt.date | None = None, plan_target: int = 10, plan_sellers: int = 1,
                funnel: FunnelDefinition | None = None, model: StageModel | None = None,
                rates: Sequence[float] | None = None) -> FullReport:
    """Run every analysis on ``engine`` and lay the results out in one report.

    ``funnel``: the analyst's funnel (default: the hourglass model, whose playbook is then
    ``model``); ``model``: the stage model the findings quote (None: steps of one's own);
    ``rates``: typed-in conversions stage to stage for the plan (default: measured)."""
    from voronka.attribution import AttributionSettings, compute_attribution
    from voronka.channel_stages import compute_channel_stages
    from voronka.clv import clv_analysis
    from voronka.crm.pipeline import deal_pipeline
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

    if funnel is None:
        funnel = build_funnel({"model": "hourglass", "timezone": timezone}, lang=lang)
        model = model or load_model("hourglass")
    hourglass = model is not None and model.key == "hourglass" and HOURGLASS_NECK in [s.key for s in funnel.steps]
    funnel_name = "hourglass" if hourglass else "funnel"
    page = Report(title, lang)
    if intro:
        page.add_section(title, text=intro)
    result = compute_funnel(engine, funnel)
    out = FullReport(page, result)
    empty = False
    if not all(result.steps.column("customers").to_pylist()):
        cover = coverage(engine, funnel)
        empty, message = cover.empty, cover.message(lang)
        if message:
            out.skipped[funnel_name] = message
    if not empty:
        add_funnel_sections(page, result, lang, hourglass_split=HOURGLASS_NECK if hourglass else None)
    missing = data_profile(engine, timezone=timezone).missing(lang)
    if empty:
        missing["diagnose"] = missing["scan"] = t("report.reason.empty_funnel", lang,
                                                  funnel=t(f"report.analysis.{funnel_name}", lang))

    def attempt(name: str, run: Callable[[], Any]) -> None:
        if name in missing:
            out.skipped[name] = missing[name]
            return
        try:
            run()
        except VoronkaError as exc:
            out.skipped[name] = str(exc)

    def weak_links_and_plan() -> None:
        definition = funnel if funnel.breakdown else FunnelDefinition.model_validate(
            {**funnel.model_dump(), "breakdown": {"field": "channel"}})  # weak links per channel by default
        diagnosis = diagnose_funnel(engine, definition, model=model, lang=lang)
        if rates is None:
            plan_rates, stages = measured_rates(diagnosis.funnel).up_to_value()
        else:
            keys = [s.key for s in funnel.steps]
            plan_rates, stages = list(rates), keys[: len(rates) + 1] if len(rates) < len(keys) else None
        plan = backwards_plan(plan_target, plan_rates, stages=stages, sellers=plan_sellers,
                              check=diagnosis.links.revenue.per_buyer or None)  # no revenue: no check
        add_diagnose_sections(page, diagnosis, lang, plan=plan, currency=diagnosis.links.revenue.currency)

    attempt("diagnose", weak_links_and_plan)

    def change_scan() -> None:
        from voronka.explore.scan import scan_changes, scan_findings
        from voronka.reports.explore import add_scan_section

        found = scan_changes(engine, funnel)
        add_scan_section(page, found, scan_findings(found, lang, model)[:10], lang)

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
    attempt("deals", lambda: add_money_sections(page, None, lang, deals=deal_pipeline(engine)))
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
