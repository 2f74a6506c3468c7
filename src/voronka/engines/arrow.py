"""One shape for results, whatever engine produced them.

Engines return Arrow, but each with its own habits: ClickHouse returns unsigned counts,
non-null markers and time-zone-tagged timestamps (``timestamp[us, tz=UTC]``); Spark tags
``TIMESTAMP`` values with the session zone. voronka's tables hold naive UTC timestamps
(docs/data-model.md) and signed integers, so every engine passes its result through
``normalise`` before returning it.
"""

from __future__ import annotations

import pyarrow as pa


def _type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(t):
        return pa.timestamp("us")
    if pa.types.is_unsigned_integer(t) or (pa.types.is_integer(t) and t.bit_width < 64):
        return pa.int64()
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_dictionary(t):
        return _type(t.value_type)
    return t


def normalise(table: pa.Table) -> pa.Table:
    """``table`` with naive UTC ``timestamp[us]``, ``int64`` integers, plain strings, nullable."""
    fields = [pa.field(f.name, _type(f.type), nullable=True) for f in table.schema]
    columns = []
    for column, field in zip(table.columns, fields):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = column.cast(pa.timestamp(column.type.unit, tz="UTC")).cast(pa.timestamp(column.type.unit))
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


__all__ = ["normalise"]
