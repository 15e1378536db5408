"""Sweep images on disk -> the numbers of the manifest's sweep records. NumPy and Pillow; no torch.

Measured from the saved files, not the pipeline's floats, so anyone can check a record against
the images in the repository, and a run that only adopts or keeps images can still measure them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..plan import SweepPlan
from ..sweeps import sweep_record
from .metrics import image_difference


def measure_sweep(sweep: SweepPlan, entries: dict[str, dict], figures_dir: Path) -> dict:
    """The record of one sweep whose images all exist: each one's difference to the reference image."""
    pixels = [_read(Path(figures_dir) / job.file) for job in sweep.jobs]
    reference = pixels[sweep.jobs.index(sweep.reference_job)]
    return sweep_record(sweep, entries, [image_difference(image, reference) for image in pixels])


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
