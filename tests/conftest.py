"""Fixtures shared by every test: the ``backend`` each analysis test runs on, and
``engine_for`` bound to it (see ``tests/backends.py``)."""

from __future__ import annotations

from functools import partial

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
