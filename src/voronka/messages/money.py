"""Strings of the money analyses: channel economics, plan vs fact, CRM deal pipelines."""

MESSAGES: dict[str, dict[str, str]] = {
    # section titles and texts
    "money.section.channels": {"en": "Channels and money", "ru": "Каналы и деньги", "kk": "Арналар және ақша"},
    "money.section.channels.text": {
        "en": "{start} – {end}. Customers by first-touch channel; revenue of the period's new customers. "
              "Currencies are never added up.",
        "ru": "{start} – {end}. Клиенты — по каналу первого касания; выручка — новых клиентов периода. "
              "Разные валюты не суммируются.",
        "kk": "{start} – {end}. Клиенттер алғашқы жанасу арнасы бойынша; түсім — мерзімнің жаңа клиенттерінен. "
              "Әр түрлі валюталар қосылмайды.",
    },
    "money.section.totals": {"en": "Totals per currency", "ru": "Итого по валютам", "kk": "Валюталар бойынша жиыны"},
    "money.section.planfact": {"en": "Plan versus fact", "ru": "План и факт", "kk": "Жоспар мен нақты"},
    "money.section.deals": {"en": "Deals pipeline", "ru": "Воронка сделок", "kk": "Мәмілелер шұңқыры"},
    "money.section.deals.text": {
        "en": "As of {as_of}; stuck = open in a stage for {days} days or more.",
        "ru": "На {as_of}; «зависшие» — открыты на этапе {days} дн. и дольше.",
        "kk": "{as_of} жағдайы бойынша; «тұрып қалған» — кезеңде {days} күн не одан да ұзақ ашық.",
    },
    "money.section.outcomes": {"en": "Win rate", "ru": "Доля выигранных сделок", "kk": "Ұтылған мәмілелер үлесі"},
    "money.section.stuck": {"en": "Stuck deals", "ru": "Зависшие сделки", "kk": "Тұрып қалған мәмілелер"},
    "money.chart.cpa_romi": {"en": "CPA and ROMI by channel", "ru": "CPA и ROMI по каналам",
                             "kk": "Арналар бойынша CPA және ROMI"},
    "money.chart.deals": {"en": "Deals reaching each stage", "ru": "Сделки, дошедшие до этапа",
                          "kk": "Кезеңге жеткен мәмілелер"},
    # columns
    "money.channel": {"en": "Channel", "ru": "Канал", "kk": "Арна"},
    "money.campaign": {"en": "Campaign", "ru": "Кампания", "kk": "Науқан"},
    "money.currency": {"en": "Currency", "ru": "Валюта", "kk": "Валюта"},
    "money.spend": {"en": "Spend", "ru": "Расход", "kk": "Шығын"},
    "money.leads": {"en": "Leads", "ru": "Лиды", "kk": "Лидтер"},
    "money.customers": {"en": "New customers", "ru": "Новые клиенты", "kk": "Жаңа клиенттер"},
    "money.cpl": {"en": "CPL", "ru": "Цена лида (CPL)", "kk": "Лид бағасы (CPL)"},
    "money.cpa": {"en": "CPA (CAC)", "ru": "Цена клиента (CPA)", "kk": "Клиент бағасы (CPA)"},
    "money.revenue": {"en": "Revenue", "ru": "Выручка", "kk": "Түсім"},
    "money.revenue_to_date": {"en": "Revenue to date", "ru": "Выручка на сегодня", "kk": "Бүгінгі түсім"},
    "money.romi": {"en": "ROMI", "ru": "ROMI (окупаемость)", "kk": "ROMI (өтелімділік)"},
    "money.roi": {"en": "ROI", "ru": "ROI (с маржой)", "kk": "ROI (маржамен)"},
    "money.ltv": {"en": "LTV", "ru": "LTV (ценность клиента)", "kk": "LTV (клиент құндылығы)"},
    "money.ltv_cac": {"en": "LTV/CAC", "ru": "Отношение LTV/CAC", "kk": "LTV/CAC қатынасы"},
    "money.payback_months": {"en": "Payback, months", "ru": "Окупаемость, мес.", "kk": "Өтелу, ай"},
    "money.month": {"en": "Month", "ru": "Месяц", "kk": "Ай"},
    "money.sales": {"en": "Sales", "ru": "Продажи", "kk": "Сатылым"},
    "money.pipeline": {"en": "Pipeline", "ru": "Воронка", "kk": "Шұңқыр"},
    "money.manager": {"en": "Manager", "ru": "Менеджер", "kk": "Менеджер"},
    "money.stage_number": {"en": "#", "ru": "№", "kk": "№"},
    "money.stage": {"en": "Stage", "ru": "Этап", "kk": "Кезең"},
    "money.reached": {"en": "Reached", "ru": "Дошли", "kk": "Жеткені"},
    "money.next_reached": {"en": "Reached next", "ru": "Дошли до следующего", "kk": "Келесіге жеткені"},
    "money.conversion": {"en": "Conversion", "ru": "Конверсия", "kk": "Конверсия"},
    "money.stays": {"en": "Finished stays", "ru": "Завершённых пребываний", "kk": "Аяқталған болулар"},
    "money.median_days": {"en": "Median days in stage", "ru": "Медиана дней на этапе",
                          "kk": "Кезеңдегі күндер медианасы"},
    "money.p90_days": {"en": "p90 days in stage", "ru": "p90 дней на этапе", "kk": "Кезеңдегі күндер p90"},
    "money.open_now": {"en": "Open now", "ru": "Открыто сейчас", "kk": "Қазір ашық"},
    "money.stuck": {"en": "Stuck", "ru": "Зависли", "kk": "Тұрып қалды"},
    "money.deals": {"en": "Deals", "ru": "Сделки", "kk": "Мәмілелер"},
    "money.won": {"en": "Won", "ru": "Выиграно", "kk": "Ұтылды"},
    "money.lost": {"en": "Lost", "ru": "Проиграно", "kk": "Жоғалды"},
    "money.open": {"en": "Open", "ru": "В работе", "kk": "Жұмыста"},
    "money.win_rate": {"en": "Win rate", "ru": "Доля выигранных", "kk": "Ұтыс үлесі"},
    "money.deal_id": {"en": "Deal", "ru": "Сделка", "kk": "Мәміле"},
    "money.entered_at": {"en": "In stage since", "ru": "На этапе с", "kk": "Кезеңде бастап"},
    "money.days_in_stage": {"en": "Days in stage", "ru": "Дней на этапе", "kk": "Кезеңдегі күндер"},
    "money.section.manager_plans": {"en": "Each manager's plan", "ru": "План каждого менеджера",
                                     "kk": "Әр менеджердің жоспары"},
    "money.step": {"en": "#", "ru": "№", "kk": "№"},
    "money.conversion_from_previous": {"en": "Conversion", "ru": "Конверсия", "kk": "Конверсия"},
    "money.per_seller_per_day": {"en": "Per working day", "ru": "В рабочий день", "kk": "Жұмыс күніне"},
    "money.per_seller_per_period": {"en": "Per month", "ru": "В месяц", "kk": "Айына"},
}

_PARTS = {"plan": {"en": "plan", "ru": "план", "kk": "жоспар"},
          "fact": {"en": "fact", "ru": "факт", "kk": "нақты"},
          "deviation": {"en": "deviation", "ru": "отклонение", "kk": "ауытқу"},
          "pct": {"en": "% of plan", "ru": "% плана", "kk": "жоспардың %"}}
MESSAGES.update({  # the plan-versus-fact columns: "<metric>: <part>", e.g. money.spend_plan "Spend: plan"
    f"money.{metric}_{part}": {lang: f"{MESSAGES[f'money.{metric}'][lang]}: {words[lang]}" for lang in words}
    for metric in ("spend", "leads", "sales") for part, words in _PARTS.items()
})
