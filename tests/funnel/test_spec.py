"""The YAML form and the flags of a funnel mean the same thing; bad specs are located."""

from __future__ import annotations

import datetime as dt

import pytest

from voronka.errors import DefinitionError
from voronka.funnel.spec import build_funnel, load_funnel, parse_exclusion_flag


def test_yaml_file_equals_the_same_mapping(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        "steps:\n  - site_visit\n  - lead_magnet|callback_request\n"
        "  - key: big\n    events: [purchase]\n    where: [{field: revenue, op: gte, value: 10000}]\n"
        "window: 30d\nbreakdown: channel\ndate_from: 2026-01-01\ntimezone: Asia/Almaty\n"
        "exclusions:\n  - {events: [complaint], from_step: site_visit, to_step: big}\n",
        encoding="utf-8",
    )
    from_file = load_funnel(path)
    from_flags = build_funnel({
        "steps": ["site_visit", "lead_magnet|callback_request",
                  {"key": "big", "events": ["purchase"], "where": [{"field": "revenue", "op": "gte", "value": 10000}]}],
        "window": "30d", "breakdown": {"field": "channel"}, "date_from": dt.date(2026, 1, 1),
        "timezone": "Asia/Almaty", "exclusions": [parse_exclusion_flag("complaint:site_visit-big")],
    })
    assert from_file == from_flags
    assert from_file.steps[1].rule.events == ("lead_magnet", "callback_request")
    assert from_file.exclusions[0].to_step == 3


def test_flags_override_the_file(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("steps: [a, b]\nwindow: 7d\n", encoding="utf-8")
    assert load_funnel(path, overrides={"window": "1h"}).window == dt.timedelta(hours=1)


def test_model_steps_carry_labels_in_the_language():
    defn = build_funnel({"model": "hourglass"}, lang="ru")
    assert [s.key for s in defn.steps] == ["know", "like", "trust", "try", "buy", "repeat", "refer"]
    assert defn.steps[4].title == "Покупка"


def test_a_bad_field_is_named_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("steps: [a, b]\nwindow: 7d\norder: sideways\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_funnel(path)
    assert (info.value.line, info.value.field) == (3, "order")
    assert "bad.yaml" in str(info.value)


def test_steps_and_model_together_are_refused():
    with pytest.raises(DefinitionError, match="not both"):
        build_funnel({"model": "aida", "steps": ["a"]})


@pytest.mark.parametrize("text", ["refund", "refund:1", ":1-2"])
def test_bad_exclusion_flags(text):
    with pytest.raises(DefinitionError, match="EVENT:FROM-TO"):
        parse_exclusion_flag(text)


def test_flags_have_one_grammar_and_one_builder():
    from voronka.funnel.spec import funnel_definition

    defn = funnel_definition({"steps": "visit, lead|callback ,purchase", "exclude": "refund:1-3", "by": "channel",
                              "top": "3", "window": "7d", "date_from": "2026-03-01"})
    assert [s.rule.events for s in defn.steps] == [("visit",), ("lead", "callback"), ("purchase",)]
    assert defn.exclusions[0].rule.events == ("refund",) and defn.exclusions[0].to_step == 3
    assert defn.breakdown.field == "channel" and defn.breakdown.top == 3
    assert defn.date_from.isoformat() == "2026-03-01"
    assert [s.key for s in funnel_definition({}, default_model="hourglass").steps][:2] == ["know", "like"]
    for flags, message in [({}, "give steps, a model or a funnel file"),
                           ({"steps": "a", "model": "hourglass"}, "give steps or a model, not both"),
                           ({"steps": "a,b", "order": "sideways"}, "order")]:
        with pytest.raises(DefinitionError, match=message):
            funnel_definition(flags)


def test_a_star_step_matches_any_event():
    from voronka.funnel.spec import funnel_definition

    defn = funnel_definition({"steps": "visit,*,buy"})
    assert defn.steps[1].rule.events == () and defn.steps[1].rule.describe() == "any event"
