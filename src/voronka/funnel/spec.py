"""A funnel written by a person (YAML file, command-line flags, HTTP query) → ``FunnelDefinition``.

The one builder: ``funnel_definition(flags, file=...)``. The file and the flags are one
format: flags (``spec_from_flags``: the CLI's options and the HTTP API's query parameters,
by the same names) become the same mapping, laid over the file's. In flags ``steps`` is
one text, ``a,b|c``: steps separated by commas, ``|`` = any of. Shorthands on top of
``FunnelDefinition``'s own fields:

* a step may be a string: ``purchase`` or ``lead_magnet|callback_request`` (any of), ``*``
  (any event);
* a step mapping may give ``events``/``where``/``min_purchases``/``min_referrals`` directly
  instead of a ``rule``;
* ``model: hourglass`` (a built-in name or a model file) stands for the steps: the model's
  stages, labelled in the chosen language;
* ``breakdown: channel`` stands for ``{field: channel}``; exclusions may name steps by key;
* ``compat: clickhouse`` (or ``posthog``) stands for the options of ``definition.PRESETS``
  that are not given; ``window_funnel`` may be one text, ``strict_order,allow_reentry``;
* a breakdown field may be several, ``channel,campaign`` or a list (``--by channel,campaign``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from voronka import yamlio
from voronka.errors import DefinitionError
from voronka.funnel.definition import PRESETS, FunnelDefinition

_RULE_FIELDS = ("events", "where", "min_purchases", "min_referrals")
FLAG_FIELDS = ("window", "order", "ties", "exclusion_scope", "counting", "cohort", "as_of", "timezone",
               "date_from", "date_to", "compat", "window_funnel", "scan")
"""Flags that are ``FunnelDefinition`` fields as they are, and ``compat`` (a preset of them,
``definition.PRESETS``)."""
BREAKDOWN_FLAGS = {"by": "field", "attribution": "attribution", "attribution_step": "step", "top": "top"}


def spec_from_flags(flags: Mapping[str, Any]) -> dict[str, Any]:
    """Flags → a funnel mapping (the YAML shape). Flags: ``steps`` (``a,b|c``), ``model``,
    ``exclude`` (``EVENT:FROM-TO``, one or a list), ``by``/``attribution``/``attribution_step``/
    ``top`` (the breakdown), and ``FLAG_FIELDS``. A flag that is None is not given."""
    spec = {k: flags[k] for k in FLAG_FIELDS if flags.get(k) is not None}
    if flags.get("steps"):
        spec["steps"] = [s.strip() for s in str(flags["steps"]).split(",") if s.strip()]
    if flags.get("model"):
        spec["model"] = flags["model"]
    exclude = flags.get("exclude")
    if exclude:
        spec["exclusions"] = [parse_exclusion_flag(x) for x in ([exclude] if isinstance(exclude, str) else exclude)]
    breakdown = {field: flags[flag] for flag, field in BREAKDOWN_FLAGS.items() if flags.get(flag) is not None}
    if breakdown:
        spec["breakdown"] = breakdown
    return spec


def funnel_definition(flags: Mapping[str, Any], *, file: str | Path | None = None, lang: str = "en",
                      default_model: str | None = None, model_files: bool = True) -> FunnelDefinition:
    """The one builder: ``flags`` (``spec_from_flags``) over the funnel file ``file``; without a
    file, ``steps`` or ``model`` (else ``default_model``) is needed. ``model_files=False``: models
    by built-in name only (``build_funnel``), for HTTP requests."""
    spec = spec_from_flags(flags)
    if "steps" in spec and "model" in spec:
        raise DefinitionError("give steps or a model, not both", file=str(file) if file else None, field="model")
    if file is not None:
        return load_funnel(file, overrides=spec, lang=lang)
    if "steps" not in spec and "model" not in spec:
        if default_model is None:
            raise DefinitionError("give steps, a model or a funnel file", field="steps")
        spec["model"] = default_model
    return build_funnel(spec, lang=lang, model_files=model_files)


def load_funnel(path: str | Path, *, overrides: dict[str, Any] | None = None, lang: str = "en") -> FunnelDefinition:
    """Read a funnel YAML file; ``overrides`` (from flags) replace its fields."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DefinitionError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    data, lines = yamlio.parse(text, str(path))
    if not isinstance(data, dict):
        raise DefinitionError("a funnel file must be a YAML mapping (steps, window, order, …)", file=str(path), line=1)
    return build_funnel({**data, **(overrides or {})}, lang=lang, file=str(path), lines=lines)


