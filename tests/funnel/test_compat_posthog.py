"""``compat: posthog``: PostHog's funnel counts, on every engine.

Each case is a test of PostHog's public funnel suite (``posthog/hogql_queries/insights/
funnels/test/``), cited by file and test name, as data: the persons' events, the funnel
and PostHog's expected counts per step (or per breakdown value and step, or the
time-to-convert bins). Events the test creates without a timestamp follow each other one
second apart, in the order created. docs/funnels.md lists the cases not ported and why.
"""

from __future__ import annotations

import datetime as dt

import pytest

from voronka.funnel import compute_funnel
from voronka.funnel.outcomes import time_to_convert
from voronka.funnel.spec import build_funnel

BASE = dt.datetime(2021, 5, 1)


def journeys(people: dict[str, list]) -> list[dict]:
    """Events from ``{person: [(timestamp or None, event[, properties]), ...]}``."""
    rows = []
    for p, (person, events) in enumerate(people.items()):
        for i, item in enumerate(events):
            when, name, props = item if len(item) == 3 else (*item, {})
            ts = dt.datetime.fromisoformat(when) if when else BASE + dt.timedelta(hours=p, seconds=i)
            rows.append({"event_id": f"{person}-{i:03d}", "customer_id": person, "ts": ts, "event": name,
                         "channel": None, "campaign": None, "revenue": None, "currency": None, "referrer_id": None,
                         "properties": dict(props)})
    return rows


def counts(engine, spec: dict) -> dict:
    """Units per step, or per breakdown value: ``{value: [units at step 1, ...]}``."""
    spec = {**spec, "steps": [s if isinstance(s, dict) else {"key": f"{i}:{s}", "events": [s]}
                              for i, s in enumerate(spec["steps"])]}
    steps = compute_funnel(engine, build_funnel({"compat": "posthog", **spec})).steps.to_pylist()
    if "breakdown" not in spec:
        return [r["customers"] for r in steps]  # type: ignore[return-value]
    out: dict = {}
    for r in steps:
        out.setdefault(r["breakdown"], []).append(r["customers"])
    return out


# test_funnel.py::test_funnel_exclusions_full_window
FULL_WINDOW = journeys({
    "person1": [("2021-05-01 01:00", "user signed up"), ("2021-05-01 02:00", "paid")],
    "person2": [("2021-05-01 03:00", "user signed up"), ("2021-05-01 03:30", "x 1 name with numbers 2"),
                ("2021-05-01 04:00", "paid")],
    "person3": [("2021-05-01 05:00", "user signed up"), ("2021-05-01 06:00", "paid")],
})

# test_funnel_unordered.py::test_funnel_exclusions_full_window (the same persons, the exclusion named x)
FULL_WINDOW_X = [dict(r, event="x") if r["event"].startswith("x ") else r for r in FULL_WINDOW]

# test_funnel.py::test_advanced_funnel_exclusions_between_steps
_STEPS5 = ["user signed up", "$pageview", "insight viewed", "invite teammate", "pageview2"]
BETWEEN = journeys({
    "person1": [("2021-05-01 01:00", "user signed up"), ("2021-05-01 02:00", "$pageview"), ("2021-05-01 03:00", "x"),
                ("2021-05-01 04:00", "insight viewed"), ("2021-05-01 04:30", "x"),
                ("2021-05-01 05:00", "invite teammate"), ("2021-05-01 05:30", "x"), ("2021-05-01 06:00", "pageview2")],
    "person2": [("2021-05-01 01:00", "user signed up"), ("2021-05-01 02:00", "$pageview"),
                ("2021-05-01 04:00", "insight viewed"), ("2021-05-01 04:30", "x"),
                ("2021-05-01 05:00", "invite teammate"), ("2021-05-01 05:30", "x"), ("2021-05-01 06:00", "pageview2")],
    "person3": [("2021-05-01 01:00", "user signed up"), ("2021-05-01 01:30", "x"), ("2021-05-01 02:00", "$pageview"),
                ("2021-05-01 04:00", "insight viewed"), ("2021-05-01 05:00", "invite teammate"),
                ("2021-05-01 05:30", "x"), ("2021-05-01 06:00", "pageview2")],
})

