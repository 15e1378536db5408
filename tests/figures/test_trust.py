"""Trust at the first real run: every Hub file a job loads is fetched before any image is made, a missing
adapter is named as itself and costs only the images that load it, and pickled weights are never loaded.
Real tiny models from the offline Hub cache, the real CLI."""

from __future__ import annotations

import shutil

from ..conftest import ROOT
from .conftest import HUB_MODEL, SDXL_COMMIT, STEPS, defaults_yaml, make_project, manifest, run_figures
from .tiny_adapters import ADAPTER_REPOS, IP_ADAPTER_SUBFOLDER, write_snapshot
from .tiny_models import snapshot_folder, tiny_sdxl

IP_ID, IP_COMMIT = ADAPTER_REPOS["ip-adapter"]
OFFLINE = (
    "the Hub is switched off (HF_HUB_OFFLINE) and the Hugging Face cache does not hold {} of it: "
    "run where the Hub is reachable, or put it in HF_HUB_CACHE"
)


def catalogue_project(root):
    shutil.copytree(ROOT / "settings", root / "settings")
    (root / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "defaults.yml", root / "figures" / "defaults.yml")
    return root


def test_an_adapters_missing_file_is_named_before_any_image_and_costs_only_its_images(tmp_path, hub_cache):
    """The IP-Adapter's image encoder gone from the cache: its reference image (the default model alone) is
    made, and one line names the IP-Adapter, the missing file and the fix, not the base model."""
    project = catalogue_project(tmp_path / "p")
    encoder = f"{IP_ADAPTER_SUBFOLDER}/image_encoder/model.safetensors"
    (snapshot_folder(hub_cache, IP_ID, IP_COMMIT) / encoder).unlink()

    result = run_figures(project, "--size", "32x32", "--only", "ip-adapter-scale")

    assert result.code == 1
    made = sorted(manifest(project))
    assert len(made) == 1 and made[0].startswith("_inputs/")  # the reference image
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: IP-Adapter {IP_ID} (revision {IP_COMMIT}), 4 images not made: {OFFLINE.format(encoder)}"
    ]  # ip_adapter_scale 0, 0.3, 0.6, 1.0
    assert "generated 1, cached 0, failed 4 (1 model loaded, " in result.out


def save_pickled_only(pipe, folder) -> None:
    """``pipe`` saved as PyTorch pickles only, as older repositories are: diffusers' parts through
    ``safe_serialization=False``, transformers' (which now writes safetensors alone) by hand, with the same names."""
    import safetensors.torch
    import torch

    pipe.save_pretrained(folder, safe_serialization=False)
    pickled = {
        "model.safetensors": "pytorch_model.bin",
        "diffusion_pytorch_model.safetensors": "diffusion_pytorch_model.bin",
    }
    for path in list(folder.rglob("*.safetensors")):
        torch.save(safetensors.torch.load_file(path), path.with_name(pickled[path.name]))
        path.unlink()


def test_a_model_whose_weights_are_pickled_only_is_refused_not_loaded(tmp_path, hub_cache):
    """SDXL's id and commit in the cache, saved as PyTorch pickles (`.bin`) only: the run says why it will not
    load them and makes none of its images."""
    snapshot = snapshot_folder(hub_cache, HUB_MODEL, SDXL_COMMIT)
    shutil.rmtree(snapshot)
    write_snapshot(hub_cache, HUB_MODEL, SDXL_COMMIT, lambda folder: save_pickled_only(tiny_sdxl(), folder))
    assert not list(snapshot.rglob("*.safetensors")) and list(snapshot.rglob("*.bin"))
    project = make_project(tmp_path / "p", {"steps": STEPS}, defaults_yaml(dtype="fp32"))

    result = run_figures(project)

    assert result.code == 1
    assert not (project / "figures" / "manifest.json").exists()
    [line] = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert line == (
        f"error: model {HUB_MODEL} (revision {SDXL_COMMIT}), 2 images not made: its weights are pickled only "
        "(text_encoder/pytorch_model.bin, text_encoder_2/pytorch_model.bin, unet/diffusion_pytorch_model.bin "
        "and 1 more): loading them runs any code they hold, on the figures runner that holds HF_TOKEN, so the run "
        "loads .safetensors weights only; pin a revision that has them (a repository without one can be converted "
        "at https://huggingface.co/spaces/safetensors/convert)"
    )
