"""The public surface is what ``voronka.__all__`` says, and nothing leaks from the edges."""

import subprocess
import sys
import types

import voronka


def test_exported_members():
    """Every public name of the package (its submodules aside) is in ``__all__``."""
    assert sorted(voronka.__all__) == sorted(
        name for name, value in vars(voronka).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    )


def test_the_core_imports_no_edge():
    """The pure core (definitions, rules, SQL building, the oracle) loads without the CLI or report."""
    code = (
        "import sys, voronka.funnel.definition, voronka.funnel.sql, voronka.funnel.reference, voronka.rules;"
        "print(sorted(m for m in sys.modules if m.startswith(('voronka.cli', 'voronka.report', 'plotly', 'typer'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
