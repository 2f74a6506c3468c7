"""The JSON API over the list of analyses (``voronka.analyses.ANALYSES``): for every analysis
``GET /v1/{name}`` (options in the query string) and ``POST /v1/{name}`` (options as a JSON
object), and ``GET /v1/analyses`` (the analyses and their parameters).

A request's options are the analysis's definition fields, the funnel's options where they
apply, and the source options (``where`` repeatable, ``unit``, ``session_gap``, ``since``,
``until``, ``as_of``, ``tz``), by the names the CLI's flags and YAML files use; each is
declared with its range in the OpenAPI schema (``/openapi.json``), and an unknown one is a
``422`` naming it. They go through the one spec builder (``analyses.build_definition``, no
file opened, models by built-in name) and the same ``compute`` as the CLI, on a read cursor of
the served store: the answer is ``{"analysis", "definition", "tables": {name: rows}}``, the
rows what ``voronka NAME --format json --show TABLE`` prints. A read key is needed
(``auth.read_access``). ``GET /v1/funnel`` keeps its older answer (the steps; ``read.py``).
An answer is kept per store generation and definition (``server.results``).
"""

import copy
import datetime as dt
from typing import Annotated, Any, Literal, Optional

from fastapi import Body, Depends, FastAPI, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

from voronka.analyses import ANALYSES, Analysis, build_definition, split_options
from voronka.schema import TABLES
from voronka.server.auth import read_access
from voronka.server.collector import LANGS, Collector
from voronka.server.params import MAX_STEPS, MAX_TEXT, TZ_PATTERN, check_window, check_zone, split_steps
from voronka.server.results import JSON, Results, canonical, json_bytes, shared

DURATION = r"^[0-9]{1,7}(\.[0-9]{1,6})?[smhdw]$"
_Lang = Literal[LANGS]  # type: ignore[valid-type]
_Short = Annotated[str, Field(max_length=500)]

SOURCE_FIELDS: dict[str, Any] = {
    "tz": (Optional[str], Field(None, max_length=64, pattern=TZ_PATTERN, description="An IANA time zone.")),
    "as_of": (Optional[dt.datetime], Field(None, description="'Now' (UTC); default: the latest event.")),
    "since": (Optional[dt.date], Field(None, description="Only events on or after this day (in tz).")),
    "until": (Optional[dt.date], Field(None, description="Only events on or before this day (in tz).")),
    "where": (Optional[list[_Short]], Field(None, max_length=20, description=(
        "Filters every event must pass: key=value, key!=value, key in a|b, key>n, key is null (docs/source.md)."))),
    "unit": (Optional[str], Field(None, max_length=128, description="customer, session, or a column or property.")),
    "session_gap": (Optional[str], Field(None, max_length=16, pattern=DURATION,
                                         description="With unit=session: the gap that ends a session.")),
}
"""The source options (docs/source.md), declared with their ranges."""


def _funnel_fields() -> dict[str, Any]:
    from voronka.funnel.definition import PRESETS, Attribution, CohortPeriod, Counting, Order, Scan, Ties
    from voronka.stage_models import builtin_models

    return {
        "steps": (Optional[str], Field(None, max_length=MAX_TEXT, description=(
            f"Event names of the steps, comma-separated (a|b: any of); at most {MAX_STEPS} steps."))),
        "model": (Optional[Literal[tuple(builtin_models())]], Field(None, description="A built-in stage model.")),  # type: ignore[misc]
        "window": (Optional[str], Field(None, max_length=16, pattern=DURATION, description="The conversion window.")),
        "order": (Optional[Order], Field(None)),
        "ties": (Optional[Ties], Field(None)),
        "compat": (Optional[Literal[tuple(PRESETS)]], Field(None)),  # type: ignore[misc]
        "window_funnel": (Optional[str], Field(None, max_length=200, description="windowFunnel modes, comma-separated.")),
        "scan": (Optional[Scan], Field(None, description="attempts, or posthog: PostHog's per-person scan.")),
        "exclude": (Optional[list[_Short]], Field(None, max_length=20, description="EVENT:FROM-TO, repeatable.")),
        "exclusion_scope": (Optional[Literal["attempt", "customer"]], Field(None)),
        "counting": (Optional[Counting], Field(None)),
        "by": (Optional[str], Field(None, max_length=128, description="Breakdown: a column or property.")),
        "attribution": (Optional[Attribution], Field(None)),
        "attribution_step": (Optional[int], Field(None, ge=1, le=MAX_STEPS)),
        "top": (Optional[int], Field(None, ge=1, le=1000, description="Breakdown values kept; the rest is (other).")),
        "date_from": (Optional[dt.date], Field(None, description="First day of entry.")),
        "date_to": (Optional[dt.date], Field(None, description="Last day of entry.")),
        "cohort": (Optional[CohortPeriod], Field(None, description="Conversion trends per day, week or month.")),
    }


