"""``voronka serve``: the HTTP collector and the web dashboard of one store (``voronka.server``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from voronka.cli.app import DEFAULT_STORE, StoreOption, app, console, user_errors


@app.command()
@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8765,
    token: Annotated[str | None, typer.Option(
        envvar="VORONKA_TOKEN", help="A key of both kinds, 'Authorization: Bearer TOKEN' (older than "
        "'voronka keys'; prefer a write key and a read key).")] = None,
    public_dashboard: Annotated[bool, typer.Option(
        "--public-dashboard", help="Let anyone read the dashboard and the API without a key "
        "(only with a loopback --host).")] = False,
    allow_origin: Annotated[list[str] | None, typer.Option(
        "--allow-origin", help="A web origin whose pages may post events (CORS; repeatable).")] = None,
    max_queue: Annotated[int, typer.Option(
        min=1, help="Write requests that may wait for the store; more are answered 503 (Retry-After).")] = 4096,
    max_bodies: Annotated[int, typer.Option(
        min=1, help="Request bodies read at once; more are answered 503 (Retry-After).")] = 64,
    max_body_bytes: Annotated[int, typer.Option(
        min=1024, max=2**34, help="The largest request body (also a file 'voronka ingest' sends while the "
                                  "server holds the store); larger: 413.")] = 64 * 1024 * 1024,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Also carry what is collected into this engine's tables events, spend, aliases and "
                         "deals (clickhouse://host:8123/db, chdb:///folder, sc://host:15002; docs/engines.md).")] = None,
    into_prefix: Annotated[str, typer.Option(
        "--into-prefix", help="With --engine: put this before the tables' names (lake. → lake.events).")] = "",
    relay_every: Annotated[float, typer.Option(
        min=0.1, max=3600, help="With --engine: seconds between two passes of the relay.")] = 5.0,
    optimize_after: Annotated[float, typer.Option(
        min=0, max=86400, help="On a store with a funnel layout (voronka optimize): rebuild it once no write has "
                               "come for this many seconds (0: never).")] = 60.0,
    store: StoreOption = Path(DEFAULT_STORE),
) -> None:
    """Collect events over HTTP (POST /v1/events; PostHog's /capture/, /batch/, /e/) and serve the
    dashboard (GET /) of the store.

    Reads need a read key and writes a write key once the store has one (voronka keys).
    While it runs, other voronka commands on the store go through it (STORE.serve.json).
    With --engine, what the store takes is carried on into a big engine, exactly once."""
    import secrets

    import uvicorn

    from voronka.keys import digest
    from voronka.server import create_app
    from voronka.server.auth import is_loopback
    from voronka.served import local_url, remove_serve_file, write_serve_file

    if public_dashboard and not is_loopback(host):
        raise typer.BadParameter(f"--public-dashboard serves every customer's analytics to anyone: only with a "
                                 f"loopback --host (127.0.0.1, ::1, localhost), not {host}", param_hint="--host")
    application = create_app(store, token=token, public_dashboard=public_dashboard, allow_origins=allow_origin,
                             max_queue=max_queue, max_bodies=max_bodies, max_body_bytes=max_body_bytes,
                             local_key=(local_key := "vkl_" + secrets.token_urlsafe(32)),
                             optimize_after=optimize_after)
    if engine:
        _relay(application, engine, into_prefix, relay_every)
    keyring = application.state.keyring
    own_reads = [h for h in keyring.read if h != digest(local_key)]  # the serve file's key is not a user's
    where = f"http://{host}:{port}/"
    console.print(f"voronka on {where} (dashboard); POST {where}v1/events; store {os.fspath(store)}",
                  highlight=False, soft_wrap=True)
    reads = ("public (--public-dashboard)" if keyring.public_reads else
             "with a read key" if own_reads else "refused: no read key yet (voronka keys create --kind read)")
    writes = ("with a write key" if keyring.writes_need_key else
              "open to anyone: no write key yet (voronka keys create --kind write)")
    console.print(f"reads: {reads}; writes: {writes}", highlight=False, soft_wrap=True)
    # the serve file: the CLI on this machine reads and ingests through this server (voronka.served)
    write_serve_file(store, local_url(host, port), local_key, max_body_bytes)
    # removed at shutdown (uvicorn then re-raises SIGTERM, which would skip a finally), and on any other exit
    application.router.add_event_handler("shutdown", lambda: remove_serve_file(store))
    try:
        uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
    finally:
        remove_serve_file(store)


def _relay(application: object, url: str, prefix: str, every: float) -> None:
    """Start the relay of ``--engine`` (``voronka.server.relay``), stopped before the store closes."""
    import contextlib
    import re

    from voronka.engines import WritableEngine, open_engine
    from voronka.server.relay import Relay

    if not re.fullmatch(r"[A-Za-z0-9_.]*", prefix):
        raise typer.BadParameter(f"{prefix!r}: letters, digits, '_' and '.' only", param_hint="--into-prefix")
    target = open_engine(url)
    if not isinstance(target, WritableEngine):
        raise typer.BadParameter(f"{url}: voronka cannot write to this engine (ClickHouse, chdb or Spark)",
                                 param_hint="--engine")
    collector = application.state.collector

    @contextlib.contextmanager
    def writing():
        with collector.lock:
            yield collector.store.connection

    relay = Relay(target, url, collector.reading, writing, prefix=prefix, interval=every)
    application.state.relay = relay
    application.router.add_event_handler("startup", relay.start)
    application.router.on_shutdown.insert(0, relay.stop)  # before the collector closes the store
    console.print(f"relay: what is stored goes on to {prefix}events… of {url} every {every:g} s",
                  highlight=False, soft_wrap=True)
