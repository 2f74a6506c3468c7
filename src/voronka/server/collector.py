"""The store behind the server: the lock its requests share, ingests of request bodies and the
dashboard cache."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.encoders import jsonable_encoder

from voronka.errors import InputError
from voronka.store import Store

REQUEST = "request body"
"""What an error names as the file: the request's own body."""

LANGS = ("en", "ru", "kk")


class Collector:
    """The store behind the server, with the lock its requests share and the dashboard cache."""

    def __init__(self, store_path: str | Path) -> None:
        self.store = Store(store_path)
        self.lock = threading.Lock()
        self.generation = 0  # counts the ingests that added rows: the dashboard cache's key
        self._pages: dict[tuple[str, str, int], str] = {}

    def close(self) -> None:
        self.store.close()

    def ingest(self, table: str, body: bytes, tz: str | None, mapping: dict[str, str]) -> dict[str, int]:
        """Store the rows of ``body`` in ``table`` (one transaction), or raise ``InputError``
        naming the row and field of the body."""
        text = body.lstrip()
        if not text:
            raise InputError("empty body: send a JSON object, an array of objects, or NDJSON", file=REQUEST)
        suffix = ".json" if text[:1] == b"[" else ".ndjson"
        with tempfile.TemporaryDirectory(prefix="voronka-request-") as folder:
            path = Path(folder) / f"body{suffix}"
            path.write_bytes(body)
            try:
                with self.lock:
                    summary = self.store.ingest(table, [path], tz=tz, mapping=mapping)
                    if summary.added:
                        self.generation += 1
            except InputError as exc:  # name the body, not the temporary file
                raise InputError(exc.reason.replace(str(path), REQUEST), file=REQUEST, row=exc.row,
                                 column=exc.column, value=exc.value) from None
        return {"rows_read": summary.rows_read, "added": summary.added, "duplicates": summary.duplicates}

    def dashboard(self, lang: str, tz: str) -> str:
        """The full report of the store now, as HTML (cached until an ingest adds rows)."""
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.i18n import t
        from voronka.reports.full import full_report

        with self.lock:
            key = (lang, tz, self.generation)
            if key not in self._pages:
                links = [(t(f"lang.{code}", code), "?" + urlencode({"lang": code, "tz": tz})) for code in LANGS]
                built = full_report(DuckDBEngine(self.store.connection), lang, timezone=tz,
                                    title=t("dashboard.title", lang))
                built.report.links = links
                self._pages = {k: page for k, page in self._pages.items() if k[2] == self.generation}
                self._pages[key] = built.report.render()
            return self._pages[key]

    def funnel_steps(self, flags: dict[str, Any], options: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        """The steps of the funnel of ``flags`` (``funnel.spec.funnel_definition``; default: the
        hourglass) over the store's events as ``options`` say (``Source.from_options``)."""
        from voronka.engines.duckdb import DuckDBEngine
        from voronka.funnel import compute_funnel
        from voronka.funnel.spec import funnel_definition
        from voronka.source import Source

        definition = funnel_definition(flags, lang=lang, default_model="hourglass")
        with self.lock:
            source = Source.from_options(DuckDBEngine(self.store.connection), **options)
            result = compute_funnel(source, definition, units=False)
        return jsonable_encoder(result.steps.to_pylist())

    def events(self) -> int:
        with self.lock:
            return self.store.count("events")
