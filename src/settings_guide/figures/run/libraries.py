"""torch, diffusers and transformers, imported once, quietly: devices, dtypes, versions, pipeline classes.

The figure run is the only place these libraries are imported (an import contract keeps it so);
every other module of ``figures/run/`` takes them from here.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import platform
from functools import cached_property

import transformers

transformers.utils.logging.set_verbosity_error()  # before diffusers pulls in its models: no import chatter
transformers.utils.logging.disable_progress_bar()

import diffusers  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

diffusers.utils.logging.set_verbosity_error()
diffusers.utils.logging.disable_progress_bar()

from ...errors import FigureError  # noqa: E402

TORCH_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def dtype_keyword() -> str:
    """diffusers renamed from_pretrained's torch_dtype to dtype; the name this version reads without warning."""
    try:
        from diffusers.utils.deprecation_utils import _TORCH_DTYPE_DEPRECATION_MESSAGE  # noqa: F401
    except ImportError:
        return "torch_dtype"
    return "dtype"


DTYPE_KEYWORD = dtype_keyword()


class Libraries:
    """The libraries a kind's run-time steps use (``run.torch``, ``run.np``, ...): kind files import none."""

    torch = torch
    diffusers = diffusers
    transformers = transformers
    np = np
    Image = Image
    ImageDraw = ImageDraw
    DTYPE_KEYWORD = DTYPE_KEYWORD

    @staticmethod
    def optional_module(name: str):
        """An optional library (a quantization backend), or None when it is not installed."""
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    @staticmethod
    def is_out_of_memory(error: BaseException) -> bool:
        return is_out_of_memory(error)

    @staticmethod
    def free_memory() -> None:
        free_memory()

    @staticmethod
    def family_of(cls) -> str | None:
        """A text-to-image pipeline class's family in diffusers' auto-pipeline tables (``stable-diffusion-xl``),
        the key of its image-to-image and ControlNet variants; None for a class outside them."""
        mapping = diffusers.pipelines.auto_pipeline.AUTO_TEXT2IMAGE_PIPELINES_MAPPING
        return next((name for name, text in mapping.items() if text is cls), None)

    @cached_property
    def cv2(self):
        import cv2  # OpenCV: the edge detector ControlNet's Canny models were trained on; only when one is made

        return cv2


LIBRARIES = Libraries()


def pick_device(requested: str | None) -> str:
    """The device to run on: the one asked for, else CUDA, else Apple MPS, else the CPU."""
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if requested:
        if not available[requested]:
            raise FigureError(
                f"--device {requested}: torch {torch.__version__} sees no {requested.upper()} device here"
            )
        return requested
    return next(name for name, present in available.items() if present)


def device_name(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name()
    return "Apple MPS" if device == "mps" else "CPU"


def library_versions() -> dict[str, str]:
    return {
        "diffusers": diffusers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def pipeline_class(name: str):
    found = getattr(diffusers, name, None)
    return found if isinstance(found, type) and issubclass(found, diffusers.DiffusionPipeline) else None


def call_parameters(cls) -> set[str]:
    """Arguments ``cls.__call__`` names. Its ``**kwargs`` swallows (and ignores) anything, so it does not count."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in inspect.signature(cls.__call__).parameters.values() if p.kind in kinds} - {"self"}


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's (and MPS's) out-of-memory error, or the CPU's: Python's MemoryError, torch's failed allocation."""
    text = str(error).lower()
    return (
        isinstance(error, (torch.OutOfMemoryError, MemoryError))
        or "out of memory" in text
        or "can't allocate memory" in text  # torch's DefaultCPUAllocator, a plain RuntimeError
    )


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
