"""The web app's routes over HTTP (a real server on loopback, a real DuckDB demo store): the
builder's JSON is the CLI's funnel; comparisons; bad input is a located 422, never a 500;
saved views are checked, kept in the store and survive a restart; reads need a read key
unless the dashboard is public; assets come from voronka itself."""

from __future__ import annotations

import html
import json
import urllib.parse
from pathlib import Path

import pytest

from voronka import demo
from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel import compute_funnel
from voronka.funnel.spec import funnel_definition
from voronka.source import Source
from voronka.store import VIEWS, Store

from .test_server import _serve


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pages-api")
    files = demo.write(demo.generate(400, seed=5), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
    return folder / "demo.duckdb"


@pytest.fixture
def store(demo_store, tmp_path) -> Path:
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_store.read_bytes())
    return copy


def _expected(store: Path, flags: dict, **options) -> list[dict]:
    with Store(store, read_only=True) as opened:
        source = Source.from_options(DuckDBEngine(opened.connection), **{"where": [], **options})
        result = compute_funnel(source, funnel_definition(flags), units=False)
    return [{k: r[k] for k in ("breakdown", "step", "customers", "dropped")} for r in result.steps.to_pylist()]


def _rows(series: dict) -> list[dict]:
    return [{k: r[k] for k in ("breakdown", "step", "customers", "dropped")} for r in series["steps"]]


def test_the_builders_funnel_is_the_clis_and_compares_two_segments(demo_store, store):
    query = urllib.parse.urlencode([("steps", "ad_view,site_visit|content_view,purchase"), ("window", "30d"),
                                    ("by", "city"), ("where", "channel!=tv"), ("lang", "ru")])
    for server in _serve(store, public_dashboard=True):  # a copy: the server holds its file
        status, answer = server.json("GET", f"/app/api/funnel?{query}")
        assert status == 200 and len(answer["series"]) == 1
        assert answer["headers"]["customers"] == "Клиенты"
        flags = {"steps": "ad_view,site_visit|content_view,purchase", "window": "30d", "by": "city"}
        assert _rows(answer["series"][0]) == _expected(demo_store, flags, where=["channel!=tv"])
        assert json.loads(answer["funnel"])["data"]  # the chart, built by report.charts
        segments = urllib.parse.urlencode([("steps", "ad_view,purchase"), ("compare", "segments"),
                                           ("seg_a", "channel=tv"), ("seg_b", "channel=digital")])
        status, answer = server.json("GET", f"/app/api/funnel?{segments}")
        assert status == 200 and [s["name"] for s in answer["series"]] == ["channel=tv", "channel=digital"]
        assert _rows(answer["series"][1]) == _expected(demo_store, {"steps": "ad_view,purchase"},
                                                       where=["channel=digital"])
        assert answer["difference"].startswith("Conversion to the last step:")
        previous = "steps=ad_view,purchase&compare=previous&since=2026-06-01&until=2026-06-30"
        status, answer = server.json("GET", f"/app/api/funnel?{previous}")
        assert status == 200
        assert _rows(answer["series"][1]) == _expected(demo_store, {"steps": "ad_view,purchase"},
                                                       since="2026-05-02", until="2026-05-31")


@pytest.mark.parametrize(("path", "message"), [
    ("/app/api/funnel?compare=previous", "query parameter 'compare' (value 'previous'): give the period"),
    ("/app/api/funnel?compare=both", "query parameter 'compare' (value 'both')"),
    ("/app/api/funnel?steps=a,b&compare=previous&since=0001-01-01&until=0001-01-31", "starts before the year 1"),
    ("/app/api/funnel?steps=a,b&nonsense=1", "unknown query parameter 'nonsense'"),
    ("/app/api/funnel?where=channel", "--where 'channel': not a filter"),
    ("/app/api/dropped?steps=ad_view,purchase&step=9", "the funnel has 2 steps"),
    ("/app/api/dropped?steps=ad_view,purchase&step=-1", "query parameter 'step'"),
    ("/app/overview?tz=Mars/Base", "query parameter 'tz'"),
    ("/app/nowhere", "path parameter 'page' (value 'nowhere')"),
    ("/app/overview?lang=xx", "query parameter 'lang' (value 'xx')"),
])
def test_bad_input_is_a_located_422(demo_store, path, message):
    for server in _serve(demo_store, public_dashboard=True):
        status, body = server.json("GET", path)
        assert status == 422 and message in body["error"], body


