"""Where does each customer sit: current stage, time in it, next action (on every engine)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import at, event
from voronka.errors import DefinitionError
from voronka.positions import customer_positions

pytestmark = pytest.mark.spark_connect  # also on a real Spark Connect server


def rows():
    return [
        event("a", 0, "ad_view"), event("a", 60, "site_visit"),               # like
        event("b", 0, "ad_view"), event("b", 10, "purchase"), event("b", 20, "purchase"),  # repeat
        event("c", 0, "consultation", referrer_id="b"),                        # trust, referred by b
        event("d", 0, "ad_view"),                                              # know
        event("z", 30 * 24 * 60, "ad_view"),                                   # sets as_of
    ]


def test_current_stage_is_the_furthest_stage_reached(engine_for):
    table = customer_positions(engine_for(rows()), "hourglass").to_pylist()
    stage = {r["customer_id"]: r["stage"] for r in table}
    assert stage == {"a": "like", "b": "refer", "c": "trust", "d": "know", "z": "know"}
    a = next(r for r in table if r["customer_id"] == "a")
    assert a["entered_at"] == at(60)
    assert a["days_in_stage"] == pytest.approx((30 * 24 * 60 - 60) / 1440, abs=0.01)
    assert a["next_action"]


def test_stage_and_stuck_filters(engine_for):
    engine = engine_for(rows())
    assert [r["customer_id"] for r in customer_positions(engine, "hourglass", stage="know").to_pylist()] == ["d", "z"]
    stuck = customer_positions(engine, "hourglass", stage="know", stuck_for="14d").to_pylist()
    assert [r["customer_id"] for r in stuck] == ["d"]
    assert customer_positions(engine, "hourglass", stage="know", lang="kk").column("stage_label")[0].as_py()


def test_unknown_stage_is_a_user_error(engine_for):
    with pytest.raises(DefinitionError, match="no stage 'nope'"):
        customer_positions(engine_for(rows()), "hourglass", stage="nope")


def test_as_of_can_be_named(engine_for):
    table = customer_positions(engine_for(rows()), "hourglass", as_of=at(0) + dt.timedelta(days=1))
    assert next(r for r in table.to_pylist() if r["customer_id"] == "d")["days_in_stage"] == pytest.approx(1.0)
