"""Normalisation as SQL: the columns of a file in, the canonical table out.

Pure: every function returns DuckDB SQL text; ``voronka.ingest.pipeline`` runs it. The
whole file is normalised in one vectorised pass (no Python per row).

Values (the input is trimmed of spaces first; an empty cell is null):

* **text** — as is; a whole number read as a float (``7701.0``) is written ``7701``.
* **timestamp** — to UTC, naive. A value with an offset (``2026-03-01T10:00:00+05:00``,
  ``...Z``, ``... +0500``) is converted by its offset; a value without one is read in
  the time zone ``tz`` (UTC when not given). Accepted: ISO 8601 (``2026-03-01``,
  ``2026-03-01 10:00[:00[.ffffff]]``, ``T`` or space), day-first (``23.11.2026``,
  ``23.11.2026 14:05[:00]``, also with ``/``), and epoch integers (9–10 digits are
  seconds, 11–13 digits milliseconds; epoch values are UTC by definition). Typed input
  (Parquet) is kept: a naive timestamp is read in ``tz``, an aware one converted.
* **date** — ISO ``2026-03-01`` or day-first ``01.03.2026``; a date-time keeps its date.
* **money** — DECIMAL(18,4), parsed explicitly: spaces, no-break spaces (U+00A0) and
  narrow no-break spaces (U+202F) are thousands separators and dropped; when both ``.``
  and ``,`` appear, the last one is the decimal separator and the other is dropped; a
  lone ``,`` is the decimal separator (``1 234,56`` = 1234.56), and a separator that
  appears more than once groups thousands (``1.234.567`` = 1234567). More than four
  decimals are rounded half away from zero.
* **number** (a rate) — DOUBLE, read like money; **count** (plan leads, sales) — a whole
  number, read like money; **month** — ``2026-03``, ``03.2026`` or any date, as the first
  day of its month.
* **status** (deals) — ``won``, ``lost`` or ``open`` from the CRMs' words
  (``voronka.crm.status``); when empty, from the stage name (a final stage is won or
  lost, any other open).
* **currency** — upper case, three letters (ISO 4217); ``₸``, ``₽``, ``руб``, ``тг``, ``$``,
  ``€`` are read as KZT, RUB, RUB, KZT, USD, EUR.
  A row with an amount and no currency takes the ingest's default currency when one is
  given (``voronka ingest --currency RUB``, or the store's); a row without an amount
  keeps no currency.
* **properties** (events) — a JSON object with every input column that is not
  canonical, keys sorted, values as text, empty cells left out. An input column named
  ``properties`` holding a JSON object is merged in (its values as text; the columns win
  on a clash).
* **key** (``event_id``, ``spend_id``) — given, or when absent or empty the md5 (hex)
  of the normalised row (``stable_key``): the other columns in table order, each as DuckDB text
  (``ts`` as ``2026-03-01 05:00:00``, money with four decimals, null as empty), joined by
  U+001F. Identical rows therefore get identical keys (and count as repeats), unless
  ``keep_repeats``: then the file's row number is joined last, and identical rows stay.

A row is *bad* when a required column is empty, a value cannot be parsed, a date-time or
date lies outside the accepted range (``voronka.ingest.limits``: 1900-01-01 to
2200-01-01), or a text column holds a NUL character; the first failing column (in
table order) is reported. A file with more property columns than
``limits.MAX_PROPERTIES``, or a longer property name than ``limits.MAX_KEY_CHARS``,
is refused whole.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from voronka.crm.status import stage_status_sql, status_sql
from voronka.errors import InputError, LimitError
from voronka.ingest.limits import MAX_KEY_CHARS, MAX_PROPERTIES, TS_MAX, TS_MIN, range_text
from voronka.ingest.mapping import HEADERS, resolve
from voronka.ingest.readers import ROW
from voronka.ingest.text import WHITESPACE
from voronka.schema import ALIASES, DEALS, EVENTS, PLAN, RATES, SPEND, Table
from voronka.sql import identifier, literal


OFFSET_RE = r"[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*([zZ]|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$"
"""A time of day followed by a UTC offset: the value names its own time zone."""

EPOCH_RE = r"-?[0-9]{9,13}"
DAY_FIRST = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
)
WITH_OFFSET = (
    "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%dT%H:%M:%S %z",
    "%d.%m.%Y %H:%M:%S%z", "%d.%m.%Y %H:%M:%S %z", "%d.%m.%Y %H:%M%z", "%d.%m.%Y %H:%M %z",
)
CURRENCY_SIGNS = {"₸": "KZT", "ТГ": "KZT", "ТЕНГЕ": "KZT", "₽": "RUB", "РУБ": "RUB", "РУБ.": "RUB",
                  "Р.": "RUB", "RUR": "RUB", "$": "USD", "€": "EUR"}


@dataclass(frozen=True)
class Spec:
    """How a canonical table is filled: the kind of every column and what is derived."""

    table: Table
    kinds: dict[str, str]
    generated_key: bool
    currency_of: dict[str, str] = field(default_factory=dict)
    properties: str | None = None
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Other headers a canonical column is found under (first match wins), e.g. «Дата»."""


