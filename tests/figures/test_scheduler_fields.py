"""Comparisons of a scheduler config field (`scheduler.shift`, the sigma spacing flags) and fixed fields
(`scheduler_config:`): made on tiny models, each image's schedule recorded and charted, its Reproduce code
making the same file, and a field the scheduler lacks refused at its line."""

from __future__ import annotations

from pathlib import Path

from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import FLUX_PROFILE, defaults_yaml, images, make_project, manifest, run_figures, setting_yaml
from .page_code import model_blocks, run_block

ROOT = Path(__file__).resolve().parents[2]

SHIFT = setting_yaml(
    "Shift",
    """
    parameter: scheduler.shift
    models:
      - profile: flux-schnell
        values: [1.0, 3.0, 6.0]
    """,
    value_type="number",
)
SPACING = setting_yaml(
    "Spacing",
    """
    parameter: [scheduler.use_karras_sigmas, scheduler.use_exponential_sigmas, scheduler.use_beta_sigmas]
    values:
      - [false, false, false]
      - [true, false, false]
      - [false, true, false]
      - [false, false, true]
    scheduler: DPMSolverMultistepScheduler
    scheduler_config:
      timestep_spacing: trailing
    arguments:
      num_inference_steps: 4
    """,
    value_type="choice",
)


def _pages(project: Path) -> dict[str, str]:
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    return {page.path: page for page in site.pages}


def test_a_shift_comparison_records_charts_and_reproduces_each_schedule(tmp_path, hub_cache, monkeypatch):
    project = make_project(tmp_path / "p", {"shift": SHIFT}, defaults=defaults_yaml(profiles=FLUX_PROFILE))

    result = run_figures(project)

    assert result.code == 0, result.err
    made = {entry["value"]: entry for entry in manifest(project).values() if entry["role"] == "comparison"}
    assert {value: entry["scheduler_config"] for value, entry in made.items()} == {v: {"shift": v} for v in made}
    assert {entry["scheduler"] for entry in made.values()} == {"FlowMatchEulerDiscreteScheduler"}
    # A larger shift keeps the steps at higher noise: the same step has a larger sigma.
    middle = [made[value]["sigmas"][1] for value in (1.0, 3.0, 6.0)]
    assert middle == sorted(middle) and len(set(middle)) == 3
    assert len(set(images(project).values())) == 3  # three different pictures

    page = _pages(project)["settings/shift.md"]
    charts = dict(page.files)
    assert {"figures/shift/schedule-flux-schnell-light.svg", "figures/shift/schedule-flux-schnell-dark.svg"} <= set(
        charts
    )
    for name in (name for name in charts if "schedule" in name):  # a line and a legend row per value
        assert all(f"scheduler.shift = {value}" in charts[name] for value in (1.0, 3.0, 6.0)), name
    assert 'schedule-flux-schnell-light.svg#only-light"' in page.markdown and "noise level" in page.markdown
    (block,) = model_blocks(page.markdown, project)
    assert "shift=6.0" in "".join(block.images)
    monkeypatch.chdir(tmp_path)
    assert all(image.made == image.shown for image in run_block(block, [2, 0, 1]))


def test_sigma_spacings_run_with_a_fixed_field_and_name_each_tools_schedule(tmp_path, hub_cache, monkeypatch):
    project = make_project(tmp_path / "p", {"spacing": SPACING}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project)

    assert result.code == 0, result.err
    made = [entry for entry in manifest(project).values() if entry["role"] == "comparison"]
    assert all(entry["scheduler_config"]["timestep_spacing"] == "trailing" for entry in made)
    assert len({tuple(entry["sigmas"]) for entry in made}) == 4  # each spacing visits other noise levels
    page = _pages(project)["settings/spacing.md"]
    assert "AUTOMATIC1111: Karras · ComfyUI: karras" in page.markdown
    assert "AUTOMATIC1111: Beta · ComfyUI: beta" in page.markdown
    (block,) = model_blocks(page.markdown, project)
    assert all('timestep_spacing="trailing"' in code or "timestep_spacing='trailing'" in code for code in block.images)
    monkeypatch.chdir(tmp_path)
    assert all(image.made == image.shown for image in run_block(block))


def test_a_field_the_scheduler_lacks_is_refused_at_its_line_with_the_class_named(tmp_path, hub_cache):
    typo = SHIFT.replace("parameter: scheduler.shift", "parameter: scheduler.shfit")
    project = make_project(tmp_path / "p", {"shift": typo}, defaults=defaults_yaml(profiles=FLUX_PROFILE))

    result = run_figures(project)

    assert result.code != 0 and not images(project)
    line = typo.splitlines().index("  parameter: scheduler.shfit") + 1  # once, where the field is named
    (problem,) = [row for row in result.err.splitlines() if "no config field `shfit`" in row]
    assert f"settings/shift.yml:{line}:" in problem
    assert (
        "FlowMatchEulerDiscreteScheduler has no config field `shfit`" in problem and "did you mean 'shift'" in problem
    )


def test_a_compared_field_cannot_also_be_fixed(tmp_path):
    both = SHIFT.replace(
        "parameter: scheduler.shift\n", "parameter: scheduler.shift\n  scheduler_config:\n    shift: 2.0\n"
    )
    project = make_project(tmp_path / "p", {"shift": both}, defaults=defaults_yaml(profiles=FLUX_PROFILE))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    line = both.splitlines().index("    shift: 2.0") + 1
    assert f"settings/shift.yml:{line}:" in result.err and "is the scheduler field being compared" in result.err
