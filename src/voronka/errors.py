"""The errors voronka raises, as one small hierarchy.

    VoronkaError                 anything voronka reports to a user (CLI exit code 1)
    ├── InputError               a data file is unreadable or a value in it is bad
    │   └── LimitError           ... because it is over a size limit (voronka.ingest.limits)
    ├── DefinitionError          a model / funnel definition (YAML or flags) is invalid
    └── StoreError               the store cannot be opened or is not a voronka store

Every error carries enough location to act on it: ``InputError`` names the file,
row (1-based data row, the header not counted), column and value; ``DefinitionError``
names the file, line and field.
"""

from __future__ import annotations


class VoronkaError(Exception):
    """Base class: a problem the user can fix; shown as one line, no traceback."""


class InputError(VoronkaError):
    """A bad data file or a bad value in it."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        if self.value is not None:
            text += f" (value {str(self.value)[:80]!r})"
        return f"{text}: {self.reason}" if text else self.reason


class LimitError(InputError):
    """Input over a size limit (``voronka.ingest.limits``): too many properties, too long a key,
    value or object. A server answers it with 413."""


class DefinitionError(VoronkaError):
    """An invalid model or funnel definition."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.field = field
        where = ", ".join(
            part
            for part in (
                str(file) if file is not None else None,
                f"line {line}" if line is not None else None,
                f"field {field!r}" if field else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class StoreError(VoronkaError):
    """The store cannot be opened, or a table it needs is missing."""
