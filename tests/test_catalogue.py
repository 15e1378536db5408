"""The catalogue: enough settings, every page complete, names unique, links both ways,
and every comparison accepted by the diffusers pipeline it runs on."""

from __future__ import annotations

import inspect
import re

import diffusers
import pytest

from settings_guide.figures.plan import ModelResolver, plan_figures
from settings_guide.figures.profiles import load_defaults
from settings_guide.figures.spec import all_specs
from settings_guide.pages.render import make_environment, render_site_pages
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.settings.model import CATEGORIES
from settings_guide.settings.rules import slugify
from settings_guide.site.pages import settings_nav

from .conftest import ROOT

FIGURE_DEFAULTS = ROOT / "figures" / "defaults.yml"
MODEL_FAMILIES = ("SD 1.5", "SDXL", "SDXL-Turbo", "SD3", "FLUX.1 [dev]", "FLUX.1 [schnell]")


@pytest.fixture(scope="module")
def catalogue():
    return load_settings(find_setting_files(ROOT / "settings"))


@pytest.fixture(scope="module")
def pages(catalogue):
    return {page.path: page.markdown for page in render_site_pages(make_environment(ROOT / "templates"), catalogue)}


def test_catalogue_size_and_categories(catalogue):
    assert len(catalogue) >= 24
    assert sum(1 for item in catalogue if item.setting.comparison) >= 24
    # A page without images says why.
    assert all(item.setting.comparison or item.setting.no_comparison for item in catalogue)
    assert {item.setting.category for item in catalogue} == set(CATEGORIES)


def test_every_page_has_every_section(catalogue, pages):
    for item in catalogue:
        page = pages[f"settings/{item.slug}.md"]
        headings = re.findall(r"^## (.+)$", page, re.MULTILINE)
        expected = ["What It Does", "Value Ranges" if item.setting.ranges else "Choices", "Tips"]
        expected += ["Related Settings", "Sources"]
        if item.setting.no_comparison:
            expected.append("Visual Comparison")
            assert "No comparison images for this setting." in page, item.slug
        if item.setting.comparison:
            expected.append("Visual Comparison")
            comparison = item.setting.comparison
            shown = sum(len(comparison.values_for(entry)) for entry in comparison.models or [None])
            assert page.count('<figure class="sg-figure') == shown, item.slug
        for heading in expected:
            assert heading in headings, f"{item.slug}: no '{heading}' section"
        assert f"# {item.setting.name}" in page.replace("\\", "")
        assert "**Also known as:** `" in page, f"{item.slug}: no aliases"
        for band in item.setting.ranges:
            assert f"({band.min} – {band.max})" in page


def test_every_setting_names_its_sources(catalogue):
    for item in catalogue:
        assert item.setting.sources, f"{item.slug} lists no sources"
        assert item.setting.related, f"{item.slug} links to no related setting"
        assert len(item.setting.tips) >= 2, f"{item.slug} has fewer than two tips"


def test_aliases_are_unique_across_settings(catalogue):
    owner: dict[str, str] = {}
    for item in catalogue:
        for name in {slugify(alias) for alias in [item.setting.name, *item.setting.aliases]} | {item.slug}:
            assert owner.setdefault(name, item.slug) == item.slug, f"{name!r}: {owner[name]} and {item.slug}"


def test_related_links_resolve_and_go_both_ways(catalogue, pages):
    slugs = {item.slug for item in catalogue}
    links = {
        slug: set(
            re.findall(
                r"^- \[[^\]]+\]\(([a-z0-9-]+)\.md\)$",
                pages[f"settings/{slug}.md"].split("## Related Settings")[1].split("\n## ")[0],
                re.MULTILINE,
            )
        )
        for slug in slugs
    }
    for slug, targets in links.items():
        assert targets <= slugs, f"{slug} links to {targets - slugs}"
        for target in targets:
            assert slug in links[target], f"{slug} links to {target} but not back"


def test_index_lists_every_category_and_setting(catalogue, pages):
    index = pages["settings/index.md"]
    for title in CATEGORIES.values():
        assert f"## {title}" in index.replace("\\", "")
    for item in catalogue:
        assert f"]({item.slug}.md)" in index
    nav = settings_nav(catalogue, "settings/index.md")["All Settings Guides"]
    assert sum(len(next(iter(section.values()))) for section in nav[1:]) == len(catalogue)


def test_per_model_recommendations_cover_the_main_model_families(catalogue):
    by_slug = {item.slug: item.setting for item in catalogue}
    for slug in ("inference-steps", "guidance-scale"):
        models = " | ".join(row.model for row in by_slug[slug].recommendations)
        for family in MODEL_FAMILIES:
            assert family in models, f"{slug}: no recommendation for {family}"


