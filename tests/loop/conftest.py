"""``engine_on``: ``engine_for`` on DuckDB and chdb only, for the many hand-made cases;
each analysis also has one test on every backend (Spark included) through ``engine_for``."""

from __future__ import annotations

from functools import partial

import pytest

from tests.backends import engine_for


@pytest.fixture(params=("duckdb", "chdb"))
def engine_on(request):
    if request.param == "chdb":
        pytest.importorskip("chdb")
    return partial(engine_for, backend=request.param)


@pytest.fixture(scope="session")
def demo_engine():
    """A DuckDB engine over the demo dataset (10,000 people, seed 7)."""
    from voronka import demo
    from voronka.engines.duckdb import DuckDBEngine

    return DuckDBEngine.from_events(demo.generate(10_000).events)
