"""Result tables as HTML ``<table>`` markup, every cell formatted for a language and escaped.

A cell is formatted by the column's formatter when one is given (any callable value →
str), otherwise by its Arrow type: integers and decimals with the locale's grouping,
floats likewise (up to three fraction digits), dates and timestamps as babel dates,
durations as ``2 дн. 3 ч``; null and NaN are ``—``. Numeric columns are right-aligned.
Whatever the formatter returns is escaped, so a formatter cannot inject markup.

``funnel_columns(lang)`` gives headers and formatters for the engine's funnel result
table, for use as ``Report.add_section(..., headers=h, formatters=f)``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import pyarrow as pa

from voronka.i18n import (
    format_date,
    format_datetime,
    format_duration,
    format_number,
    format_percent,
    t,
)

__all__ = ["Formatter", "as_arrow", "funnel_columns", "render_table"]

Formatter = Callable[[Any], str]
_MISSING = "—"


def as_arrow(table: Any) -> pa.Table:
    """A pyarrow Table from a pyarrow Table or a pandas DataFrame.

    A pandas index that is named or not the default range becomes columns.
    """
    if isinstance(table, pa.Table):
        return table
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(table, pd.DataFrame):
        frame = table
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
            frame = frame.reset_index()
        return pa.Table.from_pandas(frame, preserve_index=False)
    raise TypeError(
        f"a table must be a pyarrow.Table or a pandas.DataFrame, not {type(table).__name__}"
    )


def _is_numeric(typ: pa.DataType) -> bool:
    return pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ)


def _default_cell(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return _MISSING if math.isnan(value) else ("∞" if value > 0 else "-∞")
    if isinstance(value, (int, float, decimal.Decimal)):
        return format_number(value, lang)
    if isinstance(value, dt.datetime):
        return format_datetime(value, lang)
    if isinstance(value, dt.date):
        return format_date(value, lang)
    if isinstance(value, dt.timedelta):
        return format_duration(value, lang)
    return str(value)


def render_table(
    table: Any,
    lang: str,
    *,
    formatters: Mapping[str, Formatter] | None = None,
    headers: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> str:
    """``<table class="data">`` markup for ``table`` (pyarrow or pandas).

    At most ``max_rows`` rows (None: all), with a note saying how many were left out.
    """
    table = as_arrow(table)
    formatters = dict(formatters or {})
    headers = dict(headers or {})
    numeric = {f.name: _is_numeric(f.type) for f in table.schema}
    total = table.num_rows
    shown = table if max_rows is None or total <= max_rows else table.slice(0, max_rows)
    out = ['<div class="table-wrap"><table class="data">', "<thead><tr>"]
    for name in table.column_names:
        cls = ' class="num"' if numeric[name] else ""
        out.append(f'<th scope="col"{cls}>{escape(headers.get(name, name))}</th>')
    out.append("</tr></thead><tbody>")
    if total == 0:
        out.append(
            f'<tr><td class="empty" colspan="{max(len(table.column_names), 1)}">'
            f"{escape(t('report.no_data', lang))}</td></tr>"
        )
    for row in shown.to_pylist():
        out.append("<tr>")
        for name in table.column_names:
            value = row[name]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                text = _MISSING
            elif name in formatters:
                text = str(formatters[name](value))
            else:
                text = _default_cell(value, lang)
            cls = ' class="num"' if numeric[name] else ""
            out.append(f"<td{cls}>{escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if shown.num_rows < total:
        note = t(
            "report.rows_truncated",
            lang,
            shown=format_number(shown.num_rows, lang),
            total=format_number(total, lang),
        )
        out.append(f'<p class="note">{escape(note)}</p>')
    return "".join(out)


def funnel_columns(lang: str) -> tuple[dict[str, str], dict[str, Formatter]]:
    """(headers, formatters) for the funnel result table: translated headers, %, durations."""
    headers = {
        "step": t("funnel.step", lang),
        "step_key": t("funnel.step_key", lang),
        "label": t("funnel.stage", lang),
        "breakdown": t("funnel.breakdown", lang),
        "customers": t("funnel.customers", lang),
        "conversion_from_previous": t("funnel.conversion_from_previous", lang),
        "conversion_from_first": t("funnel.conversion_from_first", lang),
        "dropped": t("funnel.dropped", lang),
        "in_progress": t("funnel.in_progress", lang),
        "median_seconds_from_previous": t("funnel.median_time", lang),
        "mean_seconds_from_previous": t("funnel.mean_time", lang),
    }

    def pct(x: Any) -> str:
        return format_percent(x, lang)

    def dur(x: Any) -> str:
        return format_duration(x, lang)

    formatters = {
        "conversion_from_previous": pct,
        "conversion_from_first": pct,
        "median_seconds_from_previous": dur,
        "mean_seconds_from_previous": dur,
        "step": str,
    }
    return headers, formatters
