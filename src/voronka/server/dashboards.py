"""Dashboards of the web app: a name → an ordered list of saved views (``server.views``), kept
in the store's ``voronka_dashboards`` table (``store.DASHBOARDS``; the views' names as a JSON
array), shown at ``/app/dashboards/NAME`` with each view's chart.

A dashboard is made by adding a view to a name that has none; adding a view already on it
changes nothing. A name follows the views' rule (1–100 printable characters); at most
``MAX_VIEWS`` views. Only saved views can be added. Writes go through the server's writer,
reads through a read cursor (as the views)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from voronka.errors import InputError
from voronka.server.views import check_name, find_view
from voronka.store import DASHBOARDS

MAX_VIEWS = 24


class Missing(LookupError):
    """No dashboard of that name (the routes answer ``404``)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def list_dashboards(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every dashboard, by name: name, views (names, in order), saved_at (ISO)."""
    rows = con.execute(f"SELECT name, views, saved_at FROM {DASHBOARDS} ORDER BY name").fetchall()
    return [{"name": n, "views": json.loads(v), "saved_at": s.isoformat(timespec="seconds")} for n, v, s in rows]


def find_dashboard(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    """The dashboard ``name`` with its views (name, page, query; a view since removed: page
    ``None``), or None."""
    rows = con.execute(f"SELECT views FROM {DASHBOARDS} WHERE name = ?", [name]).fetchall()
    if not rows:
        return None
    views = []
    for view in json.loads(rows[0][0]):
        found = find_view(con, view)
        views.append(found or {"name": view, "page": None, "query": ""})
    return {"name": name, "views": views}


def _views(con: duckdb.DuckDBPyConnection, name: str) -> list[str] | None:
    rows = con.execute(f"SELECT views FROM {DASHBOARDS} WHERE name = ?", [name]).fetchall()
    return json.loads(rows[0][0]) if rows else None


def _missing(name: str) -> Missing:
    return Missing(f"no dashboard {name[:80]!r}")


def _check_views(con: duckdb.DuckDBPyConnection, views: list[str]) -> list[str]:
    if len(views) > MAX_VIEWS:
        raise InputError(f"dashboard field 'views': {len(views)} views; at most {MAX_VIEWS}")
    for view in views:
        if find_view(con, view) is None:
            raise InputError(f"dashboard field 'views' (value {view[:80]!r}): no saved view of that name")
    if len(set(views)) != len(views):
        raise InputError("dashboard field 'views': a view is listed twice")
    return views


def add_view(con: duckdb.DuckDBPyConnection, name: str, view: str) -> list[str]:
    """Add the saved view ``view`` at the end of dashboard ``name`` (made if new); its views."""
    name, view = check_name(name, "dashboard"), check_name(view, "dashboard", "view")
    views = _views(con, name)
    new = [*(views or []), *([] if views and view in views else [view])]
    _check_views(con, new)
    con.execute(f"INSERT OR REPLACE INTO {DASHBOARDS} VALUES (?, ?, ?)", [name, json.dumps(new, ensure_ascii=False), _now()])
    return new


def change_dashboard(con: duckdb.DuckDBPyConnection, name: str, new_name: str | None,
                     views: list[str] | None) -> dict[str, Any]:
    """Rename dashboard ``name`` to ``new_name`` and/or set its views (their order; a view left
    out is removed from it), in one transaction. A new name taken by another dashboard is an error."""
    current = _views(con, name)
    if current is None:
        raise _missing(name)
    target = check_name(new_name, "dashboard") if new_name is not None else name
    kept = _check_views(con, [check_name(v, "dashboard", "views") for v in views]) if views is not None else current
    if target != name and _views(con, target) is not None:
        raise InputError(f"dashboard field 'name' (value {target[:80]!r}): another dashboard has that name")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {DASHBOARDS} WHERE name = ?", [name])
        con.execute(f"INSERT INTO {DASHBOARDS} VALUES (?, ?, ?)", [target, json.dumps(kept, ensure_ascii=False), _now()])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"name": target, "views": kept}


def delete_dashboard(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete dashboard ``name`` (its views stay saved)."""
    if _views(con, name) is None:
        raise _missing(name)
    con.execute(f"DELETE FROM {DASHBOARDS} WHERE name = ?", [name])
