"""The web app of ``voronka serve``: pages under ``/app/``, their JSON under ``/app/api/``,
the assets under ``/static/`` (docs/server.md, "The web app").

* ``GET /app/{page}``: ``overview``, ``funnel`` (the builder: a small vanilla-JS front end,
  ``static/app.js``, over ``/app/api/funnel``) and the server-rendered areas of
  ``server.areas`` (``paths``, ``retention``, ``attribution``, ``findings``, ``money``,
  ``plan``, ``crm``): their frame at once, their sections from ``GET /app/api/page/{page}``
  (``Pages``: once per store generation). The whole state of a view is its query string:
  the source's ``since``/``until``/``where``/``unit``/``tz``, ``lang``, and the builder's
  funnel parameters; a link reproduces the view.
* ``GET /app/api/funnel``, ``/app/api/charts``, ``/app/api/dropped``, ``/app/api/dropped.csv``:
  the builder's funnel, its trend and time to convert, and the customers who dropped after a
  step (``server.builder``).
* ``GET``/``POST /app/api/views``, ``GET /app/views/{name}``: saved views (``server.views``).
* ``/app/api/dashboards…``, ``GET /app/dashboards/{name}``: dashboards (``server.dashboards``).
* ``GET /static/plotly.min.js``: plotly.js from the installed ``plotly`` package; the rest
  of ``/static/`` is this package's ``static`` folder. Nothing comes from a CDN.

Every route but ``/static/`` needs read access, as the dashboard (``auth.read_access``).
No parameter names a file."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import importlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import Body, Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from voronka.errors import InputError, StoreError, VoronkaError
from voronka.i18n import MESSAGES, format_datetime, t
from voronka.reports.html import CSS
from voronka.keys import allows_read
from voronka.server import builder
from voronka.server.answers import error
from voronka.server.areas import AREAS, area_report
from voronka.server.auth import COOKIE, read_access
from voronka.server.collector import LANGS, Collector
from voronka.server.dashboards import (
    MAX_VIEWS,
    Missing,
    add_view,
    change_dashboard,
    delete_dashboard,
    find_dashboard,
    list_dashboards,
)
from voronka.server.params import Lang, Tz, check_zone
from voronka.server.results import JSON, Results, canonical, shared
from voronka.server.views import MAX_NAME, check_view, find_view, list_views, save_view

BUILDER = "funnel"
DASHBOARD = "dashboard"
"""The ``data-page`` of a dashboard (``/app/dashboards/NAME``), not a page of the menu."""
PAGES = ("overview", BUILDER, *[name for name in AREAS if name != "overview"])
"""The pages, in the menu's order."""
Page = Literal[PAGES]  # type: ignore[valid-type]
DashboardName = Annotated[str, PathParam(max_length=MAX_NAME)]
SOURCE_KEYS = ("since", "until", "where", "unit", "tz")
"""The query parameters every page keeps when the menu or the language switch is followed."""
STATIC = Path(__file__).with_name("static")
MAX_LAST = 32
"""The most pages whose latest sections are kept to show (with a note) after a write."""
WARM_AFTER = 1.0
"""Seconds after the start before the warm-up begins (a restart answers its first requests sooner)."""
WARM = ("voronka.funnel", "voronka.diagnose", "voronka.reports.funnel", "voronka.reports.diagnose", "scipy.special")
"""Modules the first overview needs, imported in the background when the server starts (seconds of
imports, paid before the first visitor instead of by them)."""
FIELD_SAMPLE = 10_000
DEFAULT_FUNNEL = (("tz", "UTC"), ("model", "hourglass"), ("order", "ordered"))
"""The builder's query when opened with none (as ``app.js`` writes it)."""


