"""The FastAPI application of ``voronka serve``: the error policy and the routes of
``collect`` (writes) and ``read`` (the dashboard and analyses) over one ``Collector``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from voronka.errors import VoronkaError
from voronka.server import collect, read
from voronka.server.answers import error
from voronka.server.collector import Collector

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body the collector takes (larger: ``413``; send files with ``voronka ingest``)."""


MAX_BODIES = 64
"""The most request bodies read at once (more: ``503`` with ``Retry-After``)."""

MAX_QUEUE = 4096
"""The most write requests waiting for the writer (more: ``503`` with ``Retry-After``)."""


def create_app(store_path: str | Path, *, token: str | None = None, allow_origins: list[str] | None = None,
               max_body_bytes: int = MAX_BODY_BYTES, max_bodies: int = MAX_BODIES,
               max_queue: int = MAX_QUEUE) -> FastAPI:
    """The FastAPI application serving ``store_path`` (created if missing)."""
    collector = Collector(store_path, max_queue=max_queue)
    app = FastAPI(title="voronka", summary="Collector and dashboard of one voronka store")
    app.state.collector = collector
    app.router.add_event_handler("shutdown", collector.close)
    if allow_origins:  # web pages posting events straight from the browser
        app.add_middleware(CORSMiddleware, allow_origins=allow_origins, allow_methods=["POST"],
                           allow_headers=["Authorization", "Content-Type"])

    @app.exception_handler(VoronkaError)
    async def user_error(request: Request, exc: VoronkaError) -> JSONResponse:
        return error(422, str(exc))

    collect.add_routes(app, collector, token=token, max_body_bytes=max_body_bytes, max_bodies=max_bodies)
    read.add_routes(app, collector)
    return app
