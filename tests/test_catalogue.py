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
        for tool in ("diffusers", "AUTOMATIC1111 / Forge", "ComfyUI", "InvokeAI"):
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
