"""Plotly figures built from the engine's result tables, labelled and formatted for a language.

Every builder takes a plain ``pyarrow.Table`` with the schema below and returns a plotly
figure as plain JSON (``voronka.figure.Figure``); none does I/O. Numbers in text and hover
labels are formatted with :mod:`voronka.i18n` (babel); axis ticks use plotly's
``separators`` set to the locale's decimal and group marks. User-provided labels are HTML-escaped before
they reach plotly (whose text accepts a few tags such as ``<b>``).

Funnel steps table (``funnel_chart``, ``hourglass_chart``)::

    step int64 (1-based) | step_key string | label string | breakdown string (null: none)
    customers int64 | conversion_from_previous float64 (null on step 1)
    conversion_from_first float64 | dropped int64 | in_progress int64
    median_seconds_from_previous float64 | mean_seconds_from_previous float64

Time-to-convert histogram (``time_to_convert_histogram``)::

    step int64 | bucket_start_seconds float64 | bucket_end_seconds float64 | customers int64

Conversion trend (``conversion_trend``)::

    period date32 | step int64 | label string | customers int64 | conversion_from_first float64
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from babel.numbers import get_decimal_symbol, get_group_symbol

from voronka import figure as plot
from voronka.errors import DefinitionError
from voronka.i18n import (
    LOCALES,
    format_date,
    format_duration,
    format_number,
    format_percent,
    normalize_lang,
    t,
)

__all__ = [
    "FUNNEL_COLUMNS",
    "HISTOGRAM_COLUMNS",
    "PALETTE",
    "TREND_COLUMNS",
    "conversion_trend",
    "funnel_chart",
    "has_data",
    "hourglass_chart",
    "style_figure",
    "time_to_convert_histogram",
]

FUNNEL_COLUMNS = (
    "step",
    "step_key",
    "label",
    "breakdown",
    "customers",
    "conversion_from_previous",
    "conversion_from_first",
    "dropped",
    "in_progress",
    "median_seconds_from_previous",
    "mean_seconds_from_previous",
)
HISTOGRAM_COLUMNS = ("step", "bucket_start_seconds", "bucket_end_seconds", "customers")
TREND_COLUMNS = ("period", "step", "label", "customers", "conversion_from_first")

#: Colours for traces, in order (colour-blind-safe-ish, print well in greyscale too).
PALETTE = ("#2f5d8a", "#e07b39", "#3a9d7a", "#c4495a", "#7d5ba6", "#9a7b4f", "#4c9fc1", "#b8a03a")
_AFTER_COLOUR = "#3a9d7a"
_FONT = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, "DejaVu Sans", sans-serif'
)


# ---------------------------------------------------------------- helpers


def _require(table: pa.Table, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(
            f"{what} table lacks column(s) {', '.join(missing)}; has {table.column_names}"
        )


def _esc(text: Any) -> str:
    """User text for plotly: entities, so ``<b>`` in a label shows literally."""
    return html.escape(str(text), quote=False)


def style_figure(fig: plot.Figure, lang: str, title: str, **extra: Any) -> plot.Figure:
    """The house style every report figure shares: title, font, palette, the language's
    number separators, margins and legend; ``extra`` layout settings win over them."""
    locale = LOCALES[lang]
    fig.update_layout(**{
        "title": {"text": _esc(title), "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        "template": "plotly_white",
        "font": {"family": _FONT, "size": 13, "color": "#1f2933"},
        "separators": get_decimal_symbol(locale) + get_group_symbol(locale),
        "colorway": list(PALETTE),
        "margin": {"l": 20, "r": 20, "t": 60, "b": 40},
        "hoverlabel": {"font": {"family": _FONT}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0},
        **extra,
    })
    return fig


def _values(value: Any) -> Iterable[Any]:
    """The leaves of a trace's data array (nested lists of a heatmap's ``z`` included)."""
    value = value.tolist() if hasattr(value, "tolist") else value
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(item, (list, tuple)) or hasattr(item, "tolist"):
            yield from _values(item)
        else:
            yield item


def has_data(fig: plot.Figure) -> bool:
    """Does any trace of ``fig`` have a value to draw (a Sankey link, a heatmap cell, a bar,
    a point, a slice)? A figure without one is stated in words, not drawn as empty axes."""
    for trace in fig.to_plotly_json().get("data", []):
        if trace.get("type") == "sankey":
            arrays = [trace.get("link", {}).get("value")]
        else:
            arrays = next(([trace[name]] for name in ("z", "values") if trace.get(name) is not None),
                          [trace.get(name) for name in ("x", "y") if trace.get(name) is not None])
        if arrays and all(any(_nan_to_none(v) is not None for v in _values(array)) for array in arrays):
            return True
    return False


def _nan_to_none(x: Any) -> Any:
    return None if isinstance(x, float) and math.isnan(x) else x


def _pct(x: Any, lang: str) -> str:
    x = _nan_to_none(x)
    return "—" if x is None else format_percent(x, lang)


def _dur(x: Any, lang: str) -> str:
    x = _nan_to_none(x)
    return "—" if x is None else format_duration(x, lang)


def _merge_other(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Sum the rows of several breakdown values into one group per step (conversions recomputed)."""
    by_step: dict[int, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["step"]):
        m = by_step.setdefault(
            r["step"],
            {
                **r,
                "breakdown": name,
                "customers": 0,
                "dropped": 0,
                "in_progress": 0,
                "median_seconds_from_previous": None,
                "mean_seconds_from_previous": None,
            },
        )
        m["customers"] += r["customers"] or 0
        m["dropped"] += r["dropped"] or 0
        m["in_progress"] += r["in_progress"] or 0
    merged = [by_step[s] for s in sorted(by_step)]
    first = merged[0]["customers"] if merged else 0
    for i, m in enumerate(merged):
        prev = merged[i - 1]["customers"] if i else None
        m["conversion_from_first"] = m["customers"] / first if first else None
        m["conversion_from_previous"] = (m["customers"] / prev if prev else None) if i else None
    return merged


