"""What every analysis definition record shares: ``Definition`` (a frozen, validated pydantic
record of an analysis's options) and the typed fields written the same way everywhere.

A record holds the options of one analysis as a person writes them (``a|b``, ``30d``,
``hourglass:buy``), validated when it is built (``voronka.analyses.build_definition``: CLI
flags, YAML, HTTP query strings and JSON bodies), and computes itself over a source with
``record.compute(source)`` (``voronka.compute(source, record)`` is the one public entry).

Field kinds (``Annotated`` metadata checked at validation):

* ``Rule``: events ``a|b`` (any of) or ``MODEL:STAGE`` (that stage's rule); ``voronka.touches.parse_rule``;
* ``ModelName``: a stage model, a built-in name (or a YAML file where files are allowed);
* ``Duration``: ``90s``, ``30m``, ``12h``, ``7d``, ``2w`` (``voronka.duration``); ``Lookback``: one, or ``all``.

A model is taken by built-in name only (no option opens a file) unless the record is built
with ``files=True`` (``Definition.build``, the CLI and YAML files); every HTTP request is
validated without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo

from voronka.errors import DefinitionError

MAX_TEXT = 2000
"""The longest text option (events, mappings), in characters."""


def _files(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("files", False))


def _rule(text: str | None, info: ValidationInfo) -> str | None:
    if text is not None:
        from voronka.touches import parse_rule
        from voronka.rules import PURCHASE

        try:
            parse_rule(text, PURCHASE, info.field_name or "rule", files=_files(info))
        except DefinitionError as exc:
            raise ValueError(exc.reason) from None
    return text


def _model(name: str | None, info: ValidationInfo) -> str | None:
    if name is not None:
        from voronka.stage_models import load_model

        try:
            load_model(name, files=_files(info))
        except DefinitionError as exc:
            raise ValueError(exc.reason) from None
    return name


def _duration(text: str | None, info: ValidationInfo) -> str | None:
    if text is not None:
        from voronka.duration import parse_duration

        try:
            if parse_duration(text).total_seconds() <= 0:
                raise ValueError
        except ValueError:
            raise ValueError(f"{text!r}: write a positive duration such as 30m, 12h, 7d or 2w") from None
    return text


def _duration_or_all(text: str | None, info: ValidationInfo) -> str | None:
    return text if text == "all" else _duration(text, info)


Text = Annotated[str, Field(max_length=MAX_TEXT)]
Rule = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_rule)]
ModelName = Annotated[str, Field(max_length=256), AfterValidator(_model)]
Duration = Annotated[str, Field(max_length=16, pattern=r"^([0-9]{1,7}(\.[0-9]{1,6})?[smhdw]|[0-9]{1,9})$"),
                     AfterValidator(_duration)]
Lookback = Annotated[str, Field(max_length=16), AfterValidator(_duration_or_all)]
"""A duration, or ``all``: no limit."""


class Definition(BaseModel):
    """The options of one analysis, frozen and validated (subclasses: one per analysis, next
    to its module). ``compute(source)`` runs the analysis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def compute(self, source: Any) -> Any:  # pragma: no cover - every record overrides it
        raise NotImplementedError

    @classmethod
    def build(cls, data: Mapping[str, Any], *, file: str | None = None, lines: dict | None = None,
              files: bool = True) -> Definition:
        """Validate ``data``; the first error as a ``DefinitionError`` naming the field (and line)."""
        from voronka import yamlio

        try:
            return cls.model_validate(dict(data), context={"files": files})
        except ValidationError as exc:
            raise yamlio.definition_error(exc, lines or {}, file, cls) from None
