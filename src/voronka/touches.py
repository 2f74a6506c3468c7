"""Touches before conversion: how many marketing contacts a customer had before buying.

Definitions (docs/paths.md, "Touches"):

* A **touch** is an event matching the touch rule; by default ``TOUCH`` = an event with a
  channel (``channel`` not null and not empty): an ad view, a site visit from a campaign,
  a consultation booked through a channel. Any ``StepRule`` may replace it.
* **Conversion** is a customer's first event (in time order; equal timestamps ordered by
  ``event_id``) matching the conversion rule, at or before ``as_of``; by default
  ``PURCHASE``, the first purchase. A stage of a model (``"hourglass:try"``) or any rule
  may replace it; rules counting referrals (``min_referrals``) cannot, since they are not
  the customer's own events.
* The **window end** of a converted customer is the conversion; of a customer who has
  not converted by ``as_of``, their last touch at or before ``as_of`` (the point where
  they stopped: counting up to ``as_of`` instead would give people who left long ago
  zero touches).
* **Touches before conversion**: touches strictly before the window end in event order
  (the conversion event is never counted, even when it is a touch) for converters; every
  touch up to and including the last one for the others; in both cases only those at or
  after window end − ``lookback`` (default 30 days; ``None``: no limit). **Distinct
  channels**: the number of different non-empty channels among those touches.
* **Conversion rate by touch count** k: converters with k touches / customers with k
  touches. Counts of ``cap`` (default 10) or more share one bucket ``10+``.
* ``among``: only customers with an event matching this rule before their conversion (or
  ever, up to ``as_of``, for the others), e.g. ``trial``: "among those who got the offer".

Example: events a ad_view(tv) → a site_visit(digital) → a purchase(digital): a converted
with 2 touches, 2 channels. b ad_view(tv) → b ad_view(tv): not converted, 2 touches, 1
channel. Rate for 2 touches: 1 / 2.

Source: "5–7 touchpoints before a paid offer" (seeds/003_*.txt, MODELS.md section 5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from pydantic import Field

from voronka.columns import column
from voronka.definition import Definition, Lookback, Rule
from voronka.duration import micros, parse_duration
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.rules import PURCHASE, Condition, StepRule
from voronka.source import Source, event_sources, latest_event
from voronka.sql import literal, resolved_events, rule_predicate
from voronka.stats import wilson_interval

TOUCH = StepRule(where=(Condition(field="channel", op="ne", value=""),))
"""The default touch: an event with a channel."""

RANGES: tuple[tuple[int, int | None], ...] = ((0, 4), (5, 7), (8, None))
"""The article's touch-count ranges: fewer than five, 5–7, eight or more."""

TOUCHES_TABLE = "voronka_touches"


def parse_rule(text: str | StepRule | None, default: StepRule, field: str = "conversion", *,
               files: bool = True) -> StepRule:
    """A rule from the command line: ``purchase``, ``trial|purchase`` (any of these events),
    or ``MODEL:STAGE`` (that stage's rule, e.g. ``hourglass:try``); a rule stays as it is.
    Errors name ``field``; ``files=False``: MODEL by built-in name only."""
    if text is None:
        return default
    if isinstance(text, StepRule):
        return text
    if ":" in text:
        from voronka.stage_models import load_model

        model_name, stage = text.rsplit(":", 1)
        model = load_model(model_name, files=files)
        if stage not in model.keys:
            raise DefinitionError(f"no stage {stage!r} in {model.key} (stages: {', '.join(model.keys)})",
                                  field=field)
        return model.stage(stage).rule
    names = tuple(n.strip() for n in text.split("|") if n.strip())
    if not names:
        raise DefinitionError(f"{text!r}: name an event, events a|b, or MODEL:STAGE", field=field)
    return StepRule(events=names)


def rule_flag_sql(rule: StepRule, field: str = "conversion") -> str:
    """SQL true for an event matching ``rule``, with its ``min_purchases`` ordinal (the n-th
    or later matching event of the customer); read over the resolved events."""
    if rule.min_referrals is not None:
        raise DefinitionError(f"{rule.describe()}: a referral rule is not an event of the customer "
                              "and cannot be used here", field=field)
    predicate = f"COALESCE({rule_predicate(rule)}, FALSE)"
    if rule.min_purchases and rule.min_purchases > 1:
        running = (f"sum(CASE WHEN {predicate} THEN 1 ELSE 0 END) OVER (PARTITION BY customer_id "
                   "ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING)")
        return f"({predicate} AND {running} >= {rule.min_purchases})"
    return predicate