def plotly_js() -> Path:
    """The minified plotly.js shipped in the ``plotly`` package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _query(items: list[tuple[str, str]], keep: tuple[str, ...] | None = None, **replace: str) -> str:
    kept = [(n, v) for n, v in items if n != "key" and n not in replace and (keep is None or n in keep)]
    return urlencode(kept + [(n, v) for n, v in replace.items()])


def _labels(lang: str) -> dict[str, str]:
    """The ``web.*`` labels the front end shows, in ``lang``."""
    return {key[4:]: t(key, lang) for key in MESSAGES if key.startswith("web.")}


def layout(request: Request, page: str, lang: str, body: str, *, title: str | None = None) -> str:
    """The page around ``body``: the menu, the language switch, the filters (not on a
    dashboard: each view has its own), the saved views and the dashboards."""
    esc = html.escape
    items = request.query_params.multi_items()
    menu = "".join(
        f'<a href="/app/{p}?{esc(_query(items, ("lang", *SOURCE_KEYS)))}"'
        f'{" aria-current=page" if p == page else ""} data-page="{p}">{esc(t(f"web.page.{p}", lang))}</a>'
        for p in PAGES)
    langs = "".join(
        f'<a href="?{esc(_query(items, lang=code))}" hreflang="{code}" data-lang="{code}"'
        f'{" aria-current=true" if code == lang else ""}>{esc(t(f"lang.{code}", code))}</a>' for code in LANGS)
    where = [v for n, v in items if n == "where"] or [""]
    filters = "".join(
        f'<input name="where" value="{esc(w)}" placeholder="{esc(t("web.where_hint", lang))}" class="where">'
        for w in where)
    value = {n: v for n, v in items}
    hidden = "".join(f'<input type="hidden" name="{n}" value="{esc(v)}">' for n, v in items
                     if n not in (*SOURCE_KEYS, "key") and page != BUILDER)
    units = "".join(f'<option value="{u}"{" selected" if value.get("unit", "") == u else ""}>'
                    f'{esc(t("web.unit." + (u or "customer"), lang))}</option>' for u in ("", "session"))
    source_form = (
        f'<form class="source" id="source" method="get" action="/app/{page}">'
        f'<label>{esc(t("web.since", lang))} <input type="date" name="since" value="{esc(value.get("since", ""))}"></label>'
        f'<label>{esc(t("web.until", lang))} <input type="date" name="until" value="{esc(value.get("until", ""))}"></label>'
        f'<label>{esc(t("web.unit", lang))} <select name="unit">{units}</select></label>'
        f'<span class="wheres"><span>{esc(t("web.where", lang))}</span> {filters}'
        f'<button type="button" class="add-where">{esc(t("web.add_filter", lang))}</button></span>'
        f'<input type="hidden" name="tz" value="{esc(value.get("tz", "UTC"))}">{hidden}'
        f'<button type="submit" id="apply">{esc(t("web.apply", lang))}</button></form>') if page != DASHBOARD else ""
    views = (
        f'<aside class="views"><h2>{esc(t("web.saved_views", lang))}</h2><ul id="view-list"></ul>'
        f'<form id="save-view"><input name="name" maxlength="{MAX_NAME}" required '
        f'placeholder="{esc(t("web.view_name", lang))}"><button type="submit">{esc(t("web.save_view", lang))}</button>'
        f'<span id="view-status" role="status"></span></form>'
        f'<form id="add-dashboard"><input name="dashboard" maxlength="{MAX_NAME}" required list="dashboard-names" '
        f'placeholder="{esc(t("web.dashboard_name", lang))}"><datalist id="dashboard-names"></datalist>'
        f'<button type="submit">{esc(t("web.add_to_dashboard", lang))}</button>'
        f'<span id="dashboard-status" role="status"></span></form>'
        f'<p><a id="share" href="">{esc(t("web.share", lang))}</a></p>'
        f'<h2>{esc(t("web.dashboards", lang))}</h2><ul id="dashboard-list"></ul></aside>')
    labels = json.dumps(_labels(lang), ensure_ascii=False).replace("<", "\\u003c")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title or t(f'web.page.{page}', lang))} · voronka</title>"
        f'<style>{CSS}</style><link rel="stylesheet" href="/static/app.css">'
        '<script src="/static/plotly.min.js"></script></head>'
        f'<body data-page="{page}" data-lang="{lang}"><div class="app">'
        f'<header class="bar"><strong>voronka</strong><nav class="menu">{menu}</nav>'
        f'<nav class="langs" aria-label="{esc(t("web.language", lang))}">{langs}</nav></header>'
        f"{source_form}<div class=\"columns\"><main id=\"main\">{body}</main>{views}</div></div>"
        f'<script id="labels" type="application/json">{labels}</script>'
        '<script src="/static/app.js"></script></body></html>')


def builder_form(lang: str, fields: list[str]) -> str:
    """The funnel builder's controls (filled from the URL by ``app.js``) and its result panes."""
    from voronka.stage_models import builtin_models

    esc = html.escape

    def options(name: str, values: tuple[str, ...], key: str) -> str:
        return f'<select name="{name}">' + "".join(
            f'<option value="{v}">{esc(t(key + "." + (v or "none"), lang))}</option>' for v in values) + "</select>"

    models = '<select name="model"><option value="">' + esc(t("web.model.none", lang)) + "</option>" + "".join(
        f'<option value="{m}">{esc(m)}</option>' for m in builtin_models()) + "</select>"
    return (
        f'<form id="builder" class="builder">'
        f'<label>{esc(t("web.model", lang))} {models}</label>'
        f'<fieldset class="steps"><legend>{esc(t("web.steps", lang))}</legend><ol id="steps"></ol>'
        f'<button type="button" id="add-step">{esc(t("web.add_step", lang))}</button></fieldset>'
        f'<label>{esc(t("web.window", lang))} <input name="window" placeholder="30d" size="6"></label>'
        f'<label>{esc(t("web.order", lang))} {options("order", ("ordered", "strict", "unordered"), "web.order")}</label>'
        f'<label>{esc(t("web.exclude", lang))} <input name="exclude" size="18"></label>'
        f'<label>{esc(t("web.breakdown", lang))} <input name="by" list="breakdowns" size="12" '
        f'placeholder="{esc(t("web.breakdown.none", lang))}"><datalist id="breakdowns">'
        + "".join(f'<option value="{esc(f)}"></option>' for f in fields) + "</datalist></label>"
        f'<label>{esc(t("web.cohort", lang))} {options("cohort", ("", "day", "week", "month"), "web.cohort")}</label>'
        f'<label>{esc(t("web.compare", lang))} {options("compare", ("", "previous", "segments"), "web.compare")}</label>'
        f'<label class="segment">{esc(t("web.segment_a", lang))} <input name="seg_a" size="16"></label>'
        f'<label class="segment">{esc(t("web.segment_b", lang))} <input name="seg_b" size="16"></label>'
        f'<button type="submit" id="build">{esc(t("web.build", lang))}</button></form>'
        '<div id="error" class="error" role="alert" hidden></div><div id="status" role="status"></div>'
        '<section id="result" hidden><div id="funnel-chart" class="chart"></div>'
        f'<p class="note">{esc(t("web.click_bar", lang))}</p><p id="difference"></p>'
        '<div class="table-wrap"><table class="data" id="steps-table"></table></div>'
        '<div id="trend-chart" class="chart"></div><div id="trend-flagged"><p id="flagged-note"></p>'
        '<ul id="flagged-list"></ul></div><div class="table-wrap"><table class="data" id="trend-table">'
        '</table></div><div id="ttc-chart" class="chart"></div></section>'
        '<section id="dropped" hidden><h2 id="dropped-title"></h2><p id="dropped-note"></p>'
        f'<p><a id="dropped-csv" href="" download="dropped.csv">{esc(t("web.export_csv", lang))}</a></p>'
        '<div class="table-wrap"><table class="data" id="dropped-table"></table></div></section>')


