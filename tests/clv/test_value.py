"""CLV and the holdout check: CDNOW through the engine (weeks 1–39 / 40–78), hand-made CLV."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from tests.clv import cdnow
from voronka.clv import clv_analysis
from voronka.clv.bgnbd import BetaGeo
from voronka.clv.gamma_gamma import GammaGamma
from voronka.clv.summary import Summary
from voronka.clv.value import DAYS_PER_MONTH, customer_values
from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import DefinitionError


@pytest.fixture(scope="module")
def cdnow_result():
    engine = DuckDBEngine.from_events(cdnow.events())
    return clv_analysis(engine, unit="week", holdout_from=dt.date(1997, 10, 1), as_of=dt.date(1998, 6, 30))


def test_engine_summary_reproduces_hardie_calibration_data(cdnow_result):
    theirs = cdnow.summary_csv()
    model = cdnow_result.holdout_model
    assert model.customers == 2357
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert f"{getattr(model, name):.3g}" == f"{value:.3g}", name
    assert theirs.column("x").to_numpy().sum() == 2457


def test_holdout_check_on_cdnow(cdnow_result):
    h = cdnow_result.holdout.to_pylist()[0]
    assert h["holdout_length"] == 39.0 and h["customers"] == 2357
    assert h["actual"] == 1882                               # repeat occasions in weeks 40–78
    assert h["predicted"] == pytest.approx(h["actual"], rel=0.15)
    assert 0 < h["mae"] < 1.5
    table = cdnow_result.holdout_by_frequency.to_pylist()
    assert [r["x"] for r in table] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(r["customers"] for r in table) == 2357
    predicted = [r["predicted"] for r in table]
    assert predicted == sorted(predicted)                    # more past purchases, more predicted


def test_cdnow_clv_agrees_with_lifetimes(cdnow_result):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    c = cdnow_result.summary.customers
    x, t_x, T, m = (c.column(n).to_numpy() for n in ("frequency", "recency", "T", "monetary_value"))
    bg = BetaGeoFitter().fit(x, t_x, T)
    gg = GammaGammaFitter().fit(x[x > 0], m[x > 0])
    import pandas as pd

    theirs = gg.customer_lifetime_value(bg, pd.Series(x), pd.Series(t_x), pd.Series(T), pd.Series(m), time=12,
                                        discount_rate=0.01, freq="W")
    ours = dict(zip(cdnow_result.customers.column("customer_id").to_pylist(),
                    cdnow_result.customers.column("clv").to_pylist()))
    mine = np.array([ours[k] for k in c.column("customer_id").to_pylist()])
    # lifetimes counts a month as 4.345 weeks, we as 30.4375 / 7 = 4.348: within 0.2 %
    np.testing.assert_allclose(mine, theirs.to_numpy(), rtol=2e-3, atol=1e-6)


def test_clv_formula_by_hand():
    summary = Summary(pa.table({"customer_id": ["a"], "frequency": [3], "recency": [20.0], "T": [30.0],
                                "monetary_value": [50.0]}), "day", dt.date(2026, 1, 31), None, "KZT")
    model, spend = BetaGeo(0.5, 10.0, 1.2, 3.0, 0.0, 0), GammaGamma(4.0, 5.0, 20.0, 0.0, 0)
    row = customer_values(summary, model, spend, horizon_months=2, discount=0.1, margin=0.3).to_pylist()[0]
    e1, e2 = (model.conditional_expected_purchases(k * DAYS_PER_MONTH, 3, 20.0, 30.0) for k in (1, 2))
    m = 4.0 * (20.0 + 50.0 * 3) / (4.0 * 3 + 5.0 - 1)
    assert row["expected_spend"] == pytest.approx(m)
    assert row["expected_purchases"] == pytest.approx(e2)
    assert row["clv"] == pytest.approx(0.3 * m * (e1 / 1.1 + (e2 - e1) / 1.1 ** 2))
    undiscounted = customer_values(summary, model, spend, horizon_months=2, discount=0.0).to_pylist()[0]
    assert undiscounted["clv"] == pytest.approx(e2 * m)


def test_bad_horizon_and_discount_are_user_errors():
    engine = DuckDBEngine.from_events(cdnow.events())
    with pytest.raises(DefinitionError, match="horizon"):
        clv_analysis(engine, horizon_months=0)
    with pytest.raises(DefinitionError, match="discount"):
        clv_analysis(engine, discount=1.5)
