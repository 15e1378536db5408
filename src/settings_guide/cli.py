"""The ``settings-guide`` command: parses arguments, calls the package, returns an exit code.

Each subcommand lives in ``commands/<name>.py``; adding one is one line in COMMANDS.
"""

from __future__ import annotations

import argparse
import sys

from .commands import figures, new, render, schema, validate, zensical
from .commands.report import report_problems
from .errors import FigureError, ProblemsFound

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
    except FigureError as error:  # the one other kind of user mistake: an option or the run's set-up
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
