"""The query and path parameters of the routes, each with its range, declared in the route
signatures so that the OpenAPI schema (``/openapi.json``) states them; and the located message
of a parameter outside its range (``422``)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Annotated, Any, Literal

from fastapi import Query

from voronka.duration import parse_duration
from voronka.errors import InputError
from voronka.schema import TABLES
from voronka.server.collector import LANGS
from voronka.stage_models import builtin_models

MAX_WINDOW = dt.timedelta(days=3650)
"""The longest funnel window over HTTP: ten years."""
MAX_STEPS = 20
"""The most funnel steps over HTTP."""
MAX_TEXT = 2000
"""The longest ``steps`` and ``map`` values, in characters."""

Table = Literal[tuple(TABLES)]  # type: ignore[valid-type]
Model = Literal[tuple(builtin_models())]  # type: ignore[valid-type]
Lang = Annotated[Literal[LANGS], Query(description="The language of labels.")]  # type: ignore[valid-type]
TZ_PATTERN = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$"
Tz = Annotated[str, Query(max_length=64, pattern=TZ_PATTERN, description="An IANA time zone, e.g. Asia/Almaty.")]
OptionalTz = Annotated[str | None, Query(max_length=64, pattern=TZ_PATTERN, description=(
    "The time zone of timestamps without an offset (IANA, e.g. Asia/Almaty); default UTC."))]
Window = Annotated[str | None, Query(max_length=16, pattern=r"^[0-9]{1,7}(\.[0-9]{1,6})?[smhdw]$",
                                        description="The conversion window: 90s, 30m, 12h, 7d, 2w; at most 3650d.")]
Steps = Annotated[str | None, Query(max_length=MAX_TEXT, description=(
    f"Event names of the steps, comma-separated (a|b: any of); at most {MAX_STEPS} steps."))]
Where = Annotated[list[str] | None, Query(max_length=20, description=(
    "A filter every event must pass, repeatable: key=value, key!=value, key in a|b, key>n, key is null "
    "(docs/source.md)."))]
Unit = Annotated[str | None, Query(max_length=128, description=(
    "What is counted: customer (default), session, or a column or property such as session_id."))]
Map = Annotated[str | None, Query(alias="map", max_length=MAX_TEXT,
                                     description="Columns under other names: canonical=input pairs, comma-separated.")]

BodyFormat = Annotated[Literal["csv", "tsv", "xlsx", "parquet", "ndjson", "json"] | None, Query(
    alias="format", description="The body is a file of this format (gzip recognised), read as `voronka ingest` "
    "reads one; default: JSON or NDJSON read as a request body.")]
Currency = Annotated[str | None, Query(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", description=(
    "The currency of amounts without one (ISO 4217, e.g. KZT); kept as the store's default."))]
KeepRepeats = Annotated[bool, Query(description="Keep identical rows (without event_id the row number joins the id).")]
Encoding = Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_\-]+$", description=(
    "With format=csv or tsv: the text encoding (default: sniffed, UTF-8 or cp1251)."))]
Delimiter = Annotated[str | None, Query(min_length=1, max_length=3, description=(
    "With format=csv: the delimiter (default: sniffed among , ; tab |)."))]

HINTS = {"window": "a duration such as 30m, 12h, 7d or 2w, at most 3650d",
         "tz": "an IANA time zone such as Asia/Almaty"}
"""What a parameter with a pattern should look like, for its error message."""


def bad(name: str, value: object, reason: str, *, place: str = "query") -> InputError:
    """The error of a parameter: ``query parameter 'tz' (value 'Mars'): reason``."""
    shown = f" (value {str(value)[:80]!r})" if isinstance(value, (str, int, float)) else ""
    return InputError(f"{place} parameter {name!r}{shown}: {reason}")


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_zone(tz: str | None) -> str | None:
    """``tz`` if it is a time zone of the IANA database (no other name is looked up)."""
    if tz is not None and tz not in _zones():
        raise bad("tz", tz, "unknown time zone (expected an IANA name such as Asia/Almaty)")
    return tz


def check_window(window: str | None) -> str | None:
    """``window`` if it is at most ``MAX_WINDOW``."""
    if window is not None and parse_duration(window) > MAX_WINDOW:
        raise bad("window", window, f"over {MAX_WINDOW.days}d")
    return window


def split_steps(steps: str) -> list[str]:
    """The step names of ``?steps=`` (at most ``MAX_STEPS``)."""
    names = [s.strip() for s in steps.split(",") if s.strip()]
    if len(names) > MAX_STEPS:
        raise bad("steps", None, f"{len(names)} steps; at most {MAX_STEPS}")
    return names


def located(errors: list[dict[str, Any]]) -> str:
    """The first of FastAPI's validation ``errors`` as one located line, as ``InputError`` writes one:
    ``query parameter 'window' (value '99999999999d'): expected a duration …``."""
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ())]
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    if len(loc) < 2:
        return f"request: {message}"
    if first.get("type") == "string_pattern_mismatch" and loc[-1] in HINTS:
        message = f"expected {HINTS[loc[-1]]}"
    return str(bad(loc[-1], first.get("input"), message, place=loc[0]))
