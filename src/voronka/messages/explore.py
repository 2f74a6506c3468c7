"""Strings of the exploring analyses: profile, transitions and the change scan.

Kazakh strings are our translations and should be checked by a Kazakh reader.
"""

MESSAGES: dict[str, dict[str, str]] = {
    # --- sections
    "explore.section.scan": {"en": "What changed: the change scan", "ru": "Что изменилось: поиск изменений",
                             "kk": "Не өзгерді: өзгерістерді іздеу"},
    "explore.section.transitions": {"en": "Transitions between events", "ru": "Переходы между событиями",
                                    "kk": "Оқиғалар арасындағы өтулер"},
    "explore.section.profile": {"en": "Profile of the data", "ru": "Профиль данных", "kk": "Деректер профилі"},
    # --- scan findings
    "explore.scan.transition": {
        "en": "{measure}{segment}: from {first} to {last} {rate} converted (95% interval {low}–{high}, "
              "{trials} customers) against {rest} in the other periods; about {units} customers{value}. "
              "Test: {test}, p {p}, q {q}.",
        "ru": "{measure}{segment}: с {first} по {last} перешли {rate} (95% интервал {low}–{high}, "
              "{trials} клиентов) против {rest} в остальные периоды; около {units} клиентов{value}. "
              "Тест: {test}, p {p}, q {q}.",
        "kk": "{measure}{segment}: {first} – {last} аралығында {rate} өтті (95% аралық {low}–{high}, "
              "{trials} клиент), басқа мерзімдерде {rest}; шамамен {units} клиент{value}. "
              "Тест: {test}, p {p}, q {q}.",
    },
    "explore.scan.volume": {
        "en": "{measure}{segment}: from {first} to {last} {rate} of the active customers a day had this event "
              "(95% interval {low}–{high}) against {rest} in the other periods; about {units} customer-days. "
              "Test: {test}, p {p}, q {q}.",
        "ru": "{measure}{segment}: с {first} по {last} это событие было у {rate} активных за день клиентов "
              "(95% интервал {low}–{high}) против {rest} в остальные периоды; около {units} клиенто-дней. "
              "Тест: {test}, p {p}, q {q}.",
        "kk": "{measure}{segment}: {first} – {last} аралығында бұл оқиға күндік белсенді клиенттердің {rate} "
              "үлесінде болды (95% аралық {low}–{high}), басқа мерзімдерде {rest}; шамамен {units} клиент-күн. "
              "Тест: {test}, p {p}, q {q}.",
    },
    "explore.scan.value": {"en": ", {value} of revenue", "ru": ", {value} выручки", "kk": ", {value} түсім"},
    "explore.scan.none": {
        "en": "No series changed significantly ({series} series, one Benjamini–Hochberg correction, q ≤ {alpha}).",
        "ru": "Ни один ряд не изменился значимо ({series} рядов, одна поправка Бенджамини–Хохберга, q ≤ {alpha}).",
        "kk": "Ешбір қатар мәнді өзгермеді ({series} қатар, бір Бенджамини–Хохберг түзетуі, q ≤ {alpha}).",
    },
    "explore.scan.chart": {"en": "Rate per period with 95% interval; the changed window shaded",
                           "ru": "Доля по периодам с 95% интервалом; изменившееся окно закрашено",
                           "kk": "Мерзімдер бойынша үлес, 95% аралық; өзгерген терезе боялған"},
    # --- transitions
    "explore.transitions.loop": {
        "en": "{back}: {units} customers were sent back before converting ({share} of those at {source}); "
              "{rate} of them converted against {others} of the others: about {lost} conversions.",
        "ru": "{back}: {units} клиентов вернулись назад до конверсии ({share} из дошедших до {source}); "
              "из них сконвертировались {rate} против {others} у остальных: около {lost} конверсий.",
        "kk": "{back}: {units} клиент конверсияға дейін артқа оралды ({source} жеткендердің {share}); "
              "олардың {rate} конверсия жасады, қалғандарында {others}: шамамен {lost} конверсия.",
    },
    "explore.transitions.none": {"en": "No back-edges before conversion.", "ru": "Возвратов до конверсии нет.",
                                 "kk": "Конверсияға дейін артқа оралу жоқ."},
    "explore.transitions.graph": {"en": "Transition graph (share of moves out of each event)",
                                  "ru": "Граф переходов (доля переходов из каждого события)",
                                  "kk": "Өтулер графы (әр оқиғадан өтулер үлесі)"},
    # --- two segments compared (transitions --compare)
    "explore.section.compare": {"en": "Two segments compared: {a} against {b}",
                                "ru": "Сравнение двух сегментов: {a} и {b}",
                                "kk": "Екі сегментті салыстыру: {a} және {b}"},
    "explore.compare.move": {
        "en": "{source} → {target}: {a} of the moves out of {source} in {seg_a} against {b} in {seg_b} "
              "(difference {diff}; test: {test}, q {q}).",
        "ru": "{source} → {target}: {a} переходов из {source} в {seg_a} против {b} в {seg_b} "
              "(разница {diff}; тест: {test}, q {q}).",
        "kk": "{source} → {target}: {seg_a} ішінде {source} оқиғасынан өтулердің {a}, {seg_b} ішінде {b} "
              "(айырма {diff}; тест: {test}, q {q}).",
    },
    "explore.compare.step": {
        "en": "Step {step}, {state}: {a} of the customers in {seg_a} against {b} in {seg_b} "
              "(difference {diff}; test: {test}, q {q}).",
        "ru": "Шаг {step}, {state}: {a} клиентов в {seg_a} против {b} в {seg_b} "
              "(разница {diff}; тест: {test}, q {q}).",
        "kk": "{step}-қадам, {state}: {seg_a} ішінде клиенттердің {a}, {seg_b} ішінде {b} "
              "(айырма {diff}; тест: {test}, q {q}).",
    },
    "explore.compare.none": {
        "en": "No cell of the transition or step matrix differs significantly between {seg_a} and {seg_b} "
              "(one Benjamini–Hochberg correction per matrix, q ≤ {alpha}).",
        "ru": "Ни одна клетка матрицы переходов или шагов не различается значимо между {seg_a} и {seg_b} "
              "(одна поправка Бенджамини–Хохберга на матрицу, q ≤ {alpha}).",
        "kk": "{seg_a} мен {seg_b} арасында өтулер немесе қадамдар матрицасының ешбір ұяшығы мәнді ерекшеленбейді "
              "(әр матрицаға бір Бенджамини–Хохберг түзетуі, q ≤ {alpha}).",
    },
    "explore.compare.chart": {"en": "Step matrix: share of customers at each event on each step, {a} − {b}",
                              "ru": "Матрица шагов: доля клиентов на каждом событии на каждом шаге, {a} − {b}",
                              "kk": "Қадамдар матрицасы: әр қадамдағы әр оқиғадағы клиенттер үлесі, {a} − {b}"},
    "explore.compare.step_axis": {"en": "step", "ru": "шаг", "kk": "қадам"},
    # --- profile
    "explore.profile.repeats": {"en": "{rows} rows were dropped as repeats at ingest.",
                                "ru": "{rows} строк отброшено при загрузке как повторы.",
                                "kk": "Жүктеу кезінде {rows} жол қайталау ретінде алынып тасталды."},
    "explore.profile.new": {"en": "New event {event}: first seen {first} ({count} events).",
                            "ru": "Новое событие {event}: впервые {first} ({count} событий).",
                            "kk": "Жаңа оқиға {event}: алғаш рет {first} ({count} оқиға)."},
    "explore.profile.rare": {"en": "Rare event {event}: {count} events, {customers} customers.",
                             "ru": "Редкое событие {event}: {count} событий, {customers} клиентов.",
                             "kk": "Сирек оқиға {event}: {count} оқиға, {customers} клиент."},
    "explore.profile.spike": {"en": "Spike of {event} on {day}: {count} events against a median of {median} a day.",
                              "ru": "Всплеск {event} {day}: {count} событий при медиане {median} в день.",
                              "kk": "{event} шұғыл өсуі {day}: күніне медиана {median} болғанда {count} оқиға."},
    "explore.profile.out_of_order": {
        "en": "{rows} events are out of order: stored after a later event of the same customer "
              "(median gap back in time {gap}).",
        "ru": "{rows} событий идут не по порядку: записаны после более позднего события того же клиента "
              "(медиана сдвига назад {gap}).",
        "kk": "{rows} оқиға ретсіз: сол клиенттің кейінгі оқиғасынан кейін жазылған "
              "(артқа ығысу медианасы {gap}).",
    },
    "explore.profile.simultaneous": {"en": "{rows} events share their timestamp with another event of the same customer.",
                                     "ru": "{rows} событий совпадают по времени с другим событием того же клиента.",
                                     "kk": "{rows} оқиғаның уақыты сол клиенттің басқа оқиғасымен бірдей."},
    "explore.profile.future": {"en": "{rows} events are dated in the future (after {now}).",
                               "ru": "{rows} событий датированы будущим (после {now}).",
                               "kk": "{rows} оқиға болашақ күнмен белгіленген ({now} кейін)."},
    "explore.profile.gaps": {"en": "{days} days without any event between {first} and {last}.",
                             "ru": "{days} дней без событий между {first} и {last}.",
                             "kk": "{first} пен {last} аралығында оқиғасыз {days} күн."},
    "explore.profile.clean": {"en": "No repeats, gaps, out-of-order or future events found.",
                              "ru": "Повторов, пропусков, событий не по порядку или из будущего не найдено.",
                              "kk": "Қайталау, үзіліс, ретсіз немесе болашақ оқиғалар табылмады."},
    # the profile's tables
    "explore.col.event": {"en": "Event", "ru": "Событие", "kk": "Оқиға"},
    "explore.col.events": {"en": "Events", "ru": "События", "kk": "Оқиғалар"},
    "explore.col.customers": {"en": "Customers", "ru": "Клиенты", "kk": "Клиенттер"},
    "explore.col.first": {"en": "First", "ru": "Первое", "kk": "Алғашқы"},
    "explore.col.last": {"en": "Last", "ru": "Последнее", "kk": "Соңғы"},
    "explore.col.share": {"en": "Share of events", "ru": "Доля событий", "kk": "Оқиғалар үлесі"},
    "explore.col.per_day": {"en": "Per day", "ru": "В день", "kk": "Күніне"},
    "explore.col.new": {"en": "New", "ru": "Новое", "kk": "Жаңа"},
    "explore.col.rare": {"en": "Rare", "ru": "Редкое", "kk": "Сирек"},
    "explore.col.spike_day": {"en": "Spike day", "ru": "День всплеска", "kk": "Секіріс күні"},
    "explore.col.field": {"en": "Field", "ru": "Поле", "kk": "Өріс"},
    "explore.col.coverage": {"en": "Filled in", "ru": "Заполнено", "kk": "Толтырылған"},
    "explore.col.values": {"en": "Distinct values", "ru": "Разных значений", "kk": "Әр түрлі мәндер"},
    "explore.col.top": {"en": "Most common values", "ru": "Частые значения", "kk": "Жиі мәндер"},
    "explore.col.day": {"en": "Day", "ru": "День", "kk": "Күн"},
}