# test_funnel.py::test_advanced_funnel_with_repeat_steps
REPEAT = journeys({
    "stopped_after_signup1": [(None, "user signed up")],
    "stopped_after_pageview1": [(None, "user signed up"), (None, "$pageview")],
    "stopped_after_pageview2": [(None, "user signed up"), (None, "$pageview"), (None, "blaah blaa"),
                                (None, "$pageview")],
    "stopped_after_pageview3": [(None, "user signed up"), (None, "$pageview"), (None, "blaah blaa"),
                                (None, "$pageview"), (None, "$pageview"), (None, "blaah blaa")],
    "stopped_after_pageview4": [(None, "user signed up")] + [(None, "$pageview")] * 4,
})

# test_funnel_strict.py::test_basic_strict_funnel
STRICT = journeys({
    "stopped_after_signup1": [(None, "user signed up")],
    "stopped_after_pageview1": [(None, "$pageview"), (None, "user signed up")],
    "stopped_after_insightview": [(None, "user signed up"), (None, "$pageview"), (None, "blaah blaa"),
                                  (None, "insight viewed")],
    "stopped_after_insightview2": [(None, "insight viewed"), (None, "blaah blaa"), (None, "$pageview"),
                                   (None, "user signed up")],
    "stopped_after_insightview3": [(None, "$pageview"), (None, "user signed up"), (None, "blaah blaa"),
                                   (None, "$pageview"), (None, "insight viewed")],
    "person6": [(None, "blaah blaa"), (None, "user signed up"), (None, "blaah blaa"), (None, "$pageview")],
    "person7": [(None, "blaah blaa"), (None, "user signed up"), (None, "$pageview"), (None, "insight viewed"),
                (None, "blaah blaa")],
    "stopped_after_insightview6": [(None, "insight viewed"), (None, "$pageview")],
})

# test_funnel_strict.py::test_advanced_strict_funnel (the actions: the event with key = val)
_VAL = {"key": "val"}
ADVANCED_STRICT = journeys({
    "stopped_after_signup1": [(None, "user signed up")],
    "stopped_after_pageview1": [(None, "user signed up"), (None, "$pageview")],
    "stopped_after_insightview": [(None, "user signed up"), (None, "sign up", _VAL), (None, "sign up", {"key": "val2"}),
                                  (None, "$pageview"), (None, "blaah blaa"), (None, "insight viewed")],
    "person4": [(None, "blaah blaa"), (None, "user signed up"), (None, "sign up", _VAL), (None, "$pageview", _VAL),
                (None, "blaah blaa")],
    "person5": [(None, "blaah blaa"), (None, "user signed up"), (None, "sign up", _VAL), (None, "$pageview"),
                (None, "blaah blaa")],
    "person6": [(None, "blaah blaa"), (None, "user signed up"), (None, "sign up", _VAL), (None, "$pageview"),
                (None, "pageview", {"key": "val1"})],
    "person7": [(None, "blaah blaa"), (None, "user signed up"), (None, "sign up", _VAL), (None, "$pageview"),
                (None, "user signed up"), (None, "pageview", _VAL)],
    "person8": [(None, "blaah blaa"), (None, "user signed up"), (None, "user signed up"), (None, "sign up", _VAL),
                (None, "$pageview"), (None, "pageview", _VAL)],
})
_ACTION = [{"field": "key", "op": "eq", "value": "val"}]
ADVANCED_STRICT_STEPS = ["user signed up", {"key": "sign up", "events": ["sign up"], "where": _ACTION}, "$pageview",
                         {"key": "pageview", "events": ["pageview"], "where": _ACTION}]

# test_funnel_strict.py::test_basic_strict_funnel_conversion_times
STRICT_TIMES = journeys({
    "stopped_after_signup1": [("2021-05-02 00:00", "user signed up")],
    "stopped_after_pageview1": [("2021-05-02 00:00", "user signed up"), ("2021-05-02 01:00", "$pageview")],
    "stopped_after_insightview": [("2021-05-02 00:00", "user signed up"), ("2021-05-02 02:00", "$pageview"),
                                  ("2021-05-02 04:00", "insight viewed")],
})

# test_funnel_strict.py::test_strict_breakdown_events_with_multiple_properties
STRICT_BREAKDOWN = journeys({
    "person1": [("2020-01-01 12:00", "sign up", {"$browser": "Chrome"}),
                ("2020-01-01 13:00", "blah", {"$browser": "Chrome"}),
                ("2020-01-01 14:00", "play movie", {"$browser": "Chrome"})],
    "person2": [("2020-01-02 13:00", "sign up", {"$browser": "Safari"}),
                ("2020-01-02 14:00", "play movie", {"$browser": "Safari"})],
})

