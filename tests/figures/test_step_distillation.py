"""The Step-Distillation LoRA page's own comparison, run on the tiny models: SDXL with the Lightning LoRA off at
its usual steps and guidance, then on at 8 and 4 steps without guidance, all with trailing timesteps; three
different pictures, the LoRA weighted only where the page says, and the page's Reproduce code making each file."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import images, make_project, manifest, run_figures, setting_yaml
from .page_code import model_blocks, run_block
from .tiny_adapters import ADAPTER_REPOS, LIGHTNING_LORA_WEIGHT

ROOT = Path(__file__).resolve().parents[2]
SLUG = "step-distillation-lora"
PAGE = ROOT / "settings" / f"{SLUG}.yml"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models gain nothing from a second thread, and lose 10-50 x to it when other processes share the CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _real_project(root: Path) -> Path:
    """The catalogue as it is (every setting, figures/defaults.yml), so the page's comparison runs unchanged."""
    shutil.copytree(ROOT / "settings", root / "settings")
    (root / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "defaults.yml", root / "figures" / "defaults.yml")
    return root


def _comparison() -> dict:
    return yaml.safe_load(PAGE.read_text("utf-8"))["comparison"]


def _comparisons(project: Path) -> list[dict]:
    return [entry for entry in manifest(project).values() if entry["role"] == "comparison"]


def _pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def test_the_page_pins_the_lightning_lora_the_tiny_cache_stands_in_for():
    adapter = _comparison()["adapter"]
    assert (adapter["model"], adapter["revision"]) == ADAPTER_REPOS["lightning-lora"]
    assert adapter["weight_name"] == LIGHTNING_LORA_WEIGHT
    declared = yaml.safe_load((ROOT / "figures" / "defaults.yml").read_text("utf-8"))["adapters"]
    assert declared[adapter["model"]] == adapter["revision"]


def test_base_against_the_lightning_lora_at_8_and_4_steps_makes_three_pictures_and_reproduces_them(
    tmp_path, hub_cache, monkeypatch
):
    project = _real_project(tmp_path / "p")

    result = run_figures(project, "--size", "32x32", "--only", SLUG)

    assert result.code == 0, result.err
    made = {tuple(e["value"]): e for e in _comparisons(project)}
    assert set(made) == {(30, 5.0, 0), (8, 0.0, 1.0), (4, 0.0, 1.0)}
    files = {name: data for name, data in images(project).items() if name.startswith(f"{SLUG}/")}
    assert len(files) == 3 and len(set(files.values())) == 3  # three different pictures
    for (steps, guidance, weight), entry in made.items():
        assert entry["call"]["num_inference_steps"] == steps and entry["call"]["guidance_scale"] == guidance
        # The LoRA is loaded for every image and weighted 1 only in the two Lightning ones.
        assert entry["inputs"]["adapter"]["model"] == "ByteDance/SDXL-Lightning"
        assert entry["inputs"]["applied"] == {"lora_scale": weight}
        assert entry["scheduler"] == "EulerDiscreteScheduler"
        assert entry["scheduler_config"] == {"timestep_spacing": "trailing"}

    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    page = {p.path: p for p in site.pages}[f"settings/{SLUG}.md"]
    (block,) = model_blocks(page.markdown, project)
    assert len(block.images) == 3
    assert "load_lora_weights(" in block.setup and LIGHTNING_LORA_WEIGHT in block.setup
    # The images share the scheduler, so the set-up swaps it in once; each image sets its own LoRA weight.
    assert 'EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")' in block.setup
    weights = {"adapter_weights=[0.0]": 1, "adapter_weights=[1.0]": 2}
    assert {text: sum(text in code for code in block.images) for text in weights} == weights
    monkeypatch.chdir(tmp_path)
    assert all(image.made == image.shown for image in run_block(block))
    assert all(image.made == image.shown for image in run_block(block, [2, 1, 0]))  # each image sets all it needs


def test_weight_0_is_plain_sdxl_and_weight_1_is_what_changes_the_few_step_pictures(tmp_path, hub_cache):
    """The same calls without any adapter: the LoRA-off picture matches them, the Lightning ones do not."""
    comparison = _comparison()
    without = {key: value for key, value in comparison.items() if key != "adapter"}
    without["parameter"] = ["num_inference_steps", "guidance_scale"]
    without["values"] = [value[:2] for value in comparison["values"]]
    block = yaml.safe_dump(without, sort_keys=False)
    plain = make_project(
        tmp_path / "plain",
        {"plain": setting_yaml("Plain", block, value_type="choice")},
        defaults=(ROOT / "figures" / "defaults.yml").read_text("utf-8"),
    )
    lora = _real_project(tmp_path / "lora")

    assert run_figures(plain, "--size", "32x32").code == 0
    assert run_figures(lora, "--size", "32x32", "--only", SLUG).code == 0

    plain_images = {tuple(e["value"]): images(plain)[e["file"]] for e in _comparisons(plain)}
    lora_images = {tuple(e["value"][:2]): images(lora)[e["file"]] for e in _comparisons(lora)}
    off = (30, 5.0)
    # Weight 0 leaves the base model: the same picture, up to the last bit of a lossy WebP.
    assert np.abs(_pixels(plain_images[off]) - _pixels(lora_images[off])).max() <= 2
    for few_steps in [(8, 0.0), (4, 0.0)]:
        assert np.abs(_pixels(plain_images[few_steps]) - _pixels(lora_images[few_steps])).max() > 8
