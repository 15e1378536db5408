"""`settings-guide figures` end to end on the tiny model: images, manifest, caching, determinism."""

from __future__ import annotations

import hashlib
import json
import re

from PIL import Image

from settings_guide.figures.plan import cache_key

from .conftest import STEPS, images, make_project, manifest, run_figures, setting_yaml


def test_a_run_writes_images_and_a_traceable_manifest(figure_project, tiny_model):
    result = run_figures(figure_project, model=tiny_model)

    assert result.code == 0, result.err
    assert "generated 5, cached 0, failed 0" in result.out
    # Not a terminal (as in a CI log): a line per image as it is done, not a bar shown only at the end.
    progress = [line for line in result.err.splitlines() if line.startswith("[")]
    assert result.err.startswith("making 5 images\n") and len(progress) == 5
    assert re.fullmatch(r"\[1/5\] (seeds|steps)/\S+\.webp \d+\.\d s", progress[0]) and progress[-1].startswith("[5/5] ")
    made = images(figure_project)
    assert sorted(made) == [
        "seeds/seed-1.webp",
        "seeds/seed-2.webp",
        "seeds/seed-3.webp",
        "steps/num_inference_steps-2.webp",
        "steps/num_inference_steps-3.webp",
    ]
    entries = manifest(figure_project)
    assert sorted(entries) == sorted(made)
    for name, entry in entries.items():
        assert entry["sha256"] == hashlib.sha256(made[name]).hexdigest()
        assert entry["key"] == cache_key(entry["inputs"])  # the key can be re-derived from what is recorded
        assert (entry["width"], entry["height"]) == (32, 32) == Image.open(figure_project / "figures" / name).size
        assert Image.open(figure_project / "figures" / name).format == "WEBP"
        assert entry["model"] == str(tiny_model) and entry["revision"].startswith("local:")
        assert entry["device"] == "CPU" and entry["dtype"] == "fp32" and entry["seconds"] > 0
        assert entry["pipeline"] == "StableDiffusionPipeline"
        assert set(entry["versions"]) == {"diffusers", "torch", "transformers", "python"}
        assert entry["call"]["prompt"] == "a red fox in a green forest"
        assert (entry["call"]["width"], entry["call"]["height"], entry["call"]["output_type"]) == (32, 32, "np")
    steps = entries["steps/num_inference_steps-3.webp"]
    assert steps["call"]["num_inference_steps"] == 3 and steps["seed"] == 7
    assert (steps["setting"], steps["parameter"], steps["value"]) == ("steps", "num_inference_steps", 3)
    seed = entries["seeds/seed-2.webp"]
    assert seed["seed"] == 2 and "seed" not in seed["call"]
    # Seeds 1, 2, 3 and the steps=2 image share every other argument, so one call made all four.
    assert seed["batch_seeds"] == [1, 2, 3, 7]
    assert entries["steps/num_inference_steps-2.webp"]["batch_seeds"] == [1, 2, 3, 7]
    assert "batch_seeds" not in steps

    text = (figure_project / "figures" / "manifest.json").read_text("utf-8")
    data = json.loads(text)
    assert [entry["file"] for entry in data["images"]] == sorted(entries)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_a_second_run_makes_nothing_and_changes_no_file(figure_project, tiny_model):
    run_figures(figure_project, model=tiny_model)
    figures = figure_project / "figures"
    before = {p: p.stat().st_mtime_ns for p in figures.rglob("*") if p.is_file()}

    result = run_figures(figure_project, model=tiny_model)

    assert result.code == 0 and "generated 0, cached 5, failed 0" in result.out
    assert {p: p.stat().st_mtime_ns for p in figures.rglob("*") if p.is_file()} == before


def test_changing_one_value_makes_exactly_one_image_and_drops_the_old_one(figure_project, tiny_model):
    run_figures(figure_project, model=tiny_model)
    before = manifest(figure_project)
    (figure_project / "settings" / "steps.yml").write_text(STEPS.replace("[2, 3]", "[2, 4]"))

    result = run_figures(figure_project, model=tiny_model)

    assert "generated 1, cached 4, failed 0, removed 1" in result.out
    after = manifest(figure_project)
    assert set(after) == set(before) - {"steps/num_inference_steps-3.webp"} | {"steps/num_inference_steps-4.webp"}
    assert not (figure_project / "figures" / "steps" / "num_inference_steps-3.webp").exists()
    assert all(after[name] == before[name] for name in after if name in before)
    assert after["steps/num_inference_steps-4.webp"]["call"]["num_inference_steps"] == 4


def test_dry_run_and_check_report_missing_then_fresh_then_stale(figure_project, tiny_model):
    dry = run_figures(figure_project, "--dry-run", model=tiny_model)
    assert dry.code == 0
    assert "missing  steps/num_inference_steps-3.webp  [SDXL]  (not generated yet)" in dry.out
    assert "5 images: 0 fresh, 5 missing, 0 stale" in dry.out
    assert not (figure_project / "figures" / "manifest.json").exists() and not images(figure_project)

    check = run_figures(figure_project, "--check", model=tiny_model)
    assert check.code == 1 and "5 figures are missing or stale" in check.err

    run_figures(figure_project, model=tiny_model)
    assert run_figures(figure_project, "--check", model=tiny_model).code == 0

    defaults = figure_project / "figures" / "defaults.yml"
    defaults.write_text(defaults.read_text().replace("guidance_scale: 6.0", "guidance_scale: 5.0"))
    check = run_figures(figure_project, "--check", model=tiny_model)
    assert check.code == 1
    assert "stale    seeds/seed-1.webp  [SDXL]  (changed: guidance_scale 6.0 → 5.0)" in check.out
    assert not [line for line in check.out.splitlines() if line.startswith("fresh")]  # only what needs work
    dry = run_figures(figure_project, "--dry-run", model=tiny_model)
    assert "5 images: 0 fresh, 0 missing, 5 stale" in dry.out


