"""The public surface is what ``voronka.__all__`` says, and nothing leaks from the edges."""

import subprocess
import sys
import types

import pytest

import voronka


PUBLIC = sorted([
    "ANALYSES", "AttributionDefinition", "AttributionResult", "Breakdown", "ChannelEconomics", "ChannelStages",
    "ChannelsDefinition", "ClvDefinition", "ClvResult", "Condition", "DealPipeline", "DefinitionError",
    "DiagnoseDefinition", "Diagnosis", "DistanceDefinition", "DistanceResult", "DuckDBEngine", "Engine", "Exclusion",
    "FunnelDefinition", "FunnelResult", "InputError", "MoneyDefinition", "PathsDefinition", "PathsResult",
    "PipelineDefinition", "PositionsDefinition", "ProfileDefinition", "ReferralResult", "ReferralsDefinition",
    "RetentionDefinition", "RetentionResult", "Source", "StageModel", "Step", "StepRule", "Store", "StoreError",
    "TouchesDefinition", "TouchesResult", "TransitionsDefinition", "VoronkaError", "backwards_plan",
    "build_definition", "build_funnel", "builtin_models", "compute", "fit_bgnbd", "fit_gamma_gamma", "load_funnel",
    "load_model", "open_engine", "read_events", "what_if",
    # the records of the loop, the change scan, the plans and plan versus fact
    "LifecycleDefinition", "OverdueDefinition", "PlanDefinition", "PlanFactDefinition", "RepeatDefinition",
    "RfmDefinition", "ScanDefinition", "WhatIfDefinition", "WinbackDefinition",
])
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


def test_every_analysis_has_one_record_and_its_definition_page():
    """The list of analyses: each name's record is exported, is frozen, and its docs page exists."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for a in voronka.ANALYSES.values():
        record = a.definition
        assert getattr(voronka, record.__name__) is record, a.name
        assert record.model_config.get("frozen"), a.name
        assert (root / a.doc).is_file(), a.doc
    assert sorted(n for n in PUBLIC if n.endswith("Definition")) == sorted(
        a.definition.__name__ for a in voronka.ANALYSES.values())


def test_the_core_imports_no_edge():
    """The pure core (definitions, rules, SQL building, the oracle) loads without the CLI, report or server."""
    code = (
        "import sys, voronka.funnel.definition, voronka.funnel.sql, voronka.funnel.reference, voronka.rules;"
        "print(sorted(m for m in sys.modules if m.startswith(('voronka.cli', 'voronka.reports', 'voronka.server', 'plotly', 'typer', 'fastapi', 'uvicorn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_core_reaches_into_no_concrete_engine():
    """No analysis checks for a concrete engine, reads its connection or sets an attribute on it:
    the DuckDB fast path is the ``ArrowStreams`` capability of the ``Engine`` interface."""
    import re
    from pathlib import Path

    package = Path(voronka.__file__).parent
    edges = ("engines", "cli", "server", "report", "reports", "ingest")
    concrete = re.compile(r"isinstance\([^)]*(DuckDBEngine|ChdbEngine|ClickHouseEngine|SparkEngine)"
                          r"|\bengine\.connection\b|\b(engine|source)\.[a-z_]+\s*=[^=]|setattr\((engine|source)\b")
    found = [f"{path.relative_to(package)}:{n}" for path in package.rglob("*.py")
             if path.relative_to(package).parts[0] not in edges
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if concrete.search(line)]
    assert found == []
