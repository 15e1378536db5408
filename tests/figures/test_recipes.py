"""Comparisons beyond one call argument, end to end on the tiny models in the offline Hub cache:
two-stage recipes (hires fix, base + refiner), adapters (LoRA, ControlNet, IP-Adapter, a VAE),
values that are pairs, and comparisons that measure (output formats, batch size)."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pytest

from settings_guide.figures.make import BuildOptions, plan_project
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import declared_adapters, defaults_yaml, make_project, manifest, run_figures, setting_yaml
from .tiny_adapters import ADAPTER_REPOS, IP_ADAPTER_SUBFOLDER, IP_ADAPTER_WEIGHT, LORA_WEIGHT
from .tiny_models import copy_snapshot, snapshot_folder

ROOT = Path(__file__).resolve().parents[2]
REFINER_ID, REFINER_COMMIT = ADAPTER_REPOS["sdxl-refiner"]
LORA_ID, LORA_COMMIT = ADAPTER_REPOS["lora"]
REFINER_PROFILE = f"""\
sdxl-refiner:
  label: SDXL refiner
  model: {REFINER_ID}
  revision: {REFINER_COMMIT}
  pipeline: StableDiffusionXLImg2ImgPipeline
  dtype: fp32
  width: 32
  height: 32
"""


def adapter(name: str, kind: str, **fields: str) -> str:
    repo, commit = ADAPTER_REPOS[name]
    lines = [f"kind: {kind}", f"name: {fields.pop('as', name)}", f"model: {repo}", f"revision: {commit}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "adapter:\n" + "".join(f"  {line}\n" for line in lines)


STEPS = "arguments:\n  num_inference_steps: 4\n"
SETTINGS = {
    "hires": setting_yaml(
        "Hires",
        "parameter: strength\nvalues: [0.5, 0.75]\nranges_apply: false\nrecipe:\n  kind: hires-fix\n"
        "  upscale: 1.5\n" + STEPS,
        "number",
    ),
    "refiner": setting_yaml(
        "Refiner",
        "parameter: denoising_end\nvalues: [0.5, 0.75]\nrecipe:\n  kind: refiner\n  refiner: sdxl-refiner\n" + STEPS,
        "number",
    ),
    "lora": setting_yaml(
        "Lora",
        "parameter: lora_scale\nvalues: [0, 1.5]\n" + adapter("lora", "lora", weight_name=LORA_WEIGHT),
        "number",
    ),
    "controlnet": setting_yaml(
        "Control",
        "parameter: [control_guidance_start, control_guidance_end]\nvalues: [[0.0, 1.0], [0.5, 1.0]]\n"
        + adapter("controlnet", "controlnet", control="canny"),
        "number",
    ),
    "ip": setting_yaml(
        "Ip",
        "parameter: ip_adapter_scale\nvalues: [0, 1]\n"
        + adapter(
            "ip-adapter",
            "ip-adapter",
            subfolder=IP_ADAPTER_SUBFOLDER,
            weight_name=IP_ADAPTER_WEIGHT,
            reference_prompt="a blue boat",
        ),
        "number",
    ),
    "precision": setting_yaml(
        "Precision",
        "parameter: [dtype, vae]\nvalues: [[fp32, stock], [fp16, stock-no-upcast], [fp16, fp16-fix]]\n"
        + adapter("vae-fp16-fix", "vae", **{"as": "fp16-fix"}),
        "choice",
    ),
    "size": setting_yaml(
        "Size",
        "parameter: [original_size, crops_coords_top_left]\nvalues: [[[32, 32], [0, 0]], [[8, 8], [0, 0]]]",
    ),
    "formats": setting_yaml(
        "Formats", "parameter: format\nmeasure: output-format\nvalues: [png, jpeg-90, jpeg-40, webp-80]", "choice"
    ),
    "batch": setting_yaml("Batch", "parameter: num_images_per_prompt\nmeasure: batch-size\nvalues: [1, 2]"),
}


@pytest.fixture(scope="module")
def module_cache(tiny_hub_cache, tmp_path_factory):
    """This module's copy of the tiny Hub cache (models, adapters, refiner), in use, with the Hub off."""
    from huggingface_hub import constants

    cache = Path(shutil.copytree(tiny_hub_cache, tmp_path_factory.mktemp("recipes") / "cache", symlinks=True))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(cache))
        patch.setattr(constants, "HF_HUB_CACHE", str(cache))  # read at import: follow the env
        yield cache


