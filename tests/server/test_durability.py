"""Durability: concurrent clients post PostHog batches while ``voronka serve`` is killed with
SIGKILL at random moments and restarted; every acknowledged event is stored exactly once.

Clients behave as the SDKs do: a batch that was not acknowledged (refused, or the connection
died) is sent again, with the same ``uuid``s, once the server is back. Bounded: five kills,
each 0.5–2 s after the restarted server stores writes again, on loopback.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from pathlib import Path

from voronka.store import Store

from ._live import free_port, spawn, stop

CLIENTS = 8
KILLS = 5


def _writing(port: int) -> None:
    """Wait until the server stores writes (after a start, the writer warms up first)."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    con.request("POST", "/capture/", body=json.dumps({"event": "probe", "distinct_id": "probe", "uuid": "probe"}))
    assert con.getresponse().status == 200
    con.close()


def test_every_acknowledged_event_is_stored_exactly_once_across_kill_9(tmp_path: Path):
    store, port = tmp_path / "store.duckdb", free_port()
    process = spawn(store, port)
    _writing(port)
    done = threading.Event()
    sent: set[str] = set()
    acknowledged: set[str] = set()
    guard = threading.Lock()
    restarts: list[float] = []

    def client(number: int) -> None:
        rng = random.Random(number)
        con: http.client.HTTPConnection | None = None
        pending: list[dict] = []
        sequence = 0
        while not done.is_set() or pending:
            if not pending:
                size = rng.choice([1, 1, 5, 20, 100])
                pending = [{"event": "$pageview", "distinct_id": f"c{number}-{sequence + i % 7}",
                            "uuid": f"{number:02d}-{sequence + i:08d}", "timestamp": "2026-03-01T10:00:00Z"}
                           for i in range(size)]
                sequence += size
                with guard:
                    sent.update(e["uuid"] for e in pending)
            try:
                con = con or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                con.request("POST", "/batch/", body=json.dumps({"api_key": "k", "batch": pending}),
                            headers={"Content-Type": "application/json"})
                answer = con.getresponse()
                answer.read()
                if answer.status == 200:
                    with guard:
                        acknowledged.update(e["uuid"] for e in pending)
                    pending = []
                else:
                    time.sleep(0.05)
            except (OSError, http.client.HTTPException):  # the server died under us: sent again
                if con is not None:
                    con.close()
                con = None
                time.sleep(0.05)
                if done.is_set() and time.monotonic() > finished[0] + 30:
                    return  # the server is not coming back: give up the unacknowledged batch

    finished = [float("inf")]
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    rng = random.Random(19)
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.5, 2.0))
            process.kill()  # SIGKILL: no shutdown, no flush
            process.wait()
            started = time.monotonic()
            process = spawn(store, port)
            restarts.append(time.monotonic() - started)
            _writing(port)
        time.sleep(0.5)
        finished[0] = time.monotonic()
        done.set()
        for thread in threads:
            thread.join(60)
    finally:
        done.set()
        stop(process)
    with Store(store, read_only=True) as s:
        rows = s.connection.execute("SELECT event_id, count(*) FROM events GROUP BY event_id").fetchall()
    stored = {event_id for event_id, _ in rows} - {"probe"}
    duplicated = sum(n - 1 for _, n in rows)
    lost = len(acknowledged - stored)
    print(f"\nsent {len(sent):,}, acknowledged {len(acknowledged):,}, stored {len(stored):,}, lost {lost}, "
          f"duplicated {duplicated}; {len(restarts)} kill -9s, restart to /health "
          f"{min(restarts):.2f}–{max(restarts):.2f} s")
    assert len(restarts) == KILLS and len(acknowledged) > 100
    assert lost == 0 and duplicated == 0
    assert stored <= sent
