"""The catalogue's own pages with their figures made and up to date: every measured kind's setting, the LoRA
weight and the scheduler, from settings/*.yml and figures/defaults.yml (shrunk to the tiny models' 32 px, fp32),
run through the figure pipeline on the tiny models, then rendered and read as a newcomer reads them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from settings_guide import kinds
from settings_guide.figures.make import BuildOptions, plan_project
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import TEST_DEVICE, make_project, run_figures
from .page_code import model_blocks, run_block

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = {item.slug: item for item in load_settings(find_setting_files(ROOT / "settings"))}
# Every setting whose comparison is a measurement (a table of numbers or files, not an image grid).
MEASURED = sorted(
    slug
    for slug, item in CATALOGUE.items()
    if getattr(item.setting.comparison, "measure", None) in kinds.names("measure")
)
SLUGS = [*MEASURED, "lora-weight", "scheduler"]


def small_defaults() -> str:
    """figures/defaults.yml with every profile at 32 × 32 in fp32, the size and dtype the tiny models run at, and
    two steps where a profile sets its own (a setting's own steps, the Scheduler's 20, stay)."""
    defaults = yaml.safe_load((ROOT / "figures" / "defaults.yml").read_text("utf-8"))
    for profile in defaults["models"].values():
        profile.update(width=32, height=32, dtype="fp32")
        if "num_inference_steps" in profile.get("arguments", {}):
            profile["arguments"]["num_inference_steps"] = 2
    return yaml.safe_dump(defaults, sort_keys=False, allow_unicode=True)


def own_file(slug: str) -> str:
    """The catalogue's file, less the pages this project does not hold, with three steps where it sets its own
    (the Scheduler's 20): what the page shows does not depend on the count, the test's time does."""
    text = re.sub(r"(?m)^related:.*\n", "", (ROOT / "settings" / f"{slug}.yml").read_text("utf-8"))
    return re.sub(r"(?m)^(\s+num_inference_steps:) \d+$", r"\1 3", text)


@pytest.fixture(scope="module")
def catalogue(tiny_hub_cache, tmp_path_factory):
    """The pages of SLUGS, their figures made by a run with the configured defaults: {slug: markdown}."""
    from huggingface_hub import constants

    base = tmp_path_factory.mktemp("catalogue")
    cache = Path(shutil.copytree(tiny_hub_cache, base / "cache", symlinks=True))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(cache))
        patch.setattr(constants, "HF_HUB_CACHE", str(cache))  # read at import: follow the env
        project = make_project(base / "p", {slug: own_file(slug) for slug in SLUGS}, small_defaults())
        result = run_figures(project)
        assert result.code == 0, result.out + result.err
        planned = plan_project(BuildOptions(root=project), None)
        assert not planned.todo and planned.states  # every image up to date, as the pages plan them
        site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
        yield project, {page.path.removeprefix("settings/").removesuffix(".md"): page.markdown for page in site.pages}


def comparison(markdown: str) -> str:
    return markdown.split("## Visual Comparison", 1)[1].split("\n## ", 1)[0]


def test_the_catalogue_has_a_measured_setting_of_each_measured_kind():
    used = {CATALOGUE[slug].setting.comparison.measure for slug in MEASURED}
    assert used == set(kinds.names("measure")), "a measured kind without a catalogue page to check"


@pytest.mark.parametrize("slug", MEASURED)
def test_a_measured_page_with_its_figures_made_says_how_and_reproduces_them(catalogue, slug, tmp_path, monkeypatch):
    project, pages = catalogue
    shown = comparison(pages[slug])
    assert "have not been generated yet" not in shown and "Image pending" not in shown and "Out of date" not in shown
    sdxl = yaml.safe_load((ROOT / "figures" / "defaults.yml").read_text("utf-8"))["models"]["sdxl"]
    assert f"Made with <code>{sdxl['model']}</code> at revision <code>{sdxl['revision'][:12]}</code>" in shown
    # Its Reproduce block makes the very files the page shows: each format's, each batch's first image.
    [block] = model_blocks(pages[slug], project)
    code = block.setup + "".join(block.images)
    # The model loads once, or once per image where the compared value changes the load (quantized weights).
    assert code.count("from_pretrained(") in (1, len(block.images)) and "dtype=torch.float32" in code
    monkeypatch.chdir(tmp_path)
    made = run_block(block)
    values = CATALOGUE[slug].setting.comparison.values
    # A value whose backend needs CUDA has a labelled slot and no code on a CPU run.
    without_image = [value for value in values if value == "int4-weight-only"] if TEST_DEVICE != "cuda" else []
    assert len(made) == len(values) - len(without_image) and all(image.made == image.shown for image in made)
    assert shown.count("Needs a CUDA GPU") >= len(without_image)


def test_the_lora_page_gives_automatic1111_its_lora_tag(catalogue):
    _, pages = catalogue
    adapter = CATALOGUE["lora-weight"].setting.comparison.adapter
    name = adapter.weight_name.rsplit(".", 1)[0]  # the file the reader downloads, as AUTOMATIC1111 lists it
    shown = comparison(pages["lora-weight"])
    for weight in ("0", "0.5", "1", "1.5"):
        assert f" &lt;lora:{name}:{weight}&gt;\nNegative prompt: " in shown
    assert "cannot" not in shown and "No AUTOMATIC1111 parameters" not in shown


def test_the_scheduler_captions_name_each_schedulers_counterparts(catalogue):
    from settings_guide.pages.figures.samplers import SAMPLERS  # the captions' names, in one place

    _, pages = catalogue
    shown = comparison(pages["scheduler"])
    setting = CATALOGUE["scheduler"].setting
    for model in setting.comparison.models:
        for value in setting.comparison.values_for(model):
            names = SAMPLERS[value]
            caption = (
                f'<figcaption><code>scheduler = {value}</code><br><span class="sg-also-called">'
                f"AUTOMATIC1111: {names.automatic1111} · ComfyUI: {names.comfyui}</span>"
            )
            assert caption in shown, value
    assert "AUTOMATIC1111: Euler a · ComfyUI: euler_ancestral" in shown


def test_each_scheduler_image_is_made_by_its_own_lines_in_any_order(catalogue, tmp_path, monkeypatch):
    project, pages = catalogue
    sdxl, sd35 = model_blocks(pages["scheduler"], project)
    assert "own_scheduler = pipe.scheduler" in sdxl.setup
    assert all(code.startswith("pipe.scheduler = ") for code in sdxl.images)
    monkeypatch.chdir(tmp_path)
    for block in (sdxl, sd35):
        backwards = run_block(block, list(reversed(range(len(block.images)))))
        assert backwards and all(image.made == image.shown for image in backwards)
