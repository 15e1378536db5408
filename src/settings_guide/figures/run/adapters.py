"""Adapters and first stages at run time: load an adapter onto a pipeline, prepare a recipe's inputs.

Imported by figures/run.py only (torch and diffusers). Every adapter is fetched by Hub id at its
pinned commit, exactly as a maintainer's run would download it; the offline test cache holds tiny ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ...settings.model import Adapter
from ...settings.recipe_rules import NO_UPCAST_VAE
from ..spec import CANNY_THRESHOLDS
from .libraries import DTYPE_KEYWORD, diffusers, torch


def load_adapter(pipe, adapter: Adapter, dtype: torch.dtype) -> Any:
    """Put ``adapter`` on ``pipe``; returns the ControlNet model for a ControlNet (the pipeline wraps it later)."""
    if adapter.kind == "lora":
        pipe.load_lora_weights(
            adapter.model, weight_name=adapter.weight_name, revision=adapter.revision, adapter_name=adapter.name
        )
    elif adapter.kind == "ip-adapter":
        # load_ip_adapter reads the image encoder from the Hub's main branch whatever `revision` says: load it
        # at the pinned commit first, and load_ip_adapter keeps the one the pipeline already has.
        from transformers import CLIPVisionModelWithProjection

        encoder = CLIPVisionModelWithProjection.from_pretrained(
            adapter.model, subfolder=f"{adapter.subfolder}/image_encoder", revision=adapter.revision, dtype=dtype
        )
        pipe.register_modules(image_encoder=encoder)
        pipe.load_ip_adapter(
            adapter.model, subfolder=adapter.subfolder, weight_name=adapter.weight_name, revision=adapter.revision
        )
    elif adapter.kind == "vae":
        vae = diffusers.AutoencoderKL.from_pretrained(
            adapter.model, revision=adapter.revision, **{DTYPE_KEYWORD: dtype}
        )
        pipe.register_modules(vae=vae)
    elif adapter.kind == "controlnet":
        return diffusers.ControlNetModel.from_pretrained(
            adapter.model, revision=adapter.revision, **{DTYPE_KEYWORD: dtype}
        )
    return None


def controlnet_class(cls):
    """The ControlNet variant of a text-to-image pipeline class (e.g. SDXL's); None when diffusers has none."""
    from diffusers.pipelines.auto_pipeline import AUTO_TEXT2IMAGE_PIPELINES_MAPPING as TEXT2IMAGE

    family = next((name for name, text in TEXT2IMAGE.items() if text is cls), None)
    return TEXT2IMAGE.get(f"{family}-controlnet") if family else None


@contextmanager
def values_applied(pipe, applied: dict[str, Any], adapter: Adapter | None) -> Iterator[None]:
    """Set the compared values that are not call arguments for one call: a LoRA's weight, an IP-Adapter's
    scale, or the stock VAE decoding without the fp32 upcast diffusers gives it (then put back)."""
    if "lora_scale" in applied and adapter is not None:
        pipe.set_adapters([adapter.name], adapter_weights=[float(applied["lora_scale"])])
    if "ip_adapter_scale" in applied:
        pipe.set_ip_adapter_scale(float(applied["ip_adapter_scale"]))
    vae = getattr(pipe, "vae", None)
    upcast = getattr(getattr(vae, "config", None), "force_upcast", None)
    if applied.get("vae") == NO_UPCAST_VAE and upcast is not None:
        vae.register_to_config(force_upcast=False)  # what a tool without the upcast does: the overflow shows
    try:
        yield
    finally:
        if applied.get("vae") == NO_UPCAST_VAE and upcast is not None:
            vae.register_to_config(force_upcast=upcast)


def control_image(image: Image.Image, kind: str) -> Image.Image:
    """The control image a ControlNet follows, derived from the input image: Canny edges, white on black."""
    import cv2  # OpenCV: the edge detector ControlNet's Canny models were trained on

    if kind != "canny":
        raise ValueError(f"no control image kind {kind!r}")
    edges = cv2.Canny(np.asarray(image.convert("RGB")), *CANNY_THRESHOLDS)
    return Image.fromarray(np.stack([edges] * 3, axis=-1))


def enlarged(image: Image.Image, width: int, height: int) -> Image.Image:
    """The hires fix's enlargement: Lanczos resampling (Pillow), the upscaler the page names."""
    return image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)


def latents_bytes(latents: torch.Tensor) -> bytes:
    """A first stage's latents as .npy bytes (float32, so no precision is lost in between)."""
    import io

    buffer = io.BytesIO()
    np.save(buffer, latents.detach().to("cpu", torch.float32).numpy(), allow_pickle=False)
    return buffer.getvalue()


def load_latents(path: Path) -> torch.Tensor:
    """Latents a first stage saved; the second stage's pipeline moves them to its device and dtype."""
    return torch.from_numpy(np.load(path, allow_pickle=False))
