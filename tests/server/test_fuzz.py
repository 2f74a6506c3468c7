"""schemathesis against the live server's OpenAPI schema: a real uvicorn on loopback, a real
store with a little demo data, every operation with generated parameters and bodies, and no
answer a server error (``not_a_server_error``). Bounded: 50 examples per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from voronka import demo
from voronka.store import Store

from .test_server import _serve

KEY = "fuzz-key-of-both-kinds"


@pytest.fixture(scope="module")
def live_schema(tmp_path_factory) -> Iterator[object]:
    folder = tmp_path_factory.mktemp("fuzzed")
    files = demo.write(demo.generate(150, seed=5), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
        store.ingest_spend([files["spend"]])
    for server in _serve(folder / "demo.duckdb", token=KEY):
        yield schemathesis.openapi.from_url(server.url + "/openapi.json")


def test_no_request_gets_a_server_error(live_schema):
    """Valid and invalid parameters and bodies for every operation; every answer below 500.

    (schemathesis' own pytest plugin does not run under pytest 9: hypothesis drives its
    strategies here.)"""
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert {op.label for op in operations} >= {"GET /", "GET /v1/funnel", "GET /health", "POST /v1/{table}"}
    for operation in operations:
        cases = st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode))

        @given(case=cases)
        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=[not_a_server_error],
                                   timeout=60)

        no_server_error()
