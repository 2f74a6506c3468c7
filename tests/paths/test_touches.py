"""Touches before conversion (docs/paths.md, "Touches"): hand-made cases on every backend,
an oracle on random logs, and the demo's planted touch-count effect."""

from __future__ import annotations

import pytest

from tests.backends import at, event
from tests.backends import engine_for as make_engine
from voronka import demo
from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import DefinitionError
from voronka.rules import StepRule
from voronka.touches import compute_touches, parse_rule

DAY = 24 * 60


def rows():
    return [
        # a: 3 touches on 2 channels, then buys; identify has no channel; the last ad is after buying
        event("a", 0, "ad_view", channel="tv"), event("a", 10, "content_view", channel="tv"),
        event("a", 20, "site_visit", channel="digital"), event("a", 25, "identify"),
        event("a", 30, "purchase", channel="digital"), event("a", 40, "ad_view", channel="tv"),
        # b: 2 touches, 2 channels, never buys
        event("b", 0, "ad_view", channel="tv"), event("b", 5, "ad_view", channel="radio"),
        # c: a touch 40 days before buying (outside 30d) and one inside
        event("c", 0, "ad_view", channel="tv"), event("c", 40 * DAY, "site_visit", channel="digital"),
        event("c", 40 * DAY + 10, "purchase"),
        # d: buys with no touch before; e: only events without a channel
        event("d", 100, "purchase", channel="pos"), event("e", 0, "site_visit"),
        # f: a touch and the purchase at the same time (ordered by event_id), then another
        event("f", 50, "ad_view", "f1", channel="tv"), event("f", 50, "purchase", "f2", channel="tv"),
        event("f", 50, "content_view", "f3", channel="tv"),
    ]


def by_label(table):
    return {r["label"]: (r["customers"], r["converted"]) for r in table.to_pylist()}


def test_touches_worked_by_hand(engine_for):
    result = compute_touches(engine_for(rows()))
    assert by_label(result.by_touches) == {"0": (2, 1), "1": (2, 2), "2": (1, 0), "3": (1, 1)}
    first = result.by_touches.to_pylist()
    assert [r["conversion_rate"] for r in first] == [0.5, 1.0, 0.0, 1.0]
    assert [r["share_of_converted"] for r in first] == [0.25, 0.5, 0.0, 0.25]
    assert [r["share_of_not_converted"] for r in first] == [0.5, 0.0, 0.5, 0.0]
    # distinct channels: a 2, b 2, c 1, d 0, e 0, f 1
    assert by_label(result.by_channels) == {"0": (2, 1), "1": (2, 2), "2": (2, 1)}
    summary = {r["converted"]: r for r in result.summary.to_pylist()}
    assert summary[True]["customers"] == 4 and summary[True]["mean_touches"] == pytest.approx(1.25)
    assert summary[True]["median_touches"] == 1.0 and summary[True]["mean_channels"] == pytest.approx(1.0)
    assert summary[False]["customers"] == 2 and summary[False]["mean_touches"] == pytest.approx(1.0)


def test_lookback_cap_among_and_as_of():
    engine = make_engine(rows())
    assert by_label(compute_touches(engine, lookback=None).by_touches)["2"] == (2, 1)  # c now has 2
    assert by_label(compute_touches(engine, cap=2).by_touches) == {"0": (2, 1), "1": (2, 2), "2+": (2, 1)}
    # among customers with a site visit before converting (or ever): a, c, e
    assert by_label(compute_touches(engine, among="site_visit").by_touches) == {"0": (1, 0), "1": (1, 1), "3": (1, 1)}
    # as of minute 30: a's purchase counts (it is at as_of); c has only its first ad (not
    # converted); d and f are not there yet; e has no touch
    early = compute_touches(engine, as_of=at(30))
    assert by_label(early.by_touches) == {"0": (1, 0), "1": (1, 0), "2": (1, 0), "3": (1, 1)}


def test_conversion_can_be_any_rule_or_stage():
    engine = make_engine(rows())
    # converting = a site visit: a has 2 touches before it; c none within 30 days; e none.
    # Not converted: b 2 touches, d 1 (its purchase is a touch), f 3
    visits = by_label(compute_touches(engine, conversion="site_visit").by_touches)
    assert visits == {"0": (2, 2), "1": (1, 0), "2": (2, 1), "3": (1, 0)}
    repeat = make_engine([event("h", 0, "purchase", channel="pos"), event("h", 10, "ad_view", channel="tv"),
                          event("h", 20, "purchase", channel="pos")])
    result = compute_touches(repeat, conversion="channel_funnel:post_purchase")
    assert by_label(result.by_touches) == {"2": (1, 1)}  # the first purchase is a touch of the second


def test_rule_errors():
    with pytest.raises(DefinitionError, match="referral rule"):
        compute_touches(make_engine(rows()), conversion="channel_funnel:advocacy")
    with pytest.raises(DefinitionError, match="no stage 'nope'"):
        parse_rule("hourglass:nope", StepRule(events=("purchase",)))
    with pytest.raises(DefinitionError, match="lookback"):
        compute_touches(make_engine(rows()), lookback="0d")
    with pytest.raises(DefinitionError, match="field 'lookback': not a duration"):
        compute_touches(make_engine(rows()), lookback="30days")
    with pytest.raises(DefinitionError, match="field 'among': no stage 'nope'"):
        compute_touches(make_engine(rows()), among="hourglass:nope")
    assert parse_rule("trial|purchase", StepRule(events=("x",))).events == ("trial", "purchase")


def test_demo_five_to_seven_touches_convert_best():
    """docs/demo.md effect 3: after a trial, 4 touches buy at half the rate of 5–7, and
    8 or more at 0.85 of it."""
    data = demo.generate(20_000, seed=7)
    result = compute_touches(DuckDBEngine.from_events(data.events), among="trial", lookback=None)
    counts = {r["bucket"]: (r["customers"], r["converted"]) for r in result.by_touches.to_pylist()}

    def rate(buckets):
        n = sum(counts[b][0] for b in buckets)
        return sum(counts[b][1] for b in buckets) / n

    four, five_to_seven, eight_plus = rate([4]), rate([5, 6, 7]), rate([8, 9, 10])
    assert four < 0.6 * five_to_seven
    assert four < eight_plus < five_to_seven
    assert eight_plus / five_to_seven == pytest.approx(0.85, abs=0.07)
