"""The stage-model library: the customer's stages, from AIDA to the hourglass.

A stage model is an ordered list of stages (``Stage``), each with labels and a
description in en/ru/kk, the rule (``voronka.rules.StepRule``) that puts a customer into
it, and a playbook of channels and actions. Seven models ship built in, one per model
of the source articles (see ``docs/models.md``)::

    >>> from voronka.stage_models import load_model
    >>> m = load_model("hourglass")
    >>> [s.key for s in m.stages]
    ['know', 'like', 'trust', 'try', 'buy', 'repeat', 'refer']
    >>> m.stage("repeat").rule.describe()
    'purchase (#2+)'

Models are plain YAML files: ``copy_model("hourglass", "mine", ".")`` writes
``./mine.yaml`` to edit, and ``load_model("./mine.yaml")`` reads it back, reporting any
mistake as a ``DefinitionError`` with the file, line and field.
"""

from voronka.stage_models._library import (
    builtin_models,
    copy_model,
    load_model,
    model_to_yaml,
    parse_model,
)
from voronka.stage_models._model import (
    KNOWN_CHANNELS,
    LANGS,
    Actions,
    Playbook,
    Stage,
    StageModel,
    Text,
)

__all__ = [
    "KNOWN_CHANNELS",
    "LANGS",
    "Actions",
    "Playbook",
    "Stage",
    "StageModel",
    "Text",
    "builtin_models",
    "copy_model",
    "load_model",
    "model_to_yaml",
    "parse_model",
]
