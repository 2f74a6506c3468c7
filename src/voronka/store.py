"""The store: one DuckDB file holding the canonical tables of one workspace (an I/O edge).

    with Store("voronka.duckdb") as store:
        summary = store.ingest_events(["events.csv"], tz="Asia/Almaty")
        store.count("events")

Opening a path that does not exist creates the store. Its format version is kept in
the table ``voronka_meta`` (``key``, ``value``; key ``format_version``). A file that is
not a DuckDB database, a DuckDB database holding other tables, or a store written by a
newer voronka (a higher version) gives ``StoreError``.

Every ``ingest_*`` call is one transaction: all its files are added, or none (see
``voronka.ingest.pipeline``).

A store may have a **default currency** (key ``currency`` in ``voronka_meta``): the
currency of amounts ingested without one. ``ingest(..., currency="RUB")`` uses RUB and
keeps it as the default for later ingests that give none (docs/ingest.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Unpack

import duckdb

from voronka.engines.duckdb import connect
from voronka.errors import StoreError
from voronka.schema import TABLES

if TYPE_CHECKING:  # the ingest pipeline loads when a store ingests, not when one is read
    from voronka.ingest import IngestOptions, IngestSummary
    from voronka.ingest.readers import Body

FORMAT_VERSION = 1
"""The store format this voronka writes; bump it when a table changes.

Adding a table is not a change: opening a store for writing creates every missing
table (``deals`` came after format 1 was released), and an older voronka ignores
tables it does not know. A read-only open creates nothing, so an analysis of a table
an old store lacks reports it (see ``voronka.crm.pipeline``)."""

META = "voronka_meta"
KEYS = "voronka_keys"
"""The API keys (``voronka.keys``): id, kind, name, hint, SHA-256, created and revoked times."""
VIEWS = "voronka_views"
"""The web app's saved views (``voronka.server.views``): name, page, query string, saved time."""
DASHBOARDS = "voronka_dashboards"
"""The web app's dashboards (``voronka.server.views``): name, the views' names in order (a JSON
array), saved time."""


class StoreLocked(StoreError):
    """Another process holds the store file (a running ``voronka serve``, or another command)."""


