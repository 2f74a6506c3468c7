"""Fixtures shared by every test: the ``backend`` each analysis test runs on, and
``engine_for`` bound to it (see ``tests/backends.py``)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

from tests.backends import (
    _SPARK,
    BACKENDS,
    SPARK_CONNECT,
    engine_for,
    spark_connect_url,
    spark_session_for_tests,
    stop_spark_connect,
)


@pytest.fixture(scope="session")
def spark():
    """The session-scoped SparkSession (stopped at the end of the run)."""
    pytest.importorskip("pyspark")
    session = spark_session_for_tests()
    yield session
    session.stop()
    _SPARK.clear()


@pytest.fixture(scope="session")
def spark_connect():
    """The ``sc://`` URL of the run's Spark Connect server (started on first use, stopped at the end)."""
    pytest.importorskip("pyspark")
    yield spark_connect_url()
    stop_spark_connect()


@pytest.fixture(autouse=True)
def _spark_mode(request):
    """pyspark marks a whole process as Spark Connect once it opens a Connect session (the
    variable ``SPARK_CONNECT_MODE_ENABLED``), and local-mode Spark in that process then takes
    the Connect code paths: each test runs in the mode of its own backend."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == SPARK_CONNECT:
        os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    else:
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


@pytest.fixture(params=BACKENDS + (SPARK_CONNECT,))
def backend(request) -> str:
    """Each backend in turn; Spark tests share the session fixture and one xdist group.
    ``spark-connect`` runs only in modules marked ``spark_connect`` (the others deselect it)."""
    if request.param == "chdb":
        pytest.importorskip("chdb")
    if request.param == "spark":
        request.getfixturevalue("spark")
    if request.param == SPARK_CONNECT:
        request.getfixturevalue("spark_connect")
    return request.param


@pytest.fixture(name="engine_for")
def engine_for_backend(backend):
    return partial(engine_for, backend=backend)


def _on_spark_connect(item) -> bool:
    return "[" in item.nodeid and SPARK_CONNECT in item.nodeid.split("[", 1)[1]


def pytest_collection_modifyitems(config, items):
    # Spark Connect cases only where a module asks for them (marker ``spark_connect``)
    unwanted = [i for i in items if _on_spark_connect(i) and not i.get_closest_marker("spark_connect")]
    if unwanted:
        config.hook.pytest_deselected(items=unwanted)
        items[:] = [i for i in items if i not in set(unwanted)]
    # with `pytest -n 2 --dist loadgroup`, every Spark test runs in one worker (one JVM), and
    # every Spark Connect test in one worker (one server)
    for item in items:
        if _on_spark_connect(item):
            item.add_marker(pytest.mark.xdist_group(SPARK_CONNECT))
        elif "[spark" in item.nodeid or item.nodeid.endswith("spark]"):
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