SPECS: dict[str, Spec] = {
    "events": Spec(
        EVENTS,
        {"event_id": "text", "customer_id": "text", "ts": "timestamp", "event": "text",
         "channel": "text", "campaign": "text", "revenue": "money", "currency": "currency",
         "referrer_id": "text", "properties": "json"},
        generated_key=True, currency_of={"revenue": "currency"}, properties="properties",
        synonyms=HEADERS["events"],
    ),
    "spend": Spec(
        SPEND,
        {"spend_id": "text", "date": "date", "channel": "text", "campaign": "text",
         "amount": "money", "currency": "currency"},
        generated_key=True, currency_of={"amount": "currency"},
        synonyms=HEADERS["spend"],
    ),
    "aliases": Spec(ALIASES, {"alias": "text", "customer_id": "text"}, generated_key=False),
    "deals": Spec(
        DEALS,
        {"change_id": "text", "deal_id": "text", "pipeline": "text", "stage": "text", "changed_at": "timestamp",
         "manager": "text", "amount": "money", "currency": "currency", "status": "status"},
        generated_key=True,
        synonyms=HEADERS["deals"],
    ),
    "rates": Spec(
        RATES, {"row_id": "text", "date": "date", "currency": "currency", "rate": "number"},
        generated_key=True,
        synonyms=HEADERS["rates"],
    ),
    "plan": Spec(
        PLAN,
        {"row_id": "text", "month": "month", "channel": "text", "spend": "money", "leads": "count",
         "sales": "count", "currency": "currency"},
        generated_key=True,
        synonyms=HEADERS["plan"],
    ),
}

PARSED = {"text": "VARCHAR", "currency": "VARCHAR", "status": "VARCHAR", "money": "DECIMAL(18,4)",
          "number": "DOUBLE", "count": "BIGINT", "month": "DATE", "timestamp": "TIMESTAMP", "date": "DATE"}
"""The DuckDB type of each kind's parsed value (``parse``)."""

_MESSAGES = {
    "timestamp": "not a date-time (expected ISO 8601, DD.MM.YYYY [HH:MM[:SS]] or epoch seconds)",
    "date": "not a date (expected YYYY-MM-DD or DD.MM.YYYY)",
    "money": "not an amount (expected e.g. 1234.56 or 1 234,56, at most 14 integer digits)",
    "currency": "not a currency code (expected ISO 4217, e.g. KZT)",
    "json": "not a JSON object",
    "number": "not a number (expected e.g. 0.0021 or 471,5)",
    "count": "not a whole number (expected e.g. 120)",
    "month": "not a month (expected YYYY-MM, MM.YYYY or a date)",
    "status": "not a deal status (expected won, lost or open; e.g. успешно, провал, в работе)",
}


