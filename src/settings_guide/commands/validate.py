"""``settings-guide validate [PATHS]``: check setting files, print every problem, exit 1 on any."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("validate", help="check setting files and print every problem")
    parser.add_argument("paths", nargs="*", type=Path, help="setting files or folders (default: settings/)")
    parser.add_argument(
        "--figures",
        type=Path,
        default=Path("figures/defaults.yml"),
        help="the figure defaults to check comparisons against (model profiles, pinned commits); "
        "default: figures/defaults.yml, skipped when it does not exist",
    )
    parser.add_argument(
        "--models",
        type=Path,
        help="the model catalogue's folder (default: models/ beside the settings folder)",
    )
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
    defaults = _defaults(args.figures)
    models = _check_catalogue(loaded, args.models or _models_beside(args.paths), defaults)
    checked = _check_figure_plan(loaded, defaults, args.figures)
    print(f"{len(loaded)} setting file{'s' if len(loaded) != 1 else ''} valid" + models + checked)
    return 0


def _models_beside(paths: list[Path]) -> Path:
    """models/ next to the settings folder the command was given (settings/ itself by default)."""
    if not paths:
        return Path("models")
    folder = paths[0] if paths[0].is_dir() else paths[0].parent
    return folder.parent / "models"


def _defaults(path: Path):
    """figures/defaults.yml, read and checked once for both checks below; None when there is no such file."""
    from ..figures.profiles import load_defaults

    return load_defaults(path) if path.is_file() else None


def _check_catalogue(loaded, models_dir: Path, defaults) -> str:
    """The model files, their figure profiles and the recommendation rows that name them."""
    from ..catalogue.load import find_model_files, load_catalogue, recommendation_problems
    from ..errors import ProblemsFound

    profiles = list(defaults.values.models) if defaults is not None else None
    catalogue = load_catalogue(find_model_files(models_dir), profiles)
    if problems := recommendation_problems(loaded, catalogue, models_dir):
        raise ProblemsFound(problems)
    return f", {len(catalogue)} model file{'s' if len(catalogue) != 1 else ''}" if catalogue else ""


def _check_figure_plan(loaded, defaults, defaults_path: Path) -> str:
    """The comparisons against figures/defaults.yml: known model profiles, every Hub model pinned and declared
    there. No torch."""
    from ..errors import ProblemsFound
    from ..figures.profiles import unpinned_models
    from ..figures.repositories import undeclared_problems
    from ..figures.spec import all_specs

    if defaults is None:
        return ""
    problems = [item.problem() for item in unpinned_models(loaded, defaults)] + undeclared_problems(loaded, defaults)
    try:
        all_specs(loaded, defaults)
    except ProblemsFound as found:
        problems += found.problems
    if problems:
        raise ProblemsFound(problems)
    return f", with their comparisons against {defaults_path.as_posix()}"
