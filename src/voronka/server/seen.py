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
    """The hashes of the keys in ``table.column`` (see the module doc).

    The stored hashes are one sorted array (looked up by binary search, 8 bytes a key); those
    added since are a set, merged into the array once there are ``MERGE_AT`` of them (an
    insertion into the sorted array: one copy of it, linear, not a sort)."""

    def __init__(self, connection: Any, table: str, column: str) -> None:
        self.table, self.column = table, column
        self.reload(connection)

    def reload(self, connection: Any) -> None:
        """Read every key's hash from the table (after a write that did not go through ``add``)."""
        hashes = connection.execute(f"SELECT hash({self.column}) AS h FROM {self.table}").fetchnumpy()["h"]
        self._sorted = np.sort(np.asarray(hashes, dtype=np.uint64))  # a sort, not np.unique: 0.7 s, not 60, for 10M
        self._recent: set[int] = set()

    def maybe_seen(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether a stored key has it (True: look the key up; False: new)."""
        found = _members(self._sorted, hashes)
        if self._recent:
            found |= np.fromiter((h in self._recent for h in hashes.tolist()), dtype=bool, count=len(hashes))
        return found

    def add(self, hashes: np.ndarray) -> None:
        """Keys just stored."""
        self._recent.update(hashes.tolist())
        if len(self._recent) >= MERGE_AT:
            new = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
            new.sort()
            self._sorted = np.insert(self._sorted, np.searchsorted(self._sorted, new), new)
            self._recent = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)


def _members(sorted_hashes: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    if not len(sorted_hashes):
        return np.zeros(len(hashes), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_hashes, hashes), len(sorted_hashes) - 1)
    return sorted_hashes[at] == hashes