@dataclass(frozen=True)
class Plan:
    """The SQL that normalises one source into ``table``.

    ``body`` selects the parsed columns (key not yet derived), ``ROW``, ``_bad`` and the
    check columns; ``normal`` selects from it the canonical columns (the key derived),
    ``ROW`` and ``_bad``; ``checks`` selects, per bad row, ``ROW``, ``_column``, ``_error``
    and ``_value``. ``dup_key`` is an expression over ``body``, cheaper than the key, equal
    for rows whose keys are equal. ``staged``: ``body`` reads a table the body was
    materialised in (``over``).
    """

    table: str
    columns: tuple[str, ...]
    key: str
    body: str
    key_expr: str
    dup_key: str
    mapped: dict[str, str]
    staged: bool = False

    @property
    def normal(self) -> str:
        select = [f"{self.key_expr} AS {identifier(c)}" if c == self.key else identifier(c) for c in self.columns]
        return f"SELECT {', '.join(select + [ROW, '_bad'])} FROM ({self.body})"

    @property
    def checks(self) -> str:
        return f"SELECT {ROW}, _column, _error, _value FROM ({self.body}) WHERE _bad"

    @property
    def staging(self) -> str:
        """``body`` with the key derived, as ``STAGED_KEY``: what ``over`` reads."""
        return f"SELECT *, {self.key_expr} AS {STAGED_KEY} FROM ({self.body})"

    def over(self, table: str) -> Plan:
        """This plan reading ``table``, where ``staging`` was materialised."""
        return replace(self, body=f"SELECT * FROM {table}", key_expr=STAGED_KEY, dup_key=STAGED_KEY, staged=True)


STAGED_KEY = "_voronka_key"
"""The column ``Plan.staging`` derives the key into."""

PLANS = 256
"""How many plans are kept (``plan``): the shapes a server's clients send, mostly few."""

_plans: OrderedDict[tuple, Plan] = OrderedDict()
_plans_lock = threading.Lock()


def plan(table: str, columns: list[tuple[str, str]], relation: str, *,
         mapping: dict[str, str] | None = None, tz: str | None = None, file: str | None = None,
         keep_repeats: bool = False, folded: bool = False, currency: str | None = None, few: bool = False) -> Plan:
    """The normalisation of ``relation`` (with ``columns``: name, DuckDB type) into ``table``.

    ``keep_repeats``: a generated key also hashes the row number, so identical rows stay.
    ``folded``: the properties column already holds the final object (the JSON reader
    folds the properties itself: ``voronka.ingest.jsonread``), stored as it is.
    ``currency`` (an ISO 4217 code, checked by the caller) is the currency of the rows
    that have an amount and no currency of their own.
    ``few``: the source has few rows (a request body), so the SQL is written to be quick to
    plan rather than quick per row (``text``'s plain trim); the same values either way.

    A plan is a function of these arguments (``file`` only names the file in errors), so
    the last ``PLANS`` are kept: a server planning the same shape of body again reuses it.
    """
    key = (table, tuple(columns), relation, tuple(sorted((mapping or {}).items())), tz, keep_repeats, folded,
           currency, few)
    with _plans_lock:
        found = _plans.get(key)
        if found is not None:
            _plans.move_to_end(key)
            return found
    made = _plan(table, columns, relation, mapping=mapping, tz=tz, file=file, keep_repeats=keep_repeats,
                 folded=folded, currency=currency, few=few)
    with _plans_lock:
        _plans[key] = made
        while len(_plans) > PLANS:
            _plans.popitem(last=False)
    return made


