"""What --dry-run and --check tell a maintainer before a run: images an upgrade of diffusers, transformers
or torch touches, a CPU run's thread count, and time, download and memory estimates from published figures."""

from __future__ import annotations

import json
import re
import shutil
from importlib.metadata import version
from pathlib import Path

from settings_guide.figures.machine import planning_device
from settings_guide.figures.profiles import load_defaults
from settings_guide.pages.figures.reproduce import diffusers_snippet

from ..conftest import ROOT
from ..test_site_install import runner, site_install  # noqa: F401  (runner: the site-only install's fixture)
from .conftest import SEEDS, TEST_DEVICE, defaults_yaml, make_project, manifest, run_figures

DIFFUSERS = version("diffusers")
PUBLISHED = """\
    published:
      seconds_per_step: 0.083
      gpu: H100
      speed_source: https://huggingface.co/stabilityai/stable-diffusion-xl-1.0-tensorrt
      download_gb: 13.9
      stored_dtype: fp32
      largest_gb: 10.3
      files_source: https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/tree/main
"""


def with_published(defaults: str, block: str = PUBLISHED) -> str:
    """A defaults file whose `sdxl` profile carries ``block`` (before its arguments)."""
    return defaults.replace("    arguments:\n", block + "    arguments:\n", 1)


def record_diffusers(project: Path, recorded: str) -> None:
    """Rewrite the manifest as if every image had been made with diffusers ``recorded``."""
    path = project / "figures" / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    for entry in data["images"]:
        entry["versions"]["diffusers"] = recorded
    path.write_text(json.dumps(data), "utf-8")


def made_project(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "p", {"seeds": SEEDS}, defaults=defaults_yaml(dtype="fp32"))
    assert run_figures(project).code == 0
    return project


# --- library versions ----------------------------------------------------------------------------


def test_images_made_with_another_diffusers_are_named_per_model_and_stay_fresh_by_default(tmp_path, hub_cache):
    project = made_project(tmp_path)
    record_diffusers(project, "0.0.1")

    dry = run_figures(project, "--dry-run")
    check = run_figures(project, "--check")

    assert dry.code == 0 and check.code == 0  # a warning, not a reason to pay for a run
    assert f"warning: SDXL: 3 images made with diffusers 0.0.1, now {DIFFUSERS}" in dry.out.splitlines()
    assert "3 images: 3 fresh, 0 missing, 0 stale" in dry.out
    assert "--stale-on-upgrade" in dry.out


def test_stale_on_upgrade_makes_them_stale_and_a_run_makes_them_again(tmp_path, hub_cache):
    project = made_project(tmp_path)
    record_diffusers(project, "0.0.1")

    check = run_figures(project, "--check", "--stale-on-upgrade")

    assert check.code == 1, check.out + check.err
    assert f"stale    seeds/seed-1.webp  [SDXL]  (made with diffusers 0.0.1, now {DIFFUSERS})" in check.out
    assert "3 images: 0 fresh, 0 missing, 3 stale" in check.out
    run = run_figures(project, "--stale-on-upgrade")
    assert run.code == 0 and "generated 3, cached 0" in run.out, run.out + run.err
    assert {entry["versions"]["diffusers"] for entry in manifest(project).values()} == {DIFFUSERS}
    assert run_figures(project, "--check", "--stale-on-upgrade").code == 0


def test_the_site_only_install_skips_the_comparison_instead_of_calling_everything_changed(
    tmp_path,
    hub_cache,
    runner,  # noqa: F811
):
    project = made_project(tmp_path)
    record_diffusers(project, "0.0.1")

    found = site_install(runner, "figures", "--root", str(project), "--check", "--stale-on-upgrade")

    assert found.returncode == 0, found.stdout + found.stderr
    assert "3 images: 3 fresh, 0 missing, 0 stale" in found.stdout
    assert "made with diffusers" not in found.stdout
    assert "note: library versions not compared for diffusers, transformers, torch: not installed here" in found.stdout


def test_the_last_job_adopts_what_shards_made_again_after_an_upgrade(tmp_path, hub_cache, runner):  # noqa: F811
    """The merge runs in the site-only install, which cannot compare versions: with --stale-on-upgrade it adopts
    a shard's image made again with other versions; without it, the current one stays."""
    project = made_project(tmp_path)
    shard = tmp_path / "figures-shard-1"
    shutil.copytree(project / "figures", shard)  # a shard's run with the installed versions
    record_diffusers(project, "0.0.1")  # what main holds: made before the upgrade

    kept = site_install(runner, "figures", "--root", str(project), "--merge", str(shard))
    assert kept.stdout.startswith("merged 0 images from 1 folders; 0 still missing"), kept.stdout + kept.stderr
    adopted = site_install(runner, "figures", "--root", str(project), "--merge", str(shard), "--stale-on-upgrade")

    assert adopted.stdout.startswith("merged 3 images from 1 folders; 0 still missing"), adopted.stdout + adopted.stderr
    assert {entry["versions"]["diffusers"] for entry in manifest(project).values()} == {DIFFUSERS}


