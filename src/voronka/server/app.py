"""The FastAPI application of ``voronka serve``: the error policy, the keys and the routes of
``collect`` (writes) and ``read`` (the dashboard and analyses) over one ``Collector``; the
capture POSTs are answered before FastAPI sees them (``ingress``).

The error policy: a ``VoronkaError`` (bad input: a located message) and a parameter outside
its range are ``422``; a missing key ``401``; anything else is an internal fault, logged with
its traceback on the server and answered ``500`` with no detail."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from voronka.errors import LimitError, VoronkaError
from voronka.keys import keyring
from voronka.server import api, collect, pages, read
from voronka.server.answers import error
from voronka.server.collector import Collector
from voronka.server.ingress import CaptureApp, Ingress
from voronka.server.params import located
from voronka.server.upkeep import LayoutUpkeep

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body the collector takes (larger: ``413``; send files with ``voronka ingest``)."""

log = logging.getLogger("voronka.server")


MAX_BODIES = 64
"""The most request bodies read at once (more: ``503`` with ``Retry-After``)."""

MAX_QUEUE = 4096
"""The most write requests waiting for the writer (more: ``503`` with ``Retry-After``)."""

OPTIMIZE_AFTER = 60.0
"""Seconds without a write after which the server rebuilds an out-of-date funnel layout."""


def create_app(store_path: str | Path, *, token: str | None = None, public_dashboard: bool = False,
               allow_origins: list[str] | None = None, max_body_bytes: int = MAX_BODY_BYTES,
               max_bodies: int = MAX_BODIES, max_queue: int = MAX_QUEUE, local_key: str | None = None,
               optimize_after: float = OPTIMIZE_AFTER) -> FastAPI:
    """The FastAPI application serving ``store_path`` (created if missing).

    The store's keys (``voronka keys``) are read now; ``token`` is a key of both kinds, and so is
    ``local_key`` (the serve file's, ``voronka.served``; it opens no write by itself);
    ``public_dashboard`` lets anyone read (``voronka serve`` allows it on loopback only);
    ``optimize_after``: seconds without a write after which an out-of-date funnel layout is
    rebuilt (``upkeep.LayoutUpkeep``; 0: never)."""
    collector = Collector(store_path, max_queue=max_queue, max_body_bytes=max_body_bytes)
    app = CaptureApp(title="voronka", summary="Collector and dashboard of one voronka store")
    app.state.collector = collector
    with collector.lock:  # the writer thread is already warming up on the store's connection
        app.state.keyring = keyring(collector.store, token=token, public_reads=public_dashboard,
                                     local=local_key)
    app.router.add_event_handler("shutdown", collector.close)
    if optimize_after > 0:
        upkeep = LayoutUpkeep(lambda: collector.generation, collector.reading, quiet=optimize_after,
                              refresh=collector.refresh_layout)
        app.state.upkeep = upkeep
        app.router.add_event_handler("startup", upkeep.start)
        app.router.on_shutdown.insert(0, upkeep.stop)  # before the collector closes the store
    if allow_origins:  # web pages posting events straight from the browser
        app.add_middleware(CORSMiddleware, allow_origins=allow_origins, allow_methods=["POST"],
                           allow_headers=["Authorization", "Content-Type"])

    @app.exception_handler(VoronkaError)
    async def user_error(request: Request, exc: VoronkaError) -> JSONResponse:
        return error(413 if isinstance(exc, LimitError) else 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, located(list(exc.errors())))

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal_fault(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal fault answering %s %s", request.method, request.url.path, exc_info=exc)
        return error(500, "internal error (the server's log has the details)")

    api.add_routes(app, collector)  # these two before collect's POST /v1/{table}
    read.add_routes(app, collector)
    collect.add_routes(app, collector, max_body_bytes=max_body_bytes, max_bodies=max_bodies)
    pages.add_routes(app, collector)
    # the capture POSTs (the hot path), before FastAPI's own __call__
    app.ingress = Ingress(app, collector, max_body_bytes=max_body_bytes, max_bodies=max_bodies)
    return app
