"""A comparison that changes nothing is an error: at plan time where the cause is known, else after the run."""

from __future__ import annotations

import re
from pathlib import Path

from settings_guide.figures.make import BuildOptions, plan_project

from .conftest import FLUX_PROFILE, HUB_MODEL, defaults_yaml, images, make_project, run_figures, setting_yaml

ROOT = Path(__file__).resolve().parents[2]

# guidance_rescale only acts on classifier-free guidance, which guidance_scale 1 switches off.
RESCALE_WITHOUT_CFG = setting_yaml(
    "Rescale",
    "parameter: guidance_rescale\nvalues: [0.0, 0.7]\narguments:\n  guidance_scale: 1.0\n  num_inference_steps: 2",
    value_type="number",
)


def test_values_that_make_identical_images_fail_the_run_and_the_check(tmp_path, tiny_model):
    project = make_project(tmp_path / "p", {"rescale": RESCALE_WITHOUT_CFG, "steps": setting_yaml(
        "Steps", "parameter: num_inference_steps\nvalues: [2, 3]")})  # fmt: skip

    result = run_figures(project, model=tiny_model)

    assert result.code == 1
    assert "generated 4, cached 0, failed 0" in result.out  # the images are made; the comparison is refused
    made = images(project)
    assert made["rescale/guidance_rescale-0.0.webp"] == made["rescale/guidance_rescale-0.7.webp"]
    [line] = [line for line in result.err.splitlines() if "pixel-identical" in line]  # after the progress bar
    assert re.fullmatch(
        r".*settings/rescale\.yml:\d+:\d+: comparison\.values\[1\]: guidance_rescale = 0\.0 and guidance_rescale = 0\.7 "
        r"made pixel-identical images on sdxl \(rescale/guidance_rescale-0\.0\.webp, rescale/guidance_rescale-0\.7\.webp\), "
        r"so the comparison shows nothing; likely cause: guidance rescale only acts while classifier-free guidance "
        r"is on \(guidance_scale above 1\)",
        line,
    )
    # Every image is fresh, yet --check refuses to pass the comparison, from the manifest alone.
    check = run_figures(project, "--check", model=tiny_model)
    assert check.code == 1 and check.err.strip() == line
    assert "4 images: 4 fresh" in check.out


def test_an_argument_the_set_up_ignores_is_an_error_at_its_line_before_any_image(tmp_path, hub_cache):
    eta_on_euler = setting_yaml(
        "Eta", "parameter: eta\nvalues: [0.0, 1.0]\nscheduler: EulerDiscreteScheduler", value_type="number"
    )
    true_cfg_alone = setting_yaml(
        "True CFG", "parameter: true_cfg_scale\nvalues: [1.0, 4.0]\nmodels: [flux-schnell]", value_type="number"
    )
    project = make_project(
        tmp_path / "p",
        {"eta": eta_on_euler, "true-cfg": true_cfg_alone},
        defaults=defaults_yaml(model=HUB_MODEL, dtype="fp32", profiles=FLUX_PROFILE),
    )

    result = run_figures(project)

    assert result.code == 1 and images(project) == {}
    lines = result.err.strip().splitlines()
    assert re.fullmatch(
        r".*settings/eta\.yml:\d+:\d+: comparison\.parameter: `eta` changes nothing here: EulerDiscreteScheduler\.step\(\) "
        r"takes no `eta`.*set `scheduler: DDIMScheduler`.*",
        lines[0],
    )
    assert re.fullmatch(
        r".*settings/true-cfg\.yml:\d+:\d+: comparison\.parameter: `true_cfg_scale` changes nothing without a "
        r"`negative_prompt`.*",
        lines[1],
    )
    assert "Traceback" not in result.err


def test_the_catalogue_passes_every_check_before_rendering(hub_cache):
    from settings_guide.figures.run import checks, pipelines

    jobs = [state.job for state in plan_project(BuildOptions(root=ROOT), "fp32").states]
    assert any("eta" in job.spec.arguments for job in jobs)  # the check has something to look at

    checks.check_pipeline_calls(jobs)
    folders, unavailable = pipelines.fetch_models(jobs)
    assert unavailable == {}  # every catalogue model is in the tiny cache
    checks.check_ignored_arguments(jobs, folders)  # raises ProblemsFound on a false alarm
