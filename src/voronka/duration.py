"""Durations written as people write them: ``90s``, ``30m``, ``12h``, ``7d``, ``2w``."""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str | int | float | dt.timedelta) -> dt.timedelta:
    """``'7d'`` → 7 days. A bare number is seconds. Raises ``ValueError`` on anything else."""
    if isinstance(text, dt.timedelta):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return dt.timedelta(seconds=text)
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (write e.g. 30m, 12h, 7d, 2w)")
    return dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def micros(delta: dt.timedelta) -> int:
    """A duration in whole microseconds: the unit windows are compared in (``epoch_us``)."""
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def epoch_micros(ts: dt.datetime) -> int:
    """A naive UTC timestamp as microseconds since 1970-01-01."""
    return micros(ts - dt.datetime(1970, 1, 1))


def format_duration(delta: dt.timedelta) -> str:
    """The shortest exact ``parse_duration`` form: 7 days → ``'7d'``."""
    seconds = delta.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"
