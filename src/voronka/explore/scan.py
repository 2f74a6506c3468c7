"""The change scan: find when, where and how much a funnel transition or an event's volume
shifted, without being told the step, the segment or the dates. Definitions:
``docs/explore.md``, *Change scan*.

* A **series** is one measure in one segment, per period (a local day or an ISO week,
  Monday first). Each period holds *trials* and *successes*:

  - a **transition** k → k+1 between consecutive steps of the funnel (steps whose rule
    counts purchases or referrals are left out): trials are the units whose first step-k
    event falls in the period and at least ``within`` before ``as_of`` (settled); successes
    are those of them with a step-k+1 event after it, within ``within``;
  - an event's **volume**: trials are the units active on a day (any event), successes
    those with the event that day, both summed over the days of the period (unit-days):
    the event's share of the active units, so that traffic growth and seasonality that
    move every event alike do not count as a change of one event.

* **Segments**: all units, and each value of each *breakdown column* with 2 to
  ``max_values`` distinct values: ``channel``, ``campaign`` and every property key found
  in a sample of the events. A transition's unit is in the segment of its step-k event; a
  unit-day with the event in the segment of its first such event that day; an active
  unit-day in every segment of its events that day (so those with the event are among them).
* **Test**: for each window of 1 to ``max_window`` consecutive periods, the window's
  trials and successes against the rest of the series (the
  two-proportion z-test; below an expected count of 5, Fisher's exact test with twice the
  smaller tail, ``voronka.stats.proportion_tests``). The series' p is the smallest
  window p times the number of windows tested (Bonferroni within the series, capped at
  1); its **change** is that window. One Benjamini–Hochberg correction runs over every
  series' p; a series is **flagged** when q ≤ α.
* ``since``: periods before the one holding this day are left out of every series (the
  first weeks of a log that starts with the business, with no returning customers yet,
  read as a change of every volume share).
* **Units affected** = window trials × (window rate − rest rate) (negative: lost). A
  transition's **value affected** = units affected × onward rate (the product of the
  overall rates of the transitions after it up to the value step) × revenue per buyer
  (the mean revenue of the units with revenue); a volume has no value. A flagged segment
  series explains a flagged all-units series of the same measure when their windows
  overlap and it carries at least half of its units affected; the all-units series is then
  left out of the ranking. Flagged series are ranked by |value affected|, then |units
  affected|.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from voronka.columns import column
from voronka.definition import Definition, Duration, ModelName
from voronka.duration import parse_duration
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.funnel import FunnelDefinition, FunnelResult
from voronka.source import Source, event_sources, latest_event
from voronka.sql import field_sql, literal, local_time_sql, resolved_events, rule_predicate
from voronka.stats import benjamini_hochberg, proportion_tests, wilson_interval

SCAN_UNITS = "voronka_scan_units"
SCAN_DAYS = "voronka_scan_days"
SCAN_EVENTS = "voronka_scan_events"
COLUMNS = ("channel", "campaign")
SAMPLE = 20_000  # events whose property keys are read to find the breakdown columns

SERIES_SCHEMA = pa.schema([  # kinds: voronka.columns
    *(column(c, pa.string(), "label") for c in ("measure", "kind", "from_key", "to_key", "column", "segment")),
    column("periods", pa.int64(), "count"), column("trials", pa.int64(), "count"),
    ("first", pa.date32()), ("last", pa.date32()), column("window_trials", pa.int64(), "count"),
    *(column(c, pa.float64(), "rate") for c in ("window_rate", "ci_low", "ci_high", "rest_rate", "change")),
    column("method", pa.string(), "label"), ("p", pa.float64()), ("q", pa.float64()), ("flagged", pa.bool_()),
    column("units", pa.float64(), "count"), column("value", pa.float64(), "money"), column("rank", pa.int64(), "label"),
])
"""One row per series: the window with the smallest p (``first``..``last`` inclusive) and its test."""

POINTS_SCHEMA = pa.schema([
    *(column(c, pa.string(), "label") for c in ("measure", "column", "segment")), ("period", pa.date32()),
    column("trials", pa.int64(), "count"), column("successes", pa.int64(), "count"),
    *(column(c, pa.float64(), "rate") for c in ("rate", "ci_low", "ci_high")),
])
"""The series themselves (flagged ones only): per period, rate and Wilson interval."""


@dataclass(frozen=True)
class Scan:
    """``series`` (``SERIES_SCHEMA``), ``points`` of the flagged series, the settings."""

    series: pa.Table
    points: pa.Table
    grain: str
    alpha: float
    revenue_per_buyer: float | None
    as_of: dt.datetime

    def flagged(self) -> list[dict]:
        """The ranked findings (flagged series not explained by a segment), first first."""
        rows = [r for r in self.series.to_pylist() if r["rank"] is not None]
        return sorted(rows, key=lambda r: r["rank"])

    def windows(self, kind: str = "transition") -> list[tuple[dt.date, dt.date, str]]:
        """(first day, last day, label) of the ranked series of ``kind``, first first: the
        periods a trend shades."""
        return [(r["first"], _last_day(r["last"], self.grain), series_label(r))
                for r in self.flagged() if r["kind"] == kind]


def trend_windows(engine: Engine, result: FunnelResult) -> list[tuple[dt.date, dt.date, str]]:
    """The flagged windows the conversion trend of a funnel's ``result`` shades
    (``Scan.windows``; none without a trend): the scan over the funnel's own steps on the
    same source (its filters, unit and days) and ``as_of``, transitions only, weekly (daily
    for a daily cohort), ``within`` 14 days; none when fewer than two steps are scanned.
    The report's trend (``voronka funnel --report``) and the web app's (``server.builder``)
    use this."""
    if result.trends is None or not result.trends.num_rows:
        return []
    definition = result.definition
    try:
        scan = scan_changes(engine, definition, grain="day" if definition.cohort == "day" else "week",
                            volumes=False, as_of=result.as_of)
    except DefinitionError:  # fewer than two steps the scan can follow
        return []
    return scan.windows()


def series_label(r: dict) -> str:
    """``measure (column = segment)``, or the measure alone for all units."""
    return r["measure"] + _segment_text(r)


def _segment_text(r: dict) -> str:
    return f" ({r['column'].removeprefix('properties.')} = {r['segment']})" if r["column"] else ""


def _steps(definition: FunnelDefinition) -> list[tuple[str, str]]:
    """(key, SQL predicate) of the steps the scan follows (module docstring)."""
    return [(s.key, rule_predicate(s.rule)) for s in definition.steps
            if s.rule.min_purchases is None and s.rule.min_referrals is None]


def candidate_columns(engine: Engine, events: str) -> list[str]:
    """``channel``, ``campaign`` and ``properties.KEY`` for each key with a scalar value in a
    sample of the events (``SAMPLE``) that is an identifier."""
    keys: set[str] = set()
    sample = engine.query(f"SELECT properties FROM {events} AS e WHERE properties IS NOT NULL "
                          f"AND properties <> '{{}}' LIMIT {SAMPLE}")
    for text in set(sample.column("properties").to_pylist()):  # each distinct text parsed once
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            keys.update(k for k, v in value.items() if isinstance(v, (str, int, float, bool)) and k.isidentifier())
    return list(COLUMNS) + [f"properties.{k}" for k in sorted(keys)]


def _period(day: dt.date | dt.datetime, grain: str) -> dt.date:
    day = day.date() if isinstance(day, dt.datetime) else day
    return day - dt.timedelta(days=day.weekday()) if grain == "week" else day


def _local_day(column: str, zone: str) -> str:
    """The local date of a UTC timestamp column (no conversion for UTC)."""
    return f"CAST({column} AS DATE)" if zone == "UTC" else f"CAST({local_time_sql(column, zone)} AS DATE)"


def _period_sql(day: str, grain: str) -> str:
    """The first day of the period of the date expression ``day`` (weeks start on Monday)."""
    return f"CAST(date_trunc('week', {day}) AS DATE)" if grain == "week" else day


def scan_changes(
    engine: Engine,
    definition: FunnelDefinition,
    *,
    grain: str = "week",
    within: str | dt.timedelta = "14d",
    max_values: int = 12,
    max_window: int = 4,
    alpha: float = 0.05,
    volumes: bool = True,
    since: dt.date | None = None,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> Scan:
    """Scan every transition and event volume, per segment and period (module docstring)."""
    if grain not in ("day", "week"):
        raise DefinitionError(f"grain {grain!r}: use day or week", field="grain")
    if max_window < 1 or max_values < 2:
        raise DefinitionError("max_window must be ≥ 1 and max_values ≥ 2", field="max_window")
    steps = _steps(definition)
    if len(steps) < 2 and not volumes:
        raise DefinitionError("the scan needs at least two steps (or event volumes)", field="steps")
    span = within if isinstance(within, dt.timedelta) else parse_duration(within)
    micros = int(span.total_seconds() * 1_000_000)
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    zone = definition.timezone or "UTC"
    # Every event once, ids resolved, with each step's flag (f0, f1, …) and each candidate
    # column's text read out of the properties once (c0, c1, …): the candidates' counts, the
    # transitions and the volumes all read this table.
    candidates = candidate_columns(engine, events)
    ev = resolved_events(events, aliases)
    flags = "".join(f", CASE WHEN {pred} THEN 1 ELSE 0 END AS f{k}" for k, (_, pred) in enumerate(steps))
    engine.materialize(SCAN_EVENTS, f"WITH ev AS ({ev}) SELECT customer_id, ts, event{flags}"
                       + "".join(f", {field_sql(c)} AS c{i}" for i, c in enumerate(candidates)) + " FROM ev")
    distinct = engine.query("SELECT " + ", ".join(f"count(DISTINCT c{i}) AS c{i}" for i in range(len(candidates)))
                            + f" FROM {SCAN_EVENTS} AS x").to_pylist()[0]
    columns = [c for i, c in enumerate(candidates) if 2 <= distinct[f"c{i}"] <= max_values]  # the breakdown columns
    seg = {c: f"s{i}" for i, c in enumerate(columns)}
    scanned = (f"SELECT customer_id, ts, event{''.join(f', f{k}' for k in range(len(steps)))}"
               + "".join(f", c{candidates.index(c)} AS {seg[c]}" for c in columns)
               + f" FROM {SCAN_EVENTS} AS x WHERE ts <= {literal(as_of)}")
    day = _local_day("ts", zone)
    counts: dict[tuple[str, str | None, str | None], dict[dt.date, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0]))
    measures: list[tuple[str, str, str | None, str | None]] = []  # (measure, kind, from, to)
    segments = [None, *columns]  # the series' columns, by their index c in the grouped queries below

    if len(steps) >= 2:
        segs = "".join(f", a.{seg[c]} AS {seg[c]}" for c in columns)
        values = "".join(f", arg_min({seg[c]}, ts) AS {seg[c]}" for c in columns)
        parts = [
            f"SELECT {k} AS k, a.customer_id AS customer_id, a.t AS t{segs}, "
            f"max(CASE WHEN epoch_us(b.ts) > epoch_us(a.t) AND epoch_us(b.ts) <= epoch_us(a.t) + {micros} "
            f"THEN 1 ELSE 0 END) AS ok "
            f"FROM (SELECT customer_id, min(ts) AS t{values} FROM fl WHERE f{k} = 1 GROUP BY customer_id) AS a "
            f"LEFT JOIN (SELECT customer_id, ts FROM fl WHERE f{k + 1} = 1) AS b ON b.customer_id = a.customer_id "
            f"WHERE epoch_us(a.t) <= epoch_us({literal(as_of)}) - {micros} "
            f"GROUP BY a.customer_id, a.t{''.join(f', a.{seg[c]}' for c in columns)}"
            for k in range(len(steps) - 1)]
        engine.materialize(SCAN_UNITS, f"WITH fl AS ({scanned}) "
                           + " UNION ALL ".join(f"SELECT * FROM ({q}) AS p{i}" for i, q in enumerate(parts)))
        for k, (a, b) in enumerate(pairwise(steps)):
            measures.append((f"{a[0]} → {b[0]}", "transition", a[0], b[0]))
        local = _period_sql(_local_day("t", zone), grain)
        rows = engine.query(" UNION ALL ".join(
            f"SELECT {c} AS c, k, {local} AS d, {value} AS v, count(*) AS n, sum(ok) AS x "
            f"FROM {SCAN_UNITS} AS u GROUP BY k, {local}{group}"
            for c, (value, group) in enumerate(_group(seg.get(column)) for column in segments))).to_pylist()
        for r in rows:
            column = segments[r["c"]]
            if column and r["v"] is None:
                continue
            cell = counts[(measures[r["k"]][0], column, r["v"])][_period(r["d"], grain)]
            cell[0] += int(r["n"])
            cell[1] += int(r["x"] or 0)

    if volumes:
        firsts = "".join(f", arg_min({seg[c]}, ts) AS {seg[c]}" for c in columns)
        engine.materialize(SCAN_DAYS, f"WITH sc AS ({scanned}) SELECT customer_id, event, d{firsts} FROM ("
                           f"SELECT *, {day} AS d FROM sc WHERE event <> 'identify') AS x GROUP BY customer_id, event, d")
        names = [r["event"] for r in engine.query(
            f"SELECT DISTINCT event FROM {SCAN_DAYS} AS u ORDER BY event").to_pylist()]
        measures += [(name, "volume", None, None) for name in names]
        period = _period_sql("d", grain)
        grouped = [_group(seg.get(column)) for column in segments]
        active = engine.query(" UNION ALL ".join(
            f"SELECT {c} AS c, {period} AS d, v, sum(n) AS n FROM (SELECT d, {value} AS v, "
            f"count(DISTINCT customer_id) AS n FROM {SCAN_DAYS} AS u GROUP BY d{group}) AS a GROUP BY {period}, v"
            for c, (value, group) in enumerate(grouped))).to_pylist()
        doing = engine.query(" UNION ALL ".join(
            f"SELECT {c} AS c, event, {period} AS d, {value} AS v, count(*) AS x FROM {SCAN_DAYS} AS u "
            f"GROUP BY event, {period}{group}" for c, (value, group) in enumerate(grouped))).to_pylist()
        base: dict[tuple[int, str | None], dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
        for r in active:
            if not (r["c"] and r["v"] is None):
                base[(r["c"], r["v"])][_period(r["d"], grain)] += int(r["n"])
        seen: set[tuple[int, str, str | None]] = set()
        for r in doing:
            column = segments[r["c"]]
            if column and r["v"] is None:
                continue
            counts[(r["event"], column, r["v"])][_period(r["d"], grain)][1] += int(r["x"])
            seen.add((r["c"], r["event"], r["v"]))
        for c, name, segment in seen:
            for start, n in base[(c, segment)].items():
                counts[(name, segments[c], segment)][start][0] += n

    kinds = {m: (kind, a, b) for m, kind, a, b in measures}
    revenue = _revenue_per_buyer(engine, ev, as_of)
    rates = {m: _overall(counts[(m, None, None)]) for m, kind, _, _ in measures if kind == "transition"}
    order = [m for m, kind, _, _ in measures if kind == "transition"]
    value_at = _value_step(definition, steps)
    rows = []
    for (measure, column, value), series in counts.items():
        kind, a, b = kinds[measure]
        if since is not None:
            series = {p: c for p, c in series.items() if p >= _period(since, grain)}
        test = _scan_series(series, max_window)
        if test is None:
            continue
        onward = None
        if kind == "transition" and revenue is not None and value_at is not None:
            i = order.index(measure)
            onward = math.prod(rates[m] for m in order[i + 1:value_at]) if i < value_at else 0.0
        units = test["window_trials"] * test["change"]
        rows.append({"measure": measure, "kind": kind, "from_key": a, "to_key": b, "column": column,
                     "segment": value, **test, "q": None, "flagged": False, "units": units,
                     "value": units * onward * revenue if onward is not None else None, "rank": None})
    for r, q in zip(rows, benjamini_hochberg([r["p"] for r in rows])):
        r["q"] = q
        r["flagged"] = q <= alpha
    _rank(rows)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["measure"], r["column"] or "", r["segment"] or ""))
    points = []
    for r in rows:
        if r["flagged"]:
            for period, (n, x) in sorted(counts[(r["measure"], r["column"], r["segment"])].items()):
                low, high = wilson_interval(x, n) if n else (None, None)
                points.append({"measure": r["measure"], "column": r["column"], "segment": r["segment"],
                               "period": period, "trials": n, "successes": x, "rate": x / n if n else None,
                               "ci_low": low, "ci_high": high})
    return Scan(pa.Table.from_pylist(rows, schema=SERIES_SCHEMA), pa.Table.from_pylist(points, schema=POINTS_SCHEMA),
                grain, alpha, revenue, as_of)


def _group(column: str | None) -> tuple[str, str]:
    """(the segment value as text, the GROUP BY tail) of a segment column (None: all units)."""
    return (f"CAST({column} AS VARCHAR)", f", {column}") if column else ("CAST(NULL AS VARCHAR)", "")


def _overall(series: dict[dt.date, list[int]]) -> float:
    n = sum(c[0] for c in series.values())
    return sum(c[1] for c in series.values()) / n if n else 0.0


def _value_step(definition: FunnelDefinition, steps: list[tuple[str, str]]) -> int | None:
    """Index (in ``steps``) of the first step whose rule names ``purchase``, else the last."""
    keys = [k for k, _ in steps]
    for s in definition.steps:
        if s.key in keys and "purchase" in s.rule.events:
            return keys.index(s.key)
    return len(keys) - 1 if keys else None


def _revenue_per_buyer(engine: Engine, ev: str, as_of: dt.datetime) -> float | None:
    row = engine.query(f"WITH ev AS ({ev}) SELECT CAST(sum(revenue) AS DOUBLE) AS r, count(DISTINCT customer_id) AS n "
                       f"FROM ev WHERE revenue IS NOT NULL AND ts <= {literal(as_of)}").to_pylist()[0]
    return row["r"] / row["n"] if row["n"] else None


def _scan_series(series: dict[dt.date, list[int]], max_window: int) -> dict | None:
    """The window of 1..max_window periods with the smallest p against the rest (module
    docstring); None when the series has fewer than two periods with trials."""
    periods = sorted(p for p, c in series.items() if c[0] > 0)
    if len(periods) < 2:
        return None
    n = np.array([series[p][0] for p in periods], dtype=np.int64)
    x = np.array([series[p][1] for p in periods], dtype=np.int64)
    cn, cx = np.concatenate(([0], np.cumsum(n))), np.concatenate(([0], np.cumsum(x)))
    starts, lengths = [], []
    for length in range(1, min(max_window, len(periods) - 1) + 1):
        starts.append(np.arange(len(periods) - length + 1))
        lengths.append(np.full(len(periods) - length + 1, length))
    start, length = np.concatenate(starts), np.concatenate(lengths)
    wn, wx = cn[start + length] - cn[start], cx[start + length] - cx[start]
    rn, rx = cn[-1] - wn, cx[-1] - wx
    p, fisher = proportion_tests(wx, wn, rx, rn)
    best = int(np.argmin(p))
    s, k = int(start[best]), int(length[best])
    bn, bx, bm, by = int(wn[best]), int(wx[best]), int(rn[best]), int(rx[best])
    low, high = wilson_interval(bx, bn)
    return {"periods": len(periods), "trials": int(cn[-1]), "first": periods[s], "last": periods[s + k - 1],
            "window_trials": bn, "window_rate": bx / bn, "ci_low": low, "ci_high": high, "rest_rate": by / bm,
            "change": bx / bn - by / bm, "method": "fisher" if fisher[best] else "z",
            "p": min(1.0, float(p[best]) * len(p))}


def _rank(rows: list[dict]) -> None:
    """Rank the flagged series (module docstring): an all-units series explained by a
    flagged segment series of the same measure is left out."""
    flagged = [r for r in rows if r["flagged"]]
    explained = set()
    for r in flagged:
        if r["column"] is None:
            for s in flagged:
                if (s["measure"] == r["measure"] and s["column"] is not None and s["first"] <= r["last"]
                        and r["first"] <= s["last"] and abs(s["units"]) >= 0.5 * abs(r["units"])):
                    explained.add(id(r))
                    break
    ranked = sorted((r for r in flagged if id(r) not in explained),
                    key=lambda r: (-abs(r["value"] or 0.0), -abs(r["units"]), r["measure"], r["column"] or "",
                                   r["segment"] or ""))
    for i, r in enumerate(ranked, 1):
        r["rank"] = i


def scan_findings(scan: Scan, lang: str, model=None, currency: str | None = None) -> list:
    """One finding (``voronka.diagnose.findings.Finding``) per ranked series, first first; a
    transition's action is the first playbook action of its target stage (with a model)."""
    from voronka.diagnose.findings import Finding, _action, format_p
    from voronka.i18n import format_date, format_money, format_number, format_percent, t

    out = []
    for r in scan.flagged():
        value = ""
        if r["value"] is not None:
            money = (format_money(round(abs(r["value"])), currency, lang) if currency
                     else format_number(abs(r["value"]), lang, digits=0))
            value = t("explore.scan.value", lang, value=("+" if r["value"] > 0 else "−") + money)
        text = t(f"explore.scan.{r['kind']}", lang, measure=r["measure"], segment=_segment_text(r),
                 first=format_date(r["first"], lang), last=format_date(_last_day(r["last"], scan.grain), lang),
                 rate=format_percent(r["window_rate"], lang), low=format_percent(r["ci_low"], lang),
                 high=format_percent(r["ci_high"], lang), rest=format_percent(r["rest_rate"], lang),
                 trials=format_number(r["window_trials"], lang),
                 units=("+" if r["units"] > 0 else "−") + format_number(abs(r["units"]), lang, digits=0),
                 value=value, test=t(f"diagnose.test.{r['method']}", lang), p=format_p(r["p"], lang),
                 q=format_p(r["q"], lang))
        action = _action(model, r["to_key"], lang) if r["kind"] == "transition" else None
        out.append(Finding("change", text, {k: v for k, v in r.items() if k not in ("method", "p", "q")},
                           r["method"], r["p"], r["q"], action))
    if not out:
        out.append(Finding("no_change", t("explore.scan.none", lang, series=format_number(scan.series.num_rows, lang),
                                          alpha=format_number(scan.alpha, lang))))
    return out