def _plan(table: str, columns: list[tuple[str, str]], relation: str, *, mapping: dict[str, str] | None,
          tz: str | None, file: str | None, keep_repeats: bool, folded: bool, currency: str | None,
          few: bool) -> Plan:
    spec = SPECS[table]
    canonical = spec.table.columns
    types = dict(columns)
    mapped = resolve([c for c, _ in columns], canonical, mapping, file=file, synonyms=spec.synonyms)
    key = spec.table.key
    amounts = [c for c, k in spec.kinds.items() if k == "money"]
    defaulted = {c for c, k in spec.kinds.items() if k == "currency"} if currency and amounts else set()
    missing = [c for c in spec.table.required
               if c not in mapped and c != spec.properties and not (c == key and spec.generated_key)
               and c not in defaulted]
    if missing:
        raise InputError(
            f"required column {missing[0]!r} is missing; the file has: "
            f"{', '.join(c for c, _ in columns) or 'no columns'} (map one with --map {missing[0]}=NAME)",
            file=file,
        )
    extra = sorted((c for c, _ in columns if c not in mapped.values()), key=str.casefold)
    if spec.properties:
        check_property_names(extra, file)

    # Layer 1: trimmed text (or typed values) under safe names.
    raw = {c: f"r_{i}" for i, c in enumerate(canonical)}
    layer1 = [f"{ROW}"]
    for c in canonical:
        if c in mapped:
            src, src_type = identifier(mapped[c]), types[mapped[c]]
            kind = spec.kinds[c]
            keep_typed = kind in ("timestamp", "date", "money") and not is_text(src_type)
            layer1.append(f"{src if keep_typed else text(src, src_type, plain=few)} AS {raw[c]}")
        else:
            layer1.append(f"NULL::VARCHAR AS {raw[c]}")
    props = {name: f"p_{i}" for i, name in enumerate(extra)} if spec.properties else {}
    # Plain trim for property columns: a CASE per column makes DuckDB's planning quadratic
    # in the number of columns (400 columns: 27 s), and a wide file may have thousands.
    layer1 += [f"{text(identifier(n), types[n], plain=True)} AS {alias}" for n, alias in props.items()]

    # Layer 2: parsed values.
    layer2 = ["*"]
    for c in canonical:
        kind = spec.kinds[c]
        src_type = types[mapped[c]] if c in mapped else "VARCHAR"
        if kind == "json" and folded and c in mapped:
            layer2.append(f"coalesce({raw[c]}, '{{}}') AS v_{c}")
        elif kind == "json":
            layer2.append(f"{properties_json(raw[c] if c in mapped else None, props)} AS v_{c}")
        elif c in defaulted:
            has_amount = " OR ".join(f"{raw[m]} IS NOT NULL" for m in amounts)
            layer2.append(f"CASE WHEN {raw[c]} IS NULL AND ({has_amount}) THEN {literal(currency or '')} "
                          f"ELSE {parse(kind, raw[c], src_type, tz)} END AS v_{c}")
        elif c not in mapped:  # the parse of a null is null: not written out, so not planned
            layer2.append(f"NULL::{PARSED[kind]} AS v_{c}")
        else:
            layer2.append(f"{parse(kind, raw[c], src_type, tz)} AS v_{c}")

    # Checks, in table order.
    rules: list[tuple[str, str, str, str]] = []  # condition, column, message, value
    for c in canonical:
        kind = spec.kinds[c]
        label = mapped.get(c, c)
        generated = c == key and spec.generated_key
        if c in spec.table.required and kind != "json" and not generated:
            rules.append((f"{'v_' + c if c in defaulted else raw[c]} IS NULL", label, f"{c} is required", "NULL"))
        if kind == "json":
            if c in mapped and not folded:
                rules.append((f"{raw[c]} IS NOT NULL AND {raw[c]} <> '{{}}' AND NOT {is_object(raw[c])}", label,
                              _MESSAGES[kind], raw[c]))
        elif kind != "text" and c in mapped and can_fail(kind, types[mapped[c]]):  # unmapped: null, no fail
            rules.append((f"{raw[c]} IS NOT NULL AND v_{c} IS NULL", label, _MESSAGES[kind],
                          f"CAST({raw[c]} AS VARCHAR)"))
        if kind == "text" and c in mapped:
            rules.append((f"coalesce(contains({raw[c]}, chr(0)), false)", label, "contains a NUL character",
                          f"replace({raw[c]}, chr(0), '\\0')"))
        if kind in ("timestamp", "date", "month") and c in mapped:
            outside = f"v_{c} < TIMESTAMP '{TS_MIN:%Y-%m-%d}' OR v_{c} >= TIMESTAMP '{TS_MAX:%Y-%m-%d}'"
            rules.append((f"coalesce({outside}, false)", label, f"outside the accepted time range, {range_text()}",
                          f"CAST({raw[c]} AS VARCHAR)"))
        for money, cur in spec.currency_of.items():
            if c == cur and money in mapped:
                rules.append((f"v_{money} IS NOT NULL AND v_{cur} IS NULL", mapped.get(cur, cur),
                              f"{cur} is required when {money} is set (or give a default: --currency RUB)",
                              "NULL"))
    # Each rule once, as a column k_i: then _bad and the three CASEs refer to it rather than
    # repeat it (four times as much SQL for DuckDB to plan, the cost of a small ingest).
    layer_rules = ["*"] + [f"({cond}) AS k_{i}" for i, (cond, *_) in enumerate(rules)]
    bad = " OR ".join(f"k_{i}" for i in range(len(rules))) or "false"  # every rule is true or false

    def case(part: int) -> str:
        whens = " ".join(f"WHEN k_{i} THEN {r[part] if part == 3 else literal(r[part])}" for i, r in enumerate(rules))
        return f"CASE {whens} END" if rules else "NULL"

    layer3 = (
        [ROW, f"({bad}) AS _bad", f"{case(1)} AS _column", f"{case(2)} AS _error", f"{case(3)} AS _value"]
        + [f"{_final(spec, c)} AS {identifier(c)}" for c in canonical]
        + list(props.values())
        + ([f"{raw[spec.properties]} AS _given_properties"] if spec.properties else [])
    )
    body = (
        f"SELECT {', '.join(layer3)} FROM (SELECT {', '.join(layer_rules)} FROM (SELECT {', '.join(layer2)} FROM "
        f"(SELECT {', '.join(layer1)} FROM {relation})))"
    )
    others = [c for c in canonical if c != key]
    if spec.generated_key and key in mapped:
        key_expr = dup_key = f"coalesce({identifier(key)}, {stable_key(others, keep_repeats=keep_repeats)})"
    elif spec.generated_key:
        # Rows with equal keys are equal in every column; properties are a function of
        # the raw property columns, so those stand in for the JSON.
        hashed = [identifier(c) for c in others if c != spec.properties] + ([ROW] if keep_repeats else [])
        if spec.properties:
            hashed += [*props.values(), "_given_properties"]
        key_expr, dup_key = stable_key(others, keep_repeats=keep_repeats), f"hash({', '.join(hashed)})"
    else:
        key_expr = dup_key = identifier(key)
    return Plan(table, tuple(canonical), key, body, key_expr, dup_key, mapped)


