"""Diagnose a funnel: where it loses customers (weak links), what changed against the
previous period, and plain-language findings. Definitions: ``docs/diagnose.md``.

    diagnose_funnel(engine, definition, model=..., compare_days=30) -> Diagnosis

The funnel runs inside the engine (``compute_funnel``); only its unit table comes back,
and the statistics (``voronka.stats``) run in Python on the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from voronka.diagnose.changes import Changes, compare_periods, period_changes, periods
from voronka.diagnose.findings import Finding, change_findings, weak_link_findings
from voronka.diagnose.weak_links import (
    MeasuredRates,
    Revenue,
    WeakLinks,
    measured_rates,
    revenue_per_buyer,
    transitions,
    weak_links,
)
from voronka.engines import Engine
from voronka.funnel import FunnelDefinition, FunnelResult, compute_funnel
from voronka.stage_models import StageModel
from voronka.stats import (
    benjamini_hochberg,
    proportion_test,
    two_proportion_ztest,
    wilson_interval,
)


@dataclass(frozen=True)
class Diagnosis:
    """The funnel, its weak links, the changes (when asked) and the findings."""

    funnel: FunnelResult
    links: WeakLinks
    changes: Changes | None
    findings: list[Finding]


def diagnose_funnel(
    engine: Engine,
    definition: FunnelDefinition,
    *,
    model: StageModel | None = None,
    alpha: float = 0.05,
    check: float | None = None,
    currency: str | None = None,
    value_step: str | int | None = None,
    compare_days: int | None = None,
    lang: str = "en",
    events: str | None = None,
) -> Diagnosis:
    """Weak links of ``definition`` over the engine's events, with the average revenue per
    buyer ``check`` (measured from the data when not given), and, with ``compare_days``, the
    changes against the previous period (a definition with both dates sets the current period)."""
    result = compute_funnel(engine, definition, events=events)
    revenue = Revenue(check, currency) if check is not None else revenue_per_buyer(
        engine, definition, value_step, events=events)
    links = weak_links(result, alpha=alpha, revenue=revenue, value_step=value_step)
    findings = weak_link_findings(links, lang, model)
    changes = None
    if compare_days is not None:
        changes = period_changes(engine, definition, days=compare_days, alpha=alpha, events=events)
        findings += change_findings(changes, lang)
    return Diagnosis(result, links, changes, findings)


__all__ = [
    "Changes", "Diagnosis", "Finding", "MeasuredRates", "Revenue", "WeakLinks", "benjamini_hochberg", "change_findings",
    "compare_periods", "diagnose_funnel", "measured_rates", "period_changes", "periods", "proportion_test", "revenue_per_buyer",
    "transitions", "two_proportion_ztest", "weak_link_findings", "weak_links", "wilson_interval",
]
