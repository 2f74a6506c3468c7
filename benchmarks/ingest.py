"""Ingest speed: 10M-row Parquet and CSV event files into a fresh store, rows/s and peak RSS.

    uv run python benchmarks/ingest.py [--rows 10000000] [--dir DIR] [--seed 7]

Files are generated once per (rows, seed) in DIR (default: a temp dir, removed after).
Each ingest runs in a child process so its peak RSS is its own. Columns: customer_id
(1M customers), ts (a year of 2026; typed in Parquet, ISO text in CSV), event, channel,
campaign (a third empty), revenue (20% set) and currency, page (a property, 25% empty).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(rows: int, seed: int, directory: Path) -> dict[str, Path]:
    """Write ``events.parquet`` and ``events.csv`` (same rows) into ``directory``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    paths = {"parquet": directory / f"events-{rows}-{seed}.parquet", "csv": directory / f"events-{rows}-{seed}.csv"}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(seed)

    def pick(values: list[str | None]) -> pa.Array:
        return pa.array(np.array(values, dtype=object)[rng.integers(0, len(values), rows)], pa.string())

    ts = np.datetime64("2026-01-01", "s") + rng.integers(0, 365 * 86400, rows).astype("timedelta64[s]")
    has_revenue = rng.random(rows) < 0.2
    revenue = pa.array(np.where(has_revenue, rng.integers(100, 10_000_000, rows) / 100, np.nan), from_pandas=True)
    table = pa.table({
        "customer_id": pc.binary_join_element_wise(
            "c", pa.array(rng.integers(0, 1_000_000, rows)).cast(pa.string()), ""),
        "ts": pa.array(ts, pa.timestamp("s")),
        "event": pick(["ad_view", "site_visit", "purchase", "consultation", "trial"]),
        "channel": pick(["tv", "digital", "wom", "radio"]),
        "campaign": pick(["spring", "summer", None]),
        "revenue": revenue,
        "currency": pc.if_else(pc.is_null(revenue), pa.scalar(None, pa.string()), pa.scalar("KZT")),
        "page": pick(["/", "/pricing", "/blog", None]),
    })
    pq.write_table(table, paths["parquet"])
    as_text = table.set_column(1, "ts", pc.strftime(table.column("ts"), "%Y-%m-%dT%H:%M:%S"))
    pacsv.write_csv(as_text, paths["csv"])
    return paths


def run_one(path: Path, store: Path) -> dict[str, float]:
    """Ingest ``path`` into a fresh store at ``store``; seconds and rows."""
    from voronka.store import Store

    store.unlink(missing_ok=True)
    with Store(store) as db:
        start = time.perf_counter()
        summary = db.ingest_events([path])
        seconds = time.perf_counter() - start
    store.unlink(missing_ok=True)
    return {"rows": summary.added, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.store)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        paths = generate(args.rows, args.seed, directory)
        print(f"files ready in {time.perf_counter() - start:.1f} s "
              f"({', '.join(f'{k} {p.stat().st_size / 2**20:.0f} MiB' for k, p in paths.items())})")
        for fmt, path in paths.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            out = subprocess.run([sys.executable, __file__, "--one", str(path), "--store", str(directory / "bench.duckdb")],
                                 check=True, capture_output=True, text=True).stdout
            peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
            result = json.loads(out)
            print(f"{fmt:8s} {result['rows']:>11,} rows  {result['seconds']:6.1f} s  "
                  f"{result['rows'] / result['seconds']:>10,.0f} rows/s  peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
