"""The funnel builder's answers: the funnel of a query string, computed by the code the CLI
uses (``funnel.spec.funnel_definition`` → ``compute_funnel`` on a ``Source`` over the
server's read cursor), with its charts (``report.charts``) and its numbers formatted for
the language; the trend shaded by the change scan and time to convert (asked for after the
funnel is drawn); and the customers who dropped after a step, as rows or CSV. Each funnel
is computed once per store generation and definition (``server.results``): the answer, its
charts, ``GET /v1/funnel`` and the overview's hourglass share it.

Query parameters: the funnel's and the source's, as ``GET /v1/funnel`` reads them
(``read.funnel_query``), plus the builder's own (``OWN``):

* ``compare=previous``: the same funnel over the period of the same length just before
  ``since``–``until`` (both needed); ``compare=segments``: the funnel for ``seg_a`` and for
  ``seg_b`` (each a ``where`` filter added to the others). The last steps' conversions are
  compared with ``stats.proportion_test``.
* ``step`` (1-based), ``series`` (a breakdown value or compare series) for the drop-off list.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from fastapi.encoders import jsonable_encoder

from voronka.errors import InputError
from voronka.figure import to_json
from voronka.i18n import format_date, format_datetime, format_duration, format_number, format_percent, t
from voronka.server.results import Results, canonical, json_bytes

OWN = ("compare", "seg_a", "seg_b", "step", "series")
"""The builder's parameters that are not the funnel's or the source's."""
HEADERS = {"series": "web.series", "label": "funnel.step", "customers": "funnel.customers",
           "conversion_from_previous": "funnel.conversion_from_previous",
           "conversion_from_first": "funnel.conversion_from_first", "dropped": "funnel.dropped",
           "median": "funnel.median_time", "period": "chart.trend.x", "breakdown": "funnel.breakdown",
           "entered": "web.entered"}
"""The builder's column headers: its name → message key."""
MAX_LISTED = 200
"""The most dropped customers listed in the page (the CSV has all)."""