@pytest.fixture(scope="module")
def made(module_cache, tmp_path_factory):
    """Every kind of comparison, made once: (project, the run's result)."""
    project = make_project(
        tmp_path_factory.mktemp("recipes") / "p",
        SETTINGS,
        defaults_yaml(dtype="fp32", profiles=REFINER_PROFILE, adapters=declared_adapters()),
    )
    return project, run_figures(project)


class CallLog:
    """Records every timed pipeline call (warm-ups, seeded 0, are left out) while leaving the call itself alone."""

    def __init__(self, monkeypatch):
        import diffusers

        self.calls: list[tuple[str, dict]] = []
        for cls in (diffusers.StableDiffusionXLPipeline, diffusers.StableDiffusionXLImg2ImgPipeline):
            monkeypatch.setattr(cls, "__call__", self._recording(cls.__call__))

    def _recording(self, call):
        @functools.wraps(call)  # keeps the signature, which the figure run checks arguments against
        def recorded(pipe, *args, **kwargs):
            if kwargs["generator"].initial_seed() != 0:
                self.calls.append((type(pipe).__name__, kwargs))
            return call(pipe, *args, **kwargs)

        return recorded

    def of(self, cls: str, **having) -> list[dict]:
        return [kw for name, kw in self.calls if name == cls and all(kw.get(k) == v for k, v in having.items())]


def test_every_recipe_adapter_and_measurement_makes_its_images(made):
    project, result = made

    assert result.code == 0, result.err
    entries = manifest(project)
    compared = {file: entry for file, entry in entries.items() if not file.startswith("_inputs/")}
    assert len(compared) == 21, sorted(compared)
    # The hires fix: the 32 x 32 first image enlarged 1.5 x, then image-to-image at each strength.
    hires = entries["hires/strength-0.5.webp"]
    assert (hires["width"], hires["height"]) == (48, 48)
    assert hires["pipeline"] == "StableDiffusionXLImg2ImgPipeline"
    assert hires["call"]["image"].startswith("_inputs/") and hires["inputs"]["upscale"] == 1.5
    first = entries[hires["call"]["image"]]
    assert (first["width"], first["height"]) == (32, 32) and first["call"]["num_inference_steps"] == 4
    # The refiner ensemble: made by the refiner, from the base's latents, starting where the base stopped.
    refined = entries["refiner/denoising_end-0.5.webp"]
    assert (refined["model"], refined["revision"]) == (REFINER_ID, REFINER_COMMIT)
    assert refined["call"]["denoising_start"] == 0.5 and "image" not in refined["call"]
    stage = refined["first_stage"]
    assert stage["call"]["denoising_end"] == 0.5 and stage["call"]["output_type"] == "latent"
    assert refined["inputs"]["recipe"] == "refiner"
    # Adapters are part of what made the image, pinned.
    assert entries["lora/lora_scale-1.5.webp"]["inputs"]["adapter"]["revision"] == LORA_COMMIT
    assert entries["controlnet/control_guidance_start-control_guidance_end-0.5-1.0.webp"]["pipeline"] == (
        "StableDiffusionXLControlNetPipeline"
    )
    assert entries["ip/ip_adapter_scale-1.webp"]["call"]["ip_adapter_image"].startswith("_inputs/")
    # Pairs: a readable file name, and the tuple the pipeline took, as recorded.
    assert entries["size/original_size-crops_coords_top_left-8x8-0x0.webp"]["call"]["original_size"] == [8, 8]
    # Output formats: one lossless image saved in each; the recorded size is the file's.
    for value, suffix in (("png", "png"), ("jpeg-90", "jpg"), ("jpeg-40", "jpg"), ("webp-80", "webp")):
        entry = entries[f"formats/format-{value}.{suffix}"]
        assert entry["bytes"] == (project / "figures" / entry["file"]).stat().st_size
        assert (project / "figures" / entry["crop"]["file"]).is_file()
    assert entries["formats/format-jpeg-40.jpg"]["bytes"] < entries["formats/format-jpeg-90.jpg"]["bytes"]
    # Batch size: seconds per image of a real batch, with the device that measured it.
    batch = entries["batch/num_images_per_prompt-2.webp"]
    assert batch["batch_size"] == 2 and batch["call"]["num_images_per_prompt"] == 2 and batch["device"] == "CPU"
    assert batch["peak_memory_bytes"] is None  # the CPU has no per-call peak to read


