"""Column mapping: which input column fills which canonical column.

A mapping is ``{canonical: input header}``, given as ``customer_id=client_id`` pairs
(``--map``) or as a YAML/JSON object in a file (``--mapping-file``)::

    customer_id: клиент
    ts: Дата
    revenue: Сумма, ₸

The reverse direction (``клиент: customer_id``) is accepted too when only the value is
a canonical column. Headers are matched after trimming, case-insensitively; a canonical
column that is not mapped is looked up by its own name the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from voronka.errors import InputError


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["customer_id=client_id", ...]`` as ``{"customer_id": "client_id", ...}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InputError(f"a mapping is written canonical=input, e.g. customer_id=client_id; got {pair!r}")
        mapping[target.strip()] = source.strip()
    return mapping


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """A mapping from a YAML or JSON file holding one object of names."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        data = json.loads(text) if str(path).lower().endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the mapping: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InputError("a mapping file holds one object of names, e.g. customer_id: клиент", file=str(path))
    return {k.strip(): v.strip() for k, v in data.items()}


def resolve(columns: list[str], canonical: list[str], mapping: Mapping[str, str] | None,
            *, file: str | None = None, synonyms: Mapping[str, tuple[str, ...]] | None = None
            ) -> dict[str, str]:
    """``{canonical: input column}`` for the canonical columns found in ``columns``.

    Every other input column is left to ``properties``. An explicit mapping to a column
    the file lacks is an error; so is a mapping to a name that is not canonical. A
    canonical column neither mapped nor found by its own name is looked up under its
    ``synonyms`` (e.g. ``date``: «Дата»), first match wins, a column used once only.
    """
    by_key = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    wanted = {_key(c): c for c in canonical}
    explicit: dict[str, str] = {}
    for left, right in (mapping or {}).items():
        if _key(left) in wanted:
            target, source = wanted[_key(left)], right
        elif _key(right) in wanted:
            target, source = wanted[_key(right)], left
        else:
            raise InputError(
                f"cannot map {left!r} = {right!r}: neither is one of {', '.join(canonical)}", file=file
            )
        explicit[target] = source
    found: dict[str, str] = {}
    for target in canonical:
        if target in explicit:
            source = explicit[target]
            if _key(source) not in by_key:
                raise InputError(
                    f"column {source!r} (mapped to {target}) is not in the file; "
                    f"its columns are: {', '.join(columns)}",
                    file=file,
                )
            found[target] = by_key[_key(source)]
    taken = set(found.values())
    for target in canonical:
        if target not in found and _key(target) in by_key and by_key[_key(target)] not in taken:
            found[target] = by_key[_key(target)]
            taken.add(found[target])
    for target in canonical:
        for name in (synonyms or {}).get(target, ()) if target not in found else ():
            if _key(name) in by_key and by_key[_key(name)] not in taken:
                found[target] = by_key[_key(name)]
                taken.add(found[target])
                break
    return found


def _key(name: str) -> str:
    return name.strip().casefold()