class Store:
    """An open store: ``Store(path)`` opens or creates it; ``":memory:"`` is a scratch store."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self._currency: tuple[str | None] | None = None  # (the default currency,) once read
        try:
            self._con = connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            first = (str(exc).splitlines() or [""])[0]
            if "lock" in first.lower():
                raise StoreLocked(
                    f"{self.path}: the store is in use by another process (a running `voronka serve`, or "
                    f"another voronka command); stop it or use another --store. ({first})"
                ) from None
            raise StoreError(f"{self.path}: cannot open the store: {first}") from None
        try:
            self._prepare(read_only)
        except BaseException:
            self._con.close()
            raise

    def _prepare(self, read_only: bool) -> None:
        tables = {name for (name,) in self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        if META in tables:
            rows = self._con.execute(f"SELECT value FROM {META} WHERE key = 'format_version'").fetchall()
            row = rows[0] if rows else None
            version = int(row[0]) if row and str(row[0]).isdigit() else None
            if version is None:
                raise StoreError(f"{self.path}: not a voronka store (no format version)")
            if version > FORMAT_VERSION:
                raise StoreError(
                    f"{self.path}: store format {version} is newer than this voronka reads "
                    f"({FORMAT_VERSION}); upgrade voronka"
                )
        elif tables:
            raise StoreError(f"{self.path}: not a voronka store (a DuckDB database with other tables)")
        elif read_only:
            raise StoreError(f"{self.path}: not a voronka store (empty)")
        if read_only:
            return
        self._con.execute("BEGIN TRANSACTION")
        self._con.execute(f"CREATE TABLE IF NOT EXISTS {META} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
        self._con.execute(
            f"INSERT INTO {META} VALUES ('format_version', ?) ON CONFLICT DO NOTHING", [str(FORMAT_VERSION)]
        )
        for table in TABLES.values():
            self._con.execute(table.ddl(stored=True))
        self._con.execute(
            f"CREATE TABLE IF NOT EXISTS {KEYS} (id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR, "
            "hint VARCHAR NOT NULL, hash VARCHAR NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL, "
            "revoked_at TIMESTAMP)")
        self._con.execute(f"CREATE TABLE IF NOT EXISTS {VIEWS} (name VARCHAR PRIMARY KEY, page VARCHAR NOT NULL, "
                          "query VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)")
        self._con.execute(f"CREATE TABLE IF NOT EXISTS {DASHBOARDS} (name VARCHAR PRIMARY KEY, "
                          "views VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)")
        self._con.execute("COMMIT")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (for queries; ingest through the methods)."""
        return self._con

    @property
    def format_version(self) -> int:
        return int(self._con.execute(f"SELECT value FROM {META} WHERE key = 'format_version'").fetchall()[0][0])

    @property
    def default_currency(self) -> str | None:
        """The currency of amounts ingested without one, if the store has one (ISO 4217); read
        once (this process is the store's only writer) and kept up to date by ``ingest``."""
        if self._currency is None:
            rows = self._con.execute(f"SELECT value FROM {META} WHERE key = 'currency'").fetchall()
            self._currency = (rows[0][0] if rows else None,)
        return self._currency[0]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def count(self, table_name: str) -> int:
        """The number of rows in a canonical table."""
        if table_name not in TABLES:
            raise StoreError(f"no table {table_name!r}; the tables are {', '.join(TABLES)}")
        return self._con.execute(f"SELECT count(*) FROM {table_name}").fetchall()[0][0]

    def ingest(self, table: str, paths: Iterable[str | Path | Body], *, keep_repeats: bool = False,
               **options: Unpack[IngestOptions]) -> IngestSummary:
        """Add the rows of ``paths`` to ``table`` (see ``voronka.ingest``); all files or none.

        ``options``: how the files are read (``voronka.ingest.ReadOptions``: mapping, tz,
        encoding, delimiter, currency) plus ``reject_file`` and ``progress``. ``currency``
        is the currency of amounts without one; when given, it also becomes the store's
        default currency (once the ingest succeeds); when not, the store's default applies.
        """
        from voronka.ingest import ingest
        from voronka.ingest.pipeline import check_currency

        if table not in TABLES:
            raise StoreError(f"no table {table!r}; the tables are {', '.join(TABLES)}")
        code = check_currency(options.pop("currency", None))
        summary = ingest(self._con, table, paths, **options, currency=code or self.default_currency,
                         keep_repeats=keep_repeats)
        if code is not None and code != self.default_currency:
            self._con.execute(f"INSERT OR REPLACE INTO {META} VALUES ('currency', ?)", [code])
            self._currency = (code,)
        return summary

    def refresh_layout(self) -> None:
        """Rebuild the funnel layout (``voronka.funnel.layout``: the events, read through the
        alias map, in funnel order, which a funnel uses only while it reflects the store's
        events and aliases as they are): ``voronka optimize``. An ingest leaves it as it is, out of date, until the next rebuild."""
        from voronka.funnel import layout

        layout.refresh(self._con)

    def ingest_events(self, paths: Iterable[str | Path], **options: Unpack[IngestOptions]) -> IngestSummary:
        """Add events (customer_id, ts, event required; see docs/ingest.md)."""
        return self.ingest("events", paths, **options)

    def ingest_spend(self, paths: Iterable[str | Path], **options: Unpack[IngestOptions]) -> IngestSummary:
        """Add ad spend rows (date, channel, amount, currency required; campaign optional)."""
        return self.ingest("spend", paths, **options)

    def ingest_aliases(self, paths: Iterable[str | Path], **options: Unpack[IngestOptions]) -> IngestSummary:
        """Add identity aliases (alias, customer_id); an alias already known keeps its first id."""
        return self.ingest("aliases", paths, **options)

    def ingest_deals(self, paths: Iterable[str | Path], **options: Unpack[IngestOptions]) -> IngestSummary:
        """Add CRM deal stage changes (deal_id, stage, changed_at required; see docs/crm.md)."""
        return self.ingest("deals", paths, **options)

    def add_key(self, kind: str, key: str, name: str | None = None) -> int:
        """Keep the hash of a new API key (``voronka.keys``); its id."""
        from voronka.keys import HINT, digest

        return self._con.execute(
            f"INSERT INTO {KEYS} SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, now()::TIMESTAMP, NULL FROM {KEYS} "
            "RETURNING id", [kind, name, key[:HINT], digest(key)]).fetchall()[0][0]

    def keys(self) -> list[dict[str, object]]:
        """Every API key ever created (revoked ones too), without the key: id, kind, name,
        hint (its first characters), hash, created_at, revoked_at; none in a store older than keys."""
        if not self._con.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' "
                                 f"AND table_name = '{KEYS}'").fetchall():
            return []
        cursor = self._con.execute(f"SELECT id, kind, name, hint, hash, created_at, revoked_at FROM {KEYS} ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def revoke_key(self, key_id: int) -> bool:
        """Revoke the key ``key_id``; whether a live key of that id was found."""
        return bool(self._con.execute(
            f"UPDATE {KEYS} SET revoked_at = now()::TIMESTAMP WHERE id = ? AND revoked_at IS NULL RETURNING id",
            [key_id]).fetchall())
