"""Strings of the paths analyses."""

MESSAGES: dict[str, dict[str, str]] = {}
