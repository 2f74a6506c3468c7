"""PostHog (and Segment) capture payloads → voronka's canonical event and alias rows (pure).

``translate(body, content_encoding=…, compression=…, now=…)`` decodes what the
tracking SDKs send and returns a ``Capture``: the rows for ``events`` and ``aliases`` and the
project key the body carried. Nothing here touches a store; the server's writer stores them.

Decoding, in order (docs/server.md):

* ``Content-Encoding: gzip``, ``?compression=gzip-js`` or a body starting with the gzip magic:
  gunzip (the result capped at ``max_bytes``: a small bomb cannot grow past the body limit);
* a form body (``data=…&compression=…``, posthog-js's fallback transport): the ``data`` field,
  base64 or plain JSON; ``compression=lz64`` (or ``?compression=lz64``): lz-string base64;
  ``?compression=base64``: base64;
* JSON: one event object, an array of events, ``{"batch": [...]}`` (``api_key`` or ``token``
  beside it), or ``{"data": ...}`` wrapping any of these.

One event, PostHog shape → one ``events`` row:

====================  ===========================================================
``event``             ``event`` (``$pageview``, ``$identify`` … kept as sent)
``distinct_id``       ``customer_id`` (also ``properties.distinct_id``, ``$distinct_id``)
``uuid``              ``event_id`` (absent: the md5 of the row, as for files)
``timestamp``         ``ts`` in UTC, moved by the client's clock skew: when the body has
                      ``sent_at``, ``ts = timestamp + (received − sent_at)``; without a
                      ``timestamp``, ``ts = received − offset`` (milliseconds, posthog-js)
                      or ``received``
``properties``        ``properties`` (text values, nested values as JSON text), plus
                      ``$set`` and ``$set_once`` (customer properties) under those names
utm_source / medium   ``channel``: ``properties.channel`` if given, else ``utm_source``,
                      else ``utm_medium`` (lower case); the utm parameters are read from
                      the properties or, when absent, from ``$current_url``'s query
utm_campaign          ``campaign`` (``properties.campaign`` if given)
``revenue``           ``revenue`` and ``currency`` when both are properties
====================  ===========================================================

``$identify`` (``distinct_id`` = the identified id, ``properties.$anon_distinct_id`` = the id
before) and ``$create_alias`` (``properties.distinct_id`` or ``distinct_id`` = the id before,
``properties.alias`` = the id after) also give an ``aliases`` row: the id before → the id after.

Segment's shape (``type`` = ``track`` / ``page`` / ``identify`` / ``alias``; ``userId`` or
``anonymousId``; ``messageId``; ``sentAt``; ``traits``) is read into the same fields:
``page`` is ``$pageview``, ``identify`` is ``$identify`` (traits as ``$set``), ``alias`` is
``$create_alias`` (``previousId`` → ``userId``).

Errors are ``InputError`` naming the body and the event (1-based in the batch) and field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from voronka.errors import InputError, LimitError
from voronka.ingest import limits

REQUEST = "request body"
"""What an error names as the file: the request's own body."""


MAX_EVENTS = 100_000
"""The most events one request may carry."""

FORM = re.compile(rb"[A-Za-z_]+=")
"""The start of a form body (``data=…``, ``compression=lz64&data=…``); JSON never starts so."""

