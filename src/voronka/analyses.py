"""The one declared list of analyses, the one spec builder over it, and ``compute``.

``ANALYSES`` names every analysis voronka computes over a source: its definition record (a
frozen, validated pydantic model next to the analysis's module: ``voronka.definition``), the
page of ``docs/`` defining it, which source options (docs/source.md) and whether the funnel
options apply, and how its result becomes named result tables (Arrow) for JSON/CSV output.
The CLI, the HTTP API (``server/api.py``: ``GET``/``POST /v1/{name}``) and the report read it.

* ``build_definition(name, values, file=...)``: the one spec builder. ``values`` are options
  by field name as the CLI, a YAML file, an HTTP query string or a JSON body write them (one
  grammar: ``a|b`` is "any of a, b" everywhere, durations ``30m``/``7d``, steps ``a,b|c``);
  a YAML ``file`` holds the same names, ``values`` override it. Errors are
  ``DefinitionError`` naming the field (and the file's line).
* ``compute(source, definition)``: the one entry, dispatching on the record's type.
* ``tables(definition, result)``: the result as named Arrow tables; ``json_rows`` a table
  as JSON-safe rows (what ``--format json`` prints and the API returns).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import importlib
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from voronka.errors import DefinitionError

SOURCE_OPTIONS = ("tz", "as_of", "since", "until", "where", "unit", "session_gap")
"""The source options (``Source.from_options``; docs/source.md), by their query/field names."""
FUNNEL_OPTIONS = ("steps", "model", "window", "order", "ties", "compat", "window_funnel", "scan", "exclude",
                  "exclusion_scope", "counting", "by", "attribution", "attribution_step", "top", "date_from",
                  "date_to", "cohort")
"""The funnel's options (``funnel.spec.spec_from_flags``), by their field names."""

