"""Where ``voronka report`` spends its time: each analysis of the full report, timed (a script,
not a test).

    uv run python benchmarks/report_parts.py --store DIR/voronka.duckdb [--threads 1] [--runs 1]
        [--json PATH] [--output report.html]

On a store made by ``voronka demo --customers 100000`` (``benchmarks/cli_latency.py
--report-runs`` makes one in ``--dir``), it builds the full report as ``voronka report`` does
(the hourglass, English) in this process and prints, for each analysis it computes, its wall
seconds and the process's CPU seconds (user + system, DuckDB's threads included) while it ran;
then the whole report's wall and CPU seconds, and the load average before and after. With
``--threads 1`` (the default here) the parts run one after another, so each part's figures
are its own; ``--threads 3`` times the report as ``voronka report`` runs it. ``--json PATH``
writes the figures (each analysis: its mean over ``--runs``; the whole report: the median).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--threads", default="1", help="VORONKA_REPORT_THREADS for the run")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--output", type=Path, help="write the report here too")
    args = parser.parse_args()
    os.environ["VORONKA_REPORT_THREADS"] = args.threads
    sys.dont_write_bytecode = False  # lazy imports from cached bytecode, as a user's (cli_latency.py)

    import voronka.reports.full as full
    import voronka.reports.support as support
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.store import Store

    walls: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()

    def timed(name_of, function):
        def run(*a, **k):
            wall, cpu = time.perf_counter(), cpu_seconds()
            try:
                return function(*a, **k)
            finally:
                with lock:
                    walls[name_of(*a)].append(time.perf_counter() - wall)
                    cpus[name_of(*a)].append(cpu_seconds() - cpu)
        return run

    full.compute = timed(lambda source, definition: type(definition).__name__.removesuffix("Definition"),
                         full.compute)
    support.data_profile = timed(lambda *a: "(data profile)", support.data_profile)
    # as ``voronka report`` calls it (``exclusive``; an older checkout, on PYTHONPATH, has none)
    exclusive = {"exclusive": True} if "exclusive" in inspect.signature(full.full_report).parameters else {}
    load_before = os.getloadavg()[0]
    totals, cpu_totals = [], []
    for _ in range(args.runs):
        engine = DuckDBEngine(Store(args.store, read_only=True).connection)
        start, cpu = time.perf_counter(), cpu_seconds()
        built = full.full_report(engine, "en", title="Report", **exclusive)
        if args.output:
            built.report.write(args.output)
        else:
            built.report.render()
        totals.append(time.perf_counter() - start)
        cpu_totals.append(cpu_seconds() - cpu)
    load_after = os.getloadavg()[0]
    parts = {name: {"wall": sum(ws) / args.runs, "cpu": sum(cpus[name]) / args.runs}  # per report
             for name, ws in walls.items()}
    print(f"{os.cpu_count()} cores, VORONKA_REPORT_THREADS={args.threads}, {args.runs} run(s), "
          f"load average {load_before:.2f} before, {load_after:.2f} after")
    print(f"{'analysis':<28} {'wall s':>8} {'CPU s':>8}")
    for name, figure in sorted(parts.items(), key=lambda kv: -kv[1]["wall"]):
        print(f"{name:<28} {figure['wall']:8.2f} {figure['cpu']:8.2f}")
    print(f"{'sum of the analyses':<28} {sum(f['wall'] for f in parts.values()):8.2f}")
    print(f"{'whole report (median)':<28} {statistics.median(totals):8.2f}   process CPU (user+sys) "
          f"{statistics.median(cpu_totals):.2f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "threads": args.threads, "runs": args.runs, "load_before": load_before, "load_after": load_after,
            "wall": statistics.median(totals), "cpu": statistics.median(cpu_totals), "parts": parts}, indent=1))


def cpu_seconds() -> float:
    """The process's CPU time so far, user + system (every thread's, DuckDB's too)."""
    t = os.times()
    return t.user + t.system


if __name__ == "__main__":
    main()
