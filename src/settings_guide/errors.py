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
    # What another problem of this file keeps from being checked (e.g. the links to a file that did not load):
    # one line about the whole file, printed after its own problems and not counted as one.
    consequence: bool = False

    def __str__(self) -> str:
        where = self.file if self.consequence else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def github_annotation(self, level: str = "error") -> str:
        """The same problem as a GitHub Actions workflow command (``level``: error, warning or notice),
        shown inline on a pull request."""
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.consequence:
            return f"::notice file={_escape_property(self.file)}::{_escape_data(text)}"
        where = f"file={_escape_property(self.file)},line={self.line},col={self.column}"
        return f"::{level} {where}::{_escape_data(text)}"

    @classmethod
    def about_file(cls, file: str, message: str) -> Problem:
        """A consequence line for ``file`` as a whole."""
        return cls(file, 0, 0, "", message, consequence=True)


class UserError(Exception):
    """A mistake in what a user gave us (a file, an option): reported in one place, never as a traceback."""


class ProblemsFound(UserError):
    """Raised when input is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        # By file; within a file its own problems first, then what they keep from being checked.
        self.problems = sorted(problems, key=lambda p: (p.file, p.consequence, p))
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
