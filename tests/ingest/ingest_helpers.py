"""Helpers for the ingest tests: small files written in every format."""

from __future__ import annotations

from pathlib import Path

from voronka.store import Store

HEADER = ["customer_id", "ts", "event", "revenue", "currency", "page"]
ROWS = [
    ["c1", "2026-03-01 10:00:00", "site_visit", "", "", "/"],
    ["c1", "2026-03-01 11:00:00", "purchase", "1500.50", "KZT", "/buy"],
    ["c2", "2026-03-02 09:30:00", "ad_view", "", "", ""],
]


def write_csv(path: Path, rows: list[list[str]], *, header: list[str] = HEADER, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def events(store: Store) -> list[tuple]:
    """The events table sorted by customer and time (without event_id)."""
    return store.connection.execute(
        "SELECT customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties "
        "FROM events ORDER BY customer_id, ts, event"
    ).fetchall()
