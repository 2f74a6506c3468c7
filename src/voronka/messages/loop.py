"""Strings of the loop analyses."""

MESSAGES: dict[str, dict[str, str]] = {}