def source_options(items: list[tuple[str, str]]) -> dict[str, Any]:
    """The source options of a page's query (``since``, ``until``, ``unit``, ``where``, ``tz``),
    checked (``Source.from_options``: a bad filter or day is an error naming it)."""
    from voronka.source import Source

    options: dict[str, Any] = {"where": [v for n, v in items if n == "where"]}
    for n, v in items:
        if n in ("since", "until", "unit") and v:
            options[n] = v
        elif n == "tz":
            options["timezone"] = v
    Source.from_options(None, **options)  # type: ignore[arg-type]  # parsed only: no engine needed
    return options


class Pages:
    """The server-rendered areas and the builder's fields, kept per store generation in the
    server's ``Results`` (``server.results``). After a write, a page computed before it is
    shown at once with a note saying when it was computed, while it is computed again in the
    background (a live store is written to all the time; a page of 10M events takes seconds)."""

    def __init__(self, collector: Collector, results: Results) -> None:
        self.collector = collector
        self.results = results
        self.closing = threading.Event()
        self._running: set[Any] = set()  # the cursors of pages being computed
        self._running_lock = threading.Lock()
        self._warm = threading.Thread(target=self.warm, name="voronka-warm", daemon=True)
        self._last: OrderedDict[str, tuple[dt.datetime, str]] = OrderedDict()  # the latest sections per page
        self._refreshing: set[str] = set()
        self._last_lock = threading.Lock()

    def fields(self) -> list[str]:
        """What the builder offers to break down by: ``channel`` and the property keys of the
        latest ``FIELD_SAMPLE`` events (any other column or property can be typed)."""
        def compute() -> list[str]:
            with self.collector.reading() as con:
                rows = con.execute(
                    "SELECT DISTINCT unnest(json_keys(properties)) AS k FROM (SELECT properties FROM events "
                    f"ORDER BY ts DESC LIMIT {FIELD_SAMPLE}) ORDER BY k LIMIT 50").fetchall()
            return ["channel", *[k for (k,) in rows if k != "channel"]]

        return self.results.get("fields", "", compute, size=lambda fields: 64 * len(fields))

    def _key(self, name: str, options: dict[str, Any], lang: str) -> str:
        return canonical(name, lang, options)

    def ready(self, name: str, options: dict[str, Any], lang: str) -> str | None:
        """The page's sections without computing anything now: those of this generation, or
        the last ones computed before the latest writes (said in a note above them; computed
        again in the background); None if the page was never computed."""
        key = self._key(name, options, lang)
        fresh = self.results.peek("page", key)
        if fresh is not None:
            return fresh
        with self._last_lock:
            last = self._last.get(key)
        if last is None:
            return None
        self._refresh(name, options, lang)
        taken, body = last
        note = t("web.stale", lang, time=format_datetime(taken, lang, format="medium") + " UTC")
        return f'<p class="note stale" role="status">{html.escape(note)}</p>{body}'

    def area(self, name: str, options: dict[str, Any], lang: str) -> str:
        """The page's sections as HTML (``areas.area_report``): ``ready``'s, else computed now
        (once per generation: requests asking at once share one computation)."""
        return self.ready(name, options, lang) or self._compute(name, options, lang)

    def _compute(self, name: str, options: dict[str, Any], lang: str) -> str:
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.source import Source

        def hourglass(source: Source, definition: Any) -> Any:  # the builder's, when it is the same funnel
            return builder.funnel_result(self, self.results, definition, options)

        def compute() -> str:
            with self.reading() as con:
                source = Source.from_options(DuckDBEngine(con), **options)
                return area_report(name, source, lang, funnel=hourglass).sections_html()

        key = self._key(name, options, lang)
        body = self.results.get("page", key, compute)
        with self._last_lock:
            self._last[key] = (dt.datetime.now(dt.UTC).replace(tzinfo=None), body)
            self._last.move_to_end(key)
            while len(self._last) > MAX_LAST:
                self._last.popitem(last=False)
        return body

    def _refresh(self, name: str, options: dict[str, Any], lang: str) -> None:
        """Compute the page again in a thread of its own (one at a time per page)."""
        key = self._key(name, options, lang)
        with self._last_lock:
            if key in self._refreshing or self.closing.is_set():
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                self._compute(name, options, lang)
            except Exception:  # noqa: BLE001 - the next request computes it and answers the error
                pass
            finally:
                with self._last_lock:
                    self._refreshing.discard(key)

        threading.Thread(target=run, name="voronka-page", daemon=True).start()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        """``Collector.reading``, the cursor interrupted if the server stops meanwhile."""
        with self.collector.reading() as con:
            with self._running_lock:
                if self.closing.is_set():
                    raise StoreError("the server is stopping")
                self._running.add(con)
            try:
                yield con
            finally:
                with self._running_lock:
                    self._running.discard(con)

    def warm(self) -> None:
        """Import the analyses' modules (and load the funnel kernel on a store whose funnel
        layout serves it: ``funnel.warm_kernel``), then compute the default overview and the builder's
        default funnel (English, the whole store) so that the first visitor finds them ready
        (run in the background from the start; its reads are interrupted if the server stops)."""
        if self.closing.wait(WARM_AFTER):  # the first requests do not share the interpreter with the imports
            return
        for module in WARM:
            if self.closing.is_set():
                return
            importlib.import_module(module)
        for first in (self._warm_kernel, lambda: self._compute("overview", source_options([]), "en"),
                      lambda: builder.funnel_answer(self, self.results, list(DEFAULT_FUNNEL), "en")):
            if self.closing.is_set():
                return
            try:
                first()
            except Exception:  # noqa: BLE001 - a request asking for it computes it again and answers the error
                pass

    def _warm_kernel(self) -> None:
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.funnel import warm_kernel

        with self.reading() as con:
            warm_kernel(DuckDBEngine(con))

    def start(self) -> None:
        self._warm.start()

    def close(self) -> None:
        """Stop the pages being computed (their queries interrupted; none starts after) before
        the store closes. A warm-up still importing modules is left to end by itself."""
        with self._running_lock:
            self.closing.set()
            for con in self._running:
                con.interrupt()
        while True:  # until no read of ours holds a cursor (each ends soon once interrupted)
            with self._running_lock:
                if not self._running:
                    return
            time.sleep(0.01)


