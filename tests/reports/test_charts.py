"""Figures built from engine-shaped result tables: traces, labels, numbers formatted per language."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pyarrow as pa
import pytest

from voronka import figure as plot
from voronka.errors import DefinitionError
from voronka.reports import (
    conversion_trend,
    funnel_chart,
    hourglass_chart,
    time_to_convert_histogram,
)
from voronka.reports.charts import has_data

from ._data import FUNNEL_SCHEMA, make_steps, make_trend

NBSP = "\xa0"


# ---------------------------------------------------------------- funnel


def test_funnel_one_trace_with_labels_counts_and_conversion(steps):
    fig = funnel_chart(steps, "ru")
    assert len(fig.data) == 1
    trace = fig.data[0]
    assert trace.type == "funnel"
    assert list(trace.y) == [
        "Знакомство",
        "Симпатия",
        "Доверие",
        "Проба",
        "Покупка",
        "Повторная покупка",
        "Рекомендация",
    ]
    assert list(trace.x) == [12000, 5400, 2600, 1300, 620, 280, 95]
    assert trace.text[0] == f"12{NBSP}000 · 100,0{NBSP}%"
    assert trace.text[1] == f"5{NBSP}400 · 45,0{NBSP}%"
    assert trace.textinfo == "text"
    assert "Конверсия из предыдущего шага: 45,0" in trace.hovertext[1]
    assert "Медианное время от предыдущего шага: 2 дн. 3 ч" in trace.hovertext[2]
    assert fig.layout.title.text == "Воронка"
    assert fig.layout.separators == f",{NBSP}"


def test_funnel_english_formatting():
    fig = funnel_chart(make_steps("en"), "en")
    assert fig.data[0].text[0] == "12,000 · 100.0%"
    assert fig.layout.separators == ".,"
    assert fig.data[0].y[0] == "Know"


def test_funnel_breakdown_one_trace_per_top_value_and_other(steps_by_channel):
    fig = funnel_chart(steps_by_channel, "ru", max_breakdowns=6)
    names = [trace.name for trace in fig.data]
    assert names == ["digital", "tv", "radio", "print", "pos", "wom", "Прочие"]
    assert all(trace.type == "funnel" for trace in fig.data)
    assert fig.layout.funnelmode == "group"
    rows = steps_by_channel.to_pylist()
    other = [r for r in rows if r["breakdown"] in ("mobile", "ooh")]
    for k, x in enumerate(fig.data[-1].x):
        assert x == sum(r["customers"] for r in other if r["step"] == k + 1)
    first = fig.data[-1].x[0]
    assert (
        fig.data[-1].text[1]
        == f"{fig.data[-1].x[1] / first * 100:.1f}".replace(".", ",") + f"{NBSP}%"
    )


def test_funnel_breakdown_ignores_total_rows_when_split_exists(steps, steps_by_channel):
    both = pa.concat_tables([steps, steps_by_channel])
    fig = funnel_chart(both, "en", max_breakdowns=20)
    assert len(fig.data) == 8
    assert "Other" not in [trace.name for trace in fig.data]


def test_funnel_escapes_user_labels():
    table = make_steps("en").set_column(
        2, "label", pa.array(["<b>Know</b>", "Like", "Trust", "Try", "Buy", "Repeat", "Refer"])
    )
    fig = funnel_chart(table, "en")
    assert fig.data[0].y[0] == "&lt;b&gt;Know&lt;/b&gt;"


def test_funnel_rejects_a_table_without_the_columns():
    with pytest.raises(ValueError, match="lacks column"):
        funnel_chart(pa.table({"step": [1]}), "en")


# ---------------------------------------------------------------- hourglass


def _bars(fig: plot.Figure, name: str) -> plot.Props:
    return next(trace for trace in fig.data if trace.name == name)


def test_hourglass_narrows_to_the_neck_then_widens(steps):
    fig = hourglass_chart(steps, "ru", split_after="buy")
    before = _bars(fig, "Привлечение")
    after = _bars(fig, "После покупки")
    glass = _bars(fig, "glass")
    assert list(before.y) == [1, 2, 3, 4, 5] and list(after.y) == [6, 7]
    # one scale: width is customers / first step, bars centred on 0
    assert before.x[0] == 1.0 and before.x[4] == pytest.approx(620 / 12000)
    assert after.x[0] == pytest.approx(280 / 12000)
    assert all(b == pytest.approx(-w / 2) for b, w in zip(before.base, before.x))
    widths = list(before.x)
    assert widths == sorted(widths, reverse=True)  # top bulb narrows
    assert list(glass.x) == sorted(glass.x) and glass.x[0] > before.x[-1]  # bottom bulb widens
    assert glass.x[-1] == pytest.approx(1.0)
    assert all(a <= g for a, g in zip(after.x, glass.x))  # the sand fits in the glass
    assert fig.layout.barmode == "overlay"
    assert list(fig.layout.yaxis.ticktext) == [r["label"] for r in steps.to_pylist()]
    text = fig.data[-1].text
    assert text[4] == f"620 · 5,2{NBSP}%"
    assert text[5] == f"280 · 45,2{NBSP}% от «Покупка»"
    assert len(fig.layout.shapes) == 1  # the neck line


def test_hourglass_kazakh_labels():
    fig = hourglass_chart(make_steps("kk"), "kk", split_after="buy")
    assert fig.layout.title.text == "Құм сағат"
    assert fig.data[-1].text[6] == "95 · «Сатып алу» кезеңінің 15,3%"


def test_hourglass_from_broken_down_rows_sums_customers(steps_by_channel):
    fig = hourglass_chart(steps_by_channel, "en", split_after="buy")
    before = _bars(fig, "Acquisition")
    total_first = sum(r["customers"] for r in steps_by_channel.to_pylist() if r["step"] == 1)
    assert fig.data[-1].text[0].startswith(f"{total_first:,} · 100.0%")
    assert before.x[0] == 1.0


def test_hourglass_split_after_last_step_is_just_a_funnel(steps):
    fig = hourglass_chart(steps, "en", split_after="refer")
    assert [trace.name for trace in fig.data if trace.type == "bar"] == ["Acquisition"]
    assert not fig.layout.shapes


def test_hourglass_unknown_split_is_a_definition_error(steps):
    with pytest.raises(DefinitionError, match="'pay'.*know, like"):
        hourglass_chart(steps, "en", split_after="pay")


# ---------------------------------------------------------------- time to convert


def test_histogram_one_trace_per_step_with_duration_buckets(histogram):
    fig = time_to_convert_histogram(histogram, "ru", labels={2: "Симпатия"})
    assert [trace.name for trace in fig.data] == ["Симпатия", "Шаг 5"]
    assert list(fig.data[0].x) == [
        "< 1 ч",
        "1 ч – 6 ч",
        "6 ч – 1 дн.",
        "1 дн. – 3 дн.",
        "3 дн. – 7 дн.",
        "≥ 7 дн.",
    ]
    assert list(fig.layout.xaxis.categoryarray) == list(fig.data[0].x)
    assert list(fig.data[0].y) == [900, 1400, 1600, 900, 400, 200]
    assert fig.layout.xaxis.title.text == "Время от первого шага"
    assert fig.layout.barmode == "group"


# ---------------------------------------------------------------- trend


def test_trend_lines_per_step_over_periods(trend):
    fig = conversion_trend(trend, "ru")
    assert [trace.name for trace in fig.data] == ["Симпатия", "Доверие", "Проба", "Покупка"]
    assert all(trace.mode == "lines+markers" for trace in fig.data)
    assert fig.data[0].x[0] == "1 янв. 2026\u202fг."
    assert fig.data[0].y[0] == pytest.approx(0.45)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "Клиенты: 900" in fig.data[0].hovertext[0]


def test_trend_include_first_and_english_dates():
    fig = conversion_trend(make_trend("en"), "en", include_first=True)
    assert fig.data[0].name == "Know"
    assert list(fig.data[0].y) == [1.0] * 6
    assert list(fig.layout.xaxis.categoryarray)[-1] == "Jun 1, 2026"


def test_trend_lines_per_breakdown_value_with_intervals():
    import datetime as dt

    from voronka.funnel import FunnelDefinition, Step
    from voronka.funnel.outcomes import finish_trends
    from voronka.funnel.result import TRENDS_SCHEMA
    from voronka.rules import StepRule

    defn = FunnelDefinition(steps=(Step(key="visit", rule=StepRule(events=("visit",))),
                                   Step(key="buy", rule=StepRule(events=("buy",)))), cohort="day")
    raw = [{"period": dt.date(2026, 3, d), "breakdown": v, "step": k, "customers": c, "first": f}
           for d, v, k, c, f in [(1, "tv", 1, 4, 4), (1, "tv", 2, 1, 4), (3, "web", 1, 2, 2), (3, "web", 2, 2, 2)]]
    fig = conversion_trend(pa.Table.from_pylist(finish_trends(defn, raw), schema=TRENDS_SCHEMA), "en")
    assert [trace.name for trace in fig.data] == ["tv · buy", "web · buy"]
    assert list(fig.data[0].y) == [0.25, None, None]  # every day, the empty ones without a point
    assert fig.data[0].error_y.array[0] > 0 and fig.data[0].error_y.arrayminus[0] > 0


def test_empty_funnel_table_gives_an_empty_figure():
    fig = funnel_chart(pa.Table.from_pylist([], schema=FUNNEL_SCHEMA), "kk")
    assert isinstance(fig, plot.Figure) and not has_data(fig)


def test_figures_are_plotlys_own_json(steps, histogram, trend):
    """plotly validates every property (an unknown name or a bad value raises) and gives back
    the same JSON."""
    for fig in (
        funnel_chart(steps, "kk"),
        hourglass_chart(steps, "kk", "buy"),
        time_to_convert_histogram(histogram, "kk"),
        conversion_trend(trend, "kk"),
    ):
        spec = json.loads(fig.to_json())
        assert json.loads(go.Figure(spec).to_json()) == spec
