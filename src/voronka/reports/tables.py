"""Result tables as HTML ``<table>`` markup, every cell formatted for a language and escaped.

A cell is formatted by the column's formatter when one is given (any callable value →
str), otherwise by its Arrow type: integers and decimals with the locale's grouping,
floats likewise (up to three fraction digits), dates and timestamps as babel dates,
durations as ``2 дн. 3 ч``; null and NaN are ``—``. Numeric columns are right-aligned.
Whatever the formatter returns is escaped, so a formatter cannot inject markup.

A column whose Arrow field declares its kind and header (``voronka.columns``: the
analyses' result schemas) gets its header and formatter from that metadata
(``described_columns``: the kind's number format, or a code read through the messages when
the column declares its values' prefix); headers and formatters given by the caller win. The CLI's tables
(``voronka.cli.output.emit``) format by the same metadata. ``funnel_columns(lang)`` gives
the funnel step table's, for callers that pass them explicitly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import pyarrow as pa

from voronka.columns import currency_of, kind_of, label_of, values_of
from voronka.i18n import (
    format_date,
    format_datetime,
    format_duration,
    format_money,
    format_number,
    format_percent,
    t,
)

__all__ = ["Formatter", "as_arrow", "described_columns", "funnel_columns", "render_table"]

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
    declared_headers, declared = described_columns(table.schema, lang)
    formatters = {**declared, **(formatters or {})}
    headers = {**declared_headers, **(headers or {})}
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


def kind_formatter(kind: str, lang: str, currency: str | None = None) -> Formatter | None:
    """The formatter of a column kind (``voronka.columns``) in ``lang``."""
    if kind == "rate":
        return lambda x: format_percent(x, lang)
    if kind == "duration":
        return lambda x: format_duration(x, lang)
    if kind == "money":
        return (lambda x: format_money(x, currency, lang)) if currency else (
            lambda x: format_number(x, lang, digits=2))
    if kind == "count":
        return lambda x: format_number(x, lang, digits=1) if isinstance(x, float) and x != int(x) else (
            format_number(x, lang))
    if kind == "number":
        return lambda x: format_number(x, lang)
    if kind == "label":
        return str
    return None


def described_columns(schema: pa.Schema, lang: str) -> tuple[dict[str, str], dict[str, Formatter]]:
    """(headers, formatters) of the columns whose field metadata declares them (``voronka.columns``)."""
    headers: dict[str, str] = {}
    formatters: dict[str, Formatter] = {}
    for f in schema:
        if (label := label_of(f)) is not None:
            headers[f.name] = t(label, lang)
        kind = kind_of(f)
        if (prefix := values_of(f)) is not None:
            formatters[f.name] = lambda v, p=prefix: t(f"{p}.{v}", lang)
        elif kind is not None and (fmt := kind_formatter(kind, lang, currency_of(f))) is not None:
            formatters[f.name] = fmt
    return headers, formatters


def funnel_columns(lang: str) -> tuple[dict[str, str], dict[str, Formatter]]:
    """(headers, formatters) for the funnel result table: translated headers, %, durations
    (from its declared schema, ``voronka.funnel.result.STEPS_SCHEMA``)."""
    from voronka.funnel.result import STEPS_SCHEMA

    return described_columns(STEPS_SCHEMA, lang)
