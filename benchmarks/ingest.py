"""Ingest speed: Parquet and CSV event files into a fresh store, rows/s, CPU seconds and peak RSS.

    uv run python benchmarks/ingest.py [--rows 10000000] [--dir DIR] [--seed 7]
    uv run python benchmarks/ingest.py --parquet /tmp/voronka-bench/events-50000000-5.parquet \
        [--csv-rows 10000000]

Files are generated once per (rows, seed) in DIR (default: a temp dir, removed after).
Each ingest runs in a child process so its peak RSS is its own. Columns: customer_id
(1M customers), ts (a year of 2026; typed in Parquet, ISO text in CSV), event, channel,
campaign (a third empty), revenue (20% set) and currency, page (a property, 25% empty).

``--parquet FILE`` ingests that file instead (``benchmarks/generate.py``'s log: event_id
given, typed columns), and a CSV of its first ``--csv-rows`` rows (written to DIR, ``ts`` as
ISO text). CPU seconds (user + system of the ingesting process) are printed beside the
wall time: on a shared machine they move less than the wall time. The load average is
printed with each line.

The **floor** (unless ``--no-floor``): DuckDB's own plain ``INSERT INTO events SELECT * FROM
read_parquet(...)`` of the same Parquet file into a fresh file-backed DuckDB with the store's
table definition, no check, no dedupe; also without ``event_id`` (the table and the insert
without that column), and with DuckDB's default compression for every column (the store's
definition before ``event_id`` was given ZSTD). What voronka adds above the floor is its
checks, normalising and dedupe. ``--json PATH`` writes every figure as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
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


def slice_csv(parquet: Path, rows: int, directory: Path) -> Path:
    """The first ``rows`` rows of ``parquet`` as a CSV in ``directory`` (``ts`` as ISO text)."""
    import duckdb

    path = directory / f"{parquet.stem}-first-{rows}.csv"
    if not path.exists():
        duckdb.sql(f"COPY (SELECT * REPLACE (strftime(ts, '%Y-%m-%dT%H:%M:%S.%f') AS ts) "
                   f"FROM read_parquet('{parquet}') "
                   f"LIMIT {rows}) TO '{path}' (HEADER)")
    return path


def peak_mib() -> float:
    """This process's peak RSS: ``VmHWM`` (Linux keeps ``ru_maxrss`` across ``exec``, so a child
    would report at least its parent's peak), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


FLOORS = {
    "floor": "the store's table, every column",
    "floor_without_event_id": "the store's table without event_id",
    "floor_default_compression": "every column, DuckDB's default compression",
}


def run_floor(path: Path, store: Path, kind: str) -> dict[str, float]:
    """A plain ``INSERT ... SELECT * FROM read_parquet`` of ``path`` into a fresh file-backed
    DuckDB at ``store`` (see ``FLOORS``); seconds, CPU seconds and rows."""
    import duckdb

    from voronka.schema import EVENTS
    from voronka.sql import literal

    store.unlink(missing_ok=True)
    ddl = EVENTS.ddl(stored=kind != "floor_default_compression")
    columns = "*"
    if kind == "floor_without_event_id":
        ddl = "\n".join(line for line in ddl.splitlines() if not line.strip().startswith("event_id"))
        columns = "* EXCLUDE (event_id)"
    con = duckdb.connect(str(store))
    con.execute("SET enable_progress_bar_print = false")
    con.execute(ddl)
    start, cpu = time.perf_counter(), cpu_seconds()
    con.execute("BEGIN TRANSACTION")
    rows = con.execute(f"INSERT INTO events SELECT {columns} FROM read_parquet({literal(str(path))})").fetchall()[0][0]
    con.execute("COMMIT")
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    con.close()
    store.unlink(missing_ok=True)
    return {"rows": rows, "seconds": seconds, "cpu": cpu,
            "peak_mib": peak_mib()}


def run_one(path: Path, store: Path) -> dict[str, float]:
    """Ingest ``path`` into a fresh store at ``store``; seconds, CPU seconds and rows."""
    from voronka.store import Store

    store.unlink(missing_ok=True)
    with Store(store) as db:
        start, cpu = time.perf_counter(), cpu_seconds()
        summary = db.ingest_events([path])
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    store.unlink(missing_ok=True)
    return {"rows": summary.added, "seconds": seconds, "cpu": cpu,
            "peak_mib": peak_mib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--parquet", type=Path, help="ingest this Parquet file (and a CSV slice of it)")
    parser.add_argument("--csv-rows", type=int, default=10_000_000, help="rows of --parquet in the CSV")
    parser.add_argument("--no-floor", action="store_true", help="skip DuckDB's plain insert of the Parquet file")
    parser.add_argument("--json", type=Path, help="write every figure to this file as one JSON object")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", choices=list(FLOORS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = run_floor(args.one, args.store, args.floor) if args.floor else run_one(args.one, args.store)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        if args.parquet:
            paths = {"parquet": args.parquet, "csv": slice_csv(args.parquet, args.csv_rows, directory)}
        else:
            paths = generate(args.rows, args.seed, directory)
        print(f"files ready in {time.perf_counter() - start:.1f} s "
              f"({', '.join(f'{k} {p.stat().st_size / 2**20:.0f} MiB' for k, p in paths.items())})")
        runs = [(fmt, path, None) for fmt, path in paths.items()]
        if not args.no_floor:
            runs += [(kind, paths["parquet"], kind) for kind in FLOORS]
        figures: dict[str, object] = {"command": sys.argv, "cores": os.cpu_count(), "started": time.strftime(
            "%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
        for name, path, floor in runs:
            command = [sys.executable, __file__, "--one", str(path), "--store", str(directory / "bench.duckdb")]
            out = subprocess.run(command + (["--floor", floor] if floor else []),
                                 check=True, capture_output=True, text=True).stdout
            result = json.loads(out)
            result["rows_per_s"] = result["rows"] / result["seconds"]
            result["load"] = os.getloadavg()[0]
            result["file"] = str(path)
            if floor:
                result["what"] = FLOORS[floor]
            figures[name] = result
            print(f"{name:26s} {result['rows']:>11,} rows  {result['seconds']:6.1f} s  {result['cpu']:6.1f} CPU-s  "
                  f"{result['rows_per_s']:>10,.0f} rows/s  peak RSS {result['peak_mib']:,.0f} MiB  "
                  f"load {result['load']:.1f}", flush=True)
        if "floor" in figures:
            ingest, floor = figures["parquet"], figures["floor"]
            figures["parquet_over_floor_cpu"] = ingest["cpu"] / floor["cpu"]
            print(f"voronka's Parquet ingest: {figures['parquet_over_floor_cpu']:.2f} x the floor's CPU seconds, "
                  f"{ingest['seconds'] / floor['seconds']:.2f} x its wall time")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
