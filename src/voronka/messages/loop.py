"""Strings of the loop analyses: repeat purchases, retention, lifecycle, drifting customers, RFM.

Kazakh texts are our translations (no source in the seed articles): to be checked by a
Kazakh reader.
"""

MESSAGES: dict[str, dict[str, str]] = {
    # RFM segments (docs/loop.md)
    "loop.segment.champions": {"en": "Champions", "ru": "Чемпионы", "kk": "Чемпиондар"},
    "loop.segment.loyal": {"en": "Loyal", "ru": "Лояльные", "kk": "Адал клиенттер"},
    "loop.segment.potential_loyalist": {"en": "Potential loyalists", "ru": "Потенциально лояльные",
                                        "kk": "Әлеуетті адал клиенттер"},
    "loop.segment.new": {"en": "New customers", "ru": "Новые клиенты", "kk": "Жаңа клиенттер"},
    "loop.segment.promising": {"en": "Promising", "ru": "Перспективные", "kk": "Болашағы бар клиенттер"},
    "loop.segment.need_attention": {"en": "Need attention", "ru": "Требуют внимания", "kk": "Назар аударуды қажет етеді"},
    "loop.segment.about_to_sleep": {"en": "About to sleep", "ru": "Засыпающие", "kk": "Ұйқыға кетуге жақын"},
    "loop.segment.at_risk": {"en": "At risk", "ru": "В зоне риска", "kk": "Тәуекел аймағында"},
    "loop.segment.cant_lose": {"en": "Can't lose them", "ru": "Нельзя потерять", "kk": "Жоғалтуға болмайды"},
    "loop.segment.hibernating": {"en": "Hibernating", "ru": "Спящие", "kk": "Ұйқыдағы клиенттер"},
    "loop.segment.lost": {"en": "Lost", "ru": "Потерянные", "kk": "Жоғалған клиенттер"},
    # lifecycle states
    "loop.state.new": {"en": "New", "ru": "Новые", "kk": "Жаңа"},
    "loop.state.returning": {"en": "Returning", "ru": "Вернувшиеся", "kk": "Қайта келгендер"},
    "loop.state.resurrecting": {"en": "Resurrecting", "ru": "Воскресшие", "kk": "Қайта оянғандар"},
    "loop.state.dormant": {"en": "Dormant", "ru": "Уснувшие", "kk": "Ұйықтағандар"},
    # retention measures
    "loop.measure.retention": {"en": "Retention in period k", "ru": "Удержание в периоде k",
                               "kk": "k мерзіміндегі ұстап қалу"},
    "loop.measure.retention_k_or_later": {"en": "Retention in period k or later",
                                          "ru": "Удержание в периоде k или позже",
                                          "kk": "k мерзімінде немесе кейін ұстап қалу"},
    "loop.measure.revenue_retention": {"en": "Revenue retention", "ru": "Удержание выручки",
                                       "kk": "Түсімді ұстап қалу"},
    # report sections
    "loop.section.repeat": {"en": "Repeat purchases", "ru": "Повторные покупки", "kk": "Қайталама сатып алулар"},
    "loop.section.retention": {"en": "Cohort retention", "ru": "Удержание когорт", "kk": "Когорталарды ұстап қалу"},
    "loop.section.lifecycle": {"en": "Customer lifecycle", "ru": "Жизненный цикл клиентов",
                               "kk": "Клиенттердің өмірлік циклі"},
    "loop.section.rfm": {"en": "RFM segments", "ru": "RFM-сегменты", "kk": "RFM сегменттері"},
    "loop.section.overdue": {"en": "Customers drifting away", "ru": "Уходящие клиенты", "kk": "Кетіп бара жатқан клиенттер"},
    "loop.section.winback": {"en": "Win-back offers", "ru": "Предложения для возврата",
                             "kk": "Қайтаруға арналған ұсыныстар"},
    # axes and columns
    "loop.axis.cohort": {"en": "Cohort", "ru": "Когорта", "kk": "Когорта"},
    "loop.axis.k": {"en": "Periods since the first purchase", "ru": "Периодов после первой покупки",
                    "kk": "Алғашқы сатып алудан кейінгі мерзімдер"},
    "loop.axis.period": {"en": "Period", "ru": "Период", "kk": "Мерзім"},
    "loop.axis.customers": {"en": "Customers", "ru": "Клиенты", "kk": "Клиенттер"},
    "loop.axis.revenue": {"en": "Revenue", "ru": "Выручка", "kk": "Түсім"},
    "loop.col.segment": {"en": "Segment", "ru": "Сегмент", "kk": "Сегмент"},
    "loop.col.share": {"en": "Share of customers", "ru": "Доля клиентов", "kk": "Клиенттер үлесі"},
    "loop.col.revenue_share": {"en": "Share of revenue", "ru": "Доля выручки", "kk": "Түсім үлесі"},
    "loop.col.repeat_rate": {"en": "Repeat-purchase rate", "ru": "Доля повторных покупателей",
                             "kk": "Қайта сатып алушылар үлесі"},
    "loop.col.repeat_customers": {"en": "Repeat customers", "ru": "Повторные покупатели",
                                  "kk": "Қайта сатып алушылар"},
    "loop.col.occasions": {"en": "Purchase occasions", "ru": "Покупки (по дням)", "kk": "Сатып алулар (күн бойынша)"},
    "loop.col.median_gap_days": {"en": "Median days between purchases", "ru": "Медиана дней между покупками",
                                 "kk": "Сатып алулар арасындағы күндер медианасы"},
    "loop.col.mean_gap_days": {"en": "Mean days between purchases", "ru": "Среднее дней между покупками",
                               "kk": "Сатып алулар арасындағы орташа күндер"},
    "loop.col.occasions_per_customer": {"en": "Purchases per customer", "ru": "Покупок на клиента",
                                        "kk": "Бір клиентке сатып алулар"},
    "loop.col.gaps": {"en": "Intervals between purchases", "ru": "Интервалов между покупками",
                      "kk": "Сатып алулар арасындағы аралықтар"},
    "loop.col.mean_recency_days": {"en": "Mean days since last purchase", "ru": "Среднее дней с последней покупки",
                                   "kk": "Соңғы сатып алудан бергі орташа күндер"},
    "loop.col.mean_frequency": {"en": "Mean purchases", "ru": "Среднее число покупок", "kk": "Сатып алулардың орташа саны"},
    "loop.col.mean_monetary": {"en": "Mean revenue per customer", "ru": "Средняя выручка на клиента",
                               "kk": "Бір клиенттен орташа түсім"},
    "loop.retention.note": {
        "en": "Share of each cohort (customers by period of first purchase) buying again k periods later. "
              "Blank cells: periods not complete yet.",
        "ru": "Доля каждой когорты (клиенты по периоду первой покупки), купившая снова через k периодов. "
              "Пустые клетки: периоды ещё не завершены.",
        "kk": "Әр когортаның (алғашқы сатып алу мерзімі бойынша клиенттер) k мерзімнен кейін қайта сатып алған үлесі. "
              "Бос ұяшықтар: мерзімдер әлі аяқталмаған.",
    },
    "loop.col.overdue": {"en": "Overdue", "ru": "Просрочили покупку", "kk": "Сатып алуды кешіктіргендер"},
    "loop.col.overdue_own": {"en": "Overdue by their own rhythm", "ru": "Просрочили по своему ритму",
                             "kk": "Өз ырғағы бойынша кешіккендер"},
    "loop.col.overdue_population": {"en": "Overdue by the usual gap of all", "ru": "Просрочили по общему интервалу",
                                    "kk": "Жалпы аралық бойынша кешіккендер"},
    "loop.col.threshold": {"en": "Population threshold, days", "ru": "Общий порог, дней", "kk": "Жалпы шек, күн"},
    "loop.col.action": {"en": "Suggested action", "ru": "Рекомендуемое действие", "kk": "Ұсынылатын әрекет"},
    "loop.col.group": {"en": "Group", "ru": "Группа", "kk": "Топ"},
    "loop.col.lapses": {"en": "Lapses", "ru": "Перерывы в покупках", "kk": "Сатып алудағы үзілістер"},
    "loop.col.returned": {"en": "Returned", "ru": "Вернулись", "kk": "Қайтқандар"},
    "loop.col.return_rate": {"en": "Return rate", "ru": "Доля вернувшихся", "kk": "Қайтқандар үлесі"},
    "loop.col.days_since_last": {"en": "Days since last purchase", "ru": "Дней с последней покупки",
                                 "kk": "Соңғы сатып алудан бергі күндер"},
    "loop.col.usual_gap_days": {"en": "Usual days between purchases", "ru": "Обычно дней между покупками",
                                "kk": "Сатып алулар арасындағы әдеттегі күндер"},
    "loop.winback.targeted": {"en": "Received an offer", "ru": "Получили предложение", "kk": "Ұсыныс алғандар"},
    "loop.winback.not_targeted": {"en": "No offer", "ru": "Без предложения", "kk": "Ұсыныссыз"},
    "loop.winback.summary": {
        "en": "Returned within the window: {targeted} with an offer vs {control} without; uplift {uplift} "
              "({confidence} interval {low} to {high}; p = {p}).",
        "ru": "Вернулись в срок: {targeted} с предложением и {control} без него; прирост {uplift} "
              "({confidence} интервал от {low} до {high}; p = {p}).",
        "kk": "Мерзімінде қайтқандар: ұсыныспен {targeted}, ұсыныссыз {control}; өсім {uplift} "
              "({confidence} аралық {low} мен {high} арасы; p = {p}).",
    },
}
