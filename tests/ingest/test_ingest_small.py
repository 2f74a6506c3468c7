"""A small source (a request body) takes the staged way (``pipeline.SMALL_ROWS``): the same rows
stored, the same counts, the same errors as a large file's way; plans are kept per shape; the
caller's record of stored keys (``KnownKeys``, the server's ``SeenKeys``) is used and kept."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from tests.ingest.ingest_helpers import events
from voronka.errors import InputError
from voronka.ingest import normalise, pipeline
from voronka.ingest.readers import Body
from voronka.server.seen import SeenKeys
from voronka.store import Store

FIRST = ("customer_id,ts,event,revenue,currency,page\n"
         "c1,2026-03-01 10:00,site_visit,,,/\n"
         "c1,2026-03-01 10:00,site_visit,,,/\n"  # repeats the row above: one kept
         "c2,01.03.2026 12:00,purchase,\"1 234,50\",₸,/buy\n")
SECOND = ("event_id,customer_id,ts,event,revenue,currency\n"
          "e-1,c3,2026-03-02 10:00,purchase,10,USD\n"
          "e-1,c3,2026-03-02 11:00,purchase,20,USD\n"  # the same id: the first kept
          "e-2,c4,2026-03-02 12:00,site_visit,,\n")
BAD = "customer_id,ts,event\nc5,2026-03-03,a\nc6,someday,b\nc7,,c\n"


def run(tmp_path: Path, name: str, small_rows: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list, list]:
    """The summaries, the stored events and the rejects of the same ingests, with ``SMALL_ROWS``."""
    monkeypatch.setattr(pipeline, "SMALL_ROWS", small_rows)
    with Store(tmp_path / f"{name}.duckdb") as store:
        counts = []
        for i, text in enumerate((FIRST, SECOND, FIRST, SECOND)):  # the last two: every row already there
            counts.append(store.ingest("events", [Body(f"body{i}.csv", text.encode(), "csv")]).files)
        rejects = tmp_path / f"{name}-rejects.csv"
        counts.append(store.ingest("events", [Body("bad.csv", BAD.encode(), "csv")], reject_file=rejects).files)
        with pytest.raises(InputError) as refused:
            store.ingest("events", [Body("bad.csv", BAD.encode(), "csv")])
        stored = events(store)
        ids = store.connection.execute("SELECT event_id FROM events ORDER BY rowid").fetchall()
    return counts, stored + ids, [rejects.read_text(encoding="utf-8"), str(refused.value)]


def test_the_staged_way_stores_what_the_large_way_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staged, large = run(tmp_path, "staged", 10_000, monkeypatch), run(tmp_path, "large", 0, monkeypatch)
    assert staged == large
    counts, stored, (rejects, refused) = staged
    assert [(f.rows_read, f.added, f.duplicates, f.rejected) for (f,) in counts] == [
        (3, 2, 1, 0), (3, 2, 1, 0), (3, 0, 3, 0), (3, 0, 3, 0), (3, 1, 0, 2)]
    assert refused == "bad.csv, row 2, column 'ts' (value 'someday'): not a date-time (expected ISO 8601, " \
                      "DD.MM.YYYY [HH:MM[:SS]] or epoch seconds)"
    assert rejects.splitlines()[1:] == ['"c6","someday","b","bad.csv","2","ts","not a date-time (expected ISO 8601, '
                                        'DD.MM.YYYY [HH:MM[:SS]] or epoch seconds)"',
                                        '"c7",,"c","bad.csv","3","ts","ts is required"']


def test_a_plan_is_made_once_per_shape_and_errors_still_name_their_file() -> None:
    columns = [("client", "VARCHAR"), ("ts", "VARCHAR"), ("event", "VARCHAR")]
    first = normalise.plan("events", columns, "src", mapping={"customer_id": "client"}, file="a.csv", few=True)
    assert normalise.plan("events", columns, "src", mapping={"customer_id": "client"}, file="b.csv", few=True) is first
    assert normalise.plan("events", columns, "src", mapping={"customer_id": "client"}, tz="Asia/Almaty",
                          few=True) is not first
    for file in ("a.csv", "b.csv"):  # a refused shape is not kept: each file is named
        with pytest.raises(InputError, match=f"^{file}: required column 'customer_id' is missing"):
            normalise.plan("events", columns, "src", file=file)


def test_known_keys_are_used_and_kept_up_to_date(tmp_path: Path) -> None:
    def body(ids: list[str]) -> Body:
        return Body("request body", "\n".join(json.dumps({"event_id": i, "customer_id": "c", "ts": "2026-03-01",
                                                          "event": "e"}) for i in ids).encode())

    with Store(tmp_path / "store.duckdb") as store:
        store.ingest("events", [Body("old", pa.table({"event_id": ["old-1"], "customer_id": ["c"],
                                                      "ts": ["2026-03-01"], "event": ["e"]}), "arrow")])
        seen = SeenKeys(store.connection, "events", "event_id")
        assert len(seen) == 1
        first = store.ingest("events", [body(["new-1", "new-2", "new-1"])], known=seen)
        assert (first.added, first.duplicates) == (2, 1) and len(seen) == 3  # the ids added, once committed
        again = store.ingest("events", [body(["old-1", "new-2", "new-3"])], known=seen)  # seen: looked up
        assert (again.added, again.duplicates) == (1, 2) and len(seen) == 4
        with pytest.raises(InputError):  # a refused body adds nothing, to the table or to the record
            store.ingest("events", [body(["new-4"]), Body("bad", b'{"customer_id": "c"}')], known=seen)
        assert len(seen) == 4 and store.count("events") == 4
        hashes = store.connection.execute("SELECT hash(event_id) AS h FROM events").fetchnumpy()["h"]
        assert seen.maybe_seen(hashes).all()
