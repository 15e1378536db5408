"""``settings-guide new "Display Name"``: start settings/<slug>.yml with every field to fill in."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("new", help="start a new setting file with every field to fill in")
    parser.add_argument("name", help='the display name, e.g. "Guidance Scale" (writes settings/guidance-scale.yml)')
    parser.add_argument("--category", default="sampling", help="its section of the index (default: sampling)")
    parser.add_argument("--value-type", default="integer", help="integer, number or choice (default: integer)")
    parser.add_argument("--dir", type=Path, default=Path("settings"), help="settings folder (default: settings/)")
    parser.set_defaults(command=run)


def run(args) -> int:
    from ..atomic import write_text_atomic
    from ..settings.load import SETTING_SUFFIX
    from ..settings.positions import display_path
    from ..settings.scaffold import PLACEHOLDER, ScaffoldError, new_setting_slug, scaffold_setting

    try:
        text = scaffold_setting(args.name, args.category, args.value_type)
    except ScaffoldError as error:
        print(error, file=sys.stderr)
        return 1
    if not args.dir.is_dir():
        print(f"no folder {args.dir.as_posix()}/; run this in the project folder or pass --dir", file=sys.stderr)
        return 1
    slug = new_setting_slug(args.name)
    path = args.dir / f"{slug}{SETTING_SUFFIX}"
    shown = display_path(path)
    if path.exists():
        print(f"{shown} already exists; edit it, or choose another name", file=sys.stderr)
        return 1
    if owner := _owner_of_address(args.dir, slug):
        print(f"the address /settings/{slug}/ already forwards to {owner}; choose another name", file=sys.stderr)
        return 1
    write_text_atomic(path, text)
    print(
        f"wrote {shown}: replace every {PLACEHOLDER}; `settings-guide validate` lists those left, "
        "and `make serve` shows the page once none is"
    )
    return 0


def _owner_of_address(settings_dir: Path, slug: str) -> str | None:
    """The file whose name or alias already claims /settings/<slug>/, if the others load."""
    from ..errors import ProblemsFound
    from ..settings.load import find_setting_files, load_settings
    from ..site.pages import alias_redirects

    try:
        loaded = load_settings(find_setting_files(settings_dir))
    except ProblemsFound:
        return None  # `validate` reports those files; a new file is still worth starting
    target = alias_redirects(loaded).get(slug)
    return next((item.source_path for item in loaded if item.slug == target), None)
