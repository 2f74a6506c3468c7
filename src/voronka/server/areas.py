"""The web app's server-rendered pages: per page, the report sections of its area
(``voronka.reports.<area>``) computed on the request's ``Source`` (its days, filters, unit
and zone), so a page shows what ``voronka report`` shows for the same data, in parts.

``AREAS`` maps a page to the function that fills its ``Report``. An analysis the data
cannot support (``reports.support``) or one that raises a ``VoronkaError`` adds a section
saying why, in the page's language, never an empty chart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voronka.errors import VoronkaError
from voronka.i18n import t
from voronka.reports import Report
from voronka.source import Source

Area = Callable[..., None]
"""Fills a page's report: (report, source, lang)."""
Funnel = Callable[[Source, Any], Any]
"""Computes a funnel without units: (source, definition) → ``FunnelResult``."""


def _hourglass(source: Source, lang: str, **extra: Any) -> Any:
    from voronka.funnel.spec import build_funnel

    return build_funnel({"model": "hourglass", "timezone": source.timezone, **extra}, lang=lang)


def _diagnosis(source: Source, lang: str) -> Any:
    from voronka.diagnose import diagnose_funnel
    from voronka.stage_models import load_model

    return diagnose_funnel(source, _hourglass(source, lang, breakdown="channel"), model=load_model("hourglass"),
                           lang=lang)


def weak_link(diagnosis: Any) -> str | None:
    """The first weak-link finding's sentence with its playbook action (None: no weak link)."""
    return next((f.sentence() for f in diagnosis.findings if f.kind in ("transition", "segment")), None)


def _compute_funnel(source: Source, definition: Any) -> Any:
    from voronka.funnel import compute_funnel

    return compute_funnel(source, definition, units=False)


def overview(page: Report, source: Source, lang: str, *, funnel: Funnel = _compute_funnel) -> None:
    """The hourglass of the period, the weak link and its playbook action. ``funnel`` computes
    the hourglass (the server passes one that shares it with the builder's)."""
    from voronka.reports.funnel import add_funnel_sections

    hourglass = funnel(source, _hourglass(source, lang))
    page.add_section(t("web.weak_link", lang), text=weak_link(_diagnosis(source, lang)) or t("web.no_weak_link", lang))
    add_funnel_sections(page, hourglass, lang, hourglass_split="buy")


def paths(page: Report, source: Source, lang: str) -> None:
    from voronka.channel_stages import compute_channel_stages
    from voronka.explore.transitions import compute_transitions
    from voronka.paths import compute_paths
    from voronka.reports.explore import add_transitions_section
    from voronka.reports.paths import add_paths_sections
    from voronka.touches import compute_touches

    add_paths_sections(page, lang, touches=compute_touches(source, lookback=None), paths=compute_paths(source),
                       channels=compute_channel_stages(source, lang=lang))
    add_transitions_section(page, compute_transitions(source, top=5), lang)


def retention(page: Report, source: Source, lang: str) -> None:
    from voronka.loop import compute_loop
    from voronka.reports.loop import add_loop_sections

    add_loop_sections(page, compute_loop(source, timezone=source.timezone, lang=lang), lang)


def attribution(page: Report, source: Source, lang: str) -> None:
    from voronka.attribution import AttributionSettings, compute_attribution
    from voronka.reports.attribution import add_attribution_sections

    add_attribution_sections(page, compute_attribution(source, settings=AttributionSettings(order=2)), lang)


def findings(page: Report, source: Source, lang: str) -> None:
    from voronka.explore.scan import scan_changes, scan_findings
    from voronka.reports.diagnose import add_diagnose_sections
    from voronka.reports.explore import add_scan_section
    from voronka.stage_models import load_model

    diagnosis = _diagnosis(source, lang)
    add_diagnose_sections(page, diagnosis, lang, currency=diagnosis.links.revenue.currency)
    result = scan_changes(source, _hourglass(source, lang))
    add_scan_section(page, result, scan_findings(result, lang, load_model("hourglass"))[:10], lang)


def money(page: Report, source: Source, lang: str) -> None:
    from voronka.money import channel_economics
    from voronka.reports.money import add_money_sections

    add_money_sections(page, channel_economics(source, timezone=source.timezone), lang)


def plan(page: Report, source: Source, lang: str, *, target: int = 10, sellers: int = 1) -> None:
    from voronka.diagnose import measured_rates
    from voronka.plan import backwards_plan
    from voronka.reports.diagnose import add_diagnose_sections

    diagnosis = _diagnosis(source, lang)
    rates, stages = measured_rates(diagnosis.funnel).up_to_value()
    result = backwards_plan(target, rates, stages=stages, sellers=sellers, check=diagnosis.links.revenue.per_buyer)
    add_diagnose_sections(page, None, lang, plan=result, currency=diagnosis.links.revenue.currency)


def crm(page: Report, source: Source, lang: str) -> None:
    from voronka.crm import deal_pipeline
    from voronka.reports.money import add_money_sections

    if not source.engine.query("SELECT count(*) AS n FROM deals").column("n")[0].as_py():
        page.add_section(t("web.page.crm", lang), text=t("web.crm_none", lang))
        return
    add_money_sections(page, None, lang, deals=deal_pipeline(source.engine))


AREAS: dict[str, Area] = {"overview": overview, "paths": paths, "retention": retention, "attribution": attribution,
                          "findings": findings, "money": money, "plan": plan, "crm": crm}
"""The server-rendered pages, in the menu's order (the funnel builder is ``pages.BUILDER``)."""

NEEDS = {"money": "money", "retention": "loop", "attribution": "attribution"}
"""The ``reports.support`` check each page's analysis needs."""


def area_report(name: str, source: Source, lang: str, funnel: Funnel | None = None) -> Report:
    """The page ``name`` as report sections; what cannot be computed is said in a section.
    ``funnel``: how the overview computes its hourglass (default: ``compute_funnel``)."""
    from voronka.reports.support import data_profile

    page = Report(t(f"web.page.{name}", lang), lang)
    if name in NEEDS:
        missing = data_profile(source, timezone=source.timezone).missing(lang)
        if NEEDS[name] in missing:
            page.add_section(t(f"web.page.{name}", lang), text=t("web.no_data", lang, reason=missing[NEEDS[name]]))
            return page
    try:
        AREAS[name](page, source, lang, **({"funnel": funnel} if funnel and name == "overview" else {}))
    except VoronkaError as exc:
        page.add_section(t(f"web.page.{name}", lang), text=t("web.no_data", lang, reason=str(exc)))
    return page
