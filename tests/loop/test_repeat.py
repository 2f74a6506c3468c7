"""Repeat-purchase rate, purchase-count distribution and gaps: hand-made answers."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import engine_for, event
from tests.loop import oracle
from voronka.loop.repeat import median_of_counts, percentile_of_counts, repeat_purchases

D = 24 * 60


def rows():
    return [
        event("a", 0, "purchase"), event("a", 7 * D, "purchase"), event("a", 21 * D, "purchase"),  # gaps 7, 14
        event("b", 0, "purchase"),
        event("c", 3 * D, "purchase"), event("c", 3 * D + 30, "purchase"),  # one day: one occasion
        event("d", D, "purchase"), event("d", 2 * D, "purchase"),            # gap 1
        event("e", 0, "site_visit"),                                         # not a buyer
    ]


def test_repeat_rate_counts_and_gaps(engine_for):
    result = repeat_purchases(engine_for(rows()))
    assert result.summary.to_pylist() == [{
        "customers": 4, "repeat_customers": 2, "repeat_rate": 0.5, "occasions": 7, "occasions_per_customer": 1.75,
        "gaps": 3, "median_gap_days": 7.0, "mean_gap_days": pytest.approx(22 / 3),
    }]
    assert result.counts.to_pylist() == [
        {"occasions": 1, "customers": 2, "share": 0.5}, {"occasions": 2, "customers": 1, "share": 0.25},
        {"occasions": 3, "customers": 1, "share": 0.25}]
    assert [(r["gap_days"], r["gaps"]) for r in result.gaps.to_pylist()] == [(1, 1), (7, 1), (14, 1)]


def test_as_of_cuts_later_purchases(engine_on):
    result = repeat_purchases(engine_on(rows()), as_of=dt.datetime(2026, 3, 5))
    assert result.summary.column("repeat_customers")[0].as_py() == 1  # only d; a's 2nd is on Mar 9
    assert result.summary.column("median_gap_days")[0].as_py() == 1.0


def test_no_purchases_gives_empty_answers(engine_on):
    result = repeat_purchases(engine_on([event("e", 0, "site_visit")]))
    assert result.summary.to_pylist()[0]["customers"] == 0
    assert result.summary.to_pylist()[0]["repeat_rate"] is None
    assert result.counts.num_rows == 0 and result.gaps.num_rows == 0


@given(st.dictionaries(st.integers(1, 60), st.integers(1, 5), min_size=1))
def test_median_and_percentile_of_counts_match_the_expanded_list(counts):
    values = sorted(v for v, c in counts.items() for _ in range(c))
    assert median_of_counts(counts) == statistics.median(values)
    for p in (1, 50, 57, 70, 90, 100):
        rank = -(-p * len(values) // 100)  # ceil
        assert percentile_of_counts(counts, p) == values[max(rank, 1) - 1]


def test_percentile_rank_is_not_thrown_off_by_float_rounding():
    # 70 % of 10 values is rank 7 exactly (0.7 * 10 would be 7.000000000000001, rank 8)
    assert percentile_of_counts({v: 1 for v in range(1, 11)}, 70) == 7


purchases = st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 90 * 24)), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None)
@given(purchases)
def test_engine_agrees_with_the_oracle(hours):
    rows = [event(c, h * 60, "purchase", event_id=f"{i}") for i, (c, h) in enumerate(hours)]
    result = repeat_purchases(engine_for(rows), timezone="Asia/Almaty").summary.to_pylist()[0]
    days = oracle.occasion_days([(c, oracle.local_day(r["ts"], "Asia/Almaty"), 0.0)
                                 for r, (c, _) in zip(rows, hours)])
    assert result["repeat_rate"] == pytest.approx(oracle.repeat_rate(days))
    gaps = oracle.gaps(days)
    assert result["gaps"] == len(gaps)
    assert result["median_gap_days"] == (statistics.median(gaps) if gaps else None)
