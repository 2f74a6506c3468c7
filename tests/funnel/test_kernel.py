"""The compiled kernel (``funnel.kernel``) over the funnel layout, against the SQL path and
the reference, on random logs and definitions cut into parts as small as one customer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.backends import event
from tests.funnel.test_engine_matches_reference import _key, definitions, event_logs
from tests.funnel.test_fast_path import _units
from tests.funnel.test_layout import store_engine
from voronka import funnel
from voronka.funnel import UNITS_TABLE, compute_funnel, kernel, latest_event, layout
from voronka.funnel.definition import Breakdown, FunnelDefinition, Step
from voronka.funnel.reference import reference_outcomes
from voronka.rules import StepRule


def _kernel_units(engine, defn: FunnelDefinition, part_rows: int) -> list[tuple]:
    units = kernel.units_table(defn, layout.parts(engine, defn, part_rows, codes=True),
                               layout.name_masks(engine, defn)[0], defn.as_of or latest_event(engine),
                               lambda codes: layout.customer_ids(engine, codes))
    engine.store_temp(UNITS_TABLE, units)
    return engine.connection.execute(f"SELECT * FROM {UNITS_TABLE} ORDER BY ALL").fetchall()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions(), part_rows=st.integers(1, 6))
def test_the_kernel_gives_the_sql_units(log, defn, part_rows):
    assume(layout.serves(defn) and kernel.serves(defn))
    engine = store_engine(log)
    assert _kernel_units(engine, defn, part_rows) == _units(engine, defn, None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(log=event_logs(), defn=definitions())
def test_funnels_through_the_kernel_match_the_reference(log, defn):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(funnel, "KERNEL_ROWS", 0)  # every layout takes the kernel
        result = compute_funnel(store_engine(log), defn)
    assert sorted(map(_key, result.outcomes())) == sorted(map(_key, reference_outcomes(defn, log)))


def _steps(*names: str, **options) -> FunnelDefinition:
    return FunnelDefinition(steps=tuple(Step(key=n, rule=StepRule(events=(n,))) for n in names), **options)


def test_what_the_kernel_serves():
    assert kernel.serves(_steps("a", "b", ties="strict", breakdown=Breakdown(field="channel")))
    assert kernel.serves(_steps("a", "b", order="unordered"))
    assert not kernel.serves(_steps("a", "b", order="strict"))
    assert not kernel.serves(_steps("a", "b", ties="step_order"))
    assert not kernel.serves(_steps("a", "b", counting="attempts"))
    assert not kernel.serves(_steps("a", "b", breakdown=Breakdown(field="channel", attribution="all_steps")))


def test_a_big_layout_takes_the_kernel_and_a_small_one_the_chains(monkeypatch):
    rows = [event("u1", 0, "a", channel="tv"), event("u1", 1, "b"), event("u1", 2, "a", channel="web"),
            event("u1", 3, "b"), event("u1", 4, "c"), event("u2", 0, "a")]
    engine = store_engine(rows)
    defn = _steps("a", "b", "c", window=dt.timedelta(minutes=5), breakdown=Breakdown(field="channel"))
    calls = []
    real = kernel.units_table

    def counted(*args, **kwargs) -> pa.Table:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kernel, "units_table", counted)
    small = compute_funnel(engine, defn).units.to_pylist()
    assert calls == []
    monkeypatch.setattr(funnel, "KERNEL_ROWS", 6)
    big = compute_funnel(engine, defn).units.to_pylist()
    assert calls == [1] and big == small
    assert [(u["customer_id"], u["breakdown"], u["level"]) for u in big] == [("u1", "tv", 3), ("u2", "(none)", 1)]


def test_periods_that_go_back_fall_back_to_the_chains(monkeypatch):
    # St. John's turned its clocks back one minute after midnight (2010-11-07 00:01 NDT →
    # 2010-11-06 23:01 NST): an attempt ten minutes after another falls on the day before
    t = dt.datetime(2010, 11, 7, 2, 30, 30)  # 00:00:30 local on the 7th (UTC−2:30)
    rows = [dict(event("u1", 0, "a"), ts=t), dict(event("u1", 0, "b", "e2"), ts=t + dt.timedelta(minutes=5)),
            dict(event("u1", 0, "a", "e3"), ts=t + dt.timedelta(minutes=10))]  # 23:10:30 on the 6th (UTC−3:30)
    engine = store_engine(rows)
    defn = _steps("a", "b", cohort="day", timezone="America/St_Johns")
    monkeypatch.setattr(funnel, "KERNEL_ROWS", 0)
    with pytest.raises(kernel.PeriodsBack):
        _kernel_units(engine, defn, 100)
    assert sorted(map(_key, compute_funnel(engine, defn).outcomes())) == sorted(
        map(_key, reference_outcomes(defn, rows)))


def test_warming_loads_the_kernel_on_a_store_whose_layout_serves_it(monkeypatch):
    engine = store_engine([event("u1", 0, "a"), event("u1", 1, "b")])
    monkeypatch.setattr(funnel, "KERNEL_ROWS", 0)
    funnel.warm_kernel(engine)
    assert kernel._units.signatures and kernel._unordered_units.signatures
    assert compute_funnel(engine, _steps("a", "b")).units.column("level").to_pylist() == [2]



def _part(o: list[int], chunk: int) -> pa.Table:
    """A part as ``layout.parts(..., codes=True)`` gives it (two customers, each an ``a``
    then a ``b`` a second later), with stored positions ``o``, in chunks of ``chunk`` rows."""
    table = pa.table({"customer_id": pa.array([0, 0, 1, 1], pa.int32()), "tsu": pa.array([0, 10**6] * 2, pa.int64()),
                      "e": pa.array([0, 1, 0, 1], pa.int32()), "o": pa.array(o, pa.int64())})
    return pa.Table.from_batches(table.to_batches(max_chunksize=chunk))


@pytest.mark.parametrize("parts", [
    [([0, 2, 1, 3], 4)],  # inside a chunk
    [([0, 1, 1, 3], 1)],  # from one chunk to the next
    [([4, 5, 6, 7], 2), ([0, 1, 2, 3], 2)],  # from one part to the next
])
def test_the_kernel_refuses_rows_out_of_stored_order(parts):
    defn = _steps("a", "b")
    masks = np.array([[1], [2]], np.uint64)  # name code 0 fills step 1, code 1 step 2

    def units(given: list[tuple[list[int], int]]) -> pa.Table:
        return kernel.units_table(defn, [_part(o, chunk) for o, chunk in given], masks, dt.datetime(2000, 1, 1),
                                  lambda codes: codes.cast(pa.string()))

    with pytest.raises(layout.OutOfOrder):
        units(parts)
    assert units([([0, 1, 2, 3], 1), ([4, 5, 6, 7], 3)]).column("level").to_pylist() == [2, 2, 2, 2]


def test_a_funnel_naming_every_event_reads_every_row_untested_and_gives_the_sql_units():
    rows = [event("u1", 0, "a", "e1"), event("u1", 1, "b", "e2"), event("u1", 1, "c", "e3"),
            event("u2", 0, "b", "e4"), event("u2", 1, "a", "e5"), event("u2", 1, "c", "e6"),
            event("u2", 3, "b", "e7"), event("u2", 4, "c", "e8")]
    engine = store_engine(rows)
    defn = _steps("a", "b", "c", ties="strict")
    masks, wanted = layout.name_masks(engine, defn)
    assert len(wanted) == len(masks) == 3
    assert "WHERE TRUE AND TRUE" in layout.stream_sql(defn, None, [0])
    for part_rows in (1, 100):
        units = _kernel_units(engine, defn, part_rows)
        assert units == _units(engine, defn, None)
        assert [u[3] for u in units] == [2, 3]


def test_warming_compiles_what_every_funnel_runs():
    """Once warmed, the kernel compiles nothing more in a funnel, whatever chunks its parts
    come in (a column taken from Arrow without a copy is read-only, a copied one is not:
    Numba would compile each kind anew, seconds, inside a funnel)."""
    kernel.warm()
    compiled = (len(kernel._units.signatures), len(kernel._unordered_units.signatures))
    masks = np.array([[1], [2]], np.uint64)
    for order in ("ordered", "unordered"):
        for chunk in (1, 4):
            units = kernel.units_table(_steps("a", "b", order=order), [_part([0, 1, 2, 3], chunk)], masks,
                                       dt.datetime(2000, 1, 1), lambda codes: codes.cast(pa.string()))
            assert units.column("level").to_pylist() == [2, 2]
    assert (len(kernel._units.signatures), len(kernel._unordered_units.signatures)) == compiled
