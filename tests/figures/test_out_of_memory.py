"""A batch size the device has no memory for is a result of the batch-size measurement, not a failed run: a real
out-of-memory (the CPU's, under an address-space limit) is recorded in the manifest and drawn on the chart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import defaults_yaml, make_project, manifest, setting_yaml

ROOT = Path(__file__).resolve().parents[2]
# What the run may allocate: batch 1 at 128 x 128 fits and batch 16 does not with anything from 192 to 640 MiB.
HEADROOM = 384 * 1024**2
# The figure run in a process of its own whose address space is capped once torch and diffusers are loaded, so
# that the tiny model's batch of 16 at 128 x 128 really fails to allocate, as a GPU too small for it would.
DRIVER = f"""
import resource, sys
import torch  # loaded before the cap, with the pipeline: it limits what the run allocates, not the libraries
from diffusers import StableDiffusionXLPipeline
from settings_guide.cli import main
from settings_guide.figures.run import generate  # noqa: F401

size = int(next(line for line in open("/proc/self/status") if line.startswith("VmSize")).split()[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + {HEADROOM}, resource.RLIM_INFINITY))
sys.exit(main(["figures", "--root", sys.argv[1], "--device", "cpu"]))
"""
BATCH = setting_yaml("Batch", "parameter: num_images_per_prompt\nmeasure: batch-size\nvalues: [1, 16]")


def test_a_batch_too_large_for_the_memory_is_recorded_and_charted(hub_cache, tmp_path):
    project = make_project(tmp_path / "p", {"batch": BATCH}, defaults_yaml(dtype="fp32", size=128))
    env = {**os.environ, "HF_HUB_CACHE": str(hub_cache), "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}

    run = subprocess.run(
        [sys.executable, "-c", DRIVER, str(project)], env=env, capture_output=True, text=True, timeout=600
    )

    assert run.returncode == 0, run.stderr
    entries = manifest(project)
    fits, too_large = entries["batch/num_images_per_prompt-1.webp"], entries["batch/num_images_per_prompt-16.webp"]
    assert "result" not in fits and (project / "figures" / fits["file"]).is_file()
    assert too_large["result"] == "out-of-memory" and too_large["batch_size"] == 16
    assert too_large["sha256"] is None and not (project / "figures" / too_large["file"]).exists()
    assert too_large["message"].startswith("out of memory at batch size 16: ")
    assert "can't allocate memory" in too_large["message"]  # torch's CPU allocator said so: a real failure
    # The page charts it as a labelled mark, says it in words, and shows the slot's result.
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    svg = site.generated_files["figures/batch/batch-light.svg"]
    assert ">out of memory at 16</text>" in svg
    page = next(page.markdown for page in site.pages if page.path == "settings/batch.md")
    assert "Batch 16 ran out of memory." in page
    assert 'aria-label="No image for num_images_per_prompt = 16' in page and "Out of memory" in page