def stable_key(columns: list[str], *, keep_repeats: bool = False) -> str:
    """The generated key (``event_id``, ``spend_id``...) of a row, as DuckDB SQL over its
    normalised ``columns`` (every column but the key, in table order): the md5, as 32
    lower-case hex digits, of their text joined by U+001F, a null as empty; with
    ``keep_repeats``, the 1-based row number joined last.

    The text of a value is DuckDB's ``CAST(... AS VARCHAR)``: text as is; a ``TIMESTAMP``
    as ``2026-03-01 05:00:00`` (UTC), with ``.25`` or ``.000001`` when it has a fraction of
    a second (trailing zeros dropped); ``DECIMAL(18,4)`` money with four decimals
    (``1500.5000``, ``-0.0001``); a ``DATE`` as ``2026-03-01``; ``DOUBLE`` and ``BIGINT`` as
    DuckDB prints them. ``tests/ingest/test_stable_id.py`` recomputes these in Python
    and pins known keys, so a DuckDB whose text differs fails there (docs/ingest.md)."""
    texts = [f"coalesce(CAST({identifier(c)} AS VARCHAR), '')" for c in columns]
    if keep_repeats:
        texts.append(f"CAST({ROW} AS VARCHAR)")
    return f"md5(concat_ws(chr(31), {', '.join(texts)}))"