def test_a_bad_filter_on_a_page_is_said_on_the_page_and_kept_in_its_form(demo_store):
    for server in _serve(demo_store, public_dashboard=True):
        status, page = server.call("GET", "/app/retention?lang=ru&where=channel%3Etv")
        text = html.unescape(page.decode())
        assert status == 422 and '<html lang="ru">' in text
        assert "--where 'channel>tv': 'tv' is not a number" in text and 'value="channel>tv"' in text


def test_views_are_checked_kept_in_the_store_and_reopened(store):
    for server in _serve(store, public_dashboard=True):
        view = {"name": "  Воронка TV ", "page": "funnel", "query": "?steps=ad_view,purchase&where=channel%3Dtv"}
        status, saved = server.json("POST", "/app/api/views", json.dumps(view).encode(),
                                    **{"Content-Type": "application/json"})
        assert status == 200 and saved["name"] == "Воронка TV"
        for bad, field in (({**view, "name": "\x00"}, "'name'"), ({**view, "page": "secret"}, "'page'"),
                           ({**view, "query": "x" * 5000}, "'query'")):
            status, body = server.json("POST", "/app/api/views", json.dumps(bad).encode(),
                                       **{"Content-Type": "application/json"})
            assert status == 422 and field in body["error"], body
        status, listed = server.json("GET", "/app/api/views")
        assert [v["name"] for v in listed] == ["Воронка TV"]
        status, _ = server.call("GET", "/app/views/" + urllib.parse.quote("Воронка TV"))
        assert status == 200  # followed the redirect to the builder's page
        assert server.json("GET", "/app/views/none")[0] == 404
    with Store(store, read_only=True) as opened:  # in the store, after the server stopped
        assert opened.connection.execute(f"SELECT name, page, query FROM {VIEWS}").fetchall() == [
            ("Воронка TV", "funnel", "steps=ad_view,purchase&where=channel%3Dtv")]


