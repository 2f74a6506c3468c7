"""``benchmarks/generate.py`` writes the same log as its first, one-thread version: the
faster lookups (customers found in sorted order, the time order by one sort of packed
keys) and the worker threads change nothing for a given ``(events, seed, chunk)``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import generate  # noqa: E402

from voronka.schema import EVENTS  # noqa: E402


def first_version(events: int, seed: int, chunk: int) -> pa.Table:
    """The log as the generator's one-thread version wrote it (``np.searchsorted`` in draw
    order, ``np.argsort(kind="stable")``, the columns built in line), as one table."""
    g = generate
    rng = np.random.default_rng(seed)
    customers = max(events // 25, 1)
    activity = rng.pareto(1.2, customers) + 0.05
    cumulative = np.cumsum(activity / activity.sum())
    anchor = rng.integers(0, g.YEAR, customers)
    spread = rng.choice([86400 * 3, 86400 * 14, 86400 * 45], customers, p=[0.3, 0.5, 0.2])
    home = rng.integers(0, len(g.CHANNELS), customers)
    probabilities = g.WEIGHTS / g.WEIGHTS.sum()
    tables = []
    for first in range(0, events, chunk):
        rows = min(chunk, events - first)
        cust = np.minimum(np.searchsorted(cumulative, rng.random(rows)), customers - 1)
        offset = np.abs(rng.normal(0, 1, rows)) * spread[cust]
        ts = np.clip(anchor[cust] + offset.astype(np.int64), 0, g.YEAR - 1)
        name = rng.choice(len(g.NAMES), rows, p=probabilities)
        channel = np.where(rng.random(rows) < 0.8, home[cust], rng.integers(0, len(g.CHANNELS), rows))
        order = np.argsort(ts, kind="stable")
        cust, ts, name, channel = cust[order], ts[order], name[order], channel[order]
        repeat = np.flatnonzero(rng.random(rows) < 0.01)
        repeat = repeat[repeat > 0]
        cust[repeat], ts[repeat], name[repeat] = cust[repeat - 1], ts[repeat - 1], name[repeat - 1]
        displaced = np.flatnonzero(rng.random(rows) < 0.02)
        swap = rng.permutation(displaced)
        for column in (cust, ts, name, channel):
            column[displaced] = column[swap]
        is_purchase = pa.array(name == g.NAMES.index("purchase"))
        money = EVENTS.schema.field("revenue").type
        revenue = pc.if_else(is_purchase, pa.array(rng.integers(1000, 100_000, rows), pa.int32()).cast(money),
                             pa.scalar(None, money))
        tables.append(pa.table({
            "event_id": pc.binary_join_element_wise("e", pa.array(np.arange(first, first + rows)).cast(pa.string()), ""),
            "customer_id": pc.binary_join_element_wise("c", pa.array(cust).cast(pa.string()), ""),
            "ts": pa.array(g.START + ts.astype("timedelta64[s]")).cast(pa.timestamp("us")),
            "event": pa.array(g.NAMES).take(pa.array(name)),
            "channel": pa.array(g.CHANNELS).take(pa.array(channel)),
            "campaign": pc.if_else(pa.array(rng.random(rows) < 0.5), pa.scalar("spring"), pa.scalar(None, pa.string())),
            "revenue": revenue,
            "currency": pc.if_else(is_purchase, pa.scalar("KZT"), pa.scalar(None, pa.string())),
            "referrer_id": pa.nulls(rows, pa.string()),
            "properties": pa.array(["{}"]).take(pa.array(np.zeros(rows, dtype=np.int32))),
        }, schema=EVENTS.schema))
    return pa.concat_tables(tables)


def test_the_log_is_the_first_versions(tmp_path: Path) -> None:
    """Several chunks, so the threads overlap (chunk k written while k + 1 is drawn)."""
    path = generate.generate(60_000, 7, tmp_path, chunk=7_000)
    assert pq.read_table(path).equals(first_version(60_000, 7, 7_000))
    assert not path.with_suffix(".partial").exists()


def test_stable_order_is_argsorts() -> None:
    ts = np.random.default_rng(3).integers(0, 1000, 50_000)  # many ties: their order must be kept
    assert np.array_equal(generate._stable_order(ts), np.argsort(ts, kind="stable"))


def test_customers_are_searchsorteds() -> None:
    rng = np.random.default_rng(4)
    cumulative = np.cumsum(rng.random(1000))
    cumulative /= cumulative[-1]
    draws = np.concatenate([rng.random(20_000), cumulative[:50], [0.0, 0.999999999999]])
    expected = np.minimum(np.searchsorted(cumulative, draws), len(cumulative) - 1)
    assert np.array_equal(generate._customers(cumulative, draws), expected)
