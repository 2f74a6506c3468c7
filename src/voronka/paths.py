"""Paths: the sequence of steps each customer took, the most common ones, and a Sankey.

Definitions (docs/paths.md, "Paths"):

* A customer's **events** are read through the alias map, at or before ``as_of``, in
  time order (equal timestamps ordered by ``event_id``); ``identify`` events are never
  steps.
* Each event becomes a **step**: its event name (``steps="event"``), its channel
  (``steps="channel"``; events without a channel are left out), ``mapping[event]`` (a
  user's touchpoint types; an event mapped to ``None`` or ``""`` is left out, one not in
  the mapping keeps its step), or, with ``model``, the key of the furthest stage in model
  order whose rule the event matches (events matching no stage are left out; referral
  stages are not the customer's own events and never appear).
* The **path to conversion** of a converted customer runs from their first step to the
  conversion (the first event matching the conversion rule, shown as the step
  ``conversion_label``); of a customer not converted by ``as_of``, from the first step to
  the last. With ``lookback``, only steps at or after the path's end − lookback count.
* **Cleaning**: ``merge_repeats`` collapses consecutive equal steps into one. The path
  **length** is the number of steps after cleaning. A path longer than ``max_steps`` is
  cut to its last ``max_steps`` steps (those nearest the conversion or the drop-off) and
  marked ``truncated``.
* **Top paths** are counted per group (converted / not converted) and cut path (a cut
  path apart from the same steps uncut): customers, share of the group's customers, the
  mean full length; ties ordered by the path text.
* **Sankey**: for every pair of consecutive steps of the (cut) paths, the link
  ``step@i → step@i+1`` (positions 1-based from the path's first kept step) and the
  number of customers taking it.
* **Steps around an event** (``steps_around``): the anchor is the customer's first step
  equal to ``event`` (on the cleaned path without a conversion cut); offset +k is the k-th
  step after it, −k the k-th before. For each offset and step: customers, and their share
  of the customers who have the anchor.

Like PostHog's path analysis (start point / end point), computed inside the engine with
row numbers and position-wise aggregation (no ordered string aggregation, so the same SQL
runs on DuckDB, ClickHouse and Spark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

import pyarrow as pa

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from voronka.columns import column
from voronka.definition import Definition, Duration, ModelName, Rule, Text
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.rules import PURCHASE, StepRule
from voronka.source import Source, event_sources, latest_event
from voronka.sql import literal, resolved_events
from voronka.touches import lookback_micros, parse_rule, rule_flag_sql

StepsBy = Literal["event", "channel"]
SEPARATOR = " → "
PATHS_TABLE = "voronka_paths"
AROUND_TABLE = "voronka_paths_around"


@dataclass(frozen=True)
class PathSteps:
    """How events become steps (see the module docstring)."""

    by: StepsBy = "event"
    mapping: Mapping[str, str | None] | None = None
    model: str | None = None
    merge_repeats: bool = True

    def __post_init__(self) -> None:
        if self.by not in ("event", "channel"):
            raise DefinitionError(f"steps by {self.by!r}: use event or channel", field="by")

    def step_sql(self) -> str:
        """SQL for the step of an event row of the resolved events (NULL: not a step)."""
        if self.model is not None:
            from voronka.stage_models import load_model

            stages = [s for s in load_model(self.model).stages if s.rule.min_referrals is None]
            cases = " ".join(f"WHEN {rule_flag_sql(s.rule, 'model')} THEN {literal(s.key)}" for s in reversed(stages))
            return f"CASE {cases} END"
        base = "CASE WHEN channel <> '' THEN channel END" if self.by == "channel" else "event"
        if not self.mapping:
            return base
        cases = " ".join(f"WHEN event = {literal(k)} THEN {literal(v or None)}" for k, v in self.mapping.items())
        return f"CASE {cases} ELSE {base} END"


def path_rows_sql(events: str, aliases: str | None, steps: PathSteps, *, as_of: dt.datetime,
                  conversion: StepRule | None, conversion_label: str = "", lookback: int | None = None) -> str:
    """One row per customer and cleaned step: customer_id, pos (1-based), n (path length),
    step, converted (1/0). With ``conversion`` None, the whole history up to ``as_of``."""
    conv = rule_flag_sql(conversion) if conversion is not None else "FALSE"
    step = steps.step_sql()
    if conversion is not None:
        step = f"CASE WHEN {conv} THEN {literal(conversion_label)} ELSE {step} END"
    window = "" if lookback is None else f" AND epoch_us(s.ts) >= epoch_us(e.end_ts) - {lookback}"
    keep = "prev IS NULL OR prev <> step" if steps.merge_repeats else "TRUE"
    return f"""
    WITH ev AS ({resolved_events(events, aliases)}),
    f AS (SELECT customer_id, ts, event_id, event, {step} AS step, {conv} AS is_conv,
                 row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS seq
          FROM ev WHERE ts <= {literal(as_of)}),
    s AS (SELECT * FROM f WHERE step IS NOT NULL AND event <> 'identify'),
    ends AS (SELECT customer_id, min(CASE WHEN is_conv THEN seq END) AS conv_seq, max(seq) AS last_seq
             FROM s GROUP BY customer_id),
    e AS (SELECT ends.customer_id AS customer_id, COALESCE(ends.conv_seq, ends.last_seq) AS end_seq,
                 CASE WHEN ends.conv_seq IS NOT NULL THEN 1 ELSE 0 END AS converted, x.ts AS end_ts
          FROM ends JOIN s AS x ON x.customer_id = ends.customer_id
                                AND x.seq = COALESCE(ends.conv_seq, ends.last_seq)),
    kept AS (SELECT s.customer_id AS customer_id, s.seq AS seq, s.step AS step, e.converted AS converted,
                    lag(s.step) OVER (PARTITION BY s.customer_id ORDER BY s.seq) AS prev
             FROM s JOIN e ON e.customer_id = s.customer_id
             WHERE s.seq <= e.end_seq{window}),
    clean AS (SELECT customer_id, seq, step, converted FROM kept WHERE {keep})
    SELECT customer_id, step, converted,
           row_number() OVER (PARTITION BY customer_id ORDER BY seq) AS pos,
           count(*) OVER (PARTITION BY customer_id) AS n
    FROM clean"""


def _positions(k: int, column: str = "q") -> str:
    return ", ".join(f"max(CASE WHEN {column} = {i} THEN step END) AS s{i}" for i in range(1, k + 1))


def _join(row: dict, k: int) -> str:
    return SEPARATOR.join(row[f"s{i}"] for i in range(1, k + 1) if row[f"s{i}"] is not None)


TOP_SCHEMA = pa.schema([  # kinds: voronka.columns
    ("converted", pa.bool_()), column("path", pa.string(), "label"), column("length", pa.int64(), "count"),
    ("truncated", pa.bool_()), ("mean_length", pa.float64()), column("customers", pa.int64(), "count"),
    column("share", pa.float64(), "rate"),
])
LENGTH_SCHEMA = pa.schema([
    ("length", pa.int64()), ("converted", pa.int64()), ("not_converted", pa.int64()),
])
SANKEY_SCHEMA = pa.schema([
    ("source", pa.string()), ("source_position", pa.int64()), ("target", pa.string()),
    ("target_position", pa.int64()), ("customers", pa.int64()),
])
AROUND_SCHEMA = pa.schema([
    ("offset", pa.int64()), ("step", pa.string()), ("customers", pa.int64()), ("share", pa.float64()),
])


@dataclass(frozen=True)
class PathsResult:
    """``top``: most common paths per group; ``lengths``: customers per path length and
    group; ``sankey``: links between consecutive positions; ``customers``: customers per
    group (``{True: converted, False: not}``)."""

    top: pa.Table
    lengths: pa.Table
    sankey: pa.Table
    customers: dict[bool, int]
    conversion_label: str
    as_of: dt.datetime


def compute_paths(
    engine: Engine,
    *,
    conversion: str | StepRule | None = None,
    steps: PathSteps | None = None,
    max_steps: int = 6,
    top: int = 10,
    lookback: str | dt.timedelta | None = None,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> PathsResult:
    """Paths to conversion and to drop-off: top paths, path lengths, Sankey links."""
    if max_steps < 1 or top < 1:
        raise DefinitionError("max_steps and top must be at least 1", field="max_steps")
    steps = steps or PathSteps()
    rule = parse_rule(conversion, PURCHASE)
    label = conversion if isinstance(conversion, str) else (rule.describe() if conversion else "purchase")
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    engine.materialize(PATHS_TABLE, path_rows_sql(events, aliases, steps, as_of=as_of, conversion=rule,
                                                  conversion_label=label, lookback=lookback_micros(lookback)))
    # the cut path: the last max_steps steps, renumbered q = 1 … from the first kept step
    cut = (f"(SELECT customer_id, step, converted, n, pos - CASE WHEN n > {max_steps} THEN n - {max_steps} "
           f"ELSE 0 END AS q FROM {PATHS_TABLE} WHERE pos > n - {max_steps})")
    shown = ", ".join(f"s{i}" for i in range(1, max_steps + 1))
    groups = engine.query(
        f"SELECT converted, cut, {shown}, avg(n) AS mean_length, count(*) AS customers FROM ("
        f"SELECT customer_id, max(converted) AS converted, max(n) AS n, "
        f"max(CASE WHEN n > {max_steps} THEN 1 ELSE 0 END) AS cut, {_positions(max_steps)} "
        f"FROM {cut} AS c GROUP BY customer_id) AS p GROUP BY converted, cut, {shown}").to_pylist()
    customers = {True: 0, False: 0}
    for g in groups:
        customers[bool(g["converted"])] += g["customers"]
    rows = sorted(({"converted": bool(g["converted"]), "path": _join(g, max_steps),
                    "length": sum(g[f"s{i}"] is not None for i in range(1, max_steps + 1)),
                    "truncated": bool(g["cut"]), "mean_length": float(g["mean_length"]),
                    "customers": g["customers"], "share": g["customers"] / customers[bool(g["converted"])]}
                   for g in groups),
                  key=lambda r: (not r["converted"], -r["customers"], r["truncated"], r["path"]))
    kept: list[dict] = []
    for group in (True, False):
        kept += [r for r in rows if r["converted"] is group][:top]
    lengths = engine.query(
        f"SELECT n AS length, sum(converted) AS converted, count(*) - sum(converted) AS not_converted "
        f"FROM (SELECT customer_id, max(n) AS n, max(converted) AS converted FROM {PATHS_TABLE} "
        f"GROUP BY customer_id) AS p GROUP BY n ORDER BY n")
    return PathsResult(
        top=pa.Table.from_pylist(kept, schema=TOP_SCHEMA),
        lengths=lengths.cast(LENGTH_SCHEMA),
        sankey=_sankey(engine, cut, "q"),
        customers=customers,
        conversion_label=label,
        as_of=as_of,
    )


def _sankey(engine: Engine, rows: str, position: str) -> pa.Table:
    """Links between consecutive positions of the per-customer step rows ``rows``."""
    links = engine.query(
        f"SELECT a.step AS source, a.{position} AS source_position, b.step AS target, "
        f"b.{position} AS target_position, count(*) AS customers FROM {rows} AS a JOIN {rows} AS b "
        f"ON b.customer_id = a.customer_id AND b.{position} = a.{position} + 1 "
        f"GROUP BY a.step, a.{position}, b.step, b.{position}")
    ordered = sorted(links.to_pylist(), key=lambda r: (r["source_position"], -r["customers"], r["source"],
                                                       r["target"]))
    return pa.Table.from_pylist(ordered, schema=SANKEY_SCHEMA)


@dataclass(frozen=True)
class AroundResult:
    """``steps``: per offset (−before … +after) and step, customers and share of the
    ``anchored`` customers; ``sankey``: links between consecutive offsets."""

    event: str
    steps: pa.Table
    sankey: pa.Table
    anchored: int


def steps_around(
    engine: Engine,
    event: str,
    *,
    after: int = 5,
    before: int = 0,
    steps: PathSteps | None = None,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> AroundResult:
    """The next ``after`` and previous ``before`` steps around each customer's first
    ``event`` step (see the module docstring)."""
    if after < 0 or before < 0 or after + before == 0:
        raise DefinitionError("give at least one step after or before the event", field="steps")
    steps = steps or PathSteps()
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    engine.materialize(AROUND_TABLE, path_rows_sql(events, aliases, steps, as_of=as_of, conversion=None))
    rows = (f"(SELECT p.customer_id AS customer_id, p.step AS step, p.pos - a.anchor AS k "
            f"FROM {AROUND_TABLE} AS p JOIN (SELECT customer_id, min(pos) AS anchor FROM {AROUND_TABLE} "
            f"WHERE step = {literal(event)} GROUP BY customer_id) AS a ON a.customer_id = p.customer_id "
            f"WHERE p.pos - a.anchor BETWEEN {-before} AND {after})")
    counts = engine.query(f"SELECT k, step, count(*) AS customers FROM {rows} AS r GROUP BY k, step").to_pylist()
    anchored = sum(r["customers"] for r in counts if r["k"] == 0)
    if not anchored:
        raise DefinitionError(f"no customer has the step {event!r}", field="event")
    table = sorted(({"offset": r["k"], "step": r["step"], "customers": r["customers"],
                     "share": r["customers"] / anchored} for r in counts),
                   key=lambda r: (r["offset"], -r["customers"], r["step"]))
    return AroundResult(event, pa.Table.from_pylist(table, schema=AROUND_SCHEMA), _sankey(engine, rows, "k"),
                        anchored)


def sankey_figure(links: pa.Table, title: str = "", *, max_links: int = 60, lang: str = "en"):
    """A plotly Sankey of ``links`` (``SANKEY_SCHEMA``), the ``max_links`` largest: one node
    per step and position, placed in its position's column (positions left to right, in a
    column the larger nodes first) and labelled by the step and its customers; each link
    coloured by its source step and labelled (hover) by its customers and their share of the
    source node's. No links: a figure with no trace (the report states it in words)."""
    from voronka import figure as plot

    from voronka.i18n import format_number, format_percent
    from voronka.reports.charts import PALETTE

    rows = sorted(links.to_pylist(), key=lambda r: -r["customers"])[:max_links]
    figure = plot.Figure()
    figure.update_layout(title=title or None, height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    if not rows:
        return figure
    size: dict[tuple[str, int], int] = {}  # a node's customers: the larger of what enters and what leaves it
    out: dict[tuple[str, int], int] = {}
    into: dict[tuple[str, int], int] = {}
    for r in rows:
        source, target = (r["source"], r["source_position"]), (r["target"], r["target_position"])
        out[source] = out.get(source, 0) + r["customers"]
        into[target] = into.get(target, 0) + r["customers"]
    for node in {*out, *into}:
        size[node] = max(out.get(node, 0), into.get(node, 0))
    positions = sorted({at for _, at in size})
    column = {at: i for i, at in enumerate(positions)}
    nodes = sorted(size, key=lambda n: (column[n[1]], -size[n], n[0]))
    index = {n: i for i, n in enumerate(nodes)}
    names = sorted({name for name, _ in nodes})
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    last = max(len(positions) - 1, 1)
    x, y = [], []
    for n in nodes:  # a small node keeps a slot of at least 6 % of its column, so labels do not overlap
        same = [m for m in nodes if m[1] == n[1]]
        floor = 0.06 * sum(size[m] for m in same)
        slots = [max(size[m], floor) for m in same]
        before = sum(slots[:same.index(n)])
        x.append(0.001 + 0.998 * column[n[1]] / last)
        y.append(min(max(0.001, (before + slots[same.index(n)] / 2) / (sum(slots) or 1)), 0.999))

    def rgba(hex_colour: str, alpha: float) -> str:
        red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return f"rgba({red}, {green}, {blue}, {alpha})"

    shares = [r["customers"] / (out[(r["source"], r["source_position"])] or 1) for r in rows]
    figure.add_trace(plot.Sankey(
        arrangement="fixed",
        node={"label": [f"{name} · {format_number(size[name, at], lang)}" for name, at in nodes],
              "x": x, "y": y, "pad": 14, "thickness": 16, "color": [colour[name] for name, _ in nodes],
              "hovertemplate": "%{label}<extra></extra>"},
        link={"source": [index[r["source"], r["source_position"]] for r in rows],
              "target": [index[r["target"], r["target_position"]] for r in rows],
              "value": [r["customers"] for r in rows],
              "color": [rgba(colour[r["source"]], 0.35) for r in rows],
              "customdata": [f"{r['source']} → {r['target']}: {format_number(r['customers'], lang)} · "
                             f"{format_percent(share, lang)}" for r, share in zip(rows, shares, strict=True)],
              "hovertemplate": "%{customdata}<extra></extra>"},
    ))
    return figure


def _steps_map(text: str | None) -> str | None:
    if text is not None:
        pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError(f"{text!r}: give EVENT=STEP pairs, comma-separated (STEP empty: leave out)")
    return text


class PathsDefinition(Definition):
    """``voronka paths`` as a record: the paths to ``conversion`` (``a|b`` or ``MODEL:STAGE``,
    default purchase) and to drop-off, at most ``max_steps`` steps and ``top`` paths per group;
    or, with ``after``/``before`` an event, the ``max_steps`` steps after/before each unit's first
    such event. A step is an event or channel (``by``), a stage of ``model``, or an event renamed
    by ``steps_map`` (``EVENT=STEP,…``); repeats merged unless ``keep_repeats`` (docs/paths.md)."""

    conversion: Rule | None = None
    after: Text | None = None
    before: Text | None = None
    max_steps: int = Field(6, ge=1, le=50)
    by: Literal["event", "channel"] = "event"
    model: ModelName | None = None
    steps_map: Annotated[Text | None, AfterValidator(_steps_map)] = None
    keep_repeats: bool = False
    lookback: Duration | None = None
    top: int = Field(10, ge=1, le=1000)

    @field_validator("before")
    @classmethod
    def _one_anchor(cls, before: str | None, info: ValidationInfo) -> str | None:
        if before and info.data.get("after"):
            raise ValueError("give after or before, not both")
        return before

    def path_steps(self) -> PathSteps:
        """What a step is."""
        mapping = None
        if self.steps_map:
            pairs = (p.split("=", 1) for p in self.steps_map.split(",") if p.strip())
            mapping = {e.strip(): s.strip() or None for e, s in pairs}
        return PathSteps(by=self.by, mapping=mapping, model=self.model, merge_repeats=not self.keep_repeats)

    def compute(self, source: Source) -> PathsResult | AroundResult:
        anchor = self.after or self.before
        if anchor:
            return steps_around(source, anchor, after=self.max_steps if self.after else 0,
                                before=self.max_steps if self.before else 0, steps=self.path_steps(),
                                as_of=source.as_of)
        return compute_paths(source, conversion=self.conversion, steps=self.path_steps(), max_steps=self.max_steps,
                             top=self.top, lookback=self.lookback, as_of=source.as_of)
