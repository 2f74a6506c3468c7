"""What a result column is, carried in its Arrow field metadata (docs/architecture.md,
"Result tables carry their columns' kinds").

An analysis declares its result schema with ``column(name, type, kind, label)``:

    key              value
    voronka.kind     count | rate | money | duration | number | label
    voronka.label    the message key of the column's header (``voronka.messages``)
    voronka.currency the ISO 4217 currency of a ``money`` column, when one currency
    voronka.values   the message-key prefix of a ``label`` column's values (``<prefix>.<value>``)

``count``: a number of units, events or rows (may be fractional, e.g. expected customers);
``rate``: a share 0–1; ``money``: an amount; ``duration``: seconds; ``number``: any other
quantity (a ratio that is not a share, a model's estimate, a K-factor); ``label``: a name or
a number that is read as a name (a step's number). The core states only these facts; words
and number formats are made at the edge (``voronka.reports.tables.described_columns``, for
the HTML report and the CLI's tables). The metadata survives ``select``/``drop_columns``;
machine output (JSON, CSV) ignores it.
"""

from __future__ import annotations

from typing import Literal, get_args

import pyarrow as pa

Kind = Literal["count", "rate", "money", "duration", "number", "label"]
KINDS: tuple[str, ...] = get_args(Kind)
KIND, LABEL, CURRENCY, VALUES = b"voronka.kind", b"voronka.label", b"voronka.currency", b"voronka.values"


def column(name: str, type: pa.DataType, kind: Kind, label: str | None = None, *,
           values: str | None = None) -> pa.Field:
    """A result column: ``name``, Arrow ``type``, its ``kind`` and header message key ``label``;
    ``values``: the message-key prefix its values are read with (a ``label`` column of codes)."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    meta = {KIND: kind.encode()}
    if label is not None:
        meta[LABEL] = label.encode()
    if values is not None:
        meta[VALUES] = values.encode()
    return pa.field(name, type, metadata=meta)


def header(name: str, type: pa.DataType, label: str) -> pa.Field:
    """A column with a header message key and no kind (a date, a time, an identifier: the edge
    formats it by its Arrow type)."""
    return pa.field(name, type, metadata={LABEL: label.encode()})


def kind_of(field: pa.Field) -> str | None:
    """The field's ``voronka.kind`` (None: not declared)."""
    value = (field.metadata or {}).get(KIND)
    return value.decode() if value is not None else None


def label_of(field: pa.Field) -> str | None:
    """The message key of the field's header (None: not declared)."""
    value = (field.metadata or {}).get(LABEL)
    return value.decode() if value is not None else None


def values_of(field: pa.Field) -> str | None:
    """The message-key prefix of the field's values (None: shown as they are)."""
    value = (field.metadata or {}).get(VALUES)
    return value.decode() if value is not None else None


def currency_of(field: pa.Field) -> str | None:
    """The currency of a ``money`` field (None: not declared)."""
    value = (field.metadata or {}).get(CURRENCY)
    return value.decode() if value is not None else None


def with_currency(table: pa.Table, name: str, currency: str | None) -> pa.Table:
    """``table`` with ``currency`` declared on its money column ``name`` (unchanged for None)."""
    if currency is None:
        return table
    i = table.schema.get_field_index(name)
    field = table.schema.field(i)
    return table.set_column(i, field.with_metadata({**(field.metadata or {}), CURRENCY: currency.encode()}),
                            table.column(i))


def in_currency(table: pa.Table, currency: str | None) -> pa.Table:
    """``table`` with ``currency`` declared on every ``money`` column (unchanged for None)."""
    for f in table.schema:
        if kind_of(f) == "money":
            table = with_currency(table, f.name, currency)
    return table


def declared(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the metadata of ``schema``'s fields on its columns of the same name, its
    types unchanged (for a table whose types come from its rows)."""
    fields = [f.with_metadata(schema.field(f.name).metadata) if f.name in schema.names else f for f in table.schema]
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=table.schema.metadata))