def _funnel_groups(
    steps: pa.Table, lang: str, max_breakdowns: int
) -> list[tuple[str | None, list[dict]]]:
    """(breakdown value or None, rows ordered by step); the top values by first-step customers."""
    rows = steps.to_pylist()
    split = [r for r in rows if r["breakdown"] is not None]
    if not split:
        return [(None, sorted(rows, key=lambda r: r["step"]))]
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in split:
        groups[r["breakdown"]].append(r)

    def size(item: tuple[str, list[dict]]) -> tuple[int, str]:
        first = min(item[1], key=lambda r: r["step"])
        return (-(first["customers"] or 0), item[0])

    ranked = sorted(groups.items(), key=size)
    top = [(k, sorted(v, key=lambda r: r["step"])) for k, v in ranked[:max_breakdowns]]
    rest = [r for _, v in ranked[max_breakdowns:] for r in v]
    if rest:
        top.append((t("funnel.other", lang), _merge_other(rest, t("funnel.other", lang))))
    return top


def _funnel_hover(r: dict[str, Any], lang: str, series: str | None) -> str:
    lines = [f"<b>{_esc(r['label'])}</b>"]
    if series is not None:
        lines.append(f"{_esc(t('funnel.breakdown', lang))}: {_esc(series)}")
    lines.append(f"{t('funnel.customers', lang)}: {format_number(r['customers'], lang)}")
    if r["step"] != 1 and r.get("conversion_from_previous") is not None:
        lines.append(
            f"{t('funnel.conversion_from_previous', lang)}: "
            f"{_pct(r['conversion_from_previous'], lang)}"
        )
    lines.append(
        f"{t('funnel.conversion_from_first', lang)}: {_pct(r['conversion_from_first'], lang)}"
    )
    if r.get("dropped"):
        lines.append(f"{t('funnel.dropped', lang)}: {format_number(r['dropped'], lang)}")
    if r.get("in_progress"):
        lines.append(f"{t('funnel.in_progress', lang)}: {format_number(r['in_progress'], lang)}")
    if _nan_to_none(r.get("median_seconds_from_previous")) is not None:
        lines.append(
            f"{t('funnel.median_time', lang)}: {_dur(r['median_seconds_from_previous'], lang)}"
        )
    return "<br>".join(lines)


# ---------------------------------------------------------------- funnel


