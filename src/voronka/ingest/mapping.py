"""Column mapping: which input column fills which canonical column.

A mapping is ``{canonical: input header}``, given as ``customer_id=client_id`` pairs
(``--map``) or as a YAML/JSON object in a file (``--mapping-file``)::

    customer_id: клиент
    ts: Дата
    revenue: Сумма, ₸

The reverse direction (``клиент: customer_id``) is accepted too when only the value is
a canonical column. Headers are matched after trimming, case-insensitively; a canonical
column that is not mapped is looked up by its own name the same way, then under the
usual headers of Russian and Kazakh spreadsheets and CRM exports (``HEADERS``), compared
loosely (``loose_key``: ``ID клиента``, ``id_клиента`` and ``Сумма, ₽`` are found as
``ID клиента`` and ``Сумма``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from voronka.errors import InputError

HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "events": {
        "customer_id": ("ID клиента", "Клиент ID", "Код клиента", "Клиент", "ID покупателя", "Покупатель",
                        "ID контакта", "Контакт", "Клиенттің ID", "Клиент коды", "Тұтынушы ID", "Тұтынушы",
                        "Сатып алушы", "Customer ID", "Client ID"),
        "ts": ("Дата и время", "Дата/время", "Дата события", "Время события", "Дата", "Время",
               "Күні мен уақыты", "Күні", "Уақыты", "Уақыт", "Timestamp"),
        "event": ("Событие", "Тип события", "Название события", "Действие", "Оқиға", "Оқиға түрі", "Әрекет",
                  "Event name"),
        "channel": ("Канал", "Источник", "Источник трафика", "Арна", "Көзі", "Дереккөз"),
        "campaign": ("Кампания", "Рекламная кампания", "Название кампании", "Науқан", "Жарнама науқаны"),
        "revenue": ("Сумма", "Выручка", "Сумма заказа", "Сумма покупки", "Доход", "Сома", "Тапсырыс сомасы",
                    "Түсім", "Табыс"),
        "currency": ("Валюта", "Валютасы", "Currency code"),
        "referrer_id": ("Кто пригласил", "Пригласивший", "ID пригласившего", "Реферер", "Шақырған",
                        "Referrer"),
    },
    "spend": {
        "date": ("Дата", "День", "Күн", "Күні", "Day"),
        "channel": ("Канал", "Источник", "Арна", "Көзі", "Source", "utm_source"),
        "campaign": ("Кампания", "Название кампании", "Науқан", "Campaign name", "utm_campaign"),
        "amount": ("Расход", "Расходы", "Сумма", "Стоимость", "Затраты", "Шығын", "Шығындар", "Сома", "Cost",
                   "Spend", "Amount spent"),
        "currency": ("Валюта", "Валютасы", "Currency code"),
    },
    "deals": {
        "deal_id": ("ID сделки", "OWNER_ID", "deal id", "lead_id", "ID", "Мәміле ID"),
        "pipeline": ("Воронка", "Направление", "Направление сделки", "Pipeline name", "CATEGORY_ID",
                     "pipeline_id", "Category", "Шұңқыр"),
        "stage": ("Этап", "Этап сделки", "Стадия", "Стадия сделки", "Stage name", "STAGE_ID", "status_id",
                  "Кезең"),
        "changed_at": ("Дата изменения", "Дата перехода", "Дата перехода на этап", "Дата смены стадии",
                       "Changed at", "Date changed", "CREATED_TIME", "Дата", "Күні"),
        "manager": ("Ответственный", "Менеджер", "Ответственный менеджер", "Жауапты", "Жауапты менеджер",
                    "Responsible", "Responsible user", "ASSIGNED_BY_ID", "responsible_user_id", "Manager"),
        "amount": ("Бюджет", "Сумма", "Сумма сделки", "Budget", "OPPORTUNITY", "price", "Сома"),
        "currency": ("Валюта", "CURRENCY_ID", "Валютасы"),
        "status": ("Статус", "Результат", "Статус сделки", "STAGE_SEMANTIC_ID", "Semantics", "Мәртебе"),
    },
    "rates": {"date": ("Дата", "day", "Күні"), "currency": ("Валюта", "Валютасы"),
              "rate": ("Курс", "Rate to base", "Бағам")},
    "plan": {"month": ("Месяц", "Период", "Ай"), "channel": ("Канал", "Источник", "Арна", "Көзі"),
             "spend": ("Бюджет", "Расход", "Расходы", "Шығын"), "leads": ("Лиды", "Лидов", "Заявки", "Өтінімдер"),
             "sales": ("Продажи", "Продаж", "Сделки", "Сатылым"), "currency": ("Валюта", "Валютасы")},
}
"""Per table, the other headers a canonical column is found under, in order (first match
wins): Russian, Kazakh, CRM exports (docs/crm.md) and English. docs/ingest.md lists them."""


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["customer_id=client_id", ...]`` as ``{"customer_id": "client_id", ...}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InputError(f"a mapping is written canonical=input, e.g. customer_id=client_id; got {pair!r}")
        mapping[target.strip()] = source.strip()
    return mapping


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """A mapping from a YAML or JSON file holding one object of names."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        data = json.loads(text) if str(path).lower().endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the mapping: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InputError("a mapping file holds one object of names, e.g. customer_id: клиент", file=str(path))
    return {k.strip(): v.strip() for k, v in data.items()}


