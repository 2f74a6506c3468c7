"""The message catalogue is complete, and numbers, money, durations and dates are formatted per language."""

from __future__ import annotations

import datetime as dt
import string
from enum import Enum

import pytest

from voronka.i18n import (
    LANGUAGES,
    MESSAGES,
    format_date,
    format_datetime,
    format_duration,
    format_money,
    format_number,
    format_percent,
    locale_for,
    normalize_lang,
    t,
)

NBSP = "\xa0"
NNBSP = "\u202f"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# ---------------------------------------------------------------- catalogue


def test_languages_are_en_ru_kk():
    assert LANGUAGES == ("en", "ru", "kk")
    assert [str(locale_for(lang)) for lang in LANGUAGES] == ["en_US", "ru_RU", "kk_KZ"]


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_key_has_all_three_languages(key):
    entry = MESSAGES[key]
    assert set(entry) == set(LANGUAGES), f"{key}: has {sorted(entry)}"
    for lang in LANGUAGES:
        assert isinstance(entry[lang], str) and entry[lang].strip(), f"{key}[{lang}] is empty"


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_placeholders_are_the_same_in_every_language(key):
    sets = {lang: _placeholders(MESSAGES[key][lang]) for lang in LANGUAGES}
    assert sets["ru"] == sets["en"] == sets["kk"], f"{key}: {sets}"


def test_translations_are_not_english_copies():
    # names of languages and product names aside, ru and kk must be translated
    for key, entry in MESSAGES.items():
        if key.startswith("lang.") or key == "chart.funnel.title":
            continue
        assert entry["ru"] != entry["en"], key
        assert entry["kk"] != entry["en"], key


def test_t_fills_placeholders():
    assert t("funnel.step_n", "en", n=3) == "Step 3"
    assert t("funnel.step_n", "ru", n=3) == "Шаг 3"
    assert t("funnel.step_n", "kk", n=3) == "3-қадам"
    assert t("report.contents", "kk") == "Мазмұны"


def test_t_unknown_key_and_language():
    with pytest.raises(KeyError, match="no.such"):
        t("no.such", "en")
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        t("report.contents", "de")


def test_language_enum_and_case_are_accepted():
    class Lang(str, Enum):
        ru = "ru"

    assert normalize_lang(Lang.ru) == "ru"
    assert normalize_lang("KK") == "kk"
    assert t("report.language", Lang.ru) == "Язык"


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("kk", f"1{NBSP}234,50{NBSP}₸"),
        ("ru", f"1{NBSP}234,50{NBSP}₸"),  # babel's ru_RU alone would print "KZT"
        ("en", "₸1,234.50"),
    ],
)
def test_tenge_is_the_symbol_in_every_language(lang, expected):
    assert format_money(1234.5, "KZT", lang) == expected


def test_tenge_negative_and_lowercase_code():
    assert format_money(-1234.5, "kzt", "ru") == f"-1{NBSP}234,50{NBSP}₸"
    assert format_money(-1234.5, "KZT", "en") == "-₸1,234.50"


@pytest.mark.parametrize(
    ("amount", "currency", "lang", "expected"),
    [
        (1234.5, "RUB", "ru", f"1{NBSP}234,50{NBSP}₽"),
        (1234.5, "USD", "en", "$1,234.50"),
        (1234.5, "USD", "ru", f"1{NBSP}234,50{NBSP}$"),
        (1234.5, "RUB", "kk", f"1{NBSP}234,50{NBSP}₽"),
        (0, "KZT", "kk", f"0,00{NBSP}₸"),
    ],
)
def test_other_currencies_follow_the_locale(amount, currency, lang, expected):
    assert format_money(amount, currency, lang) == expected


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "1,234,567.891"),
        ("ru", f"1{NBSP}234{NBSP}567,891"),
        ("kk", f"1{NBSP}234{NBSP}567,891"),
    ],
)
def test_format_number(lang, expected):
    assert format_number(1234567.891, lang) == expected


def test_format_number_fixed_digits():
    assert format_number(0.5, "ru", digits=2) == "0,50"
    assert format_number(1234, "en", digits=0) == "1,234"
    assert format_number(12000, "kk") == f"12{NBSP}000"


@pytest.mark.parametrize(
    ("lang", "one_digit", "no_digits"),
    [("en", "45.7%", "46%"), ("ru", f"45,7{NBSP}%", f"46{NBSP}%"), ("kk", "45,7%", "46%")],
)
def test_format_percent(lang, one_digit, no_digits):
    assert format_percent(0.4567, lang) == one_digit
    assert format_percent(0.4567, lang, digits=0) == no_digits


def test_format_percent_bounds():
    assert format_percent(1, "en") == "100.0%"
    assert format_percent(0, "ru") == f"0,0{NBSP}%"
    assert format_percent(0.00051, "en", digits=2) == "0.05%"


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "2 days 3 hr"), ("ru", "2 дн. 3 ч"), ("kk", "2 күн 3 сағ")],
)
def test_format_duration_two_largest_units(lang, expected):
    assert format_duration(2 * 86400 + 3 * 3600 + 20 * 60, lang) == expected


def test_format_duration_edges():
    assert format_duration(0, "en") == "0 sec"
    assert format_duration(0.4, "ru") == "0 с"
    assert format_duration(90, "ru") == "1 мин 30 с"
    assert format_duration(3 * 3600, "kk") == "3 сағ"  # zero minutes are not shown
    assert format_duration(86399.9, "en") == "1 day"  # rounding carries into days
    assert format_duration(dt.timedelta(days=7, seconds=5), "ru") == "7 дн."
    assert format_duration(-3600, "en") == "-1 hr"
    assert format_duration(2 * 86400 + 3 * 3600 + 7 * 60, "en", parts=3) == "2 days 3 hr 7 min"
    with pytest.raises(ValueError):
        format_duration(float("nan"), "en")


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Mar 1, 2026"), ("ru", f"1 мар. 2026{NNBSP}г."), ("kk", f"2026{NNBSP}ж. 01 нау.")],
)
def test_format_date(lang, expected):
    assert format_date(dt.date(2026, 3, 1), lang) == expected


def test_format_date_long_and_datetime_keeps_its_zone():
    assert format_date(dt.date(2026, 3, 1), "ru", format="long") == f"1 марта 2026{NNBSP}г."
    almaty = dt.timezone(dt.timedelta(hours=5))
    assert format_datetime(dt.datetime(2026, 3, 31, 18, 5, tzinfo=almaty), "ru") == (
        f"31 мар. 2026{NNBSP}г., 18:05:00"
    )
