"""The read routes: the dashboard (``GET /``), the analyses as JSON (``GET /v1/funnel``) and
``GET /health``. Every one but ``/health`` needs a read key (``auth.read_access``); no
parameter names a file: models are the built-in ones (``load_model(files=False)``)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from voronka.keys import allows_read
from voronka.server.auth import COOKIE, read_access, read_key
from voronka.server.collector import Collector
from voronka.server.params import (
    Lang,
    Model,
    Steps,
    Tz,
    Window,
    check_window,
    check_zone,
    split_steps,
)


def add_routes(app: FastAPI, collector: Collector) -> None:
    @app.get("/", response_class=HTMLResponse, dependencies=[Depends(read_access)])
    async def dashboard(request: Request, lang: Lang = "en", tz: Tz = "UTC") -> HTMLResponse:
        page = HTMLResponse(await run_in_threadpool(collector.dashboard, lang, check_zone(tz)))
        key = request.query_params.get("key")
        keyring = request.app.state.keyring
        if key and not keyring.public_reads and allows_read(keyring, key):  # ?key= in a browser: keep it
            page.set_cookie(COOKIE, key, httponly=True, samesite="strict")
        return page

    @app.get("/v1/funnel", dependencies=[Depends(read_access)])
    async def funnel(model: Model = "hourglass", steps: Steps = None, window: Window = None,
                     lang: Lang = "en", tz: Tz = "UTC") -> JSONResponse:
        spec: dict[str, Any] = {"timezone": check_zone(tz)}
        if steps:
            spec["steps"] = split_steps(steps)
        else:
            spec["model"] = model
        if window:
            spec["window"] = check_window(window)
        return JSONResponse(await run_in_threadpool(collector.funnel_steps, spec, lang))

    @app.get("/health")
    async def health(request: Request, key: str | None = Depends(read_key)) -> dict[str, Any]:
        """``{"status": "ok"}``; with a read key (or a public dashboard) also the number of events.
        Answered from counters, never from the store: fast however busy the writer is."""
        if not allows_read(request.app.state.keyring, key):
            return {"status": "ok"}
        return {"status": "ok", "events": collector.event_count}