def test_pages_need_a_read_key_but_assets_do_not(store):
    for server in _serve(store, token="s3cret-key-for-both-kinds"):
        assert server.json("GET", "/app/funnel")[0] == 401
        assert server.json("GET", "/app/api/views")[0] == 401
        status, page = server.call("GET", "/app/funnel?key=s3cret-key-for-both-kinds")
        assert status == 200 and b'<script src="/static/plotly.min.js">' in page
        status, plotly = server.call("GET", "/static/plotly.min.js")
        assert status == 200 and b"plotly.js" in plotly[:400] and len(plotly) > 1_000_000
        assert server.call("GET", "/static/app.js")[0] == 200
        assert server.call("GET", "/static/../store.py")[0] == 404


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory) -> Path:
    """The store `voronka demo` builds (5,000 people, seed 7): its planted incident (no
    purchase after a digital trial, 8–28 June 2026, docs/demo.md) is one the scan can flag."""
    folder = tmp_path_factory.mktemp("pages-api-default")
    files = demo.write(demo.generate(), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
    return folder / "demo.duckdb"


def test_the_builders_trend_shades_and_lists_the_scans_windows(default_demo, tmp_path):
    """A weekly trend of try → buy carries the change scan's windows (``/app/api/charts``, asked
    for after the funnel), shaded on the chart and listed in words: the demo's incident on digital, the windows `voronka funnel
    --report` shades (both call ``trend_windows`` on the funnel's source)."""
    import datetime as dt

    from typer.testing import CliRunner

    from voronka.cli import app
    from voronka.explore.scan import trend_windows
    from voronka.i18n import format_date

    served = tmp_path / "served.duckdb"
    served.write_bytes(default_demo.read_bytes())
    incident = (dt.date(2026, 6, 8), dt.date(2026, 6, 28))
    cases = [([], "trial → purchase (channel = digital)"), (["channel=digital"], "trial → purchase")]
    for server in _serve(served, public_dashboard=True):
        for where, label in cases:
            query = urllib.parse.urlencode([("steps", "trial,purchase"), ("cohort", "week"), ("lang", "ru"),
                                            *(("where", w) for w in where)])
            status, answer = server.json("GET", f"/app/api/funnel?{query}")
            assert status == 200 and answer["trend_rows"] and "trend" not in answer, answer
            status, answer = server.json("GET", f"/app/api/charts?{query}")  # asked for once the funnel is drawn
            assert status == 200, answer
            with Store(default_demo, read_only=True) as opened:
                source = Source.from_options(DuckDBEngine(opened.connection), where=where)
                definition = funnel_definition({"steps": "trial,purchase", "cohort": "week"})
                expected = trend_windows(source, compute_funnel(source, definition, units=False))
            assert [(dt.date.fromisoformat(w["first"]), dt.date.fromisoformat(w["last"]), w["label"])
                    for w in answer["flagged"]] == expected
            window = next(w for w in answer["flagged"] if w["label"] == label)
            first, last = dt.date.fromisoformat(window["first"]), dt.date.fromisoformat(window["last"])
            assert first <= incident[1] and last >= incident[0]
            assert window["text"] == f"{format_date(first, 'ru')} – {format_date(last, 'ru')}: {label}"
            assert window["text"].startswith("8 июн. 2026")
            assert answer["flagged_note"].startswith("Периоды, которые отмечает поиск изменений")
            layout = json.loads(answer["trend"])["layout"]
            assert len(layout["shapes"]) == len(expected) and label in [a["text"] for a in layout["annotations"]]
        status, answer = server.json("GET", "/app/api/funnel?steps=trial,purchase")  # no trend: no scan
        assert status == 200 and answer["trend_rows"] == []
        status, answer = server.json("GET", "/app/api/charts?steps=trial,purchase")
        assert status == 200 and (answer["trend"], answer["flagged"], answer["flagged_note"]) == (None, [], None)
        assert json.loads(answer["ttc"])["data"]  # time to convert, drawn below the funnel
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["funnel", "--store", str(default_demo), "--steps", "trial,purchase",
                                      "--cohort", "week", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert json.dumps(cases[0][1])[1:-1] in report.read_text()  # the trend's label, as plotly writes it


def test_dashboards_are_ordered_saved_views_renamed_and_deleted(store):
    """A dashboard is made by adding a saved view to a new name; views keep their order, an
    unsaved view or a taken name is a located 422, a missing dashboard a 404; it is kept in
    the store's ``voronka_dashboards``; reads need the read key as every page."""
    from voronka.store import DASHBOARDS

    post = {"Content-Type": "application/json"}
    for server in _serve(store, public_dashboard=True):
        for name, query in (("TV", "steps=ad_view,purchase&where=channel%3Dtv"), ("Все", "steps=ad_view,purchase")):
            status, _ = server.json("POST", "/app/api/views", json.dumps(
                {"name": name, "page": "funnel", "query": query}).encode(), **post)
            assert status == 200
        board = "/app/api/dashboards/" + urllib.parse.quote("Продажи")
        for view in ("TV", "Все", "TV"):  # the second TV changes nothing
            status, body = server.json("POST", board + "/views", json.dumps({"view": view}).encode(), **post)
            assert status == 200, body
        assert body == {"name": "Продажи", "views": ["TV", "Все"]}
        status, body = server.json("POST", board + "/views", json.dumps({"view": "nothing"}).encode(), **post)
        assert status == 422 and "no saved view of that name" in body["error"]
        status, found = server.json("GET", board)
        assert status == 200 and [(v["name"], v["page"]) for v in found["views"]] == [("TV", "funnel"), ("Все", "funnel")]
        status, body = server.json("PATCH", board, json.dumps({"views": ["Все", "TV"]}).encode(), **post)
        assert status == 200 and body["views"] == ["Все", "TV"]
        status, body = server.json("POST", "/app/api/dashboards/Other/views", json.dumps({"view": "TV"}).encode(), **post)
        status, body = server.json("PATCH", board, json.dumps({"name": "Other"}).encode(), **post)
        assert status == 422 and "another dashboard has that name" in body["error"]
        status, body = server.json("PATCH", board, json.dumps({"name": " Sales "}).encode(), **post)
        assert status == 200 and body == {"name": "Sales", "views": ["Все", "TV"]}
        assert server.json("GET", board)[0] == 404
        status, page = server.call("GET", "/app/dashboards/Sales?lang=kk")
        text = html.unescape(page.decode())
        assert status == 200 and 'data-page="dashboard"' in text and 'data-view="Все"' in text and "Дашбордтар" in text
        assert server.call("GET", "/app/dashboards/none")[0] == 404
        status, listed = server.json("GET", "/app/api/dashboards")
        assert [(d["name"], d["views"]) for d in listed] == [("Other", ["TV"]), ("Sales", ["Все", "TV"])]
        assert server.json("DELETE", "/app/api/dashboards/Other")[0] == 200
        assert server.json("DELETE", "/app/api/dashboards/Other")[0] == 404
        status, body = server.json("POST", "/app/api/dashboards/%01/views", json.dumps({"view": "TV"}).encode(), **post)
        assert status == 422 and "dashboard field 'name'" in body["error"]
    with Store(store, read_only=True) as opened:  # in the store, after the server stopped
        assert opened.connection.execute(f"SELECT name, views FROM {DASHBOARDS}").fetchall() == [
            ("Sales", '["Все", "TV"]')]
    for server in _serve(store, token="s3cret-key-for-both-kinds"):
        assert server.json("GET", "/app/api/dashboards")[0] == 401
        assert server.call("GET", "/app/dashboards/Sales")[0] == 401
        status, page = server.call("GET", "/app/dashboards/Sales?key=s3cret-key-for-both-kinds")
        assert status == 200 and 'data-view="TV"' in page.decode()


def test_a_page_is_computed_once_per_generation_and_shown_with_a_note_after_a_write(store):
    """The same page twice is one computation; after a write the page computed before it is
    answered at once with a note saying so, and computed again in the background; the API's
    answers follow the write (their cache is per generation)."""
    import time

    for server in _serve(store, public_dashboard=True):
        status, first = server.call("GET", "/app/api/page/money?lang=en")
        assert status == 200 and b"note stale" not in first
        assert server.call("GET", "/app/api/page/money?lang=en") == (200, first)
        funnel = "/v1/funnel?steps=ad_view,purchase"
        status, before = server.json("GET", funnel)
        event = {"customer_id": "new-1", "ts": "2026-05-01T10:00:00Z", "event": "ad_view", "channel": "tv"}
        status, body = server.json("POST", "/v1/events", json.dumps(event).encode())
        assert status == 200 and body["added"] == 1, body
        status, after = server.json("GET", funnel)
        assert after[0]["customers"] == before[0]["customers"] + 1  # not the kept answer
        status, stale = server.call("GET", "/app/api/page/money?lang=en")
        assert status == 200 and b'class="note stale"' in stale and b"before the latest events arrived" in stale
        assert stale.endswith(first)
        status, shell = server.call("GET", "/app/money?lang=en")  # the page itself: the same, inline
        assert b'class="note stale"' in shell and b'data-fetch="' not in shell
        deadline = time.monotonic() + 60
        while b"note stale" in server.call("GET", "/app/api/page/money?lang=en")[1]:
            assert time.monotonic() < deadline, "the page was not computed again"
            time.sleep(0.2)


def test_the_overview_and_the_builders_default_funnel_compute_the_hourglass_once(store):
    """The overview's hourglass and the builder's default funnel (as the page asks for it) are
    one kept funnel: after the overview, the builder computes only its own answer."""
    from voronka.server import builder
    from voronka.server.collector import Collector
    from voronka.server.pages import DEFAULT_FUNNEL, Pages, source_options
    from voronka.server.results import Results

    collector = Collector(store)
    try:
        results = Results(lambda: collector.generation)
        pages = Pages(collector, results)
        assert "report-section" in pages.area("overview", source_options([]), "en")
        misses = results.misses
        answer = json.loads(builder.funnel_answer(collector, results, list(DEFAULT_FUNNEL), "en"))
        assert results.misses == misses + 1  # the builder's answer; its funnel was kept by the overview
        assert answer["steps"][0]["key"] and answer["series"][0]["steps"]
        assert json.loads(builder.funnel_answer(collector, results, list(DEFAULT_FUNNEL), "en")) == answer
        assert results.misses == misses + 1
    finally:
        collector.close()
