"""New Hub repositories need a maintainer: every Hub id a figure run may load is declared in
figures/defaults.yml (maintainer-owned through .github/CODEOWNERS), a setting names declared ones only,
and the pull-request check names each repository a change declares anew. Real CLI, real git, no torch."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from settings_guide.cli import main

from .conftest import BIN, ROOT

LORA_ID, LORA_COMMIT = "nerijs/pixel-art-xl", "8bf4a4d9ea283e00a51fafda8e0539f8248ea037"
NEW_ID, NEW_COMMIT = "example-org/watercolor-lora", "0123456789abcdef0123456789abcdef01234567"


def catalogue(root: Path) -> Path:
    """The real settings and figure defaults, copied to change freely."""
    shutil.copytree(ROOT / "settings", root / "settings")
    (root / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "defaults.yml", root / "figures" / "defaults.yml")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def line_of(path: Path, text: str) -> int:
    [number] = [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line]
    return number


def validate(root: Path, capsys) -> tuple[int, str]:
    code = main(["validate", str(root / "settings"), "--figures", str(root / "figures" / "defaults.yml")])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- a setting names declared repositories only --------------------------------------------------


def test_the_catalogue_names_only_declared_repositories(capsys):
    code, out = validate(ROOT, capsys)
    assert code == 0, out


def test_an_undeclared_adapter_repository_is_refused_at_its_line_with_a_did_you_mean(tmp_path, capsys):
    root = catalogue(tmp_path)
    setting = root / "settings" / "lora-weight.yml"
    edit(setting, f"model: {LORA_ID}\n", f"model: {LORA_ID}-v2\n")

    code, out = validate(root, capsys)

    assert code == 1
    line = line_of(setting, f"model: {LORA_ID}-v2")
    assert (
        f"lora-weight.yml:{line}:12: comparison.adapter.model: figures/defaults.yml declares no adapter repository "
        f"{LORA_ID}-v2; did you mean '{LORA_ID}'? If not, a new Hub repository is downloaded onto the figures "
        "runner, which holds HF_TOKEN, so a maintainer must declare it there (under `adapters:`, at the commit "
        "they reviewed) before a setting may load it"
    ) in out
    # A run refuses it too, before anything is fetched.
    result = subprocess.run(
        [str(BIN / "settings-guide"), "figures", "--root", str(root), "--dry-run"], capture_output=True, text=True
    )
    assert result.returncode == 1 and "declares no adapter repository" in result.stderr


def test_an_adapter_at_another_commit_than_the_declared_one_is_refused_at_its_revision(tmp_path, capsys):
    root = catalogue(tmp_path)
    setting = root / "settings" / "lora-weight.yml"
    edit(setting, f"revision: {LORA_COMMIT}", f"revision: {NEW_COMMIT}")

    code, out = validate(root, capsys)

    assert code == 1
    assert (
        f"lora-weight.yml:{line_of(setting, NEW_COMMIT)}:15: comparison.adapter.revision: figures/defaults.yml "
        f"declares {LORA_ID} at commit {LORA_COMMIT}, the one a maintainer reviewed: set `revision: {LORA_COMMIT}`"
    ) in out


def test_a_comparisons_own_hub_model_must_be_a_profiles_model(tmp_path, capsys):
    root = catalogue(tmp_path)
    setting = root / "settings" / "strength.yml"
    edit(setting, "model: stabilityai/stable-diffusion-xl-base-1.0", "model: stabilityai/stable-diffusion-xl-base-1.1")

    code, out = validate(root, capsys)

    assert code == 1
    assert (
        f"strength.yml:{line_of(setting, 'xl-base-1.1')}:10: comparison.model: figures/defaults.yml has no profile "
        "whose `model` is stabilityai/stable-diffusion-xl-base-1.1; did you mean "
        "'stabilityai/stable-diffusion-xl-base-1.0'?"
    ) in out
    assert "(as a profile under `models:`)" in out


def test_pin_writes_the_declared_commit_without_asking_the_hub(tmp_path, monkeypatch):
    root = catalogue(tmp_path)
    setting = root / "settings" / "lora-weight.yml"
    edit(setting, f"    revision: {LORA_COMMIT}\n", "")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # and an empty cache: only figures/defaults.yml can say
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))

    result = subprocess.run(
        [str(BIN / "settings-guide"), "figures", "--root", str(root), "--pin"], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "pinned 1 of 1 unpinned models" in result.stdout
    assert f"    model: {LORA_ID}\n    revision: {LORA_COMMIT}  # pinned by" in setting.read_text("utf-8")


def test_the_defaults_declare_each_adapter_at_a_commit_and_by_its_id(tmp_path, capsys):
    root = catalogue(tmp_path)
    defaults = root / "figures" / "defaults.yml"
    edit(defaults, f"  {LORA_ID}: {LORA_COMMIT}", f"  {LORA_ID}: main")
    edit(defaults, "  h94/IP-Adapter:", "  h94 IP-Adapter:")

    code, out = validate(root, capsys)

    assert code == 1
    assert f"defaults.yml:{line_of(defaults, f'{LORA_ID}: main')}:" in out
    assert f"adapters.{LORA_ID}: 'main' is not a commit: declare the 40-character commit you reviewed" in out
    at = f"defaults.yml:{line_of(defaults, 'h94 IP-Adapter')}:3"
    assert f"{at}: adapters.h94 IP-Adapter: 'h94 IP-Adapter' is not a Hub repository id: write it as owner/name" in out


def test_codeowners_makes_the_declarations_a_maintainers_review():
    rules = [
        line.split()
        for line in (ROOT / ".github" / "CODEOWNERS").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    owners = {rule[0]: rule[1:] for rule in rules}
    assert owners["/figures/defaults.yml"] == ["@settings-guide/maintainers"]
    assert owners["/.github/"] == ["@settings-guide/maintainers"]  # CODEOWNERS itself and the workflows


# --- the pull request names what it declares anew ------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def pull_request(tmp_path) -> Path:
    """A git repository: the catalogue on its base commit, then a commit declaring one more adapter and a model."""
    repo = catalogue(tmp_path / "repo")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    defaults = repo / "figures" / "defaults.yml"
    vae = "  madebyollin/sdxl-vae-fp16-fix:"
    edit(defaults, vae, f"  {NEW_ID}: {NEW_COMMIT}  # LoRA (watercolor)\n{vae}")
    edit(defaults, "    model: timbrooks/instruct-pix2pix\n", "    model: example-org/pix2pix-fork\n")
    git(repo, "commit", "--quiet", "-am", "declare two new repositories")
    return repo


def new_repositories(repo: Path, base: str, **env: str) -> subprocess.CompletedProcess:
    """The check as the workflow runs it: in the checkout, so annotations name files relative to it."""
    return subprocess.run(
        [str(BIN / "settings-guide"), "figures", "--new-repositories", base],
        cwd=repo, capture_output=True, text=True, env={**os.environ, "GITHUB_ACTIONS": "false", **env},
    )  # fmt: skip


def test_the_check_names_each_repository_a_pull_request_declares_anew(pull_request):
    result = new_repositories(pull_request, "HEAD^1")

    assert result.returncode == 0, result.stderr  # a notice: CODEOWNERS makes it a maintainer's review
    assert result.stdout == (
        "this pull request declares new Hub repositories: example-org/pix2pix-fork, example-org/watercolor-lora "
        "— a maintainer must review them before merging\n"
    )
    unchanged = new_repositories(pull_request, "HEAD")
    assert unchanged.returncode == 0
    assert unchanged.stdout == "this pull request declares no new Hub repositories (compared with HEAD)\n"


def test_on_github_each_new_repository_is_a_warning_at_its_line(pull_request):
    result = new_repositories(pull_request, "HEAD^1", GITHUB_ACTIONS="true")

    defaults = pull_request / "figures" / "defaults.yml"
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning ")]
    assert warnings == [
        f"::warning file=figures/defaults.yml,line={line_of(defaults, 'pix2pix-fork')},col=12::"
        "models.instruct-pix2pix.model: example-org/pix2pix-fork is new here: a new Hub repository is downloaded "
        "onto the figures runner, which holds HF_TOKEN; a maintainer must review it",
        f"::warning file=figures/defaults.yml,line={line_of(defaults, NEW_ID)},col=3::"
        f"adapters.{NEW_ID}: {NEW_ID} is new here: a new Hub repository is downloaded "
        "onto the figures runner, which holds HF_TOKEN; a maintainer must review it",
    ]


def test_a_base_without_the_defaults_file_makes_every_declared_repository_new(pull_request):
    empty_tree = git(pull_request, "hash-object", "-t", "tree", "/dev/null").strip()
    before_any = git(pull_request, "commit-tree", empty_tree, "-m", "nothing yet").strip()

    result = new_repositories(pull_request, before_any)

    assert result.returncode == 0
    assert f"{LORA_ID}, " in result.stdout and "stabilityai/stable-diffusion-xl-base-1.0" in result.stdout


def test_a_base_git_does_not_know_is_an_error_that_says_how_to_fetch_it(pull_request):
    result = new_repositories(pull_request, "origin/main")

    assert result.returncode == 1
    assert result.stderr.startswith("error: --new-repositories origin/main: git knows no such commit in ")
    assert "fetch-depth: 2" in result.stderr


def test_the_pull_request_workflow_runs_the_check_against_the_base_it_fetched(pull_request):
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text("utf-8"))
    job = workflow["jobs"]["figures"]
    (checkout,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 2  # the merge commit and its first parent, the base
    (script,) = [step["run"] for step in job["steps"] if "--new-repositories" in step.get("run", "")]
    (pull_request / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    (pull_request / "step.sh").write_text(script)
    summary = pull_request / "summary.md"

    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "step.sh"],  # GitHub's `run:` shell
        cwd=pull_request, capture_output=True, text=True,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert re.search(r"^::warning file=figures/defaults.yml,line=\d+,col=\d+::", result.stdout, re.MULTILINE)
    assert summary.read_text() == (
        "\n## Hub repositories\n\nthis pull request declares new Hub repositories: example-org/pix2pix-fork, "
        "example-org/watercolor-lora — a maintainer must review them before merging\n"
    )
