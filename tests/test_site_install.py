"""The commands the workflows run in the site's install (`make .venv/.site`: no extras) work there.

The pull-request job and the Figures workflow's last job run `figures --check`, `--dry-run` and
`--merge` in that install. The test venv has every extra, so each command runs here in a child
process that cannot import any installed distribution outside the closure of our base
dependencies, exactly what a fresh `pip install -e .` would leave out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from .conftest import ROOT

DISTRIBUTION = "settings-guide"


def base_closure() -> set[str]:
    """Our distribution and everything its base requirements (no extras) pull in, by normalised name."""
    seen, todo = set(), [DISTRIBUTION]
    while todo:
        name = _normal(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def modules_outside_the_site_install() -> list[str]:
    """Top-level modules of installed distributions that the site's install would not have."""
    wanted = base_closure() | {"pip", "setuptools"}
    blocked = set()
    for module, distributions in metadata.packages_distributions().items():
        if not any(_normal(d) in wanted for d in distributions):
            blocked.add(module)
    return sorted(blocked - set(sys.stdlib_module_names) - {"settings_guide", "_distutils_hack"})


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


RUNNER = textwrap.dedent(
    """\
    import importlib.abc, sys
    BLOCKED = set({blocked!r})

    class SiteInstallOnly(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}} (not in the site's install)", name=name)
            return None

    sys.meta_path.insert(0, SiteInstallOnly())
    from settings_guide.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> Path:
    blocked = modules_outside_the_site_install()
    assert {"torch", "diffusers", "huggingface_hub", "numpy"} <= set(blocked)  # the extras really are out
    script = tmp_path_factory.mktemp("site-install") / "run.py"
    script.write_text(RUNNER.format(blocked=blocked), "utf-8")
    return script


def site_install(runner: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(runner), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_check_and_dry_run_plan_the_catalogue_in_the_site_install(runner):
    for mode, codes in (("--dry-run", {0}), ("--check", {0, 1})):  # 1: images to make, not a broken plan
        found = site_install(runner, "figures", mode)
        assert found.returncode in codes, found.stderr
        assert "ModuleNotFoundError" not in found.stderr and "Traceback" not in found.stderr
        assert re.search(r"\d+ images: \d+ fresh, \d+ missing, \d+ stale", found.stdout), found.stdout[-500:]


def test_merge_runs_in_the_site_install(runner, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "settings", project / "settings")
    (project / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "defaults.yml", project / "figures" / "defaults.yml")
    shard = tmp_path / "figures-shard-1"
    shard.mkdir()
    (shard / "manifest.json").write_text(json.dumps({"schema": 1, "images": []}), "utf-8")

    found = site_install(runner, "figures", "--root", str(project), "--merge", str(shard))

    assert found.returncode == 0, found.stderr
    assert re.match(r"merged 0 images from 1 folders; \d+ still missing or stale", found.stdout), found.stdout
    assert (project / "figures" / "manifest.json").is_file()
