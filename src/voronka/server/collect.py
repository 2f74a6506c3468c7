"""The write routes: ``POST /v1/{table}`` stores a JSON or NDJSON body through the ingest
pipeline, one transaction per request."""

from __future__ import annotations

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from voronka.ingest.mapping import parse_pairs
from voronka.ingest.pipeline import check_tz
from voronka.server.answers import error
from voronka.server.collector import Collector


def add_routes(app: FastAPI, collector: Collector, *, token: str | None, max_body_bytes: int) -> None:
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