def funnel_chart(
    steps: pa.Table, lang: str, *, title: str | None = None, max_breakdowns: int = 6
) -> plot.Figure:
    """A funnel (``plot.Funnel``): bar length = customers who reached each step.

    Bar text is the count and the conversion from the first step (``1 234 · 45,7 %``;
    only the percentage when broken down, to stay legible); the hover adds conversion
    from the previous step, dropped, in progress and median time. With a non-null
    ``breakdown`` column there is one trace per breakdown value,
    grouped side by side: the ``max_breakdowns`` values with most customers at step 1,
    and the rest summed into one "Other" trace (its conversions recomputed from the sums,
    its times left out). Rows whose ``breakdown`` is null are then ignored.
    """
    lang = normalize_lang(lang)
    _require(steps, FUNNEL_COLUMNS, "funnel")
    groups = _funnel_groups(steps, lang, max_breakdowns)
    fig = plot.Figure()
    for i, (name, rows) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            plot.Funnel(
                name=_esc(name) if name is not None else t("funnel.all_customers", lang),
                y=[_esc(r["label"]) for r in rows],
                x=[r["customers"] for r in rows],
                text=[
                    _pct(r["conversion_from_first"], lang)
                    if name is not None
                    else f"{format_number(r['customers'], lang)} · "
                    f"{_pct(r['conversion_from_first'], lang)}"
                    for r in rows
                ],
                textinfo="text",
                textposition="auto",
                hovertext=[_funnel_hover(r, lang, name) for r in rows],
                hoverinfo="text",
                marker={"color": colour},
                connector={
                    "visible": name is None,
                    "fillcolor": "rgba(47, 93, 138, 0.10)",
                    "line": {"width": 0},
                },
                showlegend=name is not None,
            )
        )
    n_steps = max((len(rows) for _, rows in groups), default=1)
    height = max(320, 80 + n_steps * (44 if len(groups) == 1 else 10 + 20 * len(groups)))
    style_figure(
        fig,
        lang,
        title if title is not None else t("chart.funnel.title", lang),
        funnelmode="group",
        height=min(height, 1400),
    )
    fig.update_yaxes(automargin=True)
    return fig


# ---------------------------------------------------------------- hourglass


def _hourglass_rows(steps: pa.Table) -> list[dict[str, Any]]:
    rows = steps.to_pylist()
    overall = [r for r in rows if r["breakdown"] is None]
    if overall:
        return sorted(overall, key=lambda r: r["step"])
    # only broken-down rows: each customer is in one breakdown value, so counts add up
    by_step: dict[int, dict[str, Any]] = {}
    for r in rows:
        m = by_step.setdefault(
            r["step"],
            {"step": r["step"], "step_key": r["step_key"], "label": r["label"], "customers": 0},
        )
        m["customers"] += r["customers"] or 0
    merged = [by_step[s] for s in sorted(by_step)]
    first = merged[0]["customers"] if merged else 0
    for m in merged:
        m["conversion_from_first"] = m["customers"] / first if first else None
    return merged


