"""The profile of an events table: what is in it, and what looks wrong. Definitions:
``docs/explore.md``, *Profile*.

* **Vocabulary**: per event, ``events``, ``customers`` (distinct ids as stored), ``first``
  and ``last`` seen, ``share`` of all events, ``per_day`` = events / days of the data
  (first to last day, UTC). An event is **new** when first seen in the last ``new_days``
  days of a span at least three times as long; **rare** when its share is below ``rare``;
  **spiked** on a day when that day's count is at least ``spike`` times the median daily
  count of the event over the days of the data (zeros included) and at least 10.
* **Properties**: per column (``channel``, ``campaign``, ``revenue``, ``referrer_id``) and
  property key (read from a sample of events), ``coverage`` = share of events with a value,
  distinct values, the three most common values.
* **Time coverage**: events per day; **gaps** are days without any event between the first
  and the last day.
* **Identity**: distinct ids as stored and after the alias map (``aliases`` and
  ``identify``), and the share of events whose id is an alias of another.
* **Out of order**: where the engine keeps the ingest sequence (DuckDB's ``rowid``: the
  file order, file after file), an event whose timestamp is earlier than that of an event
  of the same customer ingested before it; ``gap`` = how far back. Elsewhere: not known.
  **Simultaneous**: events sharing customer and timestamp with another. **Future**: events
  after ``now`` (the wall clock, UTC).
* **Repeats**: rows dropped as repeats at ingest, as the ingest reported them (the
  ``duplicates`` of its summary; not recorded in a store).
* **Sessions**: a customer's events cut where more than ``session_gap`` passes without an
  event; count, median events (depth) and median duration.
"""

from __future__ import annotations

from typing import Literal

from voronka.definition import Definition
from voronka.source import Source

import datetime as dt
import json
import statistics
from dataclasses import dataclass, field

import pyarrow as pa

from voronka.columns import column, declared, header
from voronka.duration import parse_duration
from voronka.engines import Engine
from voronka.source import event_sources
from voronka.sql import field_sql, literal, resolved_events

PROPERTY_SAMPLE = 20_000


# The kinds and header keys of the profile's tables (voronka.columns), declared over the types of their rows.
VOCABULARY_SCHEMA = pa.schema([
    column("event", pa.string(), "label", "explore.col.event"),
    column("events", pa.int64(), "count", "explore.col.events"),
    column("customers", pa.int64(), "count", "explore.col.customers"),
    header("first", pa.timestamp("us"), "explore.col.first"), header("last", pa.timestamp("us"), "explore.col.last"),
    column("share", pa.float64(), "rate", "explore.col.share"),
    column("per_day", pa.float64(), "count", "explore.col.per_day"),
    header("new", pa.bool_(), "explore.col.new"), header("rare", pa.bool_(), "explore.col.rare"),
    header("spike_day", pa.date32(), "explore.col.spike_day"),
])
PROPERTIES_SCHEMA = pa.schema([
    column("field", pa.string(), "label", "explore.col.field"),
    column("coverage", pa.float64(), "rate", "explore.col.coverage"),
    column("values", pa.int64(), "count", "explore.col.values"),
    column("top", pa.string(), "label", "explore.col.top"),
])
DAYS_SCHEMA = pa.schema([header("day", pa.date32(), "explore.col.day"),
                         column("events", pa.int64(), "count", "explore.col.events")])


@dataclass(frozen=True)
class Profile:
    """The tables and counts of a profile (module docstring); ``findings`` are (key, params)
    pairs for ``voronka.messages.explore`` (``explore.profile.<key>``)."""

    vocabulary: pa.Table
    properties: pa.Table
    days: pa.Table
    gaps: list[tuple[dt.date, dt.date]]
    identity: dict[str, float]
    sessions: dict[str, float]
    out_of_order: dict[str, float] | None
    simultaneous: int
    future: int
    repeats: int | None
    findings: list[tuple[str, dict]] = field(default_factory=list)


