"""Located `SpecError`s: the message, a hint, and the source line with a caret under the column."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from lightcode.errors import Location, SpecError

_SOURCES: dict[Path, list[str]] = {}


def remember(path: Path, text: str) -> None:
    """Keep a file's lines so errors located in it can show the offending line."""
    _SOURCES[path] = text.splitlines()


def error(loc: Location, message: str, hint: str | None = None) -> SpecError:
    """A `SpecError` at `loc`, with the source line and a caret as context when known."""
    lines = _SOURCES.get(loc.path, [])
    context = None
    if 1 <= loc.line <= len(lines):
        line = lines[loc.line - 1]
        pad = "".join("\t" if c == "\t" else " " for c in line[: loc.column - 1])
        context = f"{line}\n{pad}^"
    return SpecError(message, loc, hint, context)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """'did you mean ...?' for the closest candidates, or None."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=3, cutoff=cutoff)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
