"""The server's result cache (``server.results``): per generation, bounded, computed once."""

from __future__ import annotations

import threading
import time

import pytest

from voronka.server.results import Results, canonical


def test_an_answer_is_kept_until_the_generation_changes():
    generation = [0]
    results = Results(lambda: generation[0])
    calls = []

    def compute() -> bytes:
        calls.append(generation[0])
        return f"answer {generation[0]}".encode()

    assert results.get("funnel", "a", compute) == b"answer 0"
    assert results.get("funnel", "a", compute) == b"answer 0" and calls == [0]
    generation[0] = 1  # a write committed: the kept answer is stale
    assert results.peek("funnel", "a") is None
    assert results.get("funnel", "a", compute) == b"answer 1" and calls == [0, 1]
    assert results.size == len(b"answer 1")  # the older generation's answer was dropped


def test_memory_is_bounded_least_recently_used_first():
    results = Results(lambda: 0, max_bytes=4000)
    for key in "abcd":
        results.get("x", key, lambda: b"." * 900)
    results.get("x", "a", lambda: b"never")  # a is used again: b is now the oldest
    results.get("x", "e", lambda: b"." * 900)
    assert results.size <= 4000
    assert results.peek("x", "b") is None and results.peek("x", "a") is not None
    assert results.get("x", "huge", lambda: b"." * 2000) and results.peek("x", "huge") is None  # > a quarter: not kept


def test_requests_at_once_compute_once_and_errors_are_not_kept():
    results = Results(lambda: 0)
    calls = []

    def slow() -> bytes:
        calls.append(1)
        time.sleep(0.2)
        return b"done"

    answers = []
    threads = [threading.Thread(target=lambda: answers.append(results.get("x", "k", slow))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [b"done"] * 4 and calls == [1]

    def fail() -> bytes:
        raise ValueError("bad filter")

    with pytest.raises(ValueError, match="bad filter"):
        results.get("x", "bad", fail)
    assert results.peek("x", "bad") is None


def test_the_key_is_the_records_json_and_sorted_options():
    from voronka.funnel.spec import funnel_definition

    a = funnel_definition({"steps": "ad_view,purchase", "window": "7d"})
    b = funnel_definition({"window": "7d", "steps": "ad_view,purchase"})
    assert canonical(a, {"where": ["channel=tv"], "since": "2026-01-01"}) == canonical(
        b, {"since": "2026-01-01", "where": ["channel=tv"]})
    assert canonical(a, {}) != canonical(funnel_definition({"steps": "ad_view,purchase", "window": "8d"}), {})
