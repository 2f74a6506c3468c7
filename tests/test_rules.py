"""Rule conditions that read text: ``icontains``, ``regex`` (the common subset of Python,
RE2 and Java), and a rule with no ``events`` (any event), on every engine against the
Python matcher."""

from __future__ import annotations

import pytest

from tests.backends import event
from voronka.rules import Condition, StepRule, check_pattern, matches
from voronka.sql import rule_predicate

ROWS = [
    event("u", 0, "visit", "e1", properties={"page": "/Pricing/Tariffs"}),
    event("u", 1, "visit", "e2", properties={"page": "/ЦЕНЫ/тарифы"}),
    event("u", 2, "signup", "e3", properties={"page": "/blog/2026-03-02.html"}),
    event("u", 3, "signup", "e4", properties={"page": "a\\b'c"}),
    event("u", 4, "identify", "e5"),
]

CASES = [
    (Condition(field="page", op="icontains", value="pricing"), ["e1"]),
    (Condition(field="page", op="icontains", value="цены"), ["e2"]),  # Cyrillic: lowerUTF8 on ClickHouse
    (Condition(field="page", op="icontains", value="ТАРИФЫ"), ["e2"]),
    (Condition(field="page", op="regex", value=r"^/blog/[0-9]{4}-[0-9]{2}-[0-9]{2}\.html$"), ["e3"]),
    (Condition(field="page", op="regex", value="(?:pricing|Pricing)/T"), ["e1"]),
    (Condition(field="page", op="regex", value=r"\\b'"), ["e4"]),  # a backslash and a quote survive every dialect
    (Condition(field="page", op="regex", value="ЦЕН[АЫ]"), ["e2"]),
    (Condition(field="event", op="regex", value="^s"), ["e3", "e4"]),
]


@pytest.mark.parametrize("condition, expected", CASES, ids=[c.value for c, _ in CASES])
def test_text_conditions_match_alike_on_every_engine(engine_for, condition, expected):
    rule = StepRule(where=(condition,))
    assert sorted(r["event_id"] for r in ROWS if matches(rule, r)) == expected
    engine = engine_for(ROWS)
    got = engine.query(f"SELECT event_id FROM events WHERE {rule_predicate(rule)} ORDER BY event_id")
    assert got.column("event_id").to_pylist() == expected


def test_a_rule_without_events_matches_every_event(engine_for):
    rule = StepRule()
    assert rule.describe() == "any event" and all(matches(rule, r) for r in ROWS)
    got = engine_for(ROWS).query(f"SELECT count(*) AS n FROM events WHERE {rule_predicate(rule)}")
    assert got.column("n").to_pylist() == [len(ROWS)]
    with pytest.raises(ValueError, match="min_purchases counts the events of a rule"):
        StepRule(min_purchases=2)


@pytest.mark.parametrize("pattern", [r"\d+", r"\w", r"\bx", r"(a)\1", "(?i)abc", "(?=a)b", "(?P<n>a)", "a*+",
                                     "a{,3}", "[[:alpha:]]", "[a-z&&[^x]]", "(unclosed"])
def test_patterns_outside_the_common_subset_are_refused(pattern):
    with pytest.raises(ValueError, match="regex"):
        Condition(field="page", op="regex", value=pattern)


@pytest.mark.parametrize("pattern", [r"^a.*b$", r"\(?x\)?", "[]a]", "[^0-9]+", "a+?b", r"x\ty", "(?:a|b){2,3}"])
def test_patterns_in_the_common_subset_are_taken(pattern):
    check_pattern(pattern)
