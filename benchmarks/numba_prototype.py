"""A compiled-kernel prototype of the plain funnel, for measuring (a script, not product code).

    uv run --with numba python benchmarks/numba_prototype.py --events 50000000 --steps 20

Numba is not a dependency of voronka (``--with`` adds it for this run only). The design
docs/performance.md weighs as the next step for issue #5, for the plain funnel only
(ordered, ``ties: strict``, a window, no breakdown) and levels only (no unit rows):

1. DuckDB's stream of ``funnel.sql.stream_sql`` without its sort and without the ids:
   ``h`` (the customer's hash), ``tsu`` and the flag bits, kept as the batches come;
2. the rows scattered into 2^``--bucket-bits`` buckets by the top bits of ``h`` (a
   histogram and a scatter per batch, on both cores);
3. per bucket (both cores; a bucket's hash table stays in cache): its customers grouped
   (by ``h`` alone: unlike ``funnel.chains``, no check for two customers sharing a hash),
   each customer's rows sorted by time, and one pass over them keeping, per step, the
   latest start of an attempt that has reached it (an attempt reaches step k at a row of
   step k when the latest start at step k−1 lies inside the window; the rows of one time
   are applied together, so a step needs a strictly later time).

It prints the time of each phase and of voronka's ``compute_funnel`` on the same file,
and checks that the step counts are identical.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import duckdb
import numba as nb
import numpy as np
from numba.core.errors import NumbaTypeSafetyWarning
from numba.typed import List

from generate import FUNNEL, NAMES, generate
from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel
from voronka.funnel.sql import stream_sql


@nb.njit(parallel=True, cache=True)
def scatter(hs, ts, fs, shift, buckets):
    """The rows of the batches, bucket by bucket (``h >> shift``), and each bucket's start."""
    chunks = len(hs)
    counts = np.zeros((chunks, buckets), np.int64)
    for c in nb.prange(chunks):
        for v in hs[c]:
            counts[c, np.int64(v >> shift)] += 1
    offsets = np.empty((chunks, buckets), np.int64)
    starts = np.empty(buckets + 1, np.int64)
    total = 0
    for b in range(buckets):
        starts[b] = total
        for c in range(chunks):
            offsets[c, b] = total
            total += counts[c, b]
    starts[buckets] = total
    h = np.empty(total, np.uint64)
    t = np.empty(total, np.int64)
    f = np.empty(total, fs[0].dtype)
    for c in nb.prange(chunks):
        at = offsets[c].copy()
        hc, tc, fc = hs[c], ts[c], fs[c]
        for i in range(hc.shape[0]):
            b = np.int64(hc[i] >> shift)
            p = at[b]
            h[p], t[p], f[p] = hc[i], tc[i], fc[i]
            at[b] = p + 1
    return h, t, f, starts


