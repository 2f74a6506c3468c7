"""Where the events are, as one value: ``Source``.

A ``Source`` is an engine plus everything that says which events an analysis reads and
what it counts (docs/source.md):

* ``events``: a table of the engine, or a subquery with the canonical columns (a mapped
  table, ``voronka.sql.mapped_events_sql``);
* ``aliases``: the alias table of the identity merge (``voronka.sql.resolved_events``);
* ``timezone`` of calendar days, ``as_of`` ("now", default: the latest event);
* ``since``/``until``: local calendar days in ``timezone`` (both included);
* ``where``: conditions every event must pass (``voronka.rules.Condition``, the grammar of
  YAML rules; ``parse_where`` reads ``key=value`` …);
* ``unit``: what the analyses count as "a customer" (``Unit``).

Every analysis reads ``Source.tables()``: the events relation and its alias table. With no
filter and the customer unit that is ``events``/``aliases`` as they are (the analyses read
them through the alias map as always); otherwise one subquery — events read through the
alias map, kept by ``since``/``until`` and ``where``, with the unit in ``customer_id`` —
already resolved (``voronka.sql.RESOLVED``). The analyses' SQL is the same either way.

A ``Source`` answers the ``Engine`` interface (``query``, ``materialize``, ``has_table``) by
delegating to its engine, so every analysis takes a ``Source`` where it takes an engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Sequence
from typing import Literal

import pyarrow as pa
from pydantic import ValidationError

from voronka.engines import ArrowStreams, Engine
from voronka.errors import DefinitionError
from voronka.rules import Condition
from voronka.sql import (
    EVENT_FIELDS,
    RESOLVED,
    condition_sql,
    field_sql,
    literal,
    local_time_sql,
    resolved_events,
)


@dataclasses.dataclass(frozen=True)
class Unit:
    """What an analysis counts: ``customer`` (the merged customer id, the default), the value
    of a column or property (``field``: every event with that value is one unit's; events
    without it are left out), or ``session``: a customer's events cut where more than ``gap``
    passes between two consecutive events."""

    kind: Literal["customer", "field", "session"] = "customer"
    field: str | None = None
    gap: dt.timedelta = dt.timedelta(minutes=30)


CUSTOMER = Unit()


@dataclasses.dataclass(frozen=True)
class Source:
    """Where the events are and which of them count (module docstring)."""

    engine: Engine
    events: str = "events"
    aliases: str | None = "aliases"
    timezone: str = "UTC"
    as_of: dt.datetime | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    where: tuple[Condition, ...] = ()
    unit: Unit = CUSTOMER

    @classmethod
    def from_options(cls, engine: Engine, *, events: str = "events", timezone: str | None = None,
                     as_of: dt.datetime | str | None = None, since: dt.date | str | None = None,
                     until: dt.date | str | None = None, where: Sequence[str] = (), unit: str | None = None,
                     session_gap: str | None = None) -> Source:
        """A source from options as a person writes them (command line, query string): the
        filters, unit, days and zone parsed, errors naming the option and its text."""
        if timezone is not None:
            from voronka.ingest.pipeline import check_tz

            check_tz(timezone)
        since, until = _day(since, "--since"), _day(until, "--until")
        if since and until and since > until:
            raise DefinitionError(f"--since {since} is after --until {until}", field="since")
        if isinstance(as_of, str):
            try:
                as_of = dt.datetime.fromisoformat(as_of)
            except ValueError:
                raise DefinitionError(f"--as-of {as_of!r}: write a time, e.g. 2026-03-01T12:00", field="as_of") from None
        if as_of is not None and as_of.tzinfo is not None:  # naive UTC, as the store holds times
            as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return cls(engine, events=events, timezone=timezone or "UTC", as_of=as_of, since=since, until=until,
                   where=tuple(parse_where(w) for w in where), unit=parse_unit(unit, session_gap))

    # -- the Engine interface, delegated --------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.engine.dialect

    def query(self, sql: str) -> pa.Table:
        return self.engine.query(sql)

    def materialize(self, name: str, sql: str) -> None:
        self.engine.materialize(name, sql)

    def has_table(self, name: str) -> bool:
        return self.engine.has_table(name)

    @property
    def streams(self) -> ArrowStreams | None:
        """The engine's Arrow stream capability (``engines.ArrowStreams``), if it has it."""
        return self.engine if isinstance(self.engine, ArrowStreams) else None

    # -- the events -----------------------------------------------------------------------
    @property
    def plain(self) -> bool:
        """No filter and the customer unit: the events are read as they are stored."""
        return not self.where and self.since is None and self.until is None and self.unit == CUSTOMER

    @functools.cached_property
    def _alias_table(self) -> str | None:
        return self.aliases if self.aliases is not None and self.engine.has_table(self.aliases) else None

    def tables(self) -> tuple[str, str | None]:
        """The events relation every analysis reads and the alias table to read it through
        (None: no alias table; ``RESOLVED``: the relation is resolved already)."""
        if self.plain:
            return self.events, self._alias_table
        return f"({self.events_sql()})", RESOLVED

    def events_sql(self) -> str:
        """The events through the alias map, kept by date range and ``where``, with the unit
        in ``customer_id`` (canonical columns)."""
        kept = self.kept()
        if self.unit.kind == "field":
            kept.append(f"{field_sql(self.unit.field)} IS NOT NULL")  # type: ignore[arg-type]
        filtered = f"SELECT * FROM ({resolved_events(self.events, self._alias_table)}) AS e" + (
            " WHERE " + " AND ".join(f"({k})" for k in kept) if kept else "")
        others = ", ".join(c for c in EVENT_FIELDS if c != "customer_id")
        if self.unit.kind == "field":
            return f"SELECT {field_sql(self.unit.field)} AS customer_id, {others} FROM ({filtered}) AS e"  # type: ignore[arg-type]
        if self.unit.kind == "session":
            return session_sql(filtered, self.unit.gap)
        return filtered

    def kept(self, ts: str = "ts") -> list[str]:
        """The SQL conditions an event must pass: ``where``, then the date range on the local
        time of ``ts`` (an expression giving the event's UTC timestamp)."""
        kept = [condition_sql(c) for c in self.where]
        local = local_time_sql(ts, self.timezone)
        if self.since is not None:
            kept.append(f"{local} >= {literal(dt.datetime.combine(self.since, dt.time()))}")
        if self.until is not None and self.until < dt.date.max:  # the last day: every time is on or before it
            kept.append(f"{local} < {literal(dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time()))}")
        return kept

    def latest_event(self) -> dt.datetime:
        """``as_of`` if given, else the latest event's timestamp (1970-01-01 for none)."""
        if self.as_of is not None:
            return self.as_of
        value = self.query(f"SELECT max(ts) AS m FROM {self.tables()[0]} AS e").column("m")[0].as_py()
        return value or dt.datetime(1970, 1, 1)


