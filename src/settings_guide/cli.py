"""The ``settings-guide`` command: parses arguments, calls the package, returns an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import Problem, ProblemsFound


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except ProblemsFound as found:
        _report(found.problems)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="settings-guide", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check setting files and print every problem")
    validate.add_argument("paths", nargs="*", type=Path, help="setting files or folders (default: settings/)")
    validate.set_defaults(command=_validate)

    render = commands.add_parser("render", help="write the generated Markdown pages to a folder")
    render.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    _project_options(render)
    render.set_defaults(command=_render)
    return parser


def _project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")


def _validate(args) -> int:
    from .settings.load import find_setting_files, load_settings

    files: set[Path] = set()
    for path in args.paths or [Path("settings")]:
        if path.is_dir():
            files.update(find_setting_files(path))
        else:
            # Cross-file rules (aliases, related pages) need the file's neighbours too.
            files.add(path)
            files.update(find_setting_files(path.parent))
    if not files:
        print("no setting files found", file=sys.stderr)
        return 1
    loaded = load_settings(sorted(files))
    print(f"{len(loaded)} setting file{'s' if len(loaded) != 1 else ''} valid")
    return 0


def _render(args) -> int:
    from .atomic import write_text_atomic
    from .site.pages import ProjectPaths, generate_site

    site = generate_site(ProjectPaths.at(args.root))
    changed = sum(write_text_atomic(args.out / page.path, page.markdown) for page in site.pages)
    print(f"{len(site.pages)} pages in {args.out} ({changed} changed)")
    return 0


def _report(problems: list[Problem]) -> None:
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