def _own_fields(a: Analysis) -> dict[str, Any]:
    """The record's fields, each optional (not given: the record's default), with its ranges."""
    fields: dict[str, Any] = {}
    for name, info in a.fields.items():
        if a.funnel and name == "playbook":
            continue
        field = copy.copy(info)
        field.default, field.default_factory = None, None
        fields[name] = (Optional[info.annotation], field)  # type: ignore[valid-type]
    return fields


def request_model(a: Analysis, *, query: bool) -> type[BaseModel]:
    """The parameters of ``/v1/{a.name}``: the record's fields, the funnel's, the source's,
    ``lang`` (and in the query string the read key ``key``); nothing else."""
    fields: dict[str, Any] = {**(_funnel_fields() if a.funnel else {}), **_own_fields(a),
                              **{k: v for k, v in SOURCE_FIELDS.items() if k in a.source}}
    fields["lang"] = (_Lang, Field("en", description="The language of labels."))
    if query:
        fields["key"] = (Optional[str], Field(None, max_length=256, description="A read key."))
    name = "".join(p.capitalize() for p in a.name.split("_")) + ("Query" if query else "Body")
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def _answer(collector: Collector, results: Results, a: Analysis, params: BaseModel) -> bytes:
    values = params.model_dump(exclude_none=True)
    values.pop("key", None)
    check_zone(values.get("tz")), check_window(values.get("window"))
    if a.funnel and values.get("steps"):  # the funnel's steps (transitions' steps is a number)
        split_steps(values["steps"])
    lang = values.pop("lang", "en")
    own, options = split_options(values)
    definition = build_definition(a.name, own, lang=lang, files=False)
    return results.get("v1", canonical(a.name, definition, options),
                       lambda: json_bytes(collector.analyse(definition, options)))


def add_routes(app: FastAPI, collector: Collector) -> None:
    """``GET /v1/analyses``, and ``GET``/``POST /v1/{name}`` for every analysis (``GET /v1/funnel``
    stays ``read.py``'s; ``POST /v1/{table}`` of the canonical tables is the ingest route)."""

    @app.get("/v1/analyses", dependencies=[Depends(read_access)])
    async def analyses() -> list[dict[str, Any]]:
        """The analyses: name, what it computes, the page defining it, the CLI command, the
        result tables' names, and every parameter (name → JSON schema with its range)."""
        return [{"name": a.name, "title": a.title, "doc": a.doc, "command": a.command or a.name,
                 "funnel_options": a.funnel, "source_options": list(a.source),
                 "parameters": request_model(a, query=False).model_json_schema()["properties"]}
                for a in ANALYSES.values()]

    for a in ANALYSES.values():
        _routes(app, collector, shared(app, collector), a)


def _routes(app: FastAPI, collector: Collector, results: Results, a: Analysis) -> None:
    Query_ = request_model(a, query=True)
    Body_ = request_model(a, query=False)
    doc = f"{a.title} ({a.doc}). Options: the definition's fields, " + (
        "the funnel's options, " if a.funnel else "") + "the source options; the answer's tables: the result's."

    if a.name != "funnel":  # GET /v1/funnel keeps its answer: read.py
        async def get(params: Annotated[Query_, Query()]) -> Response:  # type: ignore[valid-type]
            return Response(await run_in_threadpool(_answer, collector, results, a, params), media_type=JSON)

        app.add_api_route(f"/v1/{a.name}", get, methods=["GET"], dependencies=[Depends(read_access)],
                          summary=a.title, description=doc, name=f"{a.name}_get")
    if a.name not in TABLES:  # POST /v1/{table} ingests
        async def post(params: Annotated[Body_, Body()]) -> Response:  # type: ignore[valid-type]
            return Response(await run_in_threadpool(_answer, collector, results, a, params), media_type=JSON)

        app.add_api_route(f"/v1/{a.name}", post, methods=["POST"], dependencies=[Depends(read_access)],
                          summary=a.title, description=doc, name=f"{a.name}_post")
