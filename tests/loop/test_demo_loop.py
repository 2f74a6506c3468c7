"""The demo's planted repeat loop (docs/demo.md, effect 4), found by the loop analyses."""

from __future__ import annotations

from itertools import pairwise

import pytest

from voronka.loop import compute_loop
from voronka.loop.repeat import repeat_purchases
from voronka.loop.retention import retention
from voronka.reports import Report
from voronka.reports.loop import add_loop_sections


def test_repeat_rate_and_gaps_of_the_demo(demo_engine):
    """p(repeat) = 0.55 plus loyalty and satisfaction terms: measured about 0.59 of buyers
    buy again; gaps are gamma(4) with means 14, 21 or 30 days, clipped to 3–55, so the
    median gap is about three weeks and no gap of a continuing customer exceeds 55 days
    except the win-back returns (61–120 days after the lapsed purchase)."""
    summary = repeat_purchases(demo_engine, timezone="Asia/Almaty").summary.to_pylist()[0]
    assert summary["repeat_rate"] == pytest.approx(0.59, abs=0.04)
    assert 17 <= summary["median_gap_days"] <= 25
    gaps = repeat_purchases(demo_engine, timezone="Asia/Almaty").gaps.to_pylist()
    assert min(g["gap_days"] for g in gaps) >= 2  # 3 days, up to a calendar-day boundary
    assert sum(g["gaps"] for g in gaps if 56 < g["gap_days"] < 61) <= 2  # the lapse hole


def test_retention_measures_are_consistent_on_the_demo(demo_engine):
    """k-or-later never rises with k and is never below retention in k; the last column
    of every cohort (the month running at as_of) is NULL."""
    table = retention(demo_engine, period="month", timezone="Asia/Almaty").table.to_pylist()
    by_cohort: dict = {}
    for r in table:
        by_cohort.setdefault(r["cohort"], []).append(r)
    assert len(by_cohort) == 10  # January to October 2026
    for rows in by_cohort.values():
        done = [r for r in rows if r["complete"]]
        assert rows[-1]["retention"] is None and not rows[-1]["complete"]
        assert all(a["retention_k_or_later"] >= b["retention_k_or_later"] for a, b in pairwise(done))
        assert all(r["retention_k_or_later"] >= r["retention"] for r in done)


def test_every_loop_section_renders_in_each_language(demo_engine):
    for lang, title in (("en", "Cohort retention"), ("ru", "Удержание когорт"), ("kk", "Когорталарды ұстап қалу")):
        results = compute_loop(demo_engine, timezone="Asia/Almaty", lang=lang)
        report = add_loop_sections(Report("loop", lang), results, lang)
        assert [s.figure is not None for s in report.sections] == [True, True, True, True, False]
        html = report.render()
        assert title in html and "plotly" in html
        heatmap = report.sections[1].figure.data[0]
        assert heatmap.type == "heatmap" and heatmap.z[0][0] == 1.0
