"""The ``settings-guide`` command: parses arguments, calls the package, returns an exit code.

Each subcommand lives in ``commands/<name>.py``; adding one is one line in COMMANDS.
"""

from __future__ import annotations

import argparse
import os
import sys

from .commands import figures, new, render, schema, validate, zensical
from .errors import Problem, ProblemsFound

COMMANDS = [validate, render, schema, new, figures, zensical]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="settings-guide", description="Build and check the settings guide for image generation."
    )
    subcommands = parser.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except ProblemsFound as found:
        report_problems(found.problems)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def report_problems(problems: list[Problem]) -> None:
    """Print problems one per line; on GitHub Actions also as inline annotations."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in problems:
            print(problem.github_annotation())
    files = len({problem.file for problem in problems})
    print(
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} file{'s' if files != 1 else ''}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
