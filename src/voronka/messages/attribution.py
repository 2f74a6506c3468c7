"""Strings of the attribution analyses."""

MESSAGES: dict[str, dict[str, str]] = {}
