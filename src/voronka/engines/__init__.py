"""Where queries run. The core builds SQL; an ``Engine`` executes it and returns Arrow.

Every analysis talks to this interface only, so the same analysis runs on the embedded
DuckDB default and, through the same SQL transpiled, on a distributed engine.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa


class Engine(Protocol):
    """An SQL engine holding (or reaching) the canonical tables."""

    dialect: str

    def query(self, sql: str) -> pa.Table:
        """Run a query written in DuckDB SQL; return its result as Arrow."""

    def materialize(self, name: str, sql: str) -> None:
        """Store a query's result as a temporary table ``name`` (replacing it)."""

    def has_table(self, name: str) -> bool:
        """Whether ``name`` is a table or view here."""


__all__ = ["Engine"]
