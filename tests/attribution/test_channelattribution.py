"""Agreement with the ChannelAttribution package on its own example data (``Data.csv``,
shipped inside the package): heuristic models and Markov transition matrices exactly,
Markov credit within its simulation's error (it simulates journeys; voronka solves the
absorbing chain)."""

from __future__ import annotations

from pathlib import Path as FilePath

import pandas as pd
import pytest

ChannelAttribution = pytest.importorskip("ChannelAttribution")

from voronka.attribution import ConversionPath, markov
from voronka.attribution.heuristic import first_touch, last_touch, linear
from voronka.attribution.path import parse_path


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    import cypack

    csv = FilePath(cypack.__file__).parent / "data" / "Data.csv"
    return pd.read_csv(csv, sep=";")


@pytest.fixture(scope="module")
def paths(data) -> list[ConversionPath]:
    return [ConversionPath(parse_path(r.path), r.total_conversions, r.total_conversion_value, r.total_null)
            for r in data.itertuples()]


def test_heuristic_models_agree_exactly(data, paths):
    theirs = ChannelAttribution.heuristic_models(data, "path", "total_conversions",
                                                 var_value="total_conversion_value", flg_pro=False)
    assert len(theirs) == 12
    for name, model in (("first_touch", first_touch), ("last_touch", last_touch), ("linear_touch", linear)):
        ours = model(paths)
        for r in theirs.itertuples():
            assert ours.conversions[r.channel_name] == pytest.approx(getattr(r, f"{name}_conversions"), rel=1e-12)
            assert ours.value[r.channel_name] == pytest.approx(getattr(r, f"{name}_value"), rel=1e-12)


def _names(text: str, ids: dict[str, str]) -> str:
    """ChannelAttribution names states by channel ids in order of appearance ('3 5')."""
    return " > ".join(ids.get(x, x) for x in text.split(" "))


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_transition_matrix_exact_and_credit_within_simulation_error(data, paths, order):
    theirs = ChannelAttribution.markov_model(
        data, "path", "total_conversions", var_value="total_conversion_value", var_null="total_null",
        order=order, out_more=True, nsim_start=1e6, seed=0, verbose=False, flg_pro=False)
    ours = markov(paths, order=order)
    ids = {str(i + 1): c for i, c in enumerate(dict.fromkeys(c for p in paths for c in p.channels))}
    their_matrix = {(_names(r.channel_from, ids), _names(r.channel_to, ids)): r.transition_probability
                    for r in theirs["transition_matrix"].itertuples()}
    our_matrix = {(r["from"], r["to"]): r["probability"] for r in ours.chain.transition_matrix().to_pylist()}
    assert our_matrix.keys() == their_matrix.keys()
    assert max(abs(our_matrix[k] - their_matrix[k]) for k in our_matrix) < 1e-12
    # removal effects: ours exact, theirs the share of 10^5 simulated conversions visiting the channel
    for r in theirs["removal_effects"].itertuples():
        assert ours.removal_effects[r.channel_name] == pytest.approx(r.removal_effects_conversion, abs=0.02)
        assert ours.value_removal_effects[r.channel_name] == pytest.approx(r.removal_effects_conversion_value,
                                                                           abs=0.02)
    total, value = data.total_conversions.sum(), data.total_conversion_value.sum()
    for r in theirs["result"].itertuples():
        assert ours.credit.conversions[r.channel_name] == pytest.approx(r.total_conversions, abs=0.01 * total)
        assert ours.credit.value[r.channel_name] == pytest.approx(r.total_conversion_value, abs=0.01 * value)
