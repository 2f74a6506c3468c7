"""The collector under load: throughput, latency, overload, memory and restart of ``voronka serve``.

    uv run python benchmarks/server.py [--seconds 8] [--json]

Starts ``voronka serve`` on a fresh store in a temp dir (loopback), then drives it from
clients in this process, each a coroutine with its own keep-alive connection (plain asyncio
streams on uvloop: a cheap client, since it shares the two cores with the server):

* ``batch100``: 4 clients posting PostHog batches of 100 events to ``/batch/``: events/s;
* ``single``: 16 clients posting one event per request to ``/capture/``: requests/s, p50/p99;
* ``batch1000``: one client posting batches of 1,000 events: latency p50/p99;
* ``v1-single``: 16 clients posting one NDJSON event per request to ``/v1/events`` (the file
  pipeline, one transaction per request): requests/s, p50/p99;
* ``v1-ten``: one client posting NDJSON bodies of 10 events to ``/v1/events`` (the file pipeline:
  validated, normalised, deduplicated, one transaction each) on a store of ``--v1-events``
  events (200,000), each request waiting for the last: latency p50/p99 (``--only v1-ten`` runs
  this case alone);
* ``overload``: 128 clients flooding 100-event batches at a server started with
  ``--max-queue 64``: the share answered ``503`` (with ``Retry-After``) and ``/health``
  latency meanwhile (asked every 20 ms);
* memory: the server's peak RSS (``VmHWM``); start and restart (after kill -9, on the filled
  store): from the process start to the first ``/health`` answer, wall time and the CPU
  time the process used until then, and how long the first write then takes.

Each timed run begins once the server is idle: ``voronka serve`` warms the dashboard up in the
background a second after it starts (imports, a first overview: seconds of CPU that would
share the interpreter with the first run). The machine's load average is printed with the
figures: the clients share the cores with the server, so on a busy machine every figure is
lower than the server could do alone. The server's CPU time per request (from ``/proc``) and
the client's are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import uvloop

from voronka.ingest.readers import Body

VORONKA = str(Path(sys.executable).with_name("voronka"))

USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The server's environment as on a user's machine: Python caches compiled modules (some
sandboxes and CI images set ``PYTHONDONTWRITEBYTECODE``, which makes every start compile
every module from source)."""


def start(store: Path, port: int, *options: str) -> tuple[subprocess.Popen, float, float]:
    """``voronka serve`` on ``store``; (process, seconds to /health, CPU seconds until then)."""
    began = time.monotonic()
    process = subprocess.Popen([VORONKA, "serve", "--store", str(store), "--port", str(port), *options],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=USER_ENV)
    while True:
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            con.request("GET", "/health")
            if con.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.01)
        if process.poll() is not None:
            raise SystemExit("voronka serve ended at start")
    wall = time.monotonic() - began
    return process, wall, cpu_seconds(process)


