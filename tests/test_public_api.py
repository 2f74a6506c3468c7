"""The public surface is what ``voronka.__all__`` says, and nothing leaks from the edges."""

import subprocess
import sys
import types

import pytest

import voronka


def test_exported_members():
    """Every name in ``__all__`` resolves, and is defined where ``_EXPORTS`` says."""
    assert voronka.__all__ == sorted(voronka._EXPORTS)
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
        "print(sorted(m for m in sys.modules if m.startswith(('voronka.cli', 'voronka.report', 'voronka.server', 'plotly', 'typer', 'fastapi', 'uvicorn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
