"""Paths (docs/paths.md, "Paths"): hand-made paths on every backend, cleaning options,
steps around an event, the Sankey data and figure, and an oracle on random logs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import engine_for as make_engine
from tests.backends import event
from voronka.errors import DefinitionError
from voronka.paths import PathSteps, compute_paths, sankey_figure, steps_around

pytestmark = pytest.mark.spark_connect  # also on a real Spark Connect server


def rows():
    return [
        event("a", 0, "ad_view", channel="tv"), event("a", 1, "ad_view", channel="tv"),
        event("a", 10, "site_visit", channel="digital"), event("a", 20, "purchase", channel="digital"),
        event("a", 30, "site_visit"),
        event("b", 0, "ad_view", channel="tv"), event("b", 5, "site_visit", channel="tv"), event("b", 6, "identify"),
        event("c", 0, "site_visit", channel="tv"), event("c", 5, "ad_view", channel="radio"),
        event("c", 6, "purchase"),
    ]


def top(result):
    return [(r["converted"], r["path"], r["length"], r["truncated"], r["mean_length"], r["customers"], r["share"])
            for r in result.top.to_pylist()]


def links(table):
    return {(r["source"], r["source_position"], r["target"], r["target_position"]): r["customers"]
            for r in table.to_pylist()}


def test_paths_worked_by_hand(engine_for):
    engine = engine_for(rows())
    result = compute_paths(engine)
    # a: ad_view ×2 merged, the site visit after buying is past the conversion; b: identify is no step
    assert top(result) == [
        (True, "ad_view → site_visit → purchase", 3, False, 3.0, 1, 0.5),
        (True, "site_visit → ad_view → purchase", 3, False, 3.0, 1, 0.5),
        (False, "ad_view → site_visit", 2, False, 2.0, 1, 1.0),
    ]
    assert result.customers == {True: 2, False: 1}
    assert result.lengths.to_pylist() == [{"length": 2, "converted": 0, "not_converted": 1},
                                          {"length": 3, "converted": 2, "not_converted": 0}]
    assert links(result.sankey) == {
        ("ad_view", 1, "site_visit", 2): 2, ("site_visit", 1, "ad_view", 2): 1,
        ("site_visit", 2, "purchase", 3): 1, ("ad_view", 2, "purchase", 3): 1,
    }
    around = steps_around(engine, "site_visit", after=2, before=1)
    assert around.anchored == 3
    assert [(r["offset"], r["step"], r["customers"]) for r in around.steps.to_pylist()] == [
        (-1, "ad_view", 2), (0, "site_visit", 3), (1, "ad_view", 1), (1, "purchase", 1),
        (2, "purchase", 1), (2, "site_visit", 1),
    ]
    assert links(around.sankey)[("ad_view", -1, "site_visit", 0)] == 2


def test_cleaning_options():
    engine = make_engine(rows())
    assert top(compute_paths(engine, steps=PathSteps(merge_repeats=False)))[0][1:3] == (
        "ad_view → ad_view → site_visit → purchase", 4)
    cut = top(compute_paths(engine, max_steps=2))
    assert cut == [(True, "ad_view → purchase", 2, True, 3.0, 1, 0.5), (True, "site_visit → purchase", 2, True, 3.0, 1, 0.5),
                   (False, "ad_view → site_visit", 2, False, 2.0, 1, 1.0)]
    assert [r[1] for r in top(compute_paths(engine, steps=PathSteps(by="channel")))] == [
        "tv → digital → purchase", "tv → radio → purchase", "tv"]
    mapped = compute_paths(engine, steps=PathSteps(mapping={"ad_view": "ad", "site_visit": "web", "x": None}))
    assert [r[1] for r in top(mapped)] == ["ad → web → purchase", "web → ad → purchase", "ad → web"]
    staged = compute_paths(engine, steps=PathSteps(model="channel_funnel"), conversion="channel_funnel:convert")
    assert [r[1:3] for r in top(staged)] == [("awareness → channel_funnel:convert", 2), ("awareness", 1)]
    # lookback: only steps at or after the path's end − 10 minutes
    assert [r[1] for r in top(compute_paths(engine, lookback="10m"))] == [
        "site_visit → ad_view → purchase", "site_visit → purchase", "ad_view → site_visit"]
    assert [r[1] for r in top(compute_paths(engine, top=1))] == ["ad_view → site_visit → purchase",
                                                                 "ad_view → site_visit"]


def test_steps_before_an_event_and_errors():
    engine = make_engine(rows())
    before = steps_around(engine, "purchase", before=2, after=0)
    assert [(r["offset"], r["step"], r["customers"]) for r in before.steps.to_pylist()] == [
        (-2, "ad_view", 1), (-2, "site_visit", 1), (-1, "ad_view", 1), (-1, "site_visit", 1), (0, "purchase", 2)]
    with pytest.raises(DefinitionError, match="no customer has the step 'trial'"):
        steps_around(engine, "trial")
    with pytest.raises(DefinitionError):
        steps_around(engine, "purchase", after=0)
    with pytest.raises(DefinitionError):
        compute_paths(engine, max_steps=0)
    with pytest.raises(DefinitionError, match="use event or channel"):
        PathSteps(by="campaign")  # type: ignore[arg-type]


def test_sankey_figure_has_one_node_per_step_and_position():
    result = compute_paths(make_engine(rows()))
    trace = sankey_figure(result.sankey, "Paths").data[0]
    assert trace.type == "sankey"
    assert sorted(label.split(" · ")[0] for label in trace.node.label) == [
        "ad_view", "ad_view", "purchase", "site_visit", "site_visit"]  # one per step and position
    assert sorted(trace.node.x) == [0.001, 0.001, 0.5, 0.5, 0.999]
    assert len(trace.link.source) == 4 and sum(trace.link.value) == 5
    assert len(sankey_figure(result.sankey, max_links=1).data[0].link.value) == 1


# -- an oracle: the paths computed the obvious way ---------------------------------------

def oracle(events: list[dict]) -> dict[tuple[bool, str, bool], int]:
    counts: dict[tuple[bool, str, bool], int] = {}
    for cid in {e["customer_id"] for e in events}:
        mine = sorted((e for e in events if e["customer_id"] == cid), key=lambda e: (e["ts"], e["event_id"]))
        steps: list[str] = []
        converted = False
        for e in mine:
            if not steps or steps[-1] != e["event"]:
                steps.append(e["event"])
            if e["event"] == "purchase":
                converted = True
                break
        key = (converted, " → ".join(steps[-4:]), len(steps) > 4)
        counts[key] = counts.get(key, 0) + 1
    return counts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 30),
                          st.sampled_from(["ad_view", "site_visit", "compare", "purchase"])), min_size=1, max_size=25))
def test_engine_matches_the_oracle(raw):
    events = [event(c, m, name, f"e{i:02d}") for i, (c, m, name) in enumerate(raw)]
    result = compute_paths(make_engine(events), max_steps=4, top=100)
    expected = oracle(events)
    assert {(r["converted"], r["path"], r["truncated"]): r["customers"] for r in result.top.to_pylist()} == expected
    # every customer whose cut path has more than i steps takes exactly one link out of position i
    for i in range(1, 4):
        out_of_i = sum(r["customers"] for r in result.sankey.to_pylist() if r["source_position"] == i)
        assert out_of_i == sum(n for (_, path, _), n in expected.items() if len(path.split(" → ")) > i)