def positive_duration(value: str | dt.timedelta, field: str = "lookback") -> dt.timedelta:
    """``value`` (``30d``, a timedelta) as a positive duration; errors name ``field``."""
    try:
        delta = parse_duration(value)
    except ValueError as exc:
        raise DefinitionError(str(exc), field=field) from None
    if delta.total_seconds() <= 0:
        raise DefinitionError(f"{field} must be positive, e.g. 30d", field=field)
    return delta


def lookback_micros(lookback: str | dt.timedelta | None) -> int | None:
    """A lookback in microseconds (None: no limit)."""
    return None if lookback is None else micros(positive_duration(lookback))


def touches_sql(events: str, aliases: str | None, *, touch: StepRule, conversion: StepRule,
                as_of: dt.datetime, lookback: int | None, among: StepRule | None = None) -> str:
    """One row per customer with an event at or before ``as_of``: customer_id, converted
    (1/0), touches, channels (see the module docstring). ``lookback`` in microseconds."""
    among_flag = rule_flag_sql(among, "among") if among is not None else "TRUE"
    in_window = "f.seq < w.stop" + (
        "" if lookback is None else f" AND epoch_us(f.ts) >= epoch_us(w.end_ts) - {lookback}")
    among_filter = "" if among is None else "WHERE among = 1"
    return f"""
    WITH ev AS ({resolved_events(events, aliases)}),
    f AS (SELECT customer_id, ts, event_id, channel,
                 {rule_flag_sql(touch, "touch")} AS is_touch, {rule_flag_sql(conversion)} AS is_conv,
                 {among_flag} AS is_among,
                 row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS seq
          FROM ev WHERE ts <= {literal(as_of)}),
    ends AS (SELECT customer_id, min(CASE WHEN is_conv THEN seq END) AS conv_seq,
                    max(CASE WHEN is_touch THEN seq END) AS last_seq
             FROM f GROUP BY customer_id),
    w AS (SELECT ends.customer_id AS customer_id,
                 CASE WHEN ends.conv_seq IS NOT NULL THEN 1 ELSE 0 END AS converted,
                 COALESCE(ends.conv_seq, ends.last_seq + 1) AS stop, x.ts AS end_ts
          FROM ends LEFT JOIN f AS x
            ON x.customer_id = ends.customer_id AND x.seq = COALESCE(ends.conv_seq, ends.last_seq)),
    per AS (SELECT w.customer_id AS customer_id, w.converted AS converted,
                   count(CASE WHEN f.is_touch AND {in_window} THEN 1 END) AS touches,
                   count(DISTINCT CASE WHEN f.is_touch AND {in_window} AND f.channel <> '' THEN f.channel END)
                     AS channels,
                   max(CASE WHEN f.is_among AND (w.converted = 0 OR f.seq < w.stop) THEN 1 ELSE 0 END) AS among
            FROM w JOIN f ON f.customer_id = w.customer_id
            GROUP BY w.customer_id, w.converted)
    SELECT customer_id, converted, touches, channels FROM per {among_filter}"""


@dataclass(frozen=True)
class TouchesResult:
    """``by_touches`` and ``by_channels``: per bucket (0, 1, …, ``cap``+) customers,
    converted, conversion_rate and each group's share; ``by_range``: the article's ranges
    with a Wilson 95 % interval; ``summary``: per group (converted / not) customers, mean
    and median touches, mean channels."""

    by_touches: pa.Table
    by_channels: pa.Table
    by_range: pa.Table
    summary: pa.Table
    as_of: dt.datetime
    lookback: dt.timedelta | None


BUCKET_SCHEMA = pa.schema([  # kinds: voronka.columns
    column("bucket", pa.int64(), "label"), column("label", pa.string(), "label"),
    column("customers", pa.int64(), "count"), column("converted", pa.int64(), "count"),
    *(column(c, pa.float64(), "rate") for c in ("conversion_rate", "share_of_converted", "share_of_not_converted")),
])
RANGE_SCHEMA = pa.schema([
    column("range", pa.string(), "label"), column("customers", pa.int64(), "count"),
    column("converted", pa.int64(), "count"),
    *(column(c, pa.float64(), "rate") for c in ("conversion_rate", "ci_low", "ci_high")),
])
SUMMARY_SCHEMA = pa.schema([
    ("converted", pa.bool_()), ("customers", pa.int64()), ("mean_touches", pa.float64()),
    ("median_touches", pa.float64()), ("mean_channels", pa.float64()),
])


