"""``settings-guide validate [PATHS]``: check setting files, print every problem, exit 1 on any."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("validate", help="check setting files and print every problem")
    parser.add_argument("paths", nargs="*", type=Path, help="setting files or folders (default: settings/)")
    parser.set_defaults(command=run)


def run(args) -> int:
    from ..settings.load import find_setting_files, load_settings

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