def check_property_names(names: list[str], file: str | None) -> None:
    """The property columns of a file within the limits (``voronka.ingest.limits``), no NUL."""
    if len(names) > MAX_PROPERTIES:
        raise LimitError(f"{len(names):,} property columns are over the limit of {MAX_PROPERTIES:,} per event",
                         file=file)
    for name in names:
        if "\x00" in name:
            raise InputError("a column name with a NUL character", file=file, value=name.replace("\x00", "\\0"))
        if len(name) > MAX_KEY_CHARS:
            raise LimitError(f"a column name of {len(name):,} characters is over the limit of {MAX_KEY_CHARS:,}",
                             file=file, value=name)


def _final(spec: Spec, column: str) -> str:
    """The stored value of ``column``: its parsed value; a deal status falls back to its stage."""
    if spec.kinds[column] == "status":
        return f"coalesce(v_{column}, {stage_status_sql('v_stage')})"
    return f"v_{column}"


# --- value expressions -------------------------------------------------------------------

def is_text(duck_type: str) -> bool:
    return duck_type.upper() in ("VARCHAR", "TEXT", "STRING") or duck_type.upper().startswith("VARCHAR(")


def text(expr: str, duck_type: str, *, plain: bool = False) -> str:
    """The trimmed text of ``expr`` (of DuckDB type ``duck_type``); null when empty.

    ``plain`` trims with one ``trim`` call instead of ``trim``'s cheap test first: slower
    per value, but linear to plan (see ``trim``)."""
    t = duck_type.upper()
    if is_text(t):
        return f"NULLIF({trim(expr) if not plain else f'trim({expr}, {literal(WHITESPACE)})'}, '')"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        value = (f"CASE WHEN {expr} = trunc({expr}) AND abs({expr}) < 1e18 "
                 f"THEN CAST(CAST({expr} AS BIGINT) AS VARCHAR) ELSE CAST({expr} AS VARCHAR) END")
    elif t.startswith(("STRUCT", "MAP", "JSON")) or t.endswith("]"):
        value = f"CAST(to_json({expr}) AS VARCHAR)"
    else:
        value = f"CAST({expr} AS VARCHAR)"
    return value


def trim(expr: str) -> str:
    """``expr`` without ``WHITESPACE`` at either end (the common case, none, is tested cheaply)."""
    # Each end's character looked up once in the list of codes: ``reverse`` (a copy of the
    # value) made once per value, not twice; ``list_position``, because DuckDB runs an ``IN``
    # list or ``list_contains`` inside an insert as a join per column (half as fast again).
    codes = "[" + ", ".join(str(ord(c)) for c in sorted(WHITESPACE)) + "]"
    return (f"CASE WHEN list_position({codes}, ord({expr})) > 0 OR list_position({codes}, ord(reverse({expr}))) > 0 "
            f"THEN trim({expr}, {literal(WHITESPACE)}) ELSE {expr} END")


def can_fail(kind: str, duck_type: str) -> bool:
    """Whether parsing a value of DuckDB type ``duck_type`` as ``kind`` can fail.

    A typed date or date-time (Parquet ``TIMESTAMP``, ``TIMESTAMPTZ``, ``DATE``) is always
    a valid ``timestamp`` or ``date``; text can fail, and so can numbers (epoch seconds
    out of range, money with more than 14 integer digits).

    >>> can_fail("timestamp", "TIMESTAMP"), can_fail("timestamp", "VARCHAR")
    (False, True)
    """
    t = duck_type.upper()
    typed_time = t.startswith("TIMESTAMP") or t == "DATE"
    return not (kind in ("timestamp", "date") and typed_time)


