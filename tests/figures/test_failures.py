"""What goes wrong on real runs: kill -9, broken models, missing models, a second run, out of memory."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from filelock import FileLock
from PIL import Image

from .conftest import PROMPT, images, make_project, manifest, run_figures, setting_yaml


def test_kill_9_mid_run_leaves_whole_files_and_the_next_run_finishes(tmp_path, tiny_model):
    steps = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [8, 9, 10, 11, 12, 13]")
    project = make_project(tmp_path / "p", {"steps": steps})
    command = [
        sys.executable,
        "-m",
        "settings_guide.cli",
        "figures",
        "--root",
        str(project),
        "--model",
        str(tiny_model),
        "--device",
        "cpu",
        "--size",
        "64x64",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    manifest_file = project / "figures" / "manifest.json"
    deadline = time.monotonic() + 120
    try:
        while not manifest_file.exists():  # written only after the first image is complete
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the run made no image in 120 s"
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()

    entries = manifest(project)  # valid JSON: it is replaced whole, never written in place
    assert 1 <= len(entries) < 6, "the run was not interrupted mid-way"
    for name, entry in entries.items():
        assert hashlib.sha256((project / "figures" / name).read_bytes()).hexdigest() == entry["sha256"]
    for name in images(project):  # an image not yet in the manifest is still a whole image
        Image.open(project / "figures" / name).load()

    resumed = run_figures(project, "--size", "64x64", model=tiny_model)

    assert resumed.code == 0, resumed.err
    assert f"generated {6 - len(entries)}, cached {len(entries)}, failed 0" in resumed.out
    assert manifest(project).keys() >= entries.keys() and len(manifest(project)) == 6
    assert not list((project / "figures").rglob("*.tmp"))
    assert run_figures(project, "--check", "--size", "64x64", model=tiny_model).code == 0


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("nan", "refused: 100% of its pixels are NaN or infinite (typically an fp16 VAE overflow)"),
        ("black", "refused: it is all black (the safety checker blanks flagged images"),
    ],
)
def test_nan_and_black_images_are_refused_and_never_saved(tmp_path, broken_models, how, message):
    project = make_project(
        tmp_path / "p", {"steps": setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 3]")}
    )
    result = run_figures(project, model=broken_models[how])

    assert result.code == 1
    assert f"failed: steps/num_inference_steps-2.webp: {message}" in result.err
    assert "generated 0, cached 0, failed 2" in result.out
    assert not images(project) and not (project / "figures" / "manifest.json").exists()


def test_an_unreachable_hub_model_is_one_line_and_nothing_is_written(figure_project):
    result = run_figures(figure_project, model="someorg/no-such-model")

    assert result.code == 1
    assert result.err.startswith(
        "error: model someorg/no-such-model (revision main), 5 images not made: the Hub is switched off (HF_HUB_OFFLINE)"
    )
    assert result.err.count("\n") == 1 and result.out == ""
    assert sorted(p.name for p in (figure_project / "figures").iterdir()) == ["defaults.yml"]


def test_a_second_run_at_the_same_time_is_refused(figure_project, tiny_model):
    with FileLock(str(figure_project / "figures" / ".lock")):
        result = run_figures(figure_project, model=tiny_model)
    assert result.code == 1 and "another figures run is writing to" in result.err
    assert not images(figure_project)


def test_a_broken_manifest_is_reported_not_guessed(figure_project, tiny_model):
    (figure_project / "figures" / "manifest.json").write_text('{"images": [\n<<<<<<< HEAD\n')
    result = run_figures(figure_project, "--check", model=tiny_model)
    assert result.code == 2  # not "images to make": the figures folder itself needs a fix
    assert "manifest.json:2:1: not valid JSON (Expecting value); restore it from git" in result.err


def test_out_of_memory_retries_with_smaller_batches_and_vae_slicing(tiny_model):
    import numpy as np
    import torch
    from diffusers import StableDiffusionPipeline

    from settings_guide.figures.run import generate

    pipe = StableDiffusionPipeline.from_pretrained(tiny_model)
    pipe.set_progress_bar_config(disable=True)
    arguments = {"prompt": PROMPT, "num_inference_steps": 2, "width": 32, "height": 32, "output_type": "np"}
    seeds = [1, 2, 3, 4]
    sizes: list[int] = []

    def call(start: int, n: int):
        sizes.append(n)
        # A GPU that fits two images at once, and only while the VAE decodes them one by one.
        if n > 2 or (n == 2 and not pipe.vae.use_slicing):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return generate.call_pipeline(pipe, arguments, seeds[start : start + n])

    results = generate.call_with_retries(call, len(seeds), lambda: generate.enable_vae_slicing(pipe))

    assert sizes == [4, 2, 2] and pipe.vae.use_slicing
    alone = generate.call_pipeline(pipe, arguments, [3])[0][0]
    assert len(results) == 4 and np.allclose(results[2][0], alone, atol=1e-4)

    sizes.clear()

    def never_fits(start: int, n: int):
        sizes.append(n)
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with pytest.raises(torch.OutOfMemoryError):
        generate.call_with_retries(never_fits, 4, lambda: None)
    assert sizes == [4, 2, 1]  # one image at a time with slicing still does not fit: give up


def test_the_manifest_records_what_reproduces_an_image(figure_project, tiny_model):
    """Calling the pipeline by hand with the recorded arguments and seed gives the recorded pixels."""
    import numpy as np
    import torch
    from diffusers import StableDiffusionPipeline

    from settings_guide.figures.run.images import encode_image, to_8bit

    run_figures(figure_project, "--only", "steps", model=tiny_model)
    entry = manifest(figure_project)["steps/num_inference_steps-3.webp"]
    pipe = StableDiffusionPipeline.from_pretrained(entry["model"])
    pixels = pipe(**entry["call"], generator=torch.Generator("cpu").manual_seed(entry["seed"])).images[0]
    data = encode_image(to_8bit(np.asarray(pixels)), "webp", entry["inputs"]["quality"])
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert json.loads(json.dumps(entry["call"])) == entry["call"]
