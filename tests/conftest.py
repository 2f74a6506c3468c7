"""Fixtures shared by every test: the ``backend`` each analysis test runs on, and
``engine_for`` bound to it (see ``tests/backends.py``)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from tests.backends import BACKENDS, _SPARK, engine_for, spark_session_for_tests


@pytest.fixture(scope="session")
def spark():
    """The session-scoped SparkSession (stopped at the end of the run)."""
    pytest.importorskip("pyspark")
    session = spark_session_for_tests()
    yield session
    session.stop()
    _SPARK.clear()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each backend in turn; Spark tests share the session fixture and one xdist group."""
    if request.param == "chdb":
        pytest.importorskip("chdb")
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


@pytest.fixture(name="engine_for")
def engine_for_backend(backend):
    return partial(engine_for, backend=backend)


def pytest_collection_modifyitems(items):
    # with `pytest -n 2 --dist loadgroup`, every Spark test runs in one worker (one JVM)
    for item in items:
        if "[spark" in item.nodeid or item.nodeid.endswith("spark]"):
            item.add_marker(pytest.mark.xdist_group("spark"))


ROOT = Path(__file__).parents[1]


def _tree() -> set[str]:
    """The visible entries at the top of the working tree (tools' dot-folders aside)."""
    return {p.name for p in ROOT.iterdir() if not p.name.startswith(".") and p.name != "__pycache__"}


@pytest.fixture(scope="session", autouse=True)
def no_test_writes_into_the_working_tree():
    """Tests write into ``tmp_path`` only: a file left at the top of the repository fails the run."""
    before = _tree()
    yield
    assert _tree() <= before, f"a test wrote into the working tree: {sorted(_tree() - before)}"