UTM_PAIR = re.compile(r"(?:^|&)(utm_source|utm_medium|utm_campaign)=([^&]+)")
"""A utm parameter with a value in a URL's query (as ``parse_qs`` reads it: ``&`` between pairs,
blank values skipped)."""

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""Compact JSON text, non-ASCII kept (one encoder for every call: ``json.dumps`` with options
builds one per call)."""
_quote = json.encoder.encode_basestring
"""A string as a JSON string, non-ASCII kept (``_json`` of a string, without the encoder's set-up)."""
SEGMENT_EVENTS = {"page": "$pageview", "screen": "$screen", "identify": "$identify", "alias": "$create_alias"}


EVENT_COLUMNS = ("event_id", "customer_id", "ts", "event", "channel", "campaign", "revenue", "currency",
                 "referrer_id", "properties")
"""The columns of an ``events`` row, in the order of a ``Capture``'s rows."""


@dataclass
class Capture:
    """What one request adds: ``rows`` of ``events`` (tuples of ``EVENT_COLUMNS``: cheaper to make
    and to turn into Arrow columns than dicts) and ``aliases`` rows."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    aliases: list[dict[str, str]] = field(default_factory=list)
    api_key: str | None = None

    @property
    def events(self) -> list[dict[str, Any]]:
        """The ``events`` rows as dicts of ``EVENT_COLUMNS``."""
        return [dict(zip(EVENT_COLUMNS, row)) for row in self.rows]


def translate(body: bytes, *, content_encoding: str = "", compression: str = "",
              now: dt.datetime, max_bytes: int = 64 * 1024 * 1024) -> Capture:
    """The rows of a capture request (see the module doc); ``now`` is when it was received (UTC)."""
    payload = decode(body, content_encoding=content_encoding, compression=compression, max_bytes=max_bytes)
    api_key = None
    sent_at = None
    if isinstance(payload, dict) and "data" in payload and "event" not in payload:  # a wrapper
        api_key = payload.get("api_key") or payload.get("token")
        payload = payload["data"]
        if isinstance(payload, str):
            payload = decode(payload.encode("utf-8"), compression="" if payload.lstrip()[:1] in ("{", "[") else "base64")
    if isinstance(payload, dict) and "batch" in payload:
        api_key = payload.get("api_key") or payload.get("token") or payload.get("writeKey") or api_key
        sent_at = payload.get("sent_at") or payload.get("sentAt")
        payload = payload["batch"]
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise InputError("no events in the body", file=REQUEST)
    if len(items) > MAX_EVENTS:
        raise InputError(f"{len(items):,} events in one request; at most {MAX_EVENTS:,}", file=REQUEST)
    skew = dt.timedelta(0)
    if sent_at is not None:
        skew = now - _time(sent_at, 0, "sent_at")
    capture = Capture(api_key=_text(api_key) if api_key is not None else None)
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InputError("expected an event object", file=REQUEST, row=number, value=json.dumps(item)[:80])
        if capture.api_key is None:
            props = item.get("properties")
            key = item.get("api_key") or item.get("token") or (props.get("token") if isinstance(props, dict) else None)
            capture.api_key = _text(key) if key else None
        capture.rows.append(_event(item, number, now, skew, capture.aliases))
    return capture


def decode(body: bytes, *, content_encoding: str = "", compression: str = "",
           max_bytes: int = 64 * 1024 * 1024) -> Any:
    """The JSON value a capture body carries, through its compressions and form encoding."""
    compression = compression.lower()
    if "gzip" in content_encoding.lower() or compression in ("gzip", "gzip-js") or body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_bytes)
        compression = ""
    if FORM.match(body):  # not by Content-Type: clients send JSON as a "form" and forms as text
        form = parse_qs(body.decode("latin-1"), keep_blank_values=True)
        if "data" not in form:
            raise InputError("a form body without a 'data' field", file=REQUEST)
        compression = (form.get("compression") or [compression])[0].lower()
        text = form["data"][0]
        if compression != "lz64" and not text.lstrip().startswith(("{", "[")):
            compression = "base64"
        body = text.encode("latin-1" if compression in ("lz64", "base64") else "utf-8")
    if compression == "lz64":
        body = _lz64(body)
    elif compression == "base64":
        try:
            body = body.strip().replace(b" ", b"+")  # a '+' the client did not escape
            body = base64.b64decode(body + b"=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise InputError("the body is not base64", file=REQUEST) from None
    if body[:3] == b"\xef\xbb\xbf":
        body = body[3:]
    try:
        return json.loads(body)
    except RecursionError:
        raise InputError("cannot read JSON: nested too deep", file=REQUEST) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read JSON: {exc}", file=REQUEST) from None


def gunzip(body: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise InputError(f"cannot gunzip the body: {exc}", file=REQUEST) from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise BodyTooLarge(max_bytes)
    return out


def _lz64(body: bytes) -> bytes:
    import lzstring

    try:
        text = lzstring.LZString().decompressFromBase64(body.decode("ascii"))
    except Exception:  # noqa: BLE001 - the library raises whatever its decoder meets
        text = None
    if not text:
        raise InputError("cannot decompress the lz64 body", file=REQUEST)
    return text.encode("utf-8")


class BodyTooLarge(Exception):
    """A body (or what it decompresses to) over the limit of ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"body over {max_bytes:,} bytes (after decompression)")
        self.max_bytes = max_bytes


