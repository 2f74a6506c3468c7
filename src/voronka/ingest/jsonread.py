"""JSON input (files and request bodies) to columns: strict, located, linear.

Accepted, after an optional byte-order mark (UTF-8 or UTF-16; otherwise the text must be
UTF-8): an array of objects (``[{...}, {...}]``), or one or more objects one after the
other — NDJSON (one per line), a single pretty-printed object, or several. The *row* of
an object is its 1-based position (blank lines are not rows).

Refused with an ``InputError`` naming the row (and the line and character of a syntax
error, the key of a bad value): malformed JSON anywhere; a top-level value that is not an
object; a key repeated in one object (at any depth); two top-level keys equal but for
case or surrounding spaces (``customer_id``, ``Customer_ID``); an empty key or a key with
a NUL character at the top level; ``NaN``/``Infinity``; nesting deeper than Python can
parse; a JSON object or array as the value of a canonical column (``customer_id``...);
a ``properties`` value that is not an object. Over a limit (``voronka.ingest.limits``):
``LimitError``.

Parsing is one pass of Python's C decoder over the text, object by object; no step
depends on the number of distinct keys times anything (a wide object costs its size).

The columns: each top-level key ``fold`` keeps (the canonical ones, decided by the
pipeline) becomes a text column — a string as is, any other value its JSON text
(``12``, ``true``); every other key is *folded* into the ``properties`` column as the
event's properties (values as text, trimmed, empty ones left out, keys sorted), merged
over the object's own ``properties`` object (the keys win on a clash).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from voronka.errors import InputError, LimitError
from voronka.ingest.limits import MAX_KEY_CHARS, MAX_OBJECT_CHARS, MAX_PROPERTIES, MAX_VALUE_CHARS
from voronka.ingest.text import WHITESPACE

Fold = Callable[[list[str]], tuple[set[str], str | None]]
"""``fold(keys)`` → (the keys kept as columns, the name of the properties column or None)."""

_JSON_SPACE = re.compile(r"[ \t\n\r]*")


class _Refused(ValueError):
    """A value the decoder hooks refuse (a repeated key, NaN)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"the key {key!r} is repeated in one object")
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=Decimal, parse_constant=_constant)


@dataclass
class Records:
    """The objects of a JSON text, their rows, and their top-level keys: each once (compared
    as ``_norm`` does), in the spelling and order of first appearance."""

    objects: list[dict[str, Any]]
    rows: list[int]
    keys: list[str]


def decode_text(data: bytes, name: str) -> str:
    """The text of JSON bytes: a BOM (UTF-8, UTF-16) decides, else strict UTF-8."""
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not {encoding.upper()} text at byte {exc.start + 1} (line {line})", file=name) from None


def parse_records(text: str, name: str) -> Records:
    """The objects of ``text`` (see the module docstring), checked."""
    objects: list[dict[str, Any]] = []
    rows: list[int] = []
    spelling: dict[str, str] = {}
    checked: set[tuple[str, ...]] = set()
    pos = _JSON_SPACE.match(text, 0).end()
    array = text.startswith("[", pos)
    if array:
        pos = _JSON_SPACE.match(text, pos + 1).end()
        if text.startswith("]", pos):
            pos = _JSON_SPACE.match(text, pos + 1).end()
            array = False
    row = 0
    while pos < len(text):
        row += 1
        start = pos
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON at line {exc.lineno}, character {exc.colno}: {exc.msg}",
                             file=name, row=row) from None
        except _Refused as exc:
            raise InputError(str(exc), file=name, row=row) from None
        except RecursionError:
            raise InputError("JSON nested too deeply", file=name, row=row) from None
        except ValueError as exc:  # e.g. an integer over Python's digit limit
            raise InputError(f"malformed JSON: {exc}", file=name, row=row) from None
        if pos - start > MAX_OBJECT_CHARS:
            raise LimitError(f"an object of {pos - start:,} characters is over the limit of "
                             f"{MAX_OBJECT_CHARS:,}", file=name, row=row)
        if not isinstance(value, dict):
            raise InputError("expected a JSON object", file=name, row=row, value=_text(value))
        shape = tuple(value)
        if shape not in checked:  # objects mostly repeat one key order: check it once
            _check_keys(value, name, row, spelling)
            checked.add(shape)
        objects.append(value)
        rows.append(row)
        pos = _JSON_SPACE.match(text, pos).end()
        if array:
            if text.startswith(",", pos):
                pos = _JSON_SPACE.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos = _JSON_SPACE.match(text, pos + 1).end()
                array = False
            else:
                line, char = _where(text, pos)
                raise InputError(f"malformed JSON at line {line}, character {char}: expected ',' or ']'",
                                 file=name, row=row)
    if array:
        raise InputError("malformed JSON: the array is not closed", file=name)
    if not objects:
        raise InputError("no JSON objects: expected an object, an array of objects, or NDJSON", file=name)
    return Records(objects, rows, list(spelling.values()))


