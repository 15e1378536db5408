"""Figure-pipeline fixtures: a tiny random-weight Stable Diffusion model built from configs, and
small projects (settings + figures/defaults.yml) that run it on the CPU in a fraction of a second.

Nothing is downloaded: the tokenizer is written from a vocabulary and merges made here, and the
Hub is switched to offline mode before anything imports huggingface_hub.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # read when huggingface_hub is imported: no test may reach the network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HUB_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
PROMPT = "a red fox in a green forest"


def build_tiny_pipeline(folder: Path) -> Path:
    """Save a random-weight StableDiffusionPipeline (UNet 32/64 channels, CLIP, DDIM) to ``folder``."""
    from .tiny_models import tiny_sd

    tiny_sd().save_pretrained(folder)
    return folder


def break_vae(model: Path, folder: Path, how: str) -> Path:
    """A copy of ``model`` whose VAE really outputs NaN ("nan") or black ("black") pixels."""
    import torch
    from diffusers import AutoencoderKL

    shutil.copytree(model, folder)
    vae = AutoencoderKL.from_pretrained(model / "vae")
    with torch.no_grad():
        conv = vae.decoder.conv_out
        if how == "nan":
            conv.weight.fill_(float("nan"))
        else:  # every pixel far below -1, so (x / 2 + 0.5) clamps to 0: black
            conv.weight.zero_()
            conv.bias.fill_(-10.0)
    vae.save_pretrained(folder / "vae")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_hub_cache(tmp_path_factory) -> Path:
    """An offline Hugging Face cache holding a tiny stand-in of every catalogue model at its pinned commit."""
    from .tiny_models import build_hub_cache

    return build_hub_cache(tmp_path_factory.mktemp("hub") / "cache")


@pytest.fixture
def hub_cache(tiny_hub_cache, tmp_path, monkeypatch) -> Path:
    """This test's own copy of the tiny Hub cache, in use (HF_HUB_CACHE) with the Hub switched off."""
    from huggingface_hub import constants

    cache = Path(shutil.copytree(tiny_hub_cache, tmp_path / "hub-cache", symlinks=True))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))  # read at import: follow the env
    return cache


@pytest.fixture(scope="session")
def broken_models(tiny_model, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("broken")
    return {how: break_vae(tiny_model, base / how, how) for how in ("nan", "black")}


# --- projects ------------------------------------------------------------------------------

SETTING = textwrap.dedent(
    """\
    name: {name}
    category: sampling
    summary: A short summary.
    intro: An intro paragraph.
    what_it_does: What it does.
    value_type: {value_type}
    {ranges}
    comparison:
    {comparison}
    tips:
      - A tip.
    """
)
RANGES = {
    "integer": "ranges:\n  - label: All\n    min: 0\n    max: 100000\n    description: Any.",
    "number": "ranges:\n  - label: All\n    min: 0\n    max: 100\n    description: Any.",
    "choice": "choices:\n  - value: Any\n    description: Any.",
}


def setting_yaml(name: str, comparison: str, value_type: str = "integer") -> str:
    """A valid setting file whose comparison block is ``comparison`` (YAML, unindented)."""
    return SETTING.format(
        name=name,
        value_type=value_type,
        ranges=RANGES[value_type],
        comparison=textwrap.indent(textwrap.dedent(comparison).strip(), "  "),
    )


STEPS = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 3]")
SEEDS = setting_yaml("Seeds", "parameter: seed\nvalues: [1, 2, 3]")


SDXL_COMMIT = "462165984030d82259a11f4367a4eed129e94a7b"
# A second profile for comparisons across models; the tiny Hub cache holds it at this commit.
FLUX_PROFILE = """\
flux-schnell:
  label: FLUX.1 [schnell]
  model: black-forest-labs/FLUX.1-schnell
  revision: 741f7c3ce8b383c54771c7003378a50191e9efe9
  pipeline: FluxPipeline
  dtype: fp32
  width: 32
  height: 32
  negative_prompt: false
  arguments:
    guidance_scale: 0.0
    num_inference_steps: 2
    max_sequence_length: 32
"""


def declared_adapters() -> dict[str, str]:
    """Every tiny adapter repository at its commit, as figures/defaults.yml declares them under `adapters:`."""
    from .tiny_adapters import ADAPTER_REPOS

    return {repo: commit for name, (repo, commit) in ADAPTER_REPOS.items() if name != "sdxl-refiner"}  # a profile


def defaults_yaml(
    model: str = HUB_MODEL, dtype: str = "bf16", size: int = 32, profiles: str = "", adapters=None, **extra
) -> str:
    """A figures/defaults.yml whose default profile `sdxl` is ``model``; ``profiles`` adds more (YAML, unindented);
    ``adapters`` ({repo: commit}, e.g. ``declared_adapters()``) are the adapter repositories it declares."""
    top = {"default_model": "sdxl", "prompt": PROMPT, "seed": 7, "format": "webp", "quality": 80, **extra}
    text = "".join(f"{key}: {value}\n" for key, value in top.items())
    profile = {
        "label": "SDXL",
        "model": model,
        "revision": SDXL_COMMIT,
        "pipeline": "StableDiffusionXLPipeline",
        "dtype": dtype,
        "width": size,
        "height": size,
    }
    text += "models:\n  sdxl:\n" + "".join(f"    {key}: {value}\n" for key, value in profile.items())
    text += "    arguments:\n      num_inference_steps: 2\n      guidance_scale: 6.0\n"
    if profiles.strip():
        text += textwrap.indent(textwrap.dedent(profiles).strip() + "\n", "  ")
    if adapters:  # last, so the lines above stay where tests expect them
        text += "adapters:\n" + "".join(f"  {repo}: {commit}\n" for repo, commit in adapters.items())
    return text


def make_project(root: Path, settings: dict[str, str] | None = None, defaults: str | None = None) -> Path:
    (root / "settings").mkdir(parents=True)
    (root / "figures").mkdir()
    for slug, text in (settings if settings is not None else {"steps": STEPS, "seeds": SEEDS}).items():
        (root / "settings" / f"{slug}.yml").write_text(text)
    (root / "figures" / "defaults.yml").write_text(defaults or defaults_yaml())
    return root


@pytest.fixture
def figure_project(tmp_path) -> Path:
    """Two settings: steps [2, 3] and seeds [1, 2, 3]; the default model is the Hub SDXL (overridden by --model)."""
    return make_project(tmp_path / "project")


@dataclass
class Result:
    code: int
    out: str
    err: str


# bench/gpu_check.sh runs these tests with the figure run on CUDA; everywhere else they run on the CPU.
TEST_DEVICE = os.environ.get("SETTINGS_GUIDE_TEST_DEVICE", "cpu")


def run_figures(project: Path, *args: str, model: Path | None = None, device: str = TEST_DEVICE) -> Result:
    """``settings-guide figures --root PROJECT [--model MODEL] --device DEVICE ARGS`` in this process."""
    from settings_guide.cli import main

    argv = ["figures", "--root", str(project), *(["--model", str(model)] if model else []), "--device", device, *args]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return Result(code, out.getvalue(), err.getvalue())


def manifest(project: Path) -> dict[str, dict]:
    data = json.loads((project / "figures" / "manifest.json").read_text("utf-8"))
    return {entry["file"]: entry for entry in data["images"]}


def images(project: Path) -> dict[str, bytes]:
    figures = project / "figures"
    return {p.relative_to(figures).as_posix(): p.read_bytes() for p in sorted(figures.rglob("*.webp"))}
