"""The change scan (docs/explore.md, "Change scan"): the counting on a hand-made log on every
backend, the planted demo incident found first, and the false discovery rate on logs
without any change."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from tests.backends import event
from voronka import demo
from voronka.explore.scan import scan_changes, scan_findings
from voronka.funnel.spec import build_funnel
from voronka.schema import EVENTS

DAY = 24 * 60
STEPS = build_funnel({"steps": ["visit", "cart", "buy"]})


def small_log() -> list[dict]:
    """Four weeks; each week 10 units visit; 8 add to cart (within an hour), except week 3
    where 1 does; 5 of the carts buy. Platform ios/android alternates."""
    rows = []
    for week in range(4):
        for i in range(10):
            unit, start = f"u{week}-{i}", (week * 7 + i % 7) * DAY + 60
            os = {"os": "ios" if i % 2 else "android"}
            rows.append(event(unit, start, "visit", properties=os))
            if i < (1 if week == 2 else 8):
                rows.append(event(unit, start + 30, "cart", properties=os))
                if i < 5:
                    rows.append(event(unit, start + 40, "buy", revenue=100, currency="KZT", properties=os))
    return rows


def test_counts_and_the_changed_window(engine_for):
    engine = engine_for(small_log())
    result = scan_changes(engine, STEPS, within="1d", max_window=2, volumes=False,
                          as_of=dt.datetime(2026, 4, 1))
    rows = {(r["measure"], r["column"], r["segment"]): r for r in result.series.to_pylist()}
    whole = rows[("visit → cart", None, None)]
    assert whole["trials"] == 40 and whole["periods"] >= 4
    # the window is week 3 (10 trials, 1 success) against the rest (30 trials, 24)
    assert whole["window_trials"] == 10 and whole["window_rate"] == pytest.approx(0.1)
    assert whole["rest_rate"] == pytest.approx(24 / 30)
    assert whole["first"] == whole["last"] == dt.date(2026, 3, 16)  # the Monday of week 3
    assert whole["units"] == pytest.approx(10 * (0.1 - 0.8))
    assert ("visit → cart", "properties.os", "ios") in rows
    cart = rows[("cart → buy", None, None)]
    assert cart["trials"] == 25  # 8 + 8 + 1 + 8 carts
    assert result.flagged()[0]["measure"] == "visit → cart"


@pytest.fixture(scope="module")
def demo_events():
    return demo.generate().events  # the default demo: 5,000 people, what `voronka demo` writes


def test_the_demo_incident_ranks_first(engine_for, demo_events):
    # the hourglass model, no step, segment or date given
    engine = engine_for([], tables={EVENTS: demo_events})
    result = scan_changes(engine, build_funnel({"model": "hourglass", "timezone": demo.TIME_ZONE}))
    first = result.flagged()[0]
    assert (first["kind"], first["from_key"], first["to_key"]) == ("transition", "try", "buy")
    assert (first["column"], first["segment"]) == ("channel", demo.INCIDENT.channel)
    true_first = dt.date(2026, 1, 1) + dt.timedelta(days=demo.INCIDENT.first_day)  # generate's default start
    true_last = true_first + dt.timedelta(days=demo.INCIDENT.days - 1)
    assert abs((first["first"] - true_first).days) <= 7
    assert abs((first["last"] + dt.timedelta(days=6) - true_last).days) <= 7
    assert first["window_rate"] < 0.35 < first["rest_rate"]
    assert first["q"] <= 0.05
    for lang in ("en", "ru", "kk"):
        finding = scan_findings(result, lang)[0]
        assert "digital" in finding.text and finding.q is not None and finding.q <= 0.05


def random_log(seed: int) -> list[dict]:
    """No change: 600 units over 10 weeks, constant rates, a platform and a channel at random;
    each unit's events within one day."""
    rng = random.Random(seed)
    rows = []
    for i in range(600):
        start = rng.uniform(0, 70) * DAY
        props = {"os": rng.choice(("ios", "android", "web"))}
        channel = rng.choice(("ads", "mail"))
        rows.append(event(f"u{i}", start, "visit", channel=channel, properties=props))
        if rng.random() < 0.6:
            rows.append(event(f"u{i}", start + 20, "cart", channel=channel, properties=props))
            if rng.random() < 0.4:
                rows.append(event(f"u{i}", start + 40, "buy", channel=channel, properties=props))
        if rng.random() < 0.2:
            rows.append(event(f"u{i}", start + 5, "error", channel=channel, properties=props))
    return rows


def test_false_discoveries_on_logs_without_change():
    """30 seeded logs with nothing planted: any flag is false. BH at α = 0.05 keeps the share
    of logs with a flag at about α (the FDR under no change); we allow the binomial 99 %
    bound for 30 logs (4), and the share of flagged series must stay under α."""
    from tests.backends import engine_for

    logs_flagged, flagged, series = 0, 0, 0
    for seed in range(30):
        result = scan_changes(engine_for(random_log(seed)), STEPS, within="1d", alpha=0.05,
                              as_of=dt.datetime(2026, 6, 1))
        n = sum(result.series.column("flagged").to_pylist())
        logs_flagged += n > 0
        flagged += n
        series += result.series.num_rows
    assert series > 30 * 20
    assert logs_flagged <= 4
    assert flagged / series <= 0.05


