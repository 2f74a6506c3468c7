"""Strings of the diagnose analyses."""

MESSAGES: dict[str, dict[str, str]] = {}