SEGMENT_KINDS = frozenset(("track", "page", "screen", "identify", "alias"))
NOT_STORED = frozenset(("token", "channel", "campaign"))
NOT_STORED_WITH_REVENUE = NOT_STORED | {"revenue", "currency"}
"""Properties left out of the stored ``properties`` (``channel``, ``campaign``, and ``revenue`` and
``currency`` when they make the row's amount, have columns of their own)."""


def _event(item: dict[str, Any], number: int, now: dt.datetime, skew: dt.timedelta,
           aliases: list[dict[str, str]]) -> tuple[Any, ...]:
    """The ``events`` row of one event (a tuple of ``EVENT_COLUMNS``); its alias, if any, to ``aliases``."""
    properties = item.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise InputError("properties must be a JSON object", file=REQUEST, row=number, column="properties",
                         value=json.dumps(properties)[:80])
    _check_limits(properties, number)
    kind = item.get("type")
    if kind in SEGMENT_KINDS and ("userId" in item or "anonymousId" in item):
        properties = dict(properties)  # changed below; the body's own dict is left as it is
        name = item.get("event") if kind == "track" else SEGMENT_EVENTS[kind]
        who = item.get("userId") or item.get("anonymousId")
        uuid = item.get("messageId")
        if kind == "identify":
            properties["$set"] = item.get("traits") or {}
            if item.get("anonymousId") and item.get("userId"):
                properties["$anon_distinct_id"] = item["anonymousId"]
        if kind == "alias":
            properties.update({"distinct_id": item.get("previousId"), "alias": item.get("userId")})
        if kind == "page" and "url" in properties:
            properties.setdefault("$current_url", properties["url"])
    else:
        name = item.get("event")
        who = item.get("distinct_id") or item.get("$distinct_id") or properties.get("distinct_id")
        uuid = item.get("uuid")
    if "$set" in item or "$set_once" in item:
        properties = dict(properties)
        for key in ("$set", "$set_once"):
            if key in item:
                properties[key] = item[key]
    if name is None or name == "":
        raise InputError("event is required", file=REQUEST, row=number, column="event")
    if who is None or who == "":
        raise InputError("distinct_id is required", file=REQUEST, row=number, column="distinct_id")
    for column, value in (("event", name), ("distinct_id", who)):
        if isinstance(value, (dict, list)):
            raise InputError(f"{column} must be text, not a JSON {type(value).__name__}", file=REQUEST,
                             row=number, column=column, value=json.dumps(value)[:80])
    name, who = _text(name), _text(who)
    stamp = item.get("timestamp")
    try:
        if stamp is not None:
            ts = _time(stamp, number, "timestamp")
            if skew:
                ts += skew
        elif isinstance(item.get("offset"), (int, float)):
            ts = now - dt.timedelta(milliseconds=item["offset"])
        else:
            ts = now
    except OverflowError:
        ts = dt.datetime.max
    if not limits.TS_MIN <= ts < limits.TS_MAX:
        raise InputError(f"event time {ts.isoformat()} outside {limits.range_text()}", file=REQUEST,
                         row=number, column="timestamp", value=stamp)
    get = properties.get
    source, medium, campaign = get("utm_source"), get("utm_medium"), get("utm_campaign")
    if not (source or medium or campaign) and isinstance(url := get("$current_url"), str):
        source, medium, campaign = _utm(url)
    channel = get("channel") or source or medium
    campaign = get("campaign") or campaign
    revenue, currency = get("revenue"), get("currency")
    if revenue is not None and currency:
        revenue = _revenue(revenue, number)
        currency = _text(currency).upper()
        left_out = NOT_STORED_WITH_REVENUE
    else:
        revenue = currency = None
        left_out = NOT_STORED
    event_id = _text(uuid) if uuid else None
    channel = _text(channel).lower() if channel else None
    campaign = _text(campaign) if campaign else None
    stored = "{" + ",".join([_quote(k) + ":" + _quote(v if v.__class__ is str else _json(v))
                             for k, v in properties.items() if v is not None and k not in left_out]) + "}"
    if "\\u0000" in stored:  # maybe a text value with a NUL (JSON escaped it): refused, named as it is
        for k, v in properties.items():
            if v is not None and k not in left_out:
                _text(v)
    if event_id is None:  # the md5 of the row, as for files
        material = "\x1f".join("" if v is None else str(v)
                               for v in (who, ts, name, channel, campaign, revenue, currency, None, stored))
        event_id = hashlib.md5(material.encode()).hexdigest()
    if name == "$identify":
        before = get("$anon_distinct_id")
        if before and _text(before) != who:
            aliases.append({"alias": _text(before), "customer_id": who})
    elif name == "$create_alias":
        before, after = get("distinct_id") or who, get("alias")
        if not after:
            raise InputError("$create_alias needs properties.alias", file=REQUEST, row=number, column="alias")
        if _text(before) != _text(after):
            aliases.append({"alias": _text(before), "customer_id": _text(after)})
    return event_id, who, ts, name, channel, campaign, revenue, currency, None, stored