Tables = Callable[[Any, Any], dict[str, pa.Table | None]]


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One analysis: ``name`` (its CLI command is ``command``), its definition record
    (``record``: ``module:Class``), the ``doc`` page defining it, the ``source`` options that
    apply, whether the ``funnel`` options apply, and ``tables`` (definition, result → named tables)."""

    name: str
    record: str
    doc: str
    title: str
    tables: Tables
    source: tuple[str, ...] = SOURCE_OPTIONS
    funnel: bool = False
    command: str = ""

    @property
    def definition(self) -> type:
        """The definition record class (imported on first use: the list itself is light)."""
        module, _, name = self.record.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def fields(self) -> dict[str, Any]:
        """The record's own fields (pydantic ``FieldInfo``); the funnel's are its options
        (``FUNNEL_OPTIONS``), not these."""
        if self.name == "funnel":
            return {}
        return {k: v for k, v in self.definition.model_fields.items() if k != "funnel"}

    def compute(self, source: Any, definition: Any, **options: Any) -> Any:
        """The result of ``definition`` over ``source`` (``options``: ``compute``'s)."""
        return definition.compute(source, **options)

    def named_tables(self, definition: Any, result: Any) -> dict[str, pa.Table]:
        """The result's tables by name (the ones the result has)."""
        return {k: v for k, v in self.tables(definition, result).items() if v is not None}


def _funnel_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    return {"steps": r.steps, "histogram": r.histogram, "trends": r.trends}


def _diagnose_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    rows = [{"kind": f.kind, "text": f.text, "method": f.method, "p": f.p, "q": f.q, "action": f.action}
            for f in r.findings]
    cells = r.links.cells
    return {"findings": pa.Table.from_pylist(rows), "flagged": pa.Table.from_pylist(r.links.flagged(), schema=cells.schema),
            "cells": cells, "changes": r.changes.table if r.changes is not None else None, "steps": r.funnel.steps}


def _paths_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    if hasattr(r, "top"):
        return {"top": r.top, "lengths": r.lengths, "sankey": r.sankey}
    return {"steps": r.steps, "sankey": r.sankey}


def _touches_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    return {"touches": r.by_touches, "channels": r.by_channels, "ranges": r.by_range, "summary": r.summary}


def _retention_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    return {"long": r.table, **{m: r.matrix(m) for m in ("retention", "retention_k_or_later", "revenue_retention")}}


def _attribution_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    from voronka.attribution import comparison

    tables: dict[str, pa.Table | None] = {"comparison": comparison(r.credit, "conversions"), "credit": r.credit,
                                          "spend": r.spend, "paths": r.journeys}
    if r.markov is not None:
        tables["transitions"] = r.markov.chain.transition_matrix()
        tables["removal"] = pa.table({"channel": list(r.markov.removal_effects),
                                      "removal_effect": list(r.markov.removal_effects.values())})
    return tables


def _clv_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    customers = r.customers.slice(0, d.top) if d.top else r.customers
    return {"customers": customers, "totals": r.totals, "parameters": r.parameters, "holdout": r.holdout,
            "by-frequency": r.holdout_by_frequency}


def _referrals_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    return {"summary": r.summary, "generations": r.generations, "referrers": r.referrers, "k": r.k_factor,
            "comparison": r.comparison, "tree": r.customers}


def _winback_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    summary = r.summary()
    one = summary.to_pylist()[0]
    return {"groups": pa.Table.from_pylist([dict(g, **one) for g in r.groups.to_pylist()]), "uplift": summary}


def _whatif_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    summary = {"stage": r.stage, "points": r.points, "value_stage": r.value_stage, "extra_revenue": r.extra_revenue,
               "currency": r.currency}
    return {"stages": r.table, "summary": pa.Table.from_pylist([summary], schema=pa.schema([
        ("stage", pa.int64()), ("points", pa.float64()), ("value_stage", pa.int64()), ("extra_revenue", pa.float64()),
        ("currency", pa.string())]))}


def _plan_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    summary = {"team_sales": r.team_sales, "team_revenue": r.team_revenue, "working_days": r.working_days,
               "sellers": r.sellers, "currency": r.currency}
    return {"stages": r.table, "summary": pa.Table.from_pylist([summary], schema=pa.schema([
        ("team_sales", pa.float64()), ("team_revenue", pa.float64()), ("working_days", pa.int64()),
        ("sellers", pa.int64()), ("currency", pa.string())]))}


def _scan_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    findings = [{"text": f.text, "action": f.action, "p": f.p, "q": f.q} for f in d.findings(r)]
    return {"findings": pa.Table.from_pylist(findings, schema=pa.schema([
                ("text", pa.string()), ("action", pa.string()), ("p", pa.float64()), ("q", pa.float64())])),
            "flagged": pa.Table.from_pylist(r.flagged()[: d.limit], schema=r.series.schema), "series": r.series,
            "points": r.points}


def _profile_tables(d: Any, r: Any) -> dict[str, pa.Table | None]:
    from voronka.explore.profile import profile_sentences

    lines = profile_sentences(r, d.lang)
    findings = [{"finding": key, "text": line, **{k: str(v) for k, v in params.items()}}
                for (key, params), line in zip(r.findings, lines)]
    return {"findings": pa.Table.from_pylist(findings), "events": r.vocabulary, "properties": r.properties,
            "days": r.days}


ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    Analysis("funnel", "voronka.funnel.definition:FunnelDefinition", "docs/funnels.md",
             "Units per step, conversion, drop-off, time to convert", _funnel_tables, funnel=True),
    Analysis("diagnose", "voronka.diagnose:DiagnoseDefinition", "docs/diagnose.md",
             "Weak links: conversion per transition and segment, flagged and costed", _diagnose_tables,
             funnel=True),
    Analysis("paths", "voronka.paths:PathsDefinition", "docs/paths.md",
             "Top paths to conversion and drop-off, or the steps around an event", _paths_tables),
    Analysis("touches", "voronka.touches:TouchesDefinition", "docs/paths.md",
             "Touches and channels before conversion, conversion by touch count", _touches_tables),
    Analysis("retention", "voronka.loop.retention:RetentionDefinition", "docs/loop.md",
             "Cohort retention by first-purchase period", _retention_tables),
    Analysis("repeat", "voronka.loop.repeat:RepeatDefinition", "docs/loop.md",
             "Repeat purchases: repeat-purchase rate, purchases per customer, days between purchases",
             lambda d, r: {"summary": r.summary, "counts": r.counts, "gaps": r.gaps}),
    Analysis("lifecycle", "voronka.loop.lifecycle:LifecycleDefinition", "docs/loop.md",
             "New, returning, resurrecting and dormant buyers per period", lambda d, r: {"lifecycle": r}),
    Analysis("overdue", "voronka.loop.drift:OverdueDefinition", "docs/loop.md",
             "Customers overdue against their own usual gap or the population's, with the playbook action",
             lambda d, r: {"customers": r.customers, "summary": r.summary}),
    Analysis("winback", "voronka.loop.drift:WinbackDefinition", "docs/loop.md",
             "Return rates of lapses with and without a win-back offer, and the uplift", _winback_tables),
    Analysis("rfm", "voronka.loop.rfm:RfmDefinition", "docs/loop.md",
             "RFM scores 1-5 and segments: sizes and revenue, and the scored customers",
             lambda d, r: {"segments": r.segments, "customers": r.customers}),
    Analysis("attribution", "voronka.attribution:AttributionDefinition", "docs/attribution.md",
             "Credit per channel under every attribution model", _attribution_tables),
    Analysis("clv", "voronka.clv:ClvDefinition", "docs/clv.md",
             "Lifetime value: BG/NBD, Gamma-Gamma, discounted CLV", _clv_tables),
    Analysis("referrals", "voronka.referrals:ReferralsDefinition", "docs/referrals.md",
             "The referral tree, K-factor, viral cycle time, commission", _referrals_tables),
    Analysis("complaints", "voronka.distance:DistanceDefinition", "docs/distance.md",
             "Complaints: share, steps and time to resolution, what followed",
             lambda d, r: {"outcomes": r.outcomes, "summary": r.summary}),
    Analysis("channels", "voronka.channel_stages:ChannelsDefinition", "docs/paths.md",
             "Channels by stage against the article's recommendations",
             lambda d, r: {"table": r.table, "flagged": r.flagged}),
    Analysis("customers", "voronka.positions:PositionsDefinition", "docs/models.md",
             "Each unit's current stage, time in it and the playbook's action",
             lambda d, r: {"customers": r}),
    Analysis("money", "voronka.money:MoneyDefinition", "docs/money.md",
             "Channel economics: spend, CPL, CPA, revenue, ROMI, ROI, payback",
             lambda d, r: {"channels": r.table, "totals": r.totals}),
    Analysis("planfact", "voronka.money:PlanFactDefinition", "docs/money.md",
             "Plan versus fact per month and channel: spend, leads, sales, deviation, % of plan",
             lambda d, r: {"lines": r}),
    Analysis("profile", "voronka.explore.profile:ProfileDefinition", "docs/explore.md",
             "What the events hold: vocabulary, properties, days, identity, sessions, data problems",
             _profile_tables),
    Analysis("whatif", "voronka.plan:WhatIfDefinition", "docs/plan.md",
             "What if a stage converted better: extra customers at every later stage and extra revenue",
             _whatif_tables, funnel=True),
    Analysis("plan", "voronka.plan:PlanDefinition", "docs/plan.md",
             "The backwards plan: the volume each stage needs per seller and working day to reach a target",
             _plan_tables, funnel=True),
    Analysis("scan", "voronka.explore.scan:ScanDefinition", "docs/explore.md",
             "What changed, where and when: level shifts of every transition and event volume per segment",
             _scan_tables, funnel=True),
    Analysis("transitions", "voronka.explore.transitions:TransitionsDefinition", "docs/explore.md",
             "Transition and step matrices, loops before conversion, two segments compared",
             lambda d, r: {"loops": r.loops, "matrix": r.matrix, "steps": r.steps, "compare": r.compare}),
    Analysis("pipeline", "voronka.crm:PipelineDefinition", "docs/crm.md",
             "The CRM deals funnel: stage conversion, time in stage, stuck deals",
             lambda d, r: {"stages": r.stages, "outcomes": r.outcomes, "stuck": r.stuck},
             source=("as_of",), command="deals"),
)}
"""Every analysis over a source, by name (its CLI command unless ``command`` says otherwise)."""


