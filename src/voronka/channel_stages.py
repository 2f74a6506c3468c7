"""Channel × stage: which channels bring customers into each stage, and how well each
converts onward, set against the channels the article recommends for the stage.

Definitions (docs/paths.md, "Channel × stage"):

* A customer **enters** a stage at their first event (time order, ties by ``event_id``)
  matching the stage's rule, at or before ``as_of`` (the funnel's flagged stream: a
  referral stage is entered when the n-th referred friend appears). Stages may be
  skipped: entries are counted per stage, independently.
* The **channel** of an entry: ``by="entry"`` (default) the channel of the entering event;
  ``by="first_touch"`` the channel of the customer's first event with a channel. No
  channel: ``(none)``.
* **Onward conversion** of stage k (not the last): the share of the customers entering
  k through a channel who also entered stage k + 1 at or after entering k.
* **Recommended**: the channel is in the stage's playbook (``channel_funnel``: the table
  of seeds/002_*.txt, MODELS.md section 4).
* **Flags** (stages with a next stage; channels with at least ``min_customers`` entries):
  ``recommended_worse``: a recommended channel converting onward lower than the rest of
  the stage's entries (all other channels together), significantly (two-sided
  two-proportion z-test, p < ``alpha``); ``unrecommended_best``: a channel not
  recommended with the highest onward rate of the stage's eligible channels, higher
  than the rest of the stage, significantly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from voronka.definition import Definition, ModelName

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from voronka.columns import column
from voronka.engines import Engine
from voronka.errors import DefinitionError
from voronka.funnel.spec import build_funnel
from voronka.funnel.sql import flagged_sql
from voronka.source import Source, event_sources, latest_event
from voronka.sql import literal
from voronka.stage_models import load_model
from voronka.stats import two_proportion_ztest

ENTRIES_TABLE = "voronka_stage_entries"
NONE = "(none)"

CHANNEL_STAGE_SCHEMA = pa.schema([  # kinds: voronka.columns
    column("stage", pa.string(), "label"), column("stage_label", pa.string(), "label"),
    column("stage_number", pa.int64(), "label"), column("channel", pa.string(), "label"),
    column("customers", pa.int64(), "count"), column("share_of_stage", pa.float64(), "rate"),
    column("converted", pa.int64(), "count"), column("conversion_rate", pa.float64(), "rate"),
    column("stage_rate", pa.float64(), "rate"), ("p_value", pa.float64()),
    ("recommended", pa.bool_()), column("flag", pa.string(), "label"),
])


@dataclass(frozen=True)
class ChannelStages:
    """``table``: one row per stage and channel (``CHANNEL_STAGE_SCHEMA``), stages in model
    order, channels by entries."""

    model: str
    by: str
    table: pa.Table
    as_of: dt.datetime

    @property
    def flagged(self) -> pa.Table:
        return self.table.filter(pc.not_equal(self.table.column("flag"), ""))


def entries_sql(model: str, events: str, aliases: str | None, as_of: dt.datetime,
                by: Literal["entry", "first_touch"]) -> str:
    """One row per customer and stage entered: customer_id, stage (0-based), ts, channel."""
    defn = build_funnel({"model": model})
    ctes, stream = flagged_sql(defn, events, aliases)
    per_stage = " UNION ALL ".join(
        f"SELECT customer_id, {k} AS stage, ts, channel FROM (SELECT customer_id, ts, channel, row_number() OVER "
        f"(PARTITION BY customer_id ORDER BY ts, event_id) AS r FROM st WHERE m{k}) AS x{k} WHERE r = 1"
        for k in range(len(defn.steps)))
    channel = "e.channel"
    join = ""
    if by == "first_touch":
        channel = "ft.channel"
        join = ("LEFT JOIN (SELECT customer_id, channel FROM (SELECT customer_id, channel, row_number() OVER "
                "(PARTITION BY customer_id ORDER BY ts, event_id) AS r FROM ev WHERE channel <> '' "
                f"AND ts <= {literal(as_of)}) AS t WHERE r = 1) AS ft ON ft.customer_id = e.customer_id")
    return (
        "WITH " + ",\n".join(ctes) + f",\nst AS (SELECT * FROM ({stream}) AS s WHERE ts <= {literal(as_of)}),\n"
        f"entered AS ({per_stage})\n"
        f"SELECT e.customer_id AS customer_id, e.stage AS stage, e.ts AS ts, "
        f"CASE WHEN {channel} <> '' THEN {channel} ELSE {literal(NONE)} END AS channel FROM entered AS e {join}"
    )


def compute_channel_stages(
    engine: Engine,
    model: str = "channel_funnel",
    *,
    by: Literal["entry", "first_touch"] = "entry",
    lang: str = "en",
    min_customers: int = 30,
    alpha: float = 0.05,
    as_of: dt.datetime | None = None,
    events: str | None = None,
    aliases: str | None = "aliases",
) -> ChannelStages:
    """Entries and onward conversion per stage and channel, with the recommendation flags."""
    if by not in ("entry", "first_touch"):
        raise DefinitionError(f"by {by!r}: use entry or first_touch", field="by")
    stage_model = load_model(model)
    events, aliases = event_sources(engine, events, aliases)
    as_of = as_of or latest_event(engine, events)
    engine.materialize(ENTRIES_TABLE, entries_sql(model, events, aliases, as_of, by))
    counts = engine.query(
        f"SELECT e.stage AS stage, e.channel AS channel, count(*) AS customers, "
        f"count(CASE WHEN n.ts >= e.ts THEN 1 END) AS converted FROM {ENTRIES_TABLE} AS e "
        f"LEFT JOIN {ENTRIES_TABLE} AS n ON n.customer_id = e.customer_id AND n.stage = e.stage + 1 "
        f"GROUP BY e.stage, e.channel").to_pylist()
    last = len(stage_model.stages) - 1
    rows = []
    for k, stage in enumerate(stage_model.stages):
        cells = sorted((r for r in counts if r["stage"] == k), key=lambda r: (-r["customers"], r["channel"]))
        total = sum(r["customers"] for r in cells)
        total_converted = sum(r["converted"] for r in cells)
        recommended = set(stage.playbook.channels)
        stage_rows = []
        for r in cells:
            onward = k < last
            rest_n, rest_x = total - r["customers"], total_converted - r["converted"]
            stage_rows.append({
                "stage": stage.key, "stage_label": stage.label(lang), "stage_number": k + 1,
                "channel": r["channel"], "customers": r["customers"], "share_of_stage": r["customers"] / total,
                "converted": r["converted"] if onward else None,
                "conversion_rate": r["converted"] / r["customers"] if onward else None,
                "stage_rate": total_converted / total if onward else None,
                "p_value": two_proportion_ztest(r["converted"], r["customers"], rest_x, rest_n)[1]
                if onward and rest_n else None,
                "recommended": r["channel"] in recommended, "flag": "",
            })
        _flag(stage_rows, min_customers, alpha)
        rows += stage_rows
    return ChannelStages(stage_model.key, by, pa.Table.from_pylist(rows, schema=CHANNEL_STAGE_SCHEMA), as_of)


def _flag(rows: list[dict], min_customers: int, alpha: float) -> None:
    """Set ``flag`` on the rows of one stage (see the module docstring)."""
    eligible = [r for r in rows if r["conversion_rate"] is not None and r["customers"] >= min_customers
                and r["p_value"] is not None]
    if not eligible:
        return
    best = max(r["conversion_rate"] for r in eligible)
    for r in eligible:
        significant = r["p_value"] < alpha
        above = r["conversion_rate"] > r["stage_rate"]
        if r["recommended"] and significant and not above:
            r["flag"] = "recommended_worse"
        elif not r["recommended"] and significant and above and r["conversion_rate"] == best:
            r["flag"] = "unrecommended_best"


def heatmap_figure(result: ChannelStages, title: str = "", lang: str = "en"):
    """A plotly heatmap: stages (rows, model order, the last stage left out: no onward rate)
    × channels (columns, by entries); the colour is the onward conversion rate; ★ marks a
    recommended channel, ⚑ a flagged cell; the hover shows entries and share."""
    from voronka import figure as plot

    from voronka.i18n import format_percent

    rows = [r for r in result.table.to_pylist() if r["conversion_rate"] is not None]
    stages = list(dict.fromkeys(r["stage_label"] for r in rows))
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["channel"]] = totals.get(r["channel"], 0) + r["customers"]
    channels = sorted(totals, key=lambda c: (-totals[c], c))
    cell = {(r["stage_label"], r["channel"]): r for r in rows}
    z, text, hover = [], [], []
    for s in stages:
        z.append([cell[s, c]["conversion_rate"] if (s, c) in cell else None for c in channels])
        text.append([_cell_text(cell.get((s, c)), lang) for c in channels])
        hover.append([f"{s} · {c}<br>n = {cell[s, c]['customers']}, "
                      f"{format_percent(cell[s, c]['share_of_stage'], lang)}" if (s, c) in cell else ""
                      for c in channels])
    figure = plot.Figure(plot.Heatmap(z=z, x=channels, y=stages, text=text, texttemplate="%{text}",
                                      hovertext=hover, hoverinfo="text", colorscale="Blues", zmin=0,
                                      colorbar={"tickformat": ".0%"}))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=title or None, height=120 + 60 * len(stages),
                         margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def _cell_text(row: dict | None, lang: str) -> str:
    if row is None:
        return ""
    from voronka.i18n import format_percent

    marks = ("★" if row["recommended"] else "") + ("⚑" if row["flag"] else "")
    return f"{format_percent(row['conversion_rate'], lang, 0)}{' ' + marks if marks else ''}"


class ChannelsDefinition(Definition):
    """``voronka channels`` as a record: for each stage of ``model``, the channels units entered
    through (``by``: the entering event's channel, or the first touch's), flagged against the
    article's recommendation from ``min_customers`` entries at level ``alpha`` (docs/paths.md)."""

    model: ModelName = "channel_funnel"
    by: Literal["entry", "first_touch"] = "entry"
    min_customers: int = Field(30, ge=1, le=1_000_000)
    alpha: float = Field(0.05, gt=0, lt=1)
    lang: Literal["en", "ru", "kk"] = "en"

    def compute(self, source: Source) -> ChannelStages:
        return compute_channel_stages(source, self.model, by=self.by, lang=self.lang,
                                      min_customers=self.min_customers, alpha=self.alpha, as_of=source.as_of)
