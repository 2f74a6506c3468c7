"""The read routes: the dashboard (``GET /``), the analyses as JSON (``GET /v1/funnel``) and
``GET /health``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from voronka.errors import InputError
from voronka.ingest.pipeline import check_tz
from voronka.server.collector import LANGS, Collector


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}; expected en, ru or kk")
    return lang


_QUERY_FLAGS = {"from": "date_from", "to": "date_to", "tz": "timezone"}
_LISTS = ("exclude", "where")
SOURCE_QUERY = ("where", "unit", "session_gap", "since", "until", "as_of", "tz")


def funnel_query(items: list[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Query parameters → the funnel's flags (``funnel.spec.spec_from_flags``) and the source's
    options (``Source.from_options``); an unknown name is an error naming it."""
    from voronka.funnel.spec import BREAKDOWN_FLAGS, FLAG_FIELDS

    known = {"steps", "model", "exclude", "lang", *BREAKDOWN_FLAGS, *FLAG_FIELDS, *_QUERY_FLAGS, *SOURCE_QUERY}
    flags: dict[str, Any] = {}
    options: dict[str, Any] = {"where": []}
    for name, value in items:
        if name not in known or name in ("timezone", "date_from", "date_to"):
            raise InputError(f"unknown query parameter {name!r}")
        if name == "lang":
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


def add_routes(app: FastAPI, collector: Collector) -> None:
    @app.get("/", response_class=HTMLResponse)
    async def dashboard(lang: str = "en", tz: str = "UTC") -> HTMLResponse:
        page = await run_in_threadpool(collector.dashboard, check_lang(lang), check_tz(tz))
        return HTMLResponse(page)

    @app.get("/v1/funnel")
    async def funnel(request: Request, lang: str = "en") -> JSONResponse:
        """The funnel's steps. Query parameters: the funnel's flags by their CLI names
        (``steps=a,b|c``, ``model``, ``window``, ``order``, ``exclude`` …, ``from``/``to``,
        ``tz``) and the source's (``where`` repeatable, ``unit``, ``session_gap``, ``since``,
        ``until``, ``as_of``); ``funnel.spec.funnel_definition`` reads them (default: hourglass)."""
        flags, options = funnel_query(request.query_params.multi_items())
        return JSONResponse(await run_in_threadpool(collector.funnel_steps, flags, options, check_lang(lang)))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "events": await run_in_threadpool(collector.events)}
