"""Wide objects: the time to ingest a request body with N distinct JSON keys, and a CSV with N
property columns (issue 18: it grew quadratically, 1,000 keys took 54 s).

    uv run python benchmarks/ingest_wide.py [--keys 250,500,1000,2000,4000,8000]

The body holds N keys spread over objects of at most 500 keys each (the per-event limit
is ``limits.MAX_PROPERTIES``), stored through ``Collector.ingest`` into a fresh store; the
CSV has min(N, MAX_PROPERTIES) property columns and 10 rows. Prints seconds per case;
linear means the time per key stays flat.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from voronka.ingest.limits import MAX_PROPERTIES
from voronka.server.collector import Collector
from voronka.store import Store


def body(keys: int, per_object: int = 500) -> bytes:
    lines = []
    for start in range(0, keys, per_object):
        obj = {"customer_id": f"c{start}", "ts": "2026-03-01 10:00", "event": "site_visit"}
        obj.update({f"key_{i}": f"value {i}" for i in range(start, min(keys, start + per_object))})
        lines.append(json.dumps(obj))
    return "\n".join(lines).encode()


def csv_file(path: Path, columns: int, rows: int = 10) -> Path:
    header = ["customer_id", "ts", "event"] + [f"p{i}" for i in range(columns)]
    lines = [",".join(header)] + [",".join([f"c{r}", "2026-03-01", "visit"] + [str(r)] * columns)
                                  for r in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", default="250,500,1000,2000,4000,8000")
    args = parser.parse_args()
    print(f"{'keys':>6} {'body s':>8} {'ms/key':>7} {'csv cols':>8} {'csv s':>7}")
    with tempfile.TemporaryDirectory() as folder:
        warm = Collector(Path(folder) / "warm.duckdb")  # imports and first-query costs, not timed
        warm.ingest("events", body(10), None, {})
        warm.close()
        for n in (int(k) for k in args.keys.split(",")):
            store = Path(folder) / f"body-{n}.duckdb"
            collector = Collector(store)
            data = body(n)
            t0 = time.perf_counter()
            answer = collector.ingest("events", data, None, {})
            body_s = time.perf_counter() - t0
            collector.close()
            cols = min(n, MAX_PROPERTIES)
            path = csv_file(Path(folder) / f"wide-{n}.csv", cols)
            with Store(Path(folder) / f"csv-{n}.duckdb") as s:
                t0 = time.perf_counter()
                s.ingest("events", [path])
                csv_s = time.perf_counter() - t0
            assert answer["added"] == -(-n // 500)
            print(f"{n:>6} {body_s:>8.2f} {1000 * body_s / n:>7.3f} {cols:>8} {csv_s:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
