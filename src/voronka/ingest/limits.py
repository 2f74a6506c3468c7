"""The limits on what the store accepts (docs/guarantees.md lists each with its test).

* **Time range**: every stored date-time and date (``ts``, ``changed_at``, ``date``,
  ``month``) lies in ``[TS_MIN, TS_MAX)``: 1900-01-01 00:00 (inclusive) to 2200-01-01
  00:00 (exclusive), UTC. Anything outside is a located error, never stored: analyses
  (Python ``datetime``, calendar series) then cannot meet a year they cannot represent.
* **Properties**: at most ``MAX_PROPERTIES`` per event (property columns of a file,
  keys of one JSON object's properties); a property name (a header or a JSON key) at
  most ``MAX_KEY_CHARS`` characters.
* **Parquet bytes**: a Parquet file given as bytes decodes to at most ``MAX_DECODED_BYTES``.
* **JSON values**: one value (a string, or the JSON text of a nested value) at most
  ``MAX_VALUE_CHARS`` characters; one object (an NDJSON line, an array element) at most
  ``MAX_OBJECT_CHARS`` characters of JSON text.

A value over a limit raises ``LimitError`` (an ``InputError``), so the server can answer
413 rather than 422.
"""

from __future__ import annotations

import datetime as dt

TS_MIN = dt.datetime(1900, 1, 1)
TS_MAX = dt.datetime(2200, 1, 1)
"""The accepted time range: ``TS_MIN <= ts < TS_MAX`` (UTC)."""

MAX_PROPERTIES = 1000
MAX_KEY_CHARS = 256
MAX_VALUE_CHARS = 65_536
MAX_OBJECT_CHARS = 1 << 20
MAX_DECODED_BYTES = 1 << 30
"""The most a Parquet file given as bytes (a request body) may decode to in memory (its
metadata's uncompressed sizes, then the Arrow batches as decoded): a small body cannot
inflate past it."""


def range_text() -> str:
    """The accepted time range as written in errors and docs."""
    return f"{TS_MIN:%Y-%m-%d} to {TS_MAX:%Y-%m-%d} (exclusive)"
