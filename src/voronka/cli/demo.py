"""``voronka demo``: generate the protein-bar shop's data, ingest it, run the main job."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from voronka.cli.app import FormatOption, Lang, LangOption, OutputFormat, app, console, user_errors
from voronka.cli.output import emit


@app.command()
@user_errors
def demo(
    customers: Annotated[int, typer.Option(min=10, help="How many customers to generate.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    store: Annotated[Path, typer.Option(help="The demo store file (replaced).")] = Path("voronka-demo.duckdb"),
    report: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path("voronka-report.html"),
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Generate seeded demo data, load it into a fresh store, print the hourglass, write the report."""
    from voronka import demo as demo_data
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.funnel import compute_funnel
    from voronka.funnel.spec import build_funnel
    from voronka.i18n import format_number, t
    from voronka.report import Report, funnel_columns
    from voronka.reports import add_funnel_sections
    from voronka.sql import resolved_events
    from voronka.store import Store

    data = demo_data.generate(customers, seed=seed)
    for suffix in ("", ".wal"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Store(store) as db:
        files = demo_data.write(data, tmp)
        db.ingest_events([files["events"]])
        db.ingest_spend([files["spend"]])
        engine = DuckDBEngine(db.connection)
        result = compute_funnel(engine, build_funnel({"model": "hourglass"}, lang=lang.value))
        n_customers = engine.query(
            f"SELECT count(DISTINCT customer_id) AS n FROM ({resolved_events('events', None)})"
        ).column("n")[0].as_py()
        n_events = db.count("events")

    if fmt is OutputFormat.table:
        headers, formatters = funnel_columns(lang.value)
        emit(result.steps.drop_columns(["step_key", "breakdown"]), fmt, formatters=formatters, headers=headers,
             title=t("chart.hourglass.title", lang.value))
    else:
        emit(result.steps, fmt)
    page = Report(t("report.demo_title", lang.value), lang.value)
    page.add_section(t("report.demo_title", lang.value), text=t(
        "report.demo_intro", lang.value, customers=format_number(n_customers, lang.value),
        events=format_number(n_events, lang.value)))
    add_funnel_sections(page, result, lang.value, hourglass_split="buy")
    page.write(report)
    if fmt is OutputFormat.table:
        console.print(f"store: {store}   report: {report}", highlight=False)
