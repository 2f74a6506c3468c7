"""The canonical tables of a voronka store, as data.

events: one row per journey event (docs/data-model.md defines every column)

    event_id     VARCHAR   unique; given, or md5 of the normalised row (see ``ingest``)
    customer_id  VARCHAR   who did it (after identity merge: see ``aliases``)
    ts           TIMESTAMP when, in UTC (naive; input offsets / time zones are converted)
    event        VARCHAR   what happened, e.g. ``purchase``
    channel      VARCHAR   where it came from, e.g. ``tv``, ``digital``, ``wom`` (nullable)
    campaign     VARCHAR   (nullable)
    revenue      DECIMAL(18,4) money of this event, in ``currency`` (nullable)
    currency     VARCHAR   ISO 4217 code, upper case (nullable; required when revenue is set)
    referrer_id  VARCHAR   the customer who referred this customer (nullable)
    properties   VARCHAR   a JSON object with every other input column (never null; ``{}``)

spend: ad spend per day

    spend_id, date DATE, channel, campaign, amount DECIMAL(18,4), currency

aliases: identity merge; every ``alias`` id is analysed as ``customer_id``

    alias VARCHAR, customer_id VARCHAR

deals: CRM deal stage changes, one row per deal entering a stage (docs/crm.md)

    change_id   VARCHAR   unique; given, or md5 of the normalised row
    deal_id     VARCHAR   the CRM's deal id
    pipeline    VARCHAR   pipeline (amoCRM «Воронка», Bitrix24 «Направление»; nullable)
    stage       VARCHAR   the stage entered
    changed_at  TIMESTAMP when, in UTC (naive)
    manager     VARCHAR   the responsible manager (nullable)
    amount      DECIMAL(18,4) the deal's budget (nullable)
    currency    VARCHAR   ISO 4217 (nullable: the account's currency)
    status      VARCHAR   ``won``, ``lost`` or ``open`` when exported (nullable)

Files read without a store (never stored): ``rates`` (date, currency, rate: units of the
base currency for one unit of ``currency``) and ``plan`` (month, channel, spend, leads,
sales, currency), each with a generated ``row_id`` — see docs/money.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MONEY = pa.decimal128(18, 4)


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, Arrow schema and which columns must not be null."""

    name: str
    schema: pa.Schema
    required: tuple[str, ...]
    key: str
    compression: tuple[tuple[str, str], ...] = ()
    """Columns stored with a compression of their own in a store file (``ddl(stored=True)``)."""

    @property
    def columns(self) -> list[str]:
        return self.schema.names

    def ddl(self, *, stored: bool = False) -> str:
        """``CREATE TABLE IF NOT EXISTS`` in DuckDB SQL; ``stored``: for a store file, with
        the columns' own ``compression`` (an in-memory table is not compressed)."""
        methods = dict(self.compression) if stored else {}
        cols = ",\n  ".join(
            f"{f.name} {duckdb_type(f.type)}{' NOT NULL' if f.name in self.required else ''}"
            + (f" USING COMPRESSION {methods[f.name]}" if f.name in methods else "")
            for f in self.schema
        )
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"


def duckdb_type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE"
    raise TypeError(f"no DuckDB type for {t}")


EVENTS = Table(
    name="events",
    schema=pa.schema(
        [
            ("event_id", pa.string()),
            ("customer_id", pa.string()),
            ("ts", pa.timestamp("us")),
            ("event", pa.string()),
            ("channel", pa.string()),
            ("campaign", pa.string()),
            ("revenue", MONEY),
            ("currency", pa.string()),
            ("referrer_id", pa.string()),
            ("properties", pa.string()),
        ]
    ),
    required=("event_id", "customer_id", "ts", "event", "properties"),
    key="event_id",
    # A key is unique, so DuckDB's default for text (DICT_FSST) gains little on it and costs
    # a third of a bulk load's storing; ZSTD: 12-14% larger, 20-25% less CPU (docs/ingest.md).
    compression=(("event_id", "zstd"),),
)

SPEND = Table(
    name="spend",
    schema=pa.schema(
        [
            ("spend_id", pa.string()),
            ("date", pa.date32()),
            ("channel", pa.string()),
            ("campaign", pa.string()),
            ("amount", MONEY),
            ("currency", pa.string()),
        ]
    ),
    required=("spend_id", "date", "channel", "amount", "currency"),
    key="spend_id",
)

ALIASES = Table(
    name="aliases",
    schema=pa.schema([("alias", pa.string()), ("customer_id", pa.string())]),
    required=("alias", "customer_id"),
    key="alias",
)

DEALS = Table(
    name="deals",
    schema=pa.schema(
        [
            ("change_id", pa.string()),
            ("deal_id", pa.string()),
            ("pipeline", pa.string()),
            ("stage", pa.string()),
            ("changed_at", pa.timestamp("us")),
            ("manager", pa.string()),
            ("amount", MONEY),
            ("currency", pa.string()),
            ("status", pa.string()),
        ]
    ),
    required=("change_id", "deal_id", "stage", "changed_at"),
    key="change_id",
)

TABLES: dict[str, Table] = {t.name: t for t in (EVENTS, SPEND, ALIASES, DEALS)}
"""The tables a store holds."""

RATES = Table(
    name="rates",
    schema=pa.schema([("row_id", pa.string()), ("date", pa.date32()), ("currency", pa.string()),
                      ("rate", pa.float64())]),
    required=("row_id", "date", "currency", "rate"),
    key="row_id",
)

PLAN = Table(
    name="plan",
    schema=pa.schema(
        [
            ("row_id", pa.string()),
            ("month", pa.date32()),
            ("channel", pa.string()),
            ("spend", MONEY),
            ("leads", pa.int64()),
            ("sales", pa.int64()),
            ("currency", pa.string()),
        ]
    ),
    required=("row_id", "month", "channel"),
    key="row_id",
)

FILES: dict[str, Table] = {t.name: t for t in (RATES, PLAN)}
"""Tables read from files for one analysis and never stored."""
