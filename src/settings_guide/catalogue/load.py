"""Model files -> validated entries, and the checks that tie them to the settings and the figure profiles;
every problem at file:line:column, as for setting files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from ..errors import Problem, ProblemsFound, did_you_mean
from ..settings.load import problems_from_validation_error
from ..settings.model import LoadedSetting
from ..settings.positions import display_path, problem_in_document
from ..settings.rules import slugify
from ..settings.yaml_reader import YamlReadError, read_yaml
from .entry import CatalogueModel, LoadedModel

MODEL_SUFFIX = ".yml"


def find_model_files(directory: Path) -> list[Path]:
    """Every model file in the catalogue folder, sorted (none when the folder does not exist)."""
    return sorted(p for p in Path(directory).glob(f"*{MODEL_SUFFIX}") if not p.name.startswith("_"))


def load_catalogue(paths: Iterable[Path], profiles: Iterable[str] | None = None) -> list[LoadedModel]:
    """Load and check every model file; ``profiles`` are figures/defaults.yml's names (None: not checked)."""
    problems: list[Problem] = []
    loaded: list[LoadedModel] = []
    for path in paths:
        try:
            loaded.append(_load_one(Path(path)))
        except ProblemsFound as found:
            problems.extend(found.problems)
    problems += _cross_file_problems(loaded, None if profiles is None else set(profiles))
    if problems:
        raise ProblemsFound(problems)
    return sorted(loaded, key=lambda item: item.key)


def _load_one(path: Path) -> LoadedModel:
    shown = display_path(path)
    try:
        document = read_yaml(path.read_bytes())
    except OSError as error:
        raise ProblemsFound([Problem(shown, 1, 1, "", f"cannot read file: {error.strerror}")]) from None
    except YamlReadError as error:
        raise ProblemsFound([error.problem(shown)]) from None
    try:
        model = CatalogueModel.model_validate(document.data)
    except ValidationError as error:
        raise ProblemsFound(problems_from_validation_error(error, shown, document, CatalogueModel)) from None
    key = path.stem
    if slugify(key) != key:
        raise ProblemsFound(
            [Problem.about_file(shown, f"file name {path.name!r} must be a key like 'z-image-turbo.yml'")]
        )
    return LoadedModel(key=key, source_path=shown, model=model, document=document)


def _cross_file_problems(loaded: list[LoadedModel], profiles: set[str] | None) -> list[Problem]:
    """A profile named by two models or missing from figures/defaults.yml; a name or alias two models share."""
    problems: list[Problem] = []
    names: dict[str, LoadedModel] = {}
    claimed: dict[str, LoadedModel] = {}
    for item in loaded:
        for loc, name in [
            (("name",), item.model.name),
            *((("aliases", i), a) for i, a in enumerate(item.model.aliases)),
        ]:
            key = slugify(name)
            owner = names.setdefault(key, item) if key else item
            if owner is not item:
                problems.append(_at(item, loc, f"{name!r} already names {owner.source_path}"))
        profile = item.model.profile
        if profile is None:
            continue
        if profiles is not None and profile not in profiles:
            message = f"no figure profile {profile!r} in figures/defaults.yml" + did_you_mean(profile, profiles)
            problems.append(_at(item, ("profile",), message))
        elif (other := claimed.setdefault(profile, item)) is not item:
            problems.append(_at(item, ("profile",), f"profile {profile!r} is already {other.source_path}'s"))
    return problems


def recommendation_problems(
    settings: list[LoadedSetting], catalogue: list[LoadedModel], models_dir: Path | None = None
) -> list[Problem]:
    """Each recommendation row's `models:` key that is no model file, at its line with a did-you-mean.

    A project without a ``models_dir`` folder at all (settings copied alone) has no catalogue to check against."""
    if models_dir is not None and not Path(models_dir).is_dir():
        return []
    keys = [item.key for item in catalogue]
    problems = []
    for item in settings:
        for row_index, row in enumerate(item.setting.recommendations):
            for index, key in enumerate(row.models):
                if key not in keys:
                    message = f"no model {key!r} in models/ (a file models/{key}.yml)" + did_you_mean(key, keys)
                    problems.append(item.problem_at(("recommendations", row_index, "models", index), message))
    return problems


def _at(item: LoadedModel, loc: tuple, message: str) -> Problem:
    return problem_in_document(item.source_path, item.document, loc, message)
