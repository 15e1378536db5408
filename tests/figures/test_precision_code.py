"""A precision comparison's Reproduce code makes each slot's own image: the code of `vae = stock-no-upcast`
switches diffusers' fp32 upcast off as the run did (else it makes the `stock` image), and AUTOMATIC1111's
parameters for a precision image say that its precision is set elsewhere."""

from __future__ import annotations

import html
from pathlib import Path

from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import HUB_MODEL, SDXL_COMMIT, defaults_yaml, make_project, manifest, run_figures, setting_yaml
from .page_code import model_blocks, run_block
from .tiny_adapters import ADAPTER_REPOS

ROOT = Path(__file__).resolve().parents[2]
VALUES = "[[fp16, stock], [fp16, stock-no-upcast], [fp32, stock], [fp16, fp16-fix]]"
FIX_ID, FIX_COMMIT = ADAPTER_REPOS["vae-fp16-fix"]
FIX = f"adapter:\n  kind: vae\n  name: fp16-fix\n  model: {FIX_ID}\n  revision: {FIX_COMMIT}\n"
PRECISION = setting_yaml("Precision", f"parameter: [dtype, vae]\nvalues: {VALUES}\n{FIX}", "choice")
# One dtype and the model's own VAE only: the images share their set-up, so each must set the upcast again.
SHARED = setting_yaml(
    "Shared", f"parameter: [dtype, vae]\nvalues: [[fp16, stock-no-upcast], [fp16, stock]]\n{FIX}", "choice"
)
A1111_PRECISION = "AUTOMATIC1111 sets precision on its command line (--no-half, --no-half-vae)"


UPCAST_COMMIT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"


def upcast_model(cache: Path) -> None:
    """SDXL's Hub id at another commit: the tiny SDXL with a VAE that asks for diffusers' fp32 upcast but survives
    fp16 without it, so every slot has a picture (the fp16 decode and the upcast one differ in their last bits)."""
    import torch

    from .tiny_models import _sd_vae, add_to_cache, tiny_sdxl

    pipe = tiny_sdxl()
    torch.manual_seed(0)
    vae = _sd_vae()  # the tiny SDXL's VAE without its overflow; its config asks for the upcast (the default)
    pipe.register_modules(vae=vae)
    add_to_cache(cache, HUB_MODEL, UPCAST_COMMIT, pipe)


def _pages(project: Path) -> dict[str, str]:
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    return {page.path: page.markdown for page in site.pages}


def test_each_precision_slots_code_makes_its_own_image_in_any_order(hub_cache, tmp_path, monkeypatch):
    upcast_model(hub_cache)
    defaults = defaults_yaml(dtype="fp32", adapters={FIX_ID: FIX_COMMIT}).replace(SDXL_COMMIT, UPCAST_COMMIT)
    project = make_project(tmp_path / "p", {"precision": PRECISION, "shared": SHARED}, defaults)
    result = run_figures(project)
    assert result.code == 0, result.err + result.out
    made = manifest(project).values()
    entries = {entry["value"][1] + "-" + entry["value"][0]: entry for entry in made if entry["setting"] == "precision"}
    # The run's no-upcast image is its own picture, not the upcast one's.
    assert entries["stock-no-upcast-fp16"]["sha256"] != entries["stock-fp16"]["sha256"]

    monkeypatch.chdir(project)
    pages = _pages(project)
    page = pages["settings/precision.md"]
    [block] = model_blocks(page, project)
    assert len(block.images) == 4
    for order in (None, [1, 0, 3, 2], [3, 2, 1, 0], [1]):
        for image in run_block(block, order):
            assert image.made == image.shown, f"{image.name} (order {order}) not reproduced:\n{block.setup}"
    no_upcast = next(code for code in block.images if "fp16-stock-no-upcast" in code)
    assert "pipe.vae.register_to_config(force_upcast=False)" in no_upcast
    [shared] = model_blocks(pages["settings/shared.md"], project)
    assert "own_upcast = pipe.vae.config.force_upcast" in shared.setup and len(shared.images) == 2
    for order in (None, [1, 0], [0, 1, 0]):
        assert all(image.made == image.shown for image in run_block(shared, order)), order
    # AUTOMATIC1111 keeps precision out of its generation parameters: each precision image says so.
    assert html.unescape(page).count(A1111_PRECISION) == 3
