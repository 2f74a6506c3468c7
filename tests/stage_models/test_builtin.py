"""Every built-in model loads, validates, and is faithful to MODELS.md and the articles."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from voronka.rules import StepRule
from voronka.demo import VOCABULARY
from voronka.stage_models import LANGS, StageModel, builtin_models, load_model

EXPECTED_STAGES = {
    "aida": ["awareness", "interest", "desire", "action"],
    "aida_loyalty": ["awareness", "interest", "desire", "action", "loyalty"],
    "cluster": ["persuasion", "hook", "exchange", "distance", "enchantment", "management"],
    "journey": [
        "awareness",
        "interest",
        "desire",
        "research",
        "comparison",
        "action",
        "engagement",
        "satisfaction",
        "repeat_deal",
        "curiosity",
        "loyalty",
        "recommendations",
    ],
    "channel_funnel": [
        "awareness",
        "research",
        "engagement",
        "convert",
        "post_purchase",
        "advocacy",
    ],
    "nine_touches": [
        "attention",
        "subscription",
        "first_purchase",
        "engagement",
        "satisfaction",
        "nurturing",
        "return",
        "fan",
        "promoter",
    ],
    "hourglass": ["know", "like", "trust", "try", "buy", "repeat", "refer"],
}

DEMO_EVENTS = set(VOCABULARY)  # the demo generates exactly these (tests/test_demo.py)

ALL = sorted(EXPECTED_STAGES)


def test_builtin_names() -> None:
    assert builtin_models() == sorted(EXPECTED_STAGES)


@pytest.mark.parametrize("name", ALL)
def test_loads_with_the_articles_stage_order(name: str) -> None:
    model = load_model(name)
    assert isinstance(model, StageModel)
    assert model.key == name
    assert list(model.keys) == EXPECTED_STAGES[name]
    assert model.source.startswith("seeds/")


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("aida", 4),
        ("aida_loyalty", 5),
        ("cluster", 6),
        ("journey", 12),
        ("channel_funnel", 6),
        ("nine_touches", 9),
        ("hourglass", 7),
    ],
)
def test_stage_counts(name: str, count: int) -> None:
    assert len(load_model(name).stages) == count


@pytest.mark.parametrize("name", ALL)
def test_every_text_in_every_language(name: str) -> None:
    model = load_model(name)
    for lang in LANGS:
        assert model.title.get(lang).strip()
        assert model.description.get(lang).strip()
        for stage in model.stages:
            assert stage.labels.get(lang).strip(), (stage.key, lang)
            assert stage.description.get(lang).strip(), (stage.key, lang)
            actions = getattr(stage.playbook.actions, lang)
            assert actions, (stage.key, lang)
            # the three lists are translations of each other
            assert len(actions) == len(stage.playbook.actions.en), (stage.key, lang)
            assert stage.playbook.channels, stage.key


@pytest.mark.parametrize("name", ALL)
def test_rules_use_the_demo_vocabulary(name: str) -> None:
    for stage in load_model(name).stages:
        assert isinstance(stage.rule, StepRule)
        assert set(stage.rule.events) <= DEMO_EVENTS, stage.key


@pytest.mark.parametrize("name", ALL)
def test_cyrillic_labels_are_cyrillic(name: str) -> None:
    """A mix-up of languages (an English label under ru/kk) is caught here."""
    for stage in load_model(name).stages:
        for lang in ("ru", "kk"):
            assert any(
                "а" <= ch.lower() <= "я" or ch in "әғқңөұүһіё" for ch in stage.labels.get(lang)
            ), (stage.key, lang)


def test_channel_funnel_playbook_is_the_articles_table() -> None:
    """seeds/002_*.txt: Mass, OOH, TV, Radio, Print / Digital, POS, Mobile, DR, Print, TV / ..."""
    model = load_model("channel_funnel")
    assert {s.key: list(s.playbook.channels) for s in model.stages} == {
        "awareness": ["mass", "ooh", "tv", "radio", "print"],
        "research": ["digital", "pos", "mobile", "dr", "print", "tv"],
        "engagement": ["digital", "pos"],
        "convert": ["digital", "pos", "mobile", "direct_mail"],
        "post_purchase": ["digital", "mobile", "direct_mail", "wom"],
        "advocacy": ["digital", "wom"],
    }


def test_original_labels() -> None:
    """Labels the articles give (MODELS.md), in Russian and Kazakh."""
    aida = load_model("aida")
    assert [s.labels.ru for s in aida.stages] == [
        "Информированность",
        "Интерес",
        "Желание (решение)",
        "Действие",
    ]
    assert [s.labels.kk for s in aida.stages] == [
        "Танысу",
        "Қызығушылық",
        "Тілек",
        "Қолданысқа енгізу",
    ]
    assert load_model("aida_loyalty").stage("loyalty").labels.ru == "Лояльность"
    assert [s.labels.ru for s in load_model("cluster").stages] == [
        "Убеждение",
        "Крючок",
        "Обмен",
        "Дистанция",
        "Очаровывание",
        "Управление",
    ]
    assert [s.labels.ru for s in load_model("journey").stages] == [
        "Осознание",
        "Интерес",
        "Желание",
        "Изучение",
        "Сравнение",
        "Действие",
        "Вовлечение",
        "Удовлетворение",
        "Повторная сделка",
        "Любопытство",
        "Лояльность",
        "Рекомендации",
    ]
    assert [s.labels.ru for s in load_model("channel_funnel").stages] == [
        "Осведомленность",
        "Исследование",
        "Вовлечение",
        "Конверсия",
        "После покупки",
        "Адвокатура бренда",
    ]
    assert [s.labels.kk for s in load_model("hourglass").stages][:6] == [
        "Назар (танысу)",
        "Ұнайды",
        "Сенімін қалыптастыру",
        "Бере көріңіз",
        "Сату",
        "Сатудан кейін қызмет көрсету және қайта сату",
    ]


def test_key_rules() -> None:
    """The rules the brief and MODELS.md call for, as StepRule.describe() renders them."""

    def rules(name: str) -> dict[str, str]:
        return {s.key: s.rule.describe() for s in load_model(name).stages}

    hourglass = rules("hourglass")
    assert hourglass["know"] == "ad_view|content_view|site_visit"
    assert hourglass["try"] == "trial"
    assert hourglass["buy"] == "purchase"
    assert hourglass["repeat"] == "purchase (#2+)"
    assert load_model("hourglass").stage("refer").rule.min_referrals == 1
    cluster = rules("cluster")
    assert cluster["distance"] == "complaint"
    assert cluster["enchantment"] == "winback_offer|loyalty_join"
    journey = load_model("journey")
    assert journey.stage("curiosity").rule.events == ("winback_offer",)
    assert journey.stage("curiosity").optional
    assert journey.stage("recommendations").rule.min_referrals == 1
    nine = load_model("nine_touches")
    assert nine.stage("first_purchase").rule.describe() == "purchase [offer=tripwire]"
    assert [c.value for c in nine.stage("fan").rule.where] == [False]
    assert [c.value for c in nine.stage("promoter").rule.where] == [True]


@pytest.mark.parametrize("name", ALL)
def test_translated_kazakh_is_flagged_for_a_native_check(name: str) -> None:
    text = (resources.files("voronka.stage_models") / "builtin" / f"{name}.yaml").read_text("utf-8")
    assert "native reader" in text


def test_docs_list_every_stage_with_its_rule() -> None:
    """docs/models.md has a table row for every stage of every built-in model."""
    docs = Path(__file__).parents[2] / "docs" / "models.md"
    text = docs.read_text(encoding="utf-8")
    for name in ALL:
        section = text.split(f"### `{name}`:", 1)[1].split("###", 1)[0]
        for i, stage in enumerate(load_model(name).stages, 1):
            row = f"| {i} | `{stage.key}`"
            assert row in section, (name, stage.key)
            assert stage.rule.describe().replace("|", "\\|") in section, (name, stage.key)
