"""ClickHouse: a server reached over HTTP (clickhouse-connect), or chdb in-process.

Both run the same text: voronka's DuckDB SQL transpiled by ``engines.dialect`` to
ClickHouse SQL, with the session settings below. chdb is ClickHouse compiled as a
library; the tests run the very SQL a server would get on it.

Settings every query needs, and why:

* ``join_use_nulls = 1``: an unmatched LEFT JOIN row has NULLs (SQL's meaning), not the
  type's default (``''``, ``0``, ``1970-01-01``), which would look like a reached step.
* ``session_timezone = 'UTC'``: ``DateTime64`` values without a zone are read as UTC, as
  voronka's timestamps are (docs/data-model.md).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

import pyarrow as pa

from voronka.engines.arrow import normalise
from voronka.engines.dialect import to_dialect
from voronka.schema import Table

SETTINGS = {"join_use_nulls": 1, "session_timezone": "UTC", "prefer_column_name_to_alias": 1}

_CH_TYPES = {"VARCHAR": "String", "TIMESTAMP": "DateTime64(6)", "DECIMAL(18,4)": "Decimal(18, 4)",
             "DATE": "Date", "DOUBLE": "Float64", "BIGINT": "Int64", "BOOLEAN": "Bool"}


def clickhouse_ddl(table: Table, name: str | None = None, *, stored: bool = False) -> str:
    """``CREATE TABLE`` for a canonical table: a MergeTree ordered by customer and time.

    Sort order (customer_id, ts) is the one every funnel window reads in; on a cluster,
    shard the Distributed table by ``cityHash64(customer_id)`` so a customer's events
    live on one shard. ``stored`` is the table ``voronka ingest --engine`` writes and
    keeps: ``IF NOT EXISTS``, partitioned by the month of ``ts`` (or ``date``).
    """
    from voronka.schema import duckdb_type

    cols = ", ".join(
        f"{f.name} {_ch_type(duckdb_type(f.type), f.name in table.required)}" for f in table.schema
    )
    order = "(customer_id, ts)" if {"customer_id", "ts"} <= set(table.columns) else "tuple()"
    if not stored:
        return f"CREATE TABLE {name or table.name} ({cols}) ENGINE = MergeTree ORDER BY {order}"
    month = next((f" PARTITION BY toYYYYMM({c})" for c in ("ts", "date") if c in table.required), "")
    return f"CREATE TABLE IF NOT EXISTS {name or table.name} ({cols}) ENGINE = MergeTree{month} ORDER BY {order}"


def _ch_type(duck: str, required: bool) -> str:
    t = _CH_TYPES.get(duck.replace(" ", ""), "String")
    return t if required else f"Nullable({t})"


class ClickHouseEngine:
    """Runs voronka's SQL on ClickHouse; ``run`` executes one ClickHouse statement and
    ``client`` (clickhouse-connect) inserts Arrow data for ``load``."""

    dialect = "clickhouse"

    def __init__(self, run: Callable[[str], pa.Table | None], *, temporary: bool = True,
                 client: Any = None) -> None:
        self._run = run
        self._temporary = temporary
        self._client = client

    # -- the Engine interface ---------------------------------------------------------
    def query(self, sql: str) -> pa.Table:
        result = self._run(to_dialect(sql, "clickhouse"))
        assert result is not None
        return normalise(result)

    def materialize(self, name: str, sql: str) -> None:
        kind = "TEMPORARY TABLE" if self._temporary else "TABLE"
        self._run(f"DROP {kind} IF EXISTS {name}")
        self._run(f"CREATE {kind} {name} ENGINE = Memory AS {to_dialect(sql, 'clickhouse')}")

    def view(self, name: str, sql: str) -> None:
        self._run(f"CREATE OR REPLACE VIEW {name} AS {to_dialect(sql, 'clickhouse')}")

    def has_table(self, name: str) -> bool:
        found = self._run(f"EXISTS TABLE {name}")
        return bool(found is not None and found.num_rows and found.column(0)[0].as_py())

    # -- loading (tests, demos) -------------------------------------------------------
    def load(self, table: Table, data: pa.Table, name: str | None = None) -> None:
        """Create ``name`` (default: the canonical name) and insert ``data`` into it."""
        target = name or table.name
        self._run(f"DROP TABLE IF EXISTS {target}")
        self._run(clickhouse_ddl(table, target))
        self._client.insert_arrow(target, data)

    def append(self, table: Table, data: pa.Table, name: str, *, check_keys: bool = True) -> int:
        """Add to ``name`` (created as ``clickhouse_ddl(stored=True)``) the rows of ``data``
        whose key (``table.key``) it does not hold yet; the number of rows added.

        ``data`` is validated and free of repeats already (the ingest pipeline). Keys are
        checked at insert time against the table (unless ``check_keys`` is false: the caller
        knows they are new); one INSERT carries the rest."""
        self._run(clickhouse_ddl(table, name, stored=True))
        new = _not_held(data, table.key, self.query(f"SELECT DISTINCT {table.key} FROM {name}")) if check_keys else data
        if new.num_rows:
            self._insert(name, new)
        return new.num_rows

    def _insert(self, name: str, data: pa.Table) -> None:
        self._client.insert_arrow(name, data)

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def connect(cls, url: str) -> "ClickHouseEngine":
        """A server: ``clickhouse://user:password@host:8123/database`` (``clickhouses://`` for TLS)."""
        import clickhouse_connect

        u = urlparse(url)
        options: dict[str, Any] = {k: v[-1] for k, v in parse_qs(u.query).items()}
        client = clickhouse_connect.get_client(
            host=u.hostname or "localhost", port=u.port or (8443 if u.scheme == "clickhouses" else 8123),
            username=u.username or "default", password=u.password or "",
            database=u.path.strip("/") or "default", secure=u.scheme == "clickhouses",
            settings={**SETTINGS, **options},
        )

        def run(sql: str) -> pa.Table | None:
            head = sql.lstrip().split(None, 1)[0].upper()
            if head in ("SELECT", "WITH", "EXISTS"):
                return client.query_arrow(sql)
            client.command(sql)
            return None

        return cls(run, temporary=True, client=client)

    @classmethod
    def in_process(cls) -> "ChdbEngine":
        return ChdbEngine()


