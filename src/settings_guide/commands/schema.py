"""``settings-guide schema [--write]``: the setting files' JSON Schema, for editors and validators."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("schema", help="print the JSON Schema of setting files (draft-07, for editors)")
    parser.add_argument(
        "--write", action="store_true", help="write it to settings/schema.json instead (only if it changed)"
    )
    parser.add_argument("--dir", type=Path, default=Path("settings"), help="settings folder (default: settings/)")
    parser.add_argument(
        "--models-dir",
        type=Path,
        help="the model catalogue's folder (default: models/ beside --dir): --write writes its schema.json "
        "there too when it exists",
    )
    parser.set_defaults(command=run)


def run(args) -> int:
    from ..atomic import write_text_atomic
    from ..settings.json_schema import SCHEMA_FILE_NAME, setting_json_schema_text

    text = setting_json_schema_text()
    if not args.write:
        sys.stdout.write(text)
        return 0
    if not args.dir.is_dir():
        print(f"no folder {args.dir.as_posix()}/; run this in the project folder or pass --dir", file=sys.stderr)
        return 1
    path = args.dir / SCHEMA_FILE_NAME
    changed = write_text_atomic(path, text)
    print(f"{path.as_posix()} {'written' if changed else 'unchanged'}")
    models_dir = args.models_dir or args.dir.parent / "models"
    if models_dir.is_dir():  # the model files' schema, for the same editor support
        from ..catalogue.entry import CatalogueModel

        path = models_dir / SCHEMA_FILE_NAME
        changed = write_text_atomic(path, setting_json_schema_text(CatalogueModel))
        print(f"{path.as_posix()} {'written' if changed else 'unchanged'}")
    return 0
