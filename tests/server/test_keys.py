"""Keys (issues 18.7, 19.2): write keys send events only, read keys read only, kept hashed in
the store; ``voronka keys create|list|revoke``; ``serve --public-dashboard`` on loopback only.
A real server on loopback, a real store file, the real CLI."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voronka.cli import app
from voronka.keys import Keyring, allows_read, allows_write, digest
from voronka.server.auth import is_loopback
from voronka.store import Store

from .test_server import NDJSON, _serve

runner = CliRunner()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _create(store: Path, kind: str, name: str | None = None) -> str:
    """A new key of ``kind`` through ``voronka keys create``: the last line printed."""
    return _cli("keys", "create", "--kind", kind, "--store", str(store), *(["--name", name] if name else [])
                ).strip().splitlines()[-1]


def test_write_keys_write_and_read_keys_read(tmp_path):
    store = tmp_path / "store.duckdb"
    write, read = _create(store, "write", "site"), _create(store, "read", "analyst")
    assert write.startswith("vkw_") and read.startswith("vkr_") and len(write) > 40 and write != read
    for server in _serve(store):
        # writes: a write key, as a bearer header
        assert server.json("POST", "/v1/events", NDJSON)[0] == 401
        assert server.json("POST", "/v1/events", NDJSON, Authorization=f"Bearer {read}")[0] == 401
        assert server.json("POST", "/v1/events", NDJSON, Authorization=f"Bearer {write}x")[0] == 401
        status, answer = server.json("POST", "/v1/events", NDJSON, Authorization="Bearer")
        assert status == 401 and "voronka keys create --kind write" in answer["error"]
        assert server.json("POST", "/v1/events", NDJSON, Authorization=f"Bearer {write}")[1]["added"] == 3
        # reads: a read key, as a bearer header, ?key= or the cookie ?key= sets
        for path in ("/", "/v1/funnel?steps=site_visit,purchase"):
            status, answer = server.json("GET", path)
            assert status == 401 and "voronka keys create --kind read" in answer["error"]
            assert server.json("GET", path, Authorization=f"Bearer {write}")[0] == 401
        status, steps = server.json("GET", "/v1/funnel?steps=site_visit,purchase", Authorization=f"Bearer {read}")
        assert status == 200 and [s["customers"] for s in steps] == [2, 1]
        assert server.json("GET", f"/v1/funnel?steps=site_visit,purchase&key={read}")[0] == 200
        with urllib.request.urlopen(f"{server.url}/?key={read}&lang=kk", timeout=120) as response:
            cookie = response.headers["set-cookie"]
            assert response.status == 200 and cookie.startswith(f"voronka_key={read};")
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert server.call("GET", "/?lang=ru", headers={"Cookie": f"voronka_key={read}"})[0] == 200
        # a ?key= that is not a read key (here: not even latin-1) sets no cookie (schemathesis found a 500)
        junk = urllib.parse.quote("ключ\U00047bd7")
        with urllib.request.urlopen(urllib.request.Request(
                f"{server.url}/?key={junk}", headers={"Authorization": f"Bearer {read}"}), timeout=120) as response:
            assert response.status == 200 and response.headers["set-cookie"] is None
        # /health: open, the count only with a read key
        assert server.json("GET", "/health") == (200, {"status": "ok"})
        assert server.json("GET", "/health", Authorization=f"Bearer {write}") == (200, {"status": "ok"})
        assert server.json("GET", "/health", Authorization=f"Bearer {read}") == (200, {"status": "ok", "events": 3})


def test_keys_are_kept_hashed_listed_and_revoked(tmp_path):
    store = tmp_path / "store.duckdb"
    write, read = _create(store, "write", "site"), _create(store, "read")
    with Store(store, read_only=True) as opened:
        rows = opened.connection.execute("SELECT * FROM voronka_keys").fetchall()
    assert not any(key in str(row) for row in rows for key in (write, read))  # no key in the clear
    assert {row[4] for row in rows} == {hashlib.sha256(k.encode()).hexdigest() for k in (write, read)}
    listed = json.loads(_cli("keys", "list", "--store", str(store), "--format", "json"))
    assert [(k["id"], k["kind"], k["name"], k["hint"], k["revoked_at"]) for k in listed] == [
        (1, "write", "site", write[:8], None), (2, "read", None, read[:8], None)]
    _cli("keys", "revoke", "1", "--store", str(store))
    again = runner.invoke(app, ["keys", "revoke", "1", "--store", str(store)])
    assert again.exit_code == 1 and "no live key 1" in again.output
    assert json.loads(_cli("keys", "list", "--store", str(store), "-f", "json"))[0]["revoked_at"] is not None
    for server in _serve(store):
        # revoking the only write key closes writes; it does not open them
        assert server.json("POST", "/v1/events", NDJSON, Authorization=f"Bearer {write}")[0] == 401
        assert server.json("POST", "/v1/events", NDJSON)[0] == 401
        assert server.json("GET", "/v1/funnel", Authorization=f"Bearer {read}")[0] == 200


def test_without_keys_writes_are_open_and_reads_refused(tmp_path):
    for server in _serve(tmp_path / "store.duckdb"):
        assert server.json("POST", "/v1/events", NDJSON)[0] == 200
        assert server.json("GET", "/")[0] == 401
        assert server.json("GET", "/health") == (200, {"status": "ok"})


def test_the_rules_of_the_keyring():
    ring = Keyring(write=(digest("w"),), read=(digest("r"),), writes_need_key=True)
    assert [allows_write(ring, k) for k in ("w", "r", None, "", "w ")] == [True, False, False, False, False]
    assert [allows_read(ring, k) for k in ("r", "w", None)] == [True, False, False]
    assert allows_write(Keyring(), None) and not allows_read(Keyring(), "anything")
    assert allows_read(Keyring(public_reads=True), None)


def test_public_dashboard_only_on_loopback(tmp_path):
    store = str(tmp_path / "store.duckdb")
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.com"):
        result = runner.invoke(app, ["serve", "--public-dashboard", "--host", host, "--store", store])
        assert result.exit_code == 2 and "only with a loopback --host" in result.output, result.output
    assert [is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "0.0.0.0")] == [
        True, True, True, True, True, False]
    for server in _serve(Path(store), public_dashboard=True):
        assert server.json("GET", "/v1/funnel")[0] == 200
        assert server.json("GET", "/health") == (200, {"status": "ok", "events": 0})


@pytest.mark.parametrize("kind", ["admin", ""])
def test_an_unknown_kind_is_refused(kind, tmp_path):
    result = runner.invoke(app, ["keys", "create", "--kind", kind, "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2 and "Traceback" not in result.output
