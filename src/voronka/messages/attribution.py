"""Strings of the attribution analyses."""

MESSAGES: dict[str, dict[str, str]] = {
    # --- the models
    "attribution.model.first_touch": {"en": "First touch", "ru": "Первое касание", "kk": "Алғашқы жанасу"},
    "attribution.model.last_touch": {"en": "Last touch", "ru": "Последнее касание", "kk": "Соңғы жанасу"},
    "attribution.model.last_non_direct": {"en": "Last non-direct", "ru": "Последний непрямой",
                                          "kk": "Соңғы тікелей емес"},
    "attribution.model.linear": {"en": "Linear", "ru": "Линейная", "kk": "Сызықтық"},
    "attribution.model.time_decay": {"en": "Time decay", "ru": "С угасанием во времени",
                                     "kk": "Уақыт бойынша әлсірейтін"},
    "attribution.model.position_based": {"en": "Position-based", "ru": "На основе позиции",
                                         "kk": "Позицияға негізделген"},
    "attribution.model.markov": {"en": "Markov chain", "ru": "Цепь Маркова", "kk": "Марков тізбегі"},
    "attribution.model.shapley": {"en": "Shapley value", "ru": "Вектор Шепли", "kk": "Шепли мәні"},
    # --- columns
    "attribution.col.model": {"en": "Model", "ru": "Модель", "kk": "Модель"},
    "attribution.col.channel": {"en": "Channel", "ru": "Канал", "kk": "Арна"},
    "attribution.col.campaign": {"en": "Channel / campaign", "ru": "Канал / кампания", "kk": "Арна / науқан"},
    "attribution.col.conversions": {"en": "Conversions", "ru": "Конверсии", "kk": "Конверсиялар"},
    "attribution.col.conversion_share": {"en": "Share of conversions", "ru": "Доля конверсий",
                                         "kk": "Конверсиялар үлесі"},
    "attribution.col.revenue": {"en": "Revenue", "ru": "Выручка", "kk": "Түсім"},
    "attribution.col.revenue_share": {"en": "Share of revenue", "ru": "Доля выручки", "kk": "Түсім үлесі"},
    "attribution.col.currency": {"en": "Currency", "ru": "Валюта", "kk": "Валюта"},
    "attribution.col.spend": {"en": "Spend", "ru": "Расходы", "kk": "Шығындар"},
    "attribution.col.cost_per_conversion": {"en": "Cost per conversion", "ru": "Стоимость конверсии",
                                            "kk": "Бір конверсия құны"},
    "attribution.col.roi": {"en": "ROI", "ru": "ROI (окупаемость)", "kk": "ROI (қайтарым)"},
    "attribution.col.from": {"en": "From", "ru": "Откуда", "kk": "Қайдан"},
    "attribution.col.to": {"en": "To", "ru": "Куда", "kk": "Қайда"},
    "attribution.col.probability": {"en": "Probability", "ru": "Вероятность", "kk": "Ықтималдық"},
    "attribution.col.removal_effect": {"en": "Removal effect", "ru": "Эффект удаления", "kk": "Алып тастау әсері"},
    # --- report sections
    "attribution.title": {"en": "Attribution: credit per channel", "ru": "Атрибуция: вклад каналов",
                          "kk": "Атрибуция: арналардың үлесі"},
    "attribution.chart.conversions": {"en": "Conversions credited to each channel, by model",
                                      "ru": "Конверсии, приписанные каналам, по моделям",
                                      "kk": "Арналарға жатқызылған конверсиялар, модельдер бойынша"},
    "attribution.chart.revenue": {"en": "Revenue credited to each channel, by model",
                                  "ru": "Выручка, приписанная каналам, по моделям",
                                  "kk": "Арналарға жатқызылған түсім, модельдер бойынша"},
    "attribution.spend.title": {"en": "Cost per conversion and ROI under each model",
                                "ru": "Стоимость конверсии и ROI по каждой модели",
                                "kk": "Әр модель бойынша конверсия құны және ROI"},
    "attribution.removal.title": {"en": "Markov chain: removal effects",
                                  "ru": "Цепь Маркова: эффекты удаления",
                                  "kk": "Марков тізбегі: алып тастау әсерлері"},
    "attribution.intro": {
        "en": "{conversions} conversions, {paths} paths without a conversion; lookback {lookback}. "
              "{untouched} conversions had no touch in the window: they appear as “(no touch)” under every model.",
        "ru": "{conversions} конверсий, {paths} путей без конверсии; окно {lookback}. "
              "У {untouched} конверсий не было касаний в окне: они показаны как «(без касаний)» во всех моделях.",
        "kk": "{conversions} конверсия, конверсиясыз {paths} жол; терезе {lookback}. "
              "{untouched} конверсияның терезеде жанасуы болмады: олар барлық модельде «(жанасусыз)» болып көрсетілген.",
    },
    "attribution.removal.text": {
        "en": "The share of converting journeys of the chain (order {order}) that pass through the channel: "
              "the conversions lost if it were removed.",
        "ru": "Доля конвертирующих путей цепи (порядок {order}), проходящих через канал: "
              "сколько конверсий пропадёт, если его убрать.",
        "kk": "Тізбектің (реті {order}) арна арқылы өтетін конверсиялық жолдарының үлесі: "
              "арна алынып тасталса, жоғалатын конверсиялар.",
    },
    "attribution.no_touch": {"en": "(no touch)", "ru": "(без касаний)", "kk": "(жанасусыз)"},
    "attribution.no_conversions": {"en": "No conversions to attribute.", "ru": "Нет конверсий для атрибуции.",
                                   "kk": "Атрибуцияға конверсиялар жоқ."},
}
