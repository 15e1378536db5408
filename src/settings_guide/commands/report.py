"""How every command prints problems: one per line, a count, and on GitHub Actions inline annotations."""

from __future__ import annotations

import os
import sys

from ..errors import Problem


def report_problems(problems: list[Problem]) -> None:
    """Print problems one per line; on GitHub Actions also as inline annotations."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in problems:
            print(problem.github_annotation())
    counted = [problem for problem in problems if not problem.consequence]
    files = len({problem.file for problem in counted})
    print(
        f"{len(counted)} problem{'s' if len(counted) != 1 else ''} in {files} file{'s' if files != 1 else ''}",
        file=sys.stderr,
    )
