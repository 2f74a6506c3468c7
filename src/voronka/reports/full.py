"""The full report: every analysis the data supports, in the order of the customer's
journey — the hourglass, where customers are lost and the plan, what changed (the change
scan), touches and paths, transitions and loops, attribution, channels and money, the CRM
deals pipeline, the loop after the purchase, lifetime value, referrals and complaints, and
the profile of the data.

An analysis the data cannot support is left out, never drawn as a table of zeros: first
by the checks of ``voronka.reports.support`` (no spend rows, no referrer, no complaint,
too few repeat customers, …), then when it raises a ``VoronkaError`` on its own terms.
Its sections are missing and the reason is listed in the last section, "Analyses left
out" (in the report's language), so one missing table never costs the rest of the report.
Funnel steps that no event matches are listed there too, with the events the data has.

The report is declared as data: ``PARTS`` lists its parts in order, each naming the analyses
of ``voronka.analyses.ANALYSES`` whose results it draws; ``OPTIONS`` the report's options for
an analysis where they are not the record's defaults. Each analysis is computed by its record
through the one verb (``voronka.compute``), on the report's source.

The funnel is the analyst's (``funnel``: steps, a model or a funnel file, with its window,
order, breakdown …; default the hourglass model): the funnel, weak-links and change-scan
sections all use that one definition. A funnel whose first step matches no event (another
event vocabulary) is not drawn: it is listed with the event names the data has, and the
weak links, plan and change scan are listed as left out with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from voronka.analyses import ANALYSES, compute
from voronka.engines import Engine
from voronka.errors import DefinitionError, VoronkaError
from voronka.funnel import FunnelResult
from voronka.funnel.coverage import coverage
from voronka.funnel.definition import FunnelDefinition
from voronka.funnel.spec import build_funnel
from voronka.i18n import t
from voronka.reports.html import Report
from voronka.source import Source
from voronka.stage_models import StageModel


@dataclass
class FullReport:
    """The report, the funnel it opens with, and the analyses left out (name → reason;
    names as in ``voronka.reports.support``, plus ``hourglass`` or ``funnel``, ``diagnose``,
    ``scan``, ``paths``)."""

    report: Report
    funnel: FunnelResult
    skipped: dict[str, str] = field(default_factory=dict)


HOURGLASS_NECK = "buy"
"""The hourglass model's neck stage: the chart narrows down to it and widens after it."""


@dataclass
class Run:
    """One report being built: the page and its language, the source, the analyst's funnel and
    stage model, the report's own options, and every result computed so far (by analysis)."""

    page: Report
    lang: str
    source: Source
    funnel: FunnelDefinition
    model: StageModel | None
    holdout_from: dt.date | None = None
    plan_target: int = 10
    plan_sellers: int = 1
    rates: Sequence[float] | None = None
    results: dict[str, Any] = field(default_factory=dict)

    def compute(self, name: str, source: Source | None = None) -> Any:
        """Analysis ``name`` of ``ANALYSES``: its record with the report's options (``OPTIONS``;
        the record's ``lang`` the report's), computed by the one verb on ``source`` (default:
        the report's)."""
        fields, options = OPTIONS.get(name, _defaults)(self)
        record = ANALYSES[name].definition
        if "lang" in record.model_fields:
            fields = {"lang": self.lang, **fields}
        self.results[name] = compute(source or self.source, record.build(fields), **options)
        return self.results[name]


Options = Callable[[Run], tuple[dict[str, Any], dict[str, Any]]]
"""The report's options for one analysis: (the record's fields, ``compute``'s options)."""