def compute_profile(
    engine: Engine,
    *,
    repeats: int | None = None,
    new_days: int = 14,
    rare: float = 0.005,
    spike: float = 5.0,
    session_gap: str | dt.timedelta = "30m",
    now: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> Profile:
    """Profile the events (module docstring)."""
    events, aliases = event_sources(engine, events, aliases)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    gap_us = int((session_gap if isinstance(session_gap, dt.timedelta) else parse_duration(session_gap))
                 .total_seconds() * 1_000_000)
    daily = engine.query(f"SELECT event, CAST(ts AS DATE) AS d, count(*) AS n FROM {events} AS e "
                         f"GROUP BY event, CAST(ts AS DATE)").to_pylist()
    vocab = engine.query(f"SELECT event, count(*) AS events, count(DISTINCT customer_id) AS customers, "
                         f"min(ts) AS first, max(ts) AS last FROM {events} AS e GROUP BY event").to_pylist()
    total = sum(r["events"] for r in vocab)
    per_day: dict[dt.date, int] = {}
    by_event: dict[str, dict[dt.date, int]] = {}
    for r in daily:
        per_day[r["d"]] = per_day.get(r["d"], 0) + int(r["n"])
        by_event.setdefault(r["event"], {})[r["d"]] = int(r["n"])
    findings: list[tuple[str, dict]] = []
    if repeats:
        findings.append(("repeats", {"rows": repeats}))
    gaps: list[tuple[dt.date, dt.date]] = []
    days_rows = []
    if per_day:
        first_day, last_day = min(per_day), max(per_day)
        span = (last_day - first_day).days + 1
        all_days = [first_day + dt.timedelta(days=i) for i in range(span)]
        days_rows = [{"day": d, "events": per_day.get(d, 0)} for d in all_days]
        run: list[dt.date] = []
        for d in all_days + [None]:
            if d is not None and d not in per_day:
                run.append(d)
            elif run:
                gaps.append((run[0], run[-1]))
                run = []
        for r in sorted(vocab, key=lambda r: (-r["events"], r["event"])):
            r["share"] = r["events"] / total
            r["per_day"] = r["events"] / span
            r["new"] = span >= 3 * new_days and r["first"].date() > last_day - dt.timedelta(days=new_days)
            r["rare"] = r["share"] < rare
            counts = by_event.get(r["event"], {})
            median = statistics.median(counts.get(d, 0) for d in all_days)
            top_day = max(counts, key=lambda d: counts[d]) if counts else None
            r["spike_day"] = (top_day if top_day and counts[top_day] >= max(10.0, spike * median) and median > 0
                              else None)
            if r["new"]:
                findings.append(("new", {"event": r["event"], "first": r["first"], "count": r["events"]}))
            if r["rare"]:
                findings.append(("rare", {"event": r["event"], "count": r["events"], "customers": r["customers"]}))
            if r["spike_day"]:
                findings.append(("spike", {"event": r["event"], "day": r["spike_day"], "count": counts[top_day],
                                           "median": median}))
        if gaps:
            findings.append(("gaps", {"days": sum((b - a).days + 1 for a, b in gaps), "first": gaps[0][0],
                                      "last": gaps[-1][1]}))
    vocab.sort(key=lambda r: (-r["events"], r["event"]))

    props = _properties(engine, events, total)
    resolved = resolved_events(events, aliases)
    def one(sql: str) -> int:
        return int(engine.query(sql).to_pylist()[0]["n"] or 0)

    ident = {"stored": one(f"SELECT count(DISTINCT customer_id) AS n FROM {events} AS e"),
             "resolved": one(f"SELECT count(DISTINCT customer_id) AS n FROM ({resolved}) AS r"),
             "aliased": one(f"SELECT count(*) AS n FROM ({resolved}) AS r JOIN {events} AS e "
                            f"ON e.event_id = r.event_id WHERE e.customer_id <> r.customer_id")}
    identity = {"ids_stored": int(ident["stored"]), "customers": int(ident["resolved"]),
                "aliased_share": int(ident["aliased"]) / total if total else 0.0}
    sessions = _sessions(engine, resolved, gap_us)
    out_of_order = _out_of_order(engine, events)
    if out_of_order and out_of_order["rows"]:
        findings.append(("out_of_order", {"rows": out_of_order["rows"], "gap": out_of_order["median_gap_seconds"]}))
    together = engine.query(f"SELECT sum(n) AS n FROM (SELECT count(*) AS n FROM {events} AS e "
                            f"GROUP BY customer_id, ts HAVING count(*) > 1) AS s").to_pylist()[0]["n"]
    simultaneous = int(together or 0)
    if simultaneous:
        findings.append(("simultaneous", {"rows": simultaneous}))
    future = int(engine.query(f"SELECT count(*) AS n FROM {events} AS e WHERE ts > {literal(now)}")
                 .to_pylist()[0]["n"])
    if future:
        findings.append(("future", {"rows": future, "now": now}))
    return Profile(
        declared(pa.Table.from_pylist(vocab), VOCABULARY_SCHEMA), declared(pa.Table.from_pylist(props), PROPERTIES_SCHEMA),
        declared(pa.Table.from_pylist(days_rows), DAYS_SCHEMA), gaps, identity,
        sessions, out_of_order, simultaneous, future, repeats, findings)


def _properties(engine: Engine, events: str, total: int) -> list[dict]:
    """Coverage, distinct values and the top three values of each column and property key."""
    keys: set[str] = set()
    sample = engine.query(f"SELECT properties FROM {events} AS e WHERE properties IS NOT NULL "
                          f"AND properties <> '{{}}' LIMIT {PROPERTY_SAMPLE}")
    for text in set(sample.column("properties").to_pylist()):  # each distinct text parsed once
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            keys.update(k for k in value if '"' not in k and "\\" not in k)
    out = []
    for name in ["channel", "campaign", "revenue", "referrer_id", *(f"properties.{k}" for k in sorted(keys))]:
        column = field_sql(name)
        rows = engine.query(f"SELECT v, count(*) AS n FROM (SELECT {column} AS v FROM {events} AS e) AS s "
                            f"WHERE v IS NOT NULL GROUP BY v").to_pylist()
        covered = sum(int(r["n"]) for r in rows)
        top = sorted(rows, key=lambda r: (-r["n"], str(r["v"])))[:3]
        out.append({"field": name, "coverage": covered / total if total else 0.0, "values": len(rows),
                    "top": ", ".join(f"{r['v']} ({r['n']})" for r in top)})
    return out


def _sessions(engine: Engine, resolved: str, gap_us: int) -> dict[str, float]:
    rows = engine.query(
        f"WITH r AS ({resolved}), g AS (SELECT customer_id, ts, CASE WHEN lag(ts) OVER (PARTITION BY customer_id "
        f"ORDER BY ts, event_id) IS NULL OR epoch_us(ts) - epoch_us(lag(ts) OVER (PARTITION BY customer_id "
        f"ORDER BY ts, event_id)) > {gap_us} THEN 1 ELSE 0 END AS new, event_id FROM r), "
        f"s AS (SELECT customer_id, ts, sum(new) OVER (PARTITION BY customer_id ORDER BY ts, event_id "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS k FROM g) "
        f"SELECT depth, seconds, count(*) AS n FROM (SELECT customer_id, k, count(*) AS depth, "
        f"CAST((epoch_us(max(ts)) - epoch_us(min(ts))) / 1000000 AS BIGINT) AS seconds FROM s "
        f"GROUP BY customer_id, k) AS x GROUP BY depth, seconds").to_pylist()
    n = sum(int(r["n"]) for r in rows)
    if not n:
        return {"sessions": 0}

    def median(key: str) -> float:
        ordered = sorted((float(r[key]), int(r["n"])) for r in rows)
        seen = 0
        for value, count in ordered:
            seen += count
            if seen * 2 >= n:
                return value
        return ordered[-1][0]

    return {"sessions": n, "median_depth": median("depth"), "median_seconds": median("seconds")}


