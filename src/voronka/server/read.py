"""The read routes: the dashboard (``GET /``), the analyses as JSON (``GET /v1/funnel``),
``POST /v1/snapshot`` (a copy of the store for the CLI, ``voronka.served``), ``POST /v1/optimize``
(the funnel layout rebuilt) and ``GET /health``. Every one but ``/health`` needs a read key
(``auth.read_access``); no
parameter names a file: models are the built-in ones (``load_model(files=False)``)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from voronka.errors import InputError
from voronka.keys import allows_read
from voronka.server.auth import COOKIE, read_access, read_key
from voronka.server.collector import Collector
from voronka.server.params import (
    Lang,
    Model,
    Steps,
    Tz,
    Unit,
    Where,
    Window,
    check_window,
    check_zone,
    split_steps,
)
from voronka.server.results import Results, canonical, json_bytes, shared


_QUERY_FLAGS = {"from": "date_from", "to": "date_to", "tz": "timezone"}
_LISTS = ("exclude", "where")
SOURCE_QUERY = ("where", "unit", "session_gap", "since", "until", "as_of", "tz")


def funnel_query(items: list[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Query parameters → the funnel's flags (``funnel.spec.spec_from_flags``) and the source's
    options (``Source.from_options``); an unknown name is an error naming it."""
    from voronka.funnel.spec import BREAKDOWN_FLAGS, FLAG_FIELDS

    known = {"steps", "model", "exclude", "lang", "key", *BREAKDOWN_FLAGS, *FLAG_FIELDS, *_QUERY_FLAGS, *SOURCE_QUERY}
    flags: dict[str, Any] = {}
    options: dict[str, Any] = {"where": []}
    for name, value in items:
        if name not in known or name in ("timezone", "date_from", "date_to"):
            raise InputError(f"unknown query parameter {name!r}")
        if name in ("lang", "key"):  # the labels' language; a read key (auth.read_key)
            continue
        if name in SOURCE_QUERY:
            key = "timezone" if name == "tz" else name
            if name == "where":
                options["where"].append(value)
            else:
                options[key] = value
        if name not in SOURCE_QUERY or name in ("as_of", "tz"):
            key = _QUERY_FLAGS.get(name, name)
            flags[key] = flags.get(key, []) + [value] if name in _LISTS else value
    return flags, options


def funnel_steps(collector: Collector, results: Results, flags: dict[str, Any], options: dict[str, Any],
                 lang: str) -> bytes:
    """The steps of the funnel of ``flags`` (``funnel.spec.funnel_definition``; default: the
    hourglass) over the store's events as ``options`` say, as JSON rows (the funnel kept in
    ``results``, shared with the builder)."""
    from voronka.funnel.spec import funnel_definition
    from voronka.server.builder import funnel_result

    definition = funnel_definition(flags, lang=lang, default_model="hourglass", model_files=False)  # no file
    key = canonical(definition, options)
    return results.get("v1-funnel", key, lambda: json_bytes(
        funnel_result(collector, results, definition, options).steps.to_pylist()))


def add_routes(app: FastAPI, collector: Collector) -> None:
    results = shared(app, collector)
    @app.get("/", response_class=HTMLResponse, dependencies=[Depends(read_access)])
    async def dashboard(request: Request, lang: Lang = "en", tz: Tz = "UTC") -> HTMLResponse:
        page = HTMLResponse(await run_in_threadpool(collector.dashboard, lang, check_zone(tz)))
        key = request.query_params.get("key")
        keyring = request.app.state.keyring
        if key and not keyring.public_reads and allows_read(keyring, key):  # ?key= in a browser: keep it
            page.set_cookie(COOKIE, key, httponly=True, samesite="strict")
        return page

    @app.get("/v1/funnel", dependencies=[Depends(read_access)])
    async def funnel(request: Request, model: Model = "hourglass", steps: Steps = None, window: Window = None,
                     lang: Lang = "en", tz: Tz = "UTC", where: Where = None, unit: Unit = None) -> Response:
        """The funnel's steps. Query parameters: the funnel's flags by their CLI names
        (``steps=a,b|c``, ``model``, ``window``, ``order``, ``exclude`` …, ``from``/``to``,
        ``tz``) and the source's (``where`` repeatable, ``unit``, ``session_gap``, ``since``,
        ``until``, ``as_of``); ``funnel.spec.funnel_definition`` reads them (default: hourglass).
        The declared ones are checked against their ranges here, the rest by the spec builder."""
        check_zone(tz), check_window(window)
        if steps:
            split_steps(steps)
        flags, options = funnel_query(request.query_params.multi_items())
        return Response(await run_in_threadpool(funnel_steps, collector, results, flags, options, lang),
                        media_type="application/json")

    @app.post("/v1/snapshot", dependencies=[Depends(read_access)])
    async def snapshot() -> dict[str, Any]:
        """Write a consistent copy of the store beside it (``<store>.snapshot.duckdb``; reused
        while nothing was written since) for ``voronka`` commands to read while the server holds
        the store. No parameter: the server alone names the file. ``{"path", "generation",
        "taken_at"}``."""
        path, generation, taken = await run_in_threadpool(collector.snapshot)
        return {"path": path, "generation": generation, "taken_at": taken.isoformat()}

    @app.post("/v1/optimize", dependencies=[Depends(read_access)])
    async def optimize() -> dict[str, Any]:
        """Rebuild the store's funnel layout (``voronka optimize`` while the server holds the
        store; docs/performance.md, "The funnel layout"), on a read cursor while the writer goes
        on; the secret read key, not the write key web pages carry. ``{"events", "seconds"}``:
        the events it holds, the seconds it took."""
        began = time.perf_counter()
        events = await run_in_threadpool(collector.optimize)
        return {"events": events, "seconds": round(time.perf_counter() - began, 1)}

    @app.get("/health")
    async def health(request: Request, key: str | None = Depends(read_key)) -> dict[str, Any]:
        """``{"status": "ok"}``; with a read key (or a public dashboard) also the number of events.
        Answered from counters, never from the store: fast however busy the writer is."""
        if not allows_read(request.app.state.keyring, key):
            return {"status": "ok"}
        return {"status": "ok", "events": collector.event_count}