def shell(name: str, query: str, lang: str) -> str:
    """A page's body before its sections: a status line; ``app.js`` fetches the sections
    (``/app/api/page/NAME``) and puts them in place."""
    return (f'<div id="sections" data-fetch="/app/api/page/{name}?{html.escape(query)}">'
            f'<p class="note" role="status">{html.escape(t("web.building", lang))}</p></div>')


def add_routes(app: FastAPI, collector: Collector) -> None:
    results = shared(app, collector)
    pages = Pages(collector, results)
    app.add_exception_handler(Missing, lambda request, exc: error(404, str(exc)))
    read = [Depends(read_access)]
    app.router.add_event_handler("startup", pages.start)
    app.router.on_shutdown.insert(0, pages.close)  # before the store closes (create_app's handler)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/app", dependencies=read, include_in_schema=False)
    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/app/overview?{_query(request.query_params.multi_items())}", status_code=307)

    @app.get("/app/api/funnel", dependencies=read)
    async def funnel(request: Request, lang: Lang = "en") -> JSONResponse:
        """The funnel builder's funnel: the query of ``GET /v1/funnel`` plus ``compare``, ``seg_a``, ``seg_b``."""
        return Response(await run_in_threadpool(builder.funnel_answer, collector, results, _funnel_items(request), lang),
                        media_type=JSON)

    @app.get("/app/api/charts", dependencies=read)
    async def funnel_charts(request: Request, lang: Lang = "en") -> Response:
        """The builder's trend shaded with the change scan's windows, the windows in words, and
        time to convert (asked for by the page once the funnel is drawn)."""
        return Response(await run_in_threadpool(builder.charts_answer, collector, results, _funnel_items(request), lang),
                        media_type=JSON)

    @app.get("/app/api/page/{page}", dependencies=read, response_class=HTMLResponse)
    async def sections(request: Request, page: Page, lang: Lang = "en", tz: Tz = "UTC") -> HTMLResponse:
        """A server-rendered page's sections (HTML), computed once per store generation."""
        check_zone(tz)
        if page == BUILDER:
            raise InputError("path parameter 'page' (value 'funnel'): the builder's data is /app/api/funnel")
        options = source_options(request.query_params.multi_items())
        return HTMLResponse(await run_in_threadpool(pages.area, page, options, lang))

    @app.get("/app/api/dropped", dependencies=read)
    async def dropped(request: Request, lang: Lang = "en") -> JSONResponse:
        """The customers who dropped after ``step`` (and, with ``series``, of that series)."""
        return JSONResponse(await run_in_threadpool(builder.dropped_json, collector, _funnel_items(request), lang))

    @app.get("/app/api/dropped.csv", dependencies=read)
    async def dropped_csv(request: Request, lang: Lang = "en") -> Response:
        """The same list as CSV (every customer)."""
        data = await run_in_threadpool(builder.dropped_csv, collector, _funnel_items(request), lang)
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="dropped.csv"'})

    @app.get("/app/api/views", dependencies=read)
    async def views() -> list[dict]:
        """The saved views, newest first."""
        return await run_in_threadpool(_read, collector, list_views)

    @app.post("/app/api/views", dependencies=read)
    async def save(name: Annotated[str, Body(max_length=MAX_NAME)], page: Annotated[str, Body(max_length=40)],
                   query: Annotated[str, Body(max_length=8000)] = "") -> dict:
        """Save (or replace) the view ``name``: ``page`` with ``query``."""
        name, page, query = check_view(name, page, query, PAGES)
        await collector.writer.run(call=lambda: _locked(collector, save_view, name, page, query), size=len(query))
        return {"name": name, "page": page, "query": query, "url": f"/app/{page}?{query}"}

    @app.get("/app/api/dashboards", dependencies=read)
    async def dashboards() -> list[dict]:
        """The dashboards by name: ``{name, views: [view names, in order], saved_at}``."""
        return await run_in_threadpool(_read, collector, list_dashboards)

    @app.get("/app/api/dashboards/{name}", dependencies=read)
    async def dashboard(name: DashboardName) -> dict:
        """The dashboard with its views, in order: ``{name, views: [{name, page, query}]}``."""
        found = await run_in_threadpool(_read, collector, find_dashboard, name)
        if found is None:
            raise Missing(f"no dashboard {name[:80]!r}")
        return found

    @app.post("/app/api/dashboards/{name}/views", dependencies=read)
    async def add_to_dashboard(name: DashboardName, view: Annotated[str, Body(max_length=MAX_NAME, embed=True)]) -> dict:
        """Add the saved view ``view`` to the end of dashboard ``name`` (made if new)."""
        views = await collector.writer.run(call=lambda: _locked(collector, add_view, name, view), size=len(view))
        return {"name": name.strip(), "views": views}

    @app.patch("/app/api/dashboards/{name}", dependencies=read)
    async def change(name: DashboardName, new_name: Annotated[str | None, Body(alias="name", max_length=MAX_NAME)] = None,
                     views: Annotated[list[Annotated[str, Field(max_length=MAX_NAME)]] | None,
                                      Body(max_length=MAX_VIEWS)] = None) -> dict:
        """Rename the dashboard (``name``) and/or set its views (``views``: their order; one
        left out is taken off the dashboard)."""
        return await collector.writer.run(call=lambda: _locked(collector, change_dashboard, name, new_name, views),
                                          size=1)

    @app.delete("/app/api/dashboards/{name}", dependencies=read)
    async def delete(name: DashboardName) -> dict:
        """Delete the dashboard (its views stay saved)."""
        await collector.writer.run(call=lambda: _locked(collector, delete_dashboard, name), size=1)
        return {"deleted": name}

    @app.get("/app/dashboards/{name}", dependencies=read, response_class=HTMLResponse, include_in_schema=False)
    async def dashboard_page(request: Request, name: DashboardName, lang: Lang = "en") -> HTMLResponse:
        found = await run_in_threadpool(_read, collector, find_dashboard, name)
        if found is None:
            alert = f'<div class="error" role="alert">{html.escape(t("web.no_dashboard", lang, name=name))}</div>'
            return HTMLResponse(layout(request, DASHBOARD, lang, alert, title=name), status_code=404)
        return _keep_key(request, HTMLResponse(layout(request, DASHBOARD, lang, dashboard_body(found, lang), title=name)))

    @app.get("/app/views/{name}", dependencies=read, include_in_schema=False)
    async def open_view(name: Annotated[str, PathParam(max_length=MAX_NAME)]) -> Response:
        view = await run_in_threadpool(_read, collector, find_view, name)
        if view is None:
            return JSONResponse({"error": f"no saved view {name[:80]!r}"}, status_code=404)
        return RedirectResponse(f"/app/{view['page']}?{view['query']}", status_code=303)

    @app.get("/app/{page}", dependencies=read, response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request, page: Page, lang: Lang = "en", tz: Tz = "UTC") -> HTMLResponse:
        check_zone(tz)
        if page == BUILDER:
            body = builder_form(lang, await run_in_threadpool(pages.fields))
            return _keep_key(request, HTMLResponse(layout(request, page, lang, body)))
        items = request.query_params.multi_items()
        try:
            options = source_options(items)
        except VoronkaError as exc:  # a bad filter or day in the source form: said on the page, kept in the form
            alert = f'<div class="error" role="alert">{html.escape(str(exc))}</div>'
            return HTMLResponse(layout(request, page, lang, alert), status_code=422)
        body = pages.ready(page, options, lang) or shell(page, _query(items), lang)  # the shell now, the sections next
        return _keep_key(request, HTMLResponse(layout(request, page, lang, body)))


