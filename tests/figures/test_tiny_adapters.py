"""The tiny adapters load by Hub id and commit from an offline cache and act the way the real ones do:
each changes the image by its own setting, and the stock VAE (only) overflows in fp16."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import PROMPT
from .tiny_adapters import ADAPTER_REPOS, IP_ADAPTER_SUBFOLDER, IP_ADAPTER_WEIGHT, LORA_WEIGHT, build_adapter_cache
from .tiny_models import HUB_MODELS, build_hub_cache, snapshot_folder

BASE, BASE_COMMIT = HUB_MODELS["sdxl"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models gain nothing from a second thread, and lose 10-50 x to it when other processes share the CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def adapter_cache(tmp_path_factory):
    """The tiny SDXL base and every tiny adapter in one offline cache, in use for this module."""
    from huggingface_hub import constants

    cache = build_adapter_cache(build_hub_cache(tmp_path_factory.mktemp("adapters") / "cache", names=("sdxl",)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(cache))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(constants, "HF_HUB_CACHE", str(cache))  # read at import: follow the env
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        yield cache


@pytest.fixture(scope="module")
def base(adapter_cache):
    from diffusers import StableDiffusionXLPipeline

    return StableDiffusionXLPipeline.from_pretrained(BASE, revision=BASE_COMMIT)


def generate(pipe, **arguments) -> np.ndarray:
    """One 32 x 32 image of the shared prompt in 2 steps from seed 7, as floats (NaN shows) unless told."""
    import torch

    size = {"height": 32, "width": 32}
    arguments = {"prompt": PROMPT, "num_inference_steps": 2, "output_type": "np", **size, **arguments}
    return pipe(**arguments, generator=torch.Generator("cpu").manual_seed(7)).images[0]


def differ(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.abs(a - b).max()) > 1e-3


def reference_image(seed: int = 0):
    """A 32 x 32 RGB picture: a bright square on noise (an input, control or reference image)."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 100, (32, 32, 3), dtype=np.uint8)
    pixels[8:24, 8:24] = 240
    return Image.fromarray(pixels)


def test_build_is_idempotent_and_leaves_no_partial_snapshot(adapter_cache):
    def snapshots():  # refs/main is rewritten on every look-up (snapshot_folder), the snapshots are not
        return {path: path.stat().st_mtime_ns for path in adapter_cache.glob("*/snapshots/**/*") if path.is_file()}

    before = snapshots()
    build_adapter_cache(adapter_cache)
    assert snapshots() == before
    assert not list(adapter_cache.rglob("*.partial"))
    for repo, commit in ADAPTER_REPOS.values():
        assert snapshot_folder(adapter_cache, repo, commit).is_dir()
        assert (snapshot_folder(adapter_cache, repo, commit).parent.parent / "refs" / "main").read_text() == commit


def test_refiner_finishes_the_base_latents(base):
    """The ensemble of expert denoisers: the base denoises to 0.8 and hands its latents to the refiner."""
    from diffusers import StableDiffusionXLImg2ImgPipeline

    repo, commit = ADAPTER_REPOS["sdxl-refiner"]
    refiner = StableDiffusionXLImg2ImgPipeline.from_pretrained(repo, revision=commit)
    assert refiner.text_encoder is None and refiner.config.requires_aesthetics_score
    # 10 steps: the base takes 8, the refiner the last 2 (at low noise, so it changes little).
    latents = generate(base, num_inference_steps=10, denoising_end=0.8, output_type="latent")[None]
    assert latents.shape == (1, 4, 16, 16)  # the tiny VAE halves each side
    image = generate(refiner, image=latents, num_inference_steps=10, denoising_start=0.8)
    assert image.shape == (32, 32, 3) and np.isfinite(image).all()
    decoded = base.vae.decode(latents / base.vae.config.scaling_factor).sample.detach()
    assert differ(image, base.image_processor.postprocess(decoded, output_type="np")[0])  # it did denoise


def test_lora_scale_changes_the_image_and_zero_turns_it_off(adapter_cache):
    from diffusers import StableDiffusionXLPipeline

    pipe = StableDiffusionXLPipeline.from_pretrained(BASE, revision=BASE_COMMIT)
    without = generate(pipe)
    repo, commit = ADAPTER_REPOS["lora"]
    pipe.load_lora_weights(repo, weight_name=LORA_WEIGHT, revision=commit, adapter_name="pixel-art")
    images = {}
    for weight in (0.0, 1.0, 1.5):
        pipe.set_adapters(["pixel-art"], adapter_weights=[weight])
        images[weight] = generate(pipe)
    assert np.allclose(images[0.0], without, atol=1e-5)
    assert differ(images[1.0], without) and differ(images[1.5], images[1.0])


