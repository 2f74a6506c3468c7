"""The keys already stored, for the writer's exactly-once check without scanning the store.

``SeenKeys`` holds DuckDB's 64-bit ``hash()`` of every key of one column (8 bytes a row: 80
MB for 10 million events), read from the store once and then kept up to date by the
writer. A batch's key whose hash is not there is new; one whose hash is there is looked up
in the table (a repeat, as a retrying SDK sends, or, rarely, two keys with one hash), so a
new key is never taken for a stored one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MERGE_AT = 1 << 16
"""Hashes added since the last merge, past which they are merged into the sorted array."""


class SeenKeys:
    """The hashes of the keys in ``table.column`` (see the module doc)."""

    def __init__(self, connection: Any, table: str, column: str) -> None:
        self.table, self.column = table, column
        self.reload(connection)

    def reload(self, connection: Any) -> None:
        """Read every key's hash from the table (after a write that did not go through ``add``)."""
        hashes = connection.execute(f"SELECT hash({self.column}) AS h FROM {self.table}").fetchnumpy()["h"]
        self._sorted = _sorted_unique(np.asarray(hashes, dtype=np.uint64))
        self._recent: list[np.ndarray] = []
        self._recent_count = 0

    def maybe_seen(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether a stored key has it (True: look the key up; False: new)."""
        found = _members(self._sorted, hashes)
        for part in self._recent:
            found |= _members(part, hashes)
        return found

    def add(self, hashes: np.ndarray) -> None:
        """Keys just stored."""
        self._recent.append(_sorted_unique(hashes.astype(np.uint64)))
        self._recent_count += len(hashes)
        if self._recent_count >= MERGE_AT or len(self._recent) > 64:
            self._sorted = _sorted_unique(np.concatenate([self._sorted, *self._recent]))
            self._recent, self._recent_count = [], 0

    def __len__(self) -> int:
        return len(self._sorted) + self._recent_count


def _sorted_unique(hashes: np.ndarray) -> np.ndarray:
    """The distinct ``hashes``, sorted. (``np.unique`` hashes 64-bit integers since NumPy 2.3:
    some fifty times slower than sorting, 0.1 s for 200,000.)"""
    ordered = np.sort(hashes)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _members(sorted_hashes: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    if not len(sorted_hashes):
        return np.zeros(len(hashes), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_hashes, hashes), len(sorted_hashes) - 1)
    return sorted_hashes[at] == hashes
