"""What a kind's run-time steps are handed: the libraries, the figures folder, the device and a few helpers."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from ...atomic import write_bytes_atomic
from .. import layout
from ..manifest import NEEDS_CUDA, OUT_OF_MEMORY
from . import encode
from .libraries import Libraries, np, torch


class RunContext(Libraries):
    """One run's context: where its files go and what it runs on."""

    layout = layout
    encode = encode
    OUT_OF_MEMORY = OUT_OF_MEMORY  # the result a measurement records for a call the device had no memory for
    NEEDS_CUDA = NEEDS_CUDA  # the result of a value whose backend runs on CUDA only, on a run without CUDA

    def __init__(self, figures_dir: Path, device: str, call_pipeline: Callable, first_stage_record: Callable):
        self.figures_dir, self.device = Path(figures_dir), device
        self.call_pipeline = call_pipeline  # (pipe, arguments, seeds) -> [(pixels, seconds, flagged)]
        self.first_stage_record = first_stage_record  # (stage job) -> how it was made, for the manifest

    def open_rgb(self, path: Path):
        """An image file as an RGB Pillow image, read whole (the file is closed again)."""
        with self.Image.open(path) as image:
            return image.convert("RGB")

    def write_bytes(self, file: str, data: bytes) -> None:
        """Write a file under the figures folder, atomically."""
        write_bytes_atomic(self.figures_dir / file, data)

    def keep_png(self, image, file: str) -> None:
        """Save ``image`` as a PNG under the figures folder unless it is there already."""
        if not (self.figures_dir / file).is_file():
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            self.write_bytes(file, buffer.getvalue())

    @staticmethod
    def load_latents(path: Path):
        """Latents a first stage saved; the second stage's pipeline moves them to its device and dtype."""
        return torch.from_numpy(np.load(path, allow_pickle=False))


def latents_bytes(latents) -> bytes:
    """A first stage's latents as .npy bytes (float32, so no precision is lost in between)."""
    buffer = io.BytesIO()
    np.save(buffer, latents.detach().to("cpu", torch.float32).numpy(), allow_pickle=False)
    return buffer.getvalue()