def test_controlnet_scale_and_guidance_window_change_the_image(base):
    from diffusers import ControlNetModel, StableDiffusionXLControlNetPipeline

    repo, commit = ADAPTER_REPOS["controlnet"]
    pipe = StableDiffusionXLControlNetPipeline.from_pipe(
        base, controlnet=ControlNetModel.from_pretrained(repo, revision=commit)
    )
    control = reference_image()
    images = {
        (scale, start, end): generate(
            pipe,
            image=control,
            num_inference_steps=4,
            controlnet_conditioning_scale=scale,
            control_guidance_start=start,
            control_guidance_end=end,
        )
        for scale, start, end in [(0.0, 0.0, 1.0), (1.0, 0.0, 1.0), (1.0, 0.0, 0.5), (1.0, 0.5, 1.0)]
    }
    off, full, first_half, second_half = images.values()
    assert differ(off, full)
    assert differ(full, first_half) and differ(full, second_half) and differ(first_half, second_half)


def test_ip_adapter_scale_changes_the_image(adapter_cache):
    from diffusers import StableDiffusionXLPipeline

    pipe = StableDiffusionXLPipeline.from_pretrained(BASE, revision=BASE_COMMIT)
    repo, commit = ADAPTER_REPOS["ip-adapter"]
    pipe.load_ip_adapter(repo, subfolder=IP_ADAPTER_SUBFOLDER, weight_name=IP_ADAPTER_WEIGHT, revision=commit)
    assert pipe.image_encoder is not None
    images = {}
    for scale in (0.0, 1.0):
        pipe.set_ip_adapter_scale(scale)
        images[scale] = generate(pipe, ip_adapter_image=reference_image(1))
    assert differ(images[0.0], images[1.0])
    assert differ(images[1.0], generate(pipe, ip_adapter_image=reference_image(2)))  # it looks at the image


def test_ip_adapter_image_encoder_can_be_pinned(adapter_cache):
    """load_ip_adapter reads the image encoder at ``main``, whatever ``revision`` says: hand it one loaded pinned."""
    from diffusers import StableDiffusionXLPipeline
    from transformers import CLIPVisionModelWithProjection

    repo, commit = ADAPTER_REPOS["ip-adapter"]
    encoder = CLIPVisionModelWithProjection.from_pretrained(
        repo, subfolder=f"{IP_ADAPTER_SUBFOLDER}/image_encoder", revision=commit
    )
    pipe = StableDiffusionXLPipeline.from_pretrained(BASE, revision=BASE_COMMIT, image_encoder=encoder)
    pipe.load_ip_adapter(repo, subfolder=IP_ADAPTER_SUBFOLDER, weight_name=IP_ADAPTER_WEIGHT, revision=commit)
    assert pipe.image_encoder is encoder
    assert np.isfinite(generate(pipe, ip_adapter_image=reference_image(1))).all()


@pytest.mark.parametrize("force_upcast", [False, True])
def test_stock_vae_overflows_in_fp16_and_the_fixed_one_does_not(adapter_cache, force_upcast):
    """Like SDXL's VAE: NaN (a black image) in fp16 unless diffusers upcasts it; the fp16-fix is finite."""
    import torch
    from diffusers import AutoencoderKL, StableDiffusionXLPipeline

    from .tiny_adapters import overflowing_vae

    stock = overflowing_vae(force_upcast=force_upcast)
    pipe = StableDiffusionXLPipeline.from_pretrained(BASE, revision=BASE_COMMIT, vae=stock)
    reference = generate(pipe)
    assert np.isfinite(reference).all()
    assert np.allclose(reference, generate(pipe.to(torch.bfloat16)), atol=0.05)  # bf16 has fp32's range
    pipe.to(torch.float16)
    assert np.isnan(generate(pipe)).any() != force_upcast
    repo, commit = ADAPTER_REPOS["vae-fp16-fix"]
    # from_pretrained does not cast a component handed to it: load the VAE in fp16 itself.
    fixed = AutoencoderKL.from_pretrained(repo, revision=commit, dtype=torch.float16)
    pipe = StableDiffusionXLPipeline.from_pretrained(BASE, revision=BASE_COMMIT, vae=fixed, dtype=torch.float16)
    fixed_image = generate(pipe)
    assert np.isfinite(fixed_image).all()
    assert np.allclose(fixed_image, reference, atol=0.02)  # the same picture, only safe in fp16
