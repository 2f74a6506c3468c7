"""The API keys of a store: who may write events and who may read analyses (docs/server.md).

Two kinds, by what a key lets its holder do:

* a **write** key (``vkw_…``) allows sending events (``POST``) and nothing else: a public
  project key, safe to put in a web page;
* a **read** key (``vkr_…``) allows the dashboard and the analyses (every ``GET`` but
  ``/health``): a secret.

A key is 32 random bytes (``secrets``), shown once when it is created; the store keeps only
its SHA-256 (``Store.add_key``), and a key presented to the server is hashed and compared with
every stored hash in constant time (``hmac.compare_digest``). The rules (``Keyring``):

* writes are open while the store has never had a write key (and there is no ``--token``);
  once one was created, every write needs a live write key (revoking the last one closes
  writes, it does not open them);
* reads need a read key unless the server was started with ``--public-dashboard``;
* the legacy ``--token`` (``VORONKA_TOKEN``) is a key of both kinds.

Pure functions; the store I/O is ``Store.add_key``/``keys``/``revoke_key`` and ``keyring``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from voronka.store import Store

Kind = Literal["write", "read"]
PREFIX = {"write": "vkw_", "read": "vkr_"}
HINT = 8
"""The characters of a key kept in the clear (its prefix and 4 random ones) to tell keys apart."""


def new_key(kind: Kind) -> str:
    """A fresh key of ``kind``: its prefix and 32 random bytes, URL-safe (47 characters)."""
    return PREFIX[kind] + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    """The SHA-256 of a key, hex: what the store keeps."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The hashes of the live keys of one store, and whether reads are public."""

    write: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    public_reads: bool = False
    writes_need_key: bool = False


def _known(digests: tuple[str, ...], key: str | None) -> bool:
    if not key:
        return False
    presented = digest(key)
    found = False
    for stored in digests:  # no early exit: the time does not depend on which key matched
        found |= hmac.compare_digest(stored, presented)
    return found


def allows_write(keyring: Keyring, key: str | None) -> bool:
    """May a request presenting ``key`` (``None``: none) write events? Yes with a live write
    key, and with any or no key while the store has never had a write key."""
    return not keyring.writes_need_key or _known(keyring.write, key)


def allows_read(keyring: Keyring, key: str | None) -> bool:
    """May a request presenting ``key`` read the dashboard and the analyses? Yes with a read
    key, and with any or no key when reads are public."""
    return keyring.public_reads or _known(keyring.read, key)


def keyring(store: Store, *, token: str | None = None, public_reads: bool = False,
            local: str | None = None) -> Keyring:
    """The keyring of the live (not revoked) keys of ``store``; ``token`` counts as both kinds, and so
    does ``local`` (the key of the serve file, ``voronka.served``), which opens no write by itself."""
    every = store.keys()
    live = [(k["kind"], k["hash"]) for k in every if k["revoked_at"] is None]
    extra = tuple(digest(k) for k in (token, local) if k)
    return Keyring(write=tuple(h for kind, h in live if kind == "write") + extra,
                   read=tuple(h for kind, h in live if kind == "read") + extra,
                   public_reads=public_reads,
                   writes_need_key=bool(token) or any(k["kind"] == "write" for k in every))