def compute_touches(
    engine: Engine,
    *,
    touch: StepRule | None = None,
    conversion: str | StepRule | None = None,
    lookback: str | dt.timedelta | None = "30d",
    among: str | StepRule | None = None,
    cap: int = 10,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> TouchesResult:
    """Touches and distinct channels before conversion, and conversion by touch count.

    The per-customer table is built and kept inside the engine (``voronka_touches``);
    only the counts per touch number come back.
    """
    if cap < 1:
        raise DefinitionError("cap must be at least 1", field="cap")
    window = None if lookback is None else positive_duration(lookback)
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    sql = touches_sql(events, aliases, touch=touch or TOUCH, conversion=parse_rule(conversion, PURCHASE),
                      as_of=as_of, lookback=lookback_micros(window),
                      among=None if among is None else parse_rule(among, PURCHASE, "among"))
    engine.materialize(TOUCHES_TABLE, sql)
    counts = {}
    for column in ("touches", "channels"):
        counts[column] = engine.query(
            f"SELECT {column} AS k, count(*) AS customers, sum(converted) AS converted "
            f"FROM {TOUCHES_TABLE} GROUP BY {column} ORDER BY k").to_pylist()
    summary = engine.query(
        f"SELECT converted, count(*) AS customers, avg(touches) AS mean_touches, "
        f"median(touches) AS median_touches, avg(channels) AS mean_channels "
        f"FROM {TOUCHES_TABLE} GROUP BY converted ORDER BY converted DESC").to_pylist()
    return TouchesResult(
        by_touches=bucket_table(counts["touches"], cap),
        by_channels=bucket_table(counts["channels"], cap),
        by_range=range_table(counts["touches"]),
        summary=pa.Table.from_pylist(
            [dict(r, converted=bool(r["converted"]), median_touches=float(r["median_touches"])) for r in summary],
            schema=SUMMARY_SCHEMA),
        as_of=as_of,
        lookback=window,
    )


def bucket_table(rows: list[dict], cap: int) -> pa.Table:
    """Counts per exact k → buckets 0 … cap−1 and ``cap+``, with rates and group shares."""
    buckets: dict[int, list[int]] = {}
    for r in rows:
        b = min(int(r["k"]), cap)
        got = buckets.setdefault(b, [0, 0])
        got[0] += int(r["customers"])
        got[1] += int(r["converted"] or 0)
    converted = sum(c for _, c in buckets.values())
    others = sum(n - c for n, c in buckets.values())
    return pa.Table.from_pylist([
        {"bucket": b, "label": f"{b}+" if b == cap else str(b), "customers": n, "converted": c,
         "conversion_rate": c / n, "share_of_converted": c / converted if converted else None,
         "share_of_not_converted": (n - c) / others if others else None}
        for b, (n, c) in sorted(buckets.items())
    ], schema=BUCKET_SCHEMA)


def range_table(rows: list[dict], ranges: tuple[tuple[int, int | None], ...] = RANGES) -> pa.Table:
    """Counts per exact touch number → the ``ranges`` (inclusive; None: no upper end)."""
    out = []
    for low, high in ranges:
        inside = [r for r in rows if r["k"] >= low and (high is None or r["k"] <= high)]
        n = sum(int(r["customers"]) for r in inside)
        c = sum(int(r["converted"] or 0) for r in inside)
        lo, hi = wilson_interval(c, n) if n else (None, None)
        out.append({"range": f"{low}–{high}" if high is not None else f"{low}+", "customers": n, "converted": c,
                    "conversion_rate": c / n if n else None, "ci_low": lo, "ci_high": hi})
    return pa.Table.from_pylist(out, schema=RANGE_SCHEMA)


class TouchesDefinition(Definition):
    """``voronka touches`` as a record: the conversion (``a|b`` or ``MODEL:STAGE``, default
    purchase), touches counted ``lookback`` before it (``all``: no limit), only customers with
    ``among`` before converting, and the last bucket ``cap`` touches or more (docs/paths.md)."""

    conversion: Rule | None = None
    lookback: Lookback = "30d"
    among: Rule | None = None
    cap: int = Field(10, ge=1, le=1000)

    def compute(self, source: Source) -> TouchesResult:
        return compute_touches(source, conversion=self.conversion,
                               lookback=None if self.lookback == "all" else self.lookback, among=self.among,
                               cap=self.cap, as_of=source.as_of)
