"""The public surface is what ``voronka.__all__`` says, and nothing leaks from the edges."""

import subprocess
import sys
import types

import pytest

import voronka


PUBLIC = [
    "AttributionResult", "AttributionSettings", "Breakdown", "ChannelEconomics", "ChannelStages", "ClvResult",
    "Condition", "DealPipeline", "DefinitionError", "Diagnosis", "DistanceResult", "DuckDBEngine", "Engine",
    "Exclusion", "FunnelDefinition", "FunnelResult", "InputError", "LoopResults", "PathsResult",
    "ReferralResult", "StageModel", "Step", "StepRule", "Store", "StoreError", "TouchesResult", "VoronkaError",
    "backwards_plan", "build_funnel", "builtin_models", "channel_economics", "clv_analysis",
    "compute_attribution", "compute_channel_stages", "compute_funnel", "compute_loop", "compute_paths",
    "compute_touches", "customer_positions", "deal_pipeline", "diagnose_funnel", "distance_analysis",
    "fit_bgnbd", "fit_gamma_gamma", "lifecycle", "load_funnel", "load_model", "open_engine",
    "overdue_customers", "plan_vs_fact", "read_events", "referral_analysis", "repeat_purchases", "retention",
    "rfm", "steps_around", "weak_links", "what_if", "winback",

]
"""The public API, written out: adding, renaming or removing a public name changes this list
(and the docs), on purpose."""


def test_exported_members():
    """Every name in ``__all__`` resolves, and is defined where ``_EXPORTS`` says."""
    assert voronka.__all__ == sorted(voronka._EXPORTS) == PUBLIC
    for name in voronka.__all__:
        value = getattr(voronka, name)
        assert not isinstance(value, types.ModuleType), name
        assert getattr(value, "__module__", voronka._EXPORTS[name]).startswith("voronka"), name
    with pytest.raises(AttributeError):
        voronka.not_a_name  # noqa: B018


def test_importing_voronka_loads_no_analysis():
    """``import voronka`` is light (the CLI starts fast): exports load on first use."""
    code = "import sys, voronka; print(sorted(m for m in sys.modules if m.startswith(('scipy', 'voronka.'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_core_imports_no_edge():
    """The pure core (definitions, rules, SQL building, the oracle) loads without the CLI, report or server."""
    code = (
        "import sys, voronka.funnel.definition, voronka.funnel.sql, voronka.funnel.reference, voronka.rules;"
        "print(sorted(m for m in sys.modules if m.startswith(('voronka.cli', 'voronka.reports', 'voronka.server', 'plotly', 'typer', 'fastapi', 'uvicorn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
