"""SQL building blocks shared by every analysis: literals, rule predicates, resolved events.

Pure functions from definitions to SQL text (DuckDB dialect). Engines other than DuckDB
receive the same text transpiled; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from voronka.errors import DefinitionError
from voronka.rules import Condition, StepRule, _as_text

EVENT_FIELDS = (
    "event_id", "customer_id", "ts", "event", "channel", "campaign", "revenue", "currency",
    "referrer_id", "properties",
)


def literal(value: object) -> str:
    """A SQL literal (the one quoting of values, docs/architecture.md): text quoted with ``'``
    doubled (a backslash is an ordinary character), numbers as they are, None as NULL; a
    ``DefinitionError`` for text holding a NUL character, which no engine keeps intact."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    return "'" + _no_nul(str(value)).replace("'", "''") + "'"


def literals(values: Iterable[object]) -> str:
    """Literals separated by commas, for ``IN (...)`` and lists."""
    return ", ".join(literal(v) for v in values)


def identifier(name: str) -> str:
    """A quoted SQL identifier (the one quoting of names): ``"`` doubled; NUL refused."""
    return '"' + _no_nul(name).replace('"', '""') + '"'


def _no_nul(text: str) -> str:
    if "\x00" in text:
        shown = text.replace("\x00", "\\0")
        raise DefinitionError(f"{shown!r}: text with a NUL character (\\0) cannot be used in a query")
    return text


def field_sql(field: str, table: str | None = None) -> str:
    """The text value of a column or a property (``properties.NAME`` or ``NAME``)."""
    from voronka.rules import EVENT_COLUMNS

    prefix = f"{table}." if table else ""
    if field in EVENT_COLUMNS:
        return f"CAST({prefix}{field} AS VARCHAR)" if field == "revenue" else f"{prefix}{field}"
    name = field.removeprefix("properties.").replace('"', '\\"')
    return f"json_extract_string({prefix}properties, {literal('$.' + chr(34) + name + chr(34))})"


def condition_sql(c: Condition) -> str:
    if c.op in ("is_null", "not_null"):
        return f"({field_sql(c.field)} IS {'NULL' if c.op == 'is_null' else 'NOT NULL'})"
    numeric = c.op in ("gt", "gte", "lt", "lte") or (c.field == "revenue" and c.op in ("eq", "ne"))
    if numeric:
        column = "CAST(revenue AS DOUBLE)" if c.field == "revenue" else f"TRY_CAST({field_sql(c.field)} AS DOUBLE)"
        sign = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "ne": "<>"}[c.op]
        return f"COALESCE({column} {sign} {float(c.value)!r}, FALSE)"  # type: ignore[arg-type]
    text = field_sql(c.field)
    if c.op in ("in", "not_in"):
        values = ", ".join(literal(_as_text(v)) for v in c.value)  # type: ignore[union-attr]
        return f"COALESCE({text} {'IN' if c.op == 'in' else 'NOT IN'} ({values}), FALSE)"
    if c.op == "contains":
        return f"COALESCE(contains({text}, {literal(_as_text(c.value))}), FALSE)"
    if c.op == "icontains":
        return f"COALESCE(contains(lower({text}), lower({literal(_as_text(c.value))})), FALSE)"
    if c.op == "regex":
        return f"COALESCE(regexp_matches({text}, {literal(_as_text(c.value))}), FALSE)"
    sign = "=" if c.op == "eq" else "<>"
    return f"COALESCE({text} {sign} {literal(_as_text(c.value))}, FALSE)"


def rule_predicate(rule: StepRule) -> str:
    """SQL true for events passing the rule's ``events`` and ``where`` (not its ordinals)."""
    parts = []
    if rule.events:
        parts.append(f"event IN ({', '.join(literal(e) for e in rule.events)})")
    parts.extend(condition_sql(c) for c in rule.where)
    return " AND ".join(parts) if parts else "TRUE"


def local_time_sql(column: str, timezone: str) -> str:
    """A UTC naive timestamp ``column`` as wall-clock time in ``timezone`` (naive)."""
    return f"CAST(timezone({literal(timezone)}, CAST({column} AS TIMESTAMP) AT TIME ZONE 'UTC') AS TIMESTAMP)"


RESOLVED = "<resolved>"
"""The alias table of an events relation whose ids are resolved already (``voronka.source``):
``resolved_events`` reads it as it is."""