def test_check_notices_a_replaced_image_file(figure_project, tiny_model):
    run_figures(figure_project, model=tiny_model)
    (figure_project / "figures" / "seeds" / "seed-1.webp").write_bytes(
        (figure_project / "figures" / "seeds" / "seed-2.webp").read_bytes()
    )
    check = run_figures(figure_project, "--check", model=tiny_model)
    assert (
        check.code == 1
        and "seeds/seed-1.webp  [SDXL]  (the file differs from the one the manifest records)" in check.out
    )


def test_the_same_inputs_give_the_same_bytes(tmp_path, tiny_model):
    first, second = make_project(tmp_path / "a"), make_project(tmp_path / "b")
    run_figures(first, model=tiny_model)
    run_figures(second, model=tiny_model)

    assert images(first) == images(second)
    assert {k: v["key"] for k, v in manifest(first).items()} == {k: v["key"] for k, v in manifest(second).items()}
    # Making them again in place writes the same bytes (and so changes no file).
    forced = run_figures(first, "--force", model=tiny_model)
    assert "generated 5" in forced.out and images(first) == images(second)


def test_only_makes_the_named_settings(figure_project, tiny_model):
    result = run_figures(figure_project, "--only", "steps", model=tiny_model)
    assert result.code == 0 and sorted(images(figure_project)) == [
        "steps/num_inference_steps-2.webp",
        "steps/num_inference_steps-3.webp",
    ]

    typo = run_figures(figure_project, "--only", "step", model=tiny_model)
    assert typo.code == 1 and typo.err == "error: --only step: no such setting; did you mean 'steps'?\n"


def test_image_to_image_starts_from_a_planned_input_image(tmp_path, tiny_model):
    strength = setting_yaml(
        "Strength",
        """
        parameter: strength
        values: [0.5, 1.0]
        task: image-to-image
        prompt: a blue fox
        arguments:
          num_inference_steps: 4
    """,
        value_type="number",
    )
    project = make_project(tmp_path / "p", {"strength": strength})

    result = run_figures(project, model=tiny_model)

    assert result.code == 0, result.err
    entries = manifest(project)
    [input_file] = [name for name in entries if name.startswith("_inputs/")]
    source = entries[input_file]
    assert source["role"] == "input" and source["pipeline"] == "StableDiffusionPipeline"
    assert source["call"]["prompt"] == "a red fox in a green forest"  # the defaults, not the comparison's prompt
    for value in ("0.5", "1.0"):
        entry = entries[f"strength/strength-{value}.webp"]
        assert entry["pipeline"] == "StableDiffusionImg2ImgPipeline"
        assert entry["call"]["image"] == input_file and entry["call"]["strength"] == float(value)
        assert "width" not in entry["call"]  # image-to-image takes its size from the input image
        assert entry["inputs"]["input_image"] == source["key"]
        assert (entry["width"], entry["height"]) == (32, 32)
    made = images(project)
    assert made["strength/strength-0.5.webp"] != made["strength/strength-1.0.webp"]

    # A new input image (other default prompt) makes every image that starts from it stale.
    defaults = project / "figures" / "defaults.yml"
    defaults.write_text(defaults.read_text().replace("a red fox", "a grey fox"))
    dry = run_figures(project, "--dry-run", model=tiny_model)
    assert "stale    strength/strength-0.5.webp  [SDXL]  (changed: its input image)" in dry.out
    assert "remove   " + input_file in dry.out


def test_a_scheduler_comparison_swaps_the_scheduler_class(tmp_path, tiny_model):
    schedulers = setting_yaml(
        "Sampler",
        """
        parameter: scheduler
        values: [DDIMScheduler, EulerDiscreteScheduler]
        arguments:
          num_inference_steps: 4
    """,
        value_type="choice",
    )
    fixed = setting_yaml(
        "Euler steps", "parameter: num_inference_steps\nvalues: [4, 5]\nscheduler: EulerDiscreteScheduler"
    )
    project = make_project(tmp_path / "p", {"sampler": schedulers, "steps": STEPS, "euler-steps": fixed})

    result = run_figures(project, model=tiny_model)

    assert result.code == 0, result.err
    entries = manifest(project)
    ddim, euler = (
        entries["sampler/scheduler-DDIMScheduler.webp"],
        entries["sampler/scheduler-EulerDiscreteScheduler.webp"],
    )
    assert (ddim["inputs"]["scheduler"], euler["inputs"]["scheduler"]) == ("DDIMScheduler", "EulerDiscreteScheduler")
    made = images(project)
    assert made["sampler/scheduler-DDIMScheduler.webp"] != made["sampler/scheduler-EulerDiscreteScheduler.webp"]
    # A comparison's fixed `scheduler:` applies to each of its images.
    assert entries["euler-steps/num_inference_steps-4.webp"]["inputs"]["scheduler"] == "EulerDiscreteScheduler"
    assert made["euler-steps/num_inference_steps-4.webp"] == made["sampler/scheduler-EulerDiscreteScheduler.webp"]
    # The swap is undone: the model's own scheduler (DDIM) made the steps image, same bytes as alone.
    alone = make_project(tmp_path / "alone", {"steps": STEPS})
    run_figures(alone, model=tiny_model)
    assert images(alone)["steps/num_inference_steps-3.webp"] == made["steps/num_inference_steps-3.webp"]
