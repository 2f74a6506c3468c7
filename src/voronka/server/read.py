"""The read routes: the dashboard (``GET /``), the analyses as JSON (``GET /v1/funnel``) and
``GET /health``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from voronka.errors import InputError
from voronka.ingest.pipeline import check_tz
from voronka.server.collector import LANGS, Collector


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}; expected en, ru or kk")
    return lang


def add_routes(app: FastAPI, collector: Collector) -> None:
    @app.get("/", response_class=HTMLResponse)
    async def dashboard(lang: str = "en", tz: str = "UTC") -> HTMLResponse:
        page = await run_in_threadpool(collector.dashboard, check_lang(lang), check_tz(tz))
        return HTMLResponse(page)

    @app.get("/v1/funnel")
    async def funnel(model: str = "hourglass", steps: str | None = None, window: str | None = None,
                     lang: str = "en", tz: str = "UTC") -> JSONResponse:
        spec: dict[str, Any] = {"timezone": check_tz(tz)}
        if steps:
            spec["steps"] = [s.strip() for s in re.split(r"[|,]", steps) if s.strip()]
        else:
            spec["model"] = model
        if window:
            spec["window"] = window
        return JSONResponse(await run_in_threadpool(collector.funnel_steps, spec, check_lang(lang)))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Answered from counters, never from the store: fast however busy the writer is."""
        return {"status": "ok", "events": collector.event_count}
