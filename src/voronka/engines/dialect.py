"""From voronka's one SQL text (DuckDB dialect) to ClickHouse and Spark SQL, with sqlglot.

    to_dialect(sql, "clickhouse") -> str

Every analysis builds its SQL once, in DuckDB's dialect (``voronka.sql``,
``voronka.funnel.sql``). A distributed engine receives that text parsed by sqlglot into an
expression tree and generated again in its own dialect. sqlglot's dialects already carry
most differences as data (function names, types, NULL ordering); what voronka needs on
top of them is the small table below, one entry per construct, each stating the meaning
that must survive:

======================  ===============================  ===================================
DuckDB (source)         ClickHouse                       Spark
======================  ===============================  ===================================
``epoch_us(ts)``        ``toUnixTimestamp64Micro(ts)``   ``unix_micros(ts)``
``TIMESTAMP`` (µs)      ``DateTime64(6)`` (not           ``TIMESTAMP_NTZ`` (sqlglot)
                        ``DateTime``: keeps µs)
``median(x)`` exact,    ``quantileExactInclusive(0.5)``  ``median`` (exact, interpolating)
mean of the middle two  (plain ``median`` is approximate)
``bool_or(b)``          ``max(b)``                       ``bool_or`` (sqlglot)
``json_extract_string`` text of the value, NULL when     ``get_json_object`` (sqlglot)
(NULL when missing)     missing or JSON null (plain
                        ``JSONExtractString`` gives '')
``TRY_CAST(x AS         ``accurateCastOrNull(x,          ``TRY_CAST`` (sqlglot)
DOUBLE)``               'Float64')``
``lower(x)`` Unicode    ``lowerUTF8(x)`` (plain          ``lower`` (Unicode)
                        ``lower`` is ASCII-only)
``regexp_matches(x,     ``match(x, p)`` (RE2)            ``x RLIKE p`` (Java; the patterns
p)``: found anywhere,                                    are in the common subset,
RE2                                                      ``rules.check_pattern``)
``timezone(z, t AT      ``toTimeZone(t, z)`` (the        ``convert_timezone('UTC', z, t)``
TIME ZONE 'UTC')``      value keeps its instant; later
                        ``dateTrunc``/``CAST AS Date``
                        work in ``z``)
======================  ===============================  ===================================

The source side is read by ``SOURCE`` (DuckDB with the functions above parsed into typed
sqlglot nodes); the targets are DuckDB's sqlglot neighbours with these generator
overrides. Engines also need session settings (UTC session time zone, ClickHouse's
``join_use_nulls``): those live with each engine.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark


def _timezone(args: list[exp.Expression]) -> exp.Expression:
    """DuckDB ``timezone(zone, t AT TIME ZONE 'UTC')``: the UTC wall time ``t`` in ``zone``."""
    zone, value = args
    if isinstance(value, exp.AtTimeZone) and value.args["zone"].name.upper() == "UTC":
        return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"), target_tz=zone, timestamp=value.this)
    return exp.Anonymous(this="timezone", expressions=args)


class Source(DuckDB):
    """The dialect voronka writes: DuckDB, with a few functions read as typed nodes."""

    class Parser(DuckDB.Parser):
        FUNCTIONS = {
            **DuckDB.Parser.FUNCTIONS,
            "EPOCH_US": lambda args: exp.UnixMicros(this=args[0]),
            "TIMEZONE": _timezone,
        }


def _ch_json_text(self: ClickHouse.Generator, e: exp.JSONExtractScalar) -> str:
    doc = self.sql(e, "this")
    path = e.expression
    keys = [self.sql(exp.Literal.string(p.this)) for p in getattr(path, "expressions", [])
            if isinstance(p, exp.JSONPathKey)]
    where = ", ".join([doc, *keys])
    return (
        f"multiIf(JSONType({where}) = 'String', JSONExtractString({where}), "
        f"JSONType({where}) = 'Null', NULL, JSONExtractRaw({where}))"
    )


def _ch_timezone(self: ClickHouse.Generator, e: exp.ConvertTimezone) -> str:
    return f"toTimeZone({self.sql(e, 'timestamp')}, {self.sql(e, 'target_tz')})"


def _ch_try_cast(self: ClickHouse.Generator, e: exp.TryCast) -> str:
    target = e.to.copy()
    target.set("nullable", False)
    return f"accurateCastOrNull({self.sql(e, 'this')}, '{self.sql(target)}')"


class ClickHouseTarget(ClickHouse):
    class Generator(ClickHouse.Generator):
        TYPE_MAPPING = {
            **ClickHouse.Generator.TYPE_MAPPING,
            exp.DataType.Type.TIMESTAMP: "DateTime64(6)",
            exp.DataType.Type.TIMESTAMPNTZ: "DateTime64(6)",
        }
        TRANSFORMS = {
            **ClickHouse.Generator.TRANSFORMS,
            exp.UnixMicros: lambda self, e: f"toUnixTimestamp64Micro({self.sql(e, 'this')})",
            exp.Median: lambda self, e: f"quantileExactInclusive(0.5)({self.sql(e, 'this')})",
            exp.LogicalOr: lambda self, e: f"max({self.sql(e, 'this')})",
            exp.JSONExtractScalar: _ch_json_text,
            exp.ConvertTimezone: _ch_timezone,
            exp.TryCast: _ch_try_cast,
            exp.Lower: lambda self, e: f"lowerUTF8({self.sql(e, 'this')})",
        }


class SparkTarget(Spark):
    class Generator(Spark.Generator):
        TRANSFORMS = {
            **Spark.Generator.TRANSFORMS,
            exp.UnixMicros: lambda self, e: f"unix_micros({self.sql(e, 'this')})",
            exp.ConvertTimezone: lambda self, e: (
                f"convert_timezone({self.sql(e, 'source_tz')}, {self.sql(e, 'target_tz')}, "
                f"{self.sql(e, 'timestamp')})"
            ),
        }


TARGETS = {"duckdb": None, "clickhouse": ClickHouseTarget, "spark": SparkTarget}


@lru_cache(maxsize=512)
def to_dialect(sql: str, dialect: str) -> str:
    """``sql`` (voronka's DuckDB SQL) as ``dialect`` SQL; DuckDB text is returned as is."""
    target = TARGETS[dialect]
    if target is None:
        return sql
    return ";\n".join(
        e.sql(dialect=target, unsupported_level=sqlglot.ErrorLevel.RAISE)
        for e in sqlglot.parse(sql, dialect=Source)
        if e is not None
    )


__all__ = ["TARGETS", "to_dialect"]
