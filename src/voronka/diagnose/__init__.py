"""Diagnose a funnel: where it loses customers (weak links), what changed against the
previous period, and plain-language findings. Definitions: ``docs/diagnose.md``.

    diagnose_funnel(engine, definition, model=..., compare_days=30) -> Diagnosis

The funnel runs inside the engine (``compute_funnel``); only its unit table comes back,
and the statistics (``voronka.stats``) run in Python on the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

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
from voronka.definition import Definition, Duration, ModelName
from voronka.engines import Engine
from voronka.funnel import FunnelDefinition, FunnelResult, compute_funnel
from voronka.source import Source
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
    "Changes", "DiagnoseDefinition", "Diagnosis", "Finding", "MeasuredRates", "Revenue", "WeakLinks", "benjamini_hochberg", "change_findings",
    "compare_periods", "diagnose_funnel", "measured_rates", "period_changes", "periods", "proportion_test", "revenue_per_buyer",
    "transitions", "two_proportion_ztest", "weak_link_findings", "weak_links", "wilson_interval",
]


def _whole_days(text: str | None) -> str | None:
    if text is not None:
        from voronka.duration import parse_duration

        days = parse_duration(text).total_seconds() / 86400
        if days < 1 or days != int(days):
            raise ValueError(f"{text!r}: give whole days, e.g. 30d")
    return text


class DiagnoseDefinition(Definition):
    """``voronka diagnose`` as a record: the ``funnel`` (every funnel option), the stage model
    whose playbook the findings quote (``playbook``; none for steps of one's own), the
    significance level ``alpha``, the average revenue per buyer ``check`` (default: measured)
    in ``currency``, the step where units become buyers (``value_step``), and the last period of
    ``compare_previous`` against the one before; findings in ``lang`` (docs/diagnose.md)."""

    funnel: FunnelDefinition
    playbook: ModelName | None = None
    alpha: float = Field(0.05, gt=0, lt=1)
    check: float | None = Field(None, ge=0, le=1e15)
    currency: Annotated[str, Field(max_length=8)] | None = None
    value_step: Annotated[int, Field(ge=1, le=100)] | Annotated[str, Field(max_length=256)] | None = None
    compare_previous: Annotated[Duration | None, AfterValidator(_whole_days)] = None
    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source, *, model: StageModel | None = None) -> Diagnosis:
        """The diagnosis; ``model``: a stage model already loaded, in place of ``playbook``'s."""
        from voronka.duration import parse_duration
        from voronka.stage_models import load_model

        days = int(parse_duration(self.compare_previous).total_seconds() // 86400) if self.compare_previous else None
        if model is None and self.playbook:
            model = load_model(self.playbook)
        return diagnose_funnel(source, self.funnel, model=model,
                               alpha=self.alpha, check=self.check, currency=self.currency, value_step=self.value_step,
                               compare_days=days, lang=self.lang)
