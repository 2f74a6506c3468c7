"""Strings of the money analyses."""

MESSAGES: dict[str, dict[str, str]] = {}