# test_funnel_strict.py::test_different_prop_val_in_strict_filter
PROP_VAL = journeys({"many_other_events": [
    (None, "first", {"bd": "one"}), (None, "first", {"bd": "two"}), (None, "unmatched", {"bd": "one"}),
    (None, "unmatched", {"bd": "two"}), (None, "second", {"bd": "one"}), (None, "second", {"bd": "two"})]})

# test_funnel_strict.py::test_multiple_events_same_timestamp_doesnt_blow_up
SAME_TIME = journeys({"test": [("2024-01-10 12:01", "step one")] * 30 + [("2024-01-10 12:01", "step two"),
                                                                         ("2024-01-10 12:01", "step three")]})

# test_funnel_time_to_convert.py (the three users of test_auto_bin_count_single_step, ...)
TTC = journeys({
    "user a": [("2021-06-08 18:00", "step one"), ("2021-06-08 19:00", "step two"), ("2021-06-08 21:00", "step three")],
    "user b": [("2021-06-09 13:00", "step one"), ("2021-06-09 13:37", "step two")],
    "user c": [("2021-06-11 07:00", "step one"), ("2021-06-12 06:00", "step two")],
})
TTC_UNORDERED = journeys({  # test_basic_unordered
    "user a": [("2021-06-08 18:00", "step three"), ("2021-06-08 19:00", "step one"), ("2021-06-08 21:00", "step two")],
    "user b": [("2021-06-09 13:00", "step one"), ("2021-06-09 13:37", "step two")],
    "user c": [("2021-06-11 07:00", "step two"), ("2021-06-12 06:00", "step one")],
})
TTC_DUPLICATES = journeys({  # test_auto_bin_count_single_step_duplicate_events
    "user a": [("2021-06-08 18:00", "step one"), ("2021-06-08 19:00", "step one"), ("2021-06-08 21:00", "step one")],
    "user b": [("2021-06-09 13:00", "step one"), ("2021-06-09 13:37", "step one")],
    "user c": [("2021-06-11 07:00", "step one"), ("2021-06-12 06:00", "step one")],
})
# breakdown_cases.py (every order): test_funnel_step_breakdown_with_first_touch_attribution, ..._last_touch_...,
# ..._step_zero_attribution / ..._step_one_attribution (person5 only in the touch tests)
def _attribution_people(last: bool, person5: bool) -> list[dict]:
    people = {
        "person1": [("2020-01-01 12:00", "sign up", {"$browser": "Chrome"}), ("2020-01-01 13:00", "buy")],
        "person2": [("2020-01-01 13:00", "sign up"), ("2020-01-02 13:00", "buy", {"$browser": "Safari"})],
        "person3": [("2020-01-02 14:00", "sign up", {"$browser": "Mac"}), ("2020-01-02 15:00", "buy")],
        "person4": [("2020-01-02 15:00", "sign up", {"$browser": 0}),
                    ("2020-01-02 16:00", "buy", {"$browser": "Alakazam" if last else "alakazam"})],
    }
    if person5:
        people["person5"] = [("2020-01-02 15:00", "sign up"), ("2020-01-02 16:00", "buy")]
    return journeys(people)


# breakdown_cases.py::test_funnel_breakdown_correct_breakdown_props_are_chosen_for_step (step 2: buy with
# $version xyz; person5 never reaches it and is not counted at all)
_XYZ = [{"field": "$version", "op": "eq", "value": "xyz"}]
CHOSEN_FOR_STEP = journeys({
    "person1": [("2020-01-01 12:00", "sign up", {"$browser": "Chrome", "$version": "xyz"}),
                ("2020-01-01 13:00", "buy", {"$browser": "Chrome"})],
    "person2": [("2020-01-01 13:00", "sign up"),
                ("2020-01-02 13:00", "buy", {"$browser": "Safari", "$version": "xyz"})],
    "person3": [("2020-01-02 14:00", "sign up", {"$browser": "Mac"}),
                ("2020-01-02 15:00", "buy", {"$version": "xyz", "$browser": "Mac"})],
    "person5": [("2020-01-02 15:00", "sign up"), ("2020-01-02 16:00", "buy")],
})

# breakdown_cases.py::test_funnel_step_breakdown_limit (breakdown_limit 5: the values 5..9, the rest Other)
LIMIT = journeys({f"person_{num}_{i}": [("2020-01-01 12:00", name, {"some_breakdown_val": str(num)})
                                       for name in ("sign up", "play movie", "buy")]
                  for num in range(10) for i in range(num)})

