"""`settings-guide validate` on the real catalogue with one broken file: its whole output, against a golden file.

One mistake must read as one mistake: the broken file's own problems, then a single line for the
settings whose `related` links it, never an error per linking file. ``UPDATE_GOLDEN=1`` rewrites the
golden files after an intended change of the output (or of the real settings they copy).
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, minimal_setting, run_tool

GOLDEN = Path(__file__).parent / "golden" / "validate"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
BROKEN = "guidance-scale.yml"  # twelve other settings link to it


def complete_output(result) -> str:
    return f"exit code: {result.returncode}\n--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}"


def check_golden(name: str, output: str) -> None:
    expected = GOLDEN / name
    if UPDATE:
        expected.write_text(output, "utf-8")
    assert expected.is_file(), f"no golden file {expected.name}: run with UPDATE_GOLDEN=1 to write it"
    golden = expected.read_text("utf-8")
    diff = "".join(
        difflib.unified_diff(
            golden.splitlines(keepends=True), output.splitlines(keepends=True), f"golden/validate/{name}", "output"
        )
    )
    assert output == golden, f"validate's output differs (UPDATE_GOLDEN=1 if it should):\n{diff}"


@pytest.mark.parametrize(
    "golden, old, new",
    [
        ("one-broken-file.txt", "\nsummary:", "\nsumary:"),  # an unknown field (and so a missing one)
        ("one-broken-file-yaml-error.txt", "\ncategory: guidance\n", "\n  category: guidance\n"),
    ],
)
def test_one_broken_file_reads_as_one_mistake(tmp_path, golden, old, new):
    shutil.copytree(ROOT / "settings", tmp_path / "settings")
    path = tmp_path / "settings" / BROKEN
    text = path.read_text("utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), "utf-8")

    # Relative paths, as a contributor types it; no GitHub annotations, whatever runs the tests.
    result = run_tool("settings-guide", "validate", cwd=tmp_path, env={"GITHUB_ACTIONS": ""})

    check_golden(golden, complete_output(result))
    assert result.returncode == 1
    problems = result.stderr.splitlines()[:-1]
    assert all(line.startswith(f"settings/{BROKEN}") for line in problems), "only the broken file is named"
    assert "Traceback" not in result.stderr


def test_links_to_a_broken_file_wait_for_it_and_other_links_are_still_checked(tmp_path):
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "first.yml").write_text(minimal_setting("First", "a1").replace("summary:", "sumary:"))
    (settings / "second.yml").write_text(minimal_setting("Second", "a2") + "related: [first]\n")
    (settings / "third.yml").write_text(minimal_setting("Third", "a3") + "related: [first, secnod]\n")

    result = run_tool("settings-guide", "validate", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})

    assert result.returncode == 1
    waiting = "2 other settings link to it in `related`; those links are checked again once this file loads"
    assert [line.split(": ")[0] for line in result.stderr.splitlines()] == [
        "settings/first.yml:2:1",
        "settings/first.yml:5:1",
        "settings/first.yml",
        f"settings/third.yml:{len(minimal_setting().splitlines()) + 1}:18",  # the appended related: line
        "3 problems in 2 files",
    ]
    assert f"settings/first.yml: {waiting}" in result.stderr
    assert "no setting has the slug 'secnod'; did you mean 'second'?" in result.stderr  # a real mistake stays one
    # On a pull request the waiting links are a note on the broken file, not an error.
    assert f"::notice file=settings/first.yml::{waiting}" in result.stdout.splitlines()
    assert not [line for line in result.stdout.splitlines() if line.startswith("::error file=settings/second.yml")]

    (settings / "first.yml").write_text(minimal_setting("First", "a1"))
    (settings / "third.yml").write_text(minimal_setting("Third", "a3") + "related: [first, second]\n")
    fixed = run_tool("settings-guide", "validate", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
