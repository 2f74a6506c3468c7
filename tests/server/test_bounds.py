"""Backpressure and bounds on a real server: a full write queue and too many bodies at once
are ``503`` with ``Retry-After``, a chunked body past the limit is ``413``, and ``/health``
answers all the while."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path

from .test_server import _serve

EVENT = b'{"event": "$pageview", "distinct_id": "a", "api_key": "k"}'


def _post(url: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict, str | None]:
    host, port = url.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        con.request("POST", path, body=body, headers=headers or {})
        answer = con.getresponse()
        return answer.status, json.loads(answer.read() or b"{}"), answer.getheader("Retry-After")
    finally:
        con.close()


def _health(url: str) -> int:
    host, port = url.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=10)
    con.request("GET", "/health")
    status = con.getresponse().status
    con.close()
    return status


def test_a_full_queue_is_503_with_retry_after_and_health_still_answers(tmp_path: Path):
    for server in _serve(tmp_path / "store.duckdb", max_queue=2, public_dashboard=True):
        collector = server.app.state.collector
        answers: list[tuple[int, dict, str | None]] = []
        with collector.lock:  # the writer is busy (it waits for the store) …
            def post(url: str = server.url, into: list = answers) -> None:
                into.append(_post(url, "/capture/", EVENT))

            threads = [threading.Thread(target=post) for _ in range(20)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while not (collector.writer.queue.full() and any(a[0] == 503 for a in answers)):
                assert time.monotonic() < deadline, answers  # … so the queue fills up
                assert _health(server.url) == 200
            assert _health(server.url) == 200
        for thread in threads:
            thread.join(60)
        statuses = [a[0] for a in answers]
        assert len(statuses) == 20 and set(statuses) == {200, 503}
        assert all(a[2] == "1" and "retry later" in a[1]["error"] for a in answers if a[0] == 503)
        assert server.json("GET", "/health")[1]["events"] == statuses.count(200)


def test_too_many_bodies_at_once_is_503_and_a_long_chunked_body_is_413(tmp_path: Path):
    for server in _serve(tmp_path / "store.duckdb", max_bodies=2, max_body_bytes=1000):
        host, port = server.url.removeprefix("http://").split(":")
        slow = []
        for _ in range(2):  # two clients that send half a body and stall
            s = socket.create_connection((host, int(port)))
            s.sendall(b"POST /capture/ HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + b" " * 100)
            slow.append(s)
        try:
            status, answer, retry = 0, {}, None
            for _ in range(100):  # until the server has read both heads
                status, answer, retry = _post(server.url, "/capture/", EVENT)
                if status == 503:
                    break
            assert (status, retry) == (503, "1") and "2 request bodies" in answer["error"]
            assert _health(server.url) == 200
        finally:
            for s in slow:
                s.close()
        assert _post(server.url, "/capture/", EVENT)[0] == 200

        def chunks():
            for _ in range(20):
                yield b" " * 100  # 2,000 bytes, no Content-Length

        con = http.client.HTTPConnection(host, int(port), timeout=30)
        con.request("POST", "/v1/events", body=chunks(), encode_chunked=True)
        answer = con.getresponse()
        assert answer.status == 413 and "over 1,000 bytes" in json.loads(answer.read())["error"]
        con.close()
        assert _post(server.url, "/capture/", b"[" + b" " * 2000 + b"]")[0] == 413
