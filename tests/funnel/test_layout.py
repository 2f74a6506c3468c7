"""The funnel layout (``funnel.layout``): a store's events in funnel order, used while current.

The units read from the layout are held to the engine's SQL path unit for unit and to the
pure-Python reference on random logs (with ``identify`` events) and definitions (any
batching), over sources filtered on the layout's columns and dates too; a layout the
store's events or aliases have outgrown, or whose rows come out of order, is not used.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.backends import T0, event, events_table
from tests.funnel.test_engine_matches_reference import _key, definitions, event_logs
from tests.funnel.test_fast_path import ORDER, _units
from voronka import funnel
from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel import STAGE_TABLE, UNITS_TABLE, chains, compute_funnel, latest_event, layout, store_units_scanned
from voronka.funnel.definition import Breakdown, FunnelDefinition, Step
from voronka.funnel.reference import reference_outcomes
from voronka.funnel.sql import stage_sql, units_sql
from voronka.rules import Condition, StepRule
from voronka.source import Source
from voronka.store import Store


def store_engine(rows: list[dict], refreshed: bool = True) -> DuckDBEngine:
    """An engine on a scratch store holding ``rows`` (and its layout, when ``refreshed``)."""
    store = Store(":memory:")
    con = store.connection
    con.register("_rows", events_table(rows))
    con.execute("INSERT INTO events SELECT * FROM _rows")
    con.unregister("_rows")
    if refreshed:
        store.refresh_layout()
    engine = DuckDBEngine(con)
    engine.store = store  # type: ignore[attr-defined]  # kept open with the engine
    return engine


def _layout_units(engine: DuckDBEngine, defn: FunnelDefinition, part_rows: int) -> list[tuple]:
    units = chains.units_table(defn, layout.stream(engine, defn, part_rows), defn.as_of or latest_event(engine),
                               ids=lambda codes: layout.customer_ids(engine, codes))
    engine.store_temp(UNITS_TABLE, units)
    return engine.connection.execute(f"SELECT * FROM {UNITS_TABLE} ORDER BY ALL").fetchall()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions(), part_rows=st.integers(1, 6))
def test_the_layout_gives_the_sql_units_in_any_parts(log, defn, part_rows):
    assume(layout.serves(defn))
    engine = store_engine(log)
    assert layout.current(engine)
    assert _layout_units(engine, defn, part_rows) == _units(engine, defn, None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions())
def test_funnels_on_a_store_with_a_layout_match_the_reference(log, defn):
    result = compute_funnel(store_engine(log), defn)
    assert sorted(map(_key, result.outcomes())) == sorted(map(_key, reference_outcomes(defn, log)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions(), part_rows=st.integers(1, 6))
def test_the_layouts_cohort_periods_over_many_days(log, defn, part_rows):
    # the periods come from a table of quarters of an hour: 40 minutes become 5 days here
    assume(defn.cohort is not None and layout.serves(defn))
    engine = store_engine([{**row, "ts": T0 + (row["ts"] - T0) * 180} for row in log])
    assert _layout_units(engine, defn, part_rows) == _units(engine, defn, None)


def _steps(*names: str, **options) -> FunnelDefinition:
    return FunnelDefinition(steps=tuple(Step(key=n, rule=StepRule(events=(n,))) for n in names), **options)


ROWS = [event("u2", 0, "a", "e2", channel="tv"), event("u1", 0, "a", "e9", channel="web"),
        event("u1", 0, "a", "e1", channel="tv"), event("u1", 1, "b"), event("u3", 3, "b")]


def test_the_layout_keeps_each_customers_events_in_event_order():
    engine = store_engine(ROWS)
    rows = engine.connection.execute(
        f"SELECT k.customer_id, n.event, l.tsu, l.channel FROM {layout.EVENTS} AS l "
        f"JOIN {layout.CUSTOMERS} AS k USING (c) JOIN {layout.NAMES} AS n USING (e)").fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [("u1", "a", "tv"), ("u1", "a", "web"), ("u1", "b", None),
                                                 ("u2", "a", "tv"), ("u3", "b", None)]
    defn = _steps("a", "b", ties="strict", breakdown=Breakdown(field="channel"))
    assert layout.serves(defn)
    assert [(u[0], u[1], u[3]) for u in _layout_units(engine, defn, 1)] == [("u1", "tv", 2), ("u2", "tv", 1)]


def test_what_the_layout_does_not_hold_is_read_from_the_events():
    assert layout.serves(_steps("a", "b", breakdown=Breakdown(field=("campaign", "revenue"))))
    assert not layout.serves(_steps("a", "b", breakdown=Breakdown(field="p")))
    assert not layout.serves(_steps("a", "b", breakdown=Breakdown(field="channel", attribution="all_steps")))
    tv = (Condition(field="channel", value="tv"),)
    where = FunnelDefinition(steps=(Step(key="a", rule=StepRule(events=("a",), where=tv)),))
    assert not layout.serves(where)
    engine = store_engine(ROWS)
    assert layout.kept_sql(Source.from_options(engine, where=["channel!=tv", "revenue>2"], since="2026-03-02"))
    for options in ({"where": ["p=1"]}, {"where": ["event=a"]}, {"where": ["customer_id=u1"]},
                    {"unit": "session"}, {"unit": "channel"}, {"events": "(SELECT * FROM events)"}):
        assert layout.kept_sql(Source.from_options(engine, **options)) is None, options


@st.composite
def column_logs(draw):
    """Random logs (``event_logs``) with every column of ``layout.COLUMNS`` drawn, times
    stretched (by up to 3 days) so that date ranges cut them."""
    stretch = draw(st.sampled_from([1, 108]))
    return [{**row, "ts": T0 + (row["ts"] - T0) * stretch,
             "campaign": draw(st.sampled_from([None, "c1", "c2"])),
             "revenue": draw(st.sampled_from([None, Decimal("2.5"), Decimal("10")])),
             "currency": draw(st.sampled_from([None, "KZT"]))} for row in draw(event_logs())]


WHERES = ["channel!=tv", "channel in tv|web", "campaign=c1", "campaign is null", "revenue>3", "revenue=2.5",
          "currency is not null", "referrer_id!=u1", "channel not in web"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=column_logs(), defn=definitions(), data=st.data())
def test_breakdowns_and_filters_on_the_layouts_columns_give_the_sql_units(log, defn, data):
    """Breakdowns by any of the layout's columns and sources filtered on them (``where``,
    dates) read from the layout give the SQL path's units over the filtered source."""
    fields = data.draw(st.sampled_from(["channel", "campaign", "revenue", "currency", "referrer_id",
                                        ("campaign", "channel"), ("currency", "revenue")]))
    if defn.breakdown is not None:
        defn = defn.model_copy(update={"breakdown": defn.breakdown.model_copy(update={"field": fields})})
    assume(layout.serves(defn))
    engine = store_engine(log)
    day = data.draw(st.sampled_from([None, "2026-03-02", "2026-03-03", "2026-03-04"]))
    source = Source.from_options(engine, where=data.draw(st.lists(st.sampled_from(WHERES), max_size=2)),
                                 timezone=data.draw(st.sampled_from(["UTC", "Asia/Almaty"])),
                                 since=data.draw(st.sampled_from([None, day])), until=day)
    kept = layout.kept_sql(source)
    assert kept is not None and layout.current(engine)
    events, aliases = source.tables()
    as_of = defn.as_of or latest_event(source, events)
    assert layout.latest(engine, kept) == latest_event(source, events)
    if defn.scans:  # the scan over the stage table, as chdb and Spark run it
        store_units_scanned(engine, defn, events, aliases, as_of)
    else:
        engine.materialize(STAGE_TABLE, stage_sql(defn, events, aliases))
        engine.materialize(UNITS_TABLE, units_sql(defn, STAGE_TABLE, as_of))
    expected = engine.connection.execute(f"SELECT * FROM {UNITS_TABLE} {ORDER}").fetchall()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(funnel, "store_units_fast", None)  # would fail if called: the layout serves it
        patch.setattr(funnel, "KERNEL_ROWS", data.draw(st.sampled_from([0, funnel.KERNEL_ROWS])))
        result = compute_funnel(source, defn)
        assert result.as_of == as_of
        assert engine.connection.execute(f"SELECT * FROM {UNITS_TABLE} {ORDER}").fetchall() == expected
        without = compute_funnel(source, defn, units=False)  # the customers' codes for their ids
    assert (without.steps, without.histogram, without.trends) == (result.steps, result.histogram, result.trends)
    parts = data.draw(st.integers(1, 6))  # and through the chains, in parts of any size
    units = chains.units_table(defn, layout.stream(engine, defn, parts, kept), as_of,
                               ids=lambda codes: layout.customer_ids(engine, codes))
    engine.store_temp(UNITS_TABLE, units)
    assert engine.connection.execute(f"SELECT * FROM {UNITS_TABLE} {ORDER}").fetchall() == expected


