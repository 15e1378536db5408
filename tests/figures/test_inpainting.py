"""The inpainting recipe on the tiny SDXL: the mask drawn from the input image, blurred per compared value,
the result pasted back through it; the page shows the mask, and its Reproduce code makes the same bytes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import defaults_yaml, images, make_project, manifest, run_figures, setting_yaml
from .page_code import model_blocks, run_block

ROOT = Path(__file__).resolve().parents[2]

BLUR = setting_yaml(
    "Blur",
    """
    parameter: mask_blur
    values: [0, 1, 3]
    recipe:
      kind: inpainting
    prompt: a white owl on a mossy log
    arguments:
      strength: 0.9
    """,
)


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_each_blur_repaints_inside_the_mask_and_keeps_the_rest(tmp_path, hub_cache, monkeypatch):
    project = make_project(tmp_path / "p", {"blur": BLUR}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project)

    assert result.code == 0, result.err
    entries = manifest(project)
    made = {entry["value"]: entry for entry in entries.values() if entry["role"] == "comparison"}
    assert set(made) == {0, 1, 3}
    assert {entry["pipeline"] for entry in made.values()} == {"StableDiffusionXLInpaintPipeline"}
    (mask_file,) = {entry["mask_image"]["file"] for entry in made.values()}
    figures = project / "figures"
    with Image.open(figures / mask_file) as mask:
        sharp = np.asarray(mask) > 127
    assert 0.2 < sharp.mean() < 0.5  # a centred ellipse, not the whole picture
    (source,) = {entry["call"]["image"] for entry in made.values()}
    with Image.open(figures / source) as input_image:
        original = np.asarray(input_image.convert("RGB"), dtype=np.int16)
    files = images(project)
    outside = ~sharp
    for value, entry in made.items():
        pixels = _pixels(files[entry["file"]])
        changed = np.abs(pixels - original).max(axis=-1)
        # Far from the mask the input image is kept (up to the WebP encoding); inside it is repainted.
        far = outside & (np.abs(np.arange(sharp.shape[0])[:, None] - sharp.shape[0] / 2) > sharp.shape[0] * 0.46)
        assert changed[sharp].mean() > 3 * changed[far].mean(), value
    assert len({files[entry["file"]] for entry in made.values()}) == 3  # each blur another picture

    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    page = next(page for page in site.pages if page.path == "settings/blur.md")
    assert "The mask: white is repainted" in page.markdown and Path(mask_file).name in page.markdown
    (block,) = model_blocks(page.markdown, project)
    assert "StableDiffusionXLInpaintPipeline" in block.setup and "apply_overlay" in "".join(block.images)
    monkeypatch.chdir(project)  # the code loads the input image from the page's figures folder
    assert all(image.made == image.shown for image in run_block(block))


def test_a_blur_that_is_not_a_radius_is_refused_at_its_line(tmp_path):
    bad = BLUR.replace("values: [0, 1, 3]", "values: [0, -4, 3]")
    project = make_project(tmp_path / "p", {"blur": bad}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    line = bad.splitlines().index("  values: [0, -4, 3]") + 1
    assert f"settings/blur.yml:{line}:" in result.err and "a mask blur is a radius in pixels" in result.err


PADDING = setting_yaml(
    "Padding",
    """
    parameter: padding_mask_crop
    values: [2, 8]
    recipe:
      kind: inpainting
      mask_blur: 1
    prompt: a white owl on a mossy log
    arguments:
      strength: 0.9
    """,
)


def test_only_masked_padding_lets_the_pipeline_paste_its_crop_back(tmp_path, hub_cache, monkeypatch):
    project = make_project(tmp_path / "p", {"padding": PADDING}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project)

    assert result.code == 0, result.err
    made = {entry["value"]: entry for entry in manifest(project).values() if entry["role"] == "comparison"}
    assert {value: entry["call"]["padding_mask_crop"] for value, entry in made.items()} == {2: 2, 8: 8}
    assert {entry["inputs"]["applied"]["mask_blur"] for entry in made.values()} == {1}  # the recipe's own blur
    files = images(project)
    assert files[made[2]["file"]] != files[made[8]["file"]]
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    page = next(page for page in site.pages if page.path == "settings/padding.md")
    (block,) = model_blocks(page.markdown, project)
    assert "padding_mask_crop=2" in block.images[0] and "apply_overlay" not in "".join(block.images)
    monkeypatch.chdir(project)
    assert all(image.made == image.shown for image in run_block(block))


def test_an_inpainting_comparison_without_a_blur_is_refused_at_its_recipe(tmp_path):
    bare = PADDING.replace("    mask_blur: 1\n", "")
    assert bare != PADDING
    project = make_project(tmp_path / "p", {"padding": bare}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    line = bare.splitlines().index("    kind: inpainting") + 1  # the recipe block starts there
    assert f"settings/padding.yml:{line}:" in result.err and "inpainting needs its mask's blur" in result.err


def test_a_quick_run_at_a_smaller_size_scales_the_blur_and_the_padding_with_the_picture(tmp_path):
    from settings_guide.figures.make import BuildOptions, plan_project

    project = make_project(tmp_path / "p", {"padding": PADDING, "blur": BLUR}, defaults=defaults_yaml(dtype="fp32"))

    def compared(size):
        planned = plan_project(BuildOptions(root=project, size=size), None)
        jobs = [job for job in planned.full.jobs if job.spec.role == "comparison"]
        return {
            (job.spec.slug, job.spec.value): (
                job.spec.applied["mask_blur"],
                job.spec.arguments.get("padding_mask_crop"),
            )
            for job in jobs
        }

    native, half = compared(None), compared((16, 16))  # the tiny profile's own size is 32 x 32
    assert native[("padding", 8)] == (1, 8) and half[("padding", 8)] == (0.5, 4)  # the same share of the picture
    assert native[("blur", 3)] == (3, None) and half[("blur", 3)] == (1.5, None)
    assert {key for key in native} == {key for key in half}  # captions keep the configured values
