"""Transitions between events: the transition matrix, the step matrix, loops and back-edges,
and the difference between two segments. Definitions: ``docs/explore.md``, *Transitions*.

* A unit's **path** is its events through the alias map, at or before ``as_of``, in time
  order (equal times by ``event_id``), ``identify`` left out; with ``merge_repeats``
  consecutive equal events count once. Each event is a **state**; the path starts in
  ``START`` and ends in ``END``.
* **Transition matrix**: for every pair of consecutive states, ``moves`` (how often) and
  ``units`` (how many units made it at least once); ``probability`` = moves / all moves out
  of ``from`` (each row sums to 1).
* **Step matrix**: for step k = 1..``steps`` and state E, the share of all units whose k-th
  state is E (``END`` when the path is shorter), so each step's shares sum to 1.
* **Event order**: the mean position of each event's first occurrence in the paths that
  have it. A **back-edge** is a move a → b (a ≠ b) to an event that comes earlier in that
  order.
* **Loops** are the back-edges made *before converting* (before the unit's first event
  matching the conversion rule, default ``purchase``; a unit that never converts: its whole
  path). **Units trapped** by a → b: those that made it; they are compared with the other
  units that reached a before converting: **rate** (converted / units) of each, the
  proportion test (``voronka.stats.proportion_test``) and **conversions lost** = trapped ×
  (rate of the others − rate of the trapped), an observational difference, not a proven
  effect. Loops are ranked by conversions lost, then units trapped.
* **Segments** (``compare``): two conditions ``field=value`` on the unit's first event (or
  two periods ``first=YYYY-MM-DD..YYYY-MM-DD``: the day, UTC, of the unit's first event).
  Both matrices are compared cell by cell, each with the difference A − B, the proportion
  test (``voronka.stats.proportion_test``) and one Benjamini–Hochberg correction over the
  cells of that matrix: the transition matrix by each move's count out of ``from``
  (``compare``), the step matrix by the units at state E on step k out of the segment's
  units (``compare_steps``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from voronka.definition import Definition, Rule, Text
from voronka.source import Source

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

from voronka.columns import column
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.source import event_sources, latest_event
from voronka.rules import PURCHASE, StepRule
from voronka.sql import field_sql, literal, resolved_events
from voronka.stats import benjamini_hochberg, proportion_test
from voronka.touches import parse_rule, rule_flag_sql

PATH_TABLE = "voronka_transition_paths"
START, END = "START", "END"

MATRIX_SCHEMA = pa.schema([("from", pa.string()), ("to", pa.string()), ("moves", pa.int64()),
                           ("units", pa.int64()), ("probability", pa.float64())])
STEP_SCHEMA = pa.schema([("step", pa.int64()), ("state", pa.string()), ("units", pa.int64()),
                         ("share", pa.float64())])
LOOP_SCHEMA = pa.schema([  # kinds: voronka.columns
    column("from", pa.string(), "label"), column("to", pa.string(), "label"),
    column("units_trapped", pa.int64(), "count"),
    *(column(c, pa.float64(), "rate") for c in ("share_trapped", "rate_trapped", "rate_others")),
    ("conversions_lost", pa.float64()), column("method", pa.string(), "label"), ("p", pa.float64()),
    column("rank", pa.int64(), "label"),
])
COMPARE_SCHEMA = pa.schema([
    ("from", pa.string()), ("to", pa.string()), ("moves_a", pa.int64()), ("probability_a", pa.float64()),
    ("moves_b", pa.int64()), ("probability_b", pa.float64()), ("difference", pa.float64()),
    ("method", pa.string()), ("p", pa.float64()), ("q", pa.float64()),
])
COMPARE_STEP_SCHEMA = pa.schema([
    ("step", pa.int64()), ("state", pa.string()), ("units_a", pa.int64()), ("share_a", pa.float64()),
    ("units_b", pa.int64()), ("share_b", pa.float64()), ("difference", pa.float64()),
    ("method", pa.string()), ("p", pa.float64()), ("q", pa.float64()),
])


@dataclass(frozen=True)
class Transitions:
    """``matrix``, ``steps`` (the step matrix), ``loops`` (back-edges before conversion,
    ranked), ``order`` (event → mean first position), ``units``; with two segments,
    ``compare`` (the transition matrices), ``compare_steps`` (the step matrices) and
    ``segments`` (their labels ``field=value``, A first)."""

    matrix: pa.Table
    steps: pa.Table
    loops: pa.Table
    order: dict[str, float]
    compare: pa.Table | None
    units: int
    conversion: str
    as_of: dt.datetime
    compare_steps: pa.Table | None = None
    segments: tuple[str, str] | None = None


def parse_segment(text: str) -> tuple[str, str]:
    """``field=value`` → (field, value); ``first=YYYY-MM-DD..YYYY-MM-DD`` is a period of first events."""
    field, sep, value = text.partition("=")
    field, value = field.strip(), value.strip()
    if not sep or not field or not value:
        raise DefinitionError(f"segment {text!r}: write field=value, e.g. channel=mobile, or "
                              "first=2026-06-01..2026-06-21", field="compare")
    if field == "first":
        _period(value)
    return field, value


def _period(text: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM-DD..YYYY-MM-DD`` (inclusive) → the two dates."""
    try:
        start, end = (dt.date.fromisoformat(x.strip()) for x in text.split(".."))
    except ValueError:
        raise DefinitionError(f"period {text!r}: write first=2026-06-01..2026-06-21", field="compare") from None
    if end < start:
        raise DefinitionError(f"period {text!r} ends before it starts", field="compare")
    return start, end