@nb.njit(parallel=True, cache=True)
def levels(h, t, f, starts, steps, window):
    """Per bucket, how many customers' furthest attempt reached each level (0..steps)."""
    buckets = starts.shape[0] - 1
    out = np.zeros((buckets, steps + 1), np.int64)
    for b in nb.prange(buckets):
        lo, rows = starts[b], starts[b + 1] - starts[b]
        if rows == 0:
            continue
        size = 1
        while size < 2 * rows:
            size *= 2
        keys = np.zeros(size, np.uint64)
        used = np.zeros(size, np.bool_)
        slot_group = np.empty(size, np.int64)
        group = np.empty(rows, np.int64)
        groups = 0
        for i in range(rows):  # customers of the bucket, by an open-addressing hash table
            k = h[lo + i]
            s = np.int64((k * np.uint64(0x9E3779B97F4A7C15)) & np.uint64(size - 1))
            while used[s] and keys[s] != k:
                s = (s + 1) & (size - 1)
            if not used[s]:
                used[s], keys[s], slot_group[s] = True, k, groups
                groups += 1
            group[i] = slot_group[s]
        first = np.zeros(groups + 1, np.int64)
        for i in range(rows):
            first[group[i] + 1] += 1
        for g in range(groups):
            first[g + 1] += first[g]
        at = first[:-1].copy()
        ts = np.empty(rows, np.int64)
        fl = np.empty(rows, f.dtype)
        for i in range(rows):  # the rows grouped by customer
            p = at[group[i]]
            ts[p], fl[p] = t[lo + i], f[lo + i]
            at[group[i]] = p + 1
        latest = np.empty(steps + 1, np.int64)  # per level, the latest start that reached it
        pending = np.full(steps + 1, -1, np.int64)
        touched = np.empty(steps + 1, np.int64)
        for g in range(groups):
            a, e = first[g], first[g + 1]
            if e - a > 32:  # sort by time
                order = np.argsort(ts[a:e], kind="mergesort")
                ts[a:e], fl[a:e] = ts[a:e][order], fl[a:e][order]
            else:  # by insertion: most customers have few rows
                for i in range(a + 1, e):
                    tv, fv, j = ts[i], fl[i], i - 1
                    while j >= a and ts[j] > tv:
                        ts[j + 1], fl[j + 1] = ts[j], fl[j]
                        j -= 1
                    ts[j + 1], fl[j + 1] = tv, fv
            latest[:] = -1
            best, i = 0, a
            while i < e:
                now, n_touched = ts[i], 0
                while i < e and ts[i] == now:  # the rows of one time act together
                    bits, k = np.uint64(fl[i]), 0
                    while bits:
                        if bits & np.uint64(1):
                            start = now if k == 0 else latest[k]
                            if start >= 0 and now - start <= window and start > pending[k + 1]:
                                if pending[k + 1] < 0:
                                    touched[n_touched] = k + 1
                                    n_touched += 1
                                pending[k + 1] = start
                        bits >>= np.uint64(1)
                        k += 1
                    i += 1
                for q in range(n_touched):
                    k = touched[q]
                    latest[k] = max(latest[k], pending[k])
                    best = max(best, k)
                    pending[k] = -1
            out[b, best] += 1
    return out


def main() -> None:
    warnings.simplefilter("ignore", NumbaTypeSafetyWarning)  # the bucket number: h's top bits, as an index
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--steps", type=int, choices=(5, 20), default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bucket-bits", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/voronka-bench"))
    args = parser.parse_args()
    path = generate(args.events, args.seed, args.dir)
    spec = {"steps": FUNNEL if args.steps == 5 else NAMES, "window": "7d", "ties": "strict"}
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")

    t = time.perf_counter()
    result = compute_funnel(DuckDBEngine(con), build_funnel(spec), units=False)
    voronka_seconds = time.perf_counter() - t
    expected = result.steps.column("customers").to_pylist()

    sql = stream_sql(build_funnel(spec), "events", None, resolve=False)
    sql = f"SELECT h, tsu, f0 FROM ({sql[:sql.rindex(' ORDER BY')]})"  # the stream, unsorted
    shift, buckets, window = np.uint64(64 - args.bucket_bits), 1 << args.bucket_bits, 7 * 86_400 * 1_000_000
    tiny = List([np.array([1], np.uint64)]), List([np.array([1], np.int64)]), List([np.array([1], np.uint8)])
    levels(*scatter(*tiny, np.uint64(63), 2), 1, 1)  # compile (or load the cache) before timing
    phases = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        hs, ts, fs = List(), List(), List()
        for batch in con.sql(sql).to_arrow_reader(1_000_000):
            hs.append(batch.column("h").to_numpy())
            ts.append(batch.column("tsu").to_numpy())
            fs.append(batch.column("f0").to_numpy())
        t1 = time.perf_counter()
        parts = scatter(hs, ts, fs, shift, buckets)
        del hs, ts, fs
        t2 = time.perf_counter()
        reached = levels(*parts, len(spec["steps"]), window).sum(axis=0)
        del parts
        t3 = time.perf_counter()
        phases.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
        counts = [int(reached[k:].sum()) for k in range(1, len(spec["steps"]) + 1)]
        assert counts == expected, (counts, expected)
    read, scattered, kernel, total = (statistics.median(p) for p in zip(*phases))
    print(f"{args.steps} steps, {args.events:,} events: read {read:.2f} s, scatter {scattered:.2f} s, "
          f"buckets {kernel:.2f} s, total {total:.2f} s (median of {args.runs}); "
          f"compute_funnel {voronka_seconds:.2f} s (one run); step counts identical: {counts[:5]}")


if __name__ == "__main__":
    main()
