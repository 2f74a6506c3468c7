"""The write routes: ``POST /v1/{table}`` (a JSON or NDJSON body, or a file's bytes with
``?format=``, through the ingest pipeline; errors name the file of ``Content-Disposition``),
the CORS preflights of the PostHog capture routes (``/capture/``, ``/batch/``, ``/e/``,
``/i/v0/e/``: their POSTs are answered before routing, by ``ingress.Ingress``; ``/decide`` and
``/flags`` answered with no flags), and ``GET /snippet.js``.

Every write is queued to the collector's writer and answered once stored (group commit:
``writer``). Bounds, each answered without touching the store: a body over
``max_body_bytes``, counted while it streams in (chunked bodies too), is ``413``; more than
``max_bodies`` bodies being read at once, or a full write queue, is ``503`` with
``Retry-After``.
"""

from __future__ import annotations

import unicodedata
from email.message import Message
from importlib import resources

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from voronka.ingest.mapping import parse_pairs
from voronka.server.answers import error
from voronka.server.auth import write_access
from voronka.server.capture import REQUEST
from voronka.server.collector import Collector
from voronka.server.params import (
    BodyFormat,
    Currency,
    Delimiter,
    Encoding,
    KeepRepeats,
    Map,
    OptionalTz,
    Table,
    check_zone,
)
from voronka.server.writer import Overloaded

ROW = {"type": "object", "required": ["customer_id", "ts", "event"], "properties": {
    "event_id": {"type": "string"}, "customer_id": {"type": "string"}, "ts": {"type": "string", "format": "date-time"},
    "event": {"type": "string"}, "channel": {"type": "string"}, "revenue": {"type": "number"},
    "currency": {"type": "string"}, "properties": {"type": "object"}}}
BODY = {"required": True, "description": "Rows of the table, with its columns (an event's shown): a JSON object, "
        "an array of objects, or NDJSON (one object per line).",
        "content": {"application/json": {"schema": {"oneOf": [ROW, {"type": "array", "items": ROW}]}},
                    "application/x-ndjson": {"schema": {"type": "string"}}}}
"""The body in the OpenAPI schema (the route reads it raw: the ingest pipeline parses it)."""


CAPTURE_PATHS = ("/capture", "/batch", "/e", "/i/v0/e", "/track", "/engage")
"""PostHog's ingestion paths (each also with a trailing slash)."""

SEGMENT_PATHS = ("/v1/batch", "/v1/track", "/v1/page", "/v1/identify", "/v1/alias")
"""Segment's ingestion paths (taken before ``POST /v1/{table}``)."""

FLAGS_PATHS = ("/decide", "/flags")
"""PostHog's feature-flag paths: answered with no flags, no recordings, no surveys."""

NO_FLAGS = {
    "featureFlags": {}, "featureFlagPayloads": {}, "flags": {}, "errorsWhileComputingFlags": False,
    "quotaLimited": [], "requestId": "voronka", "config": {"enable_collect_everything": False},
    "supportedCompression": ["gzip", "gzip-js"], "sessionRecording": False, "capturePerformance": False,
    "autocapture_opt_out": True, "autocaptureExceptions": False, "heatmaps": False, "surveys": False,
    "siteApps": [], "toolbarParams": {}, "isAuthenticated": False, "defaultIdentifiedOnly": True,
}

RETRY_AFTER = "1"
"""Seconds a client is asked to wait after a ``503`` (SDKs retry queued events)."""


class TooLarge(Exception):
    """A request body over ``max_body_bytes`` (answered ``413``)."""


MAX_NAME = 255
"""The most characters of a client's file name kept for messages."""


def file_name(request: Request) -> str:
    """What errors call the body: the ``filename`` of its ``Content-Disposition`` (RFC 6266;
    ``filename*=UTF-8''…``, or UTF-8 in ``filename=``), else ``request body``. Used in messages only, never opened:
    control characters become ``?``, at most ``MAX_NAME`` characters kept."""
    header = request.headers.get("content-disposition")
    if not header:
        return REQUEST
    message = Message()
    message["content-disposition"] = header
    try:
        name = message.get_filename() or ""
    except (ValueError, LookupError):
        return REQUEST
    try:  # a plain filename="…" in UTF-8, as browsers send it, arrives as Latin-1
        name = name.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    name = "".join("?" if unicodedata.category(c).startswith("C") else c for c in name).strip()
    return name[:MAX_NAME] or REQUEST


