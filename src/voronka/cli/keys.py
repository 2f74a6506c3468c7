"""``voronka keys``: create, list and revoke the API keys of a store (``voronka.keys``).

A running ``voronka serve`` holds its store: stop it to change keys, and start it again to
use them (the server reads the keys when it starts)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import pyarrow as pa
import typer

from voronka.cli.app import (
    DEFAULT_STORE,
    FormatOption,
    OutputFormat,
    StoreOption,
    app,
    console,
    user_errors,
)
from voronka.cli.output import emit
from voronka.errors import StoreError
from voronka.keys import new_key
from voronka.store import Store

keys_app = typer.Typer(help="API keys of the server: write keys (capture) and read keys (dashboard, API).",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class KeyKind(str, Enum):
    write = "write"
    read = "read"


@keys_app.command("create")
@user_errors
def create(
    kind: Annotated[KeyKind, typer.Option("--kind", help="write: send events only (public, for web pages); "
                                          "read: the dashboard and the API (secret).")],
    name: Annotated[Optional[str], typer.Option("--name", help="What the key is for (shown by 'keys list').")] = None,
    store: StoreOption = Path(DEFAULT_STORE),
) -> None:
    """Create a key and print it once: the store keeps only its hash."""
    key = new_key(kind.value)
    with Store(store) as opened:
        key_id = opened.add_key(kind.value, key, name)
    console.print(f"{kind.value} key {key_id} created; it is shown only now:", highlight=False)
    print(key)


@keys_app.command("list")
@user_errors
def list_keys(fmt: FormatOption = OutputFormat.table, store: StoreOption = Path(DEFAULT_STORE)) -> None:
    """The keys of the store: id, kind, name, the first characters, created and revoked (UTC)."""
    with Store(store, read_only=True) as opened:
        rows = [{k: v for k, v in row.items() if k != "hash"} for row in opened.keys()]
    columns = ("id", "kind", "name", "hint", "created_at", "revoked_at")
    table = pa.table({c: [r[c] for r in rows] for c in columns}) if rows else pa.table(
        {c: pa.array([], pa.string()) for c in columns})
    emit(table, fmt, title="API keys" if fmt is OutputFormat.table else None)


@keys_app.command("revoke")
@user_errors
def revoke(key_id: Annotated[int, typer.Argument(metavar="ID", help="The key's id (see 'keys list').")],
           store: StoreOption = Path(DEFAULT_STORE)) -> None:
    """Revoke a key: the server refuses it from its next start."""
    with Store(store) as opened:
        if not opened.revoke_key(key_id):
            raise StoreError(f"{store}: no live key {key_id} (see 'voronka keys list')")
    console.print(f"key {key_id} revoked", highlight=False)
