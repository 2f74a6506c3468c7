"""The capture POSTs answered before FastAPI's routing (``server/ingress.py``): the answers the
rest of the API gives (CORS, the error shape, the 500 policy), and every other request still
reaching the FastAPI app. A real server on loopback, a real store."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from voronka.server import capture, ingress

from .test_server import NDJSON, Served, _serve

EVENT = json.dumps({"event": "$pageview", "distinct_id": "c1", "uuid": "u-1", "api_key": "k",
                    "timestamp": "2026-03-01T10:00:00Z"}).encode()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from _serve(tmp_path / "store.duckdb", public_dashboard=True)


def test_a_capture_answer_carries_cors_and_json(served):
    request = urllib.request.Request(served.url + "/e/", data=EVENT, method="POST",
                                     headers={"Origin": "https://shop.kz", "Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200 and json.loads(answer.read()) == {"status": 1}
        assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.kz"
        assert answer.headers["Access-Control-Allow-Credentials"] == "true"
        assert answer.headers["Vary"] == "Origin"
        assert answer.headers["Content-Type"] == "application/json"
    assert served.json("GET", "/health") == (200, {"status": "ok", "events": 1})


def test_other_requests_reach_the_fastapi_app(served):
    # the table routes and the preflight of a capture path are FastAPI's
    assert served.json("POST", "/v1/events", NDJSON)[1] == {"rows_read": 3, "added": 3, "duplicates": 0}
    status, _ = served.call("OPTIONS", "/capture/", headers={"Origin": "https://shop.kz",
                                                               "Access-Control-Request-Method": "POST"})
    assert status == 204
    status, answer = served.json("GET", "/capture/")  # no GET route: FastAPI's 405
    assert status == 405 and "error" in answer


def test_a_fault_on_the_capture_path_is_a_logged_json_500_without_details(served, monkeypatch, caplog):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail of the fault")

    monkeypatch.setattr(capture, "translate", broken)
    with caplog.at_level(logging.ERROR, logger="voronka.server"):
        status, answer = served.json("POST", "/batch/", EVENT)
    assert status == 500 and answer == {"error": "internal error (the server's log has the details)"}
    logged = [r for r in caplog.records if r.name == "voronka.server"]
    assert logged and "secret detail of the fault" in str(logged[0].exc_info[1])
    assert "POST /batch/" in logged[0].getMessage()


def test_the_capture_paths():
    assert {"/capture", "/capture/", "/batch/", "/e/", "/i/v0/e/", "/track/", "/engage/", "/v1/batch",
            "/v1/identify"} <= ingress.PATHS
    assert "/v1/events" not in ingress.PATHS
