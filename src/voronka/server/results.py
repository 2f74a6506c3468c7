"""The server's result cache: answers kept per store generation and canonical definition.

An answer (the JSON bytes of an analysis, the builder's funnel, a page's sections) is kept
under ``(kind, key)`` with the store's **generation** (``Collector.generation``, bumped by
every committed write that adds rows) at the time it was asked for. ``key`` is canonical: the
definition record's JSON (``model_dump_json``), the source options as sorted JSON, the
language. A later generation makes every older answer stale; stale answers are dropped as
new ones come in. Memory is bounded: at most ``max_bytes`` of answers, the least recently
used dropped first. Two requests for the same answer at once compute it once (the second
waits for the first). The builder, the API and the pages share one ``Results``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

JSON = "application/json"
"""The media type of the answers kept as JSON bytes."""
MAX_BYTES = 64 * 1024 * 1024
"""The most bytes of answers kept (a 5-step funnel with a breakdown and its charts: ~60 KB)."""


def json_bytes(value: Any) -> bytes:
    """``value`` as the JSON bytes an answer sends (as FastAPI's ``JSONResponse`` writes it)."""
    from fastapi.encoders import jsonable_encoder

    return json.dumps(jsonable_encoder(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def canonical(*parts: Any) -> str:
    """One string for the parts: a pydantic record by its JSON, anything else as sorted JSON."""
    return json.dumps([p.model_dump_json() if hasattr(p, "model_dump_json") else p for p in parts],
                      sort_keys=True, default=str, ensure_ascii=False)


class Results:
    """Answers by (generation, kind, key), at most ``max_bytes`` of them (module doc)."""

    def __init__(self, generation: Callable[[], int], max_bytes: int = MAX_BYTES) -> None:
        self.generation = generation
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._running: dict[tuple, Future] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, key: str, compute: Callable[[], Any], size: Callable[[Any], int] = len) -> Any:
        """The answer of ``(kind, key)`` at the store's current generation: kept, being
        computed by another request (waited for), or computed now by ``compute`` and kept
        (``size``: its bytes; JSON bytes by default). An error is raised to every request
        waiting for it and nothing is kept."""
        slot = (self.generation(), kind, key)
        with self._lock:
            if slot in self._kept:
                self.hits += 1
                self._kept.move_to_end(slot)
                return self._kept[slot][0]
            running = self._running.get(slot)
            if running is None:
                self.misses += 1
                running = self._running[slot] = Future()
                owner = True
            else:
                owner = False
        if not owner:
            return running.result()
        try:
            answer = compute()
        except BaseException as exc:
            with self._lock:
                del self._running[slot]
            running.set_exception(exc)
            raise
        with self._lock:
            del self._running[slot]
            self._keep(slot, answer, size(answer))
        running.set_result(answer)
        return answer

    def peek(self, kind: str, key: str) -> Any:
        """The answer if kept at the current generation, else None (nothing computed)."""
        with self._lock:
            kept = self._kept.get((self.generation(), kind, key))
        return None if kept is None else kept[0]

    def _keep(self, slot: tuple, answer: Any, size: int) -> None:
        if size > self.max_bytes // 4:  # one huge answer would push out all the rest
            return
        current = self.generation()
        for old in [s for s in self._kept if s[0] < current]:  # an older generation: stale
            self.size -= self._kept.pop(old)[1]
        if slot[0] < current or slot in self._kept:
            return
        self._kept[slot] = (answer, size)
        self.size += size
        while self.size > self.max_bytes:
            _, (_, dropped) = self._kept.popitem(last=False)
            self.size -= dropped


def shared(app: Any, collector: Any) -> Results:
    """The one ``Results`` of the application (made by the first caller): the API's, the
    builder's and the pages' answers share it."""
    if not hasattr(app.state, "results"):
        app.state.results = Results(lambda: collector.generation)
    return app.state.results
