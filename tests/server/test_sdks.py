"""The real tracking SDKs against a real ``voronka serve`` on loopback: the PostHog Python
package (PyPI) and posthog-js (npm, vendored in ``assets/posthog-js`` with its licence) in
headless Chromium, and voronka's own ``/snippet.js``."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from voronka.store import Store

from ..reports.test_chromium import CHROMIUM, _chromium
from ._live import free_port, spawn, stop

ASSETS = Path(__file__).parent / "assets"
KEY = "phc_voronka_test"


class Server:
    """A ``voronka serve`` process; ``rows`` stops it (it holds the store) and reads the store."""

    def __init__(self, store: Path) -> None:
        self.store, self.port = store, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = spawn(store, self.port, "--token", KEY)

    def rows(self, sql: str) -> list[tuple]:
        stop(self.process)
        with Store(self.store, read_only=True) as s:
            return s.connection.execute(sql).fetchall()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    served = Server(tmp_path / "store.duckdb")
    try:
        yield served
    finally:
        stop(served.process)


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_the_posthog_python_sdk(server, gzip):
    from posthog import Posthog

    client = Posthog(KEY, host=server.url, gzip=gzip, flush_at=100, flush_interval=0.2, max_retries=1)
    client.capture("$pageview", distinct_id="anon-1", uuid="0196f3e0-0000-7000-8000-000000000001",
                   properties={"$current_url": "https://shop.kz/?utm_source=instagram&utm_campaign=spring"})
    client.capture("$identify", distinct_id="+77011234567", properties={"$anon_distinct_id": "anon-1"})
    client.alias(previous_id="anon-2", distinct_id="+77011234567")
    client.set(distinct_id="+77011234567", properties={"name": "Aigerim"})
    client.capture("purchase", distinct_id="+77011234567", properties={"revenue": "1 234,50", "currency": "KZT"})
    client.flush()
    client.shutdown()
    wrong = Posthog("phc_wrong", host=server.url, max_retries=0)  # refused: not the project key
    wrong.capture("lost", distinct_id="x")
    wrong.shutdown()
    events = server.rows("SELECT event, customer_id, channel, campaign, revenue, currency, event_id, properties "
                         "FROM events ORDER BY ts, event")
    assert sorted(e[0] for e in events) == ["$create_alias", "$identify", "$pageview", "$set", "purchase"]
    pageview = next(e for e in events if e[0] == "$pageview")
    assert pageview[1:4] == ("anon-1", "instagram", "spring")
    assert pageview[6] == "0196f3e0-0000-7000-8000-000000000001"
    purchase = next(e for e in events if e[0] == "purchase")
    assert float(purchase[4]) == 1234.5 and purchase[5] == "KZT"
    customer = json.loads(next(e for e in events if e[0] == "$set")[7])["$set"]  # customer properties
    assert json.loads(customer) == {"name": "Aigerim"}
    with Store(server.store, read_only=True) as s:
        aliases = s.connection.execute("SELECT alias, customer_id FROM aliases ORDER BY alias").fetchall()
    assert aliases == [("anon-1", "+77011234567"), ("anon-2", "+77011234567")]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A web site on another loopback port (another origin): its pages post to voronka."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "posthog.js").write_bytes((ASSETS / "posthog-js" / "array.no-external.js").read_bytes())
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()


def _browse(tmp_path: Path, url: str) -> str:
    # the helper switches name resolution off; the last such switch wins: all but loopback
    offline_but_loopback = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    return _chromium(tmp_path, offline_but_loopback, "--virtual-time-budget=8000", "--dump-dom", url).stdout


POSTHOG_PAGE = """<!doctype html><html><head><title>Shop</title><script src="posthog.js"></script></head>
<body><p id="state">loading</p><script>
posthog.init("%(key)s", {api_host: "%(api)s", autocapture: false, disable_session_recording: true,
  capture_pageview: true, capture_pageleave: false, persistence: "localStorage", request_batching: false,
  disable_surveys: true, advanced_disable_feature_flags: true,
  opt_out_useragent_filter: true});  // headless Chromium says it is a bot
setTimeout(function () {  // later on the visit, the visitor leaves a phone number and buys
  posthog.identify("+77011234567", {name: "Aigerim"});
  posthog.capture("purchase", {revenue: "5000", currency: "KZT"});
  document.getElementById("state").textContent = "sent";
}, 1000);
</script></body></html>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (scripts/test.sh installs it as root)")
def test_posthog_js_in_chromium(server, site, tmp_path):
    origin, root = site
    (root / "index.html").write_text(POSTHOG_PAGE % {"key": KEY, "api": server.url})
    dom = _browse(tmp_path, f"{origin}/index.html?utm_source=instagram&utm_medium=cpc&utm_campaign=spring")
    assert ">sent<" in dom
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _count(server) < 3:
        time.sleep(0.2)
    events = server.rows("SELECT event, customer_id, channel, campaign, properties FROM events ORDER BY ts")
    pageviews = [e for e in events if e[0] == "$pageview"]
    assert pageviews and pageviews[0][2:4] == ("instagram", "spring"), events
    assert json.loads(pageviews[0][4])["$current_url"].startswith(origin)
    assert {"$identify", "purchase"} <= {e[0] for e in events}
    with Store(server.store, read_only=True) as s:
        aliases = s.connection.execute("SELECT alias, customer_id FROM aliases").fetchall()
    assert aliases == [(pageviews[0][1], "+77011234567")]  # the anonymous visitor, identified
    assert pageviews[0][1] != "+77011234567"


def _count(server: Server) -> int:
    import urllib.request

    request = urllib.request.Request(server.url + "/health", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # the count needs a read key: --token is both
        return json.loads(answer.read())["events"]


SNIPPET_PAGE = """<!doctype html><html><head><title>Shop</title>
<script src="%(api)s/snippet.js" data-key="%(key)s"></script></head>
<body><p id="state">loading</p><script>
var before = voronka.id();
setTimeout(function () {
  voronka.identify("+77011234567", {name: "Aigerim"});
  document.getElementById("state").textContent = "sent " + before;
}, 500);
</script></body></html>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (scripts/test.sh installs it as root)")
def test_the_snippet_in_chromium(server, site, tmp_path):
    origin, root = site
    (root / "index.html").write_text(SNIPPET_PAGE % {"key": KEY, "api": server.url})
    dom = _browse(tmp_path, f"{origin}/index.html?utm_source=google&utm_medium=cpc&utm_campaign=brand")
    anonymous = dom.split(">sent ", 1)[1].split("<", 1)[0]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _count(server) < 2:
        time.sleep(0.2)
    events = server.rows("SELECT event, customer_id, channel, campaign FROM events ORDER BY ts")
    assert events == [("$pageview", anonymous, "google", "brand"), ("$identify", "+77011234567", None, None)]
    with Store(server.store, read_only=True) as s:
        assert s.connection.execute("SELECT alias, customer_id FROM aliases").fetchall() == [
            (anonymous, "+77011234567")]
