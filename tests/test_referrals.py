"""Referral tree, generations, promoters and commission, K-factor, cycle time: every engine;
a simulated referral process with a known K."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import event
from voronka.errors import DefinitionError
from voronka.referrals import referral_analysis

DAY = 24 * 60
YES, NO = {"rewarded": "true"}, {"rewarded": "false"}


def rows():
    return [
        event("a", 0, "site_visit"),
        event("a", 60, "purchase", revenue=100, currency="KZT"),
        event("a", 120, "referral_invite", properties=YES),
        event("a", 130, "referral_invite", properties=YES),
        event("b", DAY, "consultation", referrer_id="a", properties=YES),       # rewarded, generation 1
        event("b", DAY + 60, "purchase", referrer_id="a", revenue=200, currency="KZT"),
        event("c", 3 * DAY, "consultation", referrer_id="b", properties=NO),    # generation 2, fan's friend
        event("d", 30, "site_visit"),
        event("d", 3 * DAY + 10, "ad_view", referrer_id="c"),                   # c came later: dropped
        event("e", 4 * DAY, "site_visit", referrer_id="f"),                     # a cycle e ↔ f: e → f dropped
        event("f", 6 * DAY, "site_visit", referrer_id="e"),
        event("g", 7 * DAY, "site_visit", referrer_id="x-unknown"),             # referrer never seen
        event("h", 7 * DAY, "site_visit", referrer_id="h"),                     # self-reference ignored
    ]


def test_tree_generations_and_cycle_guard(engine_for):
    result = referral_analysis(engine_for(rows()))
    tree = {r["customer_id"]: r for r in result.customers.to_pylist()}
    assert {k: (v["referrer_id"], v["generation"]) for k, v in tree.items()} == {
        "a": (None, 0), "b": ("a", 1), "c": ("b", 2), "d": (None, 0), "e": (None, 0), "f": ("e", 1),
        "g": ("x-unknown", 1), "h": (None, 0)}
    assert (tree["b"]["rewarded"], tree["c"]["rewarded"], tree["a"]["rewarded"]) == (True, False, None)
    assert (tree["b"]["cycle_days"], tree["c"]["cycle_days"], tree["f"]["cycle_days"], tree["g"]["cycle_days"]) == (
        1.0, 2.0, 2.0, None)
    summary = result.summary.to_pylist()[0]
    assert (summary["referred"], summary["max_generation"], summary["dropped_links"]) == (4, 2, 2)
    assert summary["median_cycle_days"] == 2.0
    assert result.generations.to_pylist() == [
        {"generation": 0, "customers": 4, "buyers": 1, "revenue": 100.0},
        {"generation": 1, "customers": 3, "buyers": 1, "revenue": 200.0},
        {"generation": 2, "customers": 1, "buyers": 0, "revenue": 0.0}]


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])  # Spark: the first test of this file
def test_promoters_fans_and_commission(engine_for):
    result = referral_analysis(engine_for(rows()), commission=0.1)
    by = {r["referrer_id"]: r for r in result.referrers.to_pylist()}
    assert set(by) == {"a", "b", "e", "x-unknown"}
    a = by["a"]
    assert (a["kind"], a["referred"], a["rewarded_referred"], a["referred_buyers"]) == ("promoter", 1, 1, 1)
    assert (a["commission_base"], a["commission"], a["currency"]) == (200.0, 20.0, "KZT")
    assert (by["b"]["kind"], by["b"]["commission"]) == ("fan", 0.0)
    assert result.summary.to_pylist()[0]["commission_total"] == 20.0


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])  # Spark: the first test of this file
def test_rewarded_is_read_from_the_event_naming_the_counted_referrer(engine_for):
    # two referring events at the same moment: the smaller id (a) is the referrer, and
    # the reward flag of the event naming b does not make a a promoter
    result = referral_analysis(engine_for([
        event("a", 0, "site_visit"), event("b", 0, "site_visit"),
        event("k", DAY, "site_visit", event_id="k1", referrer_id="b", properties=YES),
        event("k", DAY, "site_visit", event_id="k2", referrer_id="a", properties=NO),
    ]))
    (k,) = [r for r in result.customers.to_pylist() if r["customer_id"] == "k"]
    assert (k["referrer_id"], k["rewarded"]) == ("a", False)
    assert result.referrers.select(["referrer_id", "kind"]).to_pylist() == [{"referrer_id": "a", "kind": "fan"}]


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])  # Spark: the first test of this file
def test_k_factor_and_referred_vs_others(engine_for):
    result = referral_analysis(engine_for(rows()))
    (k,) = result.k_factor.to_pylist()
    assert (k["active"], k["new"], k["referred_new"], k["invitations"]) == (8, 8, 4, 2)
    assert (k["invites_per_customer"], k["invite_conversion"]) == (0.25, 2.0)
    assert k["k_invitations"] == k["k_referred"] == 0.5
    assert k["median_cycle_days"] == 2.0
    compare = {r["group"]: r for r in result.comparison.to_pylist()}
    assert (compare["referred"]["customers"], compare["referred"]["buyers"]) == (4, 1)
    assert compare["referred"]["conversion"] == compare["not_referred"]["conversion"] == 0.25
    assert compare["referred"]["median_days_to_purchase"] == pytest.approx(1 / 24)
    assert compare["not_referred"]["mean_touches_before_purchase"] == 1.0


def test_without_invitations_only_k_referred():
    from tests.backends import engine_for

    plain = [r for r in rows() if r["event"] != "referral_invite"]
    (k,) = referral_analysis(engine_for(plain)).k_factor.to_pylist()
    assert (k["invitations"], k["invites_per_customer"], k["k_invitations"]) == (0, None, None)
    assert k["k_referred"] == 0.5


def simulated_referrals(seeds: int, invites_mean: float, convert: float, seed: int) -> list[dict]:
    """Each customer sends Poisson(invites_mean) invitations; each brings a friend with
    probability ``convert``: K = invites_mean × convert (all within one day)."""
    rng = np.random.default_rng(seed)
    out, queue, n = [], [(f"s{i}", float(i % 50), None) for i in range(seeds)], 0
    while queue:
        cid, t, ref = queue.pop()
        out.append(event(cid, t, "site_visit", referrer_id=ref))
        for k in range(rng.poisson(invites_mean)):
            out.append(event(cid, t + 1, "referral_invite", event_id=f"{cid}-inv{k}"))
            if rng.random() < convert:
                n += 1
                queue.append((f"r{n}", t + 2, cid))
    return out


def test_a_simulated_process_with_known_k_is_recovered():
    from tests.backends import engine_for

    data = simulated_referrals(3000, invites_mean=2.0, convert=0.3, seed=11)
    result = referral_analysis(engine_for(data))
    (k,) = result.k_factor.to_pylist()
    assert k["invites_per_customer"] == pytest.approx(2.0, abs=0.06)
    assert k["invite_conversion"] == pytest.approx(0.3, abs=0.02)
    assert k["k_invitations"] == pytest.approx(0.6, abs=0.03)
    assert result.summary.to_pylist()[0]["dropped_links"] == 0


def test_bad_options_are_user_errors():
    from tests.backends import engine_for

    with pytest.raises(DefinitionError, match="period"):
        referral_analysis(engine_for(rows()), period="year")
    with pytest.raises(DefinitionError, match="commission"):
        referral_analysis(engine_for(rows()), commission=10)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 12))), min_size=1, max_size=12))
def test_any_referrer_graph_gives_a_finite_consistent_tree(people):
    """Random first times and referrers (cycles, self-references, unknown ids): every
    kept link points to an earlier customer or an unknown one, and generations add up."""
    import datetime as dt

    from voronka.referrals import referral_tree

    t0 = dt.datetime(2026, 1, 1)
    rows = [{"customer_id": f"p{i}", "first_ts": t0 + dt.timedelta(days=day),
             "referrer_raw": None if ref is None or ref == i else f"p{ref}", "rewarded": 0, "first_period": None,
             "invitations": 0, "first_purchase": None, "occasions": 0, "revenue": 0.0, "touches_before_purchase": 0}
            for i, (day, ref) in enumerate(people)]
    tree, dropped = referral_tree(rows)
    by = {c["customer_id"]: c for c in tree}
    kept = 0
    for c in tree:
        ref = c["referrer_id"]
        if ref is None:
            assert c["generation"] == 0
            continue
        kept += 1
        if ref in by:
            assert by[ref]["first_seen"] < c["first_seen"]
            assert c["generation"] == by[ref]["generation"] + 1
        else:
            assert c["generation"] == 1
    assert kept + dropped == sum(r["referrer_raw"] is not None for r in rows)