def resolve(columns: list[str], canonical: list[str], mapping: Mapping[str, str] | None,
            *, file: str | None = None, synonyms: Mapping[str, tuple[str, ...]] | None = None
            ) -> dict[str, str]:
    """``{canonical: input column}`` for the canonical columns found in ``columns``.

    Every other input column is left to ``properties``. An explicit mapping to a column
    the file lacks is an error; so is a mapping to a name that is not canonical. A
    canonical column neither mapped nor found by its own name is looked up under its
    ``synonyms`` (e.g. ``date``: «Дата»), first match wins, a column used once only;
    a synonym is compared by ``loose_key``, with the header's unit (``Сумма, ₽``,
    ``Сумма (руб.)``) also tried without it.
    """
    by_key = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    wanted = {_key(c): c for c in canonical}
    explicit: dict[str, str] = {}
    for left, right in (mapping or {}).items():
        if _key(left) in wanted:
            target, source = wanted[_key(left)], right
        elif _key(right) in wanted:
            target, source = wanted[_key(right)], left
        else:
            raise InputError(
                f"cannot map {left!r} = {right!r}: neither is one of {', '.join(canonical)}", file=file
            )
        explicit[target] = source
    found: dict[str, str] = {}
    for target in canonical:
        if target in explicit:
            source = explicit[target]
            if _key(source) not in by_key:
                raise InputError(
                    f"column {source!r} (mapped to {target}) is not in the file; "
                    f"its columns are: {', '.join(columns)}",
                    file=file,
                )
            found[target] = by_key[_key(source)]
    taken = set(found.values())
    for target in canonical:
        if target not in found and _key(target) in by_key and by_key[_key(target)] not in taken:
            found[target] = by_key[_key(target)]
            taken.add(found[target])
    loose: dict[str, str] = {}
    for column in columns:
        loose.setdefault(loose_key(column), column)
    for column in columns:
        loose.setdefault(loose_key(re.split(r"[,(]", column, maxsplit=1)[0]), column)
    for target in canonical:
        for name in (synonyms or {}).get(target, ()) if target not in found else ():
            column = loose.get(loose_key(name))
            if column is not None and column not in taken:
                found[target] = column
                taken.add(column)
                break
    return found


def loose_key(name: str) -> str:
    """A header as compared with the known ones: case-folded, ё as е, every run of
    characters other than letters and digits one space.

    >>> loose_key(" ID_клиента "), loose_key("Дата/Время"), loose_key("Счёт")
    ('id клиента', 'дата время', 'счет')
    """
    return " ".join(re.findall(r"[^\W_]+", name.casefold().replace("ё", "е")))


def _key(name: str) -> str:
    return name.strip().casefold()
