"""Loading, writing and copying stage models: the built-in library and the user's files."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from voronka import yamlio as _yaml
from voronka.errors import DefinitionError
from voronka.stage_models._model import SLUG_PATTERN, StageModel

_BUILTIN = resources.files("voronka.stage_models") / "builtin"


def builtin_models() -> list[str]:
    """The names of the built-in models, sorted (``aida``, ``aida_loyalty``, ...)."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in _BUILTIN.iterdir()
        if entry.name.endswith(".yaml")
    )


def load_model(name_or_path: str | Path, *, files: bool = True) -> StageModel:
    """A stage model: a built-in one by name (``hourglass``), or one from a YAML file.

    A built-in name is the built-in model (a file of that name in the working directory does
    not shadow it); a name with a path separator or a ``.yaml``/``.yml`` suffix, or one
    naming an existing file, is read as a path; anything else must be a built-in name. With
    ``files=False`` (every HTTP request) only built-in names are taken and nothing on the
    file system is opened or even looked at. Raises ``DefinitionError`` (file, line and
    field) for an invalid model.
    """
    if not files:
        return _builtin(name_or_path)
    text, file = _source(name_or_path)
    return parse_model(text, file=file)


def _builtin(name: object) -> StageModel:
    """The built-in model ``name``; nothing but the package's own files is read."""
    if not isinstance(name, str) or name not in builtin_models():
        raise DefinitionError(
            f"no built-in model {str(name)[:80]!r}; built-in models: {', '.join(builtin_models())}", field="model")
    entry = _BUILTIN / f"{name}.yaml"
    return parse_model(entry.read_text(encoding="utf-8"), file=f"{name}.yaml (built-in)")


def parse_model(text: str, *, file: str | None = None) -> StageModel:
    """Validate the YAML ``text`` of a model; ``file`` is only used in error messages."""
    data, lines = _yaml.parse(text, file)
    try:
        return StageModel.model_validate(data)
    except ValidationError as exc:
        raise _yaml.definition_error(exc, lines, file, StageModel) from None


def model_to_yaml(model: StageModel) -> str:
    """The model as YAML that ``parse_model`` reads back to an equal model.

    Defaults are left out (``optional: false``, empty rule fields), so the output
    reads like a hand-written file.
    """
    data = model.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("source", model.source)  # always show where the model comes from
    ordered = {k: data[k] for k in ("key", "title", "description", "source", "stages") if k in data}
    return _yaml.to_yaml(ordered)


def copy_model(
    name: str | Path, new_name: str, directory: str | Path = ".", *, force: bool = False
) -> Path:
    """Write the model ``name`` (built-in or a file) as ``directory/new_name.yaml`` to edit.

    The text is copied as it is (comments kept), with ``key:`` set to ``new_name``.
    Refuses to overwrite an existing file unless ``force``. Returns the new file's path.
    """
    if not re.match(SLUG_PATTERN, new_name):
        raise DefinitionError(
            f"invalid model name {new_name!r}: use lower-case letters, digits and '_', "
            "starting with a letter"
        )
    target = Path(directory) / f"{new_name}.yaml"
    if target.exists() and not force:
        raise DefinitionError(
            f"{target} already exists (use --force to overwrite)", file=str(target)
        )
    text, file = _source(name)
    parse_model(text, file=file)  # never copy an invalid model
    origin = f"the built-in model {name}" if _is_builtin(name) else file
    header = f"# Copied from {origin} by `voronka models new`: edit freely.\n"
    text, count = re.subn(r"^key:.*$", f"key: {new_name}", text, count=1, flags=re.MULTILINE)
    if count == 0:  # the key is written in another style (e.g. a flow mapping): rewrite
        text = model_to_yaml(parse_model(text, file=file).model_copy(update={"key": new_name}))
    parse_model(text, file=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + text, encoding="utf-8")
    return target


def _is_builtin(name: str | Path) -> bool:
    return isinstance(name, str) and not _looks_like_path(name) and name in builtin_models()


def _looks_like_path(name: str) -> bool:
    if "/" in name or "\\" in name or name.endswith((".yaml", ".yml")):
        return True
    return name not in builtin_models() and Path(name).is_file()


def _source(name_or_path: str | Path) -> tuple[str, str]:
    """The YAML text and the file name to report, for a built-in name or a path."""
    if isinstance(name_or_path, str) and not _looks_like_path(name_or_path):
        entry = _BUILTIN / f"{name_or_path}.yaml"
        if not entry.is_file():
            raise DefinitionError(
                f"no built-in model {name_or_path!r} and no such file; "
                f"built-in models: {', '.join(builtin_models())}"
            )
        return entry.read_text(encoding="utf-8"), f"{name_or_path}.yaml (built-in)"
    path = Path(name_or_path)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError:
        raise DefinitionError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read the file: {exc}", file=str(path)) from None
