"""``voronka scan``, ``voronka transitions`` and ``voronka profile``: exploring a store one
does not know yet (docs/explore.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import pyarrow as pa
import typer

from voronka.cli.app import (
    FormatOption,
    Lang,
    LangOption,
    OutputFormat,
    ReportOption,
    app,
    console,
    user_errors,
)
from voronka.cli.diagnose import ModelOption, StepsOption
from voronka.cli.output import emit
from voronka.cli.sources import DefinitionFileOption, SourceOptions, analyse, source_options

SCAN_COLUMNS = ["rank", "measure", "column", "segment", "first", "last", "window_trials", "window_rate",
                "rest_rate", "units", "value", "p", "q"]


def _write(report: Path | None, fmt: OutputFormat, lang: Lang, add) -> None:
    """Write a one-section report with ``add(report)`` when ``--report`` is given."""
    if report is None:
        return
    from voronka.reports import Report

    page = Report("voronka", lang.value)
    add(page)
    page.write(report)
    if fmt is OutputFormat.table:
        console.print(f"report: {report}", highlight=False)


@app.command()
@user_errors
@source_options
def scan(
    src: SourceOptions,
    model: ModelOption = None,
    steps: StepsOption = None,
    grain: Annotated[Optional[str], typer.Option(help="day | week: the period of the series (default week).")] = None,
    within: Annotated[Optional[str], typer.Option(help="A transition counts when the next step follows within "
                                                       "this (default 14d).")] = None,
    max_values: Annotated[Optional[int], typer.Option(help="Breakdown columns with at most this many values are "
                                                           "segments (default 12).")] = None,
    max_window: Annotated[Optional[int], typer.Option(help="The longest changed window tested, in periods "
                                                           "(default 4).")] = None,
    alpha: Annotated[Optional[float], typer.Option(help="False discovery rate (one BH correction over every "
                                                        "series; default 0.05).")] = None,
    since: Annotated[Optional[dt.datetime], typer.Option("--from", formats=["%Y-%m-%d"],
                                                         help="Leave out the periods before this day.")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency of the revenue, e.g. KZT.")] = None,
    show: Annotated[str, typer.Option(help="findings | flagged | series")] = "findings",
    top: Annotated[Optional[int], typer.Option(help="Findings to show (default 10).")] = None,
    file: DefinitionFileOption = None,
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """What changed, where and when: every transition and event volume per segment and period,
    level shifts tested against the rest, one BH correction, ranked by what they cost."""
    if show not in ("findings", "flagged", "series"):
        raise typer.BadParameter("--show takes findings, flagged or series")
    definition, result, tables = analyse("scan", src, {
        "model": model, "steps": steps, "grain": grain, "within": within, "max_values": max_values,
        "max_window": max_window, "alpha": alpha, "periods_from": since.date() if since else None,
        "currency": currency, "limit": top}, file=file, lang=lang.value)
    findings = definition.findings(result)
    if show == "findings" and fmt is OutputFormat.table:
        for f in findings:
            console.print("• " + f.sentence(), highlight=False, soft_wrap=True)
    elif show == "findings":
        emit(tables["findings"], fmt)
    else:
        table = tables[show]
        emit(table.select(SCAN_COLUMNS) if fmt is OutputFormat.table else table, fmt, lang=lang.value)
    from voronka.reports.explore import add_scan_section

    _write(report, fmt, lang, lambda page: add_scan_section(page, result, findings, lang.value))


@app.command()
@user_errors
@source_options
def transitions(
    src: SourceOptions,
    to: Annotated[Optional[str], typer.Option("--to", help="Conversion: an event, events a|b, or MODEL:STAGE "
                                                           "(default: purchase).")] = None,
    compare: Annotated[Optional[str], typer.Option(
        help="Two segments by the unit's first event: FIELD=A,FIELD=B (e.g. channel=mobile,channel=digital), "
             "or two periods of it: first=2026-05-01..2026-05-31,first=2026-06-01..2026-06-30.")] = None,
    steps: Annotated[int, typer.Option("--steps", help="Steps of the step matrix.")] = 8,
    keep_repeats: Annotated[bool, typer.Option("--keep-repeats",
                                               help="Do not merge consecutive equal events.")] = False,
    top: Annotated[int, typer.Option(help="Loops to show.")] = 10,
    show: Annotated[str, typer.Option(help="loops | matrix | steps | compare (the transition matrices) | "
                                           "compare-steps (the step matrices)")] = "loops",
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """How units move between events: the transition and step matrices, the loops that send
    them back before converting (ranked by conversions lost), two segments side by side."""
    from voronka.explore.transitions import compute_transitions, parse_segment

    if show not in ("loops", "matrix", "steps", "compare", "compare-steps"):
        raise typer.BadParameter("--show takes loops, matrix, steps, compare or compare-steps")
    if show.startswith("compare") and not compare:
        raise typer.BadParameter(f"--show {show} needs --compare FIELD=A,FIELD=B")
    pair = None
    if compare:
        parts = [p for p in compare.split(",") if p.strip()]
        if len(parts) != 2:
            raise typer.BadParameter("--compare takes two segments: FIELD=A,FIELD=B")
        pair = (parse_segment(parts[0]), parse_segment(parts[1]))
    result = compute_transitions(src.open(), conversion=to, steps=steps, merge_repeats=not keep_repeats,
                                 compare=pair, top=top, as_of=src.as_of)
    if show == "loops" and fmt is OutputFormat.table:
        from voronka.reports.explore import compare_sentences, loop_sentences

        lines = loop_sentences(result, lang.value) + (compare_sentences(result, lang.value) if compare else [])
        for line in lines:
            console.print("• " + line, highlight=False, soft_wrap=True)
    else:
        emit({"loops": result.loops, "matrix": result.matrix, "steps": result.steps,
              "compare": result.compare, "compare-steps": result.compare_steps}[show], fmt, lang=lang.value)
    from voronka.reports.explore import add_transitions_section

    _write(report, fmt, lang, lambda page: add_transitions_section(page, result, lang.value))


@app.command()
@user_errors
@source_options
def profile(
    src: SourceOptions,
    keep_repeats: Annotated[bool, typer.Option("--keep-repeats", help="With --data: keep identical rows.")] = False,
    show: Annotated[str, typer.Option(help="findings | events | properties | days")] = "findings",
    report: ReportOption = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """What the events hold: the event vocabulary (new, rare, spiked events), properties and
    their coverage, days and gaps, identity, sessions, repeats, out-of-order and future times."""
    from voronka.explore.profile import compute_profile, profile_sentences

    if show not in ("findings", "events", "properties", "days"):
        raise typer.BadParameter("--show takes findings, events, properties or days")
    repeats = None
    if src.data:  # read through the ingest pipeline here, to know how many repeats it dropped
        from voronka.engines.duckdb import DuckDBEngine, connect
        from voronka.ingest.pipeline import ingest
        from voronka.schema import EVENTS

        con = connect()
        con.execute(EVENTS.ddl())
        repeats = ingest(con, "events", src.data, keep_repeats=keep_repeats).duplicates
        engine = DuckDBEngine(con)
    else:
        engine = src.open()
    result = compute_profile(engine, repeats=repeats, session_gap=src.session_gap or "30m")
    lines = profile_sentences(result, lang.value)
    if show == "findings":
        if fmt is OutputFormat.table:
            for line in lines:
                console.print("• " + line, highlight=False, soft_wrap=True)
        else:
            emit(pa.Table.from_pylist([{"finding": key, "text": line, **{k: str(v) for k, v in params.items()}}
                                       for (key, params), line in zip(result.findings, lines)]), fmt)
    else:
        emit({"events": result.vocabulary, "properties": result.properties, "days": result.days}[show], fmt,
             lang=lang.value)
    from voronka.reports.explore import add_profile_section

    _write(report, fmt, lang, lambda page: add_profile_section(page, result, lang.value))
