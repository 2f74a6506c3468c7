"""The HTTP collector and the web dashboard over one store (an I/O edge).

    app = create_app("voronka.duckdb", token="s3cret")     # voronka serve --store … --token …

The process holds the store open for writing; requests that touch it take turns (one
lock), so an ingest and a dashboard never see each other half done.

* ``POST /v1/{table}`` (``events``, ``spend``, ``aliases``, ``deals``): the body is a JSON
  object, a JSON array of objects, or NDJSON (one object per line), with the columns of
  the table as in a file (docs/ingest.md: the same mapping of headers, time zones, Russian
  numbers and checks). Query parameters: ``tz`` (for timestamps without an offset) and
  ``map`` (``customer_id=client_id,ts=time``: the columns under other names).
  One request is one ingest: all its rows are stored, or none. Answers ``200`` with the
  counts (``rows_read``, ``added``, ``duplicates``); ``422`` with ``{"error": …}`` naming
  the row (1-based, in the body) and the field of the first bad value; ``413`` for a body
  over ``max_body_bytes``; ``401`` without the bearer token when one is set. A request
  sent twice adds nothing the second time (``event_id``, or the hash of the row).
* ``GET /``: the dashboard: the full report (``voronka report``) of the store as it is
  now, ``?lang=en|ru|kk&tz=Asia/Almaty``, with links between the languages. Built on the
  first request and again only after an ingest has added rows.
* ``GET /v1/funnel?model=hourglass&lang=…`` (or ``?steps=site_visit,purchase&window=30d``):
  the funnel's steps as JSON rows (the ``voronka funnel --format json`` rows).
* ``GET /health``: ``{"status": "ok", "events": N}``.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from voronka.errors import InputError, VoronkaError
from voronka.ingest.mapping import parse_pairs
from voronka.ingest.pipeline import check_tz
from voronka.store import Store

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body the collector takes (larger: ``413``; send files with ``voronka ingest``)."""

REQUEST = "request body"
"""What an error names as the file: the request's own body."""

LANGS = ("en", "ru", "kk")


class Collector:
    """The store behind the server, with the lock its requests share and the dashboard cache."""

    def __init__(self, store_path: str | Path) -> None:
        self.store = Store(store_path)
        self.lock = threading.Lock()
        self.generation = 0  # counts the ingests that added rows: the dashboard cache's key
        self._pages: dict[tuple[str, str, int], str] = {}

    def close(self) -> None:
        self.store.close()

    def ingest(self, table: str, body: bytes, tz: str | None, mapping: dict[str, str]) -> dict[str, int]:
        """Store the rows of ``body`` in ``table`` (one transaction), or raise ``InputError``
        naming the row and field of the body."""
        text = body.lstrip()
        if not text:
            raise InputError("empty body: send a JSON object, an array of objects, or NDJSON", file=REQUEST)
        suffix = ".json" if text[:1] == b"[" else ".ndjson"
        with tempfile.TemporaryDirectory(prefix="voronka-request-") as folder:
            path = Path(folder) / f"body{suffix}"
            path.write_bytes(body)
            try:
                with self.lock:
                    summary = self.store.ingest(table, [path], tz=tz, mapping=mapping)
                    if summary.added:
                        self.generation += 1
            except InputError as exc:  # name the body, not the temporary file
                raise InputError(exc.reason.replace(str(path), REQUEST), file=REQUEST, row=exc.row,
                                 column=exc.column, value=exc.value) from None
        return {"rows_read": summary.rows_read, "added": summary.added, "duplicates": summary.duplicates}

    def dashboard(self, lang: str, tz: str) -> str:
        """The full report of the store now, as HTML (cached until an ingest adds rows)."""
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.i18n import t
        from voronka.reports.full import full_report

        with self.lock:
            key = (lang, tz, self.generation)
            if key not in self._pages:
                links = [(t(f"lang.{code}", code), "?" + urlencode({"lang": code, "tz": tz})) for code in LANGS]
                built = full_report(DuckDBEngine(self.store.connection), lang, timezone=tz,
                                    title=t("dashboard.title", lang))
                built.report.links = links
                self._pages = {k: page for k, page in self._pages.items() if k[2] == self.generation}
                self._pages[key] = built.report.render()
            return self._pages[key]

    def funnel_steps(self, spec: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        """The steps of the funnel ``spec`` (``funnel.spec.build_funnel``) on the store now."""
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.funnel import compute_funnel
        from voronka.funnel.spec import build_funnel

        definition = build_funnel(spec, lang=lang)
        with self.lock:
            result = compute_funnel(DuckDBEngine(self.store.connection), definition, units=False)
        return jsonable_encoder(result.steps.to_pylist())

    def events(self) -> int:
        with self.lock:
            return self.store.count("events")


def create_app(store_path: str | Path, *, token: str | None = None, allow_origins: list[str] | None = None,
               max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The FastAPI application serving ``store_path`` (created if missing)."""
    collector = Collector(store_path)
    app = FastAPI(title="voronka", summary="Collector and dashboard of one voronka store")
    app.router.add_event_handler("shutdown", collector.close)
    if allow_origins:  # web pages posting events straight from the browser
        app.add_middleware(CORSMiddleware, allow_origins=allow_origins, allow_methods=["POST"],
                           allow_headers=["Authorization", "Content-Type"])

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def check_lang(lang: str) -> str:
        if lang not in LANGS:
            raise InputError(f"unknown language {lang!r}; expected en, ru or kk")
        return lang

    @app.exception_handler(VoronkaError)
    async def user_error(request: Request, exc: VoronkaError) -> JSONResponse:
        return error(422, str(exc))

    @app.post("/v1/{table}")
    async def collect(table: str, request: Request, tz: str | None = None,
                      columns: str | None = Query(None, alias="map", description="canonical=input pairs, comma-separated")
                      ) -> JSONResponse:
        if token is not None and request.headers.get("authorization") != f"Bearer {token}":
            return error(401, "missing or wrong bearer token (Authorization: Bearer …)")
        declared = request.headers.get("content-length", "")
        too_large = declared.isdigit() and int(declared) > max_body_bytes  # refused before it is read
        body = b"" if too_large else await request.body()
        if too_large or len(body) > max_body_bytes:
            return error(413, f"body over {max_body_bytes:,} bytes; send large files with 'voronka ingest'")
        mapping = parse_pairs(p for p in (columns or "").split(",") if p.strip())
        return JSONResponse(await run_in_threadpool(collector.ingest, table, body, check_tz(tz), mapping))

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
        return {"status": "ok", "events": await run_in_threadpool(collector.events)}

    return app
