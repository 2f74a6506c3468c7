"""Every target of issue 23 from one run, as one table (a script, not a test).

    uv run python benchmarks/targets.py [--events 50000000] [--scale 100000000,1000000000]
        [--dir /tmp/voronka-bench] [--json targets.json]

It runs, one after another and each in processes of its own, the benchmark scripts beside
it with ``--json``, then prints one Markdown table: each target, what was measured, the
ratio where the target is one, and whether it is met, with the load average before and
after each script. Nothing else should run on the machine.

* ``funnel.py --engine store``: voronka on its own store (``voronka optimize``d) against
  ``windowFunnel`` on a native MergeTree table; then ``funnel.py`` on the Parquet log against
  ``windowFunnel`` over the same file with ``assumeNotNull`` (``--events``);
* ``scale.py``: the 5-step funnel under ``VORONKA_MEMORY_LIMIT=8GB`` (``--scale`` sizes: the
  Parquet log, and the store path for sizes up to 100M);
* ``cli_latency.py``: ``voronka --help``, the hourglass on the demo store, ``voronka demo``,
  ``voronka report`` on 100,000 customers;
* ``ingest.py``: Parquet (``--events`` rows) and a 10M-row CSV slice of it into a store.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORE_CASES = ("voronka,mergetree,steps20,mergetree20,by_channel,mergetree_channel,by_week,mergetree_week,unordered,"
               "compat")
PARQUET_CASES = "voronka,notnull,steps20,notnull20"


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(script: str, *args: str, scratch: Path) -> dict:
    """Run ``script`` with ``--json``; its figures, with the load before and after."""
    out = scratch / f"{script}-{len(list(scratch.iterdir()))}.json"
    before, start = load(), time.perf_counter()
    subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out)], check=True, cwd=HERE)
    figures = json.loads(out.read_text())
    figures["_run"] = {"script": script, "args": list(args), "load_before": before, "load_after": load(),
                       "minutes": (time.perf_counter() - start) / 60}
    return figures


def table(results: dict) -> list[tuple[str, str, str, str]]:
    """(target, measured, goal, met) for every target of the issue."""
    rows = []

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    store, parquet = results.get("funnel_store"), results.get("funnel_parquet")
    for funnel, label in ((store, "own store vs MergeTree"), (parquet, "Parquet vs `assumeNotNull`")):
        if not funnel:
            continue
        cases = funnel["cases"]
        pairs = ((("voronka", "mergetree"), "5 steps"), (("steps20", "mergetree20"), "20 steps"),
                 (("by_channel", "mergetree_channel"), "by channel, first touch"),
                 (("by_week", "mergetree_week"), "weekly cohorts"))
        if funnel is parquet:
            pairs = ((("voronka", "notnull"), "5 steps"), (("steps20", "notnull20"), "20 steps"))
        for (a, b), shape in pairs:
            if a in cases and b in cases:
                ratio = cases[a]["seconds"] / cases[b]["seconds"]
                same = cases[a]["counts"] == cases[b]["counts"]
                rows.append((f"{shape}, {label}", f"{cases[a]['seconds']:.2f} s / {cases[b]['seconds']:.2f} s = "
                             f"**{ratio:.2f} ×** (CPU {cases[a]['cpu_median'] / cases[b]['cpu_median']:.2f} ×); "
                             f"counts {'identical' if same else 'differ where the definitions do (docs/performance.md)'}",
                             "≤ 0.5 ×", mark(ratio <= 0.5)))
        if funnel is store and "compat" in cases and "mergetree" in cases:
            same = cases["compat"]["counts"] == cases["mergetree"]["counts"]
            rows.append(("counts: voronka's 5 steps under `compat: clickhouse` against MergeTree's",
                         f"{cases['compat']['counts']}: {'identical' if same else 'differ'}", "identical",
                         mark(same)))
        if funnel is store and "unordered" in cases and "voronka" in cases:
            ratio = cases["unordered"]["seconds"] / cases["voronka"]["seconds"]
            rows.append(("unordered 5 steps / ordered 5 steps", f"{cases['unordered']['seconds']:.2f} s / "
                         f"{cases['voronka']['seconds']:.2f} s = **{ratio:.2f} ×**", "≤ 1.5 ×", mark(ratio <= 1.5)))
    for size, scale in sorted(results.get("scale", {}).items(), key=lambda item: int(item[0])):
        for phase in scale["phases"]:
            if phase["phase"] not in ("parquet", "funnel"):
                continue
            where = "Parquet log" if phase["phase"] == "parquet" else "store (layout, kernel)"
            measured = (f"{phase['wall_seconds']:.1f} s wall, {phase['cpu_seconds']:.1f} CPU-s, "
                        f"peak RSS **{phase['peak_rss_mib']:,} MiB**, spill {phase['spill_mib']:,} MiB")
            if int(size) >= 10**9:
                rows.append((f"{int(size):,} events, 5 steps, {scale['memory_limit']}, {where}", measured,
                             "< 3 min", mark(phase["wall_seconds"] < 180)))
            else:
                rows.append((f"{int(size):,} events, 5 steps, {where}", measured, "< 2 GiB",
                             mark(phase["peak_rss_mib"] < 2048)))
    if latency := results.get("cli_latency"):
        goals = {"voronka --help": 0.3, "voronka funnel --model hourglass (demo store)": 1.0,
                 "voronka demo (a fresh folder each run)": 3.0}
        for name, figures in latency["commands"].items():
            goal = goals.get(name, 3.0 if name.startswith("voronka report") and "THREADS" not in name else None)
            if goal is None:
                continue
            rows.append((name, f"median **{figures['wall_median_s']:.2f} s** (min {figures['wall_min_s']:.2f}, "
                         f"max {figures['wall_max_s']:.2f}; {figures['runs']} runs; CPU median "
                         f"{figures['cpu_median_s']:.2f} s)", f"< {goal:g} s", mark(figures["wall_median_s"] < goal)))
    if ingest := results.get("ingest"):
        for kind, goal in (("parquet", 2_000_000), ("csv", 1_000_000)):
            if kind in ingest:
                r = ingest[kind]
                rows.append((f"ingest {kind.upper() if kind == 'csv' else 'Parquet'}, {r['rows']:,} rows",
                             f"**{r['rows_per_s'] / 1e6:.2f}M rows/s** ({r['seconds']:.1f} s, {r['cpu']:.1f} CPU-s, "
                             f"peak RSS {r['peak_mib']:,.0f} MiB)", f"≥ {goal / 1e6:g}M rows/s",
                             mark(r["rows_per_s"] >= goal)))
        if "floor" in ingest:
            r = ingest["floor"]
            rows.append(("(DuckDB's plain insert of the Parquet file: the floor)",
                         f"{r['rows_per_s'] / 1e6:.2f}M rows/s ({r['seconds']:.1f} s, {r['cpu']:.1f} CPU-s)", "", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000, help="log of the funnel and ingest figures")
    parser.add_argument("--scale", default="100000000", help="sizes of the scale figures, comma-separated")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--only", default="funnel_store,funnel_parquet,scale,cli_latency,ingest")
    parser.add_argument("--json", type=Path, help="write every script's figures here as one JSON object")
    args = parser.parse_args()
    only = set(args.only.split(","))
    results: dict = {"command": sys.argv, "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "load_before": load()}
    common = ["--events", str(args.events), "--dir", str(args.dir)]
    with tempfile.TemporaryDirectory(prefix="voronka-targets-") as scratch_name:
        scratch = Path(scratch_name)
        if "funnel_store" in only:
            results["funnel_store"] = run("funnel.py", *common, "--engine", "store", "--cases", STORE_CASES,
                                          scratch=scratch)
        if "funnel_parquet" in only:
            results["funnel_parquet"] = run("funnel.py", *common, "--engine", "duckdb", "--cases", PARQUET_CASES,
                                            scratch=scratch)
        if "scale" in only:
            results["scale"] = {}
            for size in args.scale.split(","):
                paths = "parquet,store" if int(size) <= 100_000_000 else "parquet"
                results["scale"][size] = run("scale.py", "--events", size, "--dir", str(args.dir),
                                             "--paths", paths, scratch=scratch)
        if "cli_latency" in only:
            results["cli_latency"] = run("cli_latency.py", "--runs", "10", "--demo-runs", "3", "--report-runs", "3",
                                         scratch=scratch)
        if "ingest" in only:
            log = args.dir / f"events-{args.events}-5.parquet"
            results["ingest"] = run("ingest.py", "--parquet", str(log), "--csv-rows", "10000000", scratch=scratch)
    results["load_after"] = load()
    print(f"\nIssue 23's targets, one run ({results['started']}, {Path('/proc/cpuinfo').read_text().count('processor')}"
          f" cores; load average {results['load_before']} before, {results['load_after']} after):\n")
    print("| target | measured | goal | |\n|---|---|---|---|")
    for row in table(results):
        print("| " + " | ".join(row) + " |")
    runs = [value["_run"] for key, value in results.items() if key != "scale" and isinstance(value, dict)]
    runs += [value["_run"] for value in results.get("scale", {}).values()]
    print("\nload average per script: " + "; ".join(
        f"{r['script']} {' '.join(r['args'][:2])} {r['load_before']} → {r['load_after']} ({r['minutes']:.1f} min)"
        for r in runs))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