def test_since_leaves_out_the_first_periods():
    from tests.backends import engine_for

    result = scan_changes(engine_for(small_log()), STEPS, within="1d", max_window=2, volumes=False,
                          since=dt.date(2026, 3, 11), as_of=dt.datetime(2026, 4, 1))
    whole = next(r for r in result.series.to_pylist() if r["measure"] == "visit → cart" and r["column"] is None)
    assert whole["trials"] == 30 and whole["first"] == dt.date(2026, 3, 16)  # weeks 2–4; week 3 still stands out


def test_the_trend_shades_the_flagged_weeks(demo_events):
    """A conversion trend (funnel --cohort week --report) shades the scan's windows: the
    demo's three incident weeks, labelled with the transition and segment."""
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.funnel import compute_funnel
    from voronka.reports.charts import conversion_trend

    engine = DuckDBEngine.from_events(demo_events)
    definition = build_funnel({"steps": ["trial", "purchase"], "timezone": demo.TIME_ZONE, "cohort": "week"})
    windows = scan_changes(engine, definition, volumes=False).windows()
    assert windows == [(dt.date(2026, 6, 8), dt.date(2026, 6, 28), "trial → purchase (channel = digital)")]
    trends = compute_funnel(engine, definition).trends
    periods = sorted(set(trends.column("period").to_pylist()))
    figure = conversion_trend(trends, "ru", flagged=windows)
    (shape,) = figure.layout.shapes
    shaded = periods[math.ceil(shape.x0):math.floor(shape.x1) + 1]
    assert shaded == [dt.date(2026, 6, 8), dt.date(2026, 6, 15), dt.date(2026, 6, 22)]
    assert figure.layout.annotations[0].text == "trial → purchase (channel = digital)"


def segmented_log(seed: int = 11) -> list[dict]:
    """400 units over six weeks, each with one channel and one platform on all its events:
    visits (some twice), carts within or after a day, purchases, and errors."""
    rng = random.Random(seed)
    rows = []
    for i in range(400):
        start = rng.uniform(0, 42) * DAY
        channel, props = rng.choice(("ads", "mail", "seo")), {"os": rng.choice(("ios", "android"))}
        rows.append(event(f"u{i}", start, "visit", channel=channel, properties=props))
        if rng.random() < 0.3:
            rows.append(event(f"u{i}", start + rng.uniform(1, 3) * DAY, "visit", channel=channel, properties=props))
        if rng.random() < 0.6:
            cart = start + rng.choice((30, 2 * DAY))
            rows.append(event(f"u{i}", cart, "cart", channel=channel, properties=props))
            if rng.random() < 0.5:
                rows.append(event(f"u{i}", cart + 60, "buy", channel=channel, properties=props))
        if rng.random() < 0.2:
            rows.append(event(f"u{i}", start + 5, "error", channel=channel, properties=props))
    return rows


def test_every_series_counts_its_trials_as_defined(engine_for):
    """Each series' trials, counted from the log by the definition (docs/explore.md): a
    transition's settled units per segment of their first step-k event, a volume's active
    unit-days per segment; all units and each breakdown column, on every backend."""
    rows, as_of, within = segmented_log(), dt.datetime(2026, 4, 5), dt.timedelta(days=1)
    result = scan_changes(engine_for(rows), STEPS, within="1d", as_of=as_of)
    expected: dict[tuple, int] = {}

    def add(measure: str, row: dict, n: int = 1) -> None:
        for column, value in ((None, None), ("channel", row["channel"]), ("properties.os", row["properties"]["os"])):
            expected[(measure, column, value)] = expected.get((measure, column, value), 0) + n

    by_unit: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: r["ts"]):
        if r["ts"] <= as_of:
            by_unit.setdefault(r["customer_id"], []).append(r)
    for a, b in (("visit", "cart"), ("cart", "buy")):
        for events in by_unit.values():
            first = next((r for r in events if r["event"] == a), None)
            if first is not None and first["ts"] <= as_of - within:
                add(f"{a} → {b}", first)
    days = {(r["customer_id"], r["ts"].date()): r for events in by_unit.values() for r in events}
    for name in {r["event"] for r in rows}:
        for (unit, _), r in days.items():
            add(name, r)  # every active unit-day of the segment counts in each event's series
    found = {(r["measure"], r["column"], r["segment"]): r["trials"] for r in result.series.to_pylist()}
    assert {k for k in found if k[0] in ("visit → cart", "cart → buy")} == {
        k for k in expected if k[0] in ("visit → cart", "cart → buy")}
    assert found == {k: v for k, v in expected.items() if k in found}
    assert len(found) > 30