def test_a_cpu_run_records_its_thread_count_and_reproduce_sets_it(tmp_path, hub_cache):
    import torch

    project = made_project(tmp_path)
    entry = manifest(project)["seeds/seed-1.webp"]

    if TEST_DEVICE == "cpu":
        assert entry["threads"] == torch.get_num_threads()
        assert f"torch.set_num_threads({entry['threads']})" in diffusers_snippet(entry)
    assert "threads" not in entry["inputs"]  # how many threads ran it is no input of the image: not in its key
    on_a_gpu = {**entry, "device": "NVIDIA H100 80GB HBM3", "threads": 8}
    assert "set_num_threads" not in diffusers_snippet(on_a_gpu)


# --- estimates before any run --------------------------------------------------------------------


def model_line(out: str, label: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith(f"{label} (")]
    return line


def test_the_catalogue_dry_run_estimates_every_model_and_totals(tmp_path):
    project = tmp_path / "catalogue"
    shutil.copytree(ROOT / "settings", project / "settings")
    (project / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "defaults.yml", project / "figures" / "defaults.yml")

    dry = run_figures(project, "--dry-run", device="cuda")

    assert dry.code == 0, dry.err
    lines = [line for line in dry.out.splitlines() if re.match(r"[^ ].* \(\S+ @ [0-9a-f]{12}\): ", line)]
    profiles = load_defaults(project / "figures" / "defaults.yml").values.models.values()
    assert len(lines) == len(profiles) >= 12, lines  # every profile has images, 2023-24's and 2026's
    unestimated = []
    for profile in profiles:
        line = model_line(dry.out, profile.label)
        if profile.published.seconds_per_step is not None:
            assert re.search(r"about \d+ (s|min|h) on \S.* \(published: [\d.]+ s per step at \d+x\d+\)", line), line
        else:
            assert "no estimate" in line, line
            unestimated.append(profile.label)
        assert re.search(r"; download [\d.]+ GB \(published\)", line), line
        assert re.search(r"GPU memory \d+ GiB whole, \d+ GiB with model offload", line), line
    sdxl = model_line(dry.out, "SDXL")
    assert "on H100 (published: 0.083 s per step at 1024x1024)" in sdxl and "weights 6.5 GiB in bf16" in sdxl
    (total,) = [line for line in dry.out.splitlines() if line.startswith("total: ")]
    assert re.fullmatch(
        r"total: \d+ images to make, \d+ denoising steps, about \d+ (min|h) \(published figures\), "
        r"not counting (.+) \(no estimate\); download \d+ GB",
        total,
    ), total
    assert sorted(re.search(r"not counting (.+) \(no estimate\)", total)[1].split(", ")) == sorted(unestimated)


def test_a_profile_without_a_published_speed_shows_no_estimate_and_a_half_figure_is_refused(tmp_path):
    project = make_project(tmp_path / "p", {"seeds": SEEDS})
    dry = run_figures(project, "--dry-run")
    assert "no estimate (no seconds recorded or published for it yet)" in model_line(dry.out, "SDXL")

    no_gpu = PUBLISHED.replace("      gpu: H100\n", "")
    (project / "figures" / "defaults.yml").write_text(with_published(defaults_yaml(), no_gpu))
    refused = run_figures(project, "--check")
    assert refused.code == 2
    assert re.search(
        r"defaults\.yml:\d+:\d+: models\.sdxl\.published: .*`seconds_per_step` needs the `gpu`", refused.err
    )


def test_a_recorded_figure_wins_over_the_published_one(tmp_path, hub_cache):
    defaults = with_published(defaults_yaml(dtype="fp32"))
    project = make_project(tmp_path / "p", {"seeds": SEEDS}, defaults=defaults)
    before = model_line(run_figures(project, "--dry-run").out, "SDXL")
    # 3 images of 2 steps at the native 32x32: 6 steps of 0.083 s.
    assert "6 denoising steps, about 0 s on H100 (published: 0.083 s per step at 32x32)" in before
    assert run_figures(project).code == 0
    (project / "figures" / "defaults.yml").write_text(defaults.replace("a red fox", "a grey fox"))  # all stale

    after = model_line(run_figures(project, "--dry-run").out, "SDXL")

    assert "s per step recorded)" in after and "published" not in after, after


def test_a_dry_run_without_device_plans_what_a_run_on_this_machine_makes(tmp_path, hub_cache):
    from settings_guide.cli import main

    # bf16 configured: a CPU run makes fp32 images (the dry-run below must not call them stale).
    project = make_project(tmp_path / "p", {"seeds": SEEDS}, defaults=defaults_yaml(dtype="bf16"))
    assert run_figures(project).code == 0
    if not Path("/proc/driver/nvidia/version").exists() and not shutil.which("nvidia-smi"):
        assert planning_device(None) == "cpu"

    code = main(["figures", "--root", str(project), "--check"])

    assert code == 0  # fresh: planned for the device this machine runs on, as the run was


def test_an_unreadable_published_field_is_named_at_its_line(tmp_path):
    block = PUBLISHED.replace("download_gb: 13.9", "download_gb: lots")
    project = make_project(tmp_path / "p", {"seeds": SEEDS}, defaults=with_published(defaults_yaml(), block))
    refused = run_figures(project, "--check")
    assert refused.code == 2 and re.search(r"defaults\.yml:\d+:\d+: models\.sdxl\.published\.download_gb", refused.err)
