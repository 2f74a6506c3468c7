"""A seeded, realistic synthetic event log written as Parquet, in chunks (numpy/Arrow only).

    uv run python benchmarks/generate.py --events 50000000 --out /tmp/voronka-bench

The log, in the canonical ``events`` schema:

* customers: one per 25 events on average, with skewed activity (a customer's share of
  events ~ Pareto, so a few customers have thousands of events and most have a handful);
* timestamps: whole seconds over 2026; each customer's events cluster around their own
  anchor day (spread of a few weeks), so 7-day funnels do convert;
* 20 event names (``NAMES``), skewed: page views and ad views dominate, the funnel steps
  (``FUNNEL``: site_visit → lead_magnet → consultation → trial → purchase) are a few;
* channels: each customer has a home channel (80% of their events), the rest random;
* noise: about 1% of rows repeat the previous row's customer, event and second (a second
  row, another ``event_id``: equal timestamps), and rows are written in time order per
  chunk with about 2% displaced (out of order in the file).

Chunks of ``--chunk`` rows are generated and written one at a time, so memory stays flat.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from voronka.schema import EVENTS

FUNNEL = ["site_visit", "lead_magnet", "consultation", "trial", "purchase"]
NAMES = [
    "page_view", "ad_view", "content_view", "site_visit", "email_open", "app_open", "search",
    "lead_magnet", "compare", "callback_request", "consultation", "trial", "purchase", "feedback",
    "support_contact", "complaint", "complaint_resolved", "winback_offer", "loyalty_join", "referral_invite",
]
WEIGHTS = np.array([24, 18, 12, 9, 8, 6, 5, 3.5, 3, 2, 2.2, 1.6, 1.2, 1, 1, 0.5, 0.4, 0.6, 0.5, 0.5])
CHANNELS = ["tv", "radio", "print", "ooh", "digital", "mobile", "pos", "direct_mail", "wom"]
START = np.datetime64("2026-01-01T00:00:00", "s")
YEAR = 365 * 86400


def path_for(events: int, seed: int, directory: Path) -> Path:
    return directory / f"events-{events}-{seed}.parquet"


def generate(events: int, seed: int, directory: Path, chunk: int = 5_000_000) -> Path:
    """Write the log of ``events`` rows (seeded) into ``directory``; reuse it if there."""
    path = path_for(events, seed, directory)
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    customers = max(events // 25, 1)
    activity = rng.pareto(1.2, customers) + 0.05
    cumulative = np.cumsum(activity / activity.sum())
    anchor = rng.integers(0, YEAR, customers)
    spread = rng.choice([86400 * 3, 86400 * 14, 86400 * 45], customers, p=[0.3, 0.5, 0.2])
    home = rng.integers(0, len(CHANNELS), customers)
    names = pa.array(NAMES)
    channels = pa.array(CHANNELS)
    probabilities = WEIGHTS / WEIGHTS.sum()
    tmp = path.with_suffix(".partial")
    with pq.ParquetWriter(tmp, EVENTS.schema) as writer:
        for first in range(0, events, chunk):
            rows = min(chunk, events - first)
            cust = np.minimum(np.searchsorted(cumulative, rng.random(rows)), customers - 1)
            offset = np.abs(rng.normal(0, 1, rows)) * spread[cust]
            ts = np.clip(anchor[cust] + offset.astype(np.int64), 0, YEAR - 1)
            name = rng.choice(len(NAMES), rows, p=probabilities)
            channel = np.where(rng.random(rows) < 0.8, home[cust], rng.integers(0, len(CHANNELS), rows))
            order = np.argsort(ts, kind="stable")
            cust, ts, name, channel = cust[order], ts[order], name[order], channel[order]
            repeat = np.flatnonzero(rng.random(rows) < 0.01)
            repeat = repeat[repeat > 0]
            cust[repeat], ts[repeat], name[repeat] = cust[repeat - 1], ts[repeat - 1], name[repeat - 1]
            displaced = np.flatnonzero(rng.random(rows) < 0.02)
            swap = rng.permutation(displaced)
            for column in (cust, ts, name, channel):
                column[displaced] = column[swap]
            table = _table(rng, rows, first, cust, ts, name, channel, names, channels)
            writer.write_table(table, row_group_size=1_000_000)
    tmp.rename(path)
    return path


def _table(rng: np.random.Generator, rows: int, first: int, cust: np.ndarray, ts: np.ndarray,
           name: np.ndarray, channel: np.ndarray, names: pa.Array, channels: pa.Array) -> pa.Table:
    is_purchase = name == NAMES.index("purchase")
    money = EVENTS.schema.field("revenue").type
    revenue = pc.if_else(pa.array(is_purchase), pa.array(rng.integers(1000, 100_000, rows), pa.int32()).cast(money),
                         pa.scalar(None, money))
    return pa.table({
        "event_id": pc.binary_join_element_wise("e", pa.array(np.arange(first, first + rows)).cast(pa.string()), ""),
        "customer_id": pc.binary_join_element_wise("c", pa.array(cust).cast(pa.string()), ""),
        "ts": pa.array(START + ts.astype("timedelta64[s]")).cast(pa.timestamp("us")),
        "event": names.take(pa.array(name)),
        "channel": channels.take(pa.array(channel)),
        "campaign": pc.if_else(pa.array(rng.random(rows) < 0.5), pa.scalar("spring"), pa.scalar(None, pa.string())),
        "revenue": revenue,
        "currency": pc.if_else(pa.array(is_purchase), pa.scalar("KZT"), pa.scalar(None, pa.string())),
        "referrer_id": pa.nulls(rows, pa.string()),
        "properties": pa.array(["{}"]).take(pa.array(np.zeros(rows, dtype=np.int32))),
    }, schema=EVENTS.schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/voronka-bench"))
    args = parser.parse_args()
    start = time.perf_counter()
    path = generate(args.events, args.seed, args.out)
    print(f"{path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
