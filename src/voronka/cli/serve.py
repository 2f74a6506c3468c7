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
        envvar="VORONKA_TOKEN", help="Require 'Authorization: Bearer TOKEN' on every POST.")] = None,
    allow_origin: Annotated[list[str] | None, typer.Option(
        "--allow-origin", help="A web origin whose pages may post events (CORS; repeatable).")] = None,
    max_queue: Annotated[int, typer.Option(
        min=1, help="Write requests that may wait for the store; more are answered 503 (Retry-After).")] = 4096,
    max_bodies: Annotated[int, typer.Option(
        min=1, help="Request bodies read at once; more are answered 503 (Retry-After).")] = 64,
    store: StoreOption = Path(DEFAULT_STORE),
) -> None:
    """Collect events over HTTP (POST /v1/events; PostHog's /capture/, /batch/, /e/) and serve the
    dashboard (GET /) of the store."""
    import uvicorn

    from voronka.server import create_app

    application = create_app(store, token=token, allow_origins=allow_origin, max_queue=max_queue,
                             max_bodies=max_bodies)
    where = f"http://{host}:{port}/"
    console.print(f"voronka on {where} (dashboard); POST {where}v1/events; store {os.fspath(store)}",
                  highlight=False, soft_wrap=True)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