def analysis(name: str) -> Analysis:
    """The analysis called ``name``; an unknown name is a ``DefinitionError`` listing them."""
    if name not in ANALYSES:
        raise DefinitionError(f"no analysis {name!r}; the analyses are {', '.join(ANALYSES)}", field="analysis")
    return ANALYSES[name]


def analysis_of(definition: Any) -> Analysis:
    """The analysis whose record ``definition`` is."""
    record = f"{type(definition).__module__}:{type(definition).__name__}"
    for a in ANALYSES.values():
        if a.record == record or a.definition is type(definition):
            return a
    raise DefinitionError(f"{type(definition).__name__} is not the definition of an analysis "
                          f"({', '.join(ANALYSES)})", field="definition")


def compute(source: Any, definition: Any, **options: Any) -> Any:
    """The one entry: ``definition`` (any record of ``ANALYSES``) computed over ``source`` (a
    ``voronka.source.Source``, or an engine: every event as stored). ``options``: inputs a
    record's ``compute`` takes beyond its fields, never from HTTP (the funnel's ``units``: the
    unit rows too; ``money``/``planfact``'s ``rates`` table, ``money``'s ``clv`` table)."""
    from voronka.source import as_source

    return analysis_of(definition).compute(None if source is None else as_source(source), definition, **options)


def tables(definition: Any, result: Any) -> dict[str, pa.Table]:
    """The named result tables of ``result``, the result of ``definition``."""
    return analysis_of(definition).named_tables(definition, result)


# -- the one spec builder ----------------------------------------------------------------------------