def hourglass_chart(
    steps: pa.Table, lang: str, split_after: str, *, title: str | None = None
) -> plot.Figure:
    """The hourglass: stages narrowing down to ``split_after``, the stages after it widening below.

    Every solid bar is centred and its width is proportional to the customers who
    reached the stage, on ONE scale for the whole chart (the first step is full width),
    so the data never lies. The top bulb is the acquisition funnel down to the neck,
    the stage ``split_after`` (a ``step_key``, e.g. ``buy``). Below the neck, each stage
    sits in a light "glass" outline that widens again (a shape, not data), from the
    linearly from the neck's width back to full width, and its solid bar (the sand) shows how many
    of the buyers came back, repeated or referred. Text on the right: customers and
    conversion from the first step above the neck; customers and share of the neck
    stage below it. (Hourglass marketing, seed article 004, MODELS.md §6.)

    Rows with a null ``breakdown`` are used; when every row has a breakdown value, the
    customers of all values are summed per step.
    """
    lang = normalize_lang(lang)
    _require(steps, FUNNEL_COLUMNS, "funnel")
    rows = _hourglass_rows(steps)
    keys = [r["step_key"] for r in rows]
    if split_after not in keys:
        raise DefinitionError(
            f"no step {split_after!r} to split the hourglass after; steps are "
            f"{', '.join(map(str, keys))}",
            field="split_after",
        )
    neck = keys.index(split_after)
    top_n = max((r["customers"] or 0) for r in rows) or 1
    widths = [(r["customers"] or 0) / top_n for r in rows]
    neck_label = rows[neck]["label"]
    neck_customers = rows[neck]["customers"] or 0
    y = [r["step"] for r in rows]

    def text(i: int, r: dict[str, Any]) -> str:
        count = format_number(r["customers"] or 0, lang)
        if i <= neck:
            return f"{count} · {_pct(r.get('conversion_from_first'), lang)}"
        share = (r["customers"] or 0) / neck_customers if neck_customers else None
        return f"{count} · " + t(
            "chart.share_of_stage", lang, share=_pct(share, lang), stage=_esc(neck_label)
        )

    fig = plot.Figure()
    after = list(range(neck + 1, len(rows)))
    if after:
        # the bottom bulb widens linearly from the neck's width back to full width
        neck_w = widths[neck]
        glass = [max(neck_w + (1.0 - neck_w) * (i - neck) / len(after), widths[i]) for i in after]
        fig.add_trace(
            plot.Bar(
                y=[y[i] for i in after],
                x=glass,
                base=[-w / 2 for w in glass],
                orientation="h",
                marker={
                    "color": "rgba(58, 157, 122, 0.10)",
                    "line": {"color": "rgba(58, 157, 122, 0.55)", "width": 1.5},
                },
                hoverinfo="skip",
                showlegend=False,
                name="glass",
            )
        )
    for part, idx, colour in (
        ("before", list(range(neck + 1)), PALETTE[0]),
        ("after", after, _AFTER_COLOUR),
    ):
        if not idx:
            continue
        fig.add_trace(
            plot.Bar(
                name=t(f"chart.hourglass.{part}", lang),
                y=[y[i] for i in idx],
                x=[widths[i] for i in idx],
                base=[-widths[i] / 2 for i in idx],
                orientation="h",
                marker={"color": colour},
                hovertext=[_funnel_hover(rows[i], lang, None) for i in idx],
                hoverinfo="text",
            )
        )
    fig.add_trace(
        plot.Scatter(
            x=[0.53] * len(rows),
            y=y,
            mode="text",
            text=[text(i, r) for i, r in enumerate(rows)],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
            cliponaxis=False,
            textfont={"size": 13, "color": "#1f2933"},
        )
    )
    height = max(360, 90 + 48 * len(rows))
    style_figure(
        fig,
        lang,
        title if title is not None else t("chart.hourglass.title", lang),
        barmode="overlay",
        bargap=0.18,
        height=height,
    )
    fig.update_xaxes(range=[-0.52, 1.25], visible=False, fixedrange=True)
    fig.update_yaxes(
        tickvals=y,
        ticktext=[_esc(r["label"]) for r in rows],
        autorange="reversed",
        showgrid=False,
        automargin=True,
        fixedrange=True,
    )
    if after:
        fig.add_shape(
            type="line",
            xref="x",
            yref="y",
            x0=-0.52,
            x1=0.52,
            y0=y[neck] + 0.5,
            y1=y[neck] + 0.5,
            line={"color": "#9aa5b1", "width": 1, "dash": "dot"},
        )
    return fig


# ---------------------------------------------------------------- time to convert


def _bucket_label(start: Any, end: Any, lang: str) -> str:
    start, end = _nan_to_none(start), _nan_to_none(end)
    if end is None or (isinstance(end, float) and math.isinf(end)):
        return f"≥ {format_duration(start or 0, lang)}"
    if not start:
        return f"< {format_duration(end, lang)}"
    return f"{format_duration(start, lang)} – {format_duration(end, lang)}"


def time_to_convert_histogram(
    hist: pa.Table, lang: str, *, labels: dict[int, str] | None = None, title: str | None = None
) -> plot.Figure:
    """Bars of how many customers took how long to reach each step from step 1.

    One trace per ``step`` (named from ``labels[step]``, else "Step n"), buckets on a
    categorical axis labelled as duration ranges in the language (``1 ч – 2 ч``), in
    order of ``bucket_start_seconds``. A null or infinite end is an open bucket (``≥ 7 дн.``).
    """
    lang = normalize_lang(lang)
    _require(hist, HISTOGRAM_COLUMNS, "histogram")
    rows = sorted(hist.to_pylist(), key=lambda r: (r["bucket_start_seconds"] or 0, r["step"]))
    order: list[str] = []
    for r in rows:
        label = _bucket_label(r["bucket_start_seconds"], r["bucket_end_seconds"], lang)
        if label not in order:
            order.append(label)
    fig = plot.Figure()
    for step in sorted({r["step"] for r in rows}):
        name = (labels or {}).get(step) or t("funnel.step_n", lang, n=step)
        mine = [r for r in rows if r["step"] == step]
        xs = [_bucket_label(r["bucket_start_seconds"], r["bucket_end_seconds"], lang) for r in mine]
        fig.add_trace(
            plot.Bar(
                name=_esc(name),
                x=xs,
                y=[r["customers"] for r in mine],
                hovertext=[
                    f"<b>{_esc(name)}</b><br>{x}<br>{t('funnel.customers', lang)}: "
                    f"{format_number(r['customers'], lang)}"
                    for x, r in zip(xs, mine, strict=True)
                ],
                hoverinfo="text",
            )
        )
    style_figure(
        fig,
        lang,
        title if title is not None else t("chart.ttc.title", lang),
        barmode="group",
        height=420,
        showlegend=len(fig.data) > 1,
    )
    fig.update_xaxes(
        title_text=t("chart.ttc.x", lang),
        type="category",
        categoryorder="array",
        categoryarray=order,
    )
    fig.update_yaxes(title_text=t("chart.customers_count", lang), rangemode="tozero")
    return fig