def _paths_sql(events: str, aliases: str | None, as_of: dt.datetime, conversion: StepRule, merge: bool) -> str:
    """One row per unit and state: customer_id, pos (1-based), event, conv_pos (position of
    the first conversion, NULL: none), n (path length), the event's channel, campaign, properties."""
    keep = "prev IS NULL OR prev <> event" if merge else "TRUE"
    return f"""
    WITH ev AS ({resolved_events(events, aliases)}),
    f AS (SELECT customer_id, ts, event_id, event, channel, campaign, properties, {rule_flag_sql(conversion)} AS conv,
                 lag(event) OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS prev
          FROM ev WHERE ts <= {literal(as_of)} AND event <> 'identify'),
    k AS (SELECT customer_id, ts, event, conv, channel, campaign, properties,
                 row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS pos
          FROM f WHERE {keep}),
    c AS (SELECT customer_id, min(CASE WHEN conv THEN pos END) AS conv_pos FROM k GROUP BY customer_id)
    SELECT k.customer_id AS customer_id, k.pos AS pos, k.event AS event, c.conv_pos AS conv_pos, k.ts AS ts,
           count(*) OVER (PARTITION BY k.customer_id) AS n,
           k.channel AS channel, k.campaign AS campaign, k.properties AS properties
    FROM k JOIN c ON c.customer_id = k.customer_id"""


def _moves() -> str:
    """Consecutive states (with START and END) of the units in ``u``."""
    paths = f"(SELECT p.* FROM {PATH_TABLE} AS p JOIN u ON u.customer_id = p.customer_id)"
    return f"""
    SELECT a.customer_id AS customer_id, a.event AS src, b.event AS dst FROM {paths} AS a
      JOIN {paths} AS b ON b.customer_id = a.customer_id AND b.pos = a.pos + 1
    UNION ALL SELECT customer_id, '{START}' AS src, event AS dst FROM {paths} AS s WHERE pos = 1
    UNION ALL SELECT customer_id, event AS src, '{END}' AS dst FROM {paths} AS e WHERE pos = n"""


def _units(where: str | None) -> str:
    first = f"SELECT customer_id FROM {PATH_TABLE} AS p WHERE pos = 1"
    return f"WITH u AS ({first}{' AND ' + where if where else ''})"


def _out_moves(rows) -> dict[str, int]:
    """Moves out of each state of matrix rows."""
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r["from"]] += r["moves"]
    return out