def split_options(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(definition values, source options)``: the source options (``SOURCE_OPTIONS``) as
    ``Source.from_options`` takes them (``tz`` → ``timezone``), None left out; ``tz`` and
    ``as_of`` stay in the definition values too (the funnel reads them)."""
    source: dict[str, Any] = {}
    for name in SOURCE_OPTIONS:
        value = values.get(name)
        if value is not None and value != [] and value != ():
            source["timezone" if name == "tz" else name] = value
    own = {k: v for k, v in values.items() if k not in SOURCE_OPTIONS or k in ("tz", "as_of")}
    return own, source


def build_definition(name: str, values: Mapping[str, Any], *, file: str | Path | None = None, lang: str = "en",
                     files: bool = True, default_model: str | None = "hourglass") -> Any:
    """The definition record of analysis ``name`` from ``values`` (options by field name; None:
    not given) over the YAML ``file`` (the same names; for the funnel analyses a funnel file,
    docs/funnels.md, which may also hold the analysis's own fields). ``files=False`` (HTTP): no
    option opens a file, models by built-in name only. Errors name the field (and line)."""
    from voronka import yamlio

    a = analysis(name)
    if file is not None and not files:
        raise DefinitionError("a definition file cannot be given here", field="file")
    data: dict[str, Any] = {}
    lines: dict[Any, int] = {}
    where = str(file) if file is not None else None
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise DefinitionError(f"cannot read the file: {exc.strerror}", file=where) from None
        data, lines = yamlio.parse(text, where)
        if not isinstance(data, dict):
            raise DefinitionError(f"a {name} file must be a YAML mapping of its options", file=where, line=1)
    given = {k: v for k, v in values.items() if v is not None and k not in SOURCE_OPTIONS}
    if "file" in given and not files:
        raise DefinitionError("a funnel file cannot be given here", field="file")
    own_fields = a.fields
    if not a.funnel:
        unknown = sorted(set(given) - set(own_fields))
        if unknown:
            raise DefinitionError(f"unknown option {unknown[0]!r} of {name}; its options are "
                                  f"{', '.join(own_fields)}", field=unknown[0])
        merged = {**data, **given}
        _default_lang(merged, own_fields, lang)
        return a.definition.build(merged, file=where, lines=lines, files=files)
    own = {k: v for k, v in {**data, **given}.items() if k in own_fields and k != "lang"}
    funnel = _funnel(data, given, values, set(own_fields), lines, where, lang, files, default_model)
    if name == "funnel":
        return funnel
    if "playbook" in own_fields:
        own.setdefault("playbook", _playbook({**data, **given}))
    own["funnel"] = funnel
    _default_lang(own, own_fields, values.get("lang") or lang)
    return a.definition.build(own, file=where, lines={}, files=files)


def _default_lang(data: dict[str, Any], fields: Mapping[str, Any], lang: str) -> None:
    if "lang" in fields:
        data.setdefault("lang", lang)
    elif "lang" in data:
        data.pop("lang")


def _funnel(data: dict[str, Any], given: dict[str, Any], values: Mapping[str, Any], own: set[str], lines: dict,
            file: str | None, lang: str, files: bool, default_model: str | None) -> Any:
    """The funnel of a funnel analysis: the file's funnel fields (those not the analysis's
    ``own``), then the flags over them (``funnel.spec``: one grammar)."""
    from voronka.funnel.spec import build_funnel, funnel_definition, spec_from_flags

    flags = {k: v for k, v in given.items() if k in FUNNEL_OPTIONS}
    flags["timezone"], flags["as_of"] = values.get("tz"), values.get("as_of")
    extra = sorted(set(given) - set(FUNNEL_OPTIONS) - own - {"lang", "file", "tz", "as_of"})
    if extra:
        raise DefinitionError(f"unknown option {extra[0]!r}", field=extra[0])
    if not data:
        return funnel_definition(flags, file=given.get("file"), lang=lang, default_model=default_model,
                                 model_files=files)
    spec = {k: v for k, v in data.items() if k not in own}  # the funnel fields of the file
    over = spec_from_flags(flags)
    if "steps" in over or "model" in over:
        spec.pop("steps", None), spec.pop("model", None)
    return build_funnel({**spec, **over}, lang=lang, file=file, lines=lines, model_files=files)


def _playbook(data: Mapping[str, Any]) -> str | None:
    """The stage model whose playbook findings quote: the funnel's model, the hourglass when
    no steps are given, none for steps of one's own (or a funnel file without a model)."""
    if data.get("model"):
        return data["model"]
    return None if data.get("steps") or data.get("file") else "hourglass"


# -- results as JSON -----------------------------------------------------------------------------

def json_value(value: Any) -> Any:
    """A result value as JSON: times ISO 8601, durations in seconds, decimals as floats, NaN and
    infinities as null (the API and ``--format json`` write the same)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return json_value(float(value))
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """``table`` as a list of JSON-safe row objects."""
    return [json_value(row) for row in table.to_pylist()]


def result_json(definition: Any, result: Any) -> dict[str, Any]:
    """The JSON answer of an analysis: its name, the definition as validated, its tables."""
    a = analysis_of(definition)
    return {"analysis": a.name, "definition": definition.model_dump(mode="json"),
            "tables": {k: json_rows(t) for k, t in a.named_tables(definition, result).items()}}