def _last_day(period: dt.date, grain: str) -> dt.date:
    """The last day of the period starting on ``period``."""
    return period + dt.timedelta(days=6) if grain == "week" else period


class ScanDefinition(Definition):
    """``voronka scan`` as a record: every transition of ``funnel`` and every event volume,
    per segment and ``grain`` period (a transition counts within ``within``), windows of up
    to ``max_window`` periods, segments of columns with at most ``max_values`` values, one BH
    correction at ``alpha``; periods before ``periods_from`` left out; the first ``limit``
    findings, whose actions quote the ``playbook`` model, in ``lang``, value in ``currency``
    (docs/explore.md, *Change scan*)."""

    funnel: FunnelDefinition
    playbook: ModelName | None = None
    grain: Literal["day", "week"] = "week"
    within: Duration = "14d"
    max_values: int = Field(12, ge=2, le=1000)
    max_window: int = Field(4, ge=1, le=100)
    alpha: float = Field(0.05, gt=0, lt=1)
    periods_from: dt.date | None = None
    currency: Annotated[str, Field(max_length=8)] | None = None
    limit: int = Field(10, ge=1, le=1000)
    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source) -> Scan:
        return scan_changes(source, self.funnel, grain=self.grain, within=self.within, max_values=self.max_values,
                            max_window=self.max_window, alpha=self.alpha, since=self.periods_from,
                            as_of=source.as_of)

    def findings(self, scan: Scan, model: Any = None) -> list:
        """The first ``limit`` findings of ``scan`` (``scan_findings``); ``model``: a stage model
        already loaded, in place of ``playbook``'s."""
        from voronka.stage_models import load_model

        if model is None and self.playbook:
            model = load_model(self.playbook)
        return scan_findings(scan, self.lang, model, self.currency)[: self.limit]
