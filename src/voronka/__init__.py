"""voronka: customer-journey and sales-funnel analytics.

The public API (everything else is internal and may change)::

    from voronka import Store, DuckDBEngine, build_funnel, compute_funnel

    with Store("voronka.duckdb") as store:
        store.ingest_events(["events.csv"], tz="Asia/Almaty")
        result = compute_funnel(DuckDBEngine(store.connection),
                                build_funnel({"model": "hourglass"}, lang="ru"))
        print(result.to_pandas())
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name → the module defining it; loaded on first use (PEP 562), so `import voronka` stays light
_EXPORTS: dict[str, str] = {
    "AttributionResult": "voronka.attribution",
    "AttributionSettings": "voronka.attribution",
    "Breakdown": "voronka.funnel",
    "ChannelEconomics": "voronka.money",
    "ChannelStages": "voronka.channel_stages",
    "ClvResult": "voronka.clv",
    "Condition": "voronka.rules",
    "DealPipeline": "voronka.crm",
    "DefinitionError": "voronka.errors",
    "Diagnosis": "voronka.diagnose",
    "DistanceResult": "voronka.distance",
    "DuckDBEngine": "voronka.engines.duckdb",
    "Engine": "voronka.engines",
    "Exclusion": "voronka.funnel",
    "FunnelDefinition": "voronka.funnel",
    "FunnelResult": "voronka.funnel",
    "InputError": "voronka.errors",
    "LoopResults": "voronka.loop",
    "PathsResult": "voronka.paths",
    "ReferralResult": "voronka.referrals",
    "StageModel": "voronka.stage_models",
    "Step": "voronka.funnel",
    "StepRule": "voronka.rules",
    "Store": "voronka.store",
    "StoreError": "voronka.errors",
    "TouchesResult": "voronka.touches",
    "VoronkaError": "voronka.errors",
    "backwards_plan": "voronka.plan",
    "build_funnel": "voronka.funnel.spec",
    "builtin_models": "voronka.stage_models",
    "channel_economics": "voronka.money",
    "clv_analysis": "voronka.clv",
    "compute_attribution": "voronka.attribution",
    "compute_channel_stages": "voronka.channel_stages",
    "compute_funnel": "voronka.funnel",
    "compute_loop": "voronka.loop",
    "compute_paths": "voronka.paths",
    "compute_touches": "voronka.touches",
    "customer_positions": "voronka.positions",
    "deal_pipeline": "voronka.crm",
    "diagnose_funnel": "voronka.diagnose",
    "distance_analysis": "voronka.distance",
    "fit_bgnbd": "voronka.clv",
    "fit_gamma_gamma": "voronka.clv",
    "lifecycle": "voronka.loop",
    "load_funnel": "voronka.funnel.spec",
    "load_model": "voronka.stage_models",
    "open_engine": "voronka.engines",
    "overdue_customers": "voronka.loop",
    "plan_vs_fact": "voronka.money",
    "read_events": "voronka.ingest",
    "referral_analysis": "voronka.referrals",
    "repeat_purchases": "voronka.loop",
    "retention": "voronka.loop",
    "rfm": "voronka.loop",
    "steps_around": "voronka.paths",
    "weak_links": "voronka.diagnose",
    "what_if": "voronka.plan",
    "winback": "voronka.loop",
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
