"""Result tables shaped exactly as the engine produces them, and a sample report."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

FUNNEL_SCHEMA = pa.schema(
    [
        ("step", pa.int64()),
        ("step_key", pa.string()),
        ("label", pa.string()),
        ("breakdown", pa.string()),
        ("customers", pa.int64()),
        ("conversion_from_previous", pa.float64()),
        ("conversion_from_first", pa.float64()),
        ("dropped", pa.int64()),
        ("in_progress", pa.int64()),
        ("median_seconds_from_previous", pa.float64()),
        ("mean_seconds_from_previous", pa.float64()),
    ]
)
HISTOGRAM_SCHEMA = pa.schema(
    [
        ("step", pa.int64()),
        ("bucket_start_seconds", pa.float64()),
        ("bucket_end_seconds", pa.float64()),
        ("customers", pa.int64()),
    ]
)
TREND_SCHEMA = pa.schema(
    [
        ("period", pa.date32()),
        ("step", pa.int64()),
        ("label", pa.string()),
        ("customers", pa.int64()),
        ("conversion_from_first", pa.float64()),
    ]
)

# The hourglass model (MODELS.md §6) with labels per language.
HOURGLASS = [
    ("know", {"en": "Know", "ru": "Знакомство", "kk": "Танысу"}),
    ("like", {"en": "Like", "ru": "Симпатия", "kk": "Ұнау"}),
    ("trust", {"en": "Trust", "ru": "Доверие", "kk": "Сенім"}),
    ("try", {"en": "Try", "ru": "Проба", "kk": "Сынап көру"}),
    ("buy", {"en": "Buy", "ru": "Покупка", "kk": "Сатып алу"}),
    ("repeat", {"en": "Repeat", "ru": "Повторная покупка", "kk": "Қайта сатып алу"}),
    ("refer", {"en": "Refer", "ru": "Рекомендация", "kk": "Ұсыну"}),
]
COUNTS = [12000, 5400, 2600, 1300, 620, 280, 95]
MEDIANS = [
    None,
    3 * 3600.0,
    2 * 86400 + 3 * 3600.0,
    4 * 86400.0,
    36 * 3600.0,
    21 * 86400.0,
    30 * 86400.0,
]


def _rows(counts: list[int], lang: str, breakdown: str | None) -> list[dict]:
    rows = []
    for i, ((key, labels), n) in enumerate(zip(HOURGLASS, counts)):
        nxt = counts[i + 1] if i + 1 < len(counts) else None
        lost = 0 if nxt is None else n - nxt
        rows.append(
            {
                "step": i + 1,
                "step_key": key,
                "label": labels[lang],
                "breakdown": breakdown,
                "customers": n,
                "conversion_from_previous": None if i == 0 else n / counts[i - 1],
                "conversion_from_first": n / counts[0],
                "dropped": int(lost * 0.85),
                "in_progress": lost - int(lost * 0.85),
                "median_seconds_from_previous": MEDIANS[i],
                "mean_seconds_from_previous": None if MEDIANS[i] is None else MEDIANS[i] * 1.4,
            }
        )
    return rows


def make_steps(lang: str = "ru", *, breakdown: bool = False) -> pa.Table:
    if not breakdown:
        return pa.Table.from_pylist(_rows(COUNTS, lang, None), schema=FUNNEL_SCHEMA)
    shares = {
        "digital": 0.34,
        "tv": 0.2,
        "radio": 0.12,
        "print": 0.1,
        "pos": 0.09,
        "wom": 0.07,
        "mobile": 0.05,
        "ooh": 0.03,
    }
    rows = []
    for j, (channel, share) in enumerate(shares.items()):
        counts = [
            max(1, int(c * share * (1 + 0.05 * ((j + k) % 3 - 1)))) for k, c in enumerate(COUNTS)
        ]
        counts = [min(c, counts[k - 1]) if k else c for k, c in enumerate(counts)]
        rows += _rows(counts, lang, channel)
    return pa.Table.from_pylist(rows, schema=FUNNEL_SCHEMA)


def make_histogram() -> pa.Table:
    edges = [0, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, None]
    rows = []
    for step, scale in ((2, 1.0), (5, 0.4)):
        for i in range(len(edges) - 1):
            rows.append(
                {
                    "step": step,
                    "bucket_start_seconds": float(edges[i]),
                    "bucket_end_seconds": None if edges[i + 1] is None else float(edges[i + 1]),
                    "customers": int([900, 1400, 1600, 900, 400, 200][i] * scale),
                }
            )
    return pa.Table.from_pylist(rows, schema=HISTOGRAM_SCHEMA)


def make_trend(lang: str = "ru") -> pa.Table:
    rows = []
    for m in range(6):
        period = dt.date(2026, 1 + m, 1)
        first = 2000 + 150 * m
        for k, ((key, labels), base) in enumerate(zip(HOURGLASS[:5], [1, 0.45, 0.22, 0.11, 0.052])):
            conv = base * (1 + 0.04 * m) if k else 1.0
            rows.append(
                {
                    "period": period,
                    "step": k + 1,
                    "label": labels[lang],
                    "customers": int(first * conv),
                    "conversion_from_first": conv,
                }
            )
    return pa.Table.from_pylist(rows, schema=TREND_SCHEMA)


def build_report(lang: str = "ru", title: str = "Воронка продаж: март 2026"):
    from voronka.reports import (
        Report,
        conversion_trend,
        funnel_chart,
        funnel_columns,
        hourglass_chart,
        time_to_convert_histogram,
    )

    steps = make_steps(lang)
    labels = {r["step"]: r["label"] for r in steps.to_pylist()}
    headers, formatters = funnel_columns(lang)
    report = Report(
        title,
        lang,
        subtitle="Интернет-магазин протеиновых батончиков",
        generated_at=dt.datetime(2026, 3, 31, 18, 5, tzinfo=dt.timezone(dt.timedelta(hours=5))),
    )
    report.add_section(
        "Воронка",
        text="Все каналы, окно конверсии 30 дней.\n\nДанные: CRM и сайт.",
        figure=funnel_chart(steps, lang),
        table=steps.drop_columns(["breakdown", "step_key"]),
        headers=headers,
        formatters=formatters,
    )
    report.add_section("Песочные часы", figure=hourglass_chart(steps, lang, split_after="buy"))
    report.add_section("По каналам", figure=funnel_chart(make_steps(lang, breakdown=True), lang))
    report.add_section(
        "Время до конверсии",
        figure=time_to_convert_histogram(make_histogram(), lang, labels=labels),
    )
    report.add_section("Динамика конверсии", figure=conversion_trend(make_trend(lang), lang))
    return report
