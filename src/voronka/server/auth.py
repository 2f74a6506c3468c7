"""Who may call a route: the key a request presents, checked against the store's keyring
(``voronka.keys``: the rules, the hashing, the constant-time comparison).

* writes (``POST``): ``Authorization: Bearer KEY`` with a write key (``write_access``); the
  capture routes may also take the key from the body (``api_key``/``token``) and call
  ``allows_write(request.app.state.keyring, key)`` themselves;
* reads (``GET /``, ``/v1/…``): a read key as ``Authorization: Bearer KEY``, ``?key=KEY`` or the
  cookie ``voronka_key`` that ``GET /?key=KEY`` sets for browsers (``read_access``);
* ``/health``: open, but the event count only with a read key (``read_key`` + ``allows_read``).

The keyring is read from the store when the app is created (``app.state.keyring``).
"""

from __future__ import annotations

import ipaddress

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from voronka.keys import Keyring, allows_read, allows_write

__all__ = ["COOKIE", "Keyring", "allows_read", "allows_write", "bearer_key", "is_loopback", "read_access",
           "read_key", "write_access"]

COOKIE = "voronka_key"
"""The cookie holding a read key, set by ``GET /?key=KEY`` (HttpOnly, SameSite=Strict)."""

_bearer = HTTPBearer(auto_error=False, description="A write key (POST) or a read key (GET).")
_query = APIKeyQuery(name="key", auto_error=False, description="A read key; GET / keeps it in a cookie.")
_cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="A read key, set by GET /?key=KEY.")


def bearer_key(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str | None:
    """The key of ``Authorization: Bearer KEY``, if the request has one."""
    return credentials.credentials if credentials else None


def read_key(bearer: str | None = Depends(bearer_key), query: str | None = Depends(_query),
             cookie: str | None = Depends(_cookie)) -> str | None:
    """The read key a request presents: the bearer header, else ``?key=``, else the cookie."""
    return bearer or query or cookie


def write_access(request: Request, key: str | None = Depends(bearer_key)) -> None:
    """Refuse (401) a write without a write key once the store has one."""
    if not allows_write(request.app.state.keyring, key):
        raise HTTPException(401, "a write key is needed: 'Authorization: Bearer KEY' "
                                 "(voronka keys create --kind write)", headers={"WWW-Authenticate": "Bearer"})


def read_access(request: Request, key: str | None = Depends(read_key)) -> None:
    """Refuse (401) a read without a read key unless the dashboard is public."""
    if not allows_read(request.app.state.keyring, key):
        raise HTTPException(401, "a read key is needed: 'Authorization: Bearer KEY' or '?key=KEY' "
                                 "(voronka keys create --kind read)", headers={"WWW-Authenticate": "Bearer"})


def is_loopback(host: str) -> bool:
    """Is ``host`` an address of this machine only (127.0.0.0/8, ::1, localhost)?"""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
