"""The collector and the dashboard, served by a real uvicorn on loopback, on a real store file."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from voronka import demo
from voronka.server import create_app
from voronka.store import Store

from ..reports.test_chromium import CHROMIUM, _chromium

EVENTS = [
    {"customer_id": "c1", "ts": "2026-03-01 10:00:00", "event": "site_visit", "channel": "digital"},
    {"customer_id": "c1", "ts": "2026-03-02 10:00:00", "event": "purchase", "revenue": "1 234,50", "currency": "KZT"},
    {"customer_id": "c2", "ts": "2026-03-01 11:00:00", "event": "site_visit", "channel": "tv"},
]
NDJSON = "\n".join(json.dumps(e, ensure_ascii=False) for e in EVENTS).encode()


class Served:
    """A running server: its base URL, its application and the HTTP calls the tests make."""

    def __init__(self, url: str, app: object = None) -> None:
        self.url = url
        self.app = app

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, object]:
        status, data = self.call(method, path, body, headers)
        return status, json.loads(data)


def _serve(store: Path, **options: object) -> Iterator[Served]:
    with socket.socket() as s:  # a free port on loopback
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(store, **options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from _serve(tmp_path / "store.duckdb", public_dashboard=True)


def _stored(store: Path) -> list[tuple]:
    with Store(store, read_only=True) as s:
        return s.connection.execute(
            "SELECT customer_id, event, ts, revenue, channel FROM events ORDER BY customer_id, ts").fetchall()


def test_events_posted_as_ndjson_are_stored_once(tmp_path):
    store = tmp_path / "store.duckdb"
    for server in _serve(store, public_dashboard=True):
        assert server.json("POST", "/v1/events?tz=Asia/Almaty", NDJSON) == (
            200, {"rows_read": 3, "added": 3, "duplicates": 0})
        # the same request again (a client's retry) adds nothing
        assert server.json("POST", "/v1/events?tz=Asia/Almaty", NDJSON) == (
            200, {"rows_read": 3, "added": 0, "duplicates": 3})
        assert server.json("GET", "/health") == (200, {"status": "ok", "events": 3})
    rows = _stored(store)
    assert [(r[0], r[1]) for r in rows] == [("c1", "site_visit"), ("c1", "purchase"), ("c2", "site_visit")]
    assert str(rows[0][2]) == "2026-03-01 05:00:00"  # 10:00 in Almaty (UTC+5) is stored as UTC
    assert float(rows[1][3]) == 1234.5  # the Russian number with its space


def test_a_json_array_and_a_column_mapping(served):
    body = json.dumps([{"client": "c9", "time": "01.03.2026 10:00", "event": "site_visit"}]).encode()
    assert served.json("POST", "/v1/events?map=customer_id=client,ts=time", body)[1]["added"] == 1
    status, steps = served.json("GET", "/v1/funnel?steps=site_visit,purchase&window=30d")
    assert status == 200 and [s["customers"] for s in steps] == [1, 0]


def test_a_bad_row_names_the_row_and_field_and_stores_nothing_of_the_request(served):
    assert served.json("POST", "/v1/events", NDJSON)[0] == 200
    bad = NDJSON + b'\n{"customer_id": "c3", "ts": "yesterday", "event": "site_visit"}'
    status, answer = served.json("POST", "/v1/events", bad.replace(b'"c2"', b'"c4"'))
    assert status == 422
    assert answer["error"].startswith("request body, row 4, column 'ts' (value 'yesterday'): not a date-time")
    assert served.json("GET", "/health")[1]["events"] == 3  # c4's good row was not kept either
    for body, message in [(b"", "request body: empty body"), (b'{"customer_id": "x",', "request body, row 1: malformed JSON at line 1, character 21"),
                          (b'{"customer_id": "x", "event": "e"}', "request body: required column 'ts' is missing")]:
        status, answer = served.json("POST", "/v1/events", body)
        assert status == 422 and answer["error"].startswith(message), answer
    assert served.json("POST", "/v1/nothing", NDJSON)[0] == 422
    assert served.json("POST", "/v1/events?tz=Mars/Olympus", NDJSON)[1]["error"].startswith(
        "query parameter 'tz' (value 'Mars/Olympus'): unknown time zone")
    assert served.json("GET", "/health")[1]["events"] == 3


def test_token_and_body_size(tmp_path):
    for server in _serve(tmp_path / "store.duckdb", token="s3cret", max_body_bytes=len(NDJSON)):
        assert server.json("POST", "/v1/events", NDJSON)[0] == 401
        assert server.json("POST", "/v1/events", NDJSON, Authorization="Bearer wrong")[0] == 401
        assert server.json("POST", "/v1/events", NDJSON + b"\n", Authorization="Bearer s3cret")[0] == 413
        assert server.json("POST", "/v1/events", NDJSON, Authorization="Bearer s3cret")[1]["added"] == 3
        assert server.json("GET", "/health") == (200, {"status": "ok"})  # no count without a read key
        assert server.json("GET", "/health", Authorization="Bearer s3cret")[1]["events"] == 3  # both kinds


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("served-demo")
    files = demo.write(demo.generate(600, seed=3), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
        store.ingest_spend([files["spend"]])
    return folder / "demo.duckdb"


def test_the_dashboard_is_the_full_report_of_the_store_now(demo_store, tmp_path):
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_store.read_bytes())
    for server in _serve(copy, public_dashboard=True):
        status, page = server.call("GET", "/?lang=ru&tz=Asia/Almaty")
        html = page.decode()
        assert status == 200 and '<html lang="ru">' in html and "Панель пути клиента" in html
        assert 'href="?lang=kk&amp;tz=Asia%2FAlmaty"' in html  # the links between languages
        sections = html.count('<section class="report-section"')
        assert sections > 10
        assert server.call("GET", "/?lang=ru&tz=Asia/Almaty")[1] == page  # cached: no ingest since
        _, steps = server.json("GET", "/v1/funnel?model=hourglass")
        before = steps[0]["customers"]
        new = b'{"customer_id": "newcomer", "ts": "2026-06-01 10:00:00", "event": "ad_view"}'
        assert server.json("POST", "/v1/events", new)[1]["added"] == 1
        assert server.json("GET", "/v1/funnel?model=hourglass")[1][0]["customers"] == before + 1
        assert server.call("GET", "/?lang=ru&tz=Asia/Almaty")[1] != page  # built again after the ingest
        assert server.json("GET", "/?lang=xx") == (
            422, {"error": "query parameter 'lang' (value 'xx'): Input should be 'en', 'ru' or 'kk'"})


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (scripts/test.sh installs it as root)")
def test_the_dashboard_renders_in_chromium(demo_store, tmp_path):
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_store.read_bytes())
    for server in _serve(copy, public_dashboard=True):
        # the helper switches name resolution off; the last such switch wins: all but loopback
        offline_but_loopback = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
        dom = _chromium(tmp_path, offline_but_loopback, "--dump-dom", f"{server.url}/?lang=kk").stdout
        assert '<html lang="kk">' in dom and "Клиент жолының тақтасы" in dom
        plots = len(re.findall(r'class="plotly-figure js-plotly-plot"', dom))
        assert plots > 10 and dom.count('class="main-svg"') >= plots  # every figure was drawn


def test_serve_on_a_file_that_is_not_a_store_is_a_one_line_error(tmp_path):
    from typer.testing import CliRunner

    from voronka.cli import app

    other = tmp_path / "notes.duckdb"
    other.write_text("not a database")
    result = CliRunner().invoke(app, ["serve", "--store", str(other), "--port", "0"])
    assert result.exit_code == 1
    assert "notes.duckdb: cannot open the store" in result.output and "Traceback" not in result.output


def test_capture_routes_segment_and_flags(tmp_path):
    import gzip

    store = tmp_path / "store.duckdb"
    for server in _serve(store, token="phc_k"):
        event = {"event": "$pageview", "distinct_id": "a1", "uuid": "u1", "properties": {"token": "phc_k"}}
        for path in ("/i/v0/e/?compression=gzip-js", "/e", "/capture/", "/batch"):
            status, answer = server.call("POST", path, gzip.compress(json.dumps(event).encode()))
            assert (status, json.loads(answer)) == (200, {"status": 1}), path
        segment = {"writeKey": "phc_k", "batch": [{"type": "track", "userId": "u9", "event": "purchase",
                                                    "messageId": "m1", "timestamp": "2026-03-01T10:00:00Z"}]}
        assert server.json("POST", "/v1/batch", json.dumps(segment).encode())[0] == 200
        wrong = dict(event, properties={"token": "phc_other"})
        assert server.json("POST", "/capture/", json.dumps(wrong).encode())[0] == 401
        assert server.json("POST", "/capture/", b'{"event": "x"}') == (
            422, {"error": "request body, row 1, column 'distinct_id': distinct_id is required"})
        for path in ("/decide/?v=3", "/flags/?v=2"):
            status, flags = server.json("POST", path, b"{}")
            assert status == 200 and flags["featureFlags"] == {} and flags["errorsWhileComputingFlags"] is False
        status, script = server.call("GET", "/snippet.js")
        assert status == 200 and b"window.voronka" in script
        assert server.json("GET", "/health", Authorization="Bearer phc_k") == (200, {"status": "ok", "events": 2})  # u1 once, m1