def first_write(port: int) -> float:
    """Seconds the first write after a start takes (it waits for the writer's warm-up)."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    began = time.perf_counter()
    con.request("POST", "/capture/", body=json.dumps(events(1)[0] | {"api_key": "k"}))
    con.getresponse().read()
    return time.perf_counter() - began


def settle(process: subprocess.Popen, *, idle_share: float = 0.05, quiet: float = 2.0, limit: float = 60.0) -> float:
    """Wait until the server has been idle for ``quiet`` seconds (under ``idle_share`` of a core
    in each half second: its background warm-up of the dashboard, which begins about a second
    after the start, is done), at most ``limit`` seconds; the seconds waited."""
    began = time.monotonic()
    idle_since = began
    while time.monotonic() - began < limit:
        before = cpu_seconds(process)
        time.sleep(0.5)
        if cpu_seconds(process) - before >= idle_share * 0.5:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= quiet:
            break
    return time.monotonic() - began


def peak_rss_mib(process: subprocess.Popen) -> float:
    with open(f"/proc/{process.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def events(n: int) -> list[dict]:
    return [{"event": "$pageview", "distinct_id": f"c{i % 997}", "uuid": str(uuid.uuid4()),
             "timestamp": "2026-03-01T10:00:00Z",
             "properties": {"$current_url": "https://shop.kz/?utm_source=google&utm_campaign=brand"}}
            for i in range(n)]


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) the process has used so far."""
    with open(f"/proc/{process.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writer_cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time the server's writer thread (``voronka-writer``: the group commits) has used."""
    total = 0.0
    for task in os.listdir(f"/proc/{process.pid}/task"):
        try:
            with open(f"/proc/{process.pid}/task/{task}/stat") as f:
                name, fields = f.read().split("(", 1)[1].rsplit(")", 1)
        except OSError:  # the thread ended
            continue
        if name.startswith("voronka-writer"):
            fields = fields.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def drive(port: int, clients: int, seconds: float, body: callable, path: str,
          content_type: str = "application/json", server: subprocess.Popen | None = None) -> dict:
    """``clients`` keep-alive connections posting ``body()`` to ``path`` for ``seconds``: answers,
    latencies, the server's CPU time per acknowledged request (what the figures would be on idle
    cores) and this client's own CPU time per request (it shares the cores with the server)."""
    return uvloop.run(_drive(port, clients, seconds, body, path, content_type, server))


async def _drive(port: int, clients: int, seconds: float, body: callable, path: str, content_type: str,
                 server: subprocess.Popen | None) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            "Content-Length: %d\r\n\r\n")

    async def run() -> None:
        reader = writer = None
        while time.monotonic() < stop:
            data = body()
            data = data.encode() if isinstance(data, str) else data
            began = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write((head % len(data)).encode() + data)
                status, length = await _answer_head(reader)
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                if writer is not None:
                    writer.close()
                reader = writer = None
                status = 0
            latencies.append(time.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1
        if writer is not None:
            writer.close()

    cpu_before = cpu_seconds(server) if server else 0.0
    writer_before = writer_cpu_seconds(server) if server else 0.0
    own_before = time.process_time()
    began = time.monotonic()
    await asyncio.gather(*(run() for _ in range(clients)))
    elapsed = time.monotonic() - began
    cpu = cpu_seconds(server) - cpu_before if server else float("nan")
    writer_cpu = writer_cpu_seconds(server) - writer_before if server else float("nan")
    own = time.process_time() - own_before
    latencies.sort()
    return {"requests": len(latencies), "seconds": elapsed, "statuses": statuses,
            "server_cpu_ms_per_ok": 1000 * cpu / max(statuses.get(200, 0), 1),
            "server_cpu_share": cpu / elapsed,
            "writer_cpu_ms_per_ok": 1000 * writer_cpu / max(statuses.get(200, 0), 1),
            "client_cpu_ms_per_request": 1000 * own / max(len(latencies), 1),
            "client_cpu_share": own / elapsed,
            "ok_per_s": statuses.get(200, 0) / elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else None}


async def _answer_head(reader: asyncio.StreamReader) -> tuple[int, int]:
    """The status and ``Content-Length`` of an HTTP/1.1 answer (its head read)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    at = head.lower().find(b"content-length:")
    return status, int(head[at + 15:head.index(b"\r\n", at)]) if at >= 0 else 0


def health_during(port: int, seconds: float) -> dict:
    """``GET /health`` every 20 ms for ``seconds``: latency p50 and max."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        began = time.perf_counter()
        con.request("GET", "/health")
        con.getresponse().read()
        times.append(time.perf_counter() - began)
        time.sleep(0.02)
    times.sort()
    return {"health_p50_ms": 1000 * times[len(times) // 2], "health_max_ms": 1000 * times[-1], "asked": len(times)}


def v1_ten(seconds: float, events_before: int) -> dict:
    """The ``v1-ten`` case, on a store of ``events_before`` events made for it."""
    import pyarrow as pa

    from voronka.store import Store

    with tempfile.TemporaryDirectory(prefix="voronka-bench-v1-") as folder:
        store, port = Path(folder) / "v1.duckdb", free_port()
        ids = [f"stored-{i}" for i in range(events_before)]
        rows = pa.table({"event_id": ids, "customer_id": [f"c{i % 20_000}" for i in range(events_before)],
                         "ts": ["2026-03-01 10:00:00"] * events_before, "event": ["site_visit"] * events_before,
                         "channel": ["tv"] * events_before})
        with Store(store) as filled:
            filled.ingest("events", [Body("bench", rows, "arrow")])
        process, _, _ = start(store, port)
        try:
            first_write(port)
            settle(process)
            counter = iter(range(10**9))

            def body() -> bytes:
                n = next(counter)
                return "\n".join(json.dumps({"event_id": f"v1-{n}-{i}", "customer_id": f"c{i}",
                                             "ts": "2026-03-01 10:00:00", "event": "site_visit", "channel": "tv"})
                                 for i in range(10)).encode()

            result = drive(port, 1, seconds, body, "/v1/events", "application/x-ndjson", server=process)
        finally:
            process.terminate()
            process.wait()
    result["events_before"] = events_before
    return result


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each timed run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--v1-events", type=int, default=200_000, help="events in the store of the v1-ten case")
    parser.add_argument("--only", choices=["v1-ten"], help="run this case alone")
    parser.add_argument("--capture-only", action="store_true",
                        help="only the three capture runs (batches of 100, single events, batches of 1,000)")
    args = parser.parse_args()
    figures: dict[str, object] = {"load_average_before": os.getloadavg()[0], "cores": os.cpu_count()}
    if args.only == "v1-ten":
        figures["v1-ten"] = v1_ten(args.seconds, args.v1_events)
        figures["load_average_after"] = os.getloadavg()[0]
        print(f"cores {figures['cores']}, load average {figures['load_average_before']:.1f} before, "
              f"{figures['load_average_after']:.1f} after")
        print(v1_ten_line(figures["v1-ten"]))
        if args.json:
            print(json.dumps(figures, indent=1))
        return
    with tempfile.TemporaryDirectory(prefix="voronka-bench-") as folder:
        store, port = Path(folder) / "bench.duckdb", free_port()
        process, wall, cpu = start(store, port)
        figures["first_start"] = {"seconds": wall, "cpu_seconds": cpu, "first_write_seconds": first_write(port)}
        figures["settled_after_seconds"] = settle(process)
        try:
            batch = drive(port, 4, args.seconds, lambda: json.dumps({"api_key": "k", "batch": events(100)}), "/batch/",
                          server=process)
            batch["events_per_s"] = batch["ok_per_s"] * 100
            figures["batch100"] = batch
            figures["single"] = drive(port, 16, args.seconds, lambda: json.dumps(events(1)[0] | {"api_key": "k"}),
                                      "/capture/", server=process)
            figures["batch1000"] = drive(port, 1, args.seconds, lambda: json.dumps({"api_key": "k", "batch": events(1000)}),
                                         "/batch/", server=process)
            if args.capture_only:
                return report(figures | {"load_average_after": os.getloadavg()[0]})
            ndjson = '{"customer_id": "c%d", "ts": "2026-03-01 10:00:00", "event": "site_visit", "channel": "tv"}'
            counter = iter(range(10**9))
            figures["v1-single"] = drive(port, 16, args.seconds, lambda: (ndjson % next(counter)).encode(),
                                         "/v1/events", "application/x-ndjson", server=process)
            figures["peak_rss_mib_after_load"] = peak_rss_mib(process)
        finally:
            process.kill()
            process.wait()
        process, wall, cpu = start(store, port)  # a restart on the store the runs filled (after a kill)
        figures["restart"] = {"seconds": wall, "cpu_seconds": cpu, "first_write_seconds": first_write(port)}
        process.terminate()
        process.wait()
        figures["v1-ten"] = v1_ten(args.seconds, args.v1_events)
        process, _, _ = start(store, port, "--max-queue", "64")
        try:
            first_write(port)
            settle(process)
            result: dict = {}
            flood = threading.Thread(target=lambda: result.update(drive(
                port, 128, args.seconds, lambda: json.dumps({"api_key": "k", "batch": events(100)}), "/batch/")))
            flood.start()
            time.sleep(0.5)
            result_health = health_during(port, args.seconds - 1)
            flood.join()
            result.update(result_health)
            figures["overload"] = result
            figures["peak_rss_mib_after_overload"] = peak_rss_mib(process)
        finally:
            process.terminate()
            process.wait()
    figures["load_average_after"] = os.getloadavg()[0]
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=1))


def report(f: dict) -> None:
    def ms(x: float | None) -> str:
        return "-" if x is None else f"{x:,.1f} ms"

    print(f"cores {f['cores']}, load average {f['load_average_before']:.1f} before, {f['load_average_after']:.1f} after; "
          f"the runs began once the server was idle, {f['settled_after_seconds']:.1f} s after its first write "
          "(its warm-up of the dashboard done)")
    def cpu(r: dict) -> str:
        return (f"; CPU per request: server {r['server_cpu_ms_per_ok']:.2f} ms ({r['server_cpu_share']:.0%} "
                f"of a core; its writer thread {r['writer_cpu_ms_per_ok']:.2f} ms), "
                f"client {r['client_cpu_ms_per_request']:.2f} ms ({r['client_cpu_share']:.0%})")

    b = f["batch100"]
    print(f"batches of 100, 4 clients:       {b['events_per_s']:>10,.0f} events/s   p50 {ms(b['p50_ms'])}, "
          f"p99 {ms(b['p99_ms'])}{cpu(b)}")
    s = f["single"]
    print(f"single events, 16 clients:       {s['ok_per_s']:>10,.0f} requests/s p50 {ms(s['p50_ms'])}, "
          f"p99 {ms(s['p99_ms'])}{cpu(s)}")
    k = f["batch1000"]
    print(f"batches of 1,000, 1 client:      {k['ok_per_s'] * 1000:>10,.0f} events/s   p50 {ms(k['p50_ms'])}, "
          f"p99 {ms(k['p99_ms'])}{cpu(k)}")
    if "v1-single" not in f:
        return
    v = f["v1-single"]
    print(f"/v1/events single, 16 clients:   {v['ok_per_s']:>10,.0f} requests/s p50 {ms(v['p50_ms'])}, "
          f"p99 {ms(v['p99_ms'])}{cpu(v)}")
    print(v1_ten_line(f["v1-ten"]))
    o = f["overload"]
    print(f"overload, 128 clients, queue 64: {o['ok_per_s'] * 100:>10,.0f} events/s   answers {o['statuses']}; "
          f"/health p50 {ms(o['health_p50_ms'])}, max {ms(o['health_max_ms'])}")
    print(f"peak RSS: {f['peak_rss_mib_after_load']:,.0f} MiB after the runs, "
          f"{f['peak_rss_mib_after_overload']:,.0f} MiB under overload")
    for name, label in (("first_start", "start"), ("restart", "restart after kill -9")):
        r = f[name]
        print(f"{label}: /health after {r['seconds']:.2f} s ({r['cpu_seconds']:.2f} s CPU); "
              f"first write stored after {r['first_write_seconds']:.2f} s more")


def v1_ten_line(r: dict) -> str:
    return (f"/v1/events, 10 events a body, 1 client, {r['events_before']:,} events stored: "
            f"p50 {r['p50_ms']:,.1f} ms, p99 {r['p99_ms']:,.1f} ms ({r['ok_per_s']:,.0f} requests/s; "
            f"server CPU {r['server_cpu_ms_per_ok']:.2f} ms per request; answers {r['statuses']})")


if __name__ == "__main__":
    main()
