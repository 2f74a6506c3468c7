"""docs/guarantees.md: durability of acknowledged events and isolation of stores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from voronka.server.collector import Collector
from voronka.store import Store

BODY = "\n".join(json.dumps({"customer_id": f"c{i}", "ts": "2026-03-01 10:00", "event": "site_visit"})
                 for i in range(5))


def test_an_acknowledged_ingest_survives_the_process_being_killed(tmp_path):
    """The collector returns only after COMMIT; SIGKILL right after loses nothing acknowledged."""
    path = tmp_path / "store.duckdb"
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from voronka.server.collector import Collector
        c = Collector({str(path)!r})
        print(c.ingest("events", {BODY.encode()!r}, None, {{}})["added"], flush=True)
        sys.stdin.read()  # hold the store open, never close it
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "5"  # acknowledged
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    with Store(path) as store:
        assert store.count("events") == 5


def test_stores_are_isolated(tmp_path):
    one, two = Collector(tmp_path / "one.duckdb"), Collector(tmp_path / "two.duckdb")
    try:
        assert one.ingest("events", BODY.encode(), None, {})["added"] == 5
        assert (one.event_count, two.event_count) == (5, 0)
        assert two.ingest("events", BODY.encode(), None, {})["added"] == 5  # not a duplicate of one's rows
    finally:
        one.close()
        two.close()
