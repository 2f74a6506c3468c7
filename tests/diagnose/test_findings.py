"""Findings in English, Russian and Kazakh: the numbers, the test and the playbook action."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import engine_for, event
from tests.diagnose.test_changes import rows as change_rows
from tests.diagnose.test_weak_links import FUNNEL, rows
from voronka.diagnose import (
    Revenue,
    change_findings,
    period_changes,
    weak_link_findings,
    weak_links,
)
from voronka.diagnose.findings import format_p
from voronka.funnel import compute_funnel
from voronka.funnel.spec import build_funnel
from voronka.stage_models import load_model


@pytest.fixture(scope="module")
def links():
    return weak_links(compute_funnel(engine_for(rows()), build_funnel(FUNNEL)), revenue=Revenue(1000.0, "KZT"))


EXPECTED = {
    "en": ("a (channel) loses customers at visit → signup: 10.0% convert (95% interval 4.0%–23.1%, 40 customers), "
           "against 45.0% for the other segments. About 14 customers lost, 7.0 fewer buyers, about ₸7,000.00 of "
           "revenue. Test: two-proportion z-test, p < 0.001, q < 0.001."),
    "ru": ("a (channel) теряет клиентов на переходе visit → signup: конверсия 10,0 % (95% интервал 4,0 %–23,1 %, "
           "40 клиентов) против 45,0 % в остальных сегментах. Потеряно около 14 клиентов, это на 7,0 покупателей "
           "меньше, около 7\xa0000,00\xa0₸ выручки. Тест: z-тест для двух долей, p < 0,001, q < 0,001."),
    "kk": ("a (channel) visit → signup өтуінде клиенттерді жоғалтады: конверсия 10,0% (95% аралық 4,0%–23,1%, "
           "40 клиент), ал басқа сегменттерде 45,0%. Шамамен 14 клиент жоғалды, бұл 7,0 сатып алушыға аз, "
           "шамамен 7\xa0000,00\xa0₸ түсім. Тест: екі үлеске арналған z-тест, p < 0,001, q < 0,001."),
}


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_segment_finding_in_every_language(links, lang):
    (finding,) = weak_link_findings(links, lang)
    assert finding.kind == "segment" and finding.method == "z"
    assert finding.q == pytest.approx(links.flagged()[0]["q"])
    assert finding.numbers["customers_lost"] == pytest.approx(14)
    assert finding.text.replace("\xa0", " ") == EXPECTED[lang].replace("\xa0", " ")  # babel's group/percent spaces
    assert finding.action is None  # steps, not a stage model: no playbook


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_action_comes_from_the_playbook_of_the_target_stage(lang):
    model = load_model("hourglass")
    # know → like: 60 of 100 through channel x like; 5 of 100 through y
    data = []
    for channel, likes in (("x", 60), ("y", 5)):
        for i in range(100):
            c = f"{channel}{i}"
            data.append(event(c, 0, "ad_view", channel=channel))
            if i < likes:
                data.append(event(c, 1, "lead_magnet", channel=channel))
    definition = build_funnel({"model": "hourglass", "breakdown": "channel"}, lang=lang)
    findings = weak_link_findings(weak_links(compute_funnel(engine_for(data), definition)), lang, model)
    y = next(f for f in findings if f.kind == "segment")
    first_action = model.stage("like").playbook.actions.get(lang)[0]
    assert y.text.startswith("y (channel)") and model.stage("know").label(lang) in y.text
    assert first_action.rstrip(".") in y.action and y.sentence().endswith(y.action)


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_nothing_flagged_says_so(lang):
    data = [event(f"c{i}", 0, "visit", channel="ab"[i % 2]) for i in range(20)]
    data += [event(f"c{i}", 1, "signup", channel="ab"[i % 2]) for i in range(10)]
    definition = build_funnel({"steps": ["visit", "signup"], "breakdown": "channel"})
    (finding,) = weak_link_findings(weak_links(compute_funnel(engine_for(data), definition)), lang)
    assert finding.kind == "none" and "0" in finding.text and finding.p is None


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_change_findings(lang):
    definition = build_funnel({"steps": ["visit", "signup"], "breakdown": "channel",
                               "date_from": dt.date(2026, 3, 12), "date_to": dt.date(2026, 3, 21)})
    changes = period_changes(engine_for(change_rows()), definition)
    findings = change_findings(changes, lang)
    assert [f.kind for f in findings] == ["change", "change"]
    assert "12,5" in findings[0].text or "12.5" in findings[0].text
    assert "-37,5" in findings[0].text or "-37.5" in findings[0].text
    same = period_changes(engine_for(change_rows()), definition.model_copy(update={"breakdown": None}), alpha=1e-9)
    assert [f.kind for f in change_findings(same, lang)] == ["no_change"]


def test_format_p():
    assert format_p(0.0004, "en") == "< 0.001"
    assert format_p(0.0123, "ru") == "= 0,012"