@pytest.fixture(scope="module")
def planned(catalogue):
    """Every image the catalogue asks for, planned exactly as `settings-guide figures` plans it."""
    return plan_figures(all_specs(catalogue, load_defaults(FIGURE_DEFAULTS)), ModelResolver(ROOT)).jobs


def _accepts(annotation, value) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    if isinstance(value, bool):
        return "bool" in text
    if isinstance(value, int):
        return any(word in text for word in ("int", "float"))
    if isinstance(value, float):
        return "float" in text
    if isinstance(value, str):
        return "str" in text
    return "List" in text or "list" in text or "Tuple" in text or "tuple" in text


def test_each_comparison_is_accepted_by_its_pipeline(planned):
    """Checked against the real diffusers signatures, as the figure run does before loading."""
    from settings_guide.figures.run.checks import check_pipeline_calls, job_class, pipeline_class

    check_pipeline_calls(list(planned))  # names: raises ProblemsFound with file:line:col
    for job in planned:
        spec = job.spec
        if not job.needs_model:  # saved from another image: no pipeline call
            continue
        pipeline = job_class(pipeline_class(spec.pipeline), job)
        parameters = inspect.signature(pipeline.__call__).parameters
        if spec.scheduler:
            assert issubclass(getattr(diffusers, spec.scheduler), diffusers.SchedulerMixin), job.file
        for name, value in spec.arguments.items():
            assert _accepts(parameters[name].annotation, value), f"{job.file}: {name}={value!r}"


def test_model_profiles_are_pinned_and_cited():
    defaults = load_defaults(FIGURE_DEFAULTS).values
    assert {"sdxl", "flux-schnell", "flux-dev", "sd35-medium"} <= set(defaults.models)
    for name, profile in defaults.models.items():
        assert re.fullmatch(r"[0-9a-f]{40}", profile.revision), name
        assert profile.source and profile.source.startswith("https://"), f"{name}: cite its base arguments"
    schnell, medium = defaults.models["flux-schnell"].arguments, defaults.models["sd35-medium"].arguments
    assert (schnell["guidance_scale"], schnell["num_inference_steps"], schnell["max_sequence_length"]) == (0.0, 4, 256)
    assert (medium["num_inference_steps"], medium["guidance_scale"]) == (40, 4.5)


def test_the_main_settings_compare_several_models_and_sweep_each(planned):
    models: dict[str, set[str]] = {}
    swept: dict[str, set[str]] = {}
    for job in planned:
        if job.spec.slug:
            models.setdefault(job.spec.slug, set()).add(job.spec.profile)
        if job.spec.sweep:
            swept.setdefault(job.spec.slug, set()).add(job.spec.sweep.profile)
    assert models["inference-steps"] >= {"sdxl", "flux-schnell", "flux-dev"}
    assert models["guidance-scale"] >= {"sdxl", "sd35-medium", "flux-dev"}
    assert len(models["scheduler"]) >= 2 and len(models["seed"]) >= 2
    # Every model's steps are measured, but the one that must run with model offload (FLUX.2 [dev], 112 GB).
    assert swept["inference-steps"] == models["inference-steps"] - {"flux2-dev"}
    assert swept["guidance-scale"] >= {"sdxl", "sd35-medium", "flux-dev"}
    # Every image of a model-specific comparison names its profile, so pages and runs can group them.
    assert all(job.spec.profile for job in planned if job.spec.per_model)


def test_every_page_has_the_tool_table_with_the_main_tools(catalogue, pages):
    for item in catalogue:
        assert item.setting.tools is not None, f"{item.slug}: fill in `tools`, the In Your Tool table"
        page = pages[f"settings/{item.slug}.md"]
        assert "## In Your Tool" in page, item.slug
        table = page.split("## In Your Tool", 1)[1].split("\n## ", 1)[0]
        for tool in ("diffusers", "AUTOMATIC1111", "Forge", "ComfyUI", "SwarmUI", "InvokeAI"):
            assert re.search(rf"^\| {re.escape(tool)} \| ", table, re.MULTILINE), f"{item.slug}: no {tool} row"


def test_no_source_points_at_a_removed_diffusers_docs_page(catalogue):
    removed = (
        "using-diffusers/sdxl",
        "using-diffusers/sdxl_turbo",
        "using-diffusers/pag",
        "using-diffusers/control_brightness",
    )
    for item in catalogue:
        for source in item.setting.sources:
            assert not source.url.rstrip("/").endswith(removed), f"{item.slug}: {source.url}"


