"""Issue 18: wide objects are parsed in linear time (timing: benchmarks/ingest_wide.py).

2,000 distinct keys over two events (1,000 each, the per-event limit) through a request
body and a file: every key and value comes back in the event's properties.
"""

from __future__ import annotations

import json

from voronka.ingest.limits import MAX_PROPERTIES
from voronka.server.collector import Collector


def _objects() -> list[dict[str, str]]:
    objects = []
    for n in range(2):
        obj = {"customer_id": f"c{n}", "ts": "2026-03-01 10:00", "event": "site_visit"}
        obj.update({f"key {n * MAX_PROPERTIES + i}": f"v{i}" for i in range(MAX_PROPERTIES)})
        objects.append(obj)
    return objects


def _properties(con) -> dict[str, dict[str, str]]:
    return {c: json.loads(p) for c, p in con.execute("SELECT customer_id, properties FROM events").fetchall()}


def test_two_thousand_distinct_keys_through_a_body_and_a_file(tmp_path, store):
    objects = _objects()
    expected = {o["customer_id"]: {k: v for k, v in o.items() if k not in ("customer_id", "ts", "event")}
                for o in objects}
    assert sum(len(p) for p in expected.values()) == 2000
    collector = Collector(tmp_path / "served.duckdb")
    try:
        body = "\n".join(json.dumps(o) for o in objects).encode()
        assert collector.ingest("events", body, None, {})["added"] == 2
        assert _properties(collector.store.connection) == expected
    finally:
        collector.close()
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(objects), encoding="utf-8")
    assert store.ingest("events", [path]).added == 2
    assert _properties(store.connection) == expected