def resolved_events(events: str, aliases: str | None, where: str | None = None) -> str:
    """A query over ``events`` with every id read through the alias map.

    The alias map is the ``aliases`` table plus every ``identify`` event (its ``alias``
    property names another id of the same customer). An alias claimed by several
    customers maps to the smallest id. One level: an alias of an alias is not followed.
    ``where``, a condition over the stored columns (``e.event``, ...), keeps only the
    events that pass it, before the alias joins (the map still reads every event).
    With ``aliases`` = ``RESOLVED`` the ids are read as they are.
    """
    if aliases == RESOLVED:
        return f"SELECT {', '.join('e.' + c + ' AS ' + c for c in EVENT_FIELDS)} FROM {events} AS e" + (
            f"\n    WHERE {where}" if where else "")
    identify = (
        f"SELECT json_extract_string(properties, '$.alias') AS alias, customer_id FROM {events} "
        "WHERE event = 'identify' AND json_extract_string(properties, '$.alias') IS NOT NULL"
    )
    sources = f"SELECT alias, customer_id FROM {aliases} UNION ALL {identify}" if aliases else identify
    return f"""
    SELECT e.event_id AS event_id, COALESCE(a.customer_id, e.customer_id) AS customer_id, e.ts AS ts,
           e.event AS event, e.channel AS channel, e.campaign AS campaign, e.revenue AS revenue,
           e.currency AS currency, COALESCE(r.customer_id, e.referrer_id) AS referrer_id,
           e.properties AS properties
    FROM {events} AS e
    LEFT JOIN (SELECT alias, min(customer_id) AS customer_id FROM ({sources}) AS s
               WHERE alias <> customer_id GROUP BY alias) AS a ON a.alias = e.customer_id
    LEFT JOIN (SELECT alias, min(customer_id) AS customer_id FROM ({sources}) AS s
               WHERE alias <> customer_id GROUP BY alias) AS r ON r.alias = e.referrer_id""" + (
        f"\n    WHERE {where}" if where else "")


# -- events that already live in the engine -------------------------------------------

POSTHOG = {
    "uuid": "event_id", "distinct_id": "customer_id", "timestamp": "ts", "event": "event",
    "properties.$utm_source": "channel", "properties.$utm_campaign": "campaign", "properties": "properties",
}
"""PostHog's ``events`` table (ClickHouse) read as voronka's events: source → canonical."""

MAPPINGS = {"posthog": POSTHOG}

_CANONICAL_TYPES = {"event_id": "VARCHAR", "customer_id": "VARCHAR", "ts": "TIMESTAMP", "event": "VARCHAR",
                    "channel": "VARCHAR", "campaign": "VARCHAR", "revenue": "DECIMAL(18,4)",
                    "currency": "VARCHAR", "referrer_id": "VARCHAR", "properties": "VARCHAR"}


def mapped_events_sql(table: str, mapping: dict[str, str]) -> str:
    """A subquery giving the canonical ``events`` columns from an existing ``table``.

    ``mapping`` is source → canonical column, e.g. PostHog's ``{"distinct_id":
    "customer_id", "timestamp": "ts", "uuid": "event_id", ...}``; a source may be a
    column or ``properties.KEY`` (a key of the table's JSON ``properties``). Canonical
    columns not mapped are NULL (``properties``: ``'{}'``). Every value is cast to the
    canonical type, so the analyses read it exactly as an ingested table::

        mapped_events_sql("events", {"distinct_id": "customer_id", "timestamp": "ts"})
        -> (SELECT CAST(NULL AS VARCHAR) AS event_id, CAST(distinct_id AS VARCHAR) AS customer_id, ...)
    """
    by_target = {target: source for source, target in mapping.items()}
    unknown = set(by_target) - set(EVENT_FIELDS)
    if unknown:
        from voronka.errors import DefinitionError

        raise DefinitionError(f"not an events column: {', '.join(sorted(unknown))} "
                              f"(columns: {', '.join(EVENT_FIELDS)})", field="mapping")
    cols = []
    for name in EVENT_FIELDS:
        source = by_target.get(name)
        if source is None:
            value = "'{}'" if name == "properties" else "NULL"
        elif source.startswith("properties."):
            key = source.removeprefix("properties.").replace('"', '\\"')
            value = f"json_extract_string(properties, {literal('$.' + chr(34) + key + chr(34))})"
        else:
            value = identifier(source)
        cols.append(f"CAST({value} AS {_CANONICAL_TYPES[name]}) AS {name}")
    return f"(SELECT {', '.join(cols)} FROM {table})"


def parse_mapping(text: str) -> dict[str, str]:
    """``posthog`` or ``src=dst,src=dst`` (source column = canonical column) → a mapping."""
    if text.strip().lower() in MAPPINGS:
        return dict(MAPPINGS[text.strip().lower()])
    pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        from voronka.errors import DefinitionError

        raise DefinitionError(f"--map {text!r}: give posthog or SOURCE=COLUMN pairs, e.g. distinct_id=customer_id",
                              field="mapping")
    return {s.strip(): d.strip() for s, d in pairs}