# breakdown_cases.py::test_funnel_step_multiple_breakdown_with_first_touch_attribution
MULTIPLE_FIRST_TOUCH = journeys({
    "person1": [("2020-01-01 12:00", "sign up", {"$browser": "Chrome", "$version": "xyz"}),
                ("2020-01-01 13:00", "buy")],
    "person2": [("2020-01-01 13:00", "sign up"),
                ("2020-01-02 13:00", "buy", {"$browser": "Safari", "$version": "xyz"})],
    "person3": [("2020-01-02 14:00", "sign up", {"$browser": "Mac"}),
                ("2020-01-02 15:00", "buy", {"$version": "no-mac"})],
    "person4": [("2020-01-02 15:00", "sign up", {"$browser": 0, "$version": 0}),
                ("2020-01-02 16:00", "buy", {"$browser": "alakazam"})],
    "person5": [("2020-01-02 15:00", "sign up"), ("2020-01-02 16:00", "buy")],
})

# breakdown_cases.py::test_funnel_step_multi_property_breakdown_event (and, by $browser alone,
# ::test_funnel_step_breakdown_event_with_string_only_breakdown)
_CHROME = {"key": "val", "$browser": "Chrome", "$browser_version": 95}
MULTI_PROPERTY = journeys({
    "person1": [("2020-01-01 12:00", "sign up", _CHROME), ("2020-01-01 13:00", "play movie", _CHROME),
                ("2020-01-01 15:00", "buy", _CHROME)],
    "person2": [("2020-01-02 14:00", "sign up", {"key": "val", "$browser": "Safari", "$browser_version": 15}),
                ("2020-01-02 16:00", "play movie", {"key": "val", "$browser": "Safari", "$browser_version": 15})],
    "person3": [("2020-01-02 14:00", "sign up", {"key": "val", "$browser": "Safari", "$browser_version": 14})],
})

# breakdown_cases.py::test_basic_funnel_default_funnel_days_breakdown_event
_DOCS = {"$current_url": "https://posthog.com/docs/x"}
CURRENT_URL = journeys({"user_1": [("2020-01-02 14:00", "user signed up", _DOCS), ("2020-01-10 14:00", "paid", _DOCS)]
                        + [("2020-01-02 14:00", "user signed up", {"$current_url": f"https://posthog.com/blog/{c}"})
                           for c in "abcdefghijklmnopqrst" for _ in range(2)]})

# test_funnel_unordered.py::test_basic_unordered_funnel
UNORDERED = journeys({
    "stopped_after_signup1": [(None, "user signed up")],
    "stopped_after_pageview1": [(None, "$pageview"), (None, "user signed up")],
    "stopped_after_insightview": [(None, "user signed up"), (None, "$pageview"), (None, "blaah blaa"),
                                  (None, "insight viewed")],
    "stopped_after_insightview2": [(None, "insight viewed"), (None, "$pageview"), (None, "user signed up")],
    "stopped_after_insightview3": [(None, "$pageview"), (None, "user signed up"), (None, "blaah blaa"),
                                   (None, "insight viewed")],
    "stopped_after_insightview4": [(None, "blaah blaa"), (None, "insight viewed")],
    "stopped_after_insightview5": [(None, "$pageview"), (None, "blaah blaa")],
    "stopped_after_insightview6": [(None, "insight viewed"), (None, "$pageview")],
})

# test_funnel_unordered.py::test_unordered_exclusion_after_completion
AFTER_COMPLETION = journeys({"person1": [("2021-05-01 01:00", "user signed up"), ("2021-05-01 02:00", "paid"),
                                         ("2021-05-01 03:00", "left"), ("2021-05-01 04:00", "x"),
                                         ("2021-05-01 05:00", "left")]})

# test_funnel_unordered.py::test_advanced_funnel_multiple_exclusions_between_steps
_H = "2021-05-01 0{}:{}"
MULTIPLE_EXCLUSIONS = journeys({person: [(_H.format(t[0], t[1:] or "00"), e) for t, e in events] for person, events in {
    "person1": [("1", "user signed up"), ("2", "x"), ("3", "$pageview"), ("4", "insight viewed"), ("430", "y"),
                ("5", "invite teammate"), ("6", "pageview2")],
    "person2": [("1", "user signed up"), ("130", "y"), ("2", "$pageview"), ("4", "insight viewed"), ("430", "y"),
                ("5", "invite teammate"), ("530", "x"), ("6", "pageview2")],
    "person3": [("1", "user signed up"), ("130", "x"), ("2", "$pageview"), ("4", "insight viewed"),
                ("5", "invite teammate"), ("530", "x"), ("6", "pageview2")],
    "person4": [("1", "user signed up"), ("2", "$pageview"), ("4", "insight viewed"), ("5", "invite teammate"),
                ("6", "pageview2")],
    "person5": [("1", "user signed up"), ("130", "x"), ("2", "$pageview"), ("230", "x"), ("4", "insight viewed"),
                ("430", "y"), ("5", "invite teammate"), ("530", "x"), ("6", "pageview2")],
}.items()})