def parse(kind: str, expr: str, duck_type: str, tz: str | None) -> str:
    """The parsed value of raw ``expr`` (text, or typed as ``duck_type``); null when unparseable."""
    if kind == "text":
        return expr
    if kind == "currency":
        return currency(expr)
    if kind == "money":
        return money(expr) if is_text(duck_type) else f"TRY_CAST({expr} AS DECIMAL(18,4))"
    if kind == "number":
        return f"TRY_CAST({number_text(expr)} AS DOUBLE)" if is_text(duck_type) else f"TRY_CAST({expr} AS DOUBLE)"
    if kind == "count":
        value = f"TRY_CAST({number_text(expr)} AS DOUBLE)" if is_text(duck_type) else f"TRY_CAST({expr} AS DOUBLE)"
        return f"CASE WHEN {value} = trunc({value}) AND abs({value}) < 1e15 THEN CAST({value} AS BIGINT) END"
    if kind == "month":
        return month(expr, duck_type)
    if kind == "status":
        return status_sql(expr if is_text(duck_type) else f"CAST({expr} AS VARCHAR)")
    if kind == "timestamp":
        return timestamp(expr, duck_type, tz)
    if kind == "date":
        return date(expr, duck_type)
    raise ValueError(kind)


def money(expr: str) -> str:
    """Text to DECIMAL(18,4) by the rules in the module docstring.

    >>> 'TRY_CAST' in money('x')
    True
    """
    return f"coalesce(TRY_CAST({expr} AS DECIMAL(18,4)), TRY_CAST({number_text(expr)} AS DECIMAL(18,4)))"


def month(expr: str, duck_type: str) -> str:
    """A raw value to the first day of its month: ``2026-03``, ``03.2026`` or a date."""
    if not is_text(duck_type):
        return f"CAST(date_trunc('month', {date(expr, duck_type)}) AS DATE)"
    whole = (f"coalesce(try_strptime({expr}, ['%Y-%m', '%m.%Y', '%m/%Y', '%Y.%m']), "
             f"CAST({date(expr, duck_type)} AS TIMESTAMP))")
    return f"CAST(date_trunc('month', {whole}) AS DATE)"


def number_text(expr: str) -> str:
    """Text to a plain decimal literal (``1 234,56`` → ``1234.56``); NULL when not a number."""
    t = f"replace(regexp_replace({expr}, '[\\s\\x{{00A0}}\\x{{202F}}\\x{{2009}}]', '', 'g'), '\u2212', '-')"
    commas = f"(length({t}) - length(replace({t}, ',', '')))"
    dots = f"(length({t}) - length(replace({t}, '.', '')))"
    normal = (
        f"CASE WHEN {commas} > 0 AND {dots} > 0 THEN "
        f"CASE WHEN strpos(reverse({t}), ',') < strpos(reverse({t}), '.') "
        f"THEN replace(replace({t}, '.', ''), ',', '.') ELSE replace({t}, ',', '') END "
        f"WHEN {commas} = 1 THEN replace({t}, ',', '.') "
        f"WHEN {commas} > 1 THEN replace({t}, ',', '') "
        f"WHEN {dots} > 1 THEN replace({t}, '.', '') "
        f"ELSE {t} END"
    )
    return f"CASE WHEN regexp_full_match({normal}, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)') THEN {normal} END"


def localize(expr: str, tz: str | None) -> str:
    """A naive TIMESTAMP read in ``tz``, as a naive UTC TIMESTAMP."""
    if tz is None or tz.upper() in ("UTC", "ETC/UTC", "Z", "GMT"):
        return expr
    return f"timezone('UTC', timezone({literal(tz)}, {expr}))"


def epoch(expr: str) -> str:
    """An epoch number (seconds; milliseconds when ≥ 10^11 in size) as a UTC TIMESTAMP."""
    return (f"CASE WHEN abs({expr}) < 100000000000 THEN make_timestamp(CAST({expr} * 1000000 AS BIGINT)) "
            f"ELSE make_timestamp(CAST({expr} * 1000 AS BIGINT)) END")


