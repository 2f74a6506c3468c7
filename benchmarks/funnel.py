"""Funnel speed on a synthetic event log (a script, not a test).

    uv run python benchmarks/funnel.py --events 10000000 [--engine duckdb|chdb|local[2]]

Builds a seeded log inside DuckDB (skewed events per customer, 20 event names of which
the funnel steps are a few, 9 channels), then times (median of --runs) a 5-step ordered
funnel with a 7-day window, the same with a breakdown by channel, and a 20-step funnel.
With ``--engine`` the log is loaded into that engine (chdb: ClickHouse in-process; local[2]:
Spark) and the same funnels run there. Prints seconds, events/s, the step counts (equal on
every engine) and the process's peak RSS. The side-by-side comparison with
ClickHouse's windowFunnel belongs to the performance benchmark (issue 5).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import duckdb

from voronka.engines import Engine, open_engine
from voronka.engines.duckdb import DuckDBEngine
from voronka.schema import EVENTS
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel

NAMES = [f"e{i:02d}" for i in range(20)]


def make_log(con: duckdb.DuckDBPyConnection, events: int, seed: float) -> None:
    customers = max(events // 25, 1)
    con.execute(f"SELECT setseed({seed})")
    con.execute(f"""
        CREATE TABLE events AS
        SELECT 'x' || i AS event_id,
               'c' || CAST(floor(pow(random(), 2) * {customers}) AS BIGINT) AS customer_id,
               TIMESTAMP '2026-01-01' + to_microseconds(CAST(random() * 365 * 86400e6 AS BIGINT)) AS ts,
               'e' || lpad(CAST(CAST(floor(pow(random(), 1.5) * 20) AS INT) AS VARCHAR), 2, '0') AS event,
               (['tv','radio','print','ooh','digital','mobile','pos','direct_mail','wom'])[1 + CAST(floor(random() * 9) AS INT)] AS channel,
               CAST(NULL AS VARCHAR) AS campaign, CAST(NULL AS DECIMAL(18,4)) AS revenue,
               CAST(NULL AS VARCHAR) AS currency, CAST(NULL AS VARCHAR) AS referrer_id, '{{}}' AS properties
        FROM range({events}) AS t(i)
    """)


def timed(engine: Engine, spec: dict, runs: int) -> tuple[float, list[int]]:
    times, counts = [], []
    for _ in range(runs):
        start = time.perf_counter()
        result = compute_funnel(engine, build_funnel(spec), aliases=None)
        times.append(time.perf_counter() - start)
        counts = [r["customers"] for r in result.steps.to_pylist() if r["breakdown"] in (None,)] or counts
    return statistics.median(times), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=float, default=0.42)
    parser.add_argument("--engine", default="duckdb", help="duckdb, chdb or local[2] (Spark)")
    parser.add_argument("--cases", default="5,by_channel,20", help="which funnels, comma-separated")
    args = parser.parse_args()

    con = duckdb.connect()
    start = time.perf_counter()
    make_log(con, args.events, args.seed)
    print(f"log: {args.events:,} events built in {time.perf_counter() - start:.1f} s")
    engine: Engine = DuckDBEngine(con)
    if args.engine != "duckdb":
        start = time.perf_counter()
        engine = open_engine(args.engine if "://" in args.engine or args.engine.startswith("local")
                             else f"{args.engine}://")
        engine.load(EVENTS, con.sql("SELECT * FROM events").to_arrow_table())  # type: ignore[attr-defined]
        print(f"loaded into {args.engine} in {time.perf_counter() - start:.1f} s")
    five = {"steps": NAMES[:5], "window": "7d", "ties": "strict"}
    cases = {
        "5": ("5 steps, 7d window", five),
        "by_channel": ("5 steps, by channel", {**five, "breakdown": {"field": "channel"}}),
        "20": ("20 steps, 7d window", {"steps": NAMES, "window": "7d", "ties": "strict"}),
    }
    for key in args.cases.split(","):
        name, spec = cases[key]
        seconds, counts = timed(engine, spec, args.runs)
        print(f"{name:24s} {seconds:7.2f} s  {args.events / seconds / 1e6:6.2f} M events/s  steps: {counts[:5]}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
