"""The web app on 10M events: the funnel builder's answer and the first pages (a script, not a test).

    uv run python benchmarks/webapp.py [--folder /tmp/voronka-bench] [--events 10000000] [--requests 12] [--optimize]

It builds (once; reused from ``--folder`` afterwards) a store of the seeded log of
``benchmarks/generate.py`` (``Store.ingest_events`` of the Parquet, as benchmarks/engines.py)
and, with ``--optimize``, a copy of it with the funnel layout (``voronka optimize``:
``Store.refresh_layout``; the seconds it took are printed as ``optimize_s``), then starts a
real ``voronka serve --public-dashboard`` on it on loopback, and times over HTTP
(``http.client``, one keep-alive connection, as a browser tab):

* ``first_pages``: right after the server answers ``/health`` (``--restart``: again after a
  restart, so every cache is empty): the overview's HTML, the builder's HTML, and what each
  page then fetches before it is usable (the overview's sections, the builder's funnel of the
  page's default view, the hourglass); the assets (``plotly.min.js``, ``app.js``) once.
* ``cold``: ``GET /app/api/funnel`` for a 5-step funnel (``FUNNEL``, ``--ties strict``) with a
  breakdown, each request a definition not asked before (the window, the breakdown column and a
  filter vary), so no cache holds it: p50/p95/max;
  The server's CPU time of each cold request (``/proc``, every thread) is printed too: on a
  busy machine it shows the work a request costs, which the wall time there does not;
* ``warm``: the same definitions asked again: p50/p95/max;
* ``pages_again``: the first pages once more (what the server computed as it started is kept).

The machine's load average is printed before and after: the client shares the cores with
the server, and on a busy machine every figure is higher than on an idle one.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from generate import FUNNEL, CHANNELS, generate

VORONKA = str(Path(sys.executable).with_name("voronka"))
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The server's environment as on a user's machine (Python caches compiled modules)."""
BREAKDOWNS = ("channel", "campaign", "currency")
WINDOWS = ("1d", "2d", "3d", "5d", "7d", "10d", "14d", "21d", "30d", "45d", "60d", "90d")


def store_for(events: int, seed: int, folder: Path) -> Path:
    """The store of the seeded log in ``folder`` (built once: ingest of the Parquet)."""
    from voronka.store import Store

    store = folder / f"webapp-{events}-{seed}.duckdb"
    if store.exists():
        return store
    log = generate(events, seed, folder)
    partial = store.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    began = time.perf_counter()
    with Store(partial) as s:
        s.ingest_events([log])
    partial.rename(store)
    print(f"built {store} in {time.perf_counter() - began:.0f} s", flush=True)
    return store


def optimized(store: Path) -> tuple[Path, float | None]:
    """A copy of ``store`` with the funnel layout (built once); (its path, the seconds
    ``refresh_layout`` took, None when reused)."""
    import shutil

    from voronka.store import Store

    target = store.with_name(store.stem + "-optimized.duckdb")
    if target.exists():
        return target, None
    partial = target.with_suffix(".partial")
    shutil.copyfile(store, partial)
    began = time.perf_counter()
    with Store(partial) as s:
        s.refresh_layout()
    seconds = time.perf_counter() - began
    partial.rename(target)
    return target, round(seconds, 1)


