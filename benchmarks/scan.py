"""The change scan's time on a generated log (a script, not a test).

    uv run python benchmarks/scan.py --events 10000000 [--dir /tmp/voronka-bench] [--grain week]

On one seeded Parquet log (``benchmarks/generate.py``; made once per size and seed) it
times ``scan_changes`` on DuckDB (a view over the Parquet file, as ``--data`` would read
it after ingest): the five funnel steps of the generator (site_visit → … → purchase) and
every event's volume, per segment (channel and the generator's properties) and week. It
prints the time, the number of series and the flagged ones. Target (issue 21): under 30 s
for 10M events on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from generate import FUNNEL, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--grain", default="week")
    args = parser.parse_args()

    from voronka.engines.duckdb import DuckDBEngine, connect
    from voronka.explore.scan import scan_changes
    from voronka.funnel.spec import build_funnel

    path = generate(args.events, args.seed, args.dir)
    con = connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")
    engine = DuckDBEngine(con)
    definition = build_funnel({"steps": FUNNEL})
    start = time.perf_counter()
    result = scan_changes(engine, definition, grain=args.grain)
    seconds = time.perf_counter() - start
    flagged = sum(result.series.column("flagged").to_pylist())
    print(f"scan of {args.events:,} events: {seconds:.1f} s, {result.series.num_rows} series, {flagged} flagged")


if __name__ == "__main__":
    main()