# ---------------------------------------------------------------- trend


def conversion_trend(
    trends: pa.Table, lang: str, *, title: str | None = None, include_first: bool = False,
    flagged: Iterable[tuple[Any, Any, str]] = (),
) -> plot.Figure:
    """Lines of conversion from the first step, one per step (and breakdown value, when the
    trends have one), over cohort periods.

    ``flagged``: (first day, last day, label) of changes found elsewhere (the change scan's
    windows); the periods they overlap are shaded and labelled.

    The x axis is categorical with periods as dates in the language (``1 мар. 2026 г.``),
    in date order. Step 1 (always 100 %) is left out unless ``include_first`` or it is
    the only step. With ``ci_low``/``ci_high`` columns each point has its interval as an
    error bar. Hover: step, period, conversion and customers.
    """
    lang = normalize_lang(lang)
    _require(trends, TREND_COLUMNS, "trend")
    listed = trends.to_pylist()
    values = list(dict.fromkeys(r.get("breakdown") for r in listed))  # in the table's order
    rows = sorted(listed, key=lambda r: (r["period"], r["step"]))
    steps = sorted({r["step"] for r in rows})
    if not include_first and len(steps) > 1:
        steps = [s for s in steps if s != 1]
    periods = sorted({r["period"] for r in rows})
    names = {p: format_date(p, lang) for p in periods}
    fig = plot.Figure()
    for value, step in ((v, s) for v in values for s in steps):
        mine = [r for r in rows if r["step"] == step and r.get("breakdown") == value]
        label = _esc(mine[0]["label"]) if mine else t("funnel.step_n", lang, n=step)
        if value is not None:
            label = f"{_esc(value)} · {label}"
        conv = [_nan_to_none(r["conversion_from_first"]) for r in mine]
        error = None
        if "ci_low" in trends.column_names:
            error = {"type": "data", "symmetric": False, "thickness": 1,
                     "array": [None if c is None else r["ci_high"] - c for c, r in zip(conv, mine, strict=True)],
                     "arrayminus": [None if c is None else c - r["ci_low"] for c, r in zip(conv, mine, strict=True)]}
        fig.add_trace(
            plot.Scatter(
                name=label,
                mode="lines+markers",
                x=[names[r["period"]] for r in mine],
                y=conv,
                error_y=error,
                hovertext=[
                    f"<b>{label}</b><br>{names[r['period']]}<br>"
                    f"{t('funnel.conversion_from_first', lang)}: "
                    f"{_pct(r['conversion_from_first'], lang)}<br>"
                    f"{t('funnel.customers', lang)}: {format_number(r['customers'], lang)}"
                    for r in mine
                ],
                hoverinfo="text",
                line={"width": 2.5},
                marker={"size": 7},
            )
        )
    for first, last, text in flagged:  # a period runs from its start to the next one's
        hit = [i for i, p in enumerate(periods) if p <= last and (i + 1 == len(periods) or periods[i + 1] > first)]
        if hit:
            fig.add_vrect(x0=hit[0] - 0.5, x1=hit[-1] + 0.5, fillcolor="red", opacity=0.08, line_width=0,
                          annotation_text=_esc(text), annotation_position="top left", annotation_font_size=10)
    style_figure(fig, lang, title if title is not None else t("chart.trend.title", lang), height=420)
    fig.update_xaxes(
        title_text=t("chart.trend.x", lang),
        type="category",
        categoryorder="array",
        categoryarray=[names[p] for p in periods],
    )
    fig.update_yaxes(
        title_text=t("funnel.conversion_from_first", lang), tickformat=".0%", rangemode="tozero"
    )
    return fig
