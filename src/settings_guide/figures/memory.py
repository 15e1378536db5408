"""Will a model fit on the accelerator? Its size from the safetensors headers, and the offload choice.

Pure and light: reads only the JSON header at the start of each ``.safetensors`` file (no weights,
no torch), so ``--dry-run`` can say what a model needs and a run can decide before loading it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
# Room beyond the weights for activations, the VAE decode of a 1024-px image and CUDA's own
# allocations; SDXL and FLUX at 1024 x 1024 in bf16 stay within it at batch size 1.
HEADROOM = 3 * GIB
OFFLOAD_MODES = ("auto", "none", "model", "sequential")
_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}
_FLOAT_TYPES = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}
_STORED_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2}


@dataclass(frozen=True)
class ModelSize:
    """Bytes of a model's weights once loaded in a dtype: in all, and of its largest component."""

    total: int
    largest: int
    largest_name: str

    def gib(self) -> str:
        return f"{self.total / GIB:.1f} GiB" if self.total >= GIB / 10 else f"{self.total / 1024**2:.1f} MiB"


def model_size(folder: Path, dtype: str) -> ModelSize | None:
    """The size of a diffusers folder's weights in ``dtype`` (floats converted, the rest as stored); None if unknown."""
    per_component: dict[str, int] = {}
    for path in sorted(Path(folder).glob("*/*.safetensors")):
        if _is_variant(path):
            continue
        per_component[path.parent.name] = per_component.get(path.parent.name, 0) + _loaded_bytes(path, dtype)
    if not per_component:
        return None
    name = max(per_component, key=per_component.get)
    return ModelSize(sum(per_component.values()), per_component[name], name)


def _is_variant(path: Path) -> bool:
    # diffusion_pytorch_model.fp16.safetensors beside the full one: the loader reads only one of them.
    return any(part in ("fp16", "bf16") for part in path.name.split(".")[1:-1])


def _loaded_bytes(path: Path, dtype: str) -> int:
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    total = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        count = 1
        for dimension in tensor["shape"]:
            count *= dimension
        stored = tensor["dtype"]
        total += count * (_BYTES[dtype] if stored in _FLOAT_TYPES else _STORED_BYTES.get(stored, 1))
    return total


def choose_offload(requested: str, device: str, size: ModelSize | None, free: int | None) -> tuple[str, str]:
    """The offload mode for one model and why: all on the GPU, one component at a time, or layer by layer."""
    if requested != "auto":
        return requested, "asked for with --offload"
    if device != "cuda":
        return "none", f"runs on {device}"
    if size is None or free is None:
        return "none", "its size or the free GPU memory is unknown"
    need = f"{size.gib()} of weights + {HEADROOM / GIB:.0f} GiB headroom, {free / GIB:.1f} GiB free"
    if size.total + HEADROOM <= free:
        return "none", f"fits: {need}"
    if size.largest + HEADROOM <= free:
        return "model", f"too big to keep whole ({need}); its largest part, {size.largest_name}, fits"
    return "sequential", f"even its largest part, {size.largest_name} ({size.largest / GIB:.1f} GiB), does not fit"
