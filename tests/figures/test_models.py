"""One setting, several models: tiny SDXL and FLUX stand-ins in an offline Hugging Face cache, loaded
by Hub id at their pinned commits, exactly as a maintainer's run loads the real ones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

from settings_guide.figures.make import BuildOptions, plan_project
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import FLUX_PROFILE, HUB_MODEL, defaults_yaml, make_project, manifest, run_figures, setting_yaml
from .tiny_models import HUB_MODELS, copy_snapshot

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
FLUX_ID, FLUX_COMMIT = HUB_MODELS["flux-schnell"]

STEPS_ACROSS_MODELS = setting_yaml(
    "Steps",
    """
    parameter: num_inference_steps
    models:
      - profile: sdxl
        values: [2, 3]
        sweep:
          values: [1, 2, 3]
          reference: 3
      - profile: flux-schnell
        values: [1, 2]
        sweep:
          values: [1, 2, 3]
          reference: 3
        note: Distilled for **few** steps.
    """,
)
SEEDS_ACROSS_MODELS = setting_yaml("Seeds", "parameter: seed\nvalues: [1, 2]\nmodels: [sdxl, flux-schnell]")


def project_with_two_models(root: Path) -> Path:
    return make_project(
        root,
        {"steps": STEPS_ACROSS_MODELS, "seeds": SEEDS_ACROSS_MODELS},
        defaults=defaults_yaml(model=HUB_MODEL, dtype="fp32", profiles=FLUX_PROFILE),
    )


def sweeps(project: Path) -> dict[str, dict]:
    data = json.loads((project / "figures" / "manifest.json").read_text("utf-8"))
    return {f"{s['setting']}/{s['profile']}" if "profile" in s else s["setting"]: s for s in data.get("sweeps", [])}


def test_every_model_makes_its_images_and_sweeps_from_the_hub_cache(tmp_path, hub_cache):
    project = project_with_two_models(tmp_path / "p")

    result = run_figures(project)

    assert result.code == 0, result.err
    # 3 + 3 sweep images for steps (2 of each model's shared with its comparison), 2 + 2 seeds; each model once.
    assert "generated 10, cached 0, failed 0, measured 2 sweeps (2 models loaded," in result.out
    entries = manifest(project)
    assert sorted(entries) == [
        "seeds/flux-schnell/seed-1.webp",
        "seeds/flux-schnell/seed-2.webp",
        "seeds/sdxl/seed-1.webp",
        "seeds/sdxl/seed-2.webp",
        "steps/flux-schnell/num_inference_steps-1.webp",
        "steps/flux-schnell/num_inference_steps-2.webp",
        "steps/flux-schnell/num_inference_steps-3.webp",
        "steps/sdxl/num_inference_steps-1.webp",
        "steps/sdxl/num_inference_steps-2.webp",
        "steps/sdxl/num_inference_steps-3.webp",
    ]
    flux = entries["steps/flux-schnell/num_inference_steps-1.webp"]
    assert (flux["profile"], flux["label"], flux["model"]) == ("flux-schnell", "FLUX.1 [schnell]", FLUX_ID)
    assert flux["pipeline"] == "FluxPipeline" and flux["revision"] == FLUX_COMMIT  # the snapshot it loaded
    assert flux["call"]["guidance_scale"] == 0.0 and "negative_prompt" not in flux["call"]  # its profile's call
    sdxl = entries["steps/sdxl/num_inference_steps-2.webp"]
    assert sdxl["pipeline"] == "StableDiffusionXLPipeline" and sdxl["revision"] == HUB_MODELS["sdxl"][1]
    # Same prompt and seed on both models, unless a comparison says otherwise.
    assert flux["call"]["prompt"] == sdxl["call"]["prompt"] and flux["seed"] == sdxl["seed"] == 7
    measured = sweeps(project)
    assert sorted(measured) == ["steps/flux-schnell", "steps/sdxl"]
    assert measured["steps/flux-schnell"]["label"] == "FLUX.1 [schnell]"
    assert [p["file"] for p in measured["steps/sdxl"]["points"]] == [
        f"steps/sdxl/num_inference_steps-{n}.webp" for n in (1, 2, 3)
    ]

    again = run_figures(project)
    assert "generated 0, cached 10, failed 0" in again.out and "models loaded" not in again.out


def test_the_plan_names_the_model_of_every_image(tmp_path, hub_cache):
    project = project_with_two_models(tmp_path / "p")

    dry = run_figures(project, "--dry-run")

    assert dry.code == 0, dry.err
    assert "missing  steps/flux-schnell/num_inference_steps-3.webp  [FLUX.1 [schnell]]  (not generated yet)" in dry.out
    assert "missing  sweep of steps/sdxl  [SDXL]  (not measured yet)" in dry.out
    assert f"FLUX.1 [schnell] ({FLUX_ID} @ {FLUX_COMMIT[:12]}): 5 images, 5 to make, 10 denoising steps" in dry.out


def test_changing_one_profiles_revision_makes_only_its_images_stale(tmp_path, hub_cache):
    project = project_with_two_models(tmp_path / "p")
    assert run_figures(project).code == 0
    new_commit = "c" * 40
    copy_snapshot(hub_cache, FLUX_ID, FLUX_COMMIT, new_commit)  # a new push of the same weights
    defaults = project / "figures" / "defaults.yml"
    defaults.write_text(defaults.read_text().replace(FLUX_COMMIT, new_commit))

    check = run_figures(project, "--check")

    assert check.code == 1
    stale = [re.match(r"stale +(?:sweep of )?(\S+)", line)[1] for line in check.out.splitlines() if line[:5] == "stale"]
    assert sorted(stale) == [
        "seeds/flux-schnell/seed-1.webp",
        "seeds/flux-schnell/seed-2.webp",
        "steps/flux-schnell",  # its sweep: "stale    sweep of steps/flux-schnell"
        "steps/flux-schnell/num_inference_steps-1.webp",
        "steps/flux-schnell/num_inference_steps-2.webp",
        "steps/flux-schnell/num_inference_steps-3.webp",
    ]
    assert "steps/flux-schnell/num_inference_steps-1.webp  [FLUX.1 [schnell]]  (changed: revision)" in check.out
    rerun = run_figures(project)
    assert "generated 5, cached 5, failed 0, measured 1 sweep (1 model loaded," in rerun.out
    assert manifest(project)["steps/flux-schnell/num_inference_steps-1.webp"]["revision"] == new_commit


def test_the_page_has_a_tab_a_scrubber_and_a_chart_line_per_model(tmp_path, hub_cache):
    project = project_with_two_models(tmp_path / "p")
    assert run_figures(project).code == 0

    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))

    [page] = [p.markdown for p in site.pages if p.path == "settings/steps.md"]
    comparison = page.split("## Visual Comparison", 1)[1].split("\n## ", 1)[0]
    labels = re.findall(r'<label for="sg-model-steps-\d">([^<]+)</label>', comparison)
    assert labels == ["SDXL", "FLUX.1 [schnell]"]
    blocks = comparison.split('<div class="tabbed-block">')[1:]
    assert '<img src="../../figures/steps/sdxl/num_inference_steps-2.webp"' in blocks[0]
    assert '<img src="../../figures/steps/flux-schnell/num_inference_steps-1.webp"' in blocks[1]
    assert "<p>Distilled for <strong>few</strong> steps.</p>" in blocks[1] and "Distilled" not in blocks[0]
    assert (
        f"Made with FLUX.1 [schnell] (<code>{FLUX_ID}</code> at revision <code>{FLUX_COMMIT[:12]}</code>)"
        in (blocks[1])
    )
    for block, profile in zip(blocks, ("sdxl", "flux-schnell"), strict=True):
        scrubber = block.split('<div class="sg-scrubber"', 1)[1]
        assert 'data-sg-start="2"' in scrubber  # the reference, 3 steps
        assert scrubber.count('<li class="sg-scrubber-point"') == 3
        assert f'<a href="../../figures/steps/{profile}/num_inference_steps-1.webp">' in scrubber
    # One chart for both models: a solid line (difference) and a dashed one (seconds) each, and a legend entry.
    chart = site.generated_files["figures/steps/sweep-light.svg"]
    svg = ElementTree.fromstring(chart)
    lines = list(svg.iter(f"{SVG}polyline"))
    plotted = [line for line in lines if len(line.get("points").split()) == 3]
    assert len([line for line in plotted if line.get("stroke-dasharray")]) == 2
    assert len([line for line in plotted if not line.get("stroke-dasharray")]) == 2
    legend = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "SDXL (reference: 3)" in legend and "FLUX.1 [schnell] (reference: 3)" in legend
    assert "measured with SDXL" not in page and "Measured with SDXL (<code>" in page
    caption = page.split('<figure class="sg-chart', 1)[1].split("</figcaption>", 1)[0]
    assert "SDXL: " in caption and "FLUX.1 [schnell]: " in caption


def test_shards_keep_each_model_of_a_setting_together_and_balance_steps(tmp_path, hub_cache):
    project = project_with_two_models(tmp_path / "p")
    shards = [plan_project(BuildOptions(root=project, shard=(k, 2)), "fp32") for k in (1, 2)]

    groups = [{(s.job.spec.slug, s.job.spec.profile) for s in shard.states} for shard in shards]
    assert not groups[0] & groups[1]
    assert groups[0] | groups[1] == {(slug, p) for slug in ("steps", "seeds") for p in ("sdxl", "flux-schnell")}
    # Each shard measures the sweeps whose images it makes.
    for shard, mine in zip(shards, groups, strict=True):
        assert {(s.sweep.spec.slug, s.sweep.spec.profile) for s in shard.sweep_states} == {
            group for group in mine if group[0] == "steps"
        }
