"""Adapters and first stages at run time: load an adapter onto a pipeline, prepare a recipe's inputs.

Imported by figures/run.py only (torch and diffusers). Every adapter is fetched by Hub id at its
pinned commit, exactly as a maintainer's run would download it; the offline test cache holds tiny ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import torch
from PIL import Image

from ..settings.model import Adapter

CANNY_THRESHOLDS = (100, 200)  # OpenCV's Canny hysteresis thresholds, as diffusers' ControlNet examples use


def load_adapter(pipe, adapter: Adapter, dtype: torch.dtype) -> Any:
    """Put ``adapter`` on ``pipe``; returns the ControlNet model for a ControlNet (the pipeline wraps it later)."""
    if adapter.kind == "lora":
        pipe.load_lora_weights(
            adapter.model, weight_name=adapter.weight_name, revision=adapter.revision, adapter_name=adapter.name
        )
    elif adapter.kind == "ip-adapter":
        pipe.load_ip_adapter(
            adapter.model, subfolder=adapter.subfolder, weight_name=adapter.weight_name, revision=adapter.revision
        )
    elif adapter.kind == "vae":
        vae = diffusers.AutoencoderKL.from_pretrained(adapter.model, revision=adapter.revision, torch_dtype=dtype)
        pipe.vae = vae.to(pipe.device)
        pipe.register_modules(vae=pipe.vae)
    elif adapter.kind == "controlnet":
        return diffusers.ControlNetModel.from_pretrained(adapter.model, revision=adapter.revision, torch_dtype=dtype)
    return None


def controlnet_class(cls):
    """The ControlNet variant of a text-to-image pipeline class (e.g. SDXL's); None when diffusers has none."""
    from diffusers.pipelines.auto_pipeline import AUTO_TEXT2IMAGE_PIPELINES_MAPPING as TEXT2IMAGE

    family = next((name for name, text in TEXT2IMAGE.items() if text is cls), None)
    return TEXT2IMAGE.get(f"{family}-controlnet") if family else None


def apply_values(pipe, applied: dict[str, Any], adapter: Adapter | None) -> None:
    """Set the compared values that are not call arguments: a LoRA's weight, an IP-Adapter's scale."""
    if "lora_scale" in applied and adapter is not None:
        pipe.set_adapters([adapter.name], adapter_weights=[float(applied["lora_scale"])])
    if "ip_adapter_scale" in applied:
        pipe.set_ip_adapter_scale(float(applied["ip_adapter_scale"]))


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
