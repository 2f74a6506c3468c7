"""A store held by a running ``voronka serve``: the serve file, and the CLI's way through the
server (an I/O edge; docs/server.md, "Using the CLI while the server runs").

DuckDB lets one process open a store file for writing; ``voronka serve`` holds it, so the
server is the store's only writer and other processes read **snapshots** of it:

* **The serve file** ``<store>.serve.json`` (mode 0600), written by ``voronka serve`` when it
  has opened the store and removed when it stops: ``url`` (a loopback address of the server),
  ``pid``, ``key`` (a local key of both kinds made for this run only; the server keeps only
  its hash, in memory) and ``max_body_bytes``. A file whose ``pid`` is not a live process is
  stale: ignored by readers, replaced by the next server.
* **Reads**: ``POST /v1/snapshot`` makes the server copy the committed store to
  ``<store>.snapshot.duckdb`` (``Collector.snapshot``); the CLI opens that copy read-only.
* **Ingests**: ``voronka ingest`` sends the file's bytes to ``POST /v1/{table}``, the same
  pipeline the server's writer runs, read from the bytes (no file is written); the file's
  path goes in ``Content-Disposition``, so the server's errors name it as a local ingest would.

No third-party HTTP client: ``urllib`` over loopback.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voronka.errors import StoreError

TIMEOUT = 600.0
"""Seconds the CLI waits for the server's answer (a snapshot or an ingest of a large file)."""


def serve_file(store: str | Path) -> Path:
    """The serve file of ``store``: ``<store>.serve.json`` beside it."""
    return Path(f"{os.fspath(store)}.serve.json")


def snapshot_file(store: str | Path) -> Path:
    """The snapshot of ``store`` the server writes: ``<store>.snapshot.duckdb`` beside it."""
    return Path(f"{os.fspath(store)}.snapshot.duckdb")


def local_url(host: str, port: int) -> str:
    """The address a process of this machine reaches a server listening on ``host`` by."""
    if host in ("0.0.0.0", "", "localhost"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass(frozen=True)
class Served:
    """What a serve file says: where the server is, its process, its local key, its body limit."""

    url: str
    pid: int
    key: str
    max_body_bytes: int


def write_serve_file(store: str | Path, url: str, key: str, max_body_bytes: int) -> Path:
    """Write the serve file of ``store`` for this process (0600, replacing a stale one)."""
    path = serve_file(store)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    text = json.dumps({"url": url, "pid": os.getpid(), "key": key, "max_body_bytes": max_body_bytes})
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(temporary, path)
    return path


def remove_serve_file(store: str | Path) -> None:
    """Remove the serve file of ``store`` if this process wrote it."""
    served = read_serve_file(store, live=False)
    if served is not None and served.pid == os.getpid():
        serve_file(store).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Is ``pid`` a running process? (Signal 0 checks without signalling; on Windows, where
    ``os.kill`` would end the process, every pid counts as alive.)"""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OSError:
        return False
    return True


def read_serve_file(store: str | Path, *, live: bool = True) -> Served | None:
    """The serve file of ``store``; ``None`` when there is none, it is unreadable, or (``live``)
    its process has ended (a stale file)."""
    try:
        data = json.loads(serve_file(store).read_text(encoding="utf-8"))
        served = Served(url=str(data["url"]), pid=int(data["pid"]), key=str(data["key"]),
                        max_body_bytes=int(data["max_body_bytes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if live and (served.pid == os.getpid() or not _alive(served.pid)):
        return None
    return served


def _call(served: Served, method: str, path: str, *, body: bytes | None = None,
          query: dict[str, Any] | None = None, file: str | None = None) -> dict[str, Any]:
    """The JSON answer of the server, or ``StoreError`` with the server's message. ``file``: the
    name the server's errors give the body."""
    url = served.url + path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
    headers = {"Authorization": f"Bearer {served.key}", "Content-Type": "application/octet-stream"}
    if file is not None:
        headers["Content-Disposition"] = "attachment; filename*=" + email.utils.encode_rfc2231(file, "utf-8")
    request = urllib.request.Request(url, data=body if body is not None else b"", method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 - the serve file's loopback URL
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise ServerAnswer(exc.code, str(message)) from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"voronka serve (pid {served.pid}) at {served.url} did not answer ({exc}); if no server "
                         "holds the store, its serve file is stale: remove it") from None


class ServerAnswer(StoreError):
    """The running server refused a request: its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"voronka serve answered {status}: {message}")
        self.status = status
        self.message = message


def snapshot(served: Served, store: str | Path) -> tuple[Path, dt.datetime]:
    """Ask the server for a snapshot of ``store``; its path and when it was taken (UTC)."""
    answer = _call(served, "POST", "/v1/snapshot")
    path = Path(answer["path"])
    if path.resolve() != snapshot_file(store).resolve():  # only the file beside the store is opened
        raise StoreError(f"voronka serve (pid {served.pid}) answered a snapshot elsewhere: {path}")
    return path, dt.datetime.fromisoformat(answer["taken_at"])


def optimize(served: Served) -> dict[str, Any]:
    """Ask the server to rebuild the store's funnel layout (``POST /v1/optimize``): ``{"events", "seconds"}``."""
    return _call(served, "POST", "/v1/optimize")


def ingest_file(served: Served, table: str, file: Path, query: dict[str, Any]) -> dict[str, Any]:
    """Send ``file`` to the server's ``POST /v1/{table}``; its counts. A file over the server's
    body limit is refused before it is sent; the server's errors name ``file``."""
    size = file.stat().st_size
    if size > served.max_body_bytes:
        raise too_large(served, file, f"{size:,} bytes, over the {served.max_body_bytes:,}-byte body limit")
    try:
        return _call(served, "POST", f"/v1/{table}", body=file.read_bytes(), query=query, file=str(file))
    except ServerAnswer as exc:
        if exc.status == 413:  # e.g. a gzip file inflating past the limit
            raise too_large(served, file, exc.message) from None
        raise


def too_large(served: Served, file: Path, why: str) -> StoreError:
    """The error of a file the server holding the store will not take, and what to do."""
    return StoreError(f"{file}: {why} of the voronka serve (pid {served.pid}) holding the store; start it with "
                      "a larger --max-body-bytes, or stop it and ingest again")
