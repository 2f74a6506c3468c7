"""The store stays usable while ``voronka serve`` holds it (docs/server.md, "Using the CLI while
the server runs"): a real server process on loopback over a real DuckDB demo store, and the real
CLI in other processes reading its snapshots and ingesting through it."""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from tests.server._live import VORONKA, free_port, spawn, stop
from voronka import demo
from voronka.served import read_serve_file, serve_file, snapshot_file
from voronka.store import Store

FUNNEL = ["funnel", "--steps", "site_visit,purchase", "--format", "json"]


def cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VORONKA, *args, "--store", str(store)], capture_output=True, text=True, timeout=120,
                          env=os.environ | {"NO_COLOR": "1", "COLUMNS": "200"})


def ok(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    done = cli(*args, store=store)
    assert done.returncode == 0, done.stderr
    return done


def events_counted(url: str, key: str) -> int:
    request = urllib.request.Request(url + "/health", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["events"]


@contextlib.contextmanager
def created_in(*folders: Path) -> Iterator[list[str]]:
    """The names of the files created (or moved) into ``folders`` meanwhile, even those removed
    again before the end (Linux inotify: the kernel queues every creation)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    assert fd >= 0
    in_create, in_moved_to = 0x100, 0x80
    for folder in folders:
        assert libc.inotify_add_watch(fd, os.fsencode(folder), in_create | in_moved_to) >= 0
    names: list[str] = []
    try:
        yield names
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            at = 0
            while at < len(data):  # struct inotify_event: wd, mask, cookie, len, name[len]
                length = int.from_bytes(data[at + 12:at + 16], sys.byteorder)
                names.append(data[at + 16:at + 16 + length].rstrip(b"\0").decode())
                at += 16 + length
    finally:
        os.close(fd)


@pytest.fixture()
def demo_store(tmp_path: Path) -> Path:
    files = demo.write(demo.generate(600, seed=3), tmp_path / "files")
    with Store(tmp_path / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
    return tmp_path / "demo.duckdb"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_cli_reads_and_ingests_while_the_server_runs(demo_store: Path, tmp_path: Path) -> None:
    before = json.loads(ok(*FUNNEL, store=demo_store).stdout)
    stale = serve_file(demo_store)  # a serve file left by a server killed -9: replaced
    stale.write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead_pid(), "key": "x", "max_body_bytes": 1}))
    server = spawn(demo_store, free_port())
    try:
        served = read_serve_file(demo_store)
        assert served is not None and served.pid == server.pid
        assert stat.S_IMODE(serve_file(demo_store).stat().st_mode) == 0o600
        events = events_counted(served.url, served.key)

        read = ok(*FUNNEL, store=demo_store)  # the same numbers, from the snapshot
        assert json.loads(read.stdout) == before
        assert f"the store is held by voronka serve (pid {server.pid}); reading its snapshot of" in read.stderr
        assert snapshot_file(demo_store).exists()

        new = tmp_path / "events.csv"
        new.write_text("customer_id,ts,event,channel\nnew-1,2026-11-01 10:00,site_visit,digital\n"
                       "new-1,2026-11-01 10:05,purchase,digital\n", encoding="utf-8")
        added = ok("ingest", str(new), "--format", "json", store=demo_store)
        assert json.loads(added.stdout)[-1] == {"file": "total", "rows_read": 2, "added": 2, "duplicates": 0,
                                                "rejected": 0}
        assert events_counted(served.url, served.key) == events + 2
        after = json.loads(ok(*FUNNEL, store=demo_store).stdout)  # a new snapshot, after the write
        assert [s["customers"] for s in after] == [s["customers"] + 1 for s in before]

        again = json.loads(ok("ingest", str(new), "--format", "json", store=demo_store).stdout)
        assert again[-1]["added"] == 0 and again[-1]["duplicates"] == 2

        bad = tmp_path / "bad.csv"
        bad.write_text("customer_id,ts,event\nc,2026-11-01,site_visit\nc,yesterday,purchase\n", encoding="utf-8")
        refused = cli("ingest", str(bad), store=demo_store)
        assert refused.returncode == 1
        assert f"{bad}, row 2, column 'ts' (value 'yesterday'): not a date-time" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        stop(server)
    assert not serve_file(demo_store).exists() and not snapshot_file(demo_store).exists()  # removed at shutdown
    with Store(demo_store, read_only=True) as store:
        assert store.count("events") == events + 2


def test_every_format_and_option_reaches_the_server(demo_store: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """CSV, TSV, XLSX, Parquet and NDJSON(.gz) files, with --map, --tz, --currency and
    --keep-repeats, go through the server's pipeline as a local ingest would, read from the
    request's bytes: no file is created in the server's temporary folder or beside the store."""
    rows = [("f-csv", "csv"), ("f-tsv", "tsv")]
    for customer, fmt in rows:
        sep = "," if fmt == "csv" else "\t"
        (tmp_path / f"e.{fmt}").write_text(
            sep.join(["client", "time", "event", "revenue"]) + "\n"
            + sep.join([customer, "2026-11-02 15:00", "purchase", '"1 234,50"']) + "\n", encoding="utf-8")
    book = xlsxwriter.Workbook(str(tmp_path / "e.xlsx"))
    sheet = book.add_worksheet()
    for r, row in enumerate([["client", "time", "event", "revenue"], ["f-xlsx", "2026-11-02 15:00", "purchase", "10"]]):
        sheet.write_row(r, 0, row)
    book.close()
    pq.write_table(pa.table({"client": ["f-parquet"], "time": ["2026-11-02 15:00"], "event": ["purchase"],
                             "revenue": ["10"]}), tmp_path / "e.parquet")
    with gzip.open(tmp_path / "e.ndjson.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"client": "f-ndjson", "time": "2026-11-02 15:00", "event": "purchase", "revenue": 10})
                 + "\n")
    repeats = tmp_path / "repeats.csv"
    repeats.write_text("client,time,event\nf-rep,2026-11-02 15:00,site_visit\nf-rep,2026-11-02 15:00,site_visit\n",
                       encoding="utf-8")
    options = ["--map", "customer_id=client", "--map", "ts=time", "--tz", "Asia/Almaty", "--currency", "RUB"]
    server_tmp = tmp_path / "server-tmp"  # the server's temporary folder
    server_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(server_tmp))
    server = spawn(demo_store, free_port())
    try:
        with created_in(server_tmp, demo_store.parent) as created:  # the bodies are read from memory
            for name in ("e.csv", "e.tsv", "e.xlsx", "e.parquet", "e.ndjson.gz"):
                done = ok("ingest", str(tmp_path / name), *options, "--format", "json", store=demo_store)
                assert json.loads(done.stdout)[-1]["added"] == 1, name
            kept = ok("ingest", str(repeats), *options, "--keep-repeats", "--format", "json", store=demo_store)
            assert json.loads(kept.stdout)[-1]["added"] == 2
        assert [n for n in created if not n.endswith(".wal")] == []  # the store's own log aside
    finally:
        stop(server)
    with duckdb.connect(str(demo_store), read_only=True) as con:
        stored = con.execute("SELECT customer_id, strftime(ts, '%H:%M'), currency, revenue FROM events "
                             "WHERE customer_id LIKE 'f-%' AND event = 'purchase' ORDER BY 1").fetchall()
    assert [r[0] for r in stored] == ["f-csv", "f-ndjson", "f-parquet", "f-tsv", "f-xlsx"]
    assert {(r[1], r[2]) for r in stored} == {("10:00", "RUB")}  # 15:00 in Almaty (UTC+5); the default currency
    assert {float(r[3]) for r in stored if r[0] in ("f-csv", "f-tsv")} == {1234.5}


def test_a_file_over_the_servers_body_limit_is_refused_clearly(demo_store: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("customer_id,ts,event\n" + "c,2026-11-01 10:00,site_visit\n" * 100, encoding="utf-8")
    server = spawn(demo_store, free_port(), "--max-body-bytes", "1024")
    try:
        refused = cli("ingest", str(big), store=demo_store)
        served = read_serve_file(demo_store)
        assert served is not None
        bomb = urllib.request.Request(served.url + "/v1/events?format=csv", method="POST",
                                      data=gzip.compress(b"customer_id,ts,event\n" + b"c" * 100_000))
        with pytest.raises(urllib.error.HTTPError) as answer:  # small, but inflating past the limit
            urllib.request.urlopen(bomb, timeout=30)
        assert answer.value.code == 413 and b"inflates to over 1,024 bytes" in answer.value.read()
    finally:
        stop(server)
    assert refused.returncode == 1
    assert "over the 1,024-byte body limit" in refused.stderr and "--max-body-bytes" in refused.stderr


def test_without_a_server_a_held_store_is_a_clear_error_and_a_stale_serve_file_is_ignored(
        demo_store: Path) -> None:
    serve_file(demo_store).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead_pid(), "key": "x",
                                                  "max_body_bytes": 1}))
    assert ok(*FUNNEL, store=demo_store).stderr == ""  # not held: read directly, the stale file ignored
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()", str(demo_store)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for args in (FUNNEL, ["ingest", str(demo_store)]):
            refused = cli(*args, store=demo_store)
            assert refused.returncode == 1
            assert "the store is in use by another process" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    finally:
        holder.stdin.close()
        holder.wait(30)
