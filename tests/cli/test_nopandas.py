"""pyarrow without pandas in the ``voronka`` program (``cli/nopandas.py``): commands on DuckDB
import neither pandas nor the other heavy libraries they do not use, and print what an
in-process run (pandas as the test process has it) prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from voronka.cli import app

UNNEEDED = ("pandas", "numba", "plotly", "scipy", "sklearn", "sqlglot", "voronka.ingest")
"""What a funnel on the store does not need: heavy libraries, and the ingest pipeline."""


def _voronka(args: list[str], cwd) -> tuple[str, list[str]]:
    """``voronka ARGS`` as the program runs it (``voronka.cli.main``): its output, and which of
    `UNNEEDED` it imported."""
    code = ("import json, sys\nfrom voronka.cli import main\nsys.argv = ['voronka', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n"
            f"    print('LOADED', json.dumps([m for m in {UNNEEDED!r} if m in sys.modules]), file=sys.stderr)")
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stderr.rsplit("LOADED ", 1)[1])


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nopandas")
    out, loaded = _voronka(["demo", "--customers", "300", "--store", "voronka.duckdb", "--format", "json"], folder)
    assert "pandas" not in loaded and "numba" not in loaded  # the report's charts and fits take plotly, scipy
    assert '"step_key": "know"' in out
    return folder


@pytest.mark.parametrize("args", [
    ["funnel", "--model", "hourglass"],
    ["funnel", "--model", "hourglass", "--format", "json"],
    ["funnel", "--steps", "site_visit,purchase", "--by", "channel", "--format", "csv"],
])
def test_a_funnel_on_the_store_imports_only_what_it_needs_and_prints_the_same(demo_folder, args):
    out, loaded = _voronka(args, demo_folder)
    assert loaded == []
    assert out == CliRunner().invoke(app, [*args, "--store", str(demo_folder / "voronka.duckdb")],
                                     env={"COLUMNS": "200"}).stdout


def test_pandas_stays_importable_and_to_pandas_works():
    code = ("import sys\nfrom voronka.cli import nopandas\nnopandas.ENABLED = True\nnopandas.arrow_without_pandas()\n"
            "import numpy as np, pyarrow as pa\n"
            "t = pa.table({'a': pa.array(np.arange(3)), 'b': pa.array([True, None, False])})\n"
            "t.column('a').to_numpy(); pa.scalar(1.5); t.to_pylist()\n"
            "print('pandas' in sys.modules)\n"
            "print(t.to_pandas()['a'].sum(), 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "3", "True"]


def test_off_unless_the_program_turns_it_on():
    code = ("import sys\nfrom voronka.cli import nopandas\nnopandas.arrow_without_pandas()\n"
            "import pyarrow as pa\npa.scalar(1.5)\nprint('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
