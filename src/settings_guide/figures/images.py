"""Pipeline pixels -> checked, encoded image bytes. NumPy and Pillow only; no torch."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

BLACK_LEVEL = 3  # 8-bit; a real photo of the night sky still has brighter pixels than this


class ImageRefused(Exception):
    """The pipeline returned something that must not be published as a figure."""


def to_8bit(pixels: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] (height × width × channels) as 8-bit values, refusing unusable ones.

    An fp16 VAE that overflows returns NaN (black once converted); the safety checker returns
    black; a broken model returns one flat colour. None of these says anything about a setting.
    """
    if not np.isfinite(pixels).all():
        share = float(np.mean(~np.isfinite(pixels)))
        raise ImageRefused(
            f"{share:.0%} of its pixels are NaN or infinite (typically an fp16 VAE overflow); "
            "try --dtype bf16 or fp32, or a VAE fixed for fp16"
        )
    values = (np.clip(pixels, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    if values.max() <= BLACK_LEVEL:
        raise ImageRefused(
            "it is all black (the safety checker blanks flagged images; an fp16 VAE overflow "
            "also gives black); check the prompt, or try --dtype bf16 or fp32"
        )
    if values.min() == values.max():
        raise ImageRefused(f"it is one flat colour (every value {int(values.min())}/255); the model output is broken")
    return values


def encode_image(values: np.ndarray, image_format: str, quality: int) -> bytes:
    """Encode 8-bit pixels; the same pixels and settings give the same bytes."""
    if image_format != "webp":
        raise ValueError(f"unsupported image format {image_format!r}")
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="WEBP", quality=quality)
    return buffer.getvalue()