def _out_of_order(engine: Engine, events: str) -> dict[str, float] | None:
    """Out-of-order events by the ingest sequence (DuckDB ``rowid``), or None elsewhere."""
    if getattr(engine, "dialect", None) != "duckdb" or events != "events":
        return None
    rows = engine.query(
        "SELECT count(*) AS n, median(epoch_us(prev) - epoch_us(ts)) / 1000000 AS gap FROM ("
        "SELECT ts, max(ts) OVER (PARTITION BY customer_id ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND 1 PRECEDING) AS prev FROM events) AS s WHERE ts < prev").to_pylist()[0]
    return {"rows": int(rows["n"]), "median_gap_seconds": float(rows["gap"] or 0.0)}


def profile_sentences(profile: Profile, lang: str) -> list[str]:
    """The findings as sentences (en/ru/kk)."""
    from voronka.i18n import format_date, format_datetime, format_duration, format_number, t

    out = []
    for key, params in profile.findings:
        shown = {}
        for name, value in params.items():
            if isinstance(value, dt.datetime):
                shown[name] = format_datetime(value, lang)
            elif isinstance(value, dt.date):
                shown[name] = format_date(value, lang)
            elif name == "gap":
                shown[name] = format_duration(value, lang)
            elif isinstance(value, (int, float)):
                shown[name] = format_number(value, lang)
            else:
                shown[name] = value
        out.append(t(f"explore.profile.{key}", lang, **shown))
    return out or [t("explore.profile.clean", lang)]


class ProfileDefinition(Definition):
    """``voronka profile`` as a record: what the events hold (docs/explore.md); sessions cut at
    the source's ``session_gap`` (default 30m), findings in ``lang``."""

    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source) -> Profile:
        gap = source.unit.gap if source.unit.kind == "session" else "30m"
        return compute_profile(source, session_gap=gap)