def _defaults(run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {}


def _diagnose(run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    """The analyst's funnel, per channel unless it has a breakdown; its stage model's playbook."""
    funnel = run.funnel if run.funnel.breakdown else FunnelDefinition.model_validate(
        {**run.funnel.model_dump(), "breakdown": {"field": "channel"}})
    return {"funnel": funnel}, {"model": run.model}


def _plan(run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan on the diagnosed funnel's rates up to the value stage (or the typed-in ones),
    at its measured average check (none without revenue)."""
    from voronka.diagnose import measured_rates

    diagnosis = run.results["diagnose"]
    if run.rates is None:
        rates, stages = measured_rates(diagnosis.funnel).up_to_value()
    else:
        keys = [s.key for s in run.funnel.steps]
        rates, stages = list(run.rates), keys[: len(run.rates) + 1] if len(run.rates) < len(keys) else None
    return {"target": run.plan_target, "sellers": run.plan_sellers, "rates": ",".join(map(repr, rates)),
            "stages": ",".join(stages) if stages else None,
            "check": diagnosis.links.revenue.per_buyer or None}, {}


OPTIONS: dict[str, Options] = {
    "diagnose": _diagnose,
    "plan": _plan,
    "scan": lambda run: ({"funnel": run.funnel}, {}),
    "touches": lambda run: ({"lookback": "all"}, {}),
    "transitions": lambda run: ({"top": 5}, {}),
    "attribution": lambda run: ({"order": 2}, {}),
    "clv": lambda run: ({"holdout_from": run.holdout_from}, {}),
    "money": lambda run: ({}, {"clv": run.results["clv"].customers if "clv" in run.results else None}),
    "retention": lambda run: ({"period": "month"}, {}),
    "lifecycle": lambda run: ({"period": "month"}, {}),
}
"""The report's options where they are not the record's defaults."""


def _draw_diagnose(run: Run, r: dict[str, Any]) -> None:
    from voronka.reports.diagnose import add_diagnose_sections

    diagnosis = r["diagnose"]
    add_diagnose_sections(run.page, diagnosis, run.lang, plan=r["plan"], currency=diagnosis.links.revenue.currency)


def _draw_scan(run: Run, r: dict[str, Any]) -> None:
    from voronka.reports.explore import add_scan_section

    found = r["scan"]
    definition = ANALYSES["scan"].definition.build({"funnel": run.funnel, "lang": run.lang})
    add_scan_section(run.page, found, definition.findings(found, run.model), run.lang)


def _draw_paths(run: Run, r: dict[str, Any]) -> None:
    from voronka.reports.paths import add_paths_sections

    add_paths_sections(run.page, run.lang, touches=r["touches"], paths=r["paths"], channels=r["channels"])


def _draw_loop(run: Run, r: dict[str, Any]) -> None:
    from voronka.loop import LoopResults
    from voronka.loop.occasions import currencies, prepare_occasions
    from voronka.reports.loop import add_loop_sections

    found = currencies(run.source, prepare_occasions(run.source, timezone=run.source.timezone))
    add_loop_sections(run.page, LoopResults(
        repeat=r["repeat"], retention=r["retention"], lifecycle=r["lifecycle"], rfm=r["rfm"], overdue=r["overdue"],
        winback=r["winback"], currency=found[0] if len(found) == 1 else None), run.lang)


def _draw_transitions(run: Run, r: dict[str, Any]) -> None:
    from voronka.reports.explore import add_transitions_section

    add_transitions_section(run.page, r["transitions"], run.lang)


def _draw_attribution(run: Run, r: dict[str, Any]) -> None:
    from voronka.reports.attribution import add_attribution_sections

    add_attribution_sections(run.page, r["attribution"], run.lang)


def _draw_money(run: Run, r: dict[str, Any]) -> None:
    """Channels and money, or the deals pipeline."""
    from voronka.reports.money import add_money_sections

    add_money_sections(run.page, r.get("money"), run.lang, deals=r.get("pipeline"))


def _draw_value(section: str, name: str) -> Callable[[Run, dict[str, Any]], None]:
    """Draw the value ``section`` (clv, referrals, distance) of analysis ``name``, when computed."""
    def draw(run: Run, r: dict[str, Any]) -> None:
        from voronka.reports.value import add_value_sections

        if name in run.results:
            add_value_sections(run.page, run.lang, **{section: run.results[name]})
    return draw


def _draw_profile(run: Run, r: dict[str, Any]) -> None:
    from voronka.reports.explore import add_profile_section

    add_profile_section(run.page, r["profile"], run.lang)


def _later(run: Run, r: dict[str, Any]) -> None:
    """Computed here, drawn later (lifetime value: money's LTV/CAC needs it first)."""


@dataclass(frozen=True)
class Part:
    """One part of the report: the ``name`` listed when it is left out, the ``analyses`` of
    ``ANALYSES`` it computes (in this order), and how it ``draw``s their results. A part with
    no analyses draws what an earlier part computed."""

    name: str
    analyses: tuple[str, ...]
    draw: Callable[[Run, dict[str, Any]], None]
    needs: tuple[str, ...] = ()
    """Earlier parts whose results its options read (``OPTIONS``): computed first."""


PARTS: tuple[Part, ...] = (
    Part("diagnose", ("diagnose", "plan"), _draw_diagnose),
    Part("scan", ("scan",), _draw_scan),
    Part("paths", ("touches", "paths", "channels"), _draw_paths),
    Part("transitions", ("transitions",), _draw_transitions),
    Part("attribution", ("attribution",), _draw_attribution),
    Part("clv", ("clv",), _later),
    Part("money", ("money",), _draw_money, needs=("clv",)),
    Part("deals", ("pipeline",), _draw_money),
    Part("loop", ("repeat", "retention", "lifecycle", "rfm", "overdue", "winback"), _draw_loop),
    Part("clv", (), _draw_value("clv", "clv")),
    Part("referrals", ("referrals",), _draw_value("referrals", "referrals")),
    Part("complaints", ("complaints",), _draw_value("distance", "complaints")),
    Part("profile", ("profile",), _draw_profile),
)
"""The report after its funnel, in order."""


THREADS = "VORONKA_REPORT_THREADS"
"""The environment variable setting how many parts of the report are computed side by side on
a DuckDB engine (default ``WORKERS``; 1: one after another)."""

WORKERS = 3
"""Parts of the report computed side by side on a DuckDB engine (DuckDB runs a query without
holding Python's lock, so one part's queries overlap another's Python)."""


def workers() -> int:
    """How many parts are computed side by side: ``VORONKA_REPORT_THREADS``, else ``WORKERS``."""
    text = os.environ.get(THREADS, "").strip()
    if not text:
        return WORKERS
    if not text.isdigit() or int(text) < 1:
        raise DefinitionError(f"{THREADS}={text!r}: write a whole number of threads, 1 or more", field=THREADS)
    return int(text)


FIRST = ("scan", "clv", "paths", "loop")
"""The parts that take longest (on the demo stores), started first; the rest in report order."""


class _SideBySide:
    """Computes parts of the report: side by side on ``threads`` threads (each on its own cursor
    of the source's DuckDB connection: a DuckDB connection runs one query at a time), or one
    after another, at ``submit``, with one thread. ``exclusive``: the database is the report's
    alone, so while parts run side by side each query gets the cores divided among them
    (DuckDB's ``threads``: one each on two cores), not every core: the parts are the
    parallelism, and fewer threads per query spend less CPU on the same results."""

    def __init__(self, source: Source, threads: int, exclusive: bool = False) -> None:
        self.source = source
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="voronka-report") if threads > 1 else None
        self.local = threading.local()
        self.engines = contextlib.ExitStack()  # each thread's engine (and the threads setting), closed at the end
        if exclusive and self.pool is not None:
            self.engines.enter_context(source.streams.threads(max(1, (os.cpu_count() or 1) // threads)))  # type: ignore[union-attr]

    def __enter__(self) -> _SideBySide:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.engines.close()

    def _source(self) -> Source:
        """This thread's source: the report's, on an engine of its own (``ArrowStreams.for_thread``)."""
        if not hasattr(self.local, "source"):
            engine = self.engines.enter_context(self.source.streams.for_thread())  # type: ignore[union-attr]
            self.local.source = replace(self.source, engine=engine)
        return self.local.source

    def _compute(self, run: Run, part: Part, needs: list[Future[dict[str, Any]]]) -> dict[str, Any]:
        wait(needs)  # their errors are their parts'
        source = self._source() if self.pool is not None else None
        return {name: run.compute(name, source) for name in part.analyses}

    def submit(self, run: Run, part: Part, needs: list[Future[dict[str, Any]]]) -> Future[dict[str, Any]]:
        """The results of ``part``'s analyses (by name), once ``needs`` are done."""
        if self.pool is not None:
            return self.pool.submit(self._compute, run, part, needs)
        done: Future[dict[str, Any]] = Future()
        try:
            done.set_result(self._compute(run, part, needs))
        except VoronkaError as exc:
            done.set_exception(exc)
        return done


def side_by_side(source: Source) -> bool:
    """Can the report's parts be computed side by side on ``source``: a DuckDB engine in this
    process (``ArrowStreams``) whose session holds no temporary table or view (an engine for
    another thread sees neither; registered Arrow tables are temporary views)."""
    if source.streams is None or source.engine.dialect != "duckdb":
        return False
    found = source.engine.query(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary) "
        "+ (SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal) AS n")
    return found.column("n")[0].as_py() == 0


def full_report(engine: Engine | Source, lang: str, *, title: str, intro: str | None = None, timezone: str = "UTC",
                holdout_from: dt.date | None = None, plan_target: int = 10, plan_sellers: int = 1,
                funnel: FunnelDefinition | None = None, model: StageModel | None = None,
                rates: Sequence[float] | None = None, exclusive: bool = False) -> FullReport:
    """Run every analysis on ``engine`` (an engine, every event in ``timezone``, or a source)
    and lay the results out in one report (``PARTS``).

    ``funnel``: the analyst's funnel (default: the hourglass model, whose playbook is then
    ``model``); ``model``: the stage model the findings quote (None: steps of one's own);
    ``rates``: typed-in conversions stage to stage for the plan (default: measured);
    ``exclusive``: nothing else queries the engine's database meanwhile (the command line),
    so the parts computed side by side share its cores out (``_SideBySide``)."""
    from voronka.reports.funnel import add_funnel_sections
    from voronka.reports.support import data_profile
    from voronka.stage_models import load_model

    source = engine if isinstance(engine, Source) else Source(engine, timezone=timezone)
    threads = workers() if side_by_side(source) else 1  # before the funnel leaves its scratch tables
    if funnel is None:
        funnel = build_funnel({"model": "hourglass", "timezone": timezone}, lang=lang)
        model = model or load_model("hourglass")
    hourglass = model is not None and model.key == "hourglass" and HOURGLASS_NECK in [s.key for s in funnel.steps]
    funnel_name = "hourglass" if hourglass else "funnel"
    page = Report(title, lang)
    if intro:
        page.add_section(title, text=intro)
    result = compute(source, funnel, units=True)
    out = FullReport(page, result)
    empty = False
    if not all(result.steps.column("customers").to_pylist()):
        cover = coverage(source, funnel)
        empty, message = cover.empty, cover.message(lang)
        if message:
            out.skipped[funnel_name] = message
    if not empty:
        add_funnel_sections(page, result, lang, hourglass_split=HOURGLASS_NECK if hourglass else None)
    missing = data_profile(engine, timezone=timezone).missing(lang)
    if empty:
        missing["diagnose"] = missing["scan"] = t("report.reason.empty_funnel", lang,
                                                  funnel=t(f"report.analysis.{funnel_name}", lang))
    run = Run(page, lang, source, funnel, model, holdout_from, plan_target, plan_sellers, rates)
    with _SideBySide(source, threads, exclusive) as pool:
        computed: dict[Part, Future[dict[str, Any]]] = {}
        for part in sorted(PARTS, key=lambda p: FIRST.index(p.name) if p.name in FIRST else len(FIRST)):
            if part.analyses and part.name not in missing:
                computed[part] = pool.submit(run, part, [f for p, f in computed.items() if p.name in part.needs])
        for part in PARTS:
            if not part.analyses:  # draws what the parts before it computed
                wait([f for p, f in computed.items() if PARTS.index(p) < PARTS.index(part)])
                part.draw(run, {})
            elif part.name in missing:
                out.skipped[part.name] = missing[part.name]
            else:
                try:
                    part.draw(run, computed[part].result())
                except VoronkaError as exc:
                    out.skipped[part.name] = str(exc)
    if out.skipped:
        page.add_section(t("report.skipped", lang), text="\n\n".join(
            f"{t(f'report.analysis.{name}', lang)}: {reason}" for name, reason in out.skipped.items()))
    return out
