"""The pre-commit hooks, run by pre-commit itself in a throwaway git repository (offline)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from settings_guide.settings.json_schema import SCHEMA_FILE_NAME, setting_json_schema_text

from .conftest import BIN, ROOT

CONFIG = ROOT / ".pre-commit-config.yaml"
GOLDEN_SETTING = ROOT / "tests" / "golden" / "inference-steps.yml"


def hooks() -> dict[str, dict]:
    config = yaml.safe_load(CONFIG.read_text("utf-8"))
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_every_hook_is_local_so_nothing_is_downloaded():
    config = yaml.safe_load(CONFIG.read_text("utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert set(hooks()) == {"settings-guide-validate", "settings-guide-schema", "ruff"}
    for hook in hooks().values():
        assert hook["language"] == "system"
        assert hook["entry"].startswith(".venv/bin/"), "the project's own tools, not whatever is on PATH"
        assert (BIN / Path(hook["entry"].split()[0]).name).exists(), hook["entry"]


@pytest.mark.parametrize(
    "path, validated",
    [
        ("settings/guidance-scale.yml", True),
        ("settings/_draft.yml", False),  # not a setting (find_setting_files skips it)
        ("settings/schema.json", False),
        ("settings/sub/x.yml", False),
        ("docs/x.yml", False),
        ("mkdocs.yml", False),
    ],
)
def test_validate_hook_runs_on_setting_files_only(path, validated):
    assert bool(re.search(hooks()["settings-guide-validate"]["files"], path)) == validated


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the hook config, one setting and the project's .venv."""
    shutil.copy2(CONFIG, tmp_path / CONFIG.name)
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # ruff's settings
    (tmp_path / "settings").mkdir()
    shutil.copy2(GOLDEN_SETTING, tmp_path / "settings" / "inference-steps.yml")
    (tmp_path / "settings" / SCHEMA_FILE_NAME).write_text(setting_json_schema_text(), "utf-8")
    (tmp_path / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    (tmp_path / ".gitignore").write_text(".venv\n")
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", "--all")
    return tmp_path


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def pre_commit(repo: Path, *files: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"), "NO_COLOR": "1"}
    return subprocess.run(
        [str(BIN / "pre-commit"), "run", "--color", "never", "--files", *files],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def hook_status(output: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\.+(?:\(no files to check\))?(Passed|Failed|Skipped)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_a_valid_setting_passes(repo):
    result = pre_commit(repo, "settings/inference-steps.yml")
    assert result.returncode == 0, result.stdout
    assert hook_status(result.stdout, "validate setting files") == "Passed"
    assert hook_status(result.stdout, "ruff") == "Skipped"


def test_a_typo_in_a_setting_stops_the_commit_with_its_line_and_column(repo):
    path = repo / "settings" / "inference-steps.yml"
    path.write_text(path.read_text("utf-8").replace("\nsummary:", "\nsumary:"), "utf-8")
    result = pre_commit(repo, "settings/inference-steps.yml")
    assert result.returncode == 1
    assert hook_status(result.stdout, "validate setting files") == "Failed"
    assert re.search(r"^settings/inference-steps\.yml:5:1: sumary: unknown field 'sumary'; did you mean 'summary'\?",
                     result.stdout, re.MULTILINE), result.stdout  # fmt: skip


def test_ruff_checks_changed_python_files(repo):
    (repo / "tool.py").write_text("import os\n\n\ndef f():\n    return 1\n")
    result = pre_commit(repo, "tool.py")
    assert result.returncode == 1
    assert hook_status(result.stdout, "ruff") == "Failed"
    assert "F401" in result.stdout and "tool.py:1:8" in result.stdout
    assert hook_status(result.stdout, "validate setting files") == "Skipped"


def test_a_model_change_regenerates_a_stale_schema(repo):
    schema = repo / "settings" / SCHEMA_FILE_NAME
    schema.write_text('{"stale": true}\n')
    model = repo / "src" / "settings_guide" / "settings" / "model.py"
    model.parent.mkdir(parents=True)
    model.write_text('"""Stands in for the models; the hook runs the installed package."""\n')
    result = pre_commit(repo, "src/settings_guide/settings/model.py")
    assert result.returncode == 1, "a hook that changes files stops the commit so they can be added"
    assert hook_status(result.stdout, "regenerate settings/schema.json") == "Failed"
    assert "files were modified by this hook" in result.stdout
    assert schema.read_text("utf-8") == setting_json_schema_text()
    assert pre_commit(repo, "src/settings_guide/settings/model.py").returncode == 0
