"""The write routes: ``POST /v1/{table}`` stores a JSON or NDJSON body through the ingest
pipeline, one transaction per request."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from voronka.ingest.mapping import parse_pairs
from voronka.server.answers import error
from voronka.server.auth import write_access
from voronka.server.collector import Collector
from voronka.server.params import Map, OptionalTz, Table, check_zone

ROW = {"type": "object", "required": ["customer_id", "ts", "event"], "properties": {
    "event_id": {"type": "string"}, "customer_id": {"type": "string"}, "ts": {"type": "string", "format": "date-time"},
    "event": {"type": "string"}, "channel": {"type": "string"}, "revenue": {"type": "number"},
    "currency": {"type": "string"}, "properties": {"type": "object"}}}
BODY = {"required": True, "description": "Rows of the table, with its columns (an event's shown): a JSON object, "
        "an array of objects, or NDJSON (one object per line).",
        "content": {"application/json": {"schema": {"oneOf": [ROW, {"type": "array", "items": ROW}]}},
                    "application/x-ndjson": {"schema": {"type": "string"}}}}
"""The body in the OpenAPI schema (the route reads it raw: the ingest pipeline parses it)."""


def add_routes(app: FastAPI, collector: Collector, *, max_body_bytes: int) -> None:
    @app.post("/v1/{table}", dependencies=[Depends(write_access)], openapi_extra={"requestBody": BODY})
    async def collect(table: Table, request: Request, tz: OptionalTz = None, columns: Map = None) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        too_large = declared.isdigit() and int(declared) > max_body_bytes  # refused before it is read
        body = b"" if too_large else await request.body()
        if too_large or len(body) > max_body_bytes:
            return error(413, f"body over {max_body_bytes:,} bytes; send large files with 'voronka ingest'")
        mapping = parse_pairs(p for p in (columns or "").split(",") if p.strip())
        return JSONResponse(await run_in_threadpool(collector.ingest, table, body, check_zone(tz), mapping))
