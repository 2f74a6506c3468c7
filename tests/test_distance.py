"""Negative experiences, steps and time to resolution, outcomes by group: every engine."""

from __future__ import annotations

import pytest

from tests.backends import at, event
from voronka.distance import distance_analysis
from voronka.rules import StepRule

DAY = 24 * 60


def rows():
    return [
        event("a", 0, "purchase", revenue=10, currency="KZT"),
        event("a", DAY, "complaint"),
        event("a", DAY + 60, "support_contact"),
        event("a", DAY + 120, "support_contact"),
        event("a", 2 * DAY, "complaint_resolved"),
        event("a", 3 * DAY, "support_contact"),               # after the resolution: not a step
        event("a", 10 * DAY, "purchase", revenue=10, currency="KZT"),
        event("b", 0, "purchase", revenue=10, currency="KZT"),
        event("b", DAY, "complaint"),
        event("b", DAY + 60, "support_contact"),              # never resolved
        event("c", 0, "purchase", revenue=10, currency="KZT"),
        event("c", 5 * DAY, "purchase", revenue=10, currency="KZT"),
        event("d", 100 * DAY, "site_visit", referrer_id="c"),  # not in the population; sets as_of
        event("e", 2 * DAY, "complaint"),                     # complained without buying
    ]


def test_summary_of_negative_experiences(engine_for):
    result = distance_analysis(engine_for(rows()), churn_after="90d")
    s = result.summary.to_pylist()[0]
    assert (s["population"], s["negative"], s["negative_share"]) == (4, 3, 0.75)
    assert s["resolved_share"] == pytest.approx(1 / 3)
    assert (s["mean_steps"], s["median_steps"], s["median_days_to_resolution"]) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])  # Spark: the first test of this file
def test_events_after_as_of_do_not_count(engine_for):
    # at DAY + 90 min: a's case is still open (resolved on day 2), e has not complained yet
    s = distance_analysis(engine_for(rows()), as_of=at(DAY + 90)).summary.to_pylist()[0]
    assert (s["population"], s["negative"], s["resolved_share"]) == (3, 2, 0.0)
    assert (s["mean_steps"], s["median_days_to_resolution"]) == (1.0, None)


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])  # Spark: the first test of this file
def test_outcomes_by_group(engine_for):
    out = {r["group"]: r for r in distance_analysis(engine_for(rows()), churn_after="90d").outcomes.to_pylist()}
    assert out["no_complaint"] == {"group": "no_complaint", "customers": 1, "repeat_share": 1.0,
                                   "purchase_after_share": None, "churned_share": 1.0, "referrer_share": 1.0,
                                   "mean_steps": None, "median_days_to_resolution": None}
    assert out["resolved"] == {"group": "resolved", "customers": 1, "repeat_share": 1.0, "purchase_after_share": 1.0,
                               "churned_share": 0.0, "referrer_share": 0.0, "mean_steps": 2.0,
                               "median_days_to_resolution": 1.0}
    assert out["unresolved"]["customers"] == 2
    assert (out["unresolved"]["repeat_share"], out["unresolved"]["purchase_after_share"],
            out["unresolved"]["churned_share"], out["unresolved"]["mean_steps"]) == (0.0, 0.0, 1.0, 0.5)


def test_event_names_are_configurable():
    from tests.backends import engine_for

    renamed = [dict(r, event={"complaint": "ticket_opened", "complaint_resolved": "ticket_closed"}.get(r["event"],
                                                                                                      r["event"]))
               for r in rows()]
    result = distance_analysis(engine_for(renamed), complaint=StepRule(events=["ticket_opened"]),
                               resolved=StepRule(events=["ticket_closed"]))
    assert result.summary.to_pylist()[0]["negative"] == 3
    assert distance_analysis(engine_for(renamed)).summary.to_pylist()[0]["negative"] == 0