def test_a_layout_the_events_have_outgrown_is_not_used(monkeypatch):
    engine = store_engine(ROWS)
    engine.connection.register("_more", events_table([event("u3", 4, "a"), event("u3", 5, "b")]))
    engine.connection.execute("INSERT INTO events SELECT * FROM _more")
    assert not layout.current(engine)
    monkeypatch.setattr(layout, "stream", None)  # would fail if called
    units = compute_funnel(engine, _steps("a", "b")).units
    assert units.column("customer_id").to_pylist() == ["u1", "u2", "u3"]
    assert units.column("level").to_pylist() == [2, 1, 2]


def test_the_layout_resolves_ids_and_an_alias_added_leaves_it_out_of_date():
    """The layout's customers are the resolved ones (``identify`` events, alias rows); an
    alias row added after the refresh leaves the layout unused until the next one."""
    engine = store_engine(ROWS + [event("u4", 1, "identify", properties={"alias": "u3"}), event("u4", 2, "a")])
    assert layout.current(engine) and layout.current(engine, aliases=None)
    defn = _steps("a", "b")

    def from_layout() -> list[dict]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(funnel, "store_units_fast", None)  # would fail if called
            return compute_funnel(engine, defn).units.to_pylist()

    units = from_layout()
    assert units == _stream_units(engine, defn)
    assert [(u["customer_id"], u["level"]) for u in units] == [("u1", 2), ("u2", 1), ("u4", 2)]
    engine.connection.execute("INSERT INTO aliases VALUES ('u2', 'u1')")
    assert not layout.current(engine)
    engine.store.refresh_layout()
    assert layout.current(engine) and not layout.current(engine, aliases=None)  # a reader of no alias table
    units = from_layout()
    assert units == _stream_units(engine, defn)
    assert [(u["customer_id"], u["level"]) for u in units] == [("u1", 2), ("u4", 2)]