def build_funnel(
    spec: dict[str, Any], *, lang: str = "en", file: str | None = None, lines: dict | None = None,
    model_files: bool = True,
) -> FunnelDefinition:
    """Validate a funnel mapping (see module docstring); errors name the field (and line).

    ``model_files=False`` takes only built-in model names (``load_model(files=False)``): the
    mode of every HTTP request, where no parameter may open a file."""
    data = dict(spec)
    compat = data.pop("compat", None)
    if compat is not None:
        if not isinstance(compat, str) or compat not in PRESETS:
            raise DefinitionError(f"compat {compat!r}: give one of {', '.join(PRESETS)}", file=file, field="compat",
                                  line=(lines or {}).get(("compat",)))
        data = {**PRESETS[compat], **data}
    if isinstance(data.get("window_funnel"), str):  # strict_order,allow_reentry
        data["window_funnel"] = [m.strip() for m in data["window_funnel"].split(",") if m.strip()]
    model = data.pop("model", None)
    if model is not None:
        if data.get("steps"):
            raise DefinitionError("give steps or a model, not both", file=file, field="model")
        data["steps"] = model_steps(model, lang, files=model_files)
    data["steps"] = [_step(s, i) for i, s in enumerate(data.get("steps") or [])]
    if isinstance(data.get("breakdown"), str):
        data["breakdown"] = {"field": data["breakdown"]}
    keys = [s.get("key") for s in data["steps"] if isinstance(s, dict)]
    data["exclusions"] = [_exclusion(x, keys) for x in data.get("exclusions") or []]
    try:
        return FunnelDefinition.model_validate(data)
    except ValidationError as exc:
        raise yamlio.definition_error(exc, lines or {}, file, FunnelDefinition) from None


def model_steps(model: str, lang: str, *, files: bool = True) -> list[dict[str, Any]]:
    """A stage model's stages as funnel steps (key, label in ``lang``, rule, optional)."""
    from voronka.stage_models import load_model

    m = load_model(model, files=files)
    return [
        {"key": s.key, "label": s.label(lang), "rule": s.rule, "optional": s.optional} for s in m.stages
    ]


def _step(step: Any, index: int) -> Any:
    if isinstance(step, str):
        names = [n.strip() for n in step.split("|") if n.strip()]
        return {"key": step.strip(), "rule": {"events": [] if names == ["*"] else names}}
    if isinstance(step, dict) and "rule" not in step and any(f in step for f in _RULE_FIELDS):
        step = dict(step)
        step["rule"] = {f: step.pop(f) for f in _RULE_FIELDS if f in step}
        step.setdefault("key", "|".join(step["rule"].get("events") or [f"step{index + 1}"]))
    return step


def _exclusion(x: Any, keys: list[Any]) -> Any:
    if not isinstance(x, dict):
        return x
    x = dict(x)
    if "rule" not in x and any(f in x for f in _RULE_FIELDS):
        x["rule"] = {f: x.pop(f) for f in _RULE_FIELDS if f in x}
    for end in ("from_step", "to_step"):
        if isinstance(x.get(end), str) and x[end] in keys:
            x[end] = keys.index(x[end]) + 1
    return x


def parse_exclusion_flag(text: str) -> dict[str, Any]:
    """``refund:1-3`` / ``refund|complaint:visit-buy`` → an exclusion mapping."""
    events, _, span = text.partition(":")
    start, _, end = span.partition("-")
    if not events or not start or not end:
        raise DefinitionError(f"--exclude {text!r}: write EVENT:FROM-TO, e.g. refund:1-3", field="exclusions")
    return {
        "events": [e for e in events.split("|") if e],
        "from_step": int(start) if start.isdigit() else start,
        "to_step": int(end) if end.isdigit() else end,
    }
