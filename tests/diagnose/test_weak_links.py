"""Weak links on hand-made funnels: a planted weak segment is flagged, a neutral one is not;
the cost and the rank worked out by hand. Engine-side parts run on every backend."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from tests.backends import engine_for as duckdb_engine
from tests.backends import event
from voronka.stats import benjamini_hochberg, proportion_test
from voronka.diagnose.weak_links import Revenue, counts, revenue_per_buyer, transitions, weak_links
from voronka.errors import DefinitionError
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel

# channel: (visitors, signed up, bought); every purchase 1000 KZT
PLANTED = {"a": (40, 4, 2), "b": (40, 20, 10), "c": (40, 20, 10), "d": (40, 14, 7)}


def rows(planted=PLANTED):
    out = []
    for channel, (visits, signups, buys) in planted.items():
        for i in range(visits):
            c = f"{channel}{i:02d}"
            out.append(event(c, i, "visit", channel=channel))
            if i < signups:
                out.append(event(c, i + 1, "signup", channel=channel))
            if i < buys:
                out.append(event(c, i + 2, "buy", channel=channel, revenue=1000, currency="KZT"))
    return out


FUNNEL = {"steps": ["visit", "signup", "buy"], "breakdown": "channel"}


def test_planted_weak_segment_is_flagged_and_costed(engine_for):
    engine = engine_for(rows())
    definition = build_funnel(FUNNEL)
    revenue = revenue_per_buyer(engine, definition)
    assert revenue == Revenue(1000.0, "KZT")  # the value step: the last ("buy" names no purchase event)
    links = weak_links(compute_funnel(engine, definition), revenue=revenue)
    cells = {(r["segment"], r["transition"]): r for r in links.cells.to_pylist()}

    a = cells["a", 1]
    assert (a["trials"], a["successes"], a["rate"]) == (40, 4, 0.1)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(proportion_confint(4, 40, method="wilson"))
    assert a["reference_rate"] == pytest.approx(54 / 120)  # b, c, d pooled
    assert a["flagged"] and a["rank"] == 1
    assert a["customers_lost"] == pytest.approx(40 * (54 / 120 - 0.1))  # 14
    assert a["buyers_lost"] == pytest.approx(14 * 29 / 58)  # × signup → buy overall (0.5) = 7
    assert a["value_lost"] == pytest.approx(7000)
    # d converts 14/40 = 0.35 against 44/120 = 0.367: neutral, not flagged; b and c better, not flagged
    assert not cells["d", 1]["flagged"] and cells["d", 1]["q"] > 0.5
    assert not cells["b", 1]["flagged"] and not cells["c", 1]["flagged"]
    # signup → buy is 50 % everywhere: nothing flagged there
    assert not any(cells[s, 2]["flagged"] for s in PLANTED)
    assert cells["a", 2]["method"] == "fisher"  # 4 trials: expected counts below 5
    assert [r["segment"] for r in links.flagged()] == ["a"]


def test_q_values_are_bh_over_every_test():
    links = weak_links(compute_funnel(duckdb_engine(rows()), build_funnel(FUNNEL)))
    table = links.cells.to_pylist()
    tested = [r for r in table if r["p"] is not None]
    assert [r["q"] for r in tested] == pytest.approx(benjamini_hochberg([r["p"] for r in tested]))
    # the overall rows: visit → signup 58/160 against its one neighbour signup → buy 29/58
    first = table[0]
    assert first["segment"] is None and (first["trials"], first["successes"]) == (160, 58)
    assert first["p"] == pytest.approx(proportion_test(58, 160, 29, 58).p)
    assert first["reference_rate"] == pytest.approx(0.5)


def test_a_transition_worse_than_both_neighbours_is_flagged():
    # 100 → 90 → 20 → 18: the middle transition (20/90) is below both 0.9 neighbours
    planted = []
    for i in range(100):
        c = f"u{i:03d}"
        planted.append(event(c, 0, "s1"))
        planted += [event(c, 1, "s2")] if i < 90 else []
        planted += [event(c, 2, "s3")] if i < 20 else []
        planted += [event(c, 3, "s4")] if i < 18 else []
    links = weak_links(compute_funnel(duckdb_engine(planted), build_funnel({"steps": ["s1", "s2", "s3", "s4"]})))
    rows_ = links.cells.to_pylist()
    assert [r["flagged"] for r in rows_] == [False, True, False]
    middle = rows_[1]
    assert middle["reference_rate"] == pytest.approx(0.9)  # the lower neighbour: both are 0.9
    assert middle["customers_lost"] == pytest.approx(90 * (0.9 - 20 / 90))  # 61
    assert middle["buyers_lost"] == pytest.approx(61 * 0.9)  # onward: s3 → s4
    assert middle["value_lost"] is None  # no revenue per buyer given


def test_no_window_rates_equal_the_funnel_conversion():
    result = compute_funnel(duckdb_engine(rows()), build_funnel(FUNNEL))
    by_segment = counts(result)
    for r in result.steps.to_pylist():
        if r["step"] > 1:
            trials, successes = by_segment[r["breakdown"]][r["step"] - 2]
            assert successes / trials == pytest.approx(r["conversion_from_previous"])


def test_only_settled_units_count_with_a_window():
    # x entered 10 days before as_of and converted; y entered 1 day before and did not (yet)
    data = [event("x", 0, "visit"), event("x", 60, "signup"), event("y", 9 * 1440, "visit"),
            event("z", 10 * 1440, "other")]
    result = compute_funnel(duckdb_engine(data), build_funnel({"steps": ["visit", "signup"], "window": "7d"}))
    assert counts(result)[None] == [(1, 1)]  # y's window is still open: not settled
    result = compute_funnel(duckdb_engine(data), build_funnel({"steps": ["visit", "signup"]}))
    assert counts(result)[None] == [(2, 1)]


def test_optional_steps_are_skipped():
    definition = build_funnel({"steps": ["a", {"key": "b", "events": ["b"], "optional": True}, "c"]})
    assert [(t.from_key, t.to_key) for t in transitions(definition)] == [("a", "c")]


def test_all_steps_breakdown_is_refused():
    definition = build_funnel({**FUNNEL, "breakdown": {"field": "channel", "attribution": "all_steps"}})
    with pytest.raises(DefinitionError, match="all_steps"):
        weak_links(compute_funnel(duckdb_engine(rows()), definition))


def test_revenue_in_two_currencies_needs_a_check():
    data = rows() + [event("e0", 0, "visit"), event("e0", 5, "buy", revenue=10, currency="USD")]
    with pytest.raises(DefinitionError, match="several currencies"):
        revenue_per_buyer(duckdb_engine(data), build_funnel(FUNNEL))
    assert revenue_per_buyer(duckdb_engine([event("q", 0, "visit")]), build_funnel(FUNNEL)) == Revenue(None)


def test_value_step_by_key_number_and_purchase_default():
    definition = build_funnel({"steps": ["visit", "purchase", "refer"]})
    from voronka.diagnose.weak_links import value_step_index

    assert value_step_index(definition) == 1
    assert value_step_index(definition, "refer") == 2 and value_step_index(definition, 1) == 0
    with pytest.raises(DefinitionError, match="no step"):
        value_step_index(definition, "nope")


def test_dates_do_not_matter_to_a_weak_link():
    # the same cells with a date range covering every entry
    definition = build_funnel({**FUNNEL, "date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 3)})
    links = weak_links(compute_funnel(duckdb_engine(rows()), definition))
    assert [r["segment"] for r in links.flagged()] == ["a"]


def test_cohort_periods_are_segments():
    # week of 2 March: 10 visit, 8 sign up; week of 9 March: 10 visit, 1 signs up
    data = []
    for week, signups in ((0, 8), (7, 1)):
        for i in range(10):
            c = f"w{week}-{i}"
            data += [event(c, week * 1440 + i, "visit")] + ([event(c, week * 1440 + i + 1, "signup")] if i < signups else [])
    links = weak_links(compute_funnel(duckdb_engine(data), build_funnel({"steps": ["visit", "signup"], "cohort": "week"})))
    cells = {r["segment"]: r for r in links.cells.to_pylist()}
    assert links.breakdown == "period"
    assert (cells["2026-03-02"]["trials"], cells["2026-03-02"]["successes"]) == (10, 8)
    assert (cells["2026-03-09"]["trials"], cells["2026-03-09"]["successes"]) == (10, 1)
    assert cells["2026-03-09"]["method"] == "fisher" and cells["2026-03-09"]["reference_rate"] == 0.8
    assert (cells[None]["trials"], cells[None]["successes"]) == (20, 9)


def test_measured_rates_for_the_plan():
    from voronka.diagnose import measured_rates

    result = compute_funnel(duckdb_engine(rows()), build_funnel(FUNNEL))
    measured = measured_rates(result)
    assert (measured.entrants, measured.stages, measured.value_stage) == (160, ["visit", "signup", "buy"], 3)
    assert measured.rates == pytest.approx([58 / 160, 29 / 58])
    assert measured_rates(result, "signup").up_to_value() == ([pytest.approx(58 / 160)], ["visit", "signup"])
    with pytest.raises(DefinitionError, match="no customers"):
        measured_rates(compute_funnel(duckdb_engine([event("x", 0, "visit")]), build_funnel(FUNNEL)))


def test_a_property_such_as_the_manager_is_a_segment():
    data = []
    for manager, deals in (("aigerim", 15), ("boris", 14), ("dana", 2)):
        for i in range(20):
            c = f"{manager}{i}"
            data.append(event(c, i, "lead", properties={"manager": manager}))
            if i < deals:
                data.append(event(c, i + 1, "deal", properties={"manager": manager}))
    links = weak_links(compute_funnel(duckdb_engine(data), build_funnel({"steps": ["lead", "deal"], "breakdown": "manager"})))
    assert links.breakdown == "manager"
    assert [(r["segment"], r["successes"], r["trials"]) for r in links.flagged()] == [("dana", 2, 20)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=5))
def test_weak_links_invariants(planted):
    """On random funnels: segments add up to the whole, flags follow q and the reference,
    ranks run 1..k by buyers lost, and nothing lost is negative."""
    planted = {chr(97 + i): (v, min(s, v), min(b, s, v)) for i, (v, s, b) in enumerate(planted)}
    links = weak_links(compute_funnel(duckdb_engine(rows(planted)), build_funnel(FUNNEL)), alpha=0.1)
    cells = links.cells.to_pylist()
    for number in (1, 2):
        mine = [r for r in cells if r["transition"] == number]
        total = next(r for r in mine if r["segment"] is None)
        assert total["trials"] == sum(r["trials"] for r in mine if r["segment"] is not None)
        assert total["successes"] == sum(r["successes"] for r in mine if r["segment"] is not None)
    for r in cells:
        assert r["customers_lost"] >= 0 and r["buyers_lost"] >= 0
        if r["flagged"]:
            assert r["q"] <= 0.1 and r["rate"] < r["reference_rate"] and r["p"] <= r["q"]
        else:
            assert r["rank"] is None and r["customers_lost"] == 0
    ranked = links.flagged()
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(a["buyers_lost"] >= b["buyers_lost"] for a, b in pairwise(ranked))