def _where(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _check_keys(obj: dict[str, Any], name: str, row: int, spelling: dict[str, str]) -> None:
    folded: dict[str, str] = {}
    for key in obj:
        norm = _norm(key)
        if not norm:
            raise InputError("an empty key", file=name, row=row, value=key)
        if "\x00" in key:
            raise InputError("a key with a NUL character", file=name, row=row, value=key)
        if len(key) > MAX_KEY_CHARS:
            raise LimitError(f"a key of {len(key):,} characters is over the limit of {MAX_KEY_CHARS:,}",
                             file=name, row=row, value=key)
        if norm in folded:
            raise InputError(f"the keys {folded[norm]!r} and {key!r} name the same column",
                             file=name, row=row)
        folded[norm] = key
        spelling.setdefault(norm, key)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        f = float(value)
        return f if math.isfinite(f) else str(value)
    raise TypeError(type(value).__name__)


def _text(value: Any) -> str | None:
    """A JSON value as text: a string as is, null as None, anything else its JSON text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_number)


def _value(value: Any, name: str, row: int, key: str) -> str | None:
    try:
        text = _text(value)
    except RecursionError:  # parsed just under Python's depth limit, too deep to write back
        raise InputError("JSON nested too deeply", file=name, row=row, column=key) from None
    if text is not None and len(text) > MAX_VALUE_CHARS:
        raise LimitError(f"a value of {len(text):,} characters is over the limit of {MAX_VALUE_CHARS:,}",
                         file=name, row=row, column=key)
    return text


def _given(value: Any, name: str, row: int, key: str) -> dict[str, Any]:
    """The object of a ``properties`` value (an object, or a string holding one); {} for null."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = _DECODER.decode(value.strip(WHITESPACE))
        except (ValueError, RecursionError):
            pass
    if not isinstance(value, dict):
        raise InputError("not a JSON object", file=name, row=row, column=key, value=_text(value))
    return value


def to_table(records: Records, name: str, fold: Fold | None, row_column: str) -> pa.Table:
    """The columns of ``records`` (see the module docstring) plus ``row_column``.

    Objects mostly share one key order (a *shape*): what each key of a shape does is
    worked out once, then applied to the values of every object of that shape.
    """
    keys = records.keys
    keep, props = fold(keys) if fold is not None else (set(keys), None)
    column_of = {_norm(k): k for k in keys if k in keep}
    props_key = _norm(props) if props else None
    columns: dict[str, list[str | None]] = {k: [] for k in column_of.values() if _norm(k) != props_key}
    folded: list[str | None] = []
    plans: dict[tuple[str, ...], tuple[list[tuple[str, int, Any]], list[list[str | None]]]] = {}
    for obj, row in zip(records.objects, records.rows):
        shape = tuple(obj)
        if shape not in plans:
            plans[shape] = _shape_plan(shape, column_of, props_key, columns)
        actions, missing = plans[shape]
        given: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for key, action, target in actions:
            value = obj[key]
            if action == _COLUMN:
                if isinstance(value, (dict, list)):
                    raise InputError("expected a single value, not a JSON object or array", file=name,
                                     row=row, column=key, value=_text(value))
                target.append(value if type(value) is str and len(value) <= MAX_VALUE_CHARS
                              else _value(value, name, row, key))
            elif action == _GIVEN:
                given = _given(value, name, row, key)
            else:
                text = value if type(value) is str and len(value) <= MAX_VALUE_CHARS else _value(value, name, row, key)
                if action == _PROPERTY and text is not None:
                    text = text.strip(WHITESPACE)
                    if text:
                        extra[key] = text
        for target in missing:
            target.append(None)
        if props:
            folded.append(_properties(given, extra, name, row, props) if given or extra else "{}")
    arrays = {k: pa.array(v, pa.string()) for k, v in columns.items()}
    if props:
        arrays[column_of.get(props_key, props)] = pa.array(folded, pa.string())
    arrays[row_column] = pa.array(records.rows, pa.int64())
    return pa.table(arrays)


_COLUMN, _GIVEN, _PROPERTY, _DROP = range(4)


def _norm(key: str) -> str:
    return key.strip(WHITESPACE).casefold()


def _shape_plan(shape: tuple[str, ...], column_of: dict[str, str], props_key: str | None,
                columns: dict[str, list[str | None]]
                ) -> tuple[list[tuple[str, int, Any]], list[list[str | None]]]:
    """For objects with keys ``shape``: (key, action, target column) per key, and the
    columns such an object leaves empty."""
    actions: list[tuple[str, int, Any]] = []
    filled: set[str] = set()
    for key in shape:
        norm = _norm(key)
        if norm == props_key:
            actions.append((key, _GIVEN, None))
        elif norm in column_of:
            actions.append((key, _COLUMN, columns[column_of[norm]]))
            filled.add(column_of[norm])
        else:
            actions.append((key, _PROPERTY if props_key else _DROP, None))
    return actions, [target for column, target in columns.items() if column not in filled]


def _properties(given: dict[str, Any], extra: dict[str, str], name: str, row: int, column: str) -> str:
    merged: dict[str, str] = {}
    for key, value in given.items():
        if "\x00" in key:
            raise InputError("a property key with a NUL character", file=name, row=row, column=column, value=key)
        if len(key) > MAX_KEY_CHARS:
            raise LimitError(f"a property key of {len(key):,} characters is over the limit of "
                             f"{MAX_KEY_CHARS:,}", file=name, row=row, column=column, value=key)
        text = _value(value, name, row, column)
        if text:
            merged[key] = text
    merged.update(extra)
    if len(merged) > MAX_PROPERTIES:
        raise LimitError(f"{len(merged):,} properties are over the limit of {MAX_PROPERTIES:,} per event",
                         file=name, row=row, column=column)
    ordered = {k: merged[k] for k in sorted(merged, key=lambda k: (k.casefold(), k))}
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))