_AUTO_BINS = [(2220.0, 2), (42510.0, 0), (82800.0, 1)]


def _exclusion(events, from0: int, to0: int) -> dict:
    """An exclusion in PostHog's 0-based ``funnel_from_step``/``funnel_to_step``."""
    return {"events": events, "from_step": from0 + 1, "to_step": to0 + 1}


CASES = {  # name: (events, funnel, PostHog's counts)
    "test_funnel.py::test_funnel_exclusions_full_window": (
        FULL_WINDOW, {"steps": ["user signed up", "paid"],
                      "exclusions": [_exclusion(["x 1 name with numbers 2"], 0, 1)]},
        [2, 2]),
    "test_funnel.py::test_advanced_funnel_with_repeat_steps": (
        REPEAT, {"steps": ["user signed up"] + ["$pageview"] * 4}, [5, 4, 3, 2, 1]),
    "test_funnel_strict.py::test_basic_strict_funnel": (
        STRICT, {"steps": ["user signed up", "$pageview", "insight viewed"], "order": "strict"}, [7, 2, 1]),
    "test_funnel_strict.py::test_advanced_strict_funnel": (
        ADVANCED_STRICT, {"steps": ADVANCED_STRICT_STEPS, "order": "strict"}, [8, 6, 5, 1]),
    "test_funnel_strict.py::test_basic_strict_funnel_conversion_times": (
        STRICT_TIMES, {"steps": ["user signed up", "$pageview", "insight viewed"], "order": "strict"}, [3, 2, 1]),
    "test_funnel_strict.py::test_multiple_events_same_timestamp_doesnt_blow_up": (
        SAME_TIME, {"steps": ["step one", "step two", "step three"]}, [1, 1, 1]),
    "test_funnel_strict.py::test_strict_breakdown_events_with_multiple_properties": (
        STRICT_BREAKDOWN, {"steps": ["sign up", "play movie"], "order": "strict", "window": "7d",
                           "breakdown": {"field": "$browser", "attribution": "first_non_empty"}},
        {"Safari": [1, 1], "Chrome": [1, 0]}),
    "test_funnel_strict.py::test_different_prop_val_in_strict_filter (first touch)": (
        PROP_VAL, {"steps": ["first", "second"], "order": "strict",
                   "breakdown": {"field": "bd", "attribution": "first_non_empty"}}, {"one": [1, 0]}),
    "test_funnel_strict.py::test_different_prop_val_in_strict_filter (all events)": (
        PROP_VAL, {"steps": ["first", "second"], "order": "strict",
                   "breakdown": {"field": "bd", "attribution": "all_steps"}}, {"one": [1, 0], "two": [1, 0]}),
    "breakdown_cases.py::test_funnel_step_breakdown_with_first_touch_attribution": (
        _attribution_people(False, True), {"steps": ["sign up", "buy"], "window": "7d",
                                           "breakdown": {"field": "$browser", "attribution": "first_non_empty"}},
        {"(none)": [1, 1], "0": [1, 1], "Chrome": [1, 1], "Mac": [1, 1], "Safari": [1, 1]}),
    "breakdown_cases.py::test_funnel_step_breakdown_with_last_touch_attribution": (
        _attribution_people(True, True), {"steps": ["sign up", "buy"], "window": "7d",
                                          "breakdown": {"field": "$browser", "attribution": "last_non_empty"}},
        {"(none)": [1, 1], "Alakazam": [1, 1], "Chrome": [1, 1], "Mac": [1, 1], "Safari": [1, 1]}),
    "breakdown_cases.py::test_funnel_step_breakdown_with_step_attribution (step 0)": (
        _attribution_people(False, False), {"steps": ["sign up", "buy"], "window": "7d", "breakdown": {
            "field": "$browser", "attribution": "step_values", "step": 1}},
        {"(none)": [1, 1], "0": [1, 1], "Chrome": [1, 1], "Mac": [1, 1]}),
    "breakdown_cases.py::test_funnel_step_breakdown_with_step_one_attribution": (
        _attribution_people(False, False), {"steps": ["sign up", "buy"], "window": "7d", "breakdown": {
            "field": "$browser", "attribution": "step_values", "step": 2}},
        {"(none)": [2, 2], "Safari": [1, 1], "alakazam": [1, 1]}),
    "breakdown_cases.py::test_funnel_step_breakdown_limit": (
        LIMIT, {"steps": ["sign up", "play movie", "buy"], "window": "7d",
                "breakdown": {"field": "some_breakdown_val", "attribution": "first_non_empty", "top": 5}},
        {str(v): [v] * 3 for v in range(9, 4, -1)} | {"(other)": [10] * 3}),
    "breakdown_cases.py::test_funnel_step_multiple_breakdown_with_first_touch_attribution": (
        MULTIPLE_FIRST_TOUCH, {"steps": ["sign up", "buy"], "window": "7d", "breakdown": {
            "field": ["$browser", "$version"], "attribution": "first_non_empty"}},
        {"(none)": [1, 1], "0 · 0": [1, 1], "Chrome · xyz": [1, 1], "Mac · ": [1, 1], "Safari · xyz": [1, 1]}),
    "breakdown_cases.py::test_funnel_step_multi_property_breakdown_event": (
        MULTI_PROPERTY, {"steps": ["sign up", "play movie", "buy"], "window": "7d", "breakdown": {
            "field": ["$browser", "$browser_version"], "attribution": "first_non_empty"}},
        {"Chrome · 95": [1, 1, 1], "Safari · 14": [1, 0, 0], "Safari · 15": [1, 1, 0]}),
    "breakdown_cases.py::test_funnel_step_breakdown_event_with_string_only_breakdown": (
        MULTI_PROPERTY, {"steps": ["sign up", "play movie", "buy"], "window": "7d", "breakdown": {
            "field": "$browser", "attribution": "first_non_empty"}}, {"Safari": [2, 1, 0], "Chrome": [1, 1, 1]}),
    "breakdown_cases.py::test_basic_funnel_default_funnel_days_breakdown_event": (
        CURRENT_URL, {"steps": [{"key": "user signed up", "events": ["user signed up"], "where": [
            {"field": "$current_url", "op": "icontains", "value": "https://posthog.com/docs"}]}, "paid"],
            "breakdown": {"field": "$current_url", "attribution": "first_non_empty"}},
        {"https://posthog.com/docs/x": [1, 1]}),
    "test_funnel_unordered.py::test_basic_unordered_funnel": (
        UNORDERED, {"steps": ["user signed up", "$pageview", "insight viewed"], "order": "unordered"}, [8, 5, 3]),
    "test_funnel_unordered.py::test_funnel_exclusions_full_window": (
        FULL_WINDOW_X, {"steps": ["user signed up", "paid"], "order": "unordered",
                        "exclusions": [_exclusion(["x"], 0, 1)]}, [3, 2]),
    "test_funnel_unordered.py::test_unordered_exclusion_after_completion": (
        AFTER_COMPLETION, {"steps": ["user signed up", "paid", "left"], "order": "unordered",
                           "exclusions": [_exclusion(["x"], 0, 2)]}, [1, 1, 1]),
    "test_funnel_unordered.py::test_advanced_funnel_multiple_exclusions_between_steps": (
        MULTIPLE_EXCLUSIONS, {"steps": _STEPS5, "order": "unordered",
                              "exclusions": [_exclusion(["x"], 0, 4), _exclusion(["y"], 0, 4)]}, [5, 2, 1, 1, 1]),
    "test_funnel_time_to_convert.py::test_auto_bin_count_single_step (steps)": (
        TTC, {"steps": ["step one", "step two", "step three"], "window": "7d"}, [3, 3, 1]),
}
for (f, t), persons in {(0, 1): 2, (1, 2): 2, (2, 3): 1, (3, 4): 0, (1, 3): 1}.items():  # the test checks steps 1, 5
    CASES[f"test_funnel.py::test_advanced_funnel_exclusions_between_steps (x from {f} to {t})"] = (
        BETWEEN, {"steps": _STEPS5, "exclusions": [_exclusion(["x"], f, t)]}, [persons] * 5)

