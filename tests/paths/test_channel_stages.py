"""Channel × stage (docs/paths.md, "Channel × stage"): hand-made entries on every backend,
the flag rule, the heatmap, and the demo's planted channel effects against the article."""

from __future__ import annotations

import pytest

from tests.backends import engine_for as make_engine
from tests.backends import event
from voronka import demo
from voronka.channel_stages import _flag, compute_channel_stages, heatmap_figure
from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import DefinitionError
from voronka.stats import two_proportion_ztest


def rows():
    return [
        # a: every stage in order; a friend (e) makes a an advocate
        event("a", 0, "ad_view", channel="tv"), event("a", 10, "compare", channel="digital"),
        event("a", 20, "trial", channel="pos"), event("a", 30, "purchase", channel="pos"),
        event("a", 40, "purchase", channel="mobile"),
        event("b", 0, "ad_view", channel="tv"), event("b", 5, "compare", channel="digital"),
        event("c", 0, "site_visit", channel="digital"), event("c", 5, "trial", channel="pos"),
        # d: research before awareness: entering awareness later does not count as moving on
        event("d", 0, "compare", channel="tv"), event("d", 10, "ad_view", channel="radio"),
        event("e", 50, "consultation", channel="wom", referrer_id="a"),
    ]


def cells(result):
    return {(r["stage"], r["channel"]): (r["customers"], r["converted"], r["recommended"])
            for r in result.table.to_pylist()}


def test_entries_and_onward_conversion_by_hand(engine_for):
    result = compute_channel_stages(engine_for(rows()))
    assert cells(result) == {
        ("awareness", "tv"): (2, 2, True), ("awareness", "digital"): (1, 0, False),
        ("awareness", "radio"): (1, 0, True),
        ("research", "digital"): (2, 1, True), ("research", "tv"): (1, 0, True),
        ("engagement", "pos"): (2, 1, True),
        ("convert", "pos"): (1, 1, True),
        ("post_purchase", "mobile"): (1, 1, True),
        ("advocacy", "wom"): (1, None, True),
    }
    awareness = [r for r in result.table.to_pylist() if r["stage"] == "awareness"]
    assert [r["channel"] for r in awareness] == ["tv", "digital", "radio"]  # by entries, then name
    assert awareness[0]["share_of_stage"] == 0.5 and awareness[0]["stage_rate"] == 0.5
    assert awareness[0]["conversion_rate"] == 1.0
    assert all(r["flag"] == "" for r in result.table.to_pylist())  # too few customers to flag


def test_first_touch_channel_and_errors():
    result = compute_channel_stages(make_engine(rows()), by="first_touch", lang="ru")
    got = cells(result)
    assert got[("awareness", "tv")] == (3, 2, True)  # a, b and d (whose first touch is a tv compare)
    assert got[("awareness", "digital")] == (1, 0, False)
    assert result.table.column("stage_label")[0].as_py() == "Осведомленность"
    with pytest.raises(DefinitionError, match="by"):
        compute_channel_stages(make_engine(rows()), by="last")  # type: ignore[arg-type]


def test_flag_rule():
    def row(channel, n, x, recommended, rest_n, rest_x):
        return {"channel": channel, "customers": n, "converted": x, "conversion_rate": x / n,
                "stage_rate": (x + rest_x) / (n + rest_n), "p_value": two_proportion_ztest(x, n, rest_x, rest_n)[1],
                "recommended": recommended, "flag": ""}

    # 300 entries: tv (recommended) 10/100, digital 60/100, pos 30/100, radio 3/20 (too few)
    stage = [row("tv", 100, 10, True, 220, 93), row("digital", 100, 60, False, 220, 43),
             row("pos", 100, 30, False, 220, 73), row("radio", 20, 3, True, 300, 100)]
    _flag(stage, min_customers=30, alpha=0.05)
    assert [r["flag"] for r in stage] == ["recommended_worse", "unrecommended_best", "", ""]


def test_demo_disagrees_with_the_article_where_it_was_planted():
    """docs/demo.md effect 1: the mass channels the article recommends for awareness bring
    people who rarely move on; referred friends (wom, not recommended for engagement)
    convert best from trial."""
    result = compute_channel_stages(DuckDBEngine.from_events(demo.generate(5000, seed=7).events))
    flags = {(r["stage"], r["channel"]): r["flag"] for r in result.flagged.to_pylist()}
    assert {flags.get(("awareness", c)) for c in ("tv", "ooh")} == {"recommended_worse"}
    assert flags[("engagement", "wom")] == "unrecommended_best"
    figure = heatmap_figure(result, "Channels")
    heat = figure.data[0]
    assert len(heat.y) == 5  # advocacy, the last stage, has no onward rate
    assert len(heat.x) == len({r["channel"] for r in result.table.to_pylist() if r["stage"] != "advocacy"})
    assert any("★" in cell for line in heat.text for cell in line)
    assert any("⚑" in cell for line in heat.text for cell in line)