def _day(value: dt.date | str | None, option: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DefinitionError(f"{option} {value!r}: write a day, e.g. 2026-03-01", field=option.strip("-")) from None


def session_sql(events: str, gap: dt.timedelta) -> str:
    """``events`` with ``customer_id`` replaced by the session: ``<customer>#<n>``, where a
    customer's n-th session starts at their first event and at every event more than
    ``gap`` after the one before (in time order, equal times ordered by ``event_id``)."""
    window = "PARTITION BY customer_id ORDER BY ts, event_id"
    gap_us = int(gap / dt.timedelta(microseconds=1))
    others = ", ".join(c for c in EVENT_FIELDS if c != "customer_id")
    starts = (f"SELECT *, CASE WHEN epoch_us(ts) - epoch_us(max(ts) OVER ({window} ROWS BETWEEN 1 PRECEDING "
              f"AND 1 PRECEDING)) <= {gap_us} THEN 0 ELSE 1 END AS session_start FROM ({events}) AS e")
    numbered = (f"SELECT *, sum(session_start) OVER ({window} ROWS UNBOUNDED PRECEDING) AS session_n "
                f"FROM ({starts}) AS s")
    return (f"SELECT customer_id || '#' || CAST(session_n AS VARCHAR) AS customer_id, {others} "
            f"FROM ({numbered}) AS n")


def as_source(engine: Engine | Source, events: str | None = None, aliases: str | None = "aliases") -> Source:
    """``engine`` as a ``Source``: itself if it is one (``events``/``aliases``, when given, replace
    its own), else the engine's ``events`` (default ``events``) read through ``aliases``."""
    if isinstance(engine, Source):
        changes = {"events": events} if events is not None else {}
        if aliases != "aliases":
            changes["aliases"] = aliases  # type: ignore[assignment]
        return dataclasses.replace(engine, **changes) if changes else engine  # type: ignore[arg-type]
    return Source(engine, events or "events", aliases)


def event_sources(engine: Engine | Source, events: str | None, aliases: str | None) -> tuple[str, str | None]:
    """The events relation and its alias table (``Source.tables``): every analysis starts here."""
    return as_source(engine, events, aliases).tables()


def events_source(engine: Engine | Source, events: str | None = None) -> str:
    """The events relation alone (``event_sources``)."""
    return as_source(engine, events).tables()[0]


def latest_event(engine: Engine | Source, events: str | None = None) -> dt.datetime:
    """The default ``as_of``: the source's ``as_of``, else the latest event timestamp of
    ``events`` (a relation from ``event_sources``; default: the source's own)."""
    source = as_source(engine)
    if source.as_of is not None:
        return source.as_of
    if events is None:
        return source.latest_event()
    value = source.query(f"SELECT max(ts) AS m FROM {events} AS e").column("m")[0].as_py()
    return value or dt.datetime(1970, 1, 1)


# -- the grammar of --where, --unit ------------------------------------------------------

_NULL = re.compile(r"^\s*(?P<key>[^\s=!<>]+)\s+is\s+(?P<not>not\s+)?null\s*$", re.IGNORECASE)
_IN = re.compile(r"^\s*(?P<key>[^\s=!<>]+)\s+(?P<not>not\s+)?in\s+(?P<values>.+?)\s*$", re.IGNORECASE)
_CMP = re.compile(r"^\s*(?P<key>[^\s=!<>]+)\s*(?P<sign>!=|>=|<=|=|>|<)\s*(?P<value>.*?)\s*$")
_SIGNS = {"=": "eq", "!=": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
WHERE_GRAMMAR = ("key=value, key!=value, key in a|b, key not in a|b, key>n, key>=n, key<n, key<=n, "
                 "key is null, key is not null")


def parse_where(text: str, option: str = "--where") -> Condition:
    """One filter as written on a command line or in a query string → a ``Condition``.

    ``key`` is an events column or a property (``platform=mobile`` reads the column if there
    is one, else ``properties.platform``). Errors name ``option`` and the text."""
    def fail(why: str) -> DefinitionError:
        return DefinitionError(f"{option} {text!r}: {why} (write {WHERE_GRAMMAR})", field="where")

    if m := _NULL.match(text):
        spec: dict = {"field": m["key"], "op": "not_null" if m["not"] else "is_null"}
    elif m := _IN.match(text):
        values = [v.strip() for v in m["values"].split("|") if v.strip()]
        if not values:
            raise fail("no values after 'in'")
        spec = {"field": m["key"], "op": "not_in" if m["not"] else "in", "value": values}
    elif m := _CMP.match(text):
        op, value = _SIGNS[m["sign"]], m["value"]
        if value == "":
            raise fail("no value")
        if op in ("gt", "gte", "lt", "lte") or m["key"] == "revenue":
            try:
                value = float(value)
            except ValueError:
                raise fail(f"{value!r} is not a number") from None
        spec = {"field": m["key"], "op": op, "value": value}
    else:
        raise fail("not a filter")
    try:
        return Condition.model_validate(spec)
    except ValidationError as exc:
        raise fail(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def parse_unit(text: str | None, gap: str | dt.timedelta | None = None) -> Unit:
    """``customer`` (default) | ``session`` (with ``gap``, default 30m) | a column or property."""
    from voronka.duration import parse_duration

    name = (text or "customer").strip()
    if gap is not None and name != "session":
        raise DefinitionError(f"--session-gap needs --unit session (not {name!r})", field="unit")
    if not name or re.search(r"[\s=<>!|]", name):
        raise DefinitionError(f"--unit {text!r}: give customer, session, or a column or property name", field="unit")
    if name == "customer" or name == "customer_id":
        return CUSTOMER
    if name == "session":
        if gap is None:
            return Unit("session")
        try:
            span = gap if isinstance(gap, dt.timedelta) else parse_duration(gap)
        except (ValueError, DefinitionError):
            raise DefinitionError(f"--session-gap {gap!r}: write a duration, e.g. 30m", field="session_gap") from None
        if span <= dt.timedelta(0):
            raise DefinitionError(f"--session-gap {gap!r}: must be longer than zero", field="session_gap")
        return Unit("session", gap=span)
    return Unit("field", field=name)


__all__ = ["CUSTOMER", "Source", "Unit", "as_source", "event_sources", "latest_event", "parse_unit", "parse_where"]
