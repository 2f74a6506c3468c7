"""Strings of the diagnose analyses: weak links, changes, findings, what-if and the plan.

Kazakh strings are our translations and should be checked by a Kazakh reader.
"""

MESSAGES: dict[str, dict[str, str]] = {
    # --- report sections
    "diagnose.section.lose": {"en": "Where you lose customers", "ru": "Где вы теряете клиентов",
                              "kk": "Клиенттерді қай жерде жоғалтасыз"},
    "diagnose.section.changes": {"en": "Changes against the previous period", "ru": "Изменения к прошлому периоду",
                                 "kk": "Алдыңғы мерзіммен салыстырғанда өзгерістер"},
    "diagnose.section.plan": {"en": "Plan", "ru": "План", "kk": "Жоспар"},
    "diagnose.section.whatif": {"en": "What if", "ru": "Что если", "kk": "Егер де"},
    "diagnose.chart.title": {"en": "Conversion per transition, 95% confidence interval",
                             "ru": "Конверсия переходов, 95% доверительный интервал",
                             "kk": "Өтулер конверсиясы, 95% сенімділік аралығы"},
    "diagnose.chart.all": {"en": "All customers", "ru": "Все клиенты", "kk": "Барлық клиенттер"},
    "diagnose.chart.rate": {"en": "Conversion", "ru": "Конверсия", "kk": "Конверсия"},
    # --- columns
    "diagnose.col.transition": {"en": "Transition", "ru": "Переход", "kk": "Өту"},
    "diagnose.col.segment": {"en": "Segment", "ru": "Сегмент", "kk": "Сегмент"},
    "diagnose.col.trials": {"en": "Customers", "ru": "Клиенты", "kk": "Клиенттер"},
    "diagnose.col.successes": {"en": "Converted", "ru": "Перешли", "kk": "Өткендер"},
    "diagnose.col.rate": {"en": "Conversion", "ru": "Конверсия", "kk": "Конверсия"},
    "diagnose.col.ci": {"en": "95% interval", "ru": "95% интервал", "kk": "95% аралық"},
    "diagnose.col.reference": {"en": "Compared with", "ru": "Для сравнения", "kk": "Салыстыру үшін"},
    "diagnose.col.q": {"en": "q (BH)", "ru": "q (поправка БХ)", "kk": "q (БХ түзетуі)"},
    "diagnose.col.customers_lost": {"en": "Customers lost", "ru": "Потеряно клиентов",
                                    "kk": "Жоғалған клиенттер"},
    "diagnose.col.buyers_lost": {"en": "Buyers lost", "ru": "Потеряно покупателей",
                                 "kk": "Жоғалған сатып алушылар"},
    "diagnose.col.value_lost": {"en": "Revenue lost", "ru": "Потерянная выручка", "kk": "Жоғалған түсім"},
    "diagnose.col.rank": {"en": "Rank", "ru": "Место", "kk": "Орны"},
    "diagnose.col.previous_rate": {"en": "Previous period", "ru": "Прошлый период", "kk": "Алдыңғы мерзім"},
    "diagnose.col.change": {"en": "Change", "ru": "Изменение", "kk": "Өзгеріс"},
    "diagnose.col.stage": {"en": "Stage", "ru": "Этап", "kk": "Кезең"},
    "diagnose.col.per_seller_per_day": {"en": "Per seller per working day", "ru": "На продавца в рабочий день",
                                        "kk": "Бір сатушыға жұмыс күніне"},
    "diagnose.col.per_seller_per_period": {"en": "Per seller per period", "ru": "На продавца за период",
                                           "kk": "Бір сатушыға мерзімге"},
    "diagnose.col.team_per_period": {"en": "Team per period", "ru": "Команде за период", "kk": "Командаға мерзімге"},
    "diagnose.col.new_conversion": {"en": "New conversion", "ru": "Новая конверсия", "kk": "Жаңа конверсия"},
    "diagnose.col.customers": {"en": "Customers now", "ru": "Клиентов сейчас", "kk": "Қазір клиенттер"},
    "diagnose.col.new_customers": {"en": "With the change", "ru": "С изменением", "kk": "Өзгеріспен"},
    "diagnose.col.extra_customers": {"en": "Extra customers", "ru": "Дополнительно клиентов",
                                     "kk": "Қосымша клиенттер"},
    # --- tests
    "diagnose.test.z": {"en": "two-proportion z-test", "ru": "z-тест для двух долей", "kk": "екі үлеске арналған z-тест"},
    "diagnose.test.fisher": {"en": "Fisher's exact test", "ru": "точный тест Фишера", "kk": "Фишердің дәл тесті"},
    "diagnose.neighbours": {"en": "neighbouring transitions", "ru": "соседние переходы", "kk": "көрші өтулер"},
    "diagnose.rest": {"en": "other segments", "ru": "остальные сегменты", "kk": "басқа сегменттер"},
    # --- findings
    "diagnose.finding.transition": {
        "en": "{transition} is a weak link: {rate} convert (95% interval {low}–{high}), against {reference} at the "
              "neighbouring transitions. About {lost} customers lost there{cost}. "
              "Test: {test}, p {p}, q {q}.",
        "ru": "{transition} — слабое звено: конверсия {rate} (95% интервал {low}–{high}) против {reference} на "
              "соседних переходах. Здесь теряется около {lost} клиентов{cost}. "
              "Тест: {test}, p {p}, q {q}.",
        "kk": "{transition} — әлсіз буын: конверсия {rate} (95% аралық {low}–{high}), ал көрші өтулерде "
              "{reference}. Мұнда шамамен {lost} клиент жоғалады{cost}. "
              "Тест: {test}, p {p}, q {q}.",
    },
    "diagnose.finding.segment": {
        "en": "{segment} ({field}) loses customers at {transition}: {rate} convert (95% interval {low}–{high}, "
              "{trials} customers), against {reference} for the other segments. About {lost} customers lost{cost}."
              " Test: {test}, p {p}, q {q}.",
        "ru": "{segment} ({field}) теряет клиентов на переходе {transition}: конверсия {rate} (95% интервал "
              "{low}–{high}, {trials} клиентов) против {reference} в остальных сегментах. Потеряно около {lost} "
              "клиентов{cost}. Тест: {test}, p {p}, q {q}.",
        "kk": "{segment} ({field}) {transition} өтуінде клиенттерді жоғалтады: конверсия {rate} (95% аралық "
              "{low}–{high}, {trials} клиент), ал басқа сегменттерде {reference}. Шамамен {lost} клиент жоғалды{cost}."
              " Тест: {test}, p {p}, q {q}.",
    },
    "diagnose.finding.buyers": {"en": ", {buyers} fewer buyers", "ru": ", это на {buyers} покупателей меньше",
                                "kk": ", бұл {buyers} сатып алушыға аз"},
    "diagnose.finding.value": {"en": ", about {value} of revenue", "ru": ", около {value} выручки",
                               "kk": ", шамамен {value} түсім"},
    "diagnose.finding.change": {
        "en": "{transition}{segment}: {rate} now against {previous} in the previous period ({change} points). "
              "Test: {test}, p {p}, q {q}.",
        "ru": "{transition}{segment}: сейчас {rate} против {previous} в прошлом периоде ({change} п. п.). "
              "Тест: {test}, p {p}, q {q}.",
        "kk": "{transition}{segment}: қазір {rate}, ал алдыңғы мерзімде {previous} ({change} пайыздық тармақ). "
              "Тест: {test}, p {p}, q {q}.",
    },
    "diagnose.finding.action": {"en": "Suggested: {action}.", "ru": "Что сделать: {action}.",
                                "kk": "Не істеу керек: {action}."},
    "diagnose.finding.none": {
        "en": "No transition or segment converts significantly worse than the rest (q ≤ {alpha}).",
        "ru": "Ни один переход и ни один сегмент не конвертирует значимо хуже остальных (q ≤ {alpha}).",
        "kk": "Ешбір өту не сегмент басқалардан айтарлықтай нашар конверсия бермейді (q ≤ {alpha}).",
    },
    "diagnose.finding.no_changes": {
        "en": "No significant change against the previous period ({previous}) (q ≤ {alpha}).",
        "ru": "Значимых изменений к прошлому периоду ({previous}) нет (q ≤ {alpha}).",
        "kk": "Алдыңғы мерзіммен ({previous}) салыстырғанда елеулі өзгеріс жоқ (q ≤ {alpha}).",
    },
    # --- plan
    "diagnose.plan.summary": {
        "en": "Target: {sales} sales per {period} for a team of {sellers}{revenue}. Every volume is rounded up; "
              "a {period} has {days} working days.",
        "ru": "Цель: {sales} продаж за период «{period}» на команду из {sellers}{revenue}. Все объёмы округлены "
              "вверх; в периоде «{period}» {days} рабочих дней.",
        "kk": "Мақсат: {sellers} адамнан тұратын командаға «{period}» мерзімінде {sales} сату{revenue}. Барлық "
              "көлемдер жоғары қарай дөңгелектенген; «{period}» мерзімінде {days} жұмыс күні.",
    },
    "diagnose.whatif.summary": {
        "en": "Raising the conversion into {stage} by {points} points brings {extra} more customers at {value_stage}{revenue}.",
        "ru": "Рост конверсии в этап «{stage}» на {points} п. п. даёт ещё {extra} клиентов на этапе «{value_stage}»{revenue}.",
        "kk": "«{stage}» кезеңіне конверсияны {points} пайыздық тармаққа арттыру «{value_stage}» кезеңінде тағы "
              "{extra} клиент береді{revenue}.",
    },
    "diagnose.plan.revenue": {"en": ", revenue {revenue}", "ru": ", выручка {revenue}", "kk": ", түсім {revenue}"},
    "diagnose.whatif.revenue": {"en": ", about {revenue} more revenue", "ru": ", это около {revenue} выручки сверху",
                                "kk": ", бұл шамамен {revenue} қосымша түсім"},
    "diagnose.period.day": {"en": "day", "ru": "день", "kk": "күн"},
    "diagnose.period.week": {"en": "week", "ru": "неделя", "kk": "апта"},
    "diagnose.period.month": {"en": "month", "ru": "месяц", "kk": "ай"},
}