def test_fp16_with_the_stock_vae_gives_a_labelled_slot_not_a_broken_image(made):
    project, _ = made
    entries = manifest(project)

    broken = entries["precision/dtype-vae-fp16-stock-no-upcast.webp"]
    fixed = entries["precision/dtype-vae-fp16-fp16-fix.webp"]

    assert broken["result"] == "nan" and not (project / "figures" / broken["file"]).exists()
    assert (
        "fp16 with the model's own VAE decoding in fp16 (diffusers' fp32 upcast switched off) produced NaN"
        in (broken["message"])
    )
    assert "result" not in fixed and (project / "figures" / fixed["file"]).is_file()
    page = comparison_html(project, "precision")
    assert re.search(
        r'<div class="sg-failure" role="img" aria-label="No image for dtype = fp16 · vae = stock-no-upcast', page
    )
    assert '<img src="../../figures/precision/dtype-vae-fp16-fp16-fix.webp"' in page
    # A second run counts the labelled result as made, and keeps it.
    assert "generated 0, cached" in run_figures(project).out
    assert manifest(project)[broken["file"]]["result"] == "nan"


def test_the_pages_show_sizes_crops_pairs_and_the_batch_chart(made):
    project, _ = made
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    pages = {p.path: p.markdown for p in site.pages}

    formats = pages["settings/formats.md"]
    size = manifest(project)["formats/format-jpeg-40.jpg"]["size"]
    assert f'<code>format = jpeg-40</code> <span class="sg-file-size">{size}</span>' in formats
    assert '<img class="sg-crop" src="../../figures/formats/format-jpeg-40-crop.png"' in formats
    assert "<code>original_size = (8, 8) · crops_coords_top_left = (0, 0)</code>" in pages["settings/size.md"]
    assert "enlarged 1.5× with Lanczos resampling (Pillow)" in pages["settings/hires.md"]
    # What the images start from or follow is shown beside them, and published.
    assert 'alt="The first stage, before its enlargement" width="32" height="32"' in pages["settings/hires.md"]
    assert 'alt="The reference image"' in pages["settings/ip.md"]
    control = manifest(project)["controlnet/control_guidance_start-control_guidance_end-0.5-1.0.webp"]["control_image"]
    assert control["file"].endswith("-canny.png") and (project / "figures" / control["file"]).is_file()
    assert (
        f'<img src="../../figures/{control["file"]}" alt="The control image: its Canny edges"'
        in (pages["settings/controlnet.md"])
    )
    assert project / "figures" / control["file"] in site.figure_files
    batch = pages["settings/batch.md"]
    assert "### Measured Time and Memory" in batch and 'src="../../figures/batch/batch-light.svg#only-light"' in batch
    assert "peak memory was not measured" in site.generated_files["figures/batch/batch-light.svg"].lower() or (
        "not measured" in site.generated_files["figures/batch/batch-light.svg"]
    )


