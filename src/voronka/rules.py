"""Stage rules: which events put a customer into a stage (or satisfy a funnel step).

A rule matches an event when

* its name is one of ``events`` (an empty list matches every event name), and
* every condition in ``where`` holds (conditions are AND-ed), and
* when ``min_purchases`` is n: it is the customer's n-th or later event matching the
  rule (events in time order; equal timestamps ordered by ``event_id``), so
  ``events: [purchase], min_purchases: 2`` is "a repeat purchase";

A rule with ``min_referrals`` n matches a *derived* event instead: the moment the n-th
customer naming this customer as ``referrer_id`` first appears (that customer's first
event). ``events`` and ``where`` then filter the referred customers' first events.

``revenue`` and the operators ``gt gte lt lte`` compare numbers (a property that is not a
number fails them); every other comparison is on text: ``contains`` (a substring),
``icontains`` (a substring, both sides in Unicode lower case) and ``regex`` (the pattern
found anywhere in the text; only the syntax Python, RE2 and Java read alike: see
``check_pattern``). A condition reads ``field``: an events column (``channel``, ``campaign``, ``event``,
``revenue``, ``currency``, ``referrer_id``, ``customer_id``) or, for any other name, a
property (``properties.NAME`` or plain ``NAME``). A missing property is null, and a
null never satisfies a condition (``ne`` and ``not_in`` included) except ``is_null``;
``is_null``/``not_null`` take no value.

Example (YAML)::

    events: [purchase]
    where:
      - {field: offer, op: eq, value: tripwire}
      - {field: revenue, op: lt, value: 2000}
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EVENT_COLUMNS = frozenset(
    {"event_id", "customer_id", "event", "channel", "campaign", "revenue", "currency", "referrer_id"}
)

Operator = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "icontains", "regex",
                   "is_null", "not_null"]
Scalar = str | int | float | bool


class Condition(BaseModel):
    """One test of an event's column or property: ``field op value``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1)
    op: Operator = "eq"
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in ("is_null", "not_null"):
            if self.value is not None:
                raise ValueError(f"operator {self.op!r} takes no value")
            return self
        if self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list value")
        if self.op not in ("in", "not_in") and isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a single value, not a list")
        if (self.op in ("gt", "gte", "lt", "lte") or self.field == "revenue" and self.op in ("eq", "ne")) and (
            isinstance(self.value, bool) or not isinstance(self.value, (int, float))
        ):
            raise ValueError(f"operator {self.op!r} needs a number")
        if self.op == "regex":
            check_pattern(_as_text(self.value))
        return self

    @property
    def is_column(self) -> bool:
        return self.field in EVENT_COLUMNS

    @property
    def property_name(self) -> str:
        """The JSON key in ``properties`` (for a property condition)."""
        return self.field.removeprefix("properties.")


