"""Labels in English, Russian and Kazakh; numbers, money, durations and dates formatted for each.

Two things live here:

* ``MESSAGES``, the catalogue of UI and report strings (``voronka.messages``, one module
  per area): one entry per key, each with ``en``, ``ru`` and ``kk`` side by side (a test
  checks that none is missing). ``t(key,
  lang, **params)`` looks a string up and fills ``{placeholders}`` with ``str.format``.
* Formatting with babel (CLDR data), for the locales ``en`` → ``en_US``, ``ru`` →
  ``ru_RU`` and ``kk`` → ``kk_KZ``. Output is babel's own, including its non-breaking
  spaces (U+00A0 as the Russian and Kazakh group separator, U+202F in some dates).

One deliberate departure from CLDR: the tenge. CLDR gives ``₸`` only in ``kk_KZ``; in
``ru_RU`` and ``en_US`` it prints the code ``KZT``. Our users in Kazakhstan read ``₸``
in every language, so ``CURRENCY_SYMBOLS`` overrides the symbol::

    >>> format_money(1234.5, "KZT", "ru")
    '1\\xa0234,50\\xa0₸'
    >>> format_money(1234.5, "KZT", "en")
    '₸1,234.50'

Kazakh strings without a source in the seed articles are our translations and should be
checked by a Kazakh reader.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Final

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.numbers import format_currency as _babel_format_currency
from babel.numbers import format_decimal as _babel_format_decimal
from babel.numbers import format_percent as _babel_format_percent
from babel.units import format_unit as _babel_format_unit

from voronka.messages import merged_catalogue

__all__ = [
    "CURRENCY_SYMBOLS",
    "LANGUAGES",
    "LOCALES",
    "MESSAGES",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_money",
    "format_number",
    "format_percent",
    "locale_for",
    "normalize_lang",
    "t",
]

LOCALES: Final[dict[str, str]] = {"en": "en_US", "ru": "ru_RU", "kk": "kk_KZ"}
LANGUAGES: Final[tuple[str, ...]] = tuple(LOCALES)

#: Currency symbols used in every language, overriding the locale's own (CLDR).
CURRENCY_SYMBOLS: Final[dict[str, str]] = {"KZT": "₸"}

MESSAGES: Final[dict[str, dict[str, str]]] = merged_catalogue()


def normalize_lang(lang: Any) -> str:
    """``"ru"``, ``Lang.ru`` or ``"RU"`` → ``"ru"``; anything not in ``LANGUAGES``: ValueError."""
    code = str(getattr(lang, "value", lang)).strip().lower()
    if code not in LOCALES:
        raise ValueError(f"unsupported language {lang!r}; use one of: {', '.join(LANGUAGES)}")
    return code


def locale_for(lang: Any) -> Locale:
    """The babel ``Locale`` for a language code (``ru`` → ``ru_RU``)."""
    return Locale.parse(LOCALES[normalize_lang(lang)])


def t(key: str, lang: Any, /, **params: Any) -> str:
    """The catalogue string ``key`` in ``lang``, its ``{name}`` placeholders filled from ``params``.

    >>> t("funnel.step_n", "kk", n=2)
    '2-қадам'

    An unknown key is a KeyError (a bug, not a user error).
    """
    code = normalize_lang(lang)
    try:
        text = MESSAGES[key][code]
    except KeyError:
        raise KeyError(f"no message {key!r} in language {code!r}") from None
    return text.format(**params) if params else text


def format_number(x: float, lang: Any, *, digits: int | None = None) -> str:
    """``x`` with the language's grouping and decimal mark: 1234567.891 → ``1 234 567,891`` in ru.

    With ``digits``, exactly that many fraction digits are shown (rounded half-even, as babel).
    """
    loc = locale_for(lang)
    if digits is None:
        return _babel_format_decimal(x, locale=loc)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _babel_format_decimal(x, format=pattern, locale=loc, decimal_quantization=True)


def format_percent(x: float, lang: Any, digits: int = 1) -> str:
    """A share 0–1 as a percentage with ``digits`` fraction digits, in the locale's own pattern.

    0.4567 → ``45.7%`` (en), ``45,7\xa0%`` (ru), ``45,7%`` (kk).
    """
    loc = locale_for(lang)
    base = loc.percent_formats[None].pattern  # e.g. "#,##0\xa0%"
    fraction = "." + "0" * digits if digits > 0 else ""
    pattern = base.replace("#,##0", "#,##0" + fraction, 1)
    return _babel_format_percent(x, format=pattern, locale=loc, decimal_quantization=True)


def format_money(amount: Any, currency: str, lang: Any) -> str:
    """``amount`` in ``currency`` (ISO 4217) in the language's currency format.

    The locale's pattern is used with the symbol from ``CURRENCY_SYMBOLS`` where we
    override CLDR (tenge: ``₸`` in every language), otherwise the locale's own symbol.
    """
    loc = locale_for(lang)
    code = currency.upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is None:
        return _babel_format_currency(amount, code, locale=loc)
    quoted = "'" + symbol.replace("'", "''") + "'"
    pattern = loc.currency_formats["standard"].pattern.replace("¤", quoted)
    return _babel_format_currency(amount, code, format=pattern, locale=loc)


_DURATION_UNITS: Final[tuple[tuple[str, int], ...]] = (
    ("duration-day", 86_400),
    ("duration-hour", 3_600),
    ("duration-minute", 60),
    ("duration-second", 1),
)


def format_duration(seconds: float | dt.timedelta, lang: Any, *, parts: int = 2) -> str:
    """A duration as its ``parts`` largest non-zero units.

    183600 s → ``2 days 3 hr`` (en), ``2 дн. 3 ч`` (ru), ``2 күн 3 сағ`` (kk).

    Rounded to the smallest unit shown (days, hours, minutes, seconds; nothing above days).
    Units are CLDR's short unit names (babel ``format_unit``). Negative durations get a
    leading minus; under one second is ``0 sec`` / ``0 с``.
    """
    if isinstance(seconds, dt.timedelta):
        seconds = seconds.total_seconds()
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        raise ValueError("duration is missing")
    loc = locale_for(lang)
    sign = "-" if seconds < 0 else ""
    total = abs(float(seconds))
    while True:  # rounding can carry into a larger unit (23 h 59 m 40 s → 1 day): re-plan once more
        first = next((i for i, (_, size) in enumerate(_DURATION_UNITS) if total >= size), 3)
        last = min(first + parts - 1, len(_DURATION_UNITS) - 1)
        smallest = _DURATION_UNITS[last][1]
        rounded = round(total / smallest) * smallest
        if rounded == total:
            break
        total = rounded
    out = []
    left = int(total)
    for unit, size in _DURATION_UNITS[first : last + 1]:
        value, left = divmod(left, size)
        if value:
            out.append(_babel_format_unit(value, unit, length="short", locale=loc))
    if not out:
        return _babel_format_unit(0, "duration-second", length="short", locale=loc)
    return sign + " ".join(out)


def format_date(value: dt.date | dt.datetime, lang: Any, *, format: str = "medium") -> str:
    """A date in the language's style: ``Mar 1, 2026`` / ``1 мар. 2026 г.`` / ``2026 ж. 01 нау.``.

    ``format`` is babel's: ``short``, ``medium``, ``long``, ``full`` or a CLDR pattern.
    """
    return _babel_format_date(value, format=format, locale=locale_for(lang))


def format_datetime(value: dt.datetime, lang: Any, *, format: str = "medium") -> str:
    """A date and time in the language's style (babel ``format_datetime``), in ``value``'s zone."""
    return _babel_format_datetime(
        value, format=format, tzinfo=value.tzinfo, locale=locale_for(lang)
    )