def _matrix(engine: Engine, where: str | None = None) -> list[dict]:
    rows = [{"from": r["src"], "to": r["dst"], "moves": int(r["moves"]), "units": int(r["units"])}
            for r in engine.query(f"{_units(where)} SELECT src, dst, count(*) AS moves, count(DISTINCT customer_id) "
                                  f"AS units FROM ({_moves()}) AS m GROUP BY src, dst").to_pylist()]
    out = _out_moves(rows)
    return sorted(({**r, "probability": r["moves"] / out[r["from"]]} for r in rows),
                  key=lambda r: (r["from"] != START, r["from"], -r["moves"], r["to"]))


def compute_transitions(
    engine: Engine,
    *,
    conversion: str | StepRule | None = None,
    steps: int = 8,
    merge_repeats: bool = True,
    compare: tuple[tuple[str, str], tuple[str, str]] | None = None,
    top: int = 10,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> Transitions:
    """The transition and step matrices, the loops and, with ``compare``, the two segments."""
    if steps < 1:
        raise DefinitionError("steps must be at least 1", field="steps")
    rule = parse_rule(conversion, PURCHASE)
    label = conversion if isinstance(conversion, str) else (rule.describe() if conversion else "purchase")
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    engine.materialize(PATH_TABLE, _paths_sql(events, aliases, as_of, rule, merge_repeats))
    matrix = _matrix(engine)
    units = sum(r["moves"] for r in matrix if r["from"] == START)

    step_rows = _step_matrix(engine, steps, units)
    order = {r["event"]: float(r["m"]) for r in engine.query(
        f"SELECT event, avg(p) AS m FROM (SELECT customer_id, event, min(pos) AS p FROM {PATH_TABLE} AS t "
        f"GROUP BY customer_id, event) AS f GROUP BY event").to_pylist()}
    loops = _loops(engine, order, top)

    table = table_steps = labels = None
    if compare is not None:
        table, table_steps = _compare(engine, *compare, steps=steps)
        labels = tuple(f"{field}={value}" for field, value in compare)
    return Transitions(pa.Table.from_pylist(matrix, schema=MATRIX_SCHEMA),
                       pa.Table.from_pylist(step_rows, schema=STEP_SCHEMA),
                       pa.Table.from_pylist(loops, schema=LOOP_SCHEMA), order, table, units, label, as_of,
                       table_steps, labels)


def _step_matrix(engine: Engine, steps: int, units: int, where: str | None = None) -> list[dict]:
    """Step k = 1..steps, state, units at it and share of the ``units`` (those of ``where``)."""
    unit = f"(SELECT p.* FROM {PATH_TABLE} AS p JOIN u ON u.customer_id = p.customer_id)"
    counts = engine.query(f"{_units(where)} SELECT pos, event, count(*) AS n FROM {unit} AS t WHERE pos <= {steps} "
                          f"GROUP BY pos, event").to_pylist()
    rows = [{"step": int(r["pos"]), "state": r["event"], "units": int(r["n"])} for r in counts]
    for k in range(1, steps + 1):
        ended = units - sum(r["units"] for r in rows if r["step"] == k)
        if ended:
            rows.append({"step": k, "state": END, "units": ended})
    for r in rows:
        r["share"] = r["units"] / units if units else 0.0
    return sorted(rows, key=lambda r: (r["step"], -r["units"], r["state"]))


def _loops(engine: Engine, order: dict[str, float], top: int) -> list[dict]:
    """Back-edges before conversion, ranked (module docstring)."""
    before = "(conv_pos IS NULL OR pos < conv_pos)"
    pairs = engine.query(
        f"SELECT a.event AS src, b.event AS dst, count(DISTINCT a.customer_id) AS n, "
        f"count(DISTINCT CASE WHEN a.conv_pos IS NOT NULL THEN a.customer_id END) AS x "
        f"FROM {PATH_TABLE} AS a JOIN {PATH_TABLE} AS b ON b.customer_id = a.customer_id AND b.pos = a.pos + 1 "
        f"WHERE a.event <> b.event AND (b.conv_pos IS NULL OR b.pos < b.conv_pos) GROUP BY a.event, b.event"
    ).to_pylist()
    reached = {r["event"]: (int(r["n"]), int(r["x"])) for r in engine.query(
        f"SELECT event, count(DISTINCT customer_id) AS n, "
        f"count(DISTINCT CASE WHEN conv_pos IS NOT NULL THEN customer_id END) AS x "
        f"FROM {PATH_TABLE} AS p WHERE {before} GROUP BY event").to_pylist()}
    rows = []
    for r in pairs:
        a, b = r["src"], r["dst"]
        if order[b] >= order[a]:
            continue
        n_t, x_t = int(r["n"]), int(r["x"])
        n_a, x_a = reached[a]
        n_o, x_o = n_a - n_t, x_a - x_t
        test = proportion_test(x_t, n_t, x_o, n_o) if n_o else None
        rate_o = x_o / n_o if n_o else None
        rows.append({"from": a, "to": b, "units_trapped": n_t, "share_trapped": n_t / n_a, "rate_trapped": x_t / n_t,
                     "rate_others": rate_o, "conversions_lost": n_t * (rate_o - x_t / n_t) if n_o else 0.0,
                     "method": test.method if test else None, "p": test.p if test else None})
    rows.sort(key=lambda r: (-r["conversions_lost"], -r["units_trapped"], r["from"], r["to"]))
    rows = rows[:top]
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def _compare(engine: Engine, a: tuple[str, str], b: tuple[str, str], steps: int) -> tuple[pa.Table, pa.Table]:
    """The transition and step matrices of two segments, cell by cell (module docstring)."""
    def where(segment: tuple[str, str]) -> str:
        if segment[0] == "first":
            start, end = _period(segment[1])
            return (f"p.ts >= {literal(dt.datetime.combine(start, dt.time()))} "
                    f"AND p.ts < {literal(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))}")
        return f"COALESCE({field_sql(segment[0], 'p')} = {literal(segment[1])}, FALSE)"

    left = {(r["from"], r["to"]): r for r in _matrix(engine, where(a))}
    right = {(r["from"], r["to"]): r for r in _matrix(engine, where(b))}
    if not left or not right:
        missing = a if not left else b
        raise DefinitionError(f"no unit starts with {missing[0]}={missing[1]}", field="compare")
    out_l, out_r = _out_moves(left.values()), _out_moves(right.values())
    moves = [_cell({"from": key[0], "to": key[1]}, "moves", "probability",
                   left.get(key, {}).get("moves", 0), out_l.get(key[0], 0),
                   right.get(key, {}).get("moves", 0), out_r.get(key[0], 0))
             for key in sorted(set(left) | set(right))]
    n_l, n_r = out_l[START], out_r[START]  # every unit leaves START once
    step_l = {(r["step"], r["state"]): r["units"] for r in _step_matrix(engine, steps, n_l, where(a))}
    step_r = {(r["step"], r["state"]): r["units"] for r in _step_matrix(engine, steps, n_r, where(b))}
    cells = [_cell({"step": key[0], "state": key[1]}, "units", "share", step_l.get(key, 0), n_l,
                   step_r.get(key, 0), n_r) for key in sorted(set(step_l) | set(step_r))]
    return (pa.Table.from_pylist(_corrected(moves, ("from", "to")), schema=COMPARE_SCHEMA),
            pa.Table.from_pylist(_corrected(cells, ("step", "state")), schema=COMPARE_STEP_SCHEMA))


def _cell(key: dict, count: str, rate: str, xa: int, na: int, xb: int, nb: int) -> dict:
    """One cell of two segments: the counts, the rates out of ``na`` and ``nb``, A − B, the test."""
    ra, rb = (xa / na if na else None), (xb / nb if nb else None)
    test = proportion_test(xa, na, xb, nb) if na and nb else None
    return {**key, f"{count}_a": xa, f"{rate}_a": ra, f"{count}_b": xb, f"{rate}_b": rb,
            "difference": ra - rb if test else None, "method": test.method if test else None,
            "p": test.p if test else None, "q": None}


def _corrected(rows: list[dict], key: tuple[str, str]) -> list[dict]:
    """One Benjamini–Hochberg correction over the tested cells; sorted by q, then the key."""
    tested = [r for r in rows if r["p"] is not None]
    for r, q in zip(tested, benjamini_hochberg([r["p"] for r in tested])):
        r["q"] = q
    return sorted(rows, key=lambda r: (r["q"] if r["q"] is not None else 2.0, r[key[0]], r[key[1]]))


def transition_figure(result: Transitions, title: str = "", *, min_probability: float = 0.05, max_edges: int = 40):
    """A plotly graph of the transition matrix: events left to right in the event order
    (START first, END last), an arrow per move with probability ≥ ``min_probability`` (the
    ``max_edges`` most frequent), back-edges in red; width by probability."""
    from voronka import figure as plot

    names = [START, *sorted(result.order, key=lambda e: (result.order[e], e)), END]
    x = {name: i for i, name in enumerate(names)}
    y = {name: (i % 3 - 1) * 0.6 for i, name in enumerate(names)}
    edges = sorted((r for r in result.matrix.to_pylist() if r["probability"] >= min_probability),
                   key=lambda r: -r["moves"])[:max_edges]
    figure = plot.Figure(plot.Scatter(x=[x[n] for n in names], y=[y[n] for n in names], mode="markers+text",
                                      text=names, textposition="top center", marker={"size": 14}, hoverinfo="text"))
    arrows = []  # set at once: plotly validates (and copies) the layout at each add_annotation
    for r in edges:
        if r["from"] not in x or r["to"] not in x or r["from"] == r["to"]:
            continue
        back = r["to"] != END and r["from"] != START and x[r["to"]] < x[r["from"]]
        arrows.append({"x": x[r["to"]], "y": y[r["to"]], "ax": x[r["from"]], "ay": y[r["from"]], "xref": "x",
                       "yref": "y", "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2,
                       "arrowwidth": 1 + 5 * r["probability"], "opacity": 0.6,
                       "arrowcolor": "crimson" if back else "steelblue",
                       "hovertext": f"{r['from']} → {r['to']}: {r['probability']:.0%} ({r['moves']})"})
    figure.update_layout(annotations=arrows, title=title or None, showlegend=False, height=460,
                         xaxis={"visible": False}, yaxis={"visible": False}, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def _pair(text: str | None) -> str | None:
    if text is not None:
        parts = [p for p in text.split(",") if p.strip()]
        if len(parts) != 2:
            raise ValueError(f"{text!r}: two segments, FIELD=A,FIELD=B")
        try:
            [parse_segment(p) for p in parts]
        except DefinitionError as exc:
            raise ValueError(exc.reason) from None
    return text


class TransitionsDefinition(Definition):
    """``voronka transitions`` as a record: transitions between events and the step matrix of
    ``steps`` steps (repeats merged unless ``keep_repeats``), the ``top`` loops before
    ``conversion`` (``a|b`` or ``MODEL:STAGE``), and two segments ``compare`` (``FIELD=A,FIELD=B``)
    side by side (docs/explore.md)."""

    conversion: Rule | None = None
    compare: Annotated[Text | None, AfterValidator(_pair)] = None
    steps: int = Field(8, ge=1, le=50)
    keep_repeats: bool = False
    top: int = Field(10, ge=1, le=1000)

    def compute(self, source: Source) -> Transitions:
        pair = None
        if self.compare:
            first, second = (p for p in self.compare.split(",") if p.strip())
            pair = (parse_segment(first), parse_segment(second))
        return compute_transitions(source, conversion=self.conversion, steps=self.steps,
                                   merge_repeats=not self.keep_repeats, compare=pair, top=self.top,
                                   as_of=source.as_of)
