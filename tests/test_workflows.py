"""The GitHub Actions workflows: GitHub's schema, zizmor's audits, and what each one must do."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from settings_guide.cli import main
from settings_guide.site.mkdocs_config import read_mkdocs_config

from .conftest import BIN, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
PUBLISH = WORKFLOWS / "publish.yml"
LINKS = WORKFLOWS / "links.yml"
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
SEVERITIES = ["Unknown", "Informational", "Low", "Medium", "High"]
NEEDED_BY_CI = ["src", ".github", "settings", "templates", "docs", "overrides", "figures", "tests", "Makefile"]


def workflow_files() -> list[Path]:
    """Every workflow, including ones added later (e.g. figures.yml on the GPU runner)."""
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text("utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def triggers(workflow: dict) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_text(workflow: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_workflows_exist():
    names = [path.name for path in workflow_files()]
    assert {"pull-request.yml", "publish.yml", "links.yml"} <= set(names), names


# --- external checkers ---------------------------------------------------------------------


def test_workflows_match_githubs_workflow_schema():
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, workflow_files()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(PULL_REQUEST.read_text("utf-8").replace("runs-on:", "runs_on:", 1))
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken))
    assert result.returncode == 1 and "runs_on" in result.stdout


def zizmor_findings(repo: Path) -> list[dict]:
    result = tool("zizmor", "--offline", "--format", "json", ".", cwd=repo)
    assert result.returncode in (0, *range(10, 20)), result.stderr  # 1x: findings; anything else: zizmor failed
    return json.loads(result.stdout)


def test_zizmor_finds_nothing_of_medium_or_higher_severity():
    findings = zizmor_findings(ROOT)
    serious = [
        f"{finding['ident']} ({finding['determinations']['severity']}): {finding['desc']}"
        for finding in findings
        if SEVERITIES.index(finding["determinations"]["severity"]) >= SEVERITIES.index("Medium")
    ]
    assert serious == []


def test_zizmor_policy_requires_a_commit_sha_for_every_action(tmp_path):
    """The stated policy is in force: a tag, even on a first-party action, is a finding."""
    config = yaml.safe_load(ZIZMOR_CONFIG.read_text("utf-8"))
    assert config["rules"]["unpinned-uses"]["config"]["policies"] == {"*": "hash-pin"}
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy2(ZIZMOR_CONFIG, tmp_path / ".github" / "zizmor.yml")
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # \S+", "actions/checkout@v6", PUBLISH.read_text("utf-8"))
    (tmp_path / ".github" / "workflows" / "publish.yml").write_text(text)
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    idents = {finding["ident"] for finding in zizmor_findings(tmp_path)}
    assert "unpinned-uses" in idents


def test_every_action_is_pinned_to_a_commit_sha_with_its_version():
    uses = []
    for path in workflow_files():
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if match := re.match(r"\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line):
                uses.append((f"{path.name}:{number}", match.group(1), match.group(2)))
    assert uses
    for where, action, comment in uses:
        if action.startswith("./"):
            continue  # an action in this repository is pinned by the commit itself
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), f"{where}: pin {action} to a full commit SHA"
        assert re.fullmatch(r"\s+# v\d+(\.\d+)*", comment), f"{where}: add the version as a comment: # vX.Y.Z"


# --- what every workflow may do ------------------------------------------------------------


def test_no_workflow_runs_fork_code_with_write_access():
    for path in workflow_files():
        workflow = load(path)
        assert "pull_request_target" not in triggers(workflow), path.name
        assert "workflow_run" not in triggers(workflow), path.name
        assert "permissions" in workflow, f"{path.name}: set the token's permissions explicitly"
        assert workflow["permissions"] != "write-all", path.name


def test_checkout_never_keeps_the_token_on_disk():
    for path in (PULL_REQUEST, PUBLISH, LINKS):
        for step in steps(load(path)):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, path.name


def test_pull_request_checks_run_read_only():
    workflow = load(PULL_REQUEST)
    assert triggers(workflow) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert "permissions" not in job, f"job {name} must not widen the read-only permissions"
        assert not str(job.get("runs-on", "")).startswith("self-hosted"), "fork code never runs on our machines"


# --- what the pull-request workflow checks -------------------------------------------------


def test_pull_request_runs_every_check():
    commands = run_text(load(PULL_REQUEST))
    for command in (
        "make validate",
        "make site",
        "properdocs build -f mkdocs.yml --strict",
        "make test",
        "settings-guide figures --check",
    ):
        assert command in commands, command
    recipes = (ROOT / "Makefile").read_text("utf-8")
    assert re.search(r"^site:.*\n\t\$\(BIN\)/mkdocs build --strict$", recipes, re.MULTILINE)
    assert re.search(r"^validate:.*\n\t\$\(BIN\)/settings-guide validate$", recipes, re.MULTILINE)


def test_make_targets_used_by_workflows_exist():
    targets = {target for path in workflow_files() for target in re.findall(r"\bmake (\S+)", run_text(load(path)))}
    assert {"validate", "site", "test"} <= targets
    for target in targets:
        result = subprocess.run(["make", "--dry-run", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"make {target}: {result.stderr}"


def settings_guide_commands() -> list[list[str]]:
    texts = [run_text(load(path)) for path in workflow_files()]
    texts += [hook["entry"] for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
              for hook in repo["hooks"]]  # fmt: skip
    return [match.split() for text in texts for match in re.findall(r"settings-guide( [a-z][\w -]*)", text)]


def test_settings_guide_commands_in_workflows_and_hooks_exist(capsys):
    commands = settings_guide_commands()
    assert ["validate"] in commands and ["figures", "--check"] in commands
    for command, *options in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        help_text = capsys.readouterr().out
        assert exit_info.value.code == 0, f"`settings-guide {command}` is not a command"
        for option in options:
            if option.startswith("--"):
                assert option in help_text, f"`settings-guide {command}` has no option {option}"


def test_pull_request_uploads_the_built_site_for_preview():
    mkdocs = read_mkdocs_config(ROOT / "mkdocs.yml")
    site_dir = mkdocs.get("site_dir", "site")
    uploads = [
        step for step in steps(load(PULL_REQUEST)) if step.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert len(uploads) == 1
    assert uploads[0]["with"]["path"].rstrip("/") == site_dir
    assert uploads[0]["with"]["if-no-files-found"] == "error"


# --- the figures summary step, run as GitHub runs it ---------------------------------------


def figures_step_script() -> str:
    (script,) = [step["run"] for step in steps(load(PULL_REQUEST)) if "figures --check" in step.get("run", "")]
    return script


@pytest.mark.parametrize(
    "check_exit, plan_exit, step_exit, summary_says",
    [
        (0, 0, 0, "Every comparison figure is up to date."),
        (1, 0, 0, "these figures are missing or stale"),
        (1, 1, 1, "could not plan the figures"),  # e.g. figures/defaults.yml is missing
        (2, 0, 1, "could not plan the figures"),  # a bad option, a crash
    ],
)
def test_figures_step_reports_stale_figures_without_failing(tmp_path, check_exit, plan_exit, step_exit, summary_says):
    fake = tmp_path / ".venv" / "bin" / "settings-guide"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "#!/bin/sh\n"
        f'if [ "$2" = "--dry-run" ]; then echo "plan: inference-steps 4 missing"; exit {plan_exit}; fi\n'
        f'echo "check: inference-steps 4 missing"; exit {check_exit}\n'
    )
    fake.chmod(0o755)
    summary = tmp_path / "summary.md"
    (tmp_path / "step.sh").write_text(figures_step_script())
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "step.sh"],  # GitHub's `run:` shell
        cwd=tmp_path, env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == step_exit, result.stderr
    text = summary.read_text()
    assert text.startswith("## Comparison figures\n") and summary_says in text
    assert ("check: inference-steps 4 missing" in text) == (check_exit != 0 or plan_exit != 0)
    assert ("plan: inference-steps 4 missing" in text) == (plan_exit == 0)
    assert "check: inference-steps 4 missing" in result.stdout, "the log shows the check too"


def test_figures_step_with_the_real_command_lists_what_is_missing(project):
    shutil.copy2(ROOT / "figures" / "defaults.yml", project / "figures" / "defaults.yml")
    (project / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    (project / "step.sh").write_text(figures_step_script())
    summary = project / "summary.md"
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "step.sh"],
        cwd=project, env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = summary.read_text()
    assert "these figures are missing or stale" in text
    assert re.search(r"^missing\s+inference-steps/num_inference_steps-4\.webp", text, re.MULTILINE), text


# --- publishing ----------------------------------------------------------------------------


def test_publish_deploys_main_to_github_pages_with_least_privilege():
    workflow = load(PUBLISH)
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert triggers(workflow) <= {"push", "workflow_dispatch"}
    assert workflow["permissions"] == {}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    # pages: read lets configure-pages look up the site's address; only the deploy job may write.
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert "make site" in run_text({"jobs": {"build": build}})
    (upload,) = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"].rstrip("/") == "site"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_publish_builds_with_the_addresses_github_gives():
    """mkdocs.yml takes the site's and the repository's address from SITE_URL and REPO_URL; the publish job
    sets both from GitHub's context, so the published pages' edit and repository links lead somewhere."""
    mkdocs_yml = (ROOT / "mkdocs.yml").read_text("utf-8")
    assert re.search(r"^site_url: !ENV \[SITE_URL, ", mkdocs_yml, re.MULTILINE)
    assert re.search(r"^repo_url: !ENV REPO_URL\b", mkdocs_yml, re.MULTILINE)
    build = load(PUBLISH)["jobs"]["build"]["steps"]
    (pages,) = [step for step in build if step.get("uses", "").startswith("actions/configure-pages@")]
    (make,) = [step for step in build if "make site" in step.get("run", "")]
    assert make["env"]["SITE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    assert make["env"]["REPO_URL"] == "${{ github.server_url }}/${{ github.repository }}"


def test_publish_builds_with_either_builder_into_the_uploaded_folder():
    workflow = load(PUBLISH)
    builder = workflow["on"]["workflow_dispatch"]["inputs"]["builder"]
    assert builder["options"] == ["mkdocs", "zensical"] and builder["default"] == "mkdocs"
    text = run_text(workflow)
    # Both write into site/, the folder the upload step publishes.
    assert "mkdocs) make site ;;" in text
    assert "zensical) make site-zensical ZENSICAL_SITE_DIR=site ;;" in text
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert re.search(r"^site-zensical:.*\n\t.*--site-dir \$\(ZENSICAL_SITE_DIR\)", makefile, re.MULTILINE)


# --- what CI checks out --------------------------------------------------------------------


def test_git_ignores_no_file_the_package_or_the_workflows_need():
    """CI sees only what git tracks: an over-broad .gitignore line would hide part of the project."""
    result = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--", *NEEDED_BY_CI],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    # Caches, build metadata, test output and work in flight: ignored on purpose.
    junk = ("__pycache__/", ".egg-info/", ".tmp", "figures/.lock", "tests/artifacts/")
    hidden = [line for line in result.stdout.splitlines() if not any(part in line for part in junk)]
    assert hidden == [], "git ignores these, so CI would not have them; anchor the .gitignore pattern (e.g. /site/)"


# --- the source link check -----------------------------------------------------------------


def link_check_step() -> dict:
    (step,) = [s for s in steps(load(LINKS)) if s.get("uses", "").startswith("lycheeverse/lychee-action@")]
    return step


def test_link_check_runs_on_a_schedule_and_on_demand_with_a_read_only_token():
    workflow = load(LINKS)
    assert triggers(workflow) == {"schedule", "workflow_dispatch"}
    (schedule,) = workflow["on"]["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert "permissions" not in job, f"job {name} must not widen the read-only permissions"


def test_link_check_fails_on_a_dead_link_and_reports_it():
    step = link_check_step()
    assert step["with"]["fail"] is True
    assert step["with"]["jobSummary"] is True
    assert "--accept" in step["with"]["args"] and "404" not in step["with"]["args"]


def test_link_check_covers_every_source_of_every_setting():
    import fnmatch

    from settings_guide.settings.load import find_setting_files, load_settings

    patterns = re.findall(r"'([^']+)'", link_check_step()["with"]["args"])
    assert patterns
    checked = [
        path
        for path in (ROOT / "settings").glob("*")
        if any(fnmatch.fnmatch(path.relative_to(ROOT).as_posix(), pattern) for pattern in patterns)
    ]
    text = "".join(path.read_text("utf-8") for path in checked)
    urls = [
        source.url for item in load_settings(find_setting_files(ROOT / "settings")) for source in item.setting.sources
    ]
    assert len(urls) > 100
    assert [url for url in urls if url not in text] == []
