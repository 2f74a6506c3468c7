"""Issue 23's scale target: the 5-step funnel on a large log under a memory limit (a script, not a test).

    uv run python benchmarks/scale.py --events 1000000000 [--paths parquet,store] [--memory 8GB]
        [--dir /tmp/voronka-bench] [--json figures.json]

On the seeded log of ``--events`` rows (``benchmarks/generate.py``; made once per size and
seed, in a process of its own) it runs, each phase in a child process with
``VORONKA_MEMORY_LIMIT=--memory`` and the log's folder as working directory:

* ``parquet``: the 5 steps (``FUNNEL``, 7-day window, ``ties: strict``) over the Parquet
  log as ``benchmarks/funnel.py``'s ``voronka`` case reads it (a DuckDB view over
  ``read_parquet``, ``compute_funnel``: the sorted stream; DuckDB spills to ``.tmp`` in the
  working directory);
* ``store``: ``voronka ingest`` of the log into a new store, ``voronka optimize`` (its
  funnel layout), then ``voronka funnel`` on it (the layout and the compiled kernel);
  DuckDB spills to ``<store>.tmp``. The store is kept (``--keep-store``) or deleted after.

For each phase it prints the wall and CPU seconds (the child's user + system time, every
thread), the child's peak RSS (``wait4``), the largest size the spill folder reached
(polled every 0.2 s), the load average before and after, and the funnel's step counts;
``--json`` writes them as one object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from generate import FUNNEL, path_for

HERE = Path(__file__).resolve().parent
VORONKA = [str(Path(sys.executable).with_name("voronka"))]  # the command line next to this Python


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def folder_size(folder: Path) -> int:
    """Bytes of the files under ``folder`` (0 if absent); files vanishing meanwhile skipped."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def run(name: str, command: list[str], cwd: Path, memory: str, spill: Path) -> dict:
    """Run ``command`` as a child; its wall and CPU seconds, peak RSS, stdout and the
    largest size ``spill`` reached meanwhile."""
    env = {**os.environ, "VORONKA_MEMORY_LIMIT": memory}
    before = load()
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(child.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    biggest, status, usage = 0, None, None
    while status is None:
        pid, code, rusage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            status, usage = code, rusage
        else:
            biggest = max(biggest, folder_size(spill))
            time.sleep(0.2)
    wall = time.perf_counter() - start
    reader.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{name}: {' '.join(command)} exited with {child.returncode}")
    figures = {"phase": name, "wall_seconds": round(wall, 2),
               "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
               "peak_rss_mib": round(usage.ru_maxrss / 1024), "spill_mib": round(biggest / 2**20),
               "load_before": before, "load_after": load(), "stdout": out[0] if out else ""}
    print(f"{name:9s} wall {wall:8.1f} s  CPU {figures['cpu_seconds']:8.1f} s  peak RSS "
          f"{figures['peak_rss_mib']:7,} MiB  spill {figures['spill_mib']:7,} MiB  "
          f"load {before} -> {figures['load_after']}", flush=True)
    return figures


def funnel_counts(stdout: str) -> list[int]:
    """Customers per step from ``voronka funnel --format json``'s output."""
    steps = json.loads(stdout)
    rows = steps["steps"] if isinstance(steps, dict) else steps
    return [sum(r["customers"] for r in rows if r["step"] == k + 1) for k in range(len(FUNNEL))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--memory", default="8GB", help="VORONKA_MEMORY_LIMIT of every phase")
    parser.add_argument("--paths", default="parquet,store", help="parquet, store or both (comma-separated)")
    parser.add_argument("--keep-store", action="store_true", help="keep the store made by the store path")
    parser.add_argument("--json", type=Path, help="write the figures here as one JSON object")
    args = parser.parse_args()

    directory = args.dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    log = path_for(args.events, args.seed, directory)
    figures: dict = {"events": args.events, "seed": args.seed, "memory_limit": args.memory,
                     "cores": os.cpu_count(), "phases": []}
    print(f"{args.events:,} events, seed {args.seed}, VORONKA_MEMORY_LIMIT={args.memory}, {os.cpu_count()} cores")
    if not log.exists():
        phase = run("generate", [sys.executable, str(HERE / "generate.py"), "--events", str(args.events),
                                 "--seed", str(args.seed), "--out", str(directory)], directory, args.memory, directory / ".none")
        phase.pop("stdout")
        figures["phases"].append(phase)
    figures["log_mib"] = round(log.stat().st_size / 2**20)
    print(f"log: {log} ({figures['log_mib']:,} MiB)")
    paths = args.paths.split(",")
    if "parquet" in paths:
        phase = run("parquet", [sys.executable, str(HERE / "funnel.py"), "--one", "voronka", "--path", str(log),
                                "--runs", "1", "--engine", "duckdb"], directory, args.memory, directory / ".tmp")
        phase["counts"] = json.loads(phase.pop("stdout").strip().splitlines()[-1])["counts"]
        print(f"          counts {phase['counts']}")
        figures["phases"].append(phase)
    if "store" in paths:
        store = directory / f"scale-{args.events}-{args.seed}.duckdb"
        spill = store.with_name(store.name + ".tmp")
        for stale in (store, store.with_name(store.name + ".wal")):
            stale.unlink(missing_ok=True)
        phase = run("ingest", [*VORONKA, "ingest", str(log), "--store", str(store), "--format", "json"],
                    directory, args.memory, spill)
        phase.pop("stdout")
        phase["store_mib"] = round(store.stat().st_size / 2**20)
        figures["phases"].append(phase)
        phase = run("optimize", [*VORONKA, "optimize", "--store", str(store)], directory, args.memory, spill)
        phase.pop("stdout")
        phase["store_mib"] = round(store.stat().st_size / 2**20)
        print(f"          store {phase['store_mib']:,} MiB with its funnel layout")
        figures["phases"].append(phase)
        phase = run("funnel", [*VORONKA, "funnel", "--store", str(store), "--steps", ",".join(FUNNEL),
                               "--window", "7d", "--ties", "strict", "--format", "json"],
                    directory, args.memory, spill)
        phase["counts"] = funnel_counts(phase.pop("stdout"))
        print(f"          counts {phase['counts']}")
        figures["phases"].append(phase)
        if not args.keep_store:
            store.unlink()
            shutil.rmtree(spill, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