def _utm(url: str) -> tuple[str | None, str | None, str | None]:
    """``utm_source``, ``utm_medium`` and ``utm_campaign`` of ``url``'s query (the first non-blank
    value of each, unquoted; ``None`` when absent)."""
    query = url.partition("#")[0].partition("?")[2]
    if "utm_" not in query:
        return None, None, None
    utm: dict[str, str] = {}
    for name, value in UTM_PAIR.findall(query):
        utm.setdefault(name, value)
    source, medium, campaign = utm.get("utm_source"), utm.get("utm_medium"), utm.get("utm_campaign")
    return (source and unquote_plus(source), medium and unquote_plus(medium), campaign and unquote_plus(campaign))


def _check_limits(properties: dict[str, Any], number: int) -> None:
    """The store's limits on properties (``voronka.ingest.limits``): their number, key and value sizes."""
    if len(properties) > limits.MAX_PROPERTIES:
        raise LimitError(f"{len(properties):,} properties; at most {limits.MAX_PROPERTIES:,}", file=REQUEST,
                         row=number, column="properties")
    for key, value in properties.items():
        if len(key) > limits.MAX_KEY_CHARS:
            raise LimitError(f"a property name of {len(key):,} characters; at most {limits.MAX_KEY_CHARS}",
                             file=REQUEST, row=number, column="properties", value=key[:80])
        if isinstance(value, str):
            size = len(value)
        elif isinstance(value, (dict, list)):
            size = len(json.dumps(value, default=str))
        else:  # a number, true, false or null: short (JSON's numbers have at most 4,300 digits)
            continue
        if size > limits.MAX_VALUE_CHARS:
            raise LimitError(f"a value of {size:,} characters; at most {limits.MAX_VALUE_CHARS:,}",
                             file=REQUEST, row=number, column=key)


def _time(value: Any, number: int, column: str) -> dt.datetime:
    """An ISO 8601 time (an offset, ``Z`` or none: UTC) or epoch milliseconds, as naive UTC."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=value)
        else:
            parsed = dt.datetime.fromisoformat(str(value).strip())
            if parsed.tzinfo is dt.UTC:
                parsed = parsed.replace(tzinfo=None)
            elif parsed.tzinfo is not None:
                parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise InputError("not an ISO 8601 time", file=REQUEST, row=number or None, column=column,
                         value=value) from None
    return parsed


def _revenue(value: Any, number: int) -> str:
    text = _text(value).replace(" ", "").replace(",", ".")
    try:
        amount = float(text)
    except ValueError:
        amount = float("nan")
    if not math.isfinite(amount) or abs(amount) >= 1e14:
        raise InputError("not an amount", file=REQUEST, row=number, column="revenue", value=value)
    return text


def _text(value: Any) -> str:
    """A value as stored text: a string as it is, anything else as its JSON text."""
    if isinstance(value, str):
        text = value
    else:
        text = _json(value)
    if "\x00" in text:
        raise InputError("a NUL character in a value", file=REQUEST, value=text.replace("\x00", "\\0"))
    return text
