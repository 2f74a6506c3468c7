"""Funnel speed against ClickHouse's windowFunnel, plain DuckDB SQL and a plain scan (a script, not a test).

    uv run python benchmarks/funnel.py --events 50000000 [--runs 3] [--dir /tmp/voronka-bench]

On one seeded Parquet log (``benchmarks/generate.py``; made once per size and seed) it
times, each case in its own child process (so the peak RSS printed is that case's own),
the median of ``--runs`` runs:

* ``scan``: plain DuckDB scan-and-aggregate of the columns a funnel reads (the floor);
* ``voronka``: ``compute_funnel``, 5 ordered steps, 7-day window, ``ties: strict``
  (with ``--engine chdb`` or ``local[2]``: voronka's SQL on that engine, log loaded first;
  ``--engine duckdb-sql``: that SQL on DuckDB, not its fast path; ``--engine store``: on
  voronka's own store of the log, made once by ``voronka ingest``, with its funnel layout);
* ``windowfunnel``: chdb ``windowFunnel(604800, 'strict_increase')`` on ``DateTime``;
* ``notnull``, ``notnull20``: the same over the file with every column in ``assumeNotNull``
  (5 and 20 steps);
* ``asof``: the best plain DuckDB SQL found: a chain of ASOF joins, one per step;
* ``by_channel``: voronka's 5 steps with a breakdown by channel (first touch);
* ``steps20``: voronka's 20-step funnel (every event name, 7-day window);
* ``by_week``: the 5 steps as weekly cohort trends in ``Asia/Almaty``;
* ``unordered``: the 5 steps in any order;
* ``hourglass``: the hourglass model on demo data (``--demo`` events, made once);
* ``mergetree``, ``mergetree20``, ``mergetree_channel``, ``mergetree_week``: ``windowFunnel`` as
  ClickHouse users run it, on a native MergeTree table (``ORDER BY (customer_id, ts)``,
  non-Nullable columns; loaded once into a chdb session next to the log): 5 steps, 20
  steps, by the channel of the first step-1 event (``argMinIf``), by its week;
* ``compat``: the 5 steps under ``compat: clickhouse`` in ``windowFunnel``'s ``strict_increase`` mode, whose
  step counts must equal ``windowfunnel``'s exactly;
* ``ingest``: ``benchmarks/ingest.py`` (Parquet and CSV into a store, rows/s).

It prints each time, the ratios voronka / windowFunnel and voronka / scan, by_channel /
voronka and steps20 / voronka, each voronka shape / its MergeTree ``windowFunnel``, and checks that the step counts agree: ``asof`` computes
the same definition (identical counts); ``windowfunnel`` differs where its definition
does (docs/performance.md). With ``--json PATH`` it also writes all of it as one JSON
object: per case the wall and CPU seconds of every run, their medians, the peak RSS and
the counts; the ratios; the counts compared; the load averages before and after.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from generate import FUNNEL, NAMES, generate

WEEK = 7 * 86400
CPU_RUNS: list[float] = []  # CPU seconds of each timed run (every thread of the process)


def load_engine(path: Path, engine_url: str):
    """The engine ``engine_url`` (duckdb, duckdb-sql, chdb, local[N], or a URL) with the
    Parquet log at ``path`` as its ``events``: a DuckDB view over the file, a chdb
    MergeTree table (``clickhouse_ddl``: ``ORDER BY (customer_id, ts)``, the required
    columns not Nullable), a Spark temporary view over the rows sent as Arrow."""
    from voronka.engines import open_engine
    from voronka.engines.duckdb import DuckDBEngine, connect

    if engine_url == "store":  # voronka on its own store, with its funnel layout
        from voronka.store import Store

        store = Store(own_store(path), read_only=True)
        engine = DuckDBEngine(store.connection)
        engine.store = store  # kept open with the engine
        return engine
    if engine_url in ("duckdb", "duckdb-sql"):
        con = connect()  # as voronka opens it (VORONKA_MEMORY_LIMIT applies)
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")
        return DuckDBEngine(con)
    import pyarrow.parquet as pq

    from voronka.schema import EVENTS

    engine = open_engine(engine_url if "://" in engine_url or engine_url.startswith("local") else f"{engine_url}://")
    engine.load(EVENTS, pq.read_table(path))
    return engine


def own_store(path: Path) -> Path:
    """voronka's store of the log at ``path``, made once next to it: the rows inserted as
    they are (the generated log is valid and repeats no ``event_id``: what ``voronka
    ingest`` stores; its speed is ``benchmarks/ingest.py``'s), then the funnel layout
    built as ``voronka optimize`` builds it (``Store.refresh_layout``); both times printed."""
    from voronka.store import Store

    target = path.with_suffix(".store.duckdb")
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with Store(partial) as store:
        start = time.perf_counter()
        store.connection.execute(f"INSERT INTO events SELECT * FROM read_parquet('{path}')")
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        store.refresh_layout()
        built = time.perf_counter() - start
    partial.rename(target)
    print(f"store: {target}: rows {loaded:.1f} s, funnel layout {built:.1f} s", file=sys.stderr)
    return target


def mergetree(path: Path):
    """A chdb session holding the log at ``path`` as ClickHouse users store events: a
    MergeTree table ``ORDER BY (customer_id, ts)``, non-Nullable columns, the names as
    ``LowCardinality``, seconds as ``DateTime``; loaded once, kept next to the log, its
    parts merged into one."""
    from chdb import session

    folder = path.with_suffix(".chdb")
    fresh = not folder.exists()
    s = session.Session(str(folder))
    if fresh or not str(s.query("EXISTS TABLE default.events_mt", "CSV")).strip().startswith("1"):
        start = time.perf_counter()
        s.query("CREATE TABLE IF NOT EXISTS default.events_mt (customer_id String, ts DateTime('UTC'), "
                "event LowCardinality(String), channel LowCardinality(String)) "
                "ENGINE = MergeTree ORDER BY (customer_id, ts)")
        s.query(f"INSERT INTO default.events_mt SELECT customer_id, toDateTime(ts, 'UTC'), event, "
                f"ifNull(channel, '') FROM file('{path}', Parquet)")
        print(f"MergeTree: loaded in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    if int(str(s.query("SELECT count() FROM system.parts WHERE database = 'default' AND table = 'events_mt' "
                       "AND active", "CSV")).strip()) > 1:
        start = time.perf_counter()  # merged into one part, as a table at rest is: no merges during the runs
        s.query("OPTIMIZE TABLE default.events_mt FINAL")
        print(f"MergeTree: parts merged in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return s


def mergetree_sql(shape: str) -> str:
    """``windowFunnel`` over the MergeTree table, levels per customer: ``5``, ``20`` steps;
    ``channel``: 5 steps by the channel of the first step-1 event (``argMinIf``);
    ``week``: 5 steps by the week of the first step-1 event in ``Asia/Almaty``."""
    steps = NAMES if shape == "20" else FUNNEL
    conditions = ", ".join(f"event = '{name}'" for name in steps)
    key = {"channel": f"argMinIf(channel, ts, event = '{FUNNEL[0]}')",
           "week": f"toStartOfWeek(minIf(ts, event = '{FUNNEL[0]}'), 1, 'Asia/Almaty')"}.get(shape, "''")
    return (f"SELECT level, count() AS customers FROM (SELECT customer_id, {key} AS k, windowFunnel({WEEK}, "
            f"'strict_increase')(ts, {conditions}) AS level FROM default.events_mt GROUP BY customer_id) "
            "GROUP BY k, level FORMAT JSONEachRow")


def _mergetree(path: Path, shape: str, runs: int) -> tuple[list[float], list[int]]:
    s = mergetree(path)
    sql = mergetree_sql(shape)
    times, levels = [], {}
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        out = str(s.query(sql))
        times.append(time.perf_counter() - start)
        CPU_RUNS.append(time.process_time() - cpu)
        levels = {}
        for line in out.splitlines():
            if line.strip():
                r = json.loads(line)
                levels[int(r["level"])] = levels.get(int(r["level"]), 0) + int(r["customers"])
    steps = 20 if shape == "20" else 5
    return times, [sum(c for level, c in levels.items() if level >= k + 1) for k in range(steps)]


def _voronka(path: Path, spec: dict, runs: int, engine_url: str) -> tuple[list[float], list[int]]:
    from voronka.funnel import compute_funnel
    from voronka.funnel.spec import build_funnel

    engine = load_engine(path, engine_url)
    definition = build_funnel(spec)
    times, counts = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        if engine_url == "duckdb-sql":
            steps = _sql_path_steps(engine, definition)
        else:
            steps = compute_funnel(engine, definition, units=False).steps.to_pylist()  # `voronka funnel`
        times.append(time.perf_counter() - start)
        CPU_RUNS.append(time.process_time() - cpu)
        counts = [sum(r["customers"] for r in steps if r["step"] == k + 1) for k in range(len(definition.steps))]
    return times, counts


def _sql_path_steps(engine, definition) -> list[dict]:
    """The step table through voronka's SQL path (what ClickHouse and Spark run) on DuckDB."""
    from voronka.funnel import STAGE_TABLE, UNITS_TABLE, latest_event
    from voronka.funnel.outcomes import finish_steps
    from voronka.funnel.sql import histogram_sql, stage_sql, steps_sql, trends_sql, units_sql

    engine.materialize(STAGE_TABLE, stage_sql(definition, "events", None))
    engine.materialize(UNITS_TABLE, units_sql(definition, STAGE_TABLE, definition.as_of or latest_event(engine)))
    engine.query(histogram_sql(definition, UNITS_TABLE))
    if definition.cohort:
        engine.query(trends_sql(definition, UNITS_TABLE))
    return finish_steps(definition, engine.query(steps_sql(definition, UNITS_TABLE)).to_pylist())


def _duckdb(path: Path, sql: str, runs: int) -> tuple[list[float], list]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")
    times, rows = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        rows = con.sql(sql).fetchall()
        times.append(time.perf_counter() - start)
        CPU_RUNS.append(time.process_time() - cpu)
    return times, rows


# the columns the ``voronka`` case reads (``ties: strict`` needs no event_id)
SCAN = "SELECT event, count(*), min(ts), max(ts), max(customer_id) FROM events GROUP BY event"


def asof_sql(steps: list[str], window_seconds: int) -> str:
    """Ordered steps, window from step 1, strictly later timestamps: per step-1 event, each
    next step is the first later event of that step (ASOF ``>``); per customer the best."""
    n = len(steps)
    ctes = [f"s{k} AS (SELECT customer_id, ts FROM events WHERE event = '{name}')" for k, name in enumerate(steps)]
    joins = " ".join(
        f"ASOF LEFT JOIN s{k} AS j{k} ON j{k}.customer_id = j0.customer_id AND j{k}.ts > j{k - 1}.ts"
        for k in range(1, n)
    )
    inside = [f"j{k}.ts IS NOT NULL AND j{k}.ts <= j0.ts + INTERVAL {window_seconds} SECOND" for k in range(1, n)]
    level = "1" + "".join(f" + CASE WHEN {c} THEN 1 ELSE 0 END" for c in inside)
    return (
        "WITH " + ", ".join(ctes)
        + f", best AS (SELECT j0.customer_id, max({level}) AS level FROM s0 AS j0 {joins} GROUP BY j0.customer_id) "
        + "SELECT " + ", ".join(f"count(*) FILTER (WHERE level >= {k + 1})" for k in range(n)) + " FROM best"
    )


def windowfunnel_sql(path: Path, steps: list[str], window_seconds: int, not_null: bool = False) -> str:
    """``windowFunnel`` over the Parquet file, levels per customer; ``not_null``: each column
    wrapped in ``assumeNotNull`` (``file()`` reads every column as ``Nullable``)."""
    def column(name: str) -> str:
        return f"assumeNotNull({name})" if not_null else name

    conditions = ", ".join(f"{column('event')} = '{name}'" for name in steps)
    return (
        f"SELECT level, count() AS customers FROM (SELECT {column('customer_id')} AS customer, windowFunnel("
        f"{window_seconds}, 'strict_increase')(toDateTime({column('ts')}), {conditions}) AS level "
        f"FROM file('{path}', Parquet) GROUP BY customer) GROUP BY level ORDER BY level FORMAT JSONEachRow"
    )


def _windowfunnel(path: Path, runs: int, steps: list[str], not_null: bool = False) -> tuple[list[float], list[int]]:
    import chdb

    sql = windowfunnel_sql(path, steps, WEEK, not_null)
    times, levels = [], {}
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        out = str(chdb.query(sql))
        times.append(time.perf_counter() - start)
        CPU_RUNS.append(time.process_time() - cpu)
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        levels = {int(r["level"]): int(r["customers"]) for r in rows}
    counts = [sum(c for level, c in levels.items() if level >= k + 1) for k in range(len(steps))]
    return times, counts


def demo_log(events: int, directory: Path) -> Path:
    """Seeded demo datasets of 100,000 people each (seeds 1, 2, …) until ``events`` rows."""
    import pyarrow.parquet as pq

    from voronka import demo
    from voronka.schema import EVENTS

    path = directory / f"demo-{events}.parquet"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    written, seed = 0, 1
    with pq.ParquetWriter(path.with_suffix(".partial"), EVENTS.schema) as writer:
        while written < events:
            table = demo.generate(100_000, seed=seed).events.slice(0, events - written)
            writer.write_table(table)
            written += table.num_rows
            seed += 1
    path.with_suffix(".partial").rename(path)
    return path


def run_case(case: str, path: Path, runs: int, engine_url: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = _run_case(case, path, runs, engine_url)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs
    return {**result, "cpu_seconds": cpu, "cpu_median": statistics.median(CPU_RUNS) if CPU_RUNS else cpu,
            "cpu_runs": CPU_RUNS, "rss_mib": after.ru_maxrss / 1024}


def _run_case(case: str, path: Path, runs: int, engine_url: str) -> dict:
    five = {"steps": FUNNEL, "window": "7d", "ties": "strict"}
    if case == "scan":
        times, rows = _duckdb(path, SCAN, runs)
        counts = [sum(r[1] for r in rows)]
    elif case == "asof":
        times, rows = _duckdb(path, asof_sql(FUNNEL, WEEK), runs)
        counts = list(rows[0])
    elif case == "windowfunnel":
        times, counts = _windowfunnel(path, runs, FUNNEL)
    elif case in ("notnull", "notnull20"):
        times, counts = _windowfunnel(path, runs, NAMES if case == "notnull20" else FUNNEL, not_null=True)
    elif case == "voronka":
        times, counts = _voronka(path, five, runs, engine_url)
    elif case == "by_channel":
        times, counts = _voronka(path, {**five, "breakdown": {"field": "channel"}}, runs, engine_url)
    elif case == "steps20":
        times, counts = _voronka(path, {"steps": NAMES, "window": "7d", "ties": "strict"}, runs, engine_url)
    elif case == "by_week":
        times, counts = _voronka(path, {**five, "cohort": "week", "timezone": "Asia/Almaty"}, runs, engine_url)
    elif case == "unordered":
        times, counts = _voronka(path, {**five, "order": "unordered"}, runs, engine_url)
    elif case == "hourglass":
        times, counts = _voronka(path, {"model": "hourglass"}, runs, engine_url)
    elif case.startswith("mergetree"):  # mergetree, mergetree20, mergetree_channel, mergetree_week
        times, counts = _mergetree(path, case.removeprefix("mergetree").lstrip("_") or "5", runs)
    elif case == "compat":  # `compat: clickhouse` in windowFunnel's 'strict_increase' mode: its counts exactly
        times, counts = _voronka(path, {"steps": FUNNEL, "window": "7d", "compat": "clickhouse",
                                        "window_funnel": ["strict_increase"]}, runs, engine_url)
    else:
        raise SystemExit(f"unknown case {case}")
    return {"seconds": statistics.median(times), "runs": times, "counts": counts}


def child(case: str, path: Path, runs: int, engine_url: str) -> dict:
    """Run one case in a fresh process; its result and peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", case, "--path", str(path), "--runs", str(runs), "--engine", engine_url],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--engine", default="duckdb", help="engine of the voronka cases: duckdb, duckdb-sql, chdb or local[2]")
    parser.add_argument("--cases", default="scan,voronka,windowfunnel,asof,by_channel,steps20")
    parser.add_argument("--demo", type=int, default=10_000_000, help="events of demo data for 'hourglass'")
    parser.add_argument("--json", type=Path, help="also write every case's runs, the ratios and the counts compared "
                                                 "to this file, as one JSON object")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.one, args.path, args.runs, args.engine)))
        return
    if args.prepare:
        own_store(args.path) if args.prepare == "store" else mergetree(args.path)
        return

    start = time.perf_counter()
    path = generate(args.events, args.seed, args.dir)
    print(f"log: {path} ({path.stat().st_size / 2**20:.0f} MiB) ready in {time.perf_counter() - start:.1f} s")
    report: dict = {"events": args.events, "seed": args.seed, "runs": args.runs, "engine": args.engine,
                    "log": str(path), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                    "load_before": _load(), "cases": {}, "ratios": {}, "counts_compared": {}}
    print(f"load average before: {' '.join(map(str, report['load_before']))}")
    cases = args.cases.split(",")
    for what, wanted in (("store", args.engine == "store"), ("mergetree", any(c.startswith("mergetree") for c in cases))):
        if wanted:  # made once per log, in a process of its own
            subprocess.run([sys.executable, __file__, "--prepare", what, "--path", str(path)], check=True)
    results = report["cases"]
    for case in cases:
        if case == "ingest":
            subprocess.run([sys.executable, str(Path(__file__).with_name("ingest.py")), "--rows",
                            str(args.events), "--dir", str(args.dir)], check=True)
            continue
        source = demo_log(args.demo, args.dir) if case == "hourglass" else path
        r = results[case] = child(case, source, args.runs, args.engine)
        runs = " ".join(f"{t:.2f}" for t in r["runs"])
        print(f"{case:13s} {r['seconds']:7.2f} s  (runs {runs}; CPU {r['cpu_seconds']:.2f} s/run, "
              f"median run {r['cpu_median']:.2f} s)  "
              f"peak RSS {r['rss_mib']:7,.0f} MiB  "
              f"counts {r['counts'][:6]}")

    def ratio(a: str, b: str) -> None:
        if a in results and b in results:
            r = report["ratios"][f"{a} / {b}"] = {
                "wall": results[a]["seconds"] / results[b]["seconds"],
                "cpu": results[a]["cpu_seconds"] / results[b]["cpu_seconds"],
                "cpu_median_run": results[a]["cpu_median"] / results[b]["cpu_median"]}
            print(f"{a} / {b}: {r['wall']:.2f} (CPU {r['cpu']:.2f}, median run's CPU {r['cpu_median_run']:.2f})")

    def compare(a: str, b: str) -> None:
        if a in results and b in results:
            same = results[a]["counts"] == results[b]["counts"]
            report["counts_compared"][f"{a} vs {b}"] = {"identical": same, a: results[a]["counts"],
                                                        b: results[b]["counts"]}
            print(f"step counts {a} vs {b}: {'identical' if same else 'differ'}"
                  + ("" if same else f" ({results[a]['counts']} vs {results[b]['counts']})"))

    for a, b in (("voronka", "windowfunnel"), ("voronka", "scan"), ("voronka", "asof"),
                 ("by_channel", "voronka"), ("steps20", "voronka"), ("voronka", "mergetree"),
                 ("steps20", "mergetree20"), ("by_channel", "mergetree_channel"), ("by_week", "mergetree_week"),
                 ("unordered", "voronka"), ("compat", "mergetree"),
                 ("voronka", "notnull"), ("steps20", "notnull20")):
        ratio(a, b)
    for a, b in (("voronka", "asof"), ("voronka", "windowfunnel"), ("voronka", "by_channel"),
                 ("compat", "windowfunnel"), ("compat", "mergetree"), ("windowfunnel", "mergetree"),
                 ("voronka", "mergetree"), ("steps20", "mergetree20"), ("by_channel", "mergetree_channel"),
                 ("notnull", "mergetree"), ("notnull20", "mergetree20")):
        compare(a, b)
    ratio("compat", "windowfunnel")
    report["load_after"] = _load()
    print(f"load average after: {' '.join(map(str, report['load_after']))}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"written: {args.json}")


def _load() -> list[float]:
    """The load averages over 1, 5 and 15 minutes."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


if __name__ == "__main__":
    main()
