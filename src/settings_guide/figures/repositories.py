"""The Hub repositories a figure run may load: declared by maintainers in figures/defaults.yml.

Whatever a run loads is downloaded onto the GPU runner, which holds HF_TOKEN. So every Hub id is
declared once, in a file only maintainers change (.github/CODEOWNERS): the profiles' `model`s, and
each adapter repository under `adapters:` at the commit a maintainer reviewed. A setting names
declared ones only, and ``declared_since`` tells a pull request's reviewer which ones it adds.
Pure: imports no torch and no Hub client; reading another commit's file asks git.
"""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

from ..errors import FigureError, Problem
from ..settings.model import LoadedSetting
from ..settings.positions import problem_in_document
from ..settings.yaml_reader import YamlReadError, read_yaml
from .layout import DEFAULTS_NAME, looks_like_path
from .profiles import COMMIT, LoadedDefaults

NEW_REPOSITORY = "a new Hub repository is downloaded onto the figures runner, which holds HF_TOKEN"


def undeclared_problems(loaded: list[LoadedSetting], defaults: LoadedDefaults) -> list[Problem]:
    """Each setting's adapter or own model that figures/defaults.yml does not declare (at that commit), at its line."""
    d = defaults.values
    models = {profile.model: profile.revision for profile in d.models.values() if not looks_like_path(profile.model)}
    problems = []
    for item in loaded:
        comparison = item.setting.comparison
        if comparison is None:
            continue
        adapter = comparison.adapter
        if adapter is not None:
            problems += _check_declared(
                item, ("comparison", "adapter"), adapter.model, adapter.revision, d.adapters,
                "declares no adapter repository", "under `adapters:`, at the commit they reviewed",
            )  # fmt: skip
        if comparison.model is not None and not looks_like_path(comparison.model):
            problems += _check_declared(
                item, ("comparison",), comparison.model, comparison.revision, models,
                "has no profile whose `model` is", "as a profile under `models:`",
            )  # fmt: skip
    return problems


def _check_declared(item, at: tuple, repo: str, revision, declared: dict, missing: str, how: str) -> list[Problem]:
    if repo not in declared:
        close = difflib.get_close_matches(repo, list(declared), n=1)
        guess = f"; did you mean {close[0]!r}? If not," if close else ";"
        return [
            item.problem_at(
                (*at, "model"),
                f"figures/defaults.yml {missing} {repo}{guess} {NEW_REPOSITORY}, so a maintainer must declare it "
                f"there ({how}) before a setting may load it",
            )
        ]
    commit = declared[repo]
    if revision and COMMIT.fullmatch(revision) and COMMIT.fullmatch(commit) and revision != commit:
        return [
            item.problem_at(
                (*at, "revision"),
                f"figures/defaults.yml declares {repo} at commit {commit}, the one a maintainer reviewed: "
                f"set `revision: {commit}`, or ask a maintainer to review this commit and declare it there",
            )
        ]
    return []


def declared_repositories(data) -> dict[str, tuple[tuple, bool]]:
    """Every Hub id a defaults file's data declares, with where: its location, and whether the id is that key
    (an adapter's) rather than its value (a profile's `model`). Profiles' models first, then adapters.

    Reads the data as it is, unvalidated, so an older commit's file of another shape is read too.
    """
    found: dict[str, tuple] = {}
    models = data.get("models") if isinstance(data, dict) else None
    for name, profile in (models if isinstance(models, dict) else {}).items():
        model = profile.get("model") if isinstance(profile, dict) else None
        if isinstance(model, str) and not looks_like_path(model):
            found.setdefault(model, (("models", name, "model"), False))
    adapters = data.get("adapters") if isinstance(data, dict) else None
    for repo in adapters if isinstance(adapters, dict) else {}:
        found.setdefault(str(repo), (("adapters", repo), True))
    return found


def declared_since(defaults: LoadedDefaults, root: Path, base: str) -> dict[str, Problem]:
    """The Hub repositories the defaults file declares that its copy at git commit ``base`` does not, each with
    a notice at its line: a pull request's reviewer must look at each one before it reaches the runner."""
    before = declared_repositories(_read_at(root, base))
    now = declared_repositories(defaults.document.data)
    message = f"is new here: {NEW_REPOSITORY}; a maintainer must review it"
    return {
        repo: problem_in_document(defaults.source_path, defaults.document, loc, f"{repo} {message}", prefer_key=key)
        for repo, (loc, key) in now.items()
        if repo not in before
    }


def _read_at(root: Path, base: str):
    """figures/defaults.yml's data at git commit ``base`` ({} where that commit has no such file)."""
    known = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if known.returncode != 0:
        raise FigureError(
            f"--new-repositories {base}: git knows no such commit in {root}; fetch it first "
            "(in a workflow, actions/checkout with `fetch-depth: 2` brings the pull request's base as HEAD^1)"
        )
    shown = _git(root, "show", f"{base}:./figures/{DEFAULTS_NAME}")
    if shown.returncode != 0:  # the file is new in this change: all it declares is new
        return {}
    try:
        return read_yaml(shown.stdout).data
    except YamlReadError as error:
        raise FigureError(
            f"--new-repositories {base}: its figures/{DEFAULTS_NAME} is not YAML: {error.message}"
        ) from None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise FigureError(
            "--new-repositories compares with another commit through git, which is not installed"
        ) from None
