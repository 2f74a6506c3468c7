"""YAML in and out, with line numbers: where in a file each field of a definition is.

``parse`` loads a YAML document safely (``yaml.SafeLoader``, or its libyaml twin
``CSafeLoader`` where PyYAML was built with it: plain data, never Python objects) and also returns a map from every field path to its 1-based line, built from
the composed node tree (each node's ``start_mark``). A path is a tuple of mapping keys
and list indexes, e.g. ``("stages", 2, "rule", "where", 0, "op")``; a mapping entry is
at the line of its key, a list item at the line of its ``-``.

``to_yaml`` writes plain data back in a readable block style, with short lists and
short mappings of scalars in flow style (``events: [purchase, trial]``).
"""

from __future__ import annotations

import typing
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from voronka.errors import DefinitionError

Path_ = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader (the same documents, about 10× faster) where PyYAML has it."""


def parse(text: str, file: str | None = None) -> tuple[Any, dict[Path_, int]]:
    """``(data, lines)``: the document as plain data and the line of every field path.

    Raises ``DefinitionError`` for a YAML syntax error (with its line), an empty
    document, or a key repeated in one mapping (YAML would silently keep the last).
    """
    try:
        return _parse(text, file, _Loader)
    except yaml.YAMLError:
        pass  # read again by the pure-Python loader, whose messages place the error better
    try:
        return _parse(text, file, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise DefinitionError(
            f"invalid YAML: {problem or exc}", file=file, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise DefinitionError(f"invalid YAML: {exc}", file=file) from None


def _parse(text: str, file: str | None, loader: type) -> tuple[Any, dict[Path_, int]]:
    node = yaml.compose(text, Loader=loader)
    if node is None:
        raise DefinitionError("the file is empty", file=file, line=1)
    lines: dict[Path_, int] = {}
    _index(node, (), node.start_mark.line + 1, lines, file)
    data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    return data, lines


def _index(
    node: yaml.Node, path: Path_, line: int, lines: dict[Path_, int], file: str | None
) -> None:
    lines[path] = line
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            where = path + (key,)
            if key in seen:
                raise DefinitionError(
                    f"key {key!r} appears twice in one mapping",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=format_path(where),
                )
            seen.add(key)
            _index(value_node, where, key_node.start_mark.line + 1, lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, path + (i,), item.start_mark.line + 1, lines, file)


def format_path(path: Path_) -> str:
    """``("stages", 2, "rule", "where", 0, "op")`` → ``stages[2].rule.where[0].op``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Dumper(yaml.SafeDumper):
    """Block style, but flow style for short collections of scalars."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # indent list items under their key (``stages:\n  - key: ...``)
        return super().increase_indent(flow, False)


_FLOW_WIDTH = 72


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _short(items: list[Any]) -> bool:
    return all(_is_scalar(v) for v in items) and sum(len(str(v)) + 2 for v in items) <= _FLOW_WIDTH


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_short(value))


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    flow = _short([*value.keys(), *value.values()]) and len(value) <= 4
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # long one-line texts (descriptions) as folded blocks, like a hand-written file
    folded = len(value) > _FLOW_WIDTH and "\n" not in value and value == value.strip()
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">" if folded else None)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def to_yaml(data: Any) -> str:
    """``data`` (plain dicts, lists and scalars) as a YAML document, keys in their order."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


LANGS = ("en", "ru", "kk")


# --- pydantic errors → DefinitionError(file, line, field) ---------------------------------


def definition_error(
    exc: ValidationError, lines: dict[Path_, int], file: str | None, root: type[BaseModel]
) -> DefinitionError:
    """The first validation error, located at the YAML line of its field."""
    errors = exc.errors(include_url=False)
    # pydantic also reports a list as too short when its only item failed: keep the item's
    # error, drop errors on a location that contains another error.
    locs = [tuple(e["loc"]) for e in errors]
    errors = [
        e
        for e in errors
        if not any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in locs)
    ]
    err = errors[0]
    loc = tuple(err["loc"]) + tuple((err.get("ctx") or {}).get("at", ()))
    # without a file (flags), every path is known
    known = max(n for n in range(len(loc) + 1) if loc[:n] in lines) if lines else len(loc)
    # A missing field is named although it is absent from the file; other paths are cut
    # to what the file holds (pydantic adds union-member tags such as ``str``).
    path = loc[: known + 1] if err["type"] == "missing" and known == len(loc) - 1 else loc[:known]
    message = _message(err, path, root)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return DefinitionError(
        message, file=file, line=lines.get(loc[:known]), field=format_path(path) or None
    )


def _message(err: Any, path: tuple[str | int, ...], root: type[BaseModel]) -> str:
    kind = err["type"]
    last = path[-1] if path else None
    if kind == "missing":
        if last in LANGS:
            parent = str(path[-2]) if len(path) > 1 else ""
            noun = {"labels": "label", "title": "title", "description": "description"}.get(parent)
            need = "labels, titles and descriptions need en, ru and kk"
            return f"missing {last} {noun or 'text'} ({need})"
        return f"required field {last!r} is missing"
    if kind == "extra_forbidden":
        allowed = _fields_at(path[:-1], root)
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown field {last!r}{hint}"
    if kind == "model_type" and not path:
        noun = "model" if root.__name__ == "StageModel" else "funnel"
        return f"a {noun} file must be a YAML mapping of {', '.join(root.model_fields)}"
    return str(err["msg"]).removeprefix("Value error, ")


def _fields_at(path: tuple[str | int, ...], root: type[BaseModel]) -> list[str]:
    """The field names of the record at ``path`` of ``root`` (for error hints)."""
    current: Any = root
    for part in path:
        if isinstance(part, int):
            continue
        if (
            not (isinstance(current, type) and issubclass(current, BaseModel))
            or part not in current.model_fields
        ):
            return []
        current = _record_type(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _record_type(annotation: Any) -> Any:
    """``tuple[Stage, ...]`` → ``Stage``; ``Stage | None`` → ``Stage``; else the annotation."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation
