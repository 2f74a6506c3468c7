"""The deals funnel on the amoCRM sample export, answers worked out by hand (docs/crm.md).

Продажи, stages in first-seen order: Первичный контакт (01.03 10:00), Переговоры
(02.03 15:00), Принимают решение (08.03 10:00). Deals: 101 won (Иванова), 102 lost at
Переговоры (Иванова), 103 open at Переговоры since 06.03 12:00, 104 open at Первичный
контакт since 07.03 11:00, 105 won (Петров). as_of = the latest row, 20.03 15:00.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest

from voronka.crm import deal_pipeline
from voronka.errors import DefinitionError, StoreError
from voronka.ingest import read_table
from voronka.schema import DEALS

DATA = Path(__file__).parent / "data"
SALES = ["Первичный контакт", "Переговоры", "Принимают решение"]


@pytest.fixture(scope="module")
def deals():
    return read_table("deals", [DATA / "amocrm_deals.csv"])


def sales_rows(table):
    return [r for r in table.to_pylist() if r["pipeline"] == "Продажи"]


def test_per_pipeline_on_every_backend(engine_for, deals):
    result = deal_pipeline(engine_for([], tables={DEALS: deals}), stuck_for="14d")
    stages = sales_rows(result.stages)
    assert [r["stage"] for r in stages] == SALES
    assert [r["reached"] for r in stages] == [5, 4, 2]
    assert [r["next_reached"] for r in stages] == [4, 2, 2]
    assert [r["conversion"] for r in stages] == pytest.approx([0.8, 0.5, 1.0])
    # stays in days: [2, 2, 1, 1], [5, 2, 10], [2, 8]; numpy's linear quantiles
    assert [r["stays"] for r in stages] == [4, 3, 2]
    assert [r["median_days"] for r in stages] == pytest.approx([1.5, 5.0, 5.0])
    assert [r["p90_days"] for r in stages] == pytest.approx([2.0, 9.0, 7.4])
    assert [(r["open_now"], r["stuck"]) for r in stages] == [(1, 0), (1, 1), (0, 0)]
    outcomes = {r["pipeline"]: r for r in result.outcomes.to_pylist()}
    assert outcomes["Продажи"] | {} == {"pipeline": "Продажи", "deals": 5, "won": 2, "lost": 1, "open": 2,
                                        "win_rate": pytest.approx(2 / 3)}
    assert outcomes["Партнёры"]["win_rate"] == 1.0
    assert result.as_of == dt.datetime(2026, 3, 20, 15)
    assert result.stuck.to_pylist() == [{"pipeline": "Продажи", "deal_id": "103", "manager": "Петров Олег",
                                         "stage": "Переговоры", "entered_at": dt.datetime(2026, 3, 6, 12),
                                         "days_in_stage": 14.12}]


def test_partners_pipeline_single_stage(deals, engine_for_duckdb):
    result = deal_pipeline(engine_for_duckdb(deals), pipeline="Партнёры")
    (row,) = result.stages.to_pylist()
    assert (row["stage"], row["reached"], row["next_reached"], row["conversion"]) == ("Заявка", 1, 1, 1.0)
    assert row["median_days"] == pytest.approx(5 + 8.5 / 24)  # 10.03 09:30 → 15.03 18:00


def test_per_manager(deals, engine_for_duckdb):
    result = deal_pipeline(engine_for_duckdb(deals), pipeline="Продажи", by="manager")
    by_manager: dict[str, list] = {}
    for r in result.stages.to_pylist():
        by_manager.setdefault(r["manager"], []).append(r)
    assert [r["reached"] for r in by_manager["Иванова Анна"]] == [2, 2, 1]
    assert [r["conversion"] for r in by_manager["Иванова Анна"]] == [1.0, 0.5, 1.0]
    assert [r["reached"] for r in by_manager["Петров Олег"]] == [3, 2, 1]
    assert by_manager["Петров Олег"][0]["conversion"] == pytest.approx(2 / 3)
    assert by_manager["Петров Олег"][1]["median_days"] == 10.0  # 105 only; 103 still open
    wins = {r["manager"]: r["win_rate"] for r in result.outcomes.to_pylist()}
    assert wins == {"Иванова Анна": 0.5, "Петров Олег": 1.0}


def test_stuck_threshold_and_as_of(deals, engine_for_duckdb):
    engine = engine_for_duckdb(deals)
    assert result_ids(deal_pipeline(engine, stuck_for="7d")) == ["103", "104"]
    assert result_ids(deal_pipeline(engine, stuck_for="14d", as_of=dt.datetime(2026, 3, 10))) == []
    later = deal_pipeline(engine, stuck_for="14d", as_of=dt.datetime(2026, 3, 22))
    assert result_ids(later) == ["103", "104"]


def test_an_earlier_as_of_leaves_the_later_rows_out(deals, engine_for_duckdb):
    # as of 09.03: 101 at Принимают решение (won 10.03), 105 at Переговоры (moved on 12.03), 102 lost;
    # the stays ending after 09.03 (105 at Переговоры, 101 at Принимают решение) are still open
    result = deal_pipeline(engine_for_duckdb(deals), as_of=dt.datetime(2026, 3, 9))
    stages = sales_rows(result.stages)
    assert [r["reached"] for r in stages] == [5, 4, 1]
    assert [r["stays"] for r in stages] == [4, 2, 0]
    assert [r["open_now"] for r in stages] == [1, 2, 1]
    assert [(r["pipeline"], r["won"], r["lost"], r["open"]) for r in result.outcomes.to_pylist()] == [
        ("Продажи", 0, 1, 4)]


def result_ids(result):
    return [r["deal_id"] for r in result.stuck.to_pylist()]


def test_given_stage_order(deals, engine_for_duckdb):
    order = ["Переговоры", "Первичный контакт"]  # Принимают решение follows, first-seen
    result = deal_pipeline(engine_for_duckdb(deals), pipeline="Продажи", stage_order={"Продажи": order})
    stages = result.stages.to_pylist()
    assert [r["stage"] for r in stages] == order + ["Принимают решение"]
    # furthest open stage now: 101, 105 → 3; 102, 103 → 2 (Первичный контакт); 104 → 2
    assert [r["reached"] for r in stages] == [5, 5, 2]


def test_errors(deals, engine_for_duckdb):
    engine = engine_for_duckdb(deals)
    with pytest.raises(DefinitionError, match="--by"):
        deal_pipeline(engine, by="channel")
    with pytest.raises(StoreError, match="no deals in pipeline 'Нет такой'"):
        deal_pipeline(engine, pipeline="Нет такой")
    import duckdb

    from voronka.engines.duckdb import DuckDBEngine

    with pytest.raises(StoreError, match="voronka ingest deals"):
        deal_pipeline(DuckDBEngine(duckdb.connect()))


@pytest.fixture
def engine_for_duckdb():
    from tests.backends import engine_for

    return lambda deals: engine_for([], "duckdb", tables={DEALS: deals})


def test_each_managers_plan_from_the_backwards_plan(deals, engine_for_duckdb):
    from voronka.crm import manager_plans

    result = deal_pipeline(engine_for_duckdb(deals), pipeline="Продажи", by="manager")
    # reached summed over managers 5, 4, 2, won 2 → rates 0.8, 0.5, 1.0; 2 managers, 3 won each:
    # team 6 won ← 6 / 1.0 = 6 ← 6 / 0.5 = 12 ← 12 / 0.8 = 15; per manager 7.5 → 8, 6, 3, 3
    plan = manager_plans(result, 3).to_pylist()
    mine = [r for r in plan if r["manager"] == "Иванова Анна"]
    assert [r["stage"] for r in mine] == SALES + ["won"]
    assert [r["per_seller_per_period"] for r in mine] == [8, 6, 3, 3]
    assert [r["per_seller_per_day"] for r in mine] == [1, 1, 1, 1]
    assert {r["manager"] for r in plan} == {"Иванова Анна", "Петров Олег"}
    never_won = deals.filter(pc.not_equal(deals.column("status"), "won"))
    with pytest.raises(DefinitionError, match="no deal reached 'won'"):
        manager_plans(deal_pipeline(engine_for_duckdb(never_won), pipeline="Продажи", by="manager"), 3)
    with pytest.raises(DefinitionError, match="--by manager"):
        manager_plans(deal_pipeline(engine_for_duckdb(deals), pipeline="Продажи"), 3)