def dashboard_body(dashboard: dict[str, Any], lang: str) -> str:
    """A dashboard's page: its name (rename, delete) and a panel per view, in order, which
    ``app.js`` fills with the view's chart (the builder's funnel, or the page's sections)."""
    esc = html.escape
    name = dashboard["name"]
    panels = []
    for i, view in enumerate(dashboard["views"]):
        head = (f'<h2><a href="/app/views/{esc(quote(view["name"], safe=""))}">{esc(view["name"])}</a>'
                + (f' <small>{esc(t("web.page." + view["page"], lang))}</small>' if view["page"] else "") + "</h2>"
                f'<button type="button" class="move-up"{" disabled" if i == 0 else ""}>{esc(t("web.move_up", lang))}</button> '
                f'<button type="button" class="remove-view">{esc(t("web.remove", lang))}</button>')
        if view["page"] is None:
            inner = f'<p class="note">{esc(t("web.view_gone", lang, name=view["name"]))}</p>'
        else:
            inner = f'<p class="note" role="status">{esc(t("web.building", lang))}</p>'
        panels.append(f'<article class="panel" data-view="{esc(view["name"])}" data-view-page="{esc(view["page"] or "")}" '
                      f'data-query="{esc(view["query"])}">{head}<div class="panel-body">{inner}</div></article>')
    empty = "" if panels else f'<p class="note">{esc(t("web.dashboard_empty", lang))}</p>'
    return (f'<section id="dashboard" data-name="{esc(name)}"><h1>{esc(name)}</h1>'
            f'<form id="rename-dashboard"><input name="name" value="{esc(name)}" maxlength="{MAX_NAME}" required>'
            f'<button type="submit">{esc(t("web.rename", lang))}</button> '
            f'<button type="button" id="delete-dashboard">{esc(t("web.delete", lang))}</button>'
            f'<span id="rename-status" role="status"></span></form>'
            f'{empty}<div id="panels">{"".join(panels)}</div></section>')


def _keep_key(request: Request, page: HTMLResponse) -> HTMLResponse:
    """``?key=`` in a browser's address: kept in the cookie, so the page's own requests carry it
    (as ``GET /`` does)."""
    key = request.query_params.get("key")
    keyring = request.app.state.keyring
    if key and not keyring.public_reads and allows_read(keyring, key):
        page.set_cookie(COOKIE, key, httponly=True, samesite="strict")
    return page


def _funnel_items(request: Request) -> list[tuple[str, str]]:
    """The query's funnel, source and builder parameters (the language and a key aside)."""
    return [(n, v) for n, v in request.query_params.multi_items() if n not in ("lang", "key")]


def _read(collector: Collector, read: Callable[..., Any], *args: str) -> Any:
    """``read(cursor, *args)`` on a read cursor of its own."""
    with collector.reading() as con:
        return read(con, *args)


def _locked(collector: Collector, write: Callable[..., Any], *args: Any) -> Any:
    """``write(connection, *args)`` under the writer's lock (run by the writer thread)."""
    with collector.lock:
        return write(collector.store.connection, *args)