def add_routes(app: FastAPI, collector: Collector, *, max_body_bytes: int, max_bodies: int) -> None:
    def overloaded(why: str) -> JSONResponse:
        answer = error(503, f"{why}; retry later")
        answer.headers["Retry-After"] = RETRY_AFTER
        return answer

    def too_large() -> JSONResponse:
        return error(413, f"body over {max_body_bytes:,} bytes; send large files with 'voronka ingest'")

    async def read_body(request: Request) -> bytes:
        """The body, refused (``TooLarge``) as soon as it passes ``max_body_bytes``."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body_bytes:
            raise TooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                raise TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def guarded_body(request: Request) -> bytes | JSONResponse:
        if collector.writer.full():
            return overloaded("the write queue is full")
        if collector.bodies >= max_bodies:
            return overloaded(f"{max_bodies} request bodies are being read")
        collector.bodies += 1
        try:
            return await read_body(request)
        except TooLarge:
            return too_large()
        except ClientDisconnect:  # nobody reads the answer; said for the log
            return error(400, "the client closed the connection before the end of its body")
        finally:
            collector.bodies -= 1

    async def preflight(request: Request) -> Response:
        answer = Response(status_code=204)
        answer.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        answer.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "access-control-request-headers", "Content-Type")
        answer.headers["Access-Control-Max-Age"] = "86400"
        return _cors(request, answer)

    async def no_flags(request: Request) -> Response:
        return _cors(request, JSONResponse(NO_FLAGS))

    # plain Starlette routes (no FastAPI parameter parsing: they read the raw request); the
    # capture POSTs themselves are answered before routing (ingress.Ingress)
    for base in CAPTURE_PATHS:
        for path in (base, base + "/"):
            app.router.add_route(path, preflight, methods=["OPTIONS"], include_in_schema=False)
    for base in FLAGS_PATHS:
        for path in (base, base + "/"):
            app.router.add_route(path, no_flags, methods=["GET", "POST"], include_in_schema=False)
            app.router.add_route(path, preflight, methods=["OPTIONS"], include_in_schema=False)
    app.router.add_route("/array/{key}/config", no_flags, methods=["GET"], include_in_schema=False)

    @app.post("/v1/{table}", dependencies=[Depends(write_access)], openapi_extra={"requestBody": BODY})
    async def collect(table: Table, request: Request, tz: OptionalTz = None, columns: Map = None,
                      fmt: BodyFormat = None, currency: Currency = None, keep_repeats: KeepRepeats = False,
                      encoding: Encoding = None, delimiter: Delimiter = None) -> JSONResponse:
        body = await guarded_body(request)
        if isinstance(body, JSONResponse):
            return body
        mapping = parse_pairs(p for p in (columns or "").split(",") if p.strip())
        try:
            return JSONResponse(await collector.ingest_body(
                table, body, check_zone(tz), mapping, fmt=fmt, currency=currency, keep_repeats=keep_repeats,
                encoding=encoding, delimiter=delimiter, name=file_name(request)))
        except Overloaded as exc:
            return overloaded(str(exc))

    snippet = resources.files("voronka.server").joinpath("snippet.js").read_text(encoding="utf-8")

    @app.get("/snippet.js", include_in_schema=False)
    async def snippet_js() -> Response:
        return Response(snippet, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"})


def _cors(request: Request, answer: Response) -> Response:
    """Let any web page post captures (a project key is public, as PostHog's is)."""
    answer.headers["Access-Control-Allow-Origin"] = request.headers.get("origin") or "*"
    answer.headers["Access-Control-Allow-Credentials"] = "true"
    answer.headers["Vary"] = "Origin"
    return answer
