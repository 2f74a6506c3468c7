"""Hostile and careless requests (issue 18): no parameter opens a file, every parameter has a
range and a located 422, an internal fault is a logged JSON 500 without details. A real
server on loopback, a real store file."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from voronka.errors import DefinitionError
from voronka.funnel.spec import build_funnel
from voronka.stage_models import load_model, model_to_yaml

from .test_server import NDJSON, Served, _serve


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A server with a public dashboard on an empty store."""
    yield from _serve(tmp_path / "store.duckdb", public_dashboard=True)


@pytest.fixture
def cwd_with_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a valid model file ``mine`` and a broken file ``hourglass``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").write_text(model_to_yaml(load_model("journey").model_copy(update={"key": "mine"})))
    (tmp_path / "hourglass").write_text("not: [a model")
    return tmp_path


@pytest.mark.parametrize("name", ["/etc/passwd", "/dev/zero", "../x", "C:\\x", "mine", "mine.yaml", "./mine"])
def test_a_model_parameter_never_opens_a_file(name, cwd_with_models):
    for server in _serve(cwd_with_models / "store.duckdb", public_dashboard=True):
        started = time.monotonic()
        status, answer = server.json("GET", "/v1/funnel?" + urlencode({"model": name}))
        assert status == 422 and answer["error"].startswith("query parameter 'model'") and "hourglass" in answer["error"]
        assert time.monotonic() - started < 5  # /dev/zero is not read
        # the built-in model, not the broken file of that name in the working directory
        status, steps = server.json("GET", "/v1/funnel?model=hourglass")
        assert status == 200 and [s["step_key"] for s in steps][:2] == ["know", "like"]


def test_the_dashboard_reads_no_model_file_of_the_working_directory(cwd_with_models):
    for server in _serve(cwd_with_models / "store.duckdb", public_dashboard=True):
        assert server.json("POST", "/v1/events", NDJSON)[0] == 200
        status, page = server.call("GET", "/")
        assert status == 200 and b"Know" in page  # the built-in hourglass, not ./hourglass


@pytest.mark.parametrize("name", ["/etc/passwd", "/dev/zero", "../x", "C:\\x", "mine"])
def test_the_funnel_spec_of_a_request_takes_built_in_names_only(name, cwd_with_models):
    """The second line of defence, under the route's enum: ``build_funnel(model_files=False)``."""
    with pytest.raises(DefinitionError, match="no built-in model"):
        build_funnel({"model": name}, model_files=False)
    assert build_funnel({"model": "hourglass"}, model_files=False).steps[0].key == "know"


BAD_PARAMETERS = [
    ("/v1/funnel?window=99999999999d", "query parameter 'window' (value '99999999999d'): expected a duration"),
    ("/v1/funnel?window=9999999d", "query parameter 'window' (value '9999999d'): over 3650d"),
    ("/v1/funnel?window=0d", "window must be positive"),
    ("/v1/funnel?window=-1d", "query parameter 'window' (value '-1d'): expected a duration"),
    ("/v1/funnel?steps=" + ",".join(f"s{i}" for i in range(21)), "query parameter 'steps': 21 steps; at most 20"),
    ("/v1/funnel?steps=" + "x" * 2001, "query parameter 'steps'"),
    ("/v1/funnel?tz=/etc/passwd", "query parameter 'tz' (value '/etc/passwd'): expected an IANA time zone"),
    ("/v1/funnel?tz=../../etc/passwd", "query parameter 'tz'"),
    ("/v1/funnel?tz=Mars/Olympus", "query parameter 'tz' (value 'Mars/Olympus'): unknown time zone"),
    ("/v1/funnel?tz=" + "A" * 65, "query parameter 'tz'"),
    ("/v1/funnel?lang=de", "query parameter 'lang' (value 'de'): Input should be 'en', 'ru' or 'kk'"),
    ("/?tz=posixrules", "query parameter 'tz' (value 'posixrules'): unknown time zone"),
    ("/?lang=%00", "query parameter 'lang'"),
]


@pytest.mark.parametrize(("path", "message"), BAD_PARAMETERS)
def test_every_parameter_has_a_range_and_a_located_422(path, message, served):
    status, answer = served.json("GET", path)
    assert status == 422 and answer["error"].startswith(message), answer


def test_write_parameters_have_ranges_too(served):
    for path, message in [("/v1/../etc/passwd", None), ("/v1/evil", "path parameter 'table' (value 'evil')"),
                          ("/v1/events?tz=/etc/localtime", "query parameter 'tz'"),
                          ("/v1/events?map=" + "a=b," * 600, "query parameter 'map'"),
                          ("/v1/events?map=customer_id", "a mapping is written canonical=input")]:
        status, answer = served.json("POST", path, NDJSON)
        assert 400 <= status < 500, (path, status)
        assert message is None or answer["error"].startswith(message), answer
    assert served.json("GET", "/health")[1]["events"] == 0


def test_the_schema_states_the_ranges(served):
    _, schema = served.json("GET", "/openapi.json")
    funnel = {p["name"]: p["schema"] for p in schema["paths"]["/v1/funnel"]["get"]["parameters"]}
    assert "hourglass" in funnel["model"]["enum"] and funnel["lang"]["enum"] == ["en", "ru", "kk"]
    assert funnel["window"]["anyOf"][0]["pattern"] and funnel["steps"]["anyOf"][0]["maxLength"] == 2000
    assert funnel["tz"]["maxLength"] == 64
    table = schema["paths"]["/v1/{table}"]["post"]["parameters"][0]
    assert table["schema"]["enum"] == ["events", "spend", "aliases", "deals"]


def test_a_missing_column_over_http_suggests_the_query_parameter(served):
    status, answer = served.json("POST", "/v1/events", b'{"client": "c1", "ts": "2026-03-01", "event": "e"}')
    assert status == 422 and "(map one with ?map=customer_id=NAME)" in answer["error"] and "--map" not in answer["error"]
    status, answer = served.json("POST", "/v1/events?map=customer_id=client", b'{"client": "c1", "ts": "2026-03-01", "event": "e"}')
    assert (status, answer["added"]) == (200, 1)


def test_an_internal_fault_is_a_logged_json_500_without_details(served, monkeypatch, caplog):
    """A genuine fault (here: the report code failing) is logged with its traceback on the
    server; the client gets a JSON 500 that tells nothing of the inside."""
    import voronka.reports.full

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail of the fault")

    monkeypatch.setattr(voronka.reports.full, "full_report", broken)
    with caplog.at_level(logging.ERROR, logger="voronka.server"):
        status, answer = served.json("GET", "/")
    assert status == 500 and answer == {"error": "internal error (the server's log has the details)"}
    logged = [r for r in caplog.records if r.name == "voronka.server"]
    assert logged and logged[0].exc_info and "secret detail of the fault" in str(logged[0].exc_info[1])
    assert "GET /" in logged[0].getMessage()


GOOD = b'{"customer_id": "a", "ts": "2026-01-01 10:00", "event": "site_visit"}'


@pytest.mark.parametrize("body", [GOOD + b"\n" + GOOD.replace(b'"a"', b'"b"') + b'\n{"customer_id": "c", "ts": ',
                                  GOOD.replace(b"}", b', "properties": "text"}')], ids=["ndjson-cut", "properties-text"])
def test_bad_bodies_deep_in_the_pipeline_are_located_422s(body, served):
    status, answer = served.json("POST", "/v1/events", body)
    assert status == 422 and answer["error"].startswith("request body"), (status, answer)
    assert served.json("GET", "/health")[1]["events"] == 0