def _stream_units(engine: DuckDBEngine, defn: FunnelDefinition) -> list[dict]:
    """The units of ``defn`` over the events as a subquery (not the layout: the sorted stream)."""
    return compute_funnel(engine, defn, events="(SELECT * FROM events)").units.to_pylist()


def test_rows_out_of_order_fall_back_to_the_sorted_stream(monkeypatch):
    engine = store_engine(ROWS)
    expected = compute_funnel(engine, _steps("a", "b")).units.to_pylist()
    monkeypatch.setattr(layout, "_in_order", lambda rows, last: False)  # as if DuckDB had reordered them
    with pytest.raises(layout.OutOfOrder):
        list(layout.stream(engine, _steps("a", "b"), 100))
    assert compute_funnel(engine, _steps("a", "b")).units.to_pylist() == expected
    assert [u["level"] for u in expected] == [2, 1]


def test_optimize_builds_the_layout_and_an_ingest_leaves_it_out_of_date(tmp_path):
    """``voronka optimize`` builds the layout; an ingest does not rebuild it (that would cost
    a sort of the whole store every time) but leaves it out of date, and the funnel then takes
    its usual way, with the same units."""
    import subprocess
    import sys

    voronka = str(Path(sys.executable).with_name("voronka"))
    path, store_path = tmp_path / "events.csv", tmp_path / "store.duckdb"
    path.write_text("event_id,customer_id,ts,event\ne1,u1,2026-03-02 09:00:00,a\ne2,u1,2026-03-02 09:01:00,b\n")
    with Store(store_path) as store:
        store.ingest_events([path])
        assert not layout.current(DuckDBEngine(store.connection))
    done = subprocess.run([voronka, "optimize", "--store", str(store_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "2 events in funnel order" in done.stderr, done.stderr
    with Store(store_path) as store:
        engine = DuckDBEngine(store.connection)
        assert layout.current(engine)
        assert compute_funnel(engine, _steps("a", "b")).units.column("level").to_pylist() == [2]
        more = tmp_path / "more.csv"
        more.write_text("event_id,customer_id,ts,event\ne3,u2,2026-03-02 09:00:00,a\n")
        store.ingest_events([more])
        assert not layout.current(engine)
        assert sorted(compute_funnel(engine, _steps("a", "b")).units.column("level").to_pylist()) == [1, 2]
        store.refresh_layout()
        assert layout.current(engine)
        assert store.connection.execute(f"SELECT count(*) FROM {layout.EVENTS}").fetchall()[0][0] == 3


def test_a_batch_checks_its_order_against_the_previous_one():
    assert layout._in_order(np.array([3, 4, 9]), 2)
    assert not layout._in_order(np.array([3, 4, 9]), 3)
    assert not layout._in_order(np.array([3, 5, 4]), -1)


def test_names_are_tested_as_bits_in_any_number():
    engine = store_engine([event("u1", 0, "a")])
    codes = [0, 5, 63, 64, 130]
    kept = engine.connection.execute(f"SELECT list(e ORDER BY e) FROM range(200) AS r(e) WHERE {layout._in(codes)}")
    assert kept.fetchall()[0][0] == codes
    assert layout._in([]) == "FALSE"

