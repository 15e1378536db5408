"""What a model's images will cost before a run: time, download and GPU memory. Pure: no torch.

Time comes from the seconds per step the manifest recorded for the model, else from the profile's
published figure (``published:`` in figures/defaults.yml), scaled by each image's steps and pixel count.
Memory comes from the safetensors headers when the files are on this machine, else from the
published download size, scaled from the files' dtype to the run's.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .memory import _BYTES, GIB, HEADROOM, ModelSize
from .profiles import ModelProfile


@dataclass(frozen=True)
class Estimate:
    seconds: float
    where: str  # the device it was recorded on, or the GPU of the published figure
    basis: str  # "0.08 s per step recorded" or "published: 0.083 s per step at 1024x1024"
    published: bool = False

    def text(self) -> str:
        return f"about {duration(self.seconds)} on {self.where} ({self.basis})"


def seconds_per_step(entries: dict[str, dict], model: str) -> dict[str, float]:
    """The median seconds per denoising step the manifest recorded for ``model``, by device."""
    rates: dict[str, list[float]] = {}
    for entry in entries.values():
        call, seconds = entry.get("call") or {}, entry.get("seconds")
        steps = call.get("num_inference_steps")
        if entry.get("model") != model or not isinstance(seconds, (int, float)) or not isinstance(steps, int):
            continue
        effective = max(1.0, steps * float(call.get("strength", 1.0)))
        rates.setdefault(str(entry.get("device")), []).append(seconds / effective)
    return {device: statistics.median(values) for device, values in rates.items()}


def estimates(jobs: list, entries: dict[str, dict], model: str, profile: ModelProfile | None) -> list[Estimate]:
    """One estimate per device the manifest recorded seconds on; else the published one; else none."""
    steps = sum(job.steps for job in jobs)
    recorded = seconds_per_step(entries, model)
    if recorded:
        return [Estimate(rate * steps, device, f"{rate:.2f} s per step recorded") for device, rate in recorded.items()]
    published = profile.published if profile is not None else None
    if published is None or published.seconds_per_step is None:
        return []
    # Denoising cost grows with the latent's pixel count: scale the native-size figure by each image's size.
    native = profile.width * profile.height
    scaled = sum(
        job.steps * (job.spec.width or profile.width) * (job.spec.height or profile.height) / native for job in jobs
    )
    basis = f"published: {published.seconds_per_step:g} s per step at {profile.width}x{profile.height}"
    return [Estimate(published.seconds_per_step * scaled, published.gpu, basis, published=True)]


def published_size(profile: ModelProfile | None, dtype: str) -> ModelSize | None:
    """The model's weights in ``dtype`` from its published download size (the files' own dtype scaled)."""
    published = profile.published if profile is not None else None
    if published is None:
        return None
    scale = _BYTES[dtype] / _BYTES[published.stored_dtype]
    return ModelSize(int(published.download_gb * 1e9 * scale), int(published.largest_gb * 1e9 * scale), "largest")


def memory_needed(size: ModelSize) -> str:
    """What the GPU must hold: the whole model, or (model offload) its largest component, each with headroom."""
    whole, offloaded = (size.total + HEADROOM) / GIB, (size.largest + HEADROOM) / GIB
    return f"GPU memory {whole:.0f} GiB whole, {offloaded:.0f} GiB with model offload"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
