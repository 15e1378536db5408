"""Pipeline pixels -> checked, encoded image bytes. NumPy and Pillow only; no torch."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

BLACK_LEVEL = 3  # 8-bit; a real photo of the night sky still has brighter pixels than this
# Smaller copies for `srcset`: a phone's two-column comparison (about 195 CSS px at up to 3x)
# is served by 640 px, so it never downloads the full-size image.
VARIANT_WIDTHS = (320, 640)


class ImageRefused(Exception):
    """The pipeline returned something that must not be published as a figure."""

    def __init__(self, message: str, kind: str = "refused"):
        super().__init__(message)
        self.kind = kind  # "nan", "black", "flat" or "refused": a precision comparison shows nan and black


def to_8bit(pixels: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] (height × width × channels) as 8-bit values, refusing unusable ones.

    An fp16 VAE that overflows returns NaN (black once converted); the safety checker returns
    black; a broken model returns one flat colour. None of these says anything about a setting.
    """
    if not np.isfinite(pixels).all():
        share = float(np.mean(~np.isfinite(pixels)))
        raise ImageRefused(
            f"{share:.0%} of its pixels are NaN or infinite (typically an fp16 VAE overflow); "
            "try --dtype bf16 or fp32, or a VAE fixed for fp16",
            "nan",
        )
    values = (np.clip(pixels, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    if values.max() <= BLACK_LEVEL:
        raise ImageRefused(
            "it is all black (the safety checker blanks flagged images; an fp16 VAE overflow "
            "also gives black); check the prompt, or try --dtype bf16 or fp32",
            "black",
        )
    if values.min() == values.max():
        raise ImageRefused(
            f"it is one flat colour (every value {int(values.min())}/255); the model output is broken", "flat"
        )
    return values


def encode_variants(values: np.ndarray, image_format: str, quality: int) -> list[tuple[int, int, bytes]]:
    """Downscaled copies (width, height, bytes) for every VARIANT_WIDTHS narrower than the image."""
    height, width = values.shape[:2]
    variants = []
    if image_format != "webp":  # a lossless source image is read by the figure run, not served in sizes
        return variants
    for target in VARIANT_WIDTHS:
        if target < width:
            size = (target, max(1, round(height * target / width)))
            small = np.asarray(Image.fromarray(values).resize(size, Image.Resampling.LANCZOS))
            variants.append((size[0], size[1], encode_image(small, image_format, quality)))
    return variants


def encode_image(values: np.ndarray, image_format: str, quality: int) -> bytes:
    """Encode 8-bit pixels; the same pixels and settings give the same bytes."""
    buffer = io.BytesIO()
    if image_format == "webp":
        Image.fromarray(values).save(buffer, format="WEBP", quality=quality)
    elif image_format == "png":  # lossless: the source the output-format comparison saves in each format
        Image.fromarray(values).save(buffer, format="PNG")
    else:
        raise ValueError(f"unsupported image format {image_format!r}")
    return buffer.getvalue()
