"""The typed records of a stage model: ``StageModel`` → ordered ``Stage`` s → ``StepRule``.

A *stage model* is an ordered list of stages a customer moves through (AIDA, the
hourglass, the twelve-stage customer journey, ...). Each stage carries labels and a
description in English, Russian and Kazakh, the rule that puts a customer into it
(a :class:`voronka.rules.StepRule`), and a playbook: the channels and the actions the
source article recommends for that stage.

Records are immutable and validated at construction; every text that a user sees is
required in all three languages (``en``, ``ru``, ``kk``) and must not be blank.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from voronka.rules import StepRule

LANGS: tuple[str, ...] = ("en", "ru", "kk")
Lang = Literal["en", "ru", "kk"]

#: The channel keys of the data model (``events.channel``) and of the articles' tables.
#: ``mass`` is mass media as a whole; ``dr`` direct response; ``direct_mail`` the
#: article's "Print (DM)"; ``wom`` word of mouth. A playbook may name other slugs too.
KNOWN_CHANNELS: tuple[str, ...] = (
    "mass",
    "tv",
    "radio",
    "print",
    "ooh",
    "digital",
    "mobile",
    "pos",
    "direct_mail",
    "wom",
    "dr",
)

SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Record):
    """One text in the three languages, e.g. a label ``{en: Trust, ru: Доверие, kk: Сенім}``."""

    en: NonBlank
    ru: NonBlank
    kk: NonBlank

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``en`` for an unknown language)."""
        return getattr(self, lang if lang in LANGS else "en")


class Actions(_Record):
    """A playbook's actions, one list per language (translations of each other)."""

    en: tuple[NonBlank, ...] = ()
    ru: tuple[NonBlank, ...] = ()
    kk: tuple[NonBlank, ...] = ()

    def get(self, lang: str) -> tuple[str, ...]:
        """The actions in ``lang``, falling back to English when that list is empty."""
        return getattr(self, lang if lang in LANGS else "en") or self.en


class Playbook(_Record):
    """What to do at a stage: the recommended ``channels`` (slugs) and ``actions``."""

    channels: tuple[Slug, ...] = ()
    actions: Actions = Actions()


class Stage(_Record):
    """One stage: ``key`` (a slug), labels, description, the entry ``rule`` and a playbook.

    ``optional: true`` marks a stage a customer may skip (e.g. the journey's
    *curiosity*: not every loyal customer is first tempted by competitors).
    """

    key: Slug
    labels: Text
    description: Text
    rule: StepRule
    playbook: Playbook = Playbook()
    optional: bool = False

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang)


class StageModel(_Record):
    """A named, ordered list of stages with unique keys, and the article it comes from."""

    key: Slug
    title: Text
    description: Text
    source: str = ""
    stages: tuple[Stage, ...] = Field(min_length=1)

    @field_validator("stages")
    @classmethod
    def _unique_keys(cls, stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        seen: set[str] = set()
        for i, stage in enumerate(stages):
            if stage.key in seen:
                # ``at`` lets the YAML loader point at the offending ``key:`` line.
                raise PydanticCustomError(
                    "duplicate_stage_key",
                    "duplicate stage key '{key}': stage keys must be unique",
                    {"key": stage.key, "at": (i, "key")},
                )
            seen.add(stage.key)
        return stages

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    def stage(self, key: str) -> Stage:
        """The stage named ``key`` (``KeyError`` when absent)."""
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)
