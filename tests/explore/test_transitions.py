"""Transitions (docs/explore.md, "Transitions"): a hand-made log on every backend, and the
demo's planted loop among the top three."""

from __future__ import annotations

import pytest

from tests.backends import event
from voronka import demo
from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import DefinitionError
from voronka.explore.transitions import END, START, compute_transitions, parse_segment


def rows():
    ios, android = {"os": "ios"}, {"os": "android"}
    return [
        # a (ios): view → cart → ship → cart → ship → buy: sent back once before buying
        event("a", 0, "view", properties=ios), event("a", 1, "cart"), event("a", 2, "ship"), event("a", 3, "cart"),
        event("a", 4, "ship"), event("a", 5, "purchase"),
        # b (ios): view → cart → ship → cart, never buys (trapped)
        event("b", 0, "view", properties=ios), event("b", 1, "cart"), event("b", 2, "ship"), event("b", 3, "cart"),
        # c, d (android): view → view (merged) → cart → ship → buy
        event("c", 0, "view", properties=android), event("c", 1, "view"), event("c", 2, "cart"),
        event("c", 3, "ship"), event("c", 4, "purchase"),
        event("d", 0, "view", properties=android), event("d", 2, "cart"), event("d", 3, "ship"),
        event("d", 4, "purchase"),
        # e (android): view only
        event("e", 0, "view", properties=android),
    ]


def test_matrices_and_loops(engine_for):
    result = compute_transitions(engine_for(rows()), steps=3, compare=(("os", "ios"), ("os", "android")))
    matrix = {(r["from"], r["to"]): r for r in result.matrix.to_pylist()}
    assert result.units == 5
    assert matrix[START, "view"]["moves"] == 5
    assert matrix["ship", "cart"]["moves"] == 2 and matrix["ship", "cart"]["units"] == 2
    assert matrix["cart", "ship"]["moves"] == 5
    assert matrix["ship", "cart"]["probability"] == pytest.approx(2 / 5)  # ship → cart 2, → purchase 3
    assert matrix["view", END]["moves"] == 1 and ("view", "view") not in matrix  # repeats merged
    for k in (1, 2, 3):  # every step's shares sum to 1
        assert sum(r["share"] for r in result.steps.to_pylist() if r["step"] == k) == pytest.approx(1.0)
    step2 = {r["state"]: r["units"] for r in result.steps.to_pylist() if r["step"] == 2}
    assert step2 == {"cart": 4, END: 1}
    loop = result.loops.to_pylist()[0]
    assert (loop["from"], loop["to"]) == ("ship", "cart")
    assert loop["units_trapped"] == 2 and loop["rate_trapped"] == pytest.approx(0.5)
    assert loop["rate_others"] == pytest.approx(1.0)  # c and d reached ship and bought
    assert loop["conversions_lost"] == pytest.approx(2 * (1.0 - 0.5))
    compare = {(r["from"], r["to"]): r for r in result.compare.to_pylist()}
    assert compare["ship", "cart"]["probability_a"] == pytest.approx(2 / 3)
    assert compare["ship", "cart"]["probability_b"] == 0.0
    # the step matrices: ios a, b (view, cart, ship) against android c, d, e (e ends after view)
    assert result.segments == ("os=ios", "os=android")
    steps = {(r["step"], r["state"]): r for r in result.compare_steps.to_pylist()}
    assert (steps[2, "cart"]["units_a"], steps[2, "cart"]["units_b"]) == (2, 2)
    assert steps[2, "cart"]["share_a"] == 1.0 and steps[2, "cart"]["difference"] == pytest.approx(1 - 2 / 3)
    assert steps[2, END]["share_a"] == 0.0 and steps[2, END]["share_b"] == pytest.approx(1 / 3)
    assert steps[1, "view"]["difference"] == 0.0 and steps[1, "view"]["method"] == "fisher"
    assert all(r["q"] >= r["p"] for r in steps.values())


def test_two_periods(engine_for):
    # every unit starts on 2 March 2026: the same units in both periods; none in February
    engine = engine_for(rows())
    result = compute_transitions(engine, compare=(("first", "2026-03-02..2026-03-02"),
                                                  ("first", "2026-03-01..2026-03-03")))
    assert {r["difference"] for r in result.compare.to_pylist()} == {0.0}
    assert {r["difference"] for r in result.compare_steps.to_pylist()} == {0.0}
    assert sum(r["moves_a"] for r in result.compare.to_pylist() if r["from"] == START) == 5
    with pytest.raises(DefinitionError, match="first=2026-02-01"):
        compute_transitions(engine, compare=(("first", "2026-03-02..2026-03-02"), ("first", "2026-02-01..2026-02-28")))


@pytest.mark.parametrize("text", ["channel", "=x", "first=2026-06-01", "first=2026-06-02..2026-06-01"])
def test_bad_segment(text):
    with pytest.raises(DefinitionError):
        parse_segment(text)


def test_the_demo_loop_is_in_the_top_three():
    result = compute_transitions(DuckDBEngine.from_events(demo.generate().events), top=3)
    top = [(r["from"], r["to"]) for r in result.loops.to_pylist()]
    assert (demo.LOOP.again[0], demo.LOOP.back[0]) in top  # trial → site_visit
