"""What the data supports (``voronka.reports.support``): the counts, on DuckDB and chdb, and
the reasons an analysis is left out."""

from __future__ import annotations

import pytest

from tests.backends import engine_for, event
from voronka.reports.support import MIN_REPEAT_CUSTOMERS, DataProfile, data_profile

ROWS = [event("a", 0, "site_visit"), event("a", 1, "purchase", revenue=5, currency="KZT"),
        event("a", 3000, "purchase", revenue=5, currency="KZT"),  # another day: a repeat customer
        event("b", 1, "complaint", referrer_id="a"), event("c", 2, "referral_invite"),
        event("d", 3, "site_visit", referrer_id="d")]  # one's own referrer does not count


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])
def test_the_profile_counts_what_the_analyses_need(backend: str) -> None:
    if backend == "chdb":
        pytest.importorskip("chdb")
    assert data_profile(engine_for(ROWS, backend)) == DataProfile(
        events=6, purchases=2, repeat_customers=1, referred=1, invitations=1, complaints=1, spend_rows=0)


def test_the_reasons_name_what_is_missing() -> None:
    empty = DataProfile(events=3, purchases=0, repeat_customers=0, referred=0, invitations=0, complaints=0,
                        spend_rows=0)
    assert set(empty.missing("en")) == {"money", "attribution", "loop", "clv", "referrals", "complaints",
                                          "deals"}
    assert empty.missing("en")["clv"] == f"fewer than {MIN_REPEAT_CUSTOMERS} customers with a repeat purchase (found 0)"
    full = DataProfile(events=9, purchases=9, repeat_customers=MIN_REPEAT_CUSTOMERS, referred=0, invitations=1,
                       complaints=1, spend_rows=1, deal_rows=1)
    assert full.missing("kk") == {}
