"""The device a run on this machine would use, guessed without importing torch (planning stays torch-free).

``figures/run/libraries.py`` ``pick_device`` decides for a run (CUDA, else Apple MPS, else the CPU);
``--dry-run`` and ``--check`` must plan the same images, so they plan for the same device, told apart here
by the NVIDIA driver and the platform instead of by torch.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from pathlib import Path


def planning_device(requested: str | None) -> str | None:
    """--device, else the device a run here would pick; None where no run can happen here (no torch).

    None plans with the configured dtypes: the site-only install (no torch) checks the GPU runner's images.
    """
    if requested:
        return requested
    try:
        if importlib.util.find_spec("torch") is None:
            return None
    except (ImportError, ValueError):
        return None
    if Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi"):
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    return "cpu"