_chdb_session: Any = None
_chdb_current: list[str] = [""]
_chdb_ids = itertools.count()
_chdb_paths: list[str | None] = []


class ChdbEngine(ClickHouseEngine):
    """ClickHouse in-process (chdb), one fresh database per engine.

    chdb allows one session per process; each engine owns a database in it and switches
    to it (``USE``) before its statements.
    """

    def __init__(self, path: str | None = None) -> None:
        """A fresh database of the process's in-memory session; or, with ``path``, the
        ``default`` database of a session kept in that folder (``chdb:///path``: tables
        outlive the process; then it must be the process's only chdb session)."""
        global _chdb_session
        from chdb import session

        if _chdb_session is None:
            _chdb_session = session.Session(path) if path else session.Session()
            _chdb_paths.append(path)
            for k, v in SETTINGS.items():
                _chdb_session.query(f"SET {k} = {v!r}")
        elif path and _chdb_paths[0] != path:
            from voronka.errors import StoreError

            raise StoreError(f"chdb://{path}: this process already has chdb open on another folder")
        if path:
            self.database = "default"
        else:
            self.database = f"voronka_{next(_chdb_ids)}"
            _chdb_session.query(f"CREATE DATABASE {self.database}")
        super().__init__(self._chdb_run, temporary=False)

    def _chdb_run(self, sql: str) -> pa.Table | None:
        if _chdb_current[0] != self.database:
            _chdb_session.query(f"USE {self.database}")
            _chdb_current[0] = self.database
        settings = " SETTINGS " + ", ".join(f"{k} = {v!r}" for k, v in SETTINGS.items())
        head = sql.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "WITH", "EXISTS"):
            return _chdb_session.query(sql + settings, "ArrowTable")
        _chdb_session.query(sql + (settings if head == "CREATE" and " AS " in sql else ""))
        return None

    def load(self, table: Table, data: pa.Table, name: str | None = None) -> None:
        target = name or table.name
        self._chdb_run(f"DROP TABLE IF EXISTS {target}")
        self._chdb_run(clickhouse_ddl(table, target))
        if data.num_rows:
            # chdb's Python() table function reads a Python variable of the calling frame
            voronka_rows = data  # noqa: F841
            _chdb_session.query(f"INSERT INTO {self.database}.{target} SELECT * FROM Python(voronka_rows)")

    def _insert(self, name: str, data: pa.Table) -> None:
        voronka_rows = data  # noqa: F841  (read by chdb's Python() table function)
        self._chdb_run(f"INSERT INTO {name} SELECT * FROM Python(voronka_rows)")

    def close(self) -> None:
        if self.database != "default":
            _chdb_session.query(f"DROP DATABASE IF EXISTS {self.database}")


def _not_held(data: pa.Table, key: str, held: pa.Table) -> pa.Table:
    """The rows of ``data`` whose ``key`` is not among ``held``'s first column."""
    import pyarrow.compute as pc

    if not held.num_rows:
        return data
    return data.filter(pc.invert(pc.is_in(data.column(key), value_set=held.column(0).cast(data.schema.field(key).type))))


__all__ = ["ChdbEngine", "ClickHouseEngine", "clickhouse_ddl"]
