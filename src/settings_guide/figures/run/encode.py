"""One image saved in an output format, and a zoomed crop of the file as it decodes (Pillow).

Encoding is deterministic (same pixels, same Pillow: same bytes), so the figure cache does not
churn: every encoder option that could vary by default is pinned, and no metadata is written.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, features

from ...kinds.output_format import OutputFormat


def unsupported_reason(fmt: OutputFormat) -> str | None:
    """Why this Pillow cannot write ``fmt``, or None when it can."""
    kind, feature = fmt.needs
    available = features.check_codec(feature) if kind == "codec" else features.check_module(feature)
    if available:
        return None
    library = {"avif": "libavif", "webp": "libwebp", "jpeg": "libjpeg", "png": "zlib"}[fmt.name]
    hint = " (Pillow's wheels include it from 11.3 on)" if fmt.name == "avif" else ""
    return f"this Pillow ({Image.__version__}) was built without {library}, so it cannot write {fmt.label}{hint}"


def format_supported(fmt: OutputFormat) -> bool:
    """Whether this Pillow can write ``fmt``; ``unsupported_reason`` says why not."""
    return unsupported_reason(fmt) is None


def encode_as(pixels: np.ndarray, fmt: OutputFormat) -> bytes:
    """An (H, W, 3) uint8 image as the bytes of a ``fmt`` file: deterministic, without metadata."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"encode_as needs an (H, W, 3) uint8 array, got {pixels.dtype} {pixels.shape}")
    if reason := unsupported_reason(fmt):
        raise ValueError(reason)
    image = Image.fromarray(pixels)  # a fresh image: no EXIF, ICC profile or text chunks to carry over
    buffer = io.BytesIO()
    image.save(buffer, fmt.pillow_format, **fmt.save_options)
    return buffer.getvalue()


def zoomed_crop(
    data: bytes, centre: tuple[float, float] = (0.5, 0.5), width_fraction: float = 1 / 8, zoom: int = 4
) -> bytes:
    """Decode ``data``, cut a square ``width_fraction`` of the image wide around ``centre`` (fractions
    of width and height), enlarge it ``zoom`` times with NEAREST and return it as lossless PNG bytes.

    NEAREST and PNG add nothing of their own, so the crop shows exactly the decoded format's artefacts.
    """
    if not (0 <= centre[0] <= 1 and 0 <= centre[1] <= 1) or not 0 < width_fraction <= 1 or zoom < 1:
        raise ValueError(
            f"zoomed_crop: centre {centre} must be fractions from 0 to 1, width_fraction in (0, 1], zoom >= 1"
        )
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    side = max(1, min(round(width * width_fraction), width, height))
    # Shift the square inside the image rather than shrink it, so every crop has the same size.
    left = min(max(round(centre[0] * width - side / 2), 0), width - side)
    top = min(max(round(centre[1] * height - side / 2), 0), height - side)
    crop = image.crop((left, top, left + side, top + side)).resize((side * zoom, side * zoom), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    crop.save(buffer, "PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