BINS = {  # name: (events, funnel, from step, to step, bin count, PostHog's bins)
    "test_funnel_time_to_convert.py::test_auto_bin_count_single_step": (
        TTC, {"steps": ["step one", "step two", "step three"], "window": "7d"}, 1, 2, None, _AUTO_BINS),
    "test_funnel_time_to_convert.py::test_custom_bin_count_single_step": (
        TTC, {"steps": ["step one", "step two", "step three"], "window": "7d"}, 1, 2, 7,
        [(2220.0, 2), (13732.0, 0), (25244.0, 0), (36756.0, 0), (48268.0, 0), (59780.0, 0), (71292.0, 1),
         (82804.0, 0)]),
    "test_funnel_time_to_convert.py::test_auto_bin_count_single_step_duplicate_events": (
        TTC_DUPLICATES, {"steps": ["step one"] * 3, "window": "7d"}, 1, 2, None, _AUTO_BINS),
    "test_funnel_time_to_convert.py::test_basic_unordered": (
        TTC_UNORDERED, {"steps": ["step one", "step two", "step three"], "window": "7d", "order": "unordered"},
        1, 2, None, _AUTO_BINS),
}


DIFFERENCES = {  # name: (events, funnel, the breakdown values PostHog's test expects, why voronka differs)
    "breakdown_cases.py::test_funnel_breakdown_correct_breakdown_props_are_chosen_for_step": (
        CHOSEN_FOR_STEP, {"steps": ["sign up", {"key": "buy", "events": ["buy"], "where": _XYZ}], "window": "7d",
                          "breakdown": {"field": "$browser", "attribution": "step_values", "step": 2}},
        {"(none)", "Mac", "Safari"},
        "a breakdown by one property given as a text (not a list): PostHog adds the value '' for every person "
        "with an event not at the step; voronka takes the list form (only the values seen at the step)"),
}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.xfail(reason=DIFFERENCES[name][3], strict=True))
                                  for name in DIFFERENCES])
