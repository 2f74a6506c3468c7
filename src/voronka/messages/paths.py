"""Strings of the paths analyses: touches before conversion, paths, channel × stage.
Kazakh: ours, to be checked by a native reader."""

MESSAGES: dict[str, dict[str, str]] = {
    # touches
    "paths.touches.title": {"en": "Touches before conversion", "ru": "Касания до конверсии",
                            "kk": "Конверсияға дейінгі байланыстар"},
    "paths.touches.range_title": {"en": "Conversion by touch range (\"5–7 touches before the paid offer\")",
                                  "ru": "Конверсия по диапазонам касаний («5–7 касаний до платного предложения»)",
                                  "kk": "Байланыс аралықтары бойынша конверсия («ақылы ұсынысқа дейін 5–7 байланыс»)"},
    "paths.touches.text_all": {
        "en": "A touch is an event with a channel; every touch before the conversion is counted "
              "(or before the last touch of those who did not convert).",
        "ru": "Касание — событие с каналом; считаются все касания до конверсии "
              "(или до последнего касания у тех, кто не сконвертировался).",
        "kk": "Байланыс — арнасы бар оқиға; конверсияға дейінгі барлық байланыс саналады "
              "(конверсия жасамағандар үшін — соңғы байланысқа дейін).",
    },
    "paths.touches.text": {
        "en": "A touch is an event with a channel; touches are counted in the {lookback} before the conversion "
              "(or before the last touch of those who did not convert).",
        "ru": "Касание — событие с каналом; касания считаются за {lookback} до конверсии "
              "(или до последнего касания у тех, кто не сконвертировался).",
        "kk": "Байланыс — арнасы бар оқиға; байланыстар конверсияға дейінгі {lookback} ішінде саналады "
              "(конверсия жасамағандар үшін — соңғы байланысқа дейін).",
    },
    "paths.touches.touches": {"en": "Touches", "ru": "Касания", "kk": "Байланыстар"},
    "paths.touches.channels": {"en": "Distinct channels", "ru": "Разных каналов", "kk": "Әртүрлі арналар"},
    "paths.col.label": {"en": "Touches", "ru": "Касаний", "kk": "Байланыстар"},
    "paths.col.range": {"en": "Touches", "ru": "Касаний", "kk": "Байланыстар"},
    "paths.col.customers": {"en": "Customers", "ru": "Клиенты", "kk": "Клиенттер"},
    "paths.col.converted": {"en": "Converted", "ru": "Сконвертировались", "kk": "Конверсия жасағандар"},
    "paths.col.conversion_rate": {"en": "Conversion", "ru": "Конверсия", "kk": "Конверсия"},
    "paths.col.share_of_converted": {"en": "Share of converted", "ru": "Доля сконвертировавшихся",
                                     "kk": "Конверсия жасағандар үлесі"},
    "paths.col.share_of_not_converted": {"en": "Share of not converted", "ru": "Доля несконвертировавшихся",
                                         "kk": "Конверсия жасамағандар үлесі"},
    "paths.col.ci_low": {"en": "95% CI from", "ru": "95% ДИ от", "kk": "95% СА бастап"},
    "paths.col.ci_high": {"en": "95% CI to", "ru": "95% ДИ до", "kk": "95% СА дейін"},
    # paths
    "paths.top.title": {"en": "Top paths", "ru": "Частые пути", "kk": "Жиі жолдар"},
    "paths.sankey.title": {"en": "Paths (Sankey)", "ru": "Пути (диаграмма Санки)", "kk": "Жолдар (Санки диаграммасы)"},
    "paths.col.path": {"en": "Path", "ru": "Путь", "kk": "Жол"},
    "paths.col.length": {"en": "Steps", "ru": "Шагов", "kk": "Қадамдар"},
    "paths.col.mean_length": {"en": "Mean full length", "ru": "Средняя полная длина", "kk": "Орташа толық ұзындық"},
    "paths.col.truncated": {"en": "Cut", "ru": "Обрезан", "kk": "Қысқартылған"},
    "paths.col.share": {"en": "Share", "ru": "Доля", "kk": "Үлес"},
    "paths.col.not_converted": {"en": "Not converted", "ru": "Не сконвертировались",
                                "kk": "Конверсия жасамағандар"},
    "paths.col.offset": {"en": "Offset", "ru": "Смещение", "kk": "Ығысу"},
    "paths.col.step": {"en": "Step", "ru": "Шаг", "kk": "Қадам"},
    "paths.yes": {"en": "yes", "ru": "да", "kk": "иә"},
    "paths.no": {"en": "no", "ru": "нет", "kk": "жоқ"},
    # channel × stage
    "paths.channels.title": {"en": "Channels by stage", "ru": "Каналы по этапам", "kk": "Кезеңдер бойынша арналар"},
    "paths.channels.text": {
        "en": "Colour: the share of a stage's entrants through a channel who reach the next stage. "
              "★ the article recommends the channel for the stage; ⚑ the data disagrees.",
        "ru": "Цвет — доля вошедших в этап через канал, дошедших до следующего этапа. "
              "★ статья рекомендует канал для этапа; ⚑ данные с этим расходятся.",
        "kk": "Түс — кезеңге арна арқылы кіргендердің келесі кезеңге жеткен үлесі. "
              "★ мақала арнаны осы кезеңге ұсынады; ⚑ деректер бұған қайшы.",
    },
    "paths.col.stage_label": {"en": "Stage", "ru": "Этап", "kk": "Кезең"},
    "paths.col.channel": {"en": "Channel", "ru": "Канал", "kk": "Арна"},
    "paths.col.share_of_stage": {"en": "Share of stage", "ru": "Доля этапа", "kk": "Кезең үлесі"},
    "paths.col.stage_rate": {"en": "Stage average", "ru": "Среднее по этапу", "kk": "Кезең орташасы"},
    "paths.col.p_value": {"en": "p-value", "ru": "p-значение", "kk": "p-мәні"},
    "paths.col.recommended": {"en": "Recommended", "ru": "Рекомендован", "kk": "Ұсынылған"},
    "paths.col.flag": {"en": "Flag", "ru": "Отметка", "kk": "Белгі"},
    "paths.flag.recommended_worse": {
        "en": "recommended, converts worse", "ru": "рекомендован, конвертирует хуже",
        "kk": "ұсынылған, нашар конверсия"},
    "paths.flag.unrecommended_best": {
        "en": "not recommended, converts best", "ru": "не рекомендован, конвертирует лучше всех",
        "kk": "ұсынылмаған, ең жақсы конверсия"},
}
