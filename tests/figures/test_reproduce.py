"""Every image's "Reproduce" code makes the same file: the code each page shows (a model's set-up, then each
image's lines) runs against the tiny models in the offline Hugging Face cache, and what it saves must be the
run's file, byte for byte."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from settings_guide.pages.figures.automatic1111 import SAMPLERS, automatic1111_parameters
from settings_guide.pages.figures.samplers import SAMPLERS as SAMPLER_NAMES
from settings_guide.python_code import python_literal
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import make_project, manifest, run_figures, setting_yaml
from .page_code import model_blocks, run_block
from .tiny_adapters import ADAPTER_REPOS, IP_ADAPTER_SUBFOLDER, IP_ADAPTER_WEIGHT, LORA_WEIGHT

ROOT = Path(__file__).resolve().parents[2]
SITE_URL = "https://example.org/guide/"

# One comparison per pipeline family of the catalogue, on the real figures/defaults.yml profiles.
FAMILIES = {
    "steps": setting_yaml(
        "Steps",
        """
        parameter: num_inference_steps
        models:
          - profile: sdxl
            values: [2, 3]
          - profile: flux-schnell
            values: [1, 2]
          - profile: sd35-medium
            values: [2, 3]
          - profile: z-image-turbo
            values: [2, 3]
          - profile: flux2-klein-4b
            values: [1, 2]
          - profile: flux2-dev
            values: [1, 2]
          - profile: qwen-image
            values: [2, 3]
          - profile: krea2-turbo
            values: [1, 2]
          - profile: chroma1-hd
            values: [2, 3]
        """,
    ),
    "seeds": setting_yaml("Seeds", "parameter: seed\nvalues: [1, 2]\narguments:\n  num_inference_steps: 2"),
    "eta": setting_yaml(
        "Eta",
        "parameter: eta\nvalues: [0.0, 1.0]\nscheduler: DDIMScheduler\narguments:\n  num_inference_steps: 3",
        value_type="number",
    ),
    "strength": setting_yaml(
        "Strength",
        """
        parameter: strength
        values: [0.5, 1.0]
        task: image-to-image
        pipeline: StableDiffusionXLImg2ImgPipeline
        prompt: a "quoted" fox \\ with a backslash </code></pre><script>alert(1)</script>
        arguments:
          num_inference_steps: 4
        """,
        value_type="number",
    ),
    "pag": setting_yaml(
        "PAG",
        "parameter: pag_scale\nvalues: [0.0, 3.0]\npipeline: StableDiffusionXLPAGPipeline\narguments:\n"
        "  num_inference_steps: 2",
        value_type="number",
    ),
    "edit": setting_yaml(
        "Edit",
        "parameter: image_guidance_scale\nvalues: [1.0, 1.5]\ntask: image-to-image\nmodels: [instruct-pix2pix]\n"
        "prompt: make it snowy",
        value_type="number",
    ),
}


def _adapter(name: str, kind: str, **fields: str) -> str:
    repo, commit = ADAPTER_REPOS[name]
    lines = [f"kind: {kind}", f"name: {fields.pop('as', name)}", f"model: {repo}", f"revision: {commit}"]
    return "adapter:\n" + "".join(f"  {line}\n" for line in [*lines, *(f"{k}: {v}" for k, v in fields.items())])


TWO_STEPS = "arguments:\n  num_inference_steps: 2\n"
# Recipes, adapters, pairs and a batch: their code loads and prepares what the run did.
FAMILIES |= {
    "hires": setting_yaml(
        "Hires",
        "parameter: strength\nvalues: [0.5, 1.0]\nranges_apply: false\nrecipe:\n  kind: hires-fix\n  upscale: 1.5\n"
        + TWO_STEPS,
        value_type="number",
    ),
    "refiner": setting_yaml(
        "Refiner",
        "parameter: denoising_end\nvalues: [0.5, 0.75]\nrecipe:\n  kind: refiner\n  refiner: sdxl-refiner\n"
        "arguments:\n  num_inference_steps: 4\n",
        value_type="number",
    ),
    "lora": setting_yaml(
        "Lora",
        "parameter: lora_scale\nvalues: [0, 1.5]\n" + TWO_STEPS + _adapter("lora", "lora", weight_name=LORA_WEIGHT),
        value_type="number",
    ),
    "control": setting_yaml(
        "Control",
        "parameter: controlnet_conditioning_scale\nvalues: [0.5, 1.0]\n"
        + TWO_STEPS
        + _adapter("controlnet", "controlnet", control="canny"),
        value_type="number",
    ),
    "ip": setting_yaml(
        "Ip",
        "parameter: ip_adapter_scale\nvalues: [0, 1]\n"
        + TWO_STEPS
        + _adapter(
            "ip-adapter",
            "ip-adapter",
            subfolder=IP_ADAPTER_SUBFOLDER,
            weight_name=IP_ADAPTER_WEIGHT,
            reference_prompt="a boat",
        ),
        value_type="number",
    ),
    "vae": setting_yaml(
        "Vae",
        "parameter: [dtype, vae]\nvalues: [[fp32, stock], [fp32, fp16-fix]]\n"
        + TWO_STEPS
        + _adapter("vae-fp16-fix", "vae", **{"as": "fp16-fix"}),
        value_type="choice",
    ),
    "sizes": setting_yaml(
        "Sizes",
        "parameter: [original_size, crops_coords_top_left]\nvalues: [[[32, 32], [0, 0]], [[8, 8], [8, 0]]]\n"
        + TWO_STEPS,
    ),
    "batch": setting_yaml(
        "Batch", "parameter: num_images_per_prompt\nmeasure: batch-size\nvalues: [1, 2]\n" + TWO_STEPS
    ),
    # Each image swaps in its own scheduler; a saved format's code makes the lossless image, then each file.
    "sched": setting_yaml(
        "Sched",
        "parameter: scheduler\nvalues: [EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, DDIMScheduler]\n"
        + TWO_STEPS,
        value_type="choice",
    ),
    "formats": setting_yaml(
        "Formats", "parameter: format\nmeasure: output-format\nvalues: [png, jpeg-90, webp-80]", value_type="choice"
    ),
}
FAMILY_PIPELINES = {
    "StableDiffusionXLControlNetPipeline",
    "StableDiffusionXLPipeline",
    "StableDiffusionXLImg2ImgPipeline",
    "StableDiffusionXLPAGPipeline",
    "FluxPipeline",
    "StableDiffusion3Pipeline",
    "StableDiffusionInstructPix2PixPipeline",
    "ZImagePipeline",
    "Flux2KleinPipeline",
    "Flux2Pipeline",
    "QwenImagePipeline",
    "Krea2Pipeline",
    "ChromaPipeline",
}


@pytest.fixture
def made(tmp_path, hub_cache) -> Path:
    """A project whose figure run made one image or more of every pipeline family, on the CPU in fp32."""
    defaults = (ROOT / "figures" / "defaults.yml").read_text("utf-8")
    project = make_project(tmp_path / "p", FAMILIES, defaults=defaults)
    result = run_figures(project, "--size", "32x32")
    assert result.code == 0, result.err
    return project


def test_the_pages_code_makes_every_images_file_in_any_order(made, monkeypatch):
    monkeypatch.chdir(made)  # without a site address the code loads input images from the project, saves here
    shown = [entry for entry in manifest(made).values() if entry["role"] == "comparison"]
    assert {entry.get("pipeline") for entry in shown} - {None} == FAMILY_PIPELINES
    assert any(entry.get("batch_seeds") for entry in shown) and any(entry.get("scheduler") for entry in shown)
    assert any(entry.get("first_stage") for entry in shown) and any(entry["inputs"].get("adapter") for entry in shown)
    site = generate_site(ProjectPaths.at(made, templates=str(ROOT / "templates")))
    pages = {page.path: page.markdown for page in site.pages}

    made_files = []
    for slug in FAMILIES:
        for block in model_blocks(pages[f"settings/{slug}.md"], made):
            # As a reader runs it: the set-up once, then each image's lines, top to bottom ...
            for image in run_block(block):
                assert image.made == image.shown, f"{slug}: {image.name} not reproduced:\n{block.setup}{block.images}"
                made_files.append(image.name)
            # ... or only the last image's, or all of them bottom to top: each sets all it changes.
            order = [len(block.images) - 1] if slug != "sched" else list(reversed(range(len(block.images))))
            assert all(image.made == image.shown for image in run_block(block, order)), slug
    # Every comparison image with a file has its code on its page, once.
    assert sorted(made_files) == sorted(entry["file"].rsplit("/", 1)[-1] for entry in shown if entry.get("sha256"))


def test_the_page_shows_the_code_once_per_model_and_loads_inputs_from_the_site(made):
    site = generate_site(ProjectPaths.at(made, templates=str(ROOT / "templates")), site_url=SITE_URL)
    pages = {page.path: page.markdown for page in site.pages}
    entry = manifest(made)["strength/strength-0.5.webp"]
    strength = pages["settings/strength.md"]
    block = strength.split('<details class="example sg-reproduce" data-search-exclude>', 1)[1].split("</details>", 1)[0]
    [setup, *images] = [html.unescape(code) for code in re.findall(r'language-python">(.*?)</code>', block, re.S)]
    # The set-up loads the model and the input image from the published site once; each image is only its call.
    assert f"init_image = load_image({python_literal(SITE_URL + 'figures/' + entry['call']['image'])})" in setup
    assert setup.count("from_pretrained(") == 1 and "dtype=torch.float32," in setup and "torch_dtype" not in setup
    assert len(images) == 2 and all("from_pretrained" not in code and "import" not in code for code in images)
    assert images[0].rstrip().endswith('image.save("strength-0.5.webp", quality=80)')
    assert 'prompt="a \\"quoted\\" fox \\\\ with a backslash </code></pre><script>alert(1)</script>",' in images[0]
    assert "<img" not in block and "<script" not in block
    # SDXL image-to-image maps to AUTOMATIC1111; PAG and FLUX say why not.
    assert "Denoising strength: 0.5, RNG: CPU</code></pre>" in block
    assert (
        html.escape("No AUTOMATIC1111 parameters: AUTOMATIC1111 has no counterpart of diffusers' StableDiffusionXLPAG")
        in pages["settings/pag.md"]
    )
    steps = pages["settings/steps.md"]
    assert steps.count('<details class="example sg-reproduce" data-search-exclude>') == steps.count(
        '<label for="sg-model-'
    )
    # A LoRA image's parameters carry its tag, named after the weight file a reader downloads.
    lora = pages["settings/lora.md"]
    assert f"&lt;lora:{LORA_WEIGHT.rsplit('.', 1)[0]}:1.5&gt;" in lora and "its LoRA is not written" not in lora


# --- AUTOMATIC1111 ---------------------------------------------------------------------------

SDXL_ENTRY = {
    "file": "guidance-scale/sdxl/guidance_scale-7.5.webp",
    "model": "stabilityai/stable-diffusion-xl-base-1.0",
    "revision": "462165984030d82259a11f4367a4eed129e94a7b",
    "pipeline": "StableDiffusionXLPipeline",
    "dtype": "bf16",
    "seed": 1234,
    "width": 1024,
    "height": 1024,
    "call": {
        "prompt": "a red fox (detailed fur), golden hour: photograph",
        "negative_prompt": "blurry, lowres",
        "num_inference_steps": 30,
        "guidance_scale": 7.5,
        "width": 1024,
        "height": 1024,
        "output_type": "np",
    },
}


def test_automatic1111_parameters_follow_its_png_info_format():
    assert automatic1111_parameters(SDXL_ENTRY).text == (
        "a red fox \\(detailed fur\\), golden hour: photograph\n"
        "Negative prompt: blurry, lowres\n"
        "Steps: 30, Sampler: Euler, Schedule type: Uniform, CFG scale: 7.5, Seed: 1234, Size: 1024x1024, "
        "Model: sd_xl_base_1.0, RNG: CPU"
    )
    swapped = {**SDXL_ENTRY, "scheduler": "DPMSolverMultistepScheduler", "call": {**SDXL_ENTRY["call"]}}
    swapped["call"]["guidance_scale"] = 5.0
    assert "Sampler: DPM++ 2M, Schedule type: Uniform, CFG scale: 5, Seed" in automatic1111_parameters(swapped).text
    # A step-distilled LoRA's call: trailing spacing is SGM Uniform there, and guidance 0 (no CFG) is its CFG scale 1.
    lightning = {**SDXL_ENTRY, "scheduler_config": {"timestep_spacing": "trailing"}, "call": {**SDXL_ENTRY["call"]}}
    lightning["call"]["guidance_scale"] = 0.0
    assert "Schedule type: SGM Uniform, CFG scale: 1, Seed" in automatic1111_parameters(lightning).text
    karras = {**SDXL_ENTRY, "scheduler_config": {"use_karras_sigmas": True, "use_beta_sigmas": False}}
    assert "Schedule type: Karras," in automatic1111_parameters(karras).text
    both = {**SDXL_ENTRY, "scheduler_config": {"use_karras_sigmas": True, "timestep_spacing": "trailing"}}
    assert automatic1111_parameters(both).text is None


def test_settings_without_an_automatic1111_counterpart_are_named_not_guessed():
    entry = {**SDXL_ENTRY, "scheduler": "UniPCMultistepScheduler", "call": {**SDXL_ENTRY["call"], "clip_skip": 1}}

    result = automatic1111_parameters(entry)

    assert result.text is None
    assert result.reasons == (
        "clip_skip: AUTOMATIC1111's Clip skip leaves SDXL's text encoders alone (see the Clip Skip page)",
        "UniPCMultistepScheduler has no AUTOMATIC1111 sampler that runs it with the same defaults",
    )


def test_the_sampler_names_are_the_scheduler_pages():
    [scheduler] = [item for item in load_settings(find_setting_files(ROOT / "settings")) if item.slug == "scheduler"]
    described = {choice.value: choice.description for choice in scheduler.setting.choices}
    for cls, names in SAMPLER_NAMES.items():
        assert f"**{names.automatic1111}**" in described[cls] and f"`{names.comfyui}`" in described[cls], cls
    for cls, sampler in SAMPLERS.items():
        assert f"AUTOMATIC1111's **{sampler}**" in described[cls]
    comparison = scheduler.setting.comparison
    compared = {value for model in comparison.models for value in comparison.values_for(model)}
    assert compared <= set(SAMPLER_NAMES)  # every scheduler the page compares has its names in the captions


def test_prompts_stay_one_python_literal():
    tricky = 'a "fox"\\n\nnext line \u202e reversed \x00'
    literal = python_literal(tricky)
    assert eval(literal) == tricky  # noqa: S307 - the point: it evaluates to exactly the text
    assert "\n" not in literal and "\u202e" not in literal and "\x00" not in literal
