"""``voronka demo``: generate the protein-bar shop's data, ingest it, run the main job."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from voronka.cli.app import FormatOption, Lang, LangOption, OutputFormat, app, console, user_errors
from voronka.cli.output import emit

HOLDOUT_FROM = dt.date(2026, 8, 1)
"""The demo's lifetime-value holdout: fitted on January–July, checked on August–October."""


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
    from voronka.cli.nopandas import arrow_without_pandas
    from voronka.engines.duckdb import DuckDBEngine
    from voronka.i18n import format_number, t
    from voronka.reports import funnel_columns
    from voronka.reports.full import full_report
    from voronka.sql import resolved_events
    from voronka.store import Store

    arrow_without_pandas()  # before the first conversion (cli/nopandas.py)
    data = demo_data.generate(customers, seed=seed)
    for suffix in ("", ".wal"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Store(store) as db:
        files = demo_data.write(data, tmp)
        db.ingest_events([files["events"]])
        db.ingest_spend([files["spend"]])
        engine = DuckDBEngine(db.connection)
        n_customers = engine.query(
            f"SELECT count(DISTINCT customer_id) AS n FROM ({resolved_events('events', None)})"
        ).column("n")[0].as_py()
        intro = t("report.demo_intro", lang.value, customers=format_number(n_customers, lang.value),
                  events=format_number(db.count("events"), lang.value))
        built = full_report(engine, lang.value, title=t("report.demo_title", lang.value), intro=intro,
                            timezone=demo_data.TIME_ZONE, holdout_from=HOLDOUT_FROM, plan_sellers=4, exclusive=True)

    result = built.funnel
    if fmt is OutputFormat.table:
        headers, formatters = funnel_columns(lang.value)
        emit(result.steps.drop_columns(["step_key", "breakdown"]), fmt, formatters=formatters, headers=headers,
             title=t("chart.hourglass.title", lang.value))
    else:
        emit(result.steps, fmt)
    built.report.write(report)
    if fmt is OutputFormat.table:
        console.print(f"store: {store}   report: {report}", highlight=False)
