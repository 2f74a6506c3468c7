"""Conversion paths, built inside the engine: one path per conversion, plus the paths that
did not convert.

Definition (docs/attribution.md, "Paths"):

* A **conversion** is an event matching the conversion rule (default: ``purchase``), read
  through the alias map; a customer's conversions are numbered 1, 2, … in time order
  (equal timestamps by ``event_id``). ``first_only`` keeps conversion 1 only.
* A **touch** is an event with a channel (``touches.TOUCH``: not null, not empty), matching
  the ``touch`` rule too when one is given, that is not a conversion event.
* The **path of a conversion** is the customer's touches at or before the conversion,
  after the previous counted conversion (strictly), and at most ``lookback`` before it.
  A touch at the same instant as the conversion belongs to it. A conversion may have an
  empty path (no touch in the window): it counts, but no channel gets credit for it.
* The **non-converting path** of a customer is their touches after their last counted
  conversion (all touches if none; with ``first_only`` only customers who never
  converted have one), at most ``lookback`` before the last of those touches.
* ``revenue`` is the conversion event's revenue (NULL is 0), in its ``currency``.

The engine resolves identities, numbers conversions, windows and joins; Python receives
one row per conversion and one per touch kept, and assembles them in time order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from voronka.attribution.path import ConversionPath
from voronka.duration import micros
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.rules import PURCHASE, StepRule
from voronka.source import event_sources
from voronka.sql import resolved_events, rule_predicate
from voronka.touches import TOUCH, positive_duration

NO_CAMPAIGN = "(no campaign)"

JOURNEYS_SCHEMA = pa.schema([
    ("customer_id", pa.string()), ("path_number", pa.int64()), ("converted", pa.bool_()),
    ("ts", pa.timestamp("us")), ("revenue", pa.float64()), ("currency", pa.string()),
    ("channels", pa.list_(pa.string())), ("campaigns", pa.list_(pa.string())),
    ("touched_at", pa.list_(pa.timestamp("us"))), ("ages", pa.list_(pa.float64())),
])
"""One row per path: ``path_number`` is the conversion's number (0: the non-converting
path), ``ts`` the conversion time (NULL when not converted), ``ages`` the seconds from
each touch to the conversion (to the last touch for a non-converting path)."""


def journeys_sql(events: str, aliases: str | None, *, conversion: StepRule = PURCHASE,
                 touch: StepRule | None = None, first_only: bool = False,
                 lookback: dt.timedelta = dt.timedelta(days=30)) -> tuple[str, str]:
    """Two queries (DuckDB dialect): the counted conversions (``customer_id``,
    ``path_number``, ``ts``, ``revenue``, ``currency``) and the touches kept
    (``customer_id``, ``path_number``, ``event_id``, ``ts``, ``channel``, ``campaign``,
    ``age_seconds``; ``path_number`` 0 for non-converting paths)."""
    if conversion.min_purchases not in (None, 1) or conversion.min_referrals is not None:
        raise DefinitionError(f"{conversion.describe()}: every matching event is a conversion here, so a rule "
                              "counting purchases or referrals cannot be one", field="conversion")
    is_conversion = rule_predicate(conversion)
    touch_where = rule_predicate(TOUCH) + (f" AND {rule_predicate(touch)}" if touch else "")
    window = micros(lookback)
    ctes = f"""WITH ev AS ({resolved_events(events, aliases)}),
    numbered AS (SELECT customer_id, event_id, ts, CAST(COALESCE(revenue, 0) AS DOUBLE) AS revenue, currency,
                        row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS n
                 FROM ev WHERE {is_conversion}),
    counted AS (SELECT customer_id, ts, revenue, currency, n,
                       lag(ts) OVER (PARTITION BY customer_id ORDER BY n) AS previous_ts
                FROM numbered{' WHERE n = 1' if first_only else ''}),
    touches AS (SELECT customer_id, event_id, ts, channel, campaign FROM ev
                WHERE {touch_where} AND NOT ({is_conversion}))"""
    conversions = (f"{ctes}\nSELECT customer_id, CAST(n AS BIGINT) AS path_number, ts, revenue, currency "
                   "FROM counted")
    after_last = "l.last_ts IS NULL" if first_only else "(l.last_ts IS NULL OR t.ts > l.last_ts)"
    touches = f"""{ctes},
    last_conversion AS (SELECT customer_id, max(ts) AS last_ts FROM counted GROUP BY customer_id),
    tail AS (SELECT t.customer_id AS customer_id, t.event_id AS event_id, t.ts AS ts, t.channel AS channel,
                    t.campaign AS campaign, max(t.ts) OVER (PARTITION BY t.customer_id) AS end_ts
             FROM touches AS t LEFT JOIN last_conversion AS l ON l.customer_id = t.customer_id
             WHERE {after_last})
    SELECT c.customer_id AS customer_id, CAST(c.n AS BIGINT) AS path_number, t.event_id AS event_id, t.ts AS ts,
           t.channel AS channel, t.campaign AS campaign,
           (epoch_us(c.ts) - epoch_us(t.ts)) / 1e6 AS age_seconds
    FROM counted AS c JOIN touches AS t ON t.customer_id = c.customer_id
    WHERE t.ts <= c.ts AND (c.previous_ts IS NULL OR t.ts > c.previous_ts)
      AND epoch_us(c.ts) - epoch_us(t.ts) <= {window}
    UNION ALL
    SELECT customer_id, CAST(0 AS BIGINT) AS path_number, event_id, ts, channel, campaign,
           (epoch_us(end_ts) - epoch_us(ts)) / 1e6 AS age_seconds
    FROM tail WHERE epoch_us(end_ts) - epoch_us(ts) <= {window}"""
    return conversions, touches


def conversion_journeys(
    engine: Engine,
    *,
    conversion: StepRule = PURCHASE,
    touch: StepRule | None = None,
    first_only: bool = False,
    lookback: str | dt.timedelta = "30d",
    include_non_converting: bool = True,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> pa.Table:
    """The paths of every conversion (and, by default, the non-converting paths), one row
    each in ``JOURNEYS_SCHEMA``, ordered by customer and path number (module docstring)."""
    events, aliases = event_sources(engine, events, aliases)
    window = positive_duration(lookback)
    conversions_sql, touches_sql = journeys_sql(events, aliases, conversion=conversion, touch=touch,
                                                first_only=first_only, lookback=window)
    conversions = engine.query(conversions_sql)
    touches = engine.query(touches_sql).sort_by(
        [("customer_id", "ascending"), ("path_number", "ascending"), ("ts", "ascending"), ("event_id", "ascending")])
    if not include_non_converting:
        touches = touches.filter(pc.not_equal(touches.column("path_number"), 0))
    return _assemble(conversions, touches)


def _assemble(conversions: pa.Table, touches: pa.Table) -> pa.Table:
    """One row per path: the touches (sorted by path, then time) cut into lists at each
    change of (customer, path number), matched with their conversion (vectorised)."""
    n = touches.num_rows
    customer = touches.column("customer_id").combine_chunks()
    number = touches.column("path_number").combine_chunks()
    if n:
        changed = pc.or_(pc.not_equal(customer[1:], customer[:-1]), pc.not_equal(number[1:], number[:-1]))
        starts = np.concatenate([[0], np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1])
    else:
        starts = np.zeros(0, dtype=np.int64)
    offsets = pa.array(np.append(starts, n), pa.int32())
    columns = {name: pa.ListArray.from_arrays(offsets, touches.column(column).combine_chunks())
               for name, column in (("channels", "channel"), ("campaigns", "campaign"), ("touched_at", "ts"),
                                    ("ages", "age_seconds"))}
    keys = list(zip(customer.take(starts).to_pylist(), number.take(starts).to_pylist()))
    conversion = {(r["customer_id"], r["path_number"]): r for r in conversions.to_pylist()}
    touched = set(keys)
    untouched = [r for key, r in conversion.items() if key not in touched]
    rows = [conversion.get(k) for k in keys] + untouched
    table = pa.table({
        "customer_id": [k[0] for k in keys] + [r["customer_id"] for r in untouched],
        "path_number": pa.array([k[1] for k in keys] + [r["path_number"] for r in untouched], pa.int64()),
        "converted": pa.array([r is not None for r in rows], pa.bool_()),
        "ts": pa.array([r["ts"] if r else None for r in rows], pa.timestamp("us")),
        "revenue": pa.array([float(r["revenue"] or 0.0) if r else 0.0 for r in rows], pa.float64()),
        "currency": pa.array([r["currency"] if r else None for r in rows], pa.string()),
        **{name: pa.concat_arrays([arr.cast(JOURNEYS_SCHEMA.field(name).type),
                                   pa.array([[]] * len(untouched), JOURNEYS_SCHEMA.field(name).type)])
           for name, arr in columns.items()},
    }, schema=JOURNEYS_SCHEMA)
    return table.sort_by([("customer_id", "ascending"), ("path_number", "ascending")])


def touch_label(channel: str, campaign: str | None, by: str) -> str:
    """What a touch is credited to: its channel, or ``channel / campaign`` with ``by="campaign"``."""
    return channel if by == "channel" else f"{channel} / {campaign or NO_CAMPAIGN}"


def journeys_to_paths(journeys: pa.Table | Iterable[dict], by: str = "channel") -> list[ConversionPath]:
    """Each journey as a ``ConversionPath`` (one conversion, or one null), touches labelled by ``by``."""
    table = journeys if isinstance(journeys, pa.Table) else pa.Table.from_pylist(list(journeys), JOURNEYS_SCHEMA)
    columns = {name: table.column(name).to_pylist() for name in ("converted", "revenue", "currency")}
    columns.update({name: _tuples(table.column(name)) for name in ("channels", "campaigns", "ages")})
    if by == "channel":
        labels = columns["channels"]
    else:
        labels = [tuple(touch_label(c, k, by) for c, k in zip(cs, ks))
                  for cs, ks in zip(columns["channels"], columns["campaigns"])]
    return [
        ConversionPath(label, conversions=1.0 if converted else 0.0, value=revenue if converted else 0.0,
                       nulls=0.0 if converted else 1.0, currency=currency, ages=ages)
        for label, converted, revenue, currency, ages in zip(
            labels, columns["converted"], columns["revenue"], columns["currency"], columns["ages"])
    ]


def _tuples(column: pa.ChunkedArray) -> list[tuple]:
    """A list column as Python tuples, from its flat values and offsets (much faster than
    ``to_pylist`` on lists)."""
    out: list[tuple] = []
    for chunk in column.chunks:
        values, offsets = chunk.flatten().to_pylist(), chunk.offsets.to_numpy() - chunk.offsets[0].as_py()
        out.extend(tuple(values[a:b]) for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist()))
    return out
