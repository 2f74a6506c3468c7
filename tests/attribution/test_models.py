"""Every model on hand-made paths with the credit worked out by hand, and the properties
every model must keep (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voronka.attribution import AttributionSettings, ConversionPath, attribute, markov, shapley
from voronka.attribution.compute import MODELS, comparison, parse_models
from voronka.attribution.heuristic import (
    distinct_linear,
    first_touch,
    last_non_direct,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from voronka.attribution.markov import states_of
from voronka.errors import DefinitionError

DAY = 86_400.0
PATHS = [
    ConversionPath(("tv", "direct", "email", "direct"), 1, 100, ages=(14 * DAY, 7 * DAY, 7 * DAY, 0)),
    ConversionPath(("email",), 1, 50, ages=(0,)),
    ConversionPath(("tv", "email"), 1, 30, ages=(DAY, 0)),
    ConversionPath(("tv",), nulls=1, ages=(0,)),
]


def approx(credit, conversions, value):
    assert credit.conversions == pytest.approx(conversions)
    assert credit.value == pytest.approx(value)


def test_first_last_and_last_non_direct():
    approx(first_touch(PATHS), {"tv": 2, "direct": 0, "email": 1}, {"tv": 130, "direct": 0, "email": 50})
    approx(last_touch(PATHS), {"tv": 0, "direct": 1, "email": 2}, {"tv": 0, "direct": 100, "email": 80})
    # path 1 ends on direct: its last non-direct touch is email
    approx(last_non_direct(PATHS), {"tv": 0, "direct": 0, "email": 3}, {"tv": 0, "direct": 0, "email": 180})
    only_direct = [ConversionPath(("direct", "direct"), 1, 10)]
    approx(last_non_direct(only_direct), {"direct": 1}, {"direct": 10})
    approx(last_non_direct(PATHS, direct=()), {"tv": 0, "direct": 1, "email": 2}, {"tv": 0, "direct": 100, "email": 80})


def test_linear_is_per_touch():
    # path 1: 1/4 per touch, direct touched twice gets 1/2
    approx(linear(PATHS), {"tv": 0.25 + 0.5, "direct": 0.5, "email": 0.25 + 1 + 0.5},
           {"tv": 25 + 15, "direct": 50, "email": 25 + 50 + 15})


def test_time_decay():
    # half-life 7 days: path 1 weights 0.5^2, 0.5, 0.5, 1 (sum 2.25); path 3: 0.5^(1/7), 1
    w = 0.5 ** (1 / 7)
    tv = 0.25 / 2.25 + w / (1 + w)
    email = 0.5 / 2.25 + 1 + 1 / (1 + w)
    direct = 1.5 / 2.25
    approx(time_decay(PATHS), {"tv": tv, "direct": direct, "email": email},
           {"tv": 100 * 0.25 / 2.25 + 30 * w / (1 + w), "direct": 100 * direct,
            "email": 100 * 0.5 / 2.25 + 50 + 30 / (1 + w)})
    # a half-life of one day: path 3 gives tv 0.5/1.5
    assert time_decay([PATHS[2]], DAY).conversions["tv"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="age"):
        time_decay([ConversionPath(("tv",), 1)])


def test_position_based():
    # path 1 (4 touches): 0.4, 0.1, 0.1, 0.4; path 2: 1; path 3 (2 touches): 0.5, 0.5
    approx(position_based(PATHS), {"tv": 0.4 + 0.5, "direct": 0.1 + 0.4, "email": 0.1 + 1 + 0.5},
           {"tv": 40 + 15, "direct": 10 + 40, "email": 10 + 50 + 15})
    # 30/30: the middle 40% over two middle touches; two touches 50/50
    c = position_based([PATHS[0], PATHS[2]], first=0.3, last=0.3).conversions
    assert c == pytest.approx({"tv": 0.3 + 0.5, "direct": 0.2 + 0.3, "email": 0.2 + 0.5})
    # 60/20: two touches split 3:1
    assert position_based([PATHS[2]], 0.6, 0.2).conversions == pytest.approx({"tv": 0.75, "email": 0.25})
    with pytest.raises(DefinitionError):
        position_based(PATHS, 0.7, 0.5)


def test_markov_order_1_by_hand():
    # start→a 2/3, start→b 1/3; a→b 1/2, a→null 1/2; b→conversion 1.  P(conv) = 2/3.
    # without a: 1/3 → RE(a) = 1/2; without b: 0 → RE(b) = 1.  Credit of 2 conversions: 2/3, 4/3.
    paths = [ConversionPath(("a", "b"), 1, 30), ConversionPath(("a",), nulls=1), ConversionPath(("b",), 1, 10)]
    result = markov(paths)
    assert result.removal_effects == pytest.approx({"a": 0.5, "b": 1.0})
    approx(result.credit, {"a": 2 / 3, "b": 4 / 3}, {"a": 40 / 3, "b": 80 / 3})
    matrix = {(r["from"], r["to"]): r["probability"] for r in result.chain.transition_matrix().to_pylist()}
    assert matrix == pytest.approx({("(start)", "a"): 2 / 3, ("(start)", "b"): 1 / 3, ("a", "b"): 0.5,
                                    ("a", "(null)"): 0.5, ("b", "(conversion)"): 1.0})
    # without the non-converting path a always leads to b
    no_nulls = markov(paths, include_nulls=False).chain.transition_matrix().to_pylist()
    assert {(r["from"], r["to"]): r["probability"] for r in no_nulls}[("a", "b")] == 1.0


def test_markov_revenue_follows_the_last_state():
    # a ends paths worth 100, b ends paths worth 10 per conversion; with b removed only (a) converts
    paths = [ConversionPath(("a",), 1, 100), ConversionPath(("b", "a"), 1, 100), ConversionPath(("a", "b"), 1, 10), ConversionPath(("b",), nulls=1)]
    result = markov(paths)
    # start→a 1/2, start→b 1/2; a→conv 2/3, a→b 1/3; b→a 1/3, b→conv 1/3, b→null 1/3.
    # visits: x_a = 1/2 + x_b/3, x_b = 1/2 + x_a/3 → both 3/4; P = 3/4·2/3 + 3/4·1/3 = 3/4
    # revenue per conversion ending at a: 100, at b: 10 → E = 3/4·2/3·100 + 3/4·1/3·10 = 52.5
    # without a: x_b = 1/2, P = 1/6, E = 10/6;  without b: x_a = 1/2, P = 1/3, E = 100/3
    assert result.removal_effects == pytest.approx({"a": 1 - (1 / 6) / (3 / 4), "b": 1 - (1 / 3) / (3 / 4)})
    assert result.value_removal_effects == pytest.approx({"a": 1 - (10 / 6) / 52.5, "b": 1 - (100 / 3) / 52.5})
    ra, rb = 1 - (10 / 6) / 52.5, 1 - (100 / 3) / 52.5
    assert result.credit.value == pytest.approx({"a": ra / (ra + rb) * 210, "b": rb / (ra + rb) * 210})


def test_markov_states_of_higher_orders():
    assert states_of(("a", "a", "b"), 1) == [("a",), ("b",)]
    assert states_of(("a", "a", "a", "b", "a"), 2) == [("a", "a"), ("a", "b"), ("b", "a")]
    assert states_of(("a", "b"), 3) == [("a", "b")]
    assert states_of(("a", "b", "c", "d"), 3) == [("a", "b", "c"), ("b", "c", "d")]
    # order 2: (a,b)→(b,a)→conversion and (a,a)→(a,b)→null: (a,b) converts half the time
    result = markov([ConversionPath(("a", "b", "a"), 1), ConversionPath(("a", "a", "b"), nulls=1)], order=2)
    matrix = {(r["from"], r["to"]): r["probability"] for r in result.chain.transition_matrix().to_pylist()}
    assert matrix[("a > b", "b > a")] == 0.5 and matrix[("a > b", "(null)")] == 0.5
    assert result.credit.conversions == pytest.approx({"a": 0.5, "b": 0.5})
    with pytest.raises(DefinitionError, match="order"):
        markov(PATHS, order=5)


def test_shapley_by_hand():
    # v({a}) = 1, v({b}) = 0, v({c}) = 0, v({a,b}) = 2, v({b,c}) = 2, v({a,c}) = 1, v(all) = 4
    # φa = (1/3)(1) + (1/6)(2) + (1/6)(1) + (1/3)(4 − 2) = 1.5;  φb = 1.5;  φc = 1
    paths = [ConversionPath(("a",), 1, 1), ConversionPath(("a", "b", "a"), 1, 2), ConversionPath(("b", "c"), 2, 4)]
    approx(shapley(paths), {"a": 1.5, "b": 1.5, "c": 1.0}, {"a": 2.0, "b": 3.0, "c": 2.0})
    sampled = shapley(paths, exact_up_to=0, samples=4000, seed=3)
    assert sampled.conversions == pytest.approx({"a": 1.5, "b": 1.5, "c": 1.0}, abs=0.05)
    assert shapley(paths, exact_up_to=0, samples=50, seed=3) == shapley(paths, exact_up_to=0, samples=50, seed=3)


def test_attribute_puts_untouched_conversions_apart_and_checks_models():
    paths = PATHS + [ConversionPath((), 2, 40)]
    table, details = attribute(paths, AttributionSettings(models=("linear", "markov")))
    for model in ("linear", "markov"):
        rows = [r for r in table.to_pylist() if r["model"] == model]
        assert sum(r["conversions"] for r in rows) == pytest.approx(5)
        assert sum(r["revenue"] for r in rows) == pytest.approx(220)
        assert next(r for r in rows if r["channel"] == "(no touch)")["conversion_share"] == pytest.approx(0.4)
    assert details is not None
    wide = comparison(table)
    assert wide.column_names == ["channel", "linear", "markov"] and wide.column("channel")[-1].as_py() == "(no touch)"
    shares = comparison(table, "revenue_share")
    assert shares.column_names == ["channel", "currency", "linear", "markov"]
    assert sum(shares.column("markov").to_pylist()) == pytest.approx(1.0)
    with pytest.raises(DefinitionError, match="value 'cost'"):
        comparison(table, "cost")
    assert parse_models("all") == MODELS and parse_models("markov, linear") == ("markov", "linear")
    with pytest.raises(DefinitionError, match="unknown model"):
        parse_models("first,linear")


def test_revenue_in_two_currencies_is_never_added():
    paths = [ConversionPath(("tv",), 1, 100, currency="KZT"), ConversionPath(("tv", "radio"), 1, 10, currency="USD")]
    table, _ = attribute(paths, AttributionSettings(models=("linear",)))
    revenue = {(r["channel"], r["currency"]): r["revenue"] for r in table.to_pylist()}
    assert revenue == pytest.approx({("tv", "KZT"): 100, ("radio", "KZT"): 0, ("tv", "USD"): 5, ("radio", "USD"): 5})


# -- properties -----------------------------------------------------------------------

channels = st.sampled_from(["tv", "radio", "direct", "email", "ooh"])
path_strategy = st.builds(
    lambda cs, conv, value, nulls, ages: ConversionPath(tuple(cs), conv, value if conv else 0.0, nulls,
                                              ages=tuple(ages[: len(cs)]) + (0.0,) * (len(cs) - len(ages))),
    st.lists(channels, min_size=1, max_size=6), st.integers(0, 3),
    st.floats(0, 1000, allow_nan=False), st.integers(0, 3), st.lists(st.floats(0, 60 * DAY), max_size=6))


@settings(max_examples=60, deadline=None)
@given(st.lists(path_strategy, min_size=1, max_size=12))
def test_every_model_credits_the_total(paths):
    conversions = sum(p.conversions for p in paths)
    value = sum(p.value for p in paths)
    table, _ = attribute(paths, AttributionSettings(order=2))
    for model in MODELS:
        rows = [r for r in table.to_pylist() if r["model"] == model]
        assert all(r["conversions"] >= -1e-9 and r["revenue"] >= -1e-9 for r in rows)
        assert sum(r["conversions"] for r in rows) == pytest.approx(conversions, abs=1e-6)
        assert sum(r["revenue"] for r in rows) == pytest.approx(value, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(path_strategy, min_size=1, max_size=12))
def test_shapley_of_the_subset_game_is_the_distinct_channel_split(paths):
    """v(S) = conversions of the paths whose distinct channels lie in S is the sum of one
    unanimity game per path, so the exact Shapley value (by enumeration) is each path's
    conversions split equally among its distinct channels."""
    exact = shapley(paths)
    closed = distinct_linear(paths)
    for c in set(exact.conversions) | set(closed.conversions):
        assert exact.conversions.get(c, 0.0) == pytest.approx(closed.conversions.get(c, 0.0), abs=1e-6)
        assert exact.value.get(c, 0.0) == pytest.approx(closed.value.get(c, 0.0), abs=1e-6)
