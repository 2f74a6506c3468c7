"""Strings of the value analyses."""

MESSAGES: dict[str, dict[str, str]] = {}
