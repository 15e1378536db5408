"""Shared test helpers: the project root, and small valid setting files to start from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
# The published addresses, as the Publish site workflow passes them (mkdocs.yml reads both with `!ENV`).
ADDRESSES = {
    "SITE_URL": "https://octo-org.github.io/settings-guide/",
    "REPO_URL": "https://github.com/octo-org/settings-guide",
}

MINIMAL_SETTING = textwrap.dedent(
    """\
    # yaml-language-server: $schema=schema.json
    name: {name}
    aliases: [{alias}]
    category: sampling
    summary: A short summary.
    intro: An intro paragraph.
    what_it_does: What it does, in Markdown.
    value_type: integer
    ranges:
      - label: Low
        min: 1
        max: 10
        description: Low values.
      - label: High
        min: 20
        max: 50
        description: High values.
    comparison:
      parameter: num_inference_steps
      values: [4, 25]
    tips:
      - A tip.
    tools:
      diffusers:
        places:
          - name: {alias}
            defaults:
              - value: "50"
        sources: ["https://example.com/a"]
      automatic1111:
        absent: Not in this tool.
        sources: ["https://example.com/a"]
      forge:
        absent: Not in this tool.
        sources: ["https://example.com/a"]
      comfyui:
        absent: Not in this tool.
        sources: ["https://example.com/a"]
      swarmui:
        absent: Not in this tool.
        sources: ["https://example.com/a"]
      invokeai:
        absent: Not in this tool.
        sources: ["https://example.com/a"]
    sources:
      - title: A source
        url: https://example.com/a
    """
)


def minimal_setting(name: str = "Example Setting", alias: str = "example_alias") -> str:
    return MINIMAL_SETTING.format(name=name, alias=alias)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the real project's config, templates and docs with one known setting, to change freely."""
    for part in ("mkdocs.yml", "templates", "docs", "overrides"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part)
        else:
            shutil.copy2(source, tmp_path / part)
    (tmp_path / "settings").mkdir()
    shutil.copy2(ROOT / "tests" / "golden" / "inference-steps.yml", tmp_path / "settings" / "inference-steps.yml")
    (tmp_path / "figures").mkdir()
    return tmp_path


def run_tool(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run an installed console script (settings-guide, mkdocs, properdocs) as a user would."""
    full_env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300
    )
