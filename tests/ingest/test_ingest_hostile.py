"""Issue 18: hostile and careless input through ``voronka ingest`` and request bodies.

Each case is refused with an ``InputError`` naming the file (or request body), the row
and, where there is one, the column; nothing of the call is stored. Or, where the issue
asks for it, accepted (a BOM, a pretty-printed object).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app
from voronka.errors import InputError, LimitError, StoreError
from voronka.ingest.limits import MAX_KEY_CHARS, MAX_OBJECT_CHARS, MAX_PROPERTIES, MAX_VALUE_CHARS
from voronka.server.collector import REQUEST, Collector
from voronka.store import Store

GOOD = {"customer_id": "c1", "ts": "2026-03-01 10:00", "event": "site_visit"}
LINE = json.dumps(GOOD)


def _event(**fields: object) -> str:
    return json.dumps({**GOOD, **fields})


# (body, row, column, text in the reason)
REFUSED = {
    "year 10000": (_event(ts="10000-01-01"), 1, "ts", "outside the accepted time range"),
    "year -44": (_event(ts="-0044-03-15"), 1, "ts", "outside the accepted time range"),
    "13-digit epoch in 2286": (_event(ts="9999999999999"), 1, "ts", "outside the accepted time range"),
    "before 1900": (_event(ts="1899-12-31 23:59:59"), 1, "ts", "outside the accepted time range"),
    "2200 itself": (_event(ts="2200-01-01"), 1, "ts", "outside the accepted time range"),
    "malformed after good lines": (LINE + "\n" + LINE + '\n{"customer_id": "c2", "ts"', 3, None,
                                   "malformed JSON at line 3"),
    "properties a string": (_event(properties="abc"), 1, "properties", "not a JSON object"),
    "properties a number": (_event(properties=5), 1, "properties", "not a JSON object"),
    "properties an array": (_event(properties=[1, 2]), 1, "properties", "not a JSON object"),
    "empty key": (_event(**{"": "x"}), 1, None, "an empty key"),
    "repeated key": (LINE[:-1] + ', "event": "purchase"}', 1, None, "'event' is repeated"),
    "repeated nested key": (_event()[:-1] + ', "page": {"a": 1, "a": 2}}', 1, None, "'a' is repeated"),
    "case-equal keys": (_event(Customer_ID="c2"), 1, None, "name the same column"),
    "NUL in customer_id": (_event(customer_id="c\u0000"), 1, "customer_id", "NUL"),
    "NUL in event": (_event(event="buy\u0000"), 1, "event", "NUL"),
    "NUL in a key": (_event(**{"pa\u0000ge": "x"}), 1, None, "NUL"),
    "object as customer_id": (_event(customer_id={"id": 1}), 1, "customer_id", "not a JSON object or array"),
    "array as event": (_event(event=["a"]), 1, "event", "not a JSON object or array"),
    "object as revenue": (_event(revenue={"a": 1}, currency="KZT"), 1, "revenue", "not a JSON object or array"),
    "not an object": (LINE + "\n[1, 2]", 2, None, "expected a JSON object"),
    "NaN": (LINE[:-1] + ', "x": NaN}', 1, None, "NaN"),
    "deep nesting": (LINE[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}", 1, None, "nested"),
    "huge integer": (LINE[:-1] + ', "x": ' + "9" * 5000 + "}", 1, None, "malformed JSON"),
}

# (body, reason) over a limit: LimitError (a server's 413)
OVER = {
    "too many properties": (_event(**{f"k{i}": "v" for i in range(MAX_PROPERTIES + 1)}), "properties are over"),
    "too long a key": (_event(**{"k" * (MAX_KEY_CHARS + 1): "v"}), "a key of"),
    "too long a value": (_event(page="v" * (MAX_VALUE_CHARS + 1)), "a value of"),
    "an object over the limit": (_event(page=["v" * 60_000] * (MAX_OBJECT_CHARS // 60_000 + 1)), "an object of"),
    "an object over 16 MiB": (_event(page="v" * (17 << 20)), "an object of"),
}


def _check_file(store: Store, path: Path, row: int | None, column: str | None, text: str) -> InputError:
    store.ingest("events", [path])  # a good first row, so "nothing stored" is tested against rows
    before = store.count("events")
    bad = path.with_name("bad.ndjson")
    with pytest.raises(InputError) as info:
        store.ingest("events", [path, bad])
    err = info.value
    assert err.file == str(bad) and err.row == row and err.column == column, str(err)
    assert text in str(err)
    assert store.count("events") == before
    return err


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_from_a_file_with_the_row_and_column(store, tmp_path, case):
    body, row, column, text = REFUSED[case]
    good = tmp_path / "good.ndjson"
    good.write_text(_event(customer_id="c0"), encoding="utf-8")
    (tmp_path / "bad.ndjson").write_text(body, encoding="utf-8")
    _check_file(store, good, row, column, text)


@pytest.mark.parametrize("case", sorted(OVER))
def test_over_a_limit_is_a_limit_error(store, tmp_path, case):
    body, text = OVER[case]
    good = tmp_path / "good.ndjson"
    good.write_text(_event(customer_id="c0"), encoding="utf-8")
    (tmp_path / "bad.ndjson").write_text(body, encoding="utf-8")
    err = _check_file(store, good, 1, err_column(case), text)
    assert isinstance(err, LimitError)


def err_column(case: str) -> str | None:
    return {"too long a value": "page", "too many properties": "properties"}.get(case)


@pytest.mark.parametrize("case", sorted(REFUSED) + sorted(OVER))
def test_refused_from_a_request_body_the_same_way(tmp_path, case):
    body, *rest = REFUSED.get(case) or OVER[case]
    collector = Collector(tmp_path / "store.duckdb")
    try:
        collector.ingest("events", LINE.encode(), None, {})
        with pytest.raises(InputError) as info:
            collector.ingest("events", body.encode(), None, {})
        assert info.value.file == REQUEST and str(info.value).startswith(REQUEST)
        assert info.value.row is not None
        assert collector.event_count == 1
    finally:
        collector.close()


@pytest.mark.parametrize("depth", [900, 950, 980, 990, 1000])
def test_nesting_near_the_depth_limit_is_stored_or_refused_at_its_row(store, tmp_path, depth):
    """Parsed just under Python's recursion limit but too deep to write back: still located."""
    path = tmp_path / "deep.ndjson"
    path.write_text(LINE[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    try:
        store.ingest("events", [path])
    except InputError as exc:
        assert exc.row == 1 and "nested too deeply" in str(exc)
        assert store.count("events") == 0


def test_the_extremes_of_the_time_range_are_accepted(store, tmp_path):
    path = tmp_path / "edges.ndjson"
    path.write_text("\n".join([_event(ts="1900-01-01 00:00:00"), _event(ts="2199-12-31 23:59:59.999999"),
                               _event(ts="1700000000000"), _event(ts="1700000000")]), encoding="utf-8")
    store.ingest("events", [path])
    got = [str(t) for (t,) in store.connection.execute("SELECT ts FROM events ORDER BY ts").fetchall()]
    # epochs by magnitude: 10 digits are seconds, 13 digits milliseconds; both the same instant
    assert got == ["1900-01-01 00:00:00", "2023-11-14 22:13:20", "2199-12-31 23:59:59.999999"]


def test_dates_of_spend_and_deals_are_range_checked_too(store, tmp_path):
    spend = tmp_path / "spend.csv"
    spend.write_text("date,channel,amount,currency\n2026-03-01,tv,10,KZT\n1899-03-01,tv,10,KZT\n", encoding="utf-8")
    with pytest.raises(InputError, match="time range") as info:
        store.ingest("spend", [spend])
    assert (info.value.row, info.value.column) == (2, "date")


def test_a_bom_and_a_pretty_printed_object_are_accepted_in_files_and_bodies(store, tmp_path):
    pretty = json.dumps({**GOOD, "page": "/"}, indent=2)
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + LINE.encode())
    (tmp_path / "pretty.json").write_text(pretty, encoding="utf-8")
    (tmp_path / "utf16.json").write_bytes(_event(customer_id="c16").encode("utf-16"))
    store.ingest("events", [tmp_path / "bom.json", tmp_path / "pretty.json", tmp_path / "utf16.json"])
    assert store.count("events") == 3  # LINE and the pretty object differ by their property
    collector = Collector(tmp_path / "served.duckdb")
    try:
        assert collector.ingest("events", b"\xef\xbb\xbf" + LINE.encode(), None, {})["added"] == 1
        assert collector.ingest("events", pretty.encode(), None, {})["added"] == 1
    finally:
        collector.close()


def test_a_non_object_properties_column_of_a_csv_is_a_row_error(store, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text('customer_id,ts,event,properties\nc1,2026-03-01,visit,"{""a"": 1}"\nc2,2026-03-01,visit,abc\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON object") as info:
        store.ingest("events", [path])
    assert (info.value.row, info.value.column) == (2, "properties")
    assert store.count("events") == 0


def test_a_csv_header_naming_a_canonical_column_twice_is_refused(store, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("customer_id,ts,event,Customer_ID,page,page\nc1,2026-03-01,v,c2,a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="'customer_id' and 'Customer_ID' name the same column"):
        store.ingest("events", [path])
    path.write_text("customer_id,ts,event,page,Page\nc1,2026-03-01,v,a,b\n", encoding="utf-8")
    store.ingest("events", [path])  # a repeated property column is kept, suffixed
    assert store.connection.execute("SELECT properties FROM events").fetchall() == [('{"page":"a","Page_2":"b"}',)]


def test_csv_limits_on_property_columns(store, tmp_path):
    wide = tmp_path / "wide.csv"
    header = ["customer_id", "ts", "event"] + [f"p{i}" for i in range(MAX_PROPERTIES + 1)]
    wide.write_text(",".join(header) + "\n" + ",".join(["c1", "2026-03-01", "v"] + ["x"] * (MAX_PROPERTIES + 1))
                    + "\n", encoding="utf-8")
    with pytest.raises(LimitError, match="property columns"):
        store.ingest("events", [wide])


def test_the_store_lock_error_names_voronka_serve(tmp_path):
    path = tmp_path / "store.duckdb"
    Store(path).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from voronka.store import Store
        s = Store({str(path)!r})
        print("ready", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="voronka serve"):
            Store(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_internal_errors_are_one_line_unless_debug(tmp_path, monkeypatch):
    """A fault injected below the CLI: one line and exit 1; the traceback only with --debug."""
    path = tmp_path / "e.ndjson"
    path.write_text(LINE, encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(Store, "ingest", broken)
    runner = CliRunner()
    args = ["ingest", str(path), "--store", str(tmp_path / "s.duckdb")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "internal error (RuntimeError: injected fault)" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, RuntimeError)
    result = runner.invoke(app, ["--debug", *args])
    assert isinstance(result.exception, RuntimeError)


def test_a_cli_ingest_of_bad_input_prints_one_line(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text(LINE + "\n" + LINE + "\n{oops", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(path), "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: {path}, row 3: malformed JSON at line 3, character 2")
    assert "Traceback" not in result.output
