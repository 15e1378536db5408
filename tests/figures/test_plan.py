"""Planning: specs, cache keys, shards, validation. No model runs here except the shard merge."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from settings_guide.errors import ProblemsFound
from settings_guide.figures.make import BuildOptions, plan_project
from settings_guide.figures.plan import ModelResolver, plan_figures
from settings_guide.figures.profiles import load_defaults
from settings_guide.figures.spec import Overrides, comparison_specs
from settings_guide.settings.load import find_setting_files, load_settings

from .conftest import (
    FLUX_PROFILE,
    SEEDS,
    STEPS,
    defaults_yaml,
    images,
    make_project,
    run_figures,
    setting_yaml,
)

ROOT = Path(__file__).resolve().parents[2]

STRENGTH = setting_yaml(
    "Strength",
    """
    parameter: strength
    values: [0.3, 0.6, 0.9]
    task: image-to-image
""",
    value_type="number",
)
DENOISE = setting_yaml(
    "Denoise",
    """
    parameter: strength
    values: [0.5, 0.7]
    task: image-to-image
    prompt: a winter forest
""",
    value_type="number",
)


def plan_for(project: Path, overrides: Overrides | None = None):
    overrides = overrides or Overrides()
    loaded = load_settings(find_setting_files(project / "settings"))
    defaults = load_defaults(project / "figures" / "defaults.yml")
    specs = [spec for item in loaded for spec in comparison_specs(item, defaults, overrides)]
    return plan_figures(specs, ModelResolver(project))


def keys(project: Path) -> dict[str, str]:
    return {job.file: job.key for job in plan_for(project).jobs}


def test_planning_and_the_pages_never_import_torch(tmp_path, tiny_model):
    project = make_project(
        tmp_path / "p",
        {"steps": STEPS, "strength": STRENGTH},
        defaults=defaults_yaml(model=str(tiny_model), dtype="fp32"),
    )
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from settings_guide.figures.make import BuildOptions, plan_project
        from settings_guide.site.pages import ProjectPaths, generate_site

        planned = plan_project(BuildOptions(root=Path({str(project)!r})), None)
        assert len(planned.states) == 6, planned.states
        site = generate_site(ProjectPaths.at({str(project)!r}, templates={str(ROOT / "templates")!r}))
        assert "Image pending" in site.pages[1].markdown
        heavy = sorted(name for name in ("torch", "diffusers", "transformers", "numpy", "PIL") if name in sys.modules)
        print(heavy)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_each_input_changes_the_cache_key_and_nothing_else_does(tmp_path):
    project = make_project(tmp_path / "p", {"steps": STEPS})
    base = keys(project)
    assert keys(project) == base  # deterministic
    defaults = project / "figures" / "defaults.yml"
    original = defaults.read_text()
    for old, new in [
        ("a red fox", "a red cat"),
        ("seed: 7", "seed: 8"),
        ("width: 32", "width: 40"),
        ("dtype: bf16", "dtype: fp16"),
        ("quality: 80", "quality: 81"),
        ("guidance_scale: 6.0", "guidance_scale: 6.5"),
        ("revision: 4621", "revision: 4622"),
        ("pipeline: StableDiffusionXLPipeline", "pipeline: FluxPipeline"),
        ("quality: 80", "quality: 80\nnegative_prompt: blurry"),
    ]:
        defaults.write_text(original.replace(old, new))
        changed = keys(project)
        assert all(changed[name] != base[name] for name in base), (old, new)
    defaults.write_text(original.replace("quality: 80", "quality: 80  # a comment"))
    assert keys(project) == base


def test_a_local_model_is_keyed_by_its_class_and_scheduler_config(tmp_path, tiny_model):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    project = make_project(tmp_path / "p", {"steps": STEPS}, defaults=defaults_yaml(model=str(model)))
    [job, _] = plan_for(project).jobs
    assert job.source.pipeline == "StableDiffusionPipeline"  # from model_index.json, not the configured SDXL class
    assert job.inputs["scheduler"] == "DDIMScheduler" and job.inputs["scheduler_config"]
    before = keys(project)
    config = model / "scheduler" / "scheduler_config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "timestep_spacing": "trailing"}))
    assert all(keys(project)[name] != key for name, key in before.items())


def test_shards_cover_every_job_exactly_once(tmp_path):
    settings = {
        "steps": STEPS,
        "seeds": SEEDS,
        "strength": STRENGTH,
        "denoise": DENOISE,
        **{
            f"extra-{n}": setting_yaml(f"Extra {n}", f"parameter: guidance_scale\nvalues: [{n}, {n + 1}]", "number")
            for n in range(1, 6)
        },
    }
    plan = plan_for(make_project(tmp_path / "p", settings))
    every = [job.file for job in plan.jobs]
    assert len(every) == len(set(every)) == 2 + 3 + 1 + 3 + 2 + 10  # one shared input image
    for count in range(1, 6):
        for pending in (frozenset(), frozenset(job.key for job in plan.jobs[::2])):
            shards = [plan.shard(index, count, pending) for index in range(1, count + 1)]
            files = [job.file for shard in shards for job in shard.jobs]
            assert sorted(files) == sorted(every), count
            for shard in shards:  # an image-to-image job's input is made by the same runner
                assert all(job.input_job in shard.jobs for job in shard.jobs if job.input_job)
            assert all(shard.jobs for shard in shards) or count > 4


def test_shard_runs_merge_into_one_fresh_figures_folder(tmp_path, tiny_model):
    project = make_project(tmp_path / "main")
    shutil.copytree(project, tmp_path / "one")
    shutil.copytree(project, tmp_path / "two")
    assert run_figures(tmp_path / "one", "--shard", "1/2", model=tiny_model).code == 0
    assert run_figures(tmp_path / "two", "--shard", "2/2", model=tiny_model).code == 0
    made_one, made_two = images(tmp_path / "one"), images(tmp_path / "two")
    assert made_one and made_two and not set(made_one) & set(made_two)

    merged = run_figures(
        project, "--merge", str(tmp_path / "one" / "figures"), str(tmp_path / "two" / "figures"), model=tiny_model
    )

    assert merged.code == 0 and "merged 5 images from 2 folders; 0 still missing or stale" in merged.out
    assert images(project) == {**made_one, **made_two}
    assert run_figures(project, "--check", model=tiny_model).code == 0


def test_an_argument_the_pipeline_does_not_take_is_reported_at_its_line_before_any_model_loads(tmp_path, tiny_model):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not weights")  # loading would fail
    typo = setting_yaml(
        "Steps",
        """
        parameter: num_inference_steps
        values: [2, 3]
        arguments:
          guidance_scal: 4
    """,
    )
    project = make_project(tmp_path / "p", {"steps": typo})

    result = run_figures(project, model=model)

    assert result.code == 1
    line = typo.splitlines().index("    guidance_scal: 4") + 1
    assert (
        f"steps.yml:{line}:20: comparison.arguments.guidance_scal: StableDiffusionPipeline.__call__ does not "
        "accept `guidance_scal`; did you mean 'guidance_scale'?"
    ) in result.err
    assert not images(project) and not (project / "figures" / "manifest.json").exists()


def test_compared_parameter_and_scheduler_names_are_checked_too(tmp_path, tiny_model):
    project = make_project(
        tmp_path / "p",
        {
            "clip": setting_yaml("Clip", "parameter: clip_skipp\nvalues: [1, 2]"),
            "sampler": setting_yaml(
                "Sampler", "parameter: scheduler\nvalues: [EulerDiscreteScheduler, EulerScheduler]", "choice"
            ),
            "eta": setting_yaml("Eta", "parameter: eta\nvalues: [0, 1]\nscheduler: DDIMSchedular", "number"),
        },
    )
    result = run_figures(project, model=tiny_model)
    assert result.code == 1
    assert (
        "comparison.parameter: StableDiffusionPipeline.__call__ does not accept `clip_skipp`; did you mean "
        "'clip_skip'?" in result.err
    )
    assert "comparison.values[1]: diffusers has no scheduler class 'EulerScheduler'" in result.err
    assert (
        "eta.yml:15:14: comparison.scheduler: diffusers has no scheduler class 'DDIMSchedular'; did you mean "
        "'DDIMScheduler'?" in result.err
    )
    assert "3 problems in 3 files" in result.err


def _planning_problems(project) -> list[str]:
    with pytest.raises(ProblemsFound) as found:
        plan_project(BuildOptions(root=project), None)
    return [str(problem) for problem in found.value.problems]


def test_spec_problems_point_at_the_setting_or_defaults_line(tmp_path):
    flux = setting_yaml(
        "Flux", "parameter: guidance_scale\nvalues: [1, 2]\nmodel: black-forest-labs/FLUX.1-dev", "number"
    )
    reserved = setting_yaml(
        "Reserved", "parameter: guidance_scale\nvalues: [1, 2]\narguments:\n  output_type: pil", "number"
    )
    # `validate` already refuses a model without its pipeline, so planning stops there.
    project = make_project(tmp_path / "p", {"flux": flux, "reserved": reserved})
    messages = _planning_problems(project)
    assert any(
        "flux.yml:15:10: comparison.model: a comparison that sets `model` must also set `pipeline`" in m
        for m in messages
    ), messages
    (project / "settings" / "flux.yml").unlink()
    messages = _planning_problems(project)
    assert any(
        "reserved.yml:16:18: comparison.arguments.output_type: `output_type` is set by the figure pipeline" in m
        for m in messages
    ), messages

    (project / "figures" / "defaults.yml").write_text(defaults_yaml(dtype="bf17", colour="red"))
    with pytest.raises(ProblemsFound) as found:
        load_defaults(project / "figures" / "defaults.yml")
    shown = "\n".join(map(str, found.value.problems))
    assert "defaults.yml:13:12: models.sdxl.dtype: Input should be 'bf16', 'fp16' or 'fp32'" in shown
    assert "defaults.yml:6:1: colour: unknown field 'colour'" in shown


def test_profile_mistakes_are_one_line_at_their_place(tmp_path):
    project = make_project(tmp_path / "p", {"steps": STEPS})
    defaults = project / "figures" / "defaults.yml"
    text = defaults_yaml()
    defaults.write_text(text.replace("default_model: sdxl", "default_model: sdlx"))
    with pytest.raises(ProblemsFound) as found:
        load_defaults(defaults)
    [problem] = found.value.problems
    assert str(problem).endswith(
        "defaults.yml:1:16: default_model: no profile named 'sdlx' under `models`; did you mean 'sdxl'?"
    )
    # The flat form of earlier versions gets a pointer to the profiles.
    defaults.write_text("model: x/y\n" + text)
    with pytest.raises(ProblemsFound) as found:
        load_defaults(defaults)
    assert "a model's settings now live in a named profile under `models:`" in str(found.value.problems[0])


def test_an_unknown_profile_in_a_comparison_gets_a_did_you_mean(tmp_path):
    setting = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 3]\nmodels: [sdxl, flux-shnell]")
    project = make_project(
        tmp_path / "p",
        {"steps": setting},
        defaults=defaults_yaml(profiles=FLUX_PROFILE),
    )
    messages = _planning_problems(project)
    [message] = messages
    assert "steps.yml:15:18: comparison.models[1].profile: no model profile named 'flux-shnell' in " in message
    assert message.endswith("defaults.yml; did you mean 'flux-schnell'? (profiles: sdxl, flux-schnell)")


def test_text_values_get_distinct_safe_file_names(tmp_path):
    negative = setting_yaml(
        "Negative",
        """
        parameter: negative_prompt
        values: ["", "blurry, lowres", "blurry lowres"]
    """,
        "choice",
    )
    files = sorted(keys(make_project(tmp_path / "p", {"negative": negative})))
    assert len(set(files)) == 3
    assert all(name.startswith("negative/negative_prompt-") and name.endswith(".webp") for name in files)
    assert all(" " not in name and "," not in name for name in files)
    assert any(name.startswith("negative/negative_prompt-empty-") for name in files)


def test_a_missing_local_model_is_one_line_before_anything_is_written(tmp_path):
    project = make_project(tmp_path / "p")
    for model, message in [
        (tmp_path / "nowhere", "no such folder"),
        (project / "settings", "not a diffusers folder (no model_index.json)"),
    ]:
        result = run_figures(project, model=model)
        assert result.code == 1
        assert result.err == f"error: model {str(model)!r}: {message}" + (
            "; save one with pipeline.save_pretrained()\n" if "model_index" in message else "\n"
        )
        assert sorted(p.name for p in (project / "figures").iterdir()) == ["defaults.yml"]


def test_an_argument_the_pipeline_does_not_take_costs_only_its_own_settings_images(tmp_path, tiny_model):
    """A scaffold's untouched argument, or one a pipeline lacks (`shift`), no longer stops every other image."""
    shift = setting_yaml("Shift", "parameter: shift\nvalues: [1, 3]", "number")
    project = make_project(tmp_path / "p", {"steps": STEPS, "shift": shift})

    result = run_figures(project, model=tiny_model)

    assert result.code == 1
    line = shift.splitlines().index("  parameter: shift") + 1
    assert (
        f"shift.yml:{line}:14: comparison.parameter: StableDiffusionPipeline.__call__ does not accept `shift`"
        in result.err
    )
    assert "generated 2, cached 0, failed 2" in result.out  # the steps images are made, shift's two are not
    assert sorted(images(project)) == ["steps/num_inference_steps-2.webp", "steps/num_inference_steps-3.webp"]
    # The library says the same in numbers, and a second run makes nothing new but still reports it.
    from settings_guide.figures.make import build_figures

    report = build_figures(BuildOptions(root=project, model=str(tiny_model), device="cpu"))
    assert (report.generated, report.cached, report.refused_images, report.failures) == (0, 2, 2, 2)
    assert [problem.line for problem in report.refused] == [line] and not report.ok


def test_the_planners_fast_copy_of_a_spec_equals_dataclasses_replace(tmp_path):
    """`derived` skips FigureSpec's __init__; it must make exactly what `replace` makes, and refuse a typo."""
    import dataclasses

    from settings_guide.figures.spec import FigureSpec, derived

    assert not hasattr(FigureSpec, "__post_init__"), "derived() would skip __post_init__: use replace()"
    project = make_project(tmp_path)
    item = load_settings(find_setting_files(project / "settings"))[0]
    spec = comparison_specs(item, load_defaults(project / "figures/defaults.yml"))[0]
    changes = {"seed": spec.seed + 1, "arguments": {**spec.arguments, "guidance_scale": 3.5}}
    made = derived(spec, **changes)
    assert made == dataclasses.replace(spec, **changes)
    assert made.seed == spec.seed + 1 and spec.seed != made.seed
    with pytest.raises(TypeError, match="no field sed"):
        derived(spec, sed=1)
