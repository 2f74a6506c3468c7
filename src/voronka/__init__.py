"""voronka: customer-journey and sales-funnel analytics.

The public API (everything else is internal and may change): every analysis is a frozen
definition record computed over a source by one verb, ``compute(source, definition)``::

    from voronka import Source, Store, DuckDBEngine, TouchesDefinition, build_definition, compute

    with Store("voronka.duckdb") as store:
        store.ingest_events(["events.csv"], tz="Asia/Almaty")
        source = Source.from_options(DuckDBEngine(store.connection), where=["platform=mobile"])
        funnel = compute(source, build_definition("funnel", {"model": "hourglass"}, lang="ru"))
        touches = compute(source, TouchesDefinition(lookback="14d"))
        print(funnel.steps.to_pandas(), touches.summary.to_pandas())

``ANALYSES`` lists them (name, record, docs page, options, result tables); ``build_definition``
turns options as written (CLI flags, YAML, HTTP) into a record.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name → the module defining it; loaded on first use (PEP 562), so `import voronka` stays light
_EXPORTS: dict[str, str] = {
    # the one shape: the list of analyses, the spec builder, the verb
    "ANALYSES": "voronka.analyses",
    "build_definition": "voronka.analyses",
    "compute": "voronka.analyses",
    "Source": "voronka.source",
    # the definition records, one per analysis
    "AttributionDefinition": "voronka.attribution",
    "ChannelsDefinition": "voronka.channel_stages",
    "ClvDefinition": "voronka.clv",
    "DiagnoseDefinition": "voronka.diagnose",
    "DistanceDefinition": "voronka.distance",
    "FunnelDefinition": "voronka.funnel",
    "LifecycleDefinition": "voronka.loop",
    "MoneyDefinition": "voronka.money",
    "OverdueDefinition": "voronka.loop",
    "PathsDefinition": "voronka.paths",
    "PipelineDefinition": "voronka.crm",
    "PlanDefinition": "voronka.plan",
    "PlanFactDefinition": "voronka.money",
    "PositionsDefinition": "voronka.positions",
    "ProfileDefinition": "voronka.explore.profile",
    "ReferralsDefinition": "voronka.referrals",
    "RepeatDefinition": "voronka.loop",
    "RetentionDefinition": "voronka.loop",
    "RfmDefinition": "voronka.loop",
    "ScanDefinition": "voronka.explore.scan",
    "TouchesDefinition": "voronka.touches",
    "TransitionsDefinition": "voronka.explore.transitions",
    "WhatIfDefinition": "voronka.plan",
    "WinbackDefinition": "voronka.loop",
    # the parts of a funnel definition, and reading one
    "Breakdown": "voronka.funnel",
    "Exclusion": "voronka.funnel",
    "Step": "voronka.funnel",
    "StepRule": "voronka.rules",
    "Condition": "voronka.rules",
    "build_funnel": "voronka.funnel.spec",
    "load_funnel": "voronka.funnel.spec",
    # results
    "AttributionResult": "voronka.attribution",
    "ChannelEconomics": "voronka.money",
    "ChannelStages": "voronka.channel_stages",
    "ClvResult": "voronka.clv",
    "DealPipeline": "voronka.crm",
    "Diagnosis": "voronka.diagnose",
    "DistanceResult": "voronka.distance",
    "FunnelResult": "voronka.funnel",
    "PathsResult": "voronka.paths",
    "ReferralResult": "voronka.referrals",
    "RetentionResult": "voronka.loop",
    "TouchesResult": "voronka.touches",
    # stage models, models and pure arithmetic on numbers
    "StageModel": "voronka.stage_models",
    "builtin_models": "voronka.stage_models",
    "load_model": "voronka.stage_models",
    "fit_bgnbd": "voronka.clv",
    "fit_gamma_gamma": "voronka.clv",
    "backwards_plan": "voronka.plan",
    "what_if": "voronka.plan",
    # storage, engines, reading files, errors
    "Store": "voronka.store",
    "DuckDBEngine": "voronka.engines.duckdb",
    "Engine": "voronka.engines",
    "open_engine": "voronka.engines",
    "read_events": "voronka.ingest",
    "VoronkaError": "voronka.errors",
    "InputError": "voronka.errors",
    "DefinitionError": "voronka.errors",
    "StoreError": "voronka.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'voronka' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
