"""The HTTP collector and the web dashboard over one store (an I/O edge).

Modules: ``app`` (the FastAPI application, error policy), ``collector`` (the store, its lock,
ingests of request bodies, the dashboard cache), ``collect`` (the write routes), ``read``
(the dashboard and the analyses as JSON).

    app = create_app("voronka.duckdb", token="s3cret")     # voronka serve --store … --token …

The process holds the store open for writing; requests that touch it take turns (one
lock), so an ingest and a dashboard never see each other half done.

* ``POST /v1/{table}`` (``events``, ``spend``, ``aliases``, ``deals``): the body is a JSON
  object, a JSON array of objects, or NDJSON (one object per line), with the columns of
  the table as in a file (docs/ingest.md: the same mapping of headers, time zones, Russian
  numbers and checks). Query parameters: ``tz`` (for timestamps without an offset) and
  ``map`` (``customer_id=client_id,ts=time``: the columns under other names), and as
  ``voronka ingest`` takes them ``format`` (the body is a CSV, TSV, XLSX, Parquet or NDJSON
  file), ``currency``, ``keep_repeats``, ``encoding``, ``delimiter``.
  One request is one ingest: all its rows are stored, or none. Answers ``200`` with the
  counts (``rows_read``, ``added``, ``duplicates``); ``422`` with ``{"error": …}`` naming
  the row (1-based, in the body) and the field of the first bad value; ``413`` for a body
  over ``max_body_bytes``; ``401`` without the bearer token when one is set. A request
  sent twice adds nothing the second time (``event_id``, or the hash of the row).
* ``GET /``: the dashboard: the full report (``voronka report``) of the store as it is
  now, ``?lang=en|ru|kk&tz=Asia/Almaty``, with links between the languages. Built on the
  first request and again only after an ingest has added rows.
* ``GET /v1/funnel?model=hourglass&lang=…`` (or ``?steps=site_visit,purchase&window=30d``):
  the funnel's steps as JSON rows (the ``voronka funnel --format json`` rows).
* ``POST /v1/snapshot``: a consistent copy of the store beside it, for the CLI while the server
  holds the store (``voronka.served``; ``voronka serve`` writes ``<store>.serve.json``).
* ``GET /health``: ``{"status": "ok", "events": N}``.
"""

from voronka.server.app import MAX_BODY_BYTES, create_app

__all__ = ["MAX_BODY_BYTES", "create_app"]