def split_query(items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(the funnel's and source's parameters, the builder's own)."""
    own = {name: value for name, value in items if name in OWN}
    return [(n, v) for n, v in items if n not in OWN], own


def _series(items: list[tuple[str, str]], own: dict[str, str], lang: str) -> list[tuple[str, dict, dict]]:
    """(series name, funnel flags, source options) of each funnel the query asks for."""
    from voronka.server.read import funnel_query

    flags, options = funnel_query(items)
    compare = own.get("compare") or ""
    if compare in ("", "none"):
        return [(t("funnel.all_customers", lang), flags, options)]
    if compare == "previous":
        since, until = options.get("since"), options.get("until")
        if not since or not until:
            raise InputError("query parameter 'compare' (value 'previous'): give the period as since and until")
        try:
            first, last = dt.date.fromisoformat(since), dt.date.fromisoformat(until)
        except ValueError:
            raise InputError(f"query parameters 'since'/'until' (values {since!r}, {until!r}): "
                             "write days as YYYY-MM-DD") from None
        days = (last - first).days + 1
        if (first - dt.date.min).days < days:
            raise InputError(f"query parameter 'compare' (value 'previous'): the period before {since} starts before "
                             "the year 1; choose a later since")
        previous = {**options, "since": str(first - dt.timedelta(days=days)), "until": str(first - dt.timedelta(days=1))}
        return [(t("web.this_period", lang), flags, options), (t("web.previous_period", lang), flags, previous)]
    if compare == "segments":
        a, b = own.get("seg_a", "").strip(), own.get("seg_b", "").strip()
        if not a or not b:
            raise InputError("query parameter 'compare' (value 'segments'): give both seg_a and seg_b")
        return [(a, flags, {**options, "where": [*options["where"], a]}),
                (b, flags, {**options, "where": [*options["where"], b]})]
    raise InputError(f"query parameter 'compare' (value {compare[:40]!r}): none, previous or segments")


def _definition(flags: dict, lang: str) -> Any:
    from voronka.funnel.spec import funnel_definition

    return funnel_definition(flags, lang=lang, default_model="hourglass", model_files=False)  # no file


def _source(con: Any, options: dict) -> Any:
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.source import Source

    return Source.from_options(DuckDBEngine(con), **options)


def _size(result: Any) -> int:
    """The bytes a kept ``FunnelResult`` (without units) holds, about."""
    tables = (result.steps, result.histogram, result.trends)
    return 16_384 + sum(table.nbytes for table in tables if table is not None)


def funnel_result(collector: Any, results: Results, definition: Any, options: dict) -> Any:
    """The funnel (``compute_funnel``, no units) of ``definition`` over the source of
    ``options``, kept in ``results`` (the builder's answer, its charts, ``/v1/funnel`` and the
    overview share it; options that mean the same source are one key)."""
    from voronka.funnel import compute_funnel

    def compute() -> Any:
        with collector.reading() as con:
            return compute_funnel(_source(con, options), definition, units=False)

    same = {**options, "where": list(options.get("where") or ()), "timezone": options.get("timezone") or "UTC"}
    return results.get("funnel", canonical(definition, same), compute, size=_size)


def _runs(items: list[tuple[str, str]], lang: str) -> tuple[dict[str, str], list[tuple[str, Any, dict]]]:
    """(the builder's own parameters, (series name, definition, source options) per series)."""
    items, own = split_query(items)
    return own, [(name, _definition(flags, lang), options) for name, flags, options in _series(items, own, lang)]


def _formatted(row: dict[str, Any], lang: str) -> dict[str, Any]:
    def pct(x: Any) -> str:
        return "—" if x is None else format_percent(x, lang)

    median = row.get("median_seconds_from_previous")
    return {**row, "text": {
        "customers": format_number(row["customers"], lang),
        "conversion_from_previous": pct(row["conversion_from_previous"]),
        "conversion_from_first": pct(row["conversion_from_first"]),
        "dropped": format_number(row["dropped"], lang),
        "in_progress": format_number(row["in_progress"], lang),
        "median": "—" if median is None or median != median else format_duration(median, lang)}}


def _figure(figure: Any) -> Any:
    return None if figure is None else to_json(figure)


def funnel_answer(collector: Any, results: Results, items: list[tuple[str, str]], lang: str) -> bytes:
    """The builder's answer (JSON bytes, kept in ``results``): per series its step rows (raw and
    formatted), the funnel chart, the first series' trend rows (conversion per period, n), and
    the comparison of the series' last-step conversions. The charts below the fold are not
    here: ``charts_answer`` (the trend with intervals, shaded by the change scan; time to
    convert) is asked for by the page once this answer is drawn; a dashboard's panel never
    asks for it."""
    own, runs = _runs(items, lang)
    key = canonical(lang, own.get("compare"), [(name, d, o) for name, d, o in runs])
    return results.get("builder", key, lambda: json_bytes(_answer(collector, results, runs, lang)))


def _answer(collector: Any, results: Results, runs: list[tuple[str, Any, dict]], lang: str) -> dict[str, Any]:
    from voronka.reports import charts
    from voronka.stats import proportion_test

    series = []
    kept = []
    for name, definition, options in runs:
        result = funnel_result(collector, results, definition, options)
        kept.append((name, result))
        series.append({"name": name, "steps": [_formatted(r, lang) for r in result.steps.to_pylist()]})
    first = kept[0][1]
    if len(kept) > 1:  # the compare series as the chart's breakdown values
        rows = [{**r, "breakdown": name} for name, res in kept for r in res.steps.to_pylist()
                if r["breakdown"] is None]
        chart_steps = pa.Table.from_pylist(rows, schema=first.steps.schema)
    else:
        chart_steps = first.steps
    empty = not any(r["customers"] for r in first.steps.to_pylist())
    answer: dict[str, Any] = {
        "steps": [{"step": i + 1, "key": s.key, "label": s.title} for i, s in enumerate(first.definition.steps)],
        "series": series,
        "breakdown": first.definition.breakdown is not None,
        "empty": t("web.empty_funnel", lang) if empty else None,
        "funnel": None if empty else _figure(charts.funnel_chart(chart_steps, lang, max_breakdowns=8)),
        "trend_rows": [], "difference": None,
        "headers": {name: t(key, lang) for name, key in HEADERS.items()},
    }
    if first.trends is not None and first.trends.num_rows:
        answer["trend_rows"] = [{**r, "text": {"period": format_date(r["period"], lang),
                                               "n": format_number(r["entered"], lang),
                                               "conversion": format_percent(r["conversion_from_first"] or 0, lang)}}
                                for r in first.trends.to_pylist() if r["step"] == len(first.definition.steps)]
    if len(kept) == 2:
        ends = [[r for r in res.steps.to_pylist() if r["breakdown"] is None] for _, res in kept]
        (x1, n1), (x2, n2) = ((e[-1]["customers"], e[0]["customers"]) for e in ends)
        if n1 and n2:
            test = proportion_test(x1, n1, x2, n2)
            answer["difference"] = t("web.difference", lang, a=format_percent(x1 / n1, lang),
                                     b=format_percent(x2 / n2, lang), test=test.method,
                                     p=f"= {test.p:.3g}")
    return answer


def charts_answer(collector: Any, results: Results, items: list[tuple[str, str]], lang: str) -> bytes:
    """The builder's second answer, asked for once the funnel is drawn (JSON bytes, kept in
    ``results``): the first series' trend shaded with the change scan's flagged windows
    (``explore.scan.trend_windows`` on the funnel's source) and the windows in words, and its
    time-to-convert chart: ``{trend, flagged: [{first, last, label, text}], flagged_note, ttc}``
    (``None``/empty what the funnel has not)."""
    _, runs = _runs(items, lang)
    _, definition, options = runs[0]

    def compute() -> bytes:
        from voronka.explore.scan import trend_windows
        from voronka.reports import charts

        result = funnel_result(collector, results, definition, options)
        titles = {i + 1: s.title for i, s in enumerate(result.definition.steps)}
        answer: dict[str, Any] = {
            "trend": None, "flagged": [], "flagged_note": None,
            "ttc": _figure(charts.time_to_convert_histogram(result.histogram, lang, labels=titles))
            if result.histogram.num_rows else None}
        if result.trends is not None and result.trends.num_rows:
            with collector.reading() as con:
                shaded = trend_windows(_source(con, options), result)
            answer["trend"] = _figure(charts.conversion_trend(result.trends, lang, flagged=shaded))
            answer["flagged"] = [{"first": a, "last": b, "label": label,
                                  "text": f"{format_date(a, lang)} – {format_date(b, lang)}: {label}"}
                                 for a, b, label in shaded]
            answer["flagged_note"] = t("web.flagged" if shaded else "web.no_flagged", lang)
        return json_bytes(answer)

    return results.get("builder-charts", canonical(lang, definition, options), compute)


def dropped(collector: Any, items: list[tuple[str, str]], lang: str) -> tuple[str, pa.Table, list[str]]:
    """(the step's title, the customers who dropped after step ``step`` of series ``series``:
    customer_id, breakdown and when they reached each step ``t1…tn``, the steps' titles)."""
    items, own = split_query(items)
    raw = own.get("step", "")
    if not raw.isdigit():
        raise InputError(f"query parameter 'step' (value {raw[:20]!r}): a step number, 1 or more")
    runs = _series(items, own, lang)
    name = own.get("series")
    chosen = next((r for r in runs if r[0] == name), runs[0])
    from voronka.funnel import compute_funnel

    with collector.reading() as con:  # with units: not kept (the lists are large)
        result = compute_funnel(_source(con, chosen[2]), _definition(chosen[1], lang), units=True)
    step = int(raw)
    if not 1 <= step <= len(result.definition.steps):
        raise InputError(f"query parameter 'step' (value {raw!r}): the funnel has {len(result.definition.steps)} steps")
    table = result.customers(step, "dropped").drop_columns(["period", "level", "in_progress"])
    if result.definition.breakdown is not None and name is not None and len(runs) == 1:
        table = table.filter(pc.equal(table["breakdown"], name))
    if result.definition.breakdown is None:
        table = table.drop_columns(["breakdown"])
    return result.definition.steps[step - 1].title, table, [s.title for s in result.definition.steps]


def dropped_json(collector: Any, items: list[tuple[str, str]], lang: str) -> dict[str, Any]:
    """The first ``MAX_LISTED`` dropped customers for the page: times in the language, the
    columns named by the steps' titles."""
    title, table, steps = dropped(collector, items, lang)
    rows = [{k: format_datetime(v, lang, format="short") if isinstance(v, dt.datetime) else v for k, v in r.items()}
            for r in table.slice(0, MAX_LISTED).to_pylist()]
    labels = {"customer_id": t("web.customer", lang), "breakdown": t("funnel.breakdown", lang),
              **{f"t{k}": name for k, name in enumerate(steps, 1)}}
    return jsonable_encoder({
        "title": t("web.dropped_title", lang, step=title), "count": table.num_rows,
        "note": t("web.dropped_count", lang, n=format_number(table.num_rows, lang), shown=len(rows)),
        "columns": table.column_names, "labels": labels, "rows": rows})


def dropped_csv(collector: Any, items: list[tuple[str, str]], lang: str) -> bytes:
    """Every dropped customer as CSV (times as stored, UTC; columns t1…tn as in `voronka funnel --export`)."""
    out = io.BytesIO()
    pacsv.write_csv(dropped(collector, items, lang)[1], out)
    return out.getvalue()
