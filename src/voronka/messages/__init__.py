"""The catalogue of UI and report strings, one module per area.

Each module holds ``MESSAGES``: key → {lang → text}, with ``en``, ``ru`` and ``kk`` side
by side so a gap is visible. Keys start with the area (``loop.``, ``paths.``, …).
``voronka.i18n`` merges them once; a key defined in two modules is an error.
"""

from __future__ import annotations

from voronka.messages import attribution, core, diagnose, explore, loop, money, paths, value, web

CATALOGUES = (core, loop, value, paths, attribution, diagnose, money, explore, web)


def merged_catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module in CATALOGUES:
        for key, texts in module.MESSAGES.items():
            if key in merged:
                raise RuntimeError(f"message {key!r} defined twice ({module.__name__})")
            merged[key] = texts
    return merged