class StepRule(BaseModel):
    """Which events satisfy a stage or funnel step (see module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: tuple[str, ...] = ()
    where: tuple[Condition, ...] = ()
    min_purchases: int | None = Field(default=None, ge=1)
    min_referrals: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_kind(self) -> StepRule:
        if self.min_purchases is not None and self.min_referrals is not None:
            raise ValueError("a rule takes min_purchases or min_referrals, not both")
        if self.min_purchases is not None and not self.events and not self.where:
            raise ValueError("min_purchases counts the events of a rule: give events or where conditions")
        return self

    def describe(self) -> str:
        """A short human-readable form, e.g. ``purchase (#2+)`` or ``visit|signup [channel=tv]``."""
        text = "|".join(self.events) if self.events else "any event"
        if self.where:
            text += " [" + ", ".join(_describe_condition(c) for c in self.where) + "]"
        if self.min_purchases:
            text += f" (#{self.min_purchases}+)"
        if self.min_referrals:
            conditions = " [" + ", ".join(_describe_condition(c) for c in self.where) + "]" if self.where else ""
            text = f"referred ≥{self.min_referrals} customers" + (f" ({text})" if self.events else conditions)
        return text


PURCHASE = StepRule(events=["purchase"])
"""The default purchase rule of every analysis: an event named ``purchase``."""


_OP_SIGNS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


def _describe_condition(c: Condition) -> str:
    if c.op in ("is_null", "not_null"):
        return f"{c.field} {'is null' if c.op == 'is_null' else 'is not null'}"
    if c.op in _OP_SIGNS:
        return f"{c.field}{_OP_SIGNS[c.op]}{_as_text(c.value)}"
    if c.op in ("contains", "icontains"):
        return f"{c.field}∋{_as_text(c.value)}" + (" (any case)" if c.op == "icontains" else "")
    if c.op == "regex":
        return f"{c.field}~/{_as_text(c.value)}/"
    values = ",".join(map(_as_text, c.value))  # type: ignore[arg-type]
    return f"{c.field} {'in' if c.op == 'in' else 'not in'} ({values})"


def matches(rule: StepRule, event: dict) -> bool:
    """Whether one event (a dict of columns; ``properties`` a dict) passes ``events`` and ``where``.

    Pure Python, for the reference implementation; ``min_purchases`` / ``min_referrals``
    are applied by the caller, which knows the customer's history.
    """
    if rule.events and event.get("event") not in rule.events:
        return False
    return all(condition_holds(c, event) for c in rule.where)


def condition_holds(c: Condition, event: dict) -> bool:
    raw = event.get(c.field) if c.is_column else (event.get("properties") or {}).get(c.property_name)
    if c.op in ("is_null", "not_null"):
        return (raw is None) == (c.op == "is_null")
    if raw is None:
        return False
    if c.op in ("gt", "gte", "lt", "lte") or (c.field == "revenue" and c.op in ("eq", "ne")):
        try:
            x = float(raw)
        except (TypeError, ValueError):
            return False
        v = float(c.value)  # type: ignore[arg-type]
        return {"gt": x > v, "gte": x >= v, "lt": x < v, "lte": x <= v, "eq": x == v, "ne": x != v}[c.op]
    text = _as_text(raw)
    if c.op == "eq":
        return text == _as_text(c.value)
    if c.op == "ne":
        return text != _as_text(c.value)
    if c.op == "in":
        return text in {_as_text(v) for v in c.value}  # type: ignore[union-attr]
    if c.op == "not_in":
        return text not in {_as_text(v) for v in c.value}  # type: ignore[union-attr]
    if c.op == "icontains":
        return _as_text(c.value).lower() in text.lower()
    if c.op == "regex":
        return re.search(_as_text(c.value), text) is not None
    return _as_text(c.value) in text  # contains


_COMMON_ESCAPES = frozenset("tnr")


def check_pattern(pattern: str) -> None:
    """Raise ``ValueError`` unless ``pattern`` is in the regex syntax that Python's ``re``,
    RE2 (DuckDB, ClickHouse) and Java (Spark) read alike: literal characters, escaped
    punctuation (``\\.``) and ``\\t \\n \\r``, ``.``, ``^``, ``$``, classes ``[a-z0-9_]`` and
    ``[^…]``, alternation ``|``, groups ``(…)`` and ``(?:…)``, and the quantifiers ``* + ?
    {n} {n,} {n,m}`` (lazy forms too). Left out, because the three differ: ``\\d \\w \\s \\b``
    (Unicode in Python, ASCII in RE2 and Java) and other letter escapes, back references,
    lookaround, inline flags (``(?i)`` is ASCII-only in Java: use ``icontains``), named
    groups, possessive quantifiers, ``{,n}`` and POSIX classes. On text with line breaks
    ``.``, ``^`` and ``$`` may still differ between the engines."""
    def fail(what: str) -> ValueError:
        return ValueError(f"regex {pattern!r}: {what} is not read alike by every engine "
                          "(Python, RE2, Java); see docs/models.md")

    i, in_class = 0, False
    while i < len(pattern):
        c, nxt = pattern[i], pattern[i + 1:i + 2]
        if c == "\\":
            if nxt.isalnum() and nxt not in _COMMON_ESCAPES:
                raise fail(f"the escape \\{nxt} (write [0-9], [A-Za-z0-9_], … instead of \\d, \\w)")
            i += 2
            continue
        if in_class:
            if c == "[" and nxt == ":" or c == "&" and nxt == "&":
                raise fail(f"{c}{nxt} inside a class (POSIX classes, class operators)")
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if nxt == "^":
                i += 1
            if pattern[i + 1:i + 2] == "]":  # a leading ] is a literal
                i += 1
        elif c == "(" and nxt == "?" and pattern[i + 2:i + 3] != ":":
            raise fail("a group other than (...) and (?:...) (flags, names, lookaround)")
        elif c in "*+?}" and nxt == "+" and not (c == "+" and i and pattern[i - 1] in "*+?}"):
            raise fail(f"the possessive quantifier {c}+")
        elif c == "{" and nxt == ",":
            raise fail("{,n} (write {0,n})")
        i += 1
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"regex {pattern!r}: {exc}") from None


def _as_text(v: object) -> str:
    """Values compare as text; booleans as ``true``/``false`` (as JSON writes them)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
