"""RFM: rank-based quintile scores (ties share a score), the R×F segment map, sizes, export."""

from __future__ import annotations

import itertools

import pytest

from tests.backends import engine_for, event
from voronka.errors import DefinitionError
from voronka.loop.rfm import SEGMENTS, rfm, segment_case_sql, segment_of

D = 24 * 60


def ten():
    """a…j buy once on days 0…9 for 100, 200, … 1,000 KZT; as_of is day 11."""
    rows = [event(c, i * D, "purchase", revenue=100 * (i + 1), currency="KZT") for i, c in enumerate("abcdefghij")]
    return rows + [event("a", 11 * D, "ad_view")]


def test_scores_and_segments_worked_by_hand(engine_for):
    result = rfm(engine_for(ten()), lang="ru")
    got = {r["customer_id"]: (r["recency_days"], r["r"], r["f"], r["m"], r["segment"])
           for r in result.customers.to_pylist()}
    assert got == {
        "a": (11, 1, 1, 1, "lost"), "b": (10, 1, 1, 1, "lost"),
        "c": (9, 2, 1, 2, "hibernating"), "d": (8, 2, 1, 2, "hibernating"),
        "e": (7, 3, 1, 3, "about_to_sleep"), "f": (6, 3, 1, 3, "about_to_sleep"),
        "g": (5, 4, 1, 4, "promising"), "h": (4, 4, 1, 4, "promising"),
        "i": (3, 5, 1, 5, "new"), "j": (2, 5, 1, 5, "new"),
    }
    sizes = {r["segment"]: (r["customers"], r["revenue"], r["label"]) for r in result.segments.to_pylist()}
    assert list(sizes) == list(SEGMENTS)
    assert sizes["new"] == (2, 1900.0, "Новые клиенты")
    assert sizes["champions"] == (0, 0.0, "Чемпионы")
    assert sum(r["revenue_share"] for r in result.segments.to_pylist()) == pytest.approx(1.0)


def test_ties_share_the_lowest_rank(engine_on):
    # eight buy once, two (i, j) twice: F = 1 for the eight, 1 + floor(5 × 8 / 10) = 5 for i and j
    rows = ten() + [event(c, 10 * D, "purchase", revenue=1, currency="KZT") for c in "ij"]
    result = rfm(engine_on(rows))
    f = {r["customer_id"]: r["f"] for r in result.customers.to_pylist()}
    assert f == {**dict.fromkeys("abcdefgh", 1), "i": 5, "j": 5}
    r = {row["customer_id"]: row["r"] for row in result.customers.to_pylist()}
    assert r["i"] == r["j"] == 5  # tied recency (both last bought on day 10): one score
    assert {row["segment"] for row in result.customers.to_pylist() if row["customer_id"] in "ij"} == {"champions"}


def test_every_cell_of_the_grid_has_exactly_one_segment(engine_on):
    for r, f in itertools.product(range(1, 6), repeat=2):
        assert sum(r in rs and f in fs for rs, fs in SEGMENTS.values()) == 1, (r, f)
    engine = engine_on([event("x", 0, "purchase")])
    cells = ", ".join(f"({r}, {f})" for r, f in itertools.product(range(1, 6), repeat=2))
    got = engine.query(f"SELECT r, f, {segment_case_sql()} AS s FROM (SELECT r, f FROM (VALUES {cells}) AS v(r, f)) AS g")
    assert {(x["r"], x["f"]): x["s"] for x in got.to_pylist()} == {
        (r, f): segment_of(r, f) for r, f in itertools.product(range(1, 6), repeat=2)}


def test_one_segment_is_exported(engine_on):
    result = rfm(engine_on(ten()), segment="lost")
    assert result.customers.column("customer_id").to_pylist() == ["a", "b"]
    assert result.segments.num_rows == len(SEGMENTS)  # sizes stay complete
    with pytest.raises(DefinitionError, match="no RFM segment 'vip'"):
        rfm(engine_on(ten()), segment="vip")


def test_several_currencies_need_a_choice():
    rows = ten() + [event("k", 0, "purchase", revenue=5, currency="USD")]
    with pytest.raises(DefinitionError, match="several currencies"):
        rfm(engine_for(rows))
    assert rfm(engine_for(rows), currency="USD").customers.column("customer_id").to_pylist() == ["k"]


def test_compute_loop_values_rfm_in_the_currency_of_the_data():
    from voronka.loop import compute_loop

    rows = [event("a", 0, "purchase", revenue=10, currency="USD"), event("b", D, "purchase", revenue=5, currency="USD")]
    results = compute_loop(engine_for(rows))
    assert results.currency == "USD"
    assert sum(results.rfm.segments.column("revenue").to_pylist()) == 15.0
    with pytest.raises(DefinitionError, match="several currencies"):
        compute_loop(engine_for(rows + [event("c", 0, "purchase", revenue=1, currency="KZT")]))
