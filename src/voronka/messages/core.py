"""Strings of the report frame, the funnel and the charts."""

MESSAGES: dict[str, dict[str, str]] = {
    # --- names of the languages, each in itself
    "lang.en": {"en": "English", "ru": "English", "kk": "English"},
    "lang.ru": {"en": "Русский", "ru": "Русский", "kk": "Русский"},
    "lang.kk": {"en": "Қазақша", "ru": "Қазақша", "kk": "Қазақша"},
    # --- the report frame
    "report.generated": {"en": "Generated", "ru": "Сформирован", "kk": "Жасалған уақыты"},
    "report.language": {"en": "Language", "ru": "Язык", "kk": "Тіл"},
    "report.contents": {"en": "Contents", "ru": "Содержание", "kk": "Мазмұны"},
    "report.footer": {
        "en": "Made with voronka {version}",
        "ru": "Создано в voronka {version}",
        "kk": "voronka {version} көмегімен жасалды",
    },
    "report.demo_title": {
        "en": "Protein bars shop: the customer hourglass (demo data)",
        "ru": "Магазин протеиновых батончиков: песочные часы клиента (демо-данные)",
        "kk": "Протеин батончиктері дүкені: клиенттің құм сағаты (демо деректер)",
    },
    "report.full_title": {
        "en": "Customer journey report",
        "ru": "Отчёт о пути клиента",
        "kk": "Клиент жолы туралы есеп",
    },
    "report.skipped": {
        "en": "Analyses left out (the data does not support them)",
        "ru": "Пропущенные анализы (данных для них нет)",
        "kk": "Өткізілген талдаулар (олар үшін деректер жоқ)",
    },
    "report.demo_intro": {
        "en": "{customers} customers, {events} events. Each stage counts the customers who reached it in order; "
              "conversion is from the previous stage.",
        "ru": "{customers} клиентов, {events} событий. На каждом этапе — клиенты, дошедшие до него по порядку; "
              "конверсия — от предыдущего этапа.",
        "kk": "{customers} клиент, {events} оқиға. Әр кезеңде — оған ретімен жеткен клиенттер; "
              "конверсия — алдыңғы кезеңнен.",
    },
    # --- the analyses of the full report, and why one is left out (voronka.reports.support)
    "report.analysis.hourglass": {"en": "Hourglass", "ru": "Песочные часы", "kk": "Құм сағат"},
    "report.analysis.diagnose": {"en": "Weak links and the plan", "ru": "Слабые звенья и план",
                                 "kk": "Әлсіз буындар және жоспар"},
    "report.analysis.paths": {"en": "Touches and paths", "ru": "Касания и пути", "kk": "Жанасулар мен жолдар"},
    "report.analysis.attribution": {"en": "Attribution", "ru": "Атрибуция", "kk": "Атрибуция"},
    "report.analysis.scan": {"en": "What changed (change scan)", "ru": "Что изменилось (поиск изменений)",
                             "kk": "Не өзгерді (өзгерістерді іздеу)"},
    "report.analysis.transitions": {"en": "Transitions and loops", "ru": "Переходы и петли",
                                    "kk": "Өтулер мен тұзақтар"},
    "report.analysis.profile": {"en": "Profile of the data", "ru": "Профиль данных", "kk": "Деректер профилі"},
    "report.analysis.clv": {"en": "Lifetime value (CLV)", "ru": "Пожизненная ценность (CLV)",
                            "kk": "Өмірлік құндылық (CLV)"},
    "report.analysis.money": {"en": "Channels and money", "ru": "Каналы и деньги", "kk": "Арналар және ақша"},
    "report.analysis.loop": {"en": "Repeat purchases and retention", "ru": "Повторные покупки и удержание",
                             "kk": "Қайталама сатып алулар және ұстап қалу"},
    "report.analysis.referrals": {"en": "Referrals", "ru": "Рекомендации", "kk": "Ұсыныстар"},
    "report.analysis.complaints": {"en": "Complaints", "ru": "Жалобы", "kk": "Шағымдар"},
    "report.reason.no_spend": {
        "en": "no spend rows (load them with 'voronka ingest spend FILE')",
        "ru": "нет строк расходов (загрузите их: 'voronka ingest spend ФАЙЛ')",
        "kk": "шығын жолдары жоқ (оларды жүктеңіз: 'voronka ingest spend ФАЙЛ')",
    },
    "report.reason.no_purchase": {
        "en": "no purchase event",
        "ru": "нет ни одного события покупки (purchase)",
        "kk": "бірде-бір сатып алу оқиғасы (purchase) жоқ",
    },
    "report.reason.few_repeat": {
        "en": "fewer than {needed} customers with a repeat purchase (found {found})",
        "ru": "меньше {needed} клиентов с повторной покупкой (найдено {found})",
        "kk": "қайта сатып алған клиенттер {needed}-ден аз (табылғаны {found})",
    },
    "report.reason.no_referrer": {
        "en": "no event has a referrer (referrer_id) and none is a referral_invite",
        "ru": "ни у одного события нет пригласившего (referrer_id) и нет событий referral_invite",
        "kk": "бірде-бір оқиғада шақырушы (referrer_id) жоқ және referral_invite оқиғалары жоқ",
    },
    "report.reason.no_complaint": {
        "en": "no complaint event",
        "ru": "нет ни одного события жалобы (complaint)",
        "kk": "бірде-бір шағым оқиғасы (complaint) жоқ",
    },
    "report.analysis.funnel": {"en": "Funnel", "ru": "Воронка", "kk": "Воронка"},
    "report.analysis.deals": {"en": "CRM deals pipeline", "ru": "Воронка сделок CRM", "kk": "CRM мәмілелер воронкасы"},
    "report.reason.no_deals": {
        "en": "no CRM deals (load an export: 'voronka ingest deals FILE')",
        "ru": "нет сделок CRM (загрузите выгрузку: 'voronka ingest deals ФАЙЛ')",
        "kk": "CRM мәмілелері жоқ (экспортты жүктеңіз: 'voronka ingest deals ФАЙЛ')",
    },
    "report.reason.empty_funnel": {
        "en": "the funnel is empty (see «{funnel}» in this list)",
        "ru": "воронка пуста (см. «{funnel}» в этом списке)",
        "kk": "воронка бос (осы тізімдегі «{funnel}» қараңыз)",
    },
    "dashboard.title": {
        "en": "Customer journey dashboard",
        "ru": "Панель пути клиента",
        "kk": "Клиент жолының тақтасы",
    },
    "report.no_data": {"en": "No data", "ru": "Нет данных", "kk": "Деректер жоқ"},
    "report.rows_truncated": {
        "en": "Showing the first {shown} of {total} rows.",
        "ru": "Показаны первые {shown} из {total} строк.",
        "kk": "{total} жолдың алғашқы {shown} жолы көрсетілген.",
    },
    # --- a funnel the data cannot fill (voronka.funnel.coverage)
    "funnel.no_events": {
        "en": "There are no events to count: load some with 'voronka ingest FILE' (or try 'voronka demo').",
        "ru": "Событий нет: загрузите их командой 'voronka ingest ФАЙЛ' (или попробуйте 'voronka demo').",
        "kk": "Оқиғалар жоқ: оларды 'voronka ingest ФАЙЛ' командасымен жүктеңіз (немесе 'voronka demo' "
              "қолданып көріңіз).",
    },
    "funnel.empty": {
        "en": "The funnel is empty: no event matches these steps: {steps}. The events in the data "
              "(the {shown} most frequent): {events}",
        "ru": "Воронка пуста: ни одно событие не подходит под эти шаги: {steps}. События в данных "
              "({shown} самых частых): {events}",
        "kk": "Воронка бос: бұл қадамдарға бірде-бір оқиға сәйкес келмейді: {steps}. Деректердегі оқиғалар "
              "(ең жиі {shown}): {events}",
    },
    "funnel.steps_unmatched": {
        "en": "No event matches these steps: {steps}. The events in the data (the {shown} most frequent): "
              "{events}",
        "ru": "Ни одно событие не подходит под эти шаги: {steps}. События в данных ({shown} самых частых): "
              "{events}",
        "kk": "Бұл қадамдарға бірде-бір оқиға сәйкес келмейді: {steps}. Деректердегі оқиғалар (ең жиі "
              "{shown}): {events}",
    },
    # --- funnel result columns
    "funnel.step": {"en": "Step", "ru": "Шаг", "kk": "Қадам"},
    "funnel.stage": {"en": "Stage", "ru": "Этап", "kk": "Кезең"},
    "funnel.step_key": {"en": "Key", "ru": "Ключ", "kk": "Кілт"},
    "funnel.breakdown": {"en": "Breakdown", "ru": "Разбивка", "kk": "Топтау"},
    "funnel.customers": {"en": "Customers", "ru": "Клиенты", "kk": "Клиенттер"},
    "funnel.conversion_from_previous": {
        "en": "Conversion from previous step",
        "ru": "Конверсия из предыдущего шага",
        "kk": "Алдыңғы қадамнан конверсия",
    },
    "funnel.conversion_from_first": {
        "en": "Conversion from first step",
        "ru": "Конверсия от первого шага",
        "kk": "Бірінші қадамнан конверсия",
    },
    "funnel.dropped": {"en": "Dropped off", "ru": "Отвалились", "kk": "Шығып кеткендер"},
    "funnel.in_progress": {"en": "In progress", "ru": "В процессе", "kk": "Үдерісте"},
    "funnel.median_time": {
        "en": "Median time from previous step",
        "ru": "Медианное время от предыдущего шага",
        "kk": "Алдыңғы қадамнан медианалық уақыт",
    },
    "funnel.mean_time": {
        "en": "Mean time from previous step",
        "ru": "Среднее время от предыдущего шага",
        "kk": "Алдыңғы қадамнан орташа уақыт",
    },
    "funnel.all_customers": {"en": "All customers", "ru": "Все клиенты", "kk": "Барлық клиенттер"},
    "funnel.other": {"en": "Other", "ru": "Прочие", "kk": "Басқалары"},
    "funnel.step_n": {"en": "Step {n}", "ru": "Шаг {n}", "kk": "{n}-қадам"},
    # --- charts
    "chart.funnel.title": {"en": "Funnel", "ru": "Воронка", "kk": "Воронка"},
    "chart.empty": {"en": "Nothing to draw: the data has no values for this chart.",
                    "ru": "Нечего показать: в данных нет значений для этого графика.",
                    "kk": "Көрсететін ештеңе жоқ: деректерде бұл диаграммаға мән жоқ."},
    "chart.hourglass.title": {"en": "Hourglass", "ru": "Песочные часы", "kk": "Құм сағат"},
    "chart.hourglass.before": {"en": "Acquisition", "ru": "Привлечение", "kk": "Клиент тарту"},
    "chart.hourglass.after": {"en": "After purchase", "ru": "После покупки", "kk": "Сатудан кейін"},
    "chart.share_of_stage": {
        "en": "{share} of “{stage}”",
        "ru": "{share} от «{stage}»",
        "kk": "«{stage}» кезеңінің {share}",
    },
    "chart.ttc.title": {
        "en": "Time to convert",
        "ru": "Время до конверсии",
        "kk": "Конверсияға дейінгі уақыт",
    },
    "chart.ttc.x": {
        "en": "Time from the first step",
        "ru": "Время от первого шага",
        "kk": "Бірінші қадамнан бергі уақыт",
    },
    "chart.trend.title": {
        "en": "Conversion trend",
        "ru": "Динамика конверсии",
        "kk": "Конверсия динамикасы",
    },
    "chart.trend.x": {"en": "Cohort period", "ru": "Период когорты", "kk": "Когорта мерзімі"},
    "chart.customers_count": {
        "en": "Number of customers",
        "ru": "Число клиентов",
        "kk": "Клиенттер саны",
    },
    # the customers table (voronka.positions)
    "positions.col.customer_id": {"en": "Customer", "ru": "Клиент", "kk": "Клиент"},
    "positions.col.stage": {"en": "Stage key", "ru": "Ключ этапа", "kk": "Кезең кілті"},
    "positions.col.stage_label": {"en": "Stage", "ru": "Этап", "kk": "Кезең"},
    "positions.col.stage_number": {"en": "#", "ru": "№", "kk": "№"},
    "positions.col.entered_at": {"en": "In stage since", "ru": "На этапе с", "kk": "Кезеңде бастап"},
    "positions.col.days_in_stage": {"en": "Days in stage", "ru": "Дней на этапе", "kk": "Кезеңдегі күндер"},
    "positions.col.next_action": {"en": "Next action", "ru": "Следующее действие", "kk": "Келесі әрекет"},
}
