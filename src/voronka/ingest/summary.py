"""What an ingest did: rows read, added, duplicates and rejected, per file and in total.

For every file ``rows_read = added + duplicates + rejected``: a *duplicate* is a good
row whose key (``event_id``, ``spend_id``, ``alias``) is already in the store or
appeared earlier in the same ingest; a *rejected* row was bad and went to the reject
file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class FileSummary:
    """The counts of one file."""

    file: str
    rows_read: int
    added: int
    duplicates: int
    rejected: int


@dataclass(frozen=True)
class IngestSummary:
    """The counts of one ingest call, per file; the totals are properties."""

    table: str
    files: tuple[FileSummary, ...]
    reject_file: str | None = None

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def to_arrow(self) -> pa.Table:
        """One row per file and a last row ``total``."""
        rows = [f.__dict__ for f in self.files] + [
            {"file": "total", "rows_read": self.rows_read, "added": self.added,
             "duplicates": self.duplicates, "rejected": self.rejected}
        ]
        return pa.Table.from_pylist(
            rows,
            schema=pa.schema([("file", pa.string()), ("rows_read", pa.int64()), ("added", pa.int64()),
                              ("duplicates", pa.int64()), ("rejected", pa.int64())]),
        )
