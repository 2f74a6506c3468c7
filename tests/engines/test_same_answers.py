"""DuckDB, ClickHouse (chdb) and Spark give identical results on random event logs.

The same random logs and definitions as the oracle test (``tests/funnel``); DuckDB is
held to the pure-Python reference there, and here every other engine is held to DuckDB:
units, step tables, histogram, trends and customers' current stages. Spark gets fewer
examples (each of its queries costs 0.3–1 s).
"""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings

from tests.backends import engine_for
from tests.funnel.test_engine_matches_reference import _same_rows, definitions, event_logs
from voronka.funnel import compute_funnel
from voronka.positions import customer_positions


def _all_tables(result):
    units = sorted(result.units.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))
    steps = sorted(result.steps.to_pylist(), key=lambda r: (r["step"], str(r["breakdown"])))
    histogram = sorted(result.histogram.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))
    trends = result.trends.to_pylist() if result.trends is not None else None
    return units, steps, histogram, trends


def _check(log, defn, backend):
    expected = compute_funnel(engine_for(log), defn)
    got = compute_funnel(engine_for(log, backend), defn)
    assert got.as_of == expected.as_of
    (u1, s1, h1, t1), (u2, s2, h2, t2) = _all_tables(got), _all_tables(expected)
    assert u1 == u2
    _same_rows(s1, s2)
    assert h1 == h2
    assert t1 == t2


_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                        HealthCheck.function_scoped_fixture])


@settings(max_examples=150, **_SETTINGS)
@given(log=event_logs(), defn=definitions())
def test_clickhouse_gives_duckdbs_answers(log, defn):
    pytest.importorskip("chdb")
    _check(log, defn, "chdb")


@pytest.mark.xdist_group("spark")
@settings(max_examples=25, **_SETTINGS)
@given(log=event_logs(), defn=definitions())
def test_spark_gives_duckdbs_answers(spark, log, defn):  # noqa: F811
    _check(log, defn, "spark")


def _demo_engine(backend):
    from tests.backends import spark_session_for_tests
    from voronka.demo import generate
    from voronka.engines.clickhouse import ChdbEngine
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.engines.spark import SparkEngine
    from voronka.schema import EVENTS

    events = generate(100, seed=3, days=45).events
    if backend == "duckdb":
        return DuckDBEngine.from_events(events)
    if backend == "spark-connect":
        from tests.backends import spark_connect_session

        engine = SparkEngine(spark_connect_session(), isolated=False)
    else:
        engine = ChdbEngine() if backend == "chdb" else SparkEngine(spark_session_for_tests())
    engine.load(EVENTS, events)
    return engine


DEMO_FUNNELS = [
    {"model": "hourglass", "window": "30d", "breakdown": {"field": "channel", "attribution": "last_touch"}},
    {"steps": ["ad_view", "site_visit", "purchase"], "order": "unordered", "window": "14d", "cohort": "week",
     "timezone": "Asia/Almaty"},
    {"steps": ["site_visit", {"key": "big", "rule": {"events": ["purchase"],
                                                     "where": [{"field": "revenue", "op": "gte", "value": 20000}]}}],
     "ties": "strict", "counting": "attempts", "cohort": "month"},
]


@pytest.mark.spark_connect
@pytest.mark.parametrize("backend", ["chdb", "spark", "spark-connect"])
def test_demo_data_gives_the_same_answers(request, backend):
    """Real-looking data (money, referrals, identities) through funnels and current stages."""
    from voronka.funnel.spec import build_funnel

    if backend == "spark":
        request.getfixturevalue("spark")
    elif backend == "spark-connect":
        request.getfixturevalue("spark_connect")
    else:
        pytest.importorskip("chdb")
    duck, other = _demo_engine("duckdb"), _demo_engine(backend)
    for spec in DEMO_FUNNELS:
        defn = build_funnel(spec)
        a, b = _all_tables(compute_funnel(other, defn)), _all_tables(compute_funnel(duck, defn))
        assert a[0] == b[0] and a[2:] == b[2:], spec
        _same_rows(a[1], b[1])
    for model in ("hourglass", "aida"):
        assert customer_positions(other, model).to_pylist() == customer_positions(duck, model).to_pylist()