def _prose(setting) -> str:
    """The text a contributor writes about a setting, outside its comparison: prose, tool notes, recommendations."""
    parts = [setting.summary, setting.intro, setting.what_it_does, *setting.tips]
    parts += [band.description for band in setting.ranges] + [choice.description for choice in setting.choices]
    rows = [getattr(setting.tools, tool) for tool in type(setting.tools).model_fields] if setting.tools else []
    parts += [text for row in rows for text in (row.note, row.absent) if text]
    parts += [row.note for row in setting.recommendations if row.note]
    return " ".join(" ".join(part.split()) for part in parts)


def _defaults(row, label: str) -> dict[str | None, str]:
    place = next(place for place in row.places if place.label == label)
    return {default.applies_to: default.value for default in place.defaults}


def test_the_second_pass_corrections_stay_corrected(catalogue):
    """Issue 22's wrong and misleading claims, each checked against the tools' source; none may come back."""
    by_slug = {item.slug: item.setting for item in catalogue}
    tools = {slug: setting.tools for slug, setting in by_slug.items()}

    # AUTOMATIC1111 stopped writing "Batch size" to the saved parameters in January 2023; Forge never did.
    for tool in ("automatic1111", "forge"):
        assert all(place.infotext != "Batch size" for place in getattr(tools["batch-size"], tool).places)
    # The current diffusers reproducibility page has no "deterministic batch generation" section.
    assert all("reusing_seeds" not in source.url for source in by_slug["batch-size"].sources)

    # Forge's UI presets start on their own sampler and schedule type, not DPM++ 2M with Automatic.
    forge = tools["scheduler"].forge
    assert _defaults(forge, "Sampling method") == {
        "sd preset": "Euler a",
        "xl preset": "DPM++ 2M SDE",
        "flux preset": "Euler",
    }
    assert _defaults(tools["schedule-type"].forge, "Schedule type") == {
        "sd preset": "Automatic",
        "xl preset": "Karras",
        "flux preset": "Simple",
    }
    # Step counts and the speed/quality trade-off no longer lean on diffusers docs text removed in v0.36.
    scheduler = _prose(by_slug["scheduler"])
    for gone in (
        "say it can give good images in about 30 steps",
        "also put it at about 30",
        "as the scheduler guide shows",
    ):
        assert gone not in scheduler, gone
    assert "docs describe as a good balance" not in scheduler and "docs call it a good balance" not in scheduler

    # Forge ships PAG (PerturbedAttentionGuidance Integrated, scale 3.0) and IP-Adapter (sd_forge_ipadapter).
    assert tools["pag-scale"].forge.places and not tools["pag-scale"].forge.absent
    assert tools["pag-scale"].forge.places[0].defaults[0].value == "3.0"
    assert tools["ip-adapter-scale"].forge.places and not tools["ip-adapter-scale"].forge.absent

    # The SDXL IP-Adapter is about 700 MB plus a 3.7 GB image encoder, and at 1.0 the text still counts.
    ip_adapter = _prose(by_slug["ip-adapter-scale"])
    assert "100 MB" not in ip_adapter and "700 MB" in ip_adapter
    assert "listening to the image prompt only" not in ip_adapter and "text still counts" in ip_adapter

    # Only the model card recommends 0.5; the current diffusers ControlNet guide has no SD 1.5 examples.
    controlnet = _prose(by_slug["controlnet-conditioning-scale"])
    assert "diffusers docs and the model card" not in controlnet and "diffusers docs recommend 0.5" not in controlnet
    assert "SD 1.5 examples in the same guide" not in controlnet
    # The current diffusers ControlNet guide has no SD 1.5 examples at all, and only the model card says 0.5.
    assert (
        "SD 1.5 examples in the diffusers" not in controlnet and "diffusers guide and the model card" not in controlnet
    )

    # denoising_end cuts at a fraction of the training timesteps, not of the steps; A1111 1.9 switches by timestep.
    refiner = _prose(by_slug["refiner-switch"])
    assert "the base does the first 80% and the refiner the last 20%" not in refiner
    assert "1000 training timesteps" in refiner and "refiner_switch_by_sample_steps" in refiner
    assert "0.8 of 25 steps is step 20." not in refiner

    # ComfyUI's (and Forge's) ControlNet start and end are fractions of the noise range, not of the steps.
    window = _prose(by_slug["controlnet-guidance-start-end"])
    assert "Both values are fractions of the total number of steps" not in window and "noise range" in window

    # Forge ignores --no-half-vae; diffusers' argument is `dtype`; a dtype dict needs its "default" key.
    vae = tools["vae-and-precision"]
    assert "--vae-in-fp32" in _prose(by_slug["vae-and-precision"])
    assert all("--no-half-vae" not in (place.where or "") for place in vae.forge.places)
    assert [place.name for place in vae.diffusers.places] == ["dtype"]
    assert 'Give it a `"default"` key' in _prose(by_slug["vae-and-precision"])
