"""Interactive latency of the command line: ``voronka --help`` cold start and ``voronka funnel``
on the 5,000-customer demo store, wall time of whole processes (min / median / max of N runs),
``voronka demo`` end to end (generate, ingest, print, write the 28-section report) in a
fresh folder each time (``--demo-runs``), and ``voronka report`` (every analysis) on the
100,000-customer demo store (``--report-runs``; the store is made once by ``voronka demo
--customers 100000``, about half a minute, not timed), its parts side by side and then one
after another (``VORONKA_REPORT_THREADS=1``).

    uv run python benchmarks/cli_latency.py [--runs 10] [--demo-runs 3] [--report-runs 3] [--dir DIR] \
        [--json PATH]

The demo store is made once in DIR (default: a temp folder) with ``voronka demo``. Each run
is a fresh ``voronka`` process (the installed entry point), as a user's shell starts it, so
imports are counted; nothing else should run on the machine. Python caches compiled modules
(``.pyc``) on first import, as it does on a user's machine: the variable
``PYTHONDONTWRITEBYTECODE`` (set in some sandboxes and CI images) is removed for the runs,
and the warm-up run writes the cache. (With the variable set and no cache, as in the
stop-16 figures of docs/performance.md, every run compiles every module from source.)

Each line gives the wall time (min / median / max) and the median CPU time (user + system,
every thread of the process): on a shared machine the CPU time is the steadier figure.
``--json PATH`` also writes every figure there as one JSON object: the machine's cores and
load averages, and for each command its runs' wall and CPU seconds with their min / median /
max.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VORONKA = str(Path(sys.executable).with_name("voronka"))

COMMANDS = {
    "voronka --help": ["--help"],
    "voronka funnel --model hourglass (demo store)": ["funnel", "--model", "hourglass"],
    "voronka funnel --steps site_visit,purchase --by channel (demo store)":
        ["funnel", "--steps", "site_visit,purchase", "--by", "channel"],
}


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """One ``voronka ARGS`` process: (wall seconds, CPU seconds: user + system of all its threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([VORONKA, *args], cwd=cwd, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--report-runs", type=int, default=3)
    parser.add_argument("--report-customers", type=int, default=100_000)
    parser.add_argument("--json", type=Path, metavar="PATH", help="Also write the figures here as one JSON object.")
    options = parser.parse_args()
    figures: dict = {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "cores": os.cpu_count(), "load_average_start": os.getloadavg(), "commands": {}}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="voronka-latency-") as scratch:
        folder = options.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "voronka.duckdb").exists():
            subprocess.run([VORONKA, "demo", "--store", "voronka.duckdb", "--report", "voronka-report.html"],
                           cwd=folder, check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, {options.runs} runs each, "
              "bytecode cached")
        for name, args in COMMANDS.items():
            timed(args, folder, env)  # the first run warms the page cache, as a user's second command
            figures["commands"][name] = line(name, [timed(args, folder, env) for _ in range(options.runs)])
        demos = []
        for run in range(options.demo_runs):
            fresh = Path(scratch) / f"demo-{run}"
            fresh.mkdir()
            demos.append(timed(["demo"], fresh, env))
        if demos:
            name = "voronka demo (a fresh folder each run)"
            figures["commands"][name] = line(name, demos)
        if options.report_runs:
            big = folder / f"demo-{options.report_customers}"
            big.mkdir(exist_ok=True)
            if not (big / "voronka.duckdb").exists():
                subprocess.run([VORONKA, "demo", "--customers", str(options.report_customers), "--store",
                                "voronka.duckdb", "--report", "demo-report.html"],
                               cwd=big, check=True, env=env, stdout=subprocess.DEVNULL)
            args = ["report", "--store", "voronka.duckdb", "--output", "voronka-report.html"]
            timed(args, big, env)  # warms the page cache
            for threads in ("", "1"):  # the parts side by side (default), then one after another
                runs = {**env, "VORONKA_REPORT_THREADS": threads}
                name = (f"voronka report ({options.report_customers:,}-customer demo store"
                        + (", VORONKA_REPORT_THREADS=1)" if threads else ")"))
                figures["commands"][name] = line(name, [timed(args, big, runs) for _ in range(options.report_runs)])
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    figures["load_average_end"] = os.getloadavg()
    if options.json:
        options.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


def line(name: str, runs: list[tuple[float, float]]) -> dict:
    """Print one command's figures; return them (seconds): wall and CPU of each run, in order,
    and the min / median / max of each."""
    walls, cpus = [round(w, 3) for w, _ in runs], [round(c, 3) for _, c in runs]
    w, c = sorted(walls), sorted(cpus)
    print(f"{name:<72} min {w[0]:.2f} s  median {statistics.median(w):.2f} s  max {w[-1]:.2f} s   "
          f"CPU median {statistics.median(c):.2f} s", flush=True)
    return {"runs": len(runs), "wall_s": walls, "cpu_s": cpus,
            "wall_min_s": w[0], "wall_median_s": round(statistics.median(w), 3), "wall_max_s": w[-1],
            "cpu_min_s": c[0], "cpu_median_s": round(statistics.median(c), 3), "cpu_max_s": c[-1]}


if __name__ == "__main__":
    main()
