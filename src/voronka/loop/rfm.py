"""RFM loyalty scoring: recency, frequency and monetary value, scored 1–5, in named segments.

Definitions (unit: purchase occasions up to ``as_of``; one currency):

* **recency_days** = the local date of ``as_of`` − the day of the last occasion;
  **frequency** = the number of occasions; **monetary** = the revenue of all occasions.
* **Scores** are quintiles by rank, computed in the engine: customers are ranked from
  worst to best (recency: most days first; frequency and monetary: smallest first) with
  SQL ``rank()``, so **ties share the lowest rank and the same score**, and
  score = 1 + ⌊5 × (rank − 1) / N⌋ over the N scored customers. 5 is best. With 10
  customers of distinct values the scores are 1,1,2,2,3,3,4,4,5,5; if 8 of 10 bought
  once they all get F = 1 and the two who bought twice F = 5.
* **Segments** read the R and F scores on the grid below (M is reported, not used), the
  widely used R×F segment map (the same names as the segment table of the ``rfm`` R
  package, rsquaredacademy); we split its bottom-left corner into *hibernating* (R = 2)
  and *lost* (R = 1), so every cell has exactly one segment::

      F \\ R    1            2            3               4                  5
      5      cant_lose    cant_lose    loyal           loyal              champions
      4      at_risk      at_risk      loyal           loyal              champions
      3      at_risk      at_risk      need_attention  potential_loyalist potential_loyalist
      2      lost         hibernating  about_to_sleep  potential_loyalist potential_loyalist
      1      lost         hibernating  about_to_sleep  promising          new
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import Field

from voronka.columns import column
from voronka.definition import Definition, Rule
from voronka.engines import Engine
from voronka.i18n import t
from voronka.loop.occasions import PURCHASE, check_one_currency, prepare_occasions
from voronka.rules import StepRule
from voronka.source import Source
from voronka.sql import literal

RFM_TABLE = "voronka_loop_rfm"

#: segment → the (R scores, F scores) cells it holds; every one of the 25 cells once.
SEGMENTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "champions": ((5,), (4, 5)),
    "loyal": ((3, 4), (4, 5)),
    "potential_loyalist": ((4, 5), (2, 3)),
    "new": ((5,), (1,)),
    "promising": ((4,), (1,)),
    "need_attention": ((3,), (3,)),
    "about_to_sleep": ((3,), (1, 2)),
    "at_risk": ((1, 2), (3, 4)),
    "cant_lose": ((1, 2), (5,)),
    "hibernating": ((2,), (1, 2)),
    "lost": ((1,), (1, 2)),
}

CUSTOMERS_SCHEMA = pa.schema([
    ("customer_id", pa.string()), ("segment", pa.string()), ("segment_label", pa.string()),
    ("recency_days", pa.int64()), ("frequency", pa.int64()), ("monetary", pa.float64()),
    ("r", pa.int64()), ("f", pa.int64()), ("m", pa.int64()), ("last_purchase", pa.date32()),
])
SEGMENTS_SCHEMA = pa.schema([  # kinds and header keys: voronka.columns
    column("segment", pa.string(), "label"), column("label", pa.string(), "label", "loop.col.segment"),
    column("customers", pa.int64(), "count", "loop.axis.customers"),
    column("share", pa.float64(), "rate", "loop.col.share"),
    column("revenue", pa.float64(), "money", "loop.axis.revenue"),
    column("revenue_share", pa.float64(), "rate", "loop.col.revenue_share"),
    column("mean_recency_days", pa.float64(), "count", "loop.col.mean_recency_days"),
    column("mean_frequency", pa.float64(), "count", "loop.col.mean_frequency"),
    column("mean_monetary", pa.float64(), "money", "loop.col.mean_monetary"),
])


@dataclass(frozen=True)
class RFMResult:
    """``segments``: size and revenue of every segment (``SEGMENTS_SCHEMA``, all eleven,
    in ``SEGMENTS`` order); ``customers``: one row per scored customer (``CUSTOMERS_SCHEMA``),
    only those of ``segment`` when one was asked for."""

    segments: pa.Table
    customers: pa.Table
    as_of: dt.datetime


def segment_of(r: int, f: int) -> str:
    """The segment of an (R, F) score pair."""
    return next(key for key, (rs, fs) in SEGMENTS.items() if r in rs and f in fs)


def segment_case_sql(r: str = "r", f: str = "f") -> str:
    whens = " ".join(
        f"WHEN {r} IN ({', '.join(map(str, rs))}) AND {f} IN ({', '.join(map(str, fs))}) THEN {literal(key)}"
        for key, (rs, fs) in SEGMENTS.items())
    return f"CASE {whens} END"


def rfm(engine: Engine, *, segment: str | None = None, lang: str = "en", events: str | None = None,
        aliases: str | None = "aliases", purchase: StepRule = PURCHASE, timezone: str = "UTC",
        as_of: dt.datetime | None = None, currency: str | None = None) -> RFMResult:
    """RFM scores and segments of every customer with an occasion (see module)."""
    if segment is not None and segment not in SEGMENTS:
        from voronka.errors import DefinitionError

        raise DefinitionError(f"no RFM segment {segment!r} (segments: {', '.join(SEGMENTS)})", field="segment")
    occ = prepare_occasions(engine, events=events, aliases=aliases, purchase=purchase, timezone=timezone,
                            as_of=as_of, currency=currency)
    if currency is None:
        check_one_currency(engine, occ)
    today = (occ.today - dt.date(1970, 1, 1)).days

    def score(order: str) -> str:
        return f"CAST(1 + floor(5.0 * (rank() OVER (ORDER BY {order}) - 1) / n) AS BIGINT)"

    engine.materialize(RFM_TABLE, f"""
        SELECT customer_id, recency_days, frequency, monetary, last_purchase, r, f, m, {segment_case_sql()} AS segment
        FROM (SELECT customer_id, recency_days, frequency, monetary, last_purchase,
                     {score('recency_days DESC')} AS r, {score('frequency')} AS f, {score('monetary')} AS m
              FROM (SELECT customer_id, CAST({today} - max(day_number) AS BIGINT) AS recency_days,
                           CAST(count(*) AS BIGINT) AS frequency, CAST(sum(revenue) AS DOUBLE) AS monetary,
                           max(day) AS last_purchase, count(*) OVER () AS n
                    FROM {occ.days} GROUP BY customer_id) AS c) AS s""")
    sizes = {r["segment"]: r for r in engine.query(
        f"SELECT segment, count(*) AS customers, sum(monetary) AS revenue, avg(recency_days) AS recency, "
        f"avg(frequency) AS frequency, avg(monetary) AS monetary FROM {RFM_TABLE} GROUP BY segment").to_pylist()}
    customers = sum(r["customers"] for r in sizes.values())
    revenue = sum(r["revenue"] or 0.0 for r in sizes.values())
    segments = pa.Table.from_pylist([
        {"segment": key, "label": t(f"loop.segment.{key}", lang), "customers": s.get("customers", 0),
         "share": s.get("customers", 0) / customers if customers else None, "revenue": s.get("revenue") or 0.0,
         "revenue_share": (s.get("revenue") or 0.0) / revenue if revenue else None,
         "mean_recency_days": s.get("recency"), "mean_frequency": s.get("frequency"),
         "mean_monetary": s.get("monetary")}
        for key in SEGMENTS for s in [sizes.get(key, {})]], schema=SEGMENTS_SCHEMA)
    where = f" WHERE segment = {literal(segment)}" if segment else ""
    rows = engine.query(f"SELECT customer_id, segment, recency_days, frequency, monetary, r, f, m, last_purchase "
                        f"FROM {RFM_TABLE}{where} ORDER BY r DESC, f DESC, m DESC, customer_id").to_pylist()
    table = pa.Table.from_pylist([dict(r, segment_label=t(f"loop.segment.{r['segment']}", lang)) for r in rows],
                                 schema=CUSTOMERS_SCHEMA)
    return RFMResult(segments, table, occ.as_of)


__all__ = ["CUSTOMERS_SCHEMA", "SEGMENTS", "SEGMENTS_SCHEMA", "RFMResult", "RfmDefinition", "rfm", "segment_case_sql",
           "segment_of"]


class RfmDefinition(Definition):
    """``voronka rfm`` as a record: RFM scores and segments of the buyers of ``purchase`` (``a|b``
    or ``MODEL:STAGE``), revenue in ``currency`` only if given; the customers of ``segment``
    only, when one is named; segment names in ``lang`` (docs/loop.md). The zone and "now" are
    the source's."""

    segment: Literal[tuple(SEGMENTS)] | None = None  # type: ignore[valid-type]
    currency: Annotated[str, Field(max_length=8)] | None = None
    purchase: Rule = "purchase"
    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source) -> RFMResult:
        from voronka.touches import parse_rule

        return rfm(source, segment=self.segment, lang=self.lang, currency=self.currency,
                   purchase=parse_rule(self.purchase, PURCHASE, "purchase"), timezone=source.timezone,
                   as_of=source.as_of)
