"""schemathesis against the live server's OpenAPI schema: a real uvicorn on loopback, a real
store with a little demo data, every operation with generated parameters and bodies, and no
answer a server error (``not_a_server_error``). Bounded: 50 examples per operation."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from voronka import demo
from voronka.store import Store

from .test_server import Served, _serve

KEY = "fuzz-key-of-both-kinds"


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[Served, object]]:
    """The server on a little demo store, and its schema as schemathesis loads it from the wire."""
    folder = tmp_path_factory.mktemp("fuzzed")
    files = demo.write(demo.generate(150, seed=5), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
        store.ingest_spend([files["spend"]])
    for server in _serve(folder / "demo.duckdb", token=KEY):
        yield server, schemathesis.openapi.from_url(server.url + "/openapi.json")


KEPT = ("event_id", "customer_id", "event", "channel", "properties")


def _plain_events(case, when: datetime.datetime):
    """The generated case to ``POST /v1/events`` with no query, its rows' ``ts`` in 2020–2029
    (the range of event times is issue 18.2's, tested with the ingest) and no money (amounts
    are the ingest's tests) and no other columns (wide and odd keys too): most such rows
    are stored, and the analyses and the dashboard run over their generated names."""
    case.path_parameters, case.query = {"table": "events"}, {}
    rows = [{k: v for k, v in row.items() if k in KEPT} | {"ts": when.isoformat()}
            for row in (case.body if isinstance(case.body, list) else [case.body])]
    case.body = rows if isinstance(case.body, list) else rows[0]
    return case


def test_no_request_gets_a_server_error(live):
    """Valid and invalid parameters and bodies for every operation; every answer below 500.

    (schemathesis' own pytest plugin does not run under pytest 9: hypothesis drives its
    strategies here.)"""
    server, schema = live
    stored = server.json("GET", "/health", Authorization=f"Bearer {KEY}")[1]["events"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"GET /", "GET /v1/funnel", "GET /health", "POST /v1/{table}"}
    for operation in operations:
        cases = st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode))
        if operation.label == "POST /v1/{table}":  # also events with valid parameters: bodies reach the store
            events = st.builds(_plain_events, operation.as_strategy(GenerationMode.POSITIVE),
                               st.datetimes(datetime.datetime(2020, 1, 1), datetime.datetime(2029, 12, 31)))
            cases = st.one_of(cases, events)

        @given(case=cases)
        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def no_server_error(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=[not_a_server_error],
                                   timeout=120)

        no_server_error()
    assert server.json("GET", "/health", Authorization=f"Bearer {KEY}")[1]["events"] > stored  # rows got in
