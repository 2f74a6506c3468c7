"""Saved views of the web app: a name → a page and its query string (the whole state of the
view, as in its URL), kept in the store's ``voronka_views`` table (``store.VIEWS``).

Saving a name that exists replaces it. A name is 1–100 characters without control
characters; the query string at most ``MAX_QUERY`` characters. Writes go through the
server's writer (``Collector.writer``), reads through a read cursor."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import duckdb

from voronka.errors import InputError
from voronka.store import VIEWS

MAX_NAME = 100
MAX_QUERY = 4000


def check_name(name: str, what: str = "view", field: str = "name") -> str:
    """``name`` trimmed: 1 to ``MAX_NAME`` printable characters, else an ``InputError`` naming
    ``what``'s ``field``."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME or any(unicodedata.category(c).startswith("C") for c in name):
        raise InputError(f"{what} field {field!r} (value {name[:80]!r}): 1 to {MAX_NAME} printable characters")
    return name


def check_view(name: str, page: str, query: str, pages: tuple[str, ...]) -> tuple[str, str, str]:
    """The view's name (trimmed), page and query (without a leading ``?``), or an ``InputError``
    naming the field."""
    name = check_name(name)
    if page not in pages:
        raise InputError(f"view field 'page' (value {page[:80]!r}): one of {', '.join(pages)}")
    query = query.lstrip("?")
    if len(query) > MAX_QUERY:
        raise InputError(f"view field 'query': {len(query)} characters; at most {MAX_QUERY}")
    return name, page, query


def save_view(con: duckdb.DuckDBPyConnection, name: str, page: str, query: str) -> None:
    """Store the view (replacing one of the same name), in one statement."""
    con.execute(f"INSERT OR REPLACE INTO {VIEWS} VALUES (?, ?, ?, ?)",
                [name, page, query, dt.datetime.now(dt.UTC).replace(tzinfo=None)])


def list_views(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every saved view, newest first: name, page, query, saved_at (ISO)."""
    rows = con.execute(f"SELECT name, page, query, saved_at FROM {VIEWS} ORDER BY saved_at DESC, name").fetchall()
    return [{"name": n, "page": p, "query": q, "saved_at": s.isoformat(timespec="seconds")} for n, p, q, s in rows]


def find_view(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    """The view called ``name``, or None."""
    return next((v for v in list_views(con) if v["name"] == name), None)
