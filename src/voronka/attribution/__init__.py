"""Attribution: which channels (or campaigns) get credit for conversions and revenue.

    compute_attribution(engine, settings=AttributionSettings(models=("linear", "markov"))) -> AttributionResult

Paths are built inside the engine (``journeys``); the models run in Python over them:
rule-based (``heuristic``), Markov chain with exact removal effects (``markov``) and
Shapley value (``shapley``). Every definition is in docs/attribution.md.
"""

from __future__ import annotations

from voronka.attribution.compute import (
    MODELS,
    AttributionDefinition,
    AttributionResult,
    AttributionSettings,
    attribute,
    comparison,
    compute_attribution,
    parse_models,
)
from voronka.attribution.journeys import conversion_journeys, journeys_to_paths
from voronka.attribution.markov import MarkovResult, markov
from voronka.attribution.path import ConversionPath, Credit, aggregate
from voronka.attribution.shapley import shapley

__all__ = [
    "MODELS",
    "AttributionDefinition",
    "AttributionResult",
    "AttributionSettings",
    "ConversionPath",
    "Credit",
    "MarkovResult",
    "aggregate",
    "attribute",
    "comparison",
    "compute_attribution",
    "conversion_journeys",
    "journeys_to_paths",
    "markov",
    "parse_models",
    "shapley",
]
