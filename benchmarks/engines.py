"""The funnel, the hourglass and retention on each engine, on one log (a script, not a test).

    uv run python benchmarks/engines.py [--events 10000000] [--runs 1] [--engines duckdb,chdb,spark]

On one seeded Parquet log (``benchmarks/generate.py``; made once per size and seed) it
loads the events into each engine, in a child process per engine (so one engine's memory
and threads do not weigh on the next), and times the median of ``--runs`` runs of three analyses, as the CLI runs them:

* ``funnel``: ``voronka funnel --steps site_visit,lead_magnet,consultation,trial,purchase
  --window 7d --ties strict`` (``compute_funnel(..., units=False)``, as benchmarks/funnel.py);
* ``hourglass``: ``voronka funnel --model hourglass``. The generator's 20 event names
  include every event the model's rules name (ad_view, content_view, site_visit,
  lead_magnet, callback_request, consultation, trial, purchase), so the model runs on the
  log as it is, nothing mapped; its last stage, *refer* (``min_referrals: 1``), is 0
  because the log has no ``referrer_id``, and *repeat* needs two purchases;
* ``retention``: ``voronka retention`` (``voronka.loop.retention``, monthly cohorts).

The engines:

* ``duckdb``: a store file built afresh with voronka's own ingest (``Store.ingest_events``
  of the Parquet log, beside it), read as ``voronka`` reads a store (the funnel's DuckDB
  fast path included);
* ``chdb``: ClickHouse in-process, the log in a MergeTree table ``ORDER BY (customer_id,
  ts)`` with the required columns not Nullable (``clickhouse_ddl``);
* ``spark``: Spark ``local[2]``, the log a temporary view over rows sent as Arrow; or any
  Spark URL given as the engine (``sc://127.0.0.1:15002`` for a Spark Connect server,
  ``local[4]``).

It prints the load time and each analysis's time per engine, the peak RSS of the engine's
Python process (for Spark without its JVM), the load average before and after, and
whether every engine's results equal the first engine's (the step tables of the funnel
and the hourglass, the retention table: counts exactly, ratios and times to 1e-9).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from funnel import load_engine
from generate import FUNNEL, generate

ANALYSES = ("funnel", "hourglass", "retention")


def open_loaded(path: Path, engine: str):
    """``engine`` with the log loaded: ``duckdb`` as a fresh store (voronka's ingest), the
    rest as benchmarks/funnel.py loads them."""
    if engine == "duckdb":
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.store import Store

        store = path.with_suffix(".voronka")
        store.unlink(missing_ok=True)
        with Store(store) as s:
            s.ingest_events([path])
        return DuckDBEngine(Store(store, read_only=True).connection)
    return load_engine(path, "local[2]" if engine == "spark" else engine)


def analyse(engine, analysis: str) -> list[dict]:
    """The rows ``analysis`` gives on ``engine``: the step table or the retention table."""
    if analysis == "retention":
        from voronka.loop.retention import retention

        return retention(engine, period="month").table.to_pylist()
    from voronka.funnel import compute_funnel
    from voronka.funnel.spec import build_funnel

    spec = {"model": "hourglass"} if analysis == "hourglass" else {"steps": FUNNEL, "window": "7d", "ties": "strict"}
    return compute_funnel(engine, build_funnel(spec), units=False).steps.to_pylist()


def run_engine(path: Path, engine: str, runs: int) -> dict:
    """Load, then time each analysis ``runs`` times; times, results and peak RSS. The
    analyses' modules are imported before the clock starts (their import is not the engine's;
    pandas too: pyarrow's ``fill_null``, which the DuckDB fast path calls, imports it once)."""
    import pandas  # noqa: F401
    import voronka.funnel.chains
    import voronka.funnel.spec
    import voronka.loop.retention  # noqa: F401

    start = time.perf_counter()
    loaded = open_loaded(path, engine)
    out: dict = {"load": time.perf_counter() - start, "seconds": {}, "results": {}}
    for analysis in ANALYSES:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            rows = analyse(loaded, analysis)
            times.append(time.perf_counter() - start)
        out["seconds"][analysis] = times
        out["results"][analysis] = json.loads(json.dumps(rows, default=str))
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child(path: Path, engine: str, runs: int) -> dict | None:
    """``run_engine`` in a fresh process; None (its error printed) when it fails."""
    done = subprocess.run([sys.executable, __file__, "--one", engine, "--path", str(path), "--runs", str(runs)],
                          capture_output=True, text=True)
    if done.returncode:
        print(f"{engine}: failed (exit {done.returncode}):\n" + "\n".join(done.stderr.splitlines()[-15:]))
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def same(a: object, b: object) -> bool:
    """Equal, floats to a relative 1e-9 (sums in another order may differ in the last bit)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--engines", default="duckdb,chdb,spark",
                        help="comma-separated: duckdb, chdb, spark (local[2]), or an engine URL (local[N], sc://host:port)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_engine(args.path, args.one, args.runs)))
        return

    start = time.perf_counter()
    path = generate(args.events, args.seed, args.dir)
    print(f"log: {path} ({args.events:,} events, {path.stat().st_size / 2**20:.0f} MiB) "
          f"ready in {time.perf_counter() - start:.1f} s; {args.runs} run(s) each, medians")
    print(f"load average before: {load_average()}")
    results = {}
    print(f"{'engine':22s} {'load':>8s} " + " ".join(f"{a:>10s}" for a in ANALYSES) + "   peak RSS")
    for engine in args.engines.split(","):
        r = child(path, engine, args.runs)
        if r is None:
            continue
        results[engine] = r
        print(f"{engine:22s} {r['load']:7.2f}s " + " ".join(
            f"{statistics.median(r['seconds'][a]):9.2f}s" for a in ANALYSES) + f"   {r['rss_mib']:7,.0f} MiB"
              + ("" if args.runs == 1 else "   runs: " + "; ".join(
                  f"{a} " + " ".join(f"{t:.2f}" for t in r["seconds"][a]) for a in ANALYSES)))
    first, *others = results or [None]
    for engine in others:
        for analysis in ANALYSES:
            equal = same(results[engine]["results"][analysis], results[first]["results"][analysis])
            print(f"{analysis} on {engine} {'equals' if equal else 'DIFFERS FROM'} {first}")
    if first is not None:
        print(f"funnel customers per step ({first}): {[r['customers'] for r in results[first]['results']['funnel']]}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