def timestamp(expr: str, duck_type: str, tz: str | None) -> str:
    """A raw value to a naive UTC TIMESTAMP (see the module docstring)."""
    t = duck_type.upper()
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"timezone('UTC', {expr})"
    if t.startswith("TIMESTAMP") or t in ("DATE", "DATETIME"):
        return localize(f"CAST({expr} AS TIMESTAMP)", tz)
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return f"TRY({epoch(f'CAST({expr} AS DOUBLE)')})"
    if not is_text(t):
        expr = f"CAST({expr} AS VARCHAR)"
    formats = "[" + ", ".join(literal(f) for f in DAY_FIRST) + "]"
    local = f"coalesce(TRY_CAST({expr} AS TIMESTAMP), try_strptime({expr}, {formats}))"
    offset_formats = "[" + ", ".join(literal(f) for f in WITH_OFFSET) + "]"
    return (
        # the length first (9 to 14 bytes), so a date-time's text skips the regular expression
        f"CASE WHEN strlen({expr}) BETWEEN 9 AND 14 AND regexp_full_match({expr}, '{EPOCH_RE}') "
        f"THEN TRY({epoch(f'CAST({expr} AS BIGINT)')}) "
        f"WHEN regexp_matches({expr}, {literal(OFFSET_RE)}) THEN timezone('UTC', coalesce("
        f"TRY_CAST({expr} AS TIMESTAMPTZ), try_strptime({expr}, {offset_formats}))) "
        f"ELSE {localize(local, tz)} END"
    )


def date(expr: str, duck_type: str) -> str:
    """A raw value to a DATE (see the module docstring)."""
    t = duck_type.upper()
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"CAST(timezone('UTC', {expr}) AS DATE)"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return f"CAST({expr} AS DATE)"
    if not is_text(t):
        expr = f"CAST({expr} AS VARCHAR)"
    formats = "[" + ", ".join(literal(f) for f in DAY_FIRST) + "]"
    return (f"coalesce(TRY_CAST({expr} AS DATE), CAST(try_strptime({expr}, {formats}) AS DATE), "
            f"CAST(TRY_CAST({expr} AS TIMESTAMP) AS DATE))")


def currency(expr: str) -> str:
    """Upper-case ISO 4217 code, or a known sign/abbreviation translated; else null."""
    up = f"upper({expr})"
    signs = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in CURRENCY_SIGNS.items())
    return f"CASE WHEN regexp_full_match({up}, '[A-Z]{{3}}') THEN {up} ELSE CASE {up} {signs} END END"


def is_object(expr: str) -> str:
    # TRY_CAST: DuckDB may evaluate json_type on every row whatever json_valid says
    return f"coalesce(json_type(TRY_CAST({expr} AS JSON)) = 'OBJECT', false)"


def properties_json(given: str | None, columns: dict[str, str]) -> str:
    """The ``properties`` object: ``columns`` (name → text expression) merged over ``given``.

    ``given`` is None when the file has no ``properties`` column: the object is then
    built from ``columns`` alone (the same text as merging over nothing).
    """
    # ``'"k":' || NULL`` is NULL and ``concat_ws`` skips it: no CASE per column, whose
    # planning cost DuckDB makes quadratic in the number of columns.
    parts = ", ".join(
        f"{literal(json.dumps(name, ensure_ascii=False) + ':')} || CAST(to_json({expr}) AS VARCHAR)"
        for name, expr in columns.items()
    )
    built = f"('{{' || concat_ws(',', {parts}) || '}}')" if columns else "'{}'"
    if given is None:
        return built
    as_text = (
        f"CAST(to_json(map_from_entries(list_filter(list_transform("
        f"map_entries(TRY_CAST(TRY_CAST({given} AS JSON) AS MAP(VARCHAR, JSON))), lambda e: {{'k': e.key, 'v': "
        f"CASE WHEN json_type(e.value) = 'VARCHAR' THEN e.value ->> '$' WHEN json_type(e.value) = 'NULL' "
        f"THEN NULL ELSE CAST(e.value AS VARCHAR) END}}), lambda e: e.v IS NOT NULL AND e.v <> ''))) AS VARCHAR)"
    )
    merged = as_text if not columns else f"CAST(json_merge_patch({as_text}, {built}) AS VARCHAR)"
    # An empty object given (most events' properties) is the columns' object itself: the
    # same text as the merge, without parsing and writing JSON on every row.
    return (f"CASE WHEN {given} = '{{}}' THEN {built} "
            f"WHEN {given} IS NOT NULL AND {is_object(given)} THEN {merged} ELSE {built} END")



