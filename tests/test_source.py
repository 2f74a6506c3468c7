"""``voronka.source``: the filter and unit grammar, and a ``Source``'s events on every backend —
a filter equals loading only the rows it keeps, a unit column equals loading it as the
customer, and sessions are cut as docs/source.md says."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import event
from voronka.errors import DefinitionError
from voronka.funnel import compute_funnel
from voronka.funnel.spec import funnel_definition
from voronka.paths import compute_paths
from voronka.rules import Condition, condition_holds
from voronka.source import CUSTOMER, Source, Unit, parse_unit, parse_where
from voronka.touches import compute_touches

FUNNEL = funnel_definition({"steps": "visit,signup|lead,purchase", "window": "2h"})


@pytest.mark.parametrize("text, field, op, value", [
    ("platform=mobile", "platform", "eq", "mobile"),
    ("channel != tv", "channel", "ne", "tv"),
    ("plan in basic|pro", "plan", "in", ["basic", "pro"]),
    ("plan not in basic", "plan", "not_in", ["basic"]),
    ("revenue>100", "revenue", "gt", 100.0),
    ("score>=2.5", "score", "gte", 2.5),
    ("age<30", "age", "lt", 30.0),
    ("age<=30", "age", "lte", 30.0),
    ("revenue=0", "revenue", "eq", 0.0),
    ("coupon is null", "coupon", "is_null", None),
    ("coupon IS NOT NULL", "coupon", "not_null", None),
    ("url=https://x.kz/?a=b", "url", "eq", "https://x.kz/?a=b"),
])
def test_where_grammar(text, field, op, value):
    assert parse_where(text) == Condition(field=field, op=op, value=value)


@pytest.mark.parametrize("text, why", [
    ("platform", "not a filter"),
    ("age>young", "'young' is not a number"),
    ("platform=", "no value"),
    ("plan in |", "no values"),
])
def test_where_errors_name_the_option_and_the_text(text, why):
    with pytest.raises(DefinitionError) as caught:
        parse_where(text)
    assert f"--where {text!r}: {why}" in str(caught.value) and caught.value.field == "where"


def test_null_conditions_in_the_python_matcher():
    row = {"event": "visit", "properties": {"coupon": "X"}}
    assert condition_holds(parse_where("coupon is not null"), row)
    assert not condition_holds(parse_where("coupon is null"), row)
    assert condition_holds(parse_where("plan is null"), row)
    with pytest.raises(ValueError):
        Condition(field="plan", op="is_null", value="x")


def test_unit_grammar():
    assert parse_unit(None) == parse_unit("customer") == CUSTOMER
    assert parse_unit("session") == Unit("session", gap=dt.timedelta(minutes=30))
    assert parse_unit("session", "45m") == Unit("session", gap=dt.timedelta(minutes=45))
    assert parse_unit("company_id") == Unit("field", field="company_id")
    for unit, gap, message in [("session", "soon", "--session-gap 'soon'"), ("session", "0m", "longer than zero"),
                               ("company_id", "30m", "needs --unit session"), ("a b", None, "--unit 'a b'")]:
        with pytest.raises(DefinitionError, match=message):
            parse_unit(unit, gap)


def _rows() -> list[dict]:
    """Three customers on two platforms, with sessions (a property) and a column filter (channel)."""
    return [
        event("a", 0, "visit", channel="tv", properties={"platform": "mobile", "session_id": "s1"}),
        event("a", 5, "signup", channel="tv", properties={"platform": "mobile", "session_id": "s1"}),
        event("a", 20, "purchase", channel="tv", properties={"platform": "desktop", "session_id": "s2"}),
        event("a", 60, "visit", channel="web", properties={"platform": "mobile", "session_id": "s3"}),
        event("a", 70, "purchase", channel="web", properties={"platform": "mobile", "session_id": "s3"}),
        event("b", 0, "visit", channel="web", properties={"platform": "desktop", "session_id": "s4"}),
        event("b", 3, "lead", channel="web", properties={"platform": "mobile", "session_id": "s4"}),
        event("b", 9, "purchase", channel="web", properties={"platform": "mobile", "session_id": "s4"}),
        event("c", 1, "visit", channel="tv", properties={"session_id": "s5"}),
        event("c", 2, "lead", channel="tv", properties={"platform": "mobile"}),
        event("c", 1500, "purchase", channel="tv", properties={"platform": "mobile", "session_id": "s5"}),
    ]


def _steps(result) -> list[tuple]:
    return [(r["step"], r["customers"], r["conversion_from_first"]) for r in result.steps.to_pylist()]


def test_a_filter_equals_loading_only_the_rows_it_keeps(engine_for):
    rows = _rows()
    where = (parse_where("platform=mobile"), parse_where("channel!=web"))
    kept = [r for r in rows if r["properties"].get("platform") == "mobile" and r["channel"] != "web"]
    filtered, loaded = Source(engine_for(rows), where=where), engine_for(kept)
    assert _steps(compute_funnel(filtered, FUNNEL)) == _steps(compute_funnel(loaded, FUNNEL))
    assert _steps(compute_funnel(filtered, FUNNEL)) != _steps(compute_funnel(engine_for(rows), FUNNEL))
    touches = [compute_touches(e, conversion="purchase").by_touches.to_pylist() for e in (filtered, loaded)]
    assert touches[0] == touches[1]


def test_a_date_range_equals_loading_only_its_days(engine_for):
    rows = _rows()  # T0 is 2026-03-02 09:00 UTC = 14:00 in Almaty; minute 1500 is the next day
    day = Source(engine_for(rows), since=dt.date(2026, 3, 2), until=dt.date(2026, 3, 2), timezone="Asia/Almaty")
    kept = engine_for([r for r in rows if r["ts"] < dt.datetime(2026, 3, 2, 19, 0)])
    assert _steps(compute_funnel(day, FUNNEL)) == _steps(compute_funnel(kept, FUNNEL))
    later = Source(engine_for(rows), since=dt.date(2026, 3, 3), timezone="Asia/Almaty")
    assert later.query(f"SELECT count(*) AS n FROM {later.tables()[0]} AS e").column("n")[0].as_py() == 1


def test_a_unit_column_equals_loading_it_as_the_customer(engine_for):
    rows = _rows()
    as_sessions = [dict(r, customer_id=r["properties"]["session_id"]) for r in rows if "session_id" in r["properties"]]
    by_session = Source(engine_for(rows), unit=parse_unit("session_id"))
    assert _steps(compute_funnel(by_session, FUNNEL)) == _steps(compute_funnel(engine_for(as_sessions), FUNNEL))
    paths = [compute_paths(e, conversion="purchase").top.to_pylist() for e in (by_session, engine_for(as_sessions))]
    assert paths[0] == paths[1]


def test_sessions_are_cut_after_more_than_the_gap(engine_for):
    rows = [
        event("a", 0, "visit"), event("a", 10, "signup"),
        event("a", 41, "visit"),                          # 31 minutes after: a new session
        event("a", 71, "purchase"),                       # exactly 30 minutes after: the same session
        event("b", 0, "visit"), event("b", 0, "visit", event_id="b-tie"),  # equal times: one session
        event("b", 31, "purchase"),                       # 31 minutes after: a session of its own
    ]
    source = Source(engine_for(rows), unit=parse_unit("session", "30m"))
    sessions = source.query(f"SELECT customer_id, count(*) AS n FROM {source.tables()[0]} AS e "
                            "GROUP BY customer_id ORDER BY customer_id").to_pylist()
    assert sessions == [{"customer_id": "a#1", "n": 2}, {"customer_id": "a#2", "n": 2},
                        {"customer_id": "b#1", "n": 2}, {"customer_id": "b#2", "n": 1}]
    steps = _steps(compute_funnel(source, funnel_definition({"steps": "visit,purchase"})))
    assert steps == [(1, 3, 1.0), (2, 1, pytest.approx(1 / 3))]
    longer = Source(source.engine, unit=parse_unit("session", "31m"))  # 31 minutes is no longer "more than"
    assert _steps(compute_funnel(longer, funnel_definition({"steps": "visit,purchase"}))) == [(1, 2, 1.0), (2, 2, 1.0)]


def test_filters_read_ids_through_the_alias_map_of_every_event(engine_for):
    rows = [
        event("anon", 0, "visit", properties={"platform": "mobile"}),
        event("u1", 5, "identify", properties={"alias": "anon"}),
        event("u1", 10, "purchase", properties={"platform": "mobile"}),
    ]
    source = Source(engine_for(rows), where=(parse_where("platform=mobile"),))
    assert _steps(compute_funnel(source, funnel_definition({"steps": "visit,purchase"}))) == [(1, 1, 1.0), (2, 1, 1.0)]


def test_the_widest_date_range_keeps_every_event(engine_for):
    """``--since 0001-01-01 --until 9999-12-31`` (the HTTP fuzz found the day after the last one
    overflowing): every event kept, no upper bound."""
    rows = _rows()
    widest = Source(engine_for(rows), since=dt.date.min, until=dt.date.max)
    assert _steps(compute_funnel(widest, FUNNEL)) == _steps(compute_funnel(engine_for(rows), FUNNEL))