def test_posthog_suite_known_differences(engine_for, name):
    events, spec, values, _ = DIFFERENCES[name]
    assert set(counts(engine_for(events), spec)) == values


@pytest.mark.parametrize("name", list(CASES))
def test_posthog_suite_counts(engine_for, name):
    events, spec, expected = CASES[name]
    assert counts(engine_for(events), spec) == expected


@pytest.mark.parametrize("name", list(BINS))
def test_posthog_suite_time_to_convert_bins(engine_for, name):
    events, spec, start, end, bins, expected = BINS[name]
    spec = {**spec, "compat": "posthog",
            "steps": [{"key": f"{i}:{s}", "events": [s]} for i, s in enumerate(spec["steps"])]}
    defn = build_funnel(spec)
    assert time_to_convert(defn, compute_funnel(engine_for(events), defn).outcomes(), start, end, bins) == expected


def test_strict_conversion_times_as_posthog_reports_them(engine_for):
    # test_funnel_strict.py::test_basic_strict_funnel_conversion_times: averages 5400 s and 7200 s
    spec = {"compat": "posthog", "order": "strict", "steps": ["user signed up", "$pageview", "insight viewed"]}
    steps = compute_funnel(engine_for(STRICT_TIMES), build_funnel(spec)).steps.to_pylist()
    assert [r["mean_seconds_from_previous"] for r in steps[1:]] == [5400.0, 7200.0]