def test_values_sharing_a_first_stage_reuse_it(module_cache, tmp_path, monkeypatch):
    project = make_project(
        tmp_path / "p",
        {"hires": SETTINGS["hires"].replace("[0.5, 0.75]", "[0.5, 0.75, 1.0]"), "refiner": SETTINGS["refiner"]},
        defaults_yaml(dtype="fp32", profiles=REFINER_PROFILE),
    )
    log = CallLog(monkeypatch)

    assert run_figures(project).code == 0

    base, img2img = "StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline"
    # The hires fix's three strengths share one first image; each refiner value has its own base stage.
    assert len(log.of(base, output_type="np")) == 1
    assert len(log.of(img2img, strength=0.5)) + len(log.of(img2img, strength=0.75)) == 2
    assert sorted(kw["denoising_end"] for kw in log.of(base, output_type="latent")) == [0.5, 0.75]
    assert sorted(kw["denoising_start"] for kw in log.of(img2img) if "denoising_start" in kw) == [0.5, 0.75]
    # Made again: nothing runs; one refined image lost: only the refiner runs, from its cached stage.
    log.calls.clear()
    assert "generated 0" in run_figures(project).out and log.calls == []
    (project / "figures" / "refiner/denoising_end-0.75.webp").unlink()
    assert run_figures(project).code == 0
    assert [(name, kw.get("denoising_start")) for name, kw in log.calls] == [(img2img, 0.75)]
    # Without its cached stage, the base runs again first.
    log.calls.clear()
    shutil.rmtree(project / "figures" / ".stages")
    (project / "figures" / "refiner/denoising_end-0.5.webp").unlink()
    assert run_figures(project).code == 0
    assert [(name, kw.get("denoising_end"), kw.get("denoising_start")) for name, kw in log.calls] == [
        (base, 0.5, None),
        (img2img, None, 0.5),
    ]


def test_changing_an_adapters_revision_makes_only_its_images_stale(made, module_cache):
    project, _ = made
    new_commit = "d" * 40
    copy_snapshot(module_cache, LORA_ID, LORA_COMMIT, new_commit)
    # The new commit in the setting, and declared by a maintainer in figures/defaults.yml.
    changed = [project / "settings" / "lora.yml", project / "figures" / "defaults.yml"]
    for path in changed:
        path.write_text(path.read_text().replace(LORA_COMMIT, new_commit))
    try:
        planned = plan_project(BuildOptions(root=project), "fp32")
    finally:  # this module shares its cache and project: put both back
        for path in changed:
            path.write_text(path.read_text().replace(new_commit, LORA_COMMIT))
        snapshot_folder(module_cache, LORA_ID, LORA_COMMIT)  # `main` points at the pinned commit again

    stale = sorted(state.job.file for state in planned.states if state.state != "fresh")
    assert stale == ["lora/lora_scale-0.webp", "lora/lora_scale-1.5.webp"], [
        (s.job.file, s.reason) for s in planned.states if s.state != "fresh"
    ]
    assert {state.reason for state in planned.states if state.state != "fresh"} == {"changed: adapter"}


def comparison_html(project: Path, slug: str) -> str:
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    [page] = [p.markdown for p in site.pages if p.path == f"settings/{slug}.md"]
    return page.split("## Visual Comparison", 1)[1]


def test_an_unpinned_adapter_is_refused_at_its_line_and_pin_writes_its_commit(module_cache, tmp_path):
    lora = re.sub(rf"\n *revision: {LORA_COMMIT}", "", SETTINGS["lora"])
    project = make_project(tmp_path / "p", {"lora": lora}, defaults_yaml(dtype="fp32", adapters=declared_adapters()))

    refused = run_figures(project, "--dry-run")

    assert refused.code == 1
    assert re.search(r"lora\.yml:\d+:\d+: comparison\.adapter\.model: nerijs/pixel-art-xl is not pinned", refused.err)
    pinned = run_figures(project, "--pin")
    assert pinned.code == 0 and "pinned 1 of 1 unpinned models" in pinned.out
    text = (project / "settings" / "lora.yml").read_text()
    assert f"    model: {LORA_ID}\n    revision: {LORA_COMMIT}  # pinned by `settings-guide figures --pin`\n" in text
    assert run_figures(project, "--dry-run").code == 0
