"""Where a funnel's time goes on voronka's own store, against the floor of reading its rows (a script, not a test).

    uv run python benchmarks/funnel_floors.py --events 10000000 [--dir /tmp/voronka-bench] [--reps 5]

On the store ``benchmarks/funnel.py --engine store`` made of the log (``<log>.store.duckdb``,
its funnel layout built), in one process, warm (the kernel loaded, the store read once),
it prints the CPU seconds (every thread of the process; min and median of ``--reps``) of
each piece of ``compute_funnel(..., units=False)`` per funnel shape:

* ``floor``: the plain fetch of the layout's ``c, e, tsu`` in the reader's parts (ranges
  of customer codes of about ``layout.PART_ROWS`` rows), each column into one NumPy array,
  no filter: what any reader of every row pays;
* ``floor, steps' rows``: the same, of the steps' rows only (the name test), with the
  stored position ``rowid`` the reader checks;
* ``parts``: the reader's fetch (``layout.parts(..., codes=True)``), which is the above;
* ``kernel``: ``kernel._part_units`` over the fetched parts, one thread (lists per step,
  the units, their Arrow columns);
* ``aggregates``: the unit table stored in DuckDB and the step, histogram (and trend)
  queries ``compute_funnel`` runs on it;
* ``compute_funnel``: the whole (two kernel threads alongside DuckDB's).
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from generate import FUNNEL, NAMES, path_for

SHAPES = {
    "5 steps": {"steps": FUNNEL, "window": "7d", "ties": "strict"},
    "20 steps": {"steps": NAMES, "window": "7d", "ties": "strict"},
    "by channel": {"steps": FUNNEL, "window": "7d", "ties": "strict", "breakdown": {"field": "channel"}},
    "weekly": {"steps": FUNNEL, "window": "7d", "ties": "strict", "cohort": "week", "timezone": "Asia/Almaty"},
    "unordered": {"steps": FUNNEL, "window": "7d", "ties": "strict", "order": "unordered"},
}


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(reps: int, work: Callable[[], object]) -> tuple[float, float]:
    """Min and median CPU seconds of ``reps`` calls of ``work``."""
    spent = []
    for _ in range(reps):
        start = cpu()
        work()
        spent.append(cpu() - start)
    return min(spent), statistics.median(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="of: " + ", ".join(SHAPES))
    args = parser.parse_args()

    from voronka.duration import epoch_micros
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.funnel import UNITS_TABLE, compute_funnel, kernel, latest_event, layout
    from voronka.funnel.spec import build_funnel
    from voronka.funnel.sql import histogram_sql, steps_sql, trends_sql
    from voronka.store import Store

    store_path = path_for(args.events, args.seed, args.dir).with_suffix(".store.duckdb")
    if not store_path.exists():
        raise SystemExit(f"{store_path}: make it first (benchmarks/funnel.py --engine store)")
    store = Store(store_path, read_only=True)
    engine = DuckDBEngine(store.connection)
    kernel.warm()
    with open("/proc/loadavg") as f:
        print(f"{store_path}; load average before: {' '.join(f.read().split()[:3])}")
    rows = layout.stored_rows(engine)
    customers = engine.query(f"SELECT count(*) AS n FROM {layout.CUSTOMERS}").column("n")[0].as_py()
    count = max(1, -(-rows // layout.PART_ROWS))
    bounds = [customers * i // count for i in range(count + 1)]

    def fetch(columns: str, where: str = "TRUE") -> None:
        for lo, hi in itertools.pairwise(bounds):
            part = engine.query(f"SELECT {columns} FROM {layout.EVENTS} WHERE {where} AND c >= {lo} AND c < {hi}")
            for name in part.column_names:
                kernel._numpy(part.column(name))

    print(f"{'shape':12s} {'piece':22s} {'CPU min':>8s} {'median':>8s}")

    def show(shape: str, piece: str, spent: tuple[float, float]) -> None:
        print(f"{shape:12s} {piece:22s} {spent[0]:8.3f} {spent[1]:8.3f}")

    show("every row", "floor: c, e, tsu", timed(args.reps, lambda: fetch("c, e, tsu")))
    def measure(shape: str) -> None:
        defn = build_funnel(SHAPES[shape])
        masks, wanted = layout.name_masks(engine, defn)
        names = "TRUE" if len(wanted) == len(masks) else layout._in(wanted)
        show(shape, "floor: steps' rows", timed(args.reps, lambda: fetch("c, e, tsu, rowid", names)))
        show(shape, "parts", timed(args.reps, lambda: list(layout.parts(engine, defn, codes=True))))
        parts = list(layout.parts(engine, defn, codes=True))
        code_steps = kernel._code_steps(masks[:, 0], len(defn.steps))
        as_of = latest_event(engine)
        show(shape, "kernel (one thread)", timed(args.reps, lambda: [
            kernel._part_units(defn, p, *code_steps, epoch_micros(as_of)) for p in parts]))
        units = kernel.units_table(defn, parts, masks, as_of, lambda codes: codes.cast(pa.string()))

        def aggregates() -> None:
            engine.store_temp(UNITS_TABLE, units)
            engine.query(steps_sql(defn, UNITS_TABLE))
            engine.query(histogram_sql(defn, UNITS_TABLE))
            if defn.cohort:
                engine.query(trends_sql(defn, UNITS_TABLE))
        show(shape, "aggregates", timed(args.reps, aggregates))
        show(shape, "compute_funnel", timed(args.reps, lambda: compute_funnel(engine, defn, units=False)))
        print(f"{shape:12s} {'rows read':22s} {sum(p.num_rows for p in parts):8d} of {rows}; units {units.num_rows}")

    for shape in args.shapes.split(","):
        measure(shape)
    with open("/proc/loadavg") as f:
        print(f"load average after: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
