"""Comparisons that measure rather than only show: one image saved in several formats, and the
labelled result of a precision that broke the image. NumPy and Pillow only; no torch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ...atomic import write_bytes_atomic
from ...kinds.output_format import human_size, parse_format
from ...settings.recipe_rules import NO_UPCAST_VAE, STOCK_VAE
from ..layout import crop_file
from ..manifest import SHOWN_FAILURES
from .encode import encode_as, zoomed_crop
from .images import ImageRefused

PRECISION_PARAMETERS = ("dtype", "vae")


def save_in_format(job, figures_dir: Path) -> dict[str, Any]:
    """Save the job's lossless input image in the job's format, plus a zoomed crop; the manifest entry's facts."""
    fmt = parse_format(str(job.spec.value))
    with Image.open(figures_dir / job.input_job.file) as image:
        pixels = np.asarray(image.convert("RGB"))
    data = encode_as(pixels, fmt)
    crop = zoomed_crop(data)
    crop_name = crop_file(job.file)
    write_bytes_atomic(figures_dir / crop_name, crop)
    write_bytes_atomic(figures_dir / job.file, data)  # last: an entry never names a missing file
    with Image.open(figures_dir / crop_name) as cropped:
        crop_size = cropped.size
    return {
        "width": pixels.shape[1],
        "height": pixels.shape[0],
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "size": human_size(len(data)),
        "format": fmt.label,
        "mime_type": fmt.mime_type,
        "crop": {"file": crop_name, "width": crop_size[0], "height": crop_size[1]},
        "source_image": job.input_job.file,
    }


def shown_failure(job, refused: ImageRefused) -> str | None:
    """The slot text for a precision that broke the image (NaN or black), or None when it is a real failure."""
    if refused.kind not in SHOWN_FAILURES or not set(str(job.spec.parameter).split("+")) & set(PRECISION_PARAMETERS):
        return None
    outcome = "NaN (not-a-number) pixels, a black image" if refused.kind == "nan" else "an all-black image"
    vae = job.spec.applied.get("vae")
    dtype = job.spec.dtype
    which = {
        None: "the model's own VAE",
        STOCK_VAE: "the model's own VAE",
        NO_UPCAST_VAE: f"the model's own VAE decoding in {dtype} (diffusers' fp32 upcast switched off)",
    }.get(vae, f"the {vae} VAE")
    return (
        f"{dtype} with {which} produced {outcome}: a value grew past the largest number {dtype} can hold "
        "(in SDXL's stock VAE this happens in the decoder), so there is no picture to show."
    )
