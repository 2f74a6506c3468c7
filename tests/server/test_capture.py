"""PostHog capture: what the SDKs send, translated (pure) and stored by a real ``voronka serve``."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import urllib.parse

import lzstring
import pytest

from voronka.errors import InputError, LimitError
from voronka.server.capture import BodyTooLarge, translate

NOW = dt.datetime(2026, 3, 1, 12, 0, 0)
EVENT = {"event": "$pageview", "distinct_id": "anon-1", "uuid": "0190-aaaa", "timestamp": "2026-03-01T11:59:00Z",
         "properties": {"$current_url": "https://shop.kz/?utm_source=Instagram&utm_medium=cpc&utm_campaign=spring",
                        "$browser": "Chrome", "token": "phc_key"}}


def test_a_pageview_becomes_a_canonical_row_with_channel_and_campaign_from_the_url():
    capture = translate(json.dumps(EVENT).encode(), now=NOW)
    (row,) = capture.events
    assert capture.api_key == "phc_key" and capture.aliases == []
    assert row["event_id"] == "0190-aaaa" and row["customer_id"] == "anon-1" and row["event"] == "$pageview"
    assert row["ts"] == dt.datetime(2026, 3, 1, 11, 59) and row["channel"] == "instagram"
    assert row["campaign"] == "spring"
    assert json.loads(row["properties"]) == {"$current_url": EVENT["properties"]["$current_url"], "$browser": "Chrome"}


@pytest.mark.parametrize("encode", [
    lambda b: (gzip.compress(b), {"content_encoding": "gzip"}),
    lambda b: (gzip.compress(b), {"compression": "gzip-js"}),
    lambda b: (lzstring.LZString().compressToBase64(b.decode()).encode(), {"compression": "lz64"}),
    lambda b: (b"data=" + urllib.parse.quote(base64.b64encode(b)).encode(), {}),
    lambda b: (b"compression=lz64&data=" + urllib.parse.quote(lzstring.LZString().compressToBase64(b.decode())).encode(),
               {}),
    lambda b: (json.dumps({"data": json.loads(b)}).encode(), {}),
    lambda b: (json.dumps({"data": base64.b64encode(b).decode()}).encode(), {}),
], ids=["gzip-header", "gzip-js", "lz64", "form-base64", "form-lz64", "data-wrapper", "data-base64"])
def test_every_encoding_posthog_js_uses(encode):
    body, options = encode(json.dumps([EVENT, dict(EVENT, uuid="0190-bbbb")]).encode())
    assert [r["event_id"] for r in translate(body, now=NOW, **options).events] == ["0190-aaaa", "0190-bbbb"]


def test_sent_at_corrects_the_clock_of_the_client():
    # the client's clock is 10 minutes behind: it sent at 11:50 by its clock, received at 12:00
    body = {"api_key": "k", "sent_at": "2026-03-01T11:50:00+00:00", "batch": [dict(EVENT, timestamp="2026-03-01T11:49:00Z")]}
    assert translate(json.dumps(body).encode(), now=NOW).events[0]["ts"] == dt.datetime(2026, 3, 1, 11, 59)
    offset = {k: v for k, v in EVENT.items() if k != "timestamp"} | {"offset": 30_000}
    assert translate(json.dumps(offset).encode(), now=NOW).events[0]["ts"] == dt.datetime(2026, 3, 1, 11, 59, 30)


def test_identify_alias_and_set():
    batch = [
        {"event": "$identify", "distinct_id": "+77011234567", "properties": {"$anon_distinct_id": "anon-1"},
         "$set": {"name": "Aigerim"}},
        {"event": "$create_alias", "distinct_id": "anon-2", "properties": {"distinct_id": "anon-2", "alias": "u@x.kz"}},
        {"event": "$set", "distinct_id": "u@x.kz", "$set": {"plan": "pro"}},
    ]
    capture = translate(json.dumps(batch).encode(), now=NOW)
    assert capture.aliases == [{"alias": "anon-1", "customer_id": "+77011234567"},
                               {"alias": "anon-2", "customer_id": "u@x.kz"}]
    assert json.loads(capture.events[0]["properties"])["$set"] == '{"name":"Aigerim"}'
    assert [e["event"] for e in capture.events] == ["$identify", "$create_alias", "$set"]
    assert capture.events[2]["ts"] == NOW  # no timestamp: when it was received


def test_segment_track_identify_page():
    body = {"writeKey": "k", "sentAt": "2026-03-01T12:00:00Z", "batch": [
        {"type": "page", "anonymousId": "a1", "messageId": "m1", "timestamp": "2026-03-01T11:00:00Z",
         "properties": {"url": "https://shop.kz/?utm_source=google&utm_campaign=brand"}},
        {"type": "identify", "anonymousId": "a1", "userId": "u1", "messageId": "m2", "traits": {"plan": "pro"}},
        {"type": "track", "userId": "u1", "event": "purchase", "messageId": "m3",
         "properties": {"revenue": 1234.5, "currency": "kzt"}},
    ]}
    capture = translate(json.dumps(body).encode(), now=NOW)
    assert capture.api_key == "k"
    assert [(e["event"], e["customer_id"], e["channel"]) for e in capture.events] == [
        ("$pageview", "a1", "google"), ("$identify", "u1", None), ("purchase", "u1", None)]
    assert capture.events[2]["revenue"] == "1234.5" and capture.events[2]["currency"] == "KZT"
    assert capture.aliases == [{"alias": "a1", "customer_id": "u1"}]


@pytest.mark.parametrize("body, message", [
    (b"", "request body: cannot read JSON"),
    (b"[]", "request body: no events in the body"),
    (b'[{"event": "x", "distinct_id": "a"}, {"distinct_id": "b"}]', "request body, row 2, column 'event': event is required"),
    (b'[{"event": "x"}]', "request body, row 1, column 'distinct_id': distinct_id is required"),
    (b'{"event": "x", "distinct_id": "a", "timestamp": "yesterday"}', "request body, row 1, column 'timestamp'"),
    (b'{"event": "x", "distinct_id": "a", "timestamp": "3000-01-01T00:00:00Z"}', "request body, row 1, column 'timestamp'"),
    (b'{"event": "x", "distinct_id": "a", "properties": [1]}', "request body, row 1, column 'properties'"),
    (b'{"event": "$create_alias", "distinct_id": "a"}', "request body, row 1, column 'alias'"),
    (b"[1]", "request body, row 1"),
    (b'{"event": "x", "distinct_id": {"id": 1}}', "request body, row 1, column 'distinct_id'"),
    (b'{"event": "x", "distinct_id": "a", "offset": 1e300}', "request body, row 1, column 'timestamp'"),
    (b"[" * 100_000 + b"]" * 100_000, "request body: cannot read JSON"),
    (b"data=%%%", "request body: the body is not base64"),
])
def test_bad_payloads_are_located_errors(body, message):
    with pytest.raises(InputError) as caught:
        translate(body, now=NOW)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_gzip_bomb_stops_at_the_limit():
    with pytest.raises(BodyTooLarge):
        translate(gzip.compress(b"[" + b" " * 10_000_000 + b"]"), now=NOW, max_bytes=1_000_000)


@pytest.mark.parametrize("properties, message", [
    ({f"p{i}": i for i in range(1001)}, "1,001 properties; at most 1,000"),
    ({"k" * 257: 1}, "a property name of 257 characters; at most 256"),
    ({"page": "x" * 65_537}, "a value of 65,537 characters; at most 65,536"),
])
def test_captures_keep_the_stores_limits(properties, message):
    """The limits of voronka.ingest.limits hold for captures too, as LimitError (413 over HTTP)."""
    body = json.dumps({"event": "e", "distinct_id": "u", "properties": properties}).encode()
    with pytest.raises(LimitError, match=message):
        translate(body, now=NOW)
    old = json.dumps({"event": "e", "distinct_id": "u", "timestamp": "1899-12-31T23:59:59Z"}).encode()
    with pytest.raises(InputError, match="outside 1900-01-01 to 2200-01-01"):
        translate(old, now=NOW)


def test_a_nul_in_a_text_property_is_refused_and_json_text_that_only_looks_like_one_is_stored():
    def one(properties: dict) -> bytes:
        return json.dumps({"event": "e", "distinct_id": "u", "uuid": "n1", "properties": properties}).encode()

    with pytest.raises(InputError, match="a NUL character in a value"):
        translate(one({"page": "/a", "note": "x\x00y"}), now=NOW)
    (row,) = translate(one({"note": "x\\u0000y", "nested": {"a": "\x00"}}), now=NOW).events
    assert json.loads(row["properties"]) == {"note": "x\\u0000y", "nested": '{"a":"\\u0000"}'}