def layout_current(store: Path) -> bool:
    """Whether the store's funnel layout is current (the builder's funnels then read it)."""
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.funnel import layout
    from voronka.store import Store

    with Store(store, read_only=True) as s:
        return layout.current(DuckDBEngine(s.connection))


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, every thread) process ``pid`` has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(store: Path, port: int) -> tuple[subprocess.Popen, float]:
    """``voronka serve`` on ``store``; (process, seconds from its start to ``/health``)."""
    began = time.monotonic()
    process = subprocess.Popen([VORONKA, "serve", "--store", str(store), "--port", str(port), "--public-dashboard"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=USER_ENV)
    while True:
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            con.request("GET", "/health")
            if con.getresponse().status == 200:
                return process, time.monotonic() - began
        except OSError:
            time.sleep(0.02)
        if process.poll() is not None:
            raise SystemExit("voronka serve ended at start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Client:
    """One keep-alive connection to the server; ``get`` returns (seconds, status, body)."""

    def __init__(self, port: int) -> None:
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, path: str) -> tuple[float, int, bytes]:
        began = time.perf_counter()
        self.con.request("GET", path)
        answer = self.con.getresponse()
        body = answer.read()
        seconds = time.perf_counter() - began
        if answer.status != 200:
            raise SystemExit(f"GET {path}: {answer.status} {body[:300]!r}")
        return seconds, answer.status, body


def funnel_query(window: str, by: str, where: str | None) -> str:
    """The builder's query of a 5-step funnel with a breakdown (as app.js writes it)."""
    q = [("lang", "en"), ("steps", ",".join(FUNNEL)), ("window", window), ("ties", "strict"), ("by", by)]
    if where:
        q.append(("where", where))
    return urlencode(q)


def definitions(n: int) -> list[str]:
    """``n`` distinct builder queries: every (window, breakdown, filter) once."""
    wheres = [None, *[f"channel!={c}" for c in CHANNELS]]
    combos = itertools.product(WINDOWS, BREAKDOWNS, wheres)
    return [funnel_query(*c) for c in itertools.islice(combos, n)]


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"n": len(times), "p50_ms": round(statistics.median(times) * 1000), "p95_ms": round(p95 * 1000),
            "max_ms": round(max(times) * 1000)}


def first_pages(port: int) -> dict[str, float]:
    """Milliseconds of each first request after a start, in a browser's order: the overview's
    HTML, its assets, its data; then the builder's HTML and its default funnel."""
    c = Client(port)
    out: dict[str, float] = {}

    def timed(name: str, path: str) -> bytes:
        seconds, _, body = c.get(path)
        out[name] = round(seconds * 1000)
        return body

    page = timed("overview_html", "/app/overview?lang=en")
    timed("plotly_js", "/static/plotly.min.js")
    timed("app_js", "/static/app.js")
    if b'data-fetch="' in page:  # the page's sections come as JSON after the shell
        fetch = page.split(b'data-fetch="', 1)[1].split(b'"', 1)[0].decode().replace("&amp;", "&")
        timed("overview_data", fetch)
    out["overview_usable"] = out["overview_html"] + out.get("overview_data", 0)
    timed("funnel_html", "/app/funnel?lang=en")
    timed("funnel_default", "/app/api/funnel?lang=en&tz=UTC&model=hourglass&order=ordered")  # as app.js asks
    out["funnel_usable"] = out["funnel_html"] + out["funnel_default"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("/tmp/voronka-bench"))
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--requests", type=int, default=12, help="Distinct definitions asked (cold), then again (warm).")
    parser.add_argument("--optimize", action="store_true",
                        help="Serve a copy of the store with the funnel layout (voronka optimize).")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    args = parser.parse_args()
    store = store_for(args.events, args.seed, args.folder)
    figures: dict[str, object] = {}
    if args.optimize:
        store, figures["optimize_s"] = optimized(store)
    figures |= {"store": str(store), "events": args.events, "layout_current": layout_current(store),
                "cores": os.cpu_count(), "load_average_before": os.getloadavg()}
    port = free_port()
    process, figures["start_to_health_s"] = start(store, port)
    try:
        figures["first_pages_ms"] = first_pages(port)
        queries = definitions(args.requests)
        c = Client(port)
        seconds, _, body = c.get("/app/api/funnel?" + queries[0])
        figures["first_funnel_ms"] = round(seconds * 1000)  # the first builder request after the pages
        figures["funnel_answer_keys"] = sorted(json.loads(body))
        cold, cold_cpu = [], []
        for q in queries[1:]:
            before = cpu_seconds(process.pid)
            cold.append(c.get("/app/api/funnel?" + q)[0])
            cold_cpu.append(cpu_seconds(process.pid) - before)
        warm = [c.get("/app/api/funnel?" + q)[0] for q in queries[1:]]
        figures["cold"], figures["warm"] = summary(cold), summary(warm)
        figures["cold_ms"] = [round(s * 1000) for s in cold]
        figures["cold_server_cpu_ms"] = [round(s * 1000) for s in cold_cpu]  # on a busy machine: the work itself
        figures["pages_again_ms"] = first_pages(port)  # a second visit: what the start computed is kept
    finally:
        stop(process)
    process, _ = start(store, port)  # every cache empty again: the first pages of a fresh start
    try:
        figures["first_pages_after_restart_ms"] = first_pages(port)
    finally:
        stop(process)
    figures["load_average_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:>30}: {value}")


if __name__ == "__main__":
    main()
