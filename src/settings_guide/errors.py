"""The one error type users see: a problem at a file, line and column."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One user-facing problem, formatted as ``file:line:col: field: message``."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def github_annotation(self) -> str:
        """The same problem as a GitHub Actions workflow command, shown inline on a pull request."""
        text = f"{self.field}: {self.message}" if self.field else self.message
        return f"::error file={_escape_property(self.file)},line={self.line},col={self.column}::{_escape_data(text)}"


class UserError(Exception):
    """A mistake in what a user gave us (a file, an option): reported in one place, never as a traceback."""


class ProblemsFound(UserError):
    """Raised when input is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping, so a message can never end the command early.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the choice closest to ``word``, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class FigureError(UserError):
    """A user-facing problem with the run itself (model, lock, options): one line, no traceback."""


def first_line(error: BaseException) -> str:
    """An exception's first line, short enough for one line of a report."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
