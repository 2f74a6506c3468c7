"""The capture POSTs, answered in front of the FastAPI app.

A capture request (``POST`` to PostHog's ``/capture/``, ``/batch/``, ``/e/``, ``/i/v0/e/``,
``/track/``, ``/engage/``, with or without the slash, and Segment's ``/v1/batch|track|page|
identify|alias``) is the hot path of the collector: SDKs send one per event or per small
batch. ``CaptureApp`` (the FastAPI app of ``voronka serve``) hands it to ``Ingress`` before
FastAPI's own ``__call__``: before its telemetry check (which asks OpenTelemetry for its
providers, reading the environment, at every request), its middleware stack, routing,
dependency solving and request and response objects (a third of the server's CPU per
single event went there). ``Ingress`` does only what the answer needs: read the body
(bounded), translate it (``capture.translate``), check the project key, queue the rows to
the writer and wait for the commit, send the answer. Every other request goes to FastAPI
unchanged.

Answers, the same as the rest of the API gives (``{"error": …}``; docs/server.md):

* ``200`` ``{"status": 1}``: stored (durable);
* ``413``: the body (counted while it streams in, chunked too, or once inflated) is over
  ``max_body_bytes``; or a property over the store's limits;
* ``422``: a body that is not a capture payload (the event and field named);
* ``401``: no live project (write) key in the body nor ``Authorization: Bearer``;
* ``503`` + ``Retry-After``: the write queue is full, or ``max_bodies`` bodies are being
  read (``Collector.bodies``, shared with ``POST /v1/{table}``): nothing was taken;
* ``500``: a fault of voronka (logged with its traceback; no detail to the client).

Every answer carries the CORS headers that let any web page post (a project key is
public, as PostHog's is).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI

from voronka.errors import LimitError, VoronkaError
from voronka.keys import allows_write
from voronka.server import capture
from voronka.server.collect import CAPTURE_PATHS, RETRY_AFTER, SEGMENT_PATHS, TooLarge
from voronka.server.collector import Collector
from voronka.server.writer import Overloaded

PATHS = frozenset([*CAPTURE_PATHS, *(p + "/" for p in CAPTURE_PATHS), *SEGMENT_PATHS])

INLINE_BYTES = 4 * 1024
"""Bodies up to this size (a few events) are translated on the event loop; larger ones on a
worker thread, so that ``/health`` does not wait behind a flood of batches (measured: inlining
batches of 100 gave no clear gain and risks the ``/health`` bound)."""

STORED = b'{"status":1}'

log = logging.getLogger("voronka.server")


class ClientGone(Exception):
    """The client closed the connection before the end of its body (nobody reads an answer)."""


class CaptureApp(FastAPI):
    """A FastAPI app whose capture POSTs go to ``ingress`` (when set) before FastAPI sees them."""

    ingress: Ingress | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (self.ingress is not None and scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] in PATHS):
            await self.ingress.answer(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class Ingress:
    """The answers to the capture POSTs of ``app`` (see the module doc); the keys are the app's
    (``app.state.keyring``)."""

    def __init__(self, app: FastAPI, collector: Collector, *, max_body_bytes: int, max_bodies: int) -> None:
        self.app = app
        self.collector = collector
        self.max_body_bytes = max_body_bytes
        self.max_bodies = max_bodies

    async def answer(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer one capture request (``scope["path"]`` in ``PATHS``)."""
        headers = dict(scope["headers"])  # names are lower case (ASGI); the last of repeated ones
        try:
            status, body, extra = await self.capture(scope, headers, receive)
        except ClientGone:
            return
        except Exception as exc:  # noqa: BLE001 - the error policy of app.py: logged, 500 with no detail
            log.error("internal fault answering POST %s", scope["path"], exc_info=exc)
            status, body, extra = _error(500, "internal error (the server's log has the details)")
        origin = headers.get(b"origin") or b"*"
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
            (b"access-control-allow-origin", origin), (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"), *extra]})
        await send({"type": "http.response.body", "body": body})

    async def capture(self, scope: dict[str, Any], headers: dict[bytes, bytes], receive: Any) -> Answer:
        """The answer to one capture request."""
        received = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        collector = self.collector
        if collector.writer.full():
            return _overloaded("the write queue is full")
        if collector.bodies >= self.max_bodies:
            return _overloaded(f"{self.max_bodies} request bodies are being read")
        collector.bodies += 1
        try:
            body = await self.read_body(headers, receive)
        except TooLarge:
            return self.too_large()
        finally:
            collector.bodies -= 1
        query = parse_qs(scope["query_string"].decode("latin-1")) if scope["query_string"] else {}
        options = {"content_encoding": headers.get(b"content-encoding", b"").decode("latin-1"),
                   "compression": (query.get("compression") or [""])[0],
                   "now": received, "max_bytes": self.max_body_bytes}
        try:
            if len(body) <= INLINE_BYTES:
                rows = capture.translate(body, **options)
            else:
                rows = await asyncio.to_thread(lambda: capture.translate(body, **options))
        except capture.BodyTooLarge:
            return self.too_large()
        except VoronkaError as exc:
            return _error(413 if isinstance(exc, LimitError) else 422, str(exc))
        bearer = headers.get(b"authorization", b"").decode("latin-1")
        key = rows.api_key or (bearer[7:] if bearer.startswith("Bearer ") else None)
        if not allows_write(self.app.state.keyring, key):
            return _error(401, "missing or wrong project API key (api_key or token in the body)")
        try:
            await collector.capture(rows, len(body))
        except Overloaded as exc:
            return _overloaded(str(exc))
        except VoronkaError as exc:
            return _error(422, str(exc))
        return 200, STORED, []

    async def read_body(self, headers: dict[bytes, bytes], receive: Any) -> bytes:
        """The body, refused (``TooLarge``) as soon as it passes ``max_body_bytes``."""
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise TooLarge
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def too_large(self) -> Answer:
        return _error(413, f"body over {self.max_body_bytes:,} bytes; send large files with 'voronka ingest'")


Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]
"""Status, body, the headers beyond the common ones."""


def _error(status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> Answer:
    """``{"error": message}`` as ``answers.error`` writes it."""
    body = json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return status, body, extra or []


def _overloaded(why: str) -> Answer:
    return _error(503, f"{why}; retry later", [(b"retry-after", RETRY_AFTER.encode())])