def test_flags_a_yaml_file_and_the_http_api_take_the_preset(tmp_path):
    # u: signup, x, and never paid: PostHog removes u (the exclusion lies in u's window);
    # voronka's own exclusions only disqualify an attempt that reached "paid"
    import json

    from typer.testing import CliRunner

    from tests.server.test_server import _serve
    from voronka.cli import app
    from voronka.store import Store

    rows = [{"event_id": f"e{i}", "customer_id": c, "ts": f"2026-03-02 09:00:0{s}", "event": e}
            for i, (c, s, e) in enumerate([("u", 1, "signup"), ("u", 2, "x"), ("v", 1, "signup"), ("v", 3, "paid")])]
    (tmp_path / "events.ndjson").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        s.ingest("events", [tmp_path / "events.ndjson"])
    spec = tmp_path / "funnel.yaml"
    spec.write_text("steps: [signup, paid]\ncompat: posthog\nexclusions: [{events: [x], from_step: 1, to_step: 2}]\n",
                    encoding="utf-8")

    def customers(*args: str) -> list[int]:
        result = CliRunner().invoke(app, ["funnel", "--store", str(store), *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return [r["customers"] for r in json.loads(result.stdout)]

    flags = customers("--steps", "signup,paid", "--exclude", "x:1-2", "--compat", "posthog")
    assert flags == customers("--file", str(spec)) == [1, 1]
    assert customers("--steps", "signup,paid", "--exclude", "x:1-2") == [2, 1]
    for served in _serve(store, public_dashboard=True):
        status, body = served.json("GET", "/v1/funnel?steps=signup,paid&exclude=x:1-2&compat=posthog")
        assert status == 200 and [r["customers"] for r in body] == flags
        status, body = served.json("GET", "/v1/funnel?steps=signup,paid&compat=posthog&attribution=step_values&by=p")
        assert status == 422 and "step_values" in json.dumps(body)


def test_posthog_attributions_need_the_preset():
    from voronka.errors import DefinitionError

    with pytest.raises(DefinitionError, match="give compat: posthog"):
        build_funnel({"steps": ["a", "b"], "breakdown": {"field": "p", "attribution": "first_non_empty"}})
    assert build_funnel({"steps": ["a", "b"], "compat": "posthog", "window": "1h"}).window == dt.timedelta(hours=1)
    assert build_funnel({"steps": ["a", "b"], "compat": "posthog"}).window == dt.timedelta(days=14)
    assert build_funnel({"steps": ["a"], "breakdown": {"field": "channel,campaign"}}).breakdown.fields == (
        "channel", "campaign")


# ee/clickhouse/views/test/funnel/test_clickhouse_funnel.py (ClickhouseTestFunnelGroups): aggregation by
# group 0 is voronka's unit "$group_0" (docs/funnels.md: aggregate_by), the events without one left out
GROUPS = journeys({
    "user_1": [("2020-01-02 14:00", "user signed up", {"$group_0": "org:5"}),
               ("2020-01-10 14:00", "user signed up", {"$group_0": "org:6"})],
    "user_2": [("2020-01-03 14:00", "paid", {"$group_0": "org:5"})],
})
GROUPS_FILTERED = journeys({
    "user_1": [("2020-01-02 14:00", "user signed up", {"$group_0": "org:5"})],
    "user_2": [("2020-01-03 14:00", "paid", {"$group_0": "org:5"})],
    "user_3": [("2020-01-10 14:00", "user signed up", {"$group_0": "org:6"})],
})
_ORG5 = [{"field": "$group_0", "op": "eq", "value": "org:5"}]


@pytest.mark.parametrize(("name", "events", "first", "expected"), [
    ("test_funnel_aggregation_with_groups", GROUPS, "user signed up", [2, 1]),
    ("test_funnel_group_aggregation_with_groups_entity_filtering", GROUPS_FILTERED,
     {"key": "user signed up", "events": ["user signed up"], "where": _ORG5}, [1, 1]),
])
def test_posthog_aggregation_by_group_is_the_unit(engine_for, name, events, first, expected):
    from voronka.rules import Condition
    from voronka.source import Source, parse_unit

    source = Source(engine_for(events), unit=parse_unit("$group_0"),
                    where=(Condition(field="$group_0", op="ne", value=""),))  # PostHog drops '' too
    result = compute_funnel(source, build_funnel({"compat": "posthog", "steps": [first, "paid"]}))
    assert [r["customers"] for r in result.steps.to_pylist()] == expected
    assert result.steps.to_pylist()[1]["mean_seconds_from_previous"] == 86400
    assert sorted(o.customer_id for o in result.outcomes()) == (["org:5", "org:6"] if expected[0] == 2 else ["org:5"])


def test_time_to_convert_on_the_command_line(tmp_path):
    # test_funnel_time_to_convert.py::test_custom_bin_count_single_step through `voronka funnel`
    import json

    from typer.testing import CliRunner

    from voronka.cli import app
    from voronka.store import Store

    rows = [{"event_id": r["event_id"], "customer_id": r["customer_id"], "ts": r["ts"].isoformat(), "event": r["event"]}
            for r in TTC]
    (tmp_path / "events.ndjson").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        s.ingest("events", [tmp_path / "events.ndjson"])
    result = CliRunner().invoke(app, ["funnel", "--store", str(store), "--steps", "step one,step two", "--compat",
                                      "posthog", "--window", "7d", "--show", "time_to_convert", "--bins", "7",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [(r["bin_start_seconds"], r["customers"]) for r in json.loads(result.stdout)] == BINS[
        "test_funnel_time_to_convert.py::test_custom_bin_count_single_step"][5]
