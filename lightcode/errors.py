"""User-facing errors. The CLI prints these as one line and exits with code 2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A position in a source file (1-based line and column)."""

    path: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class LightCodeError(Exception):
    """Base class of every error meant for the user rather than for a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint else "")


class SpecError(LightCodeError):
    """An error in a `.lhw` file, located at file:line:col, optionally with the source line."""

    def __init__(
        self,
        message: str,
        loc: Location | None = None,
        hint: str | None = None,
        context: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.loc = loc
        self.context = context  # the offending line with a caret under the column

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        return f"{where}error: {super().__str__()}"


class ModelError(LightCodeError):
    """An unknown model name or an invalid shape request (e.g. seq-len beyond context)."""


class InfeasibleError(LightCodeError):
    """No mapping satisfies the stated constraints; the message names the violated one."""


class UsageError(LightCodeError):
    """A bad command-line value (e.g. a malformed --set or --force)."""
