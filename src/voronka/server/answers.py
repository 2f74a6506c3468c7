"""The one shape of every error answer: ``{"error": message}`` with its status."""

from __future__ import annotations

from fastapi.responses import JSONResponse


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
