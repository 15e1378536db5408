"""Every file name under figures/, in one place: images, their copies, inputs, the stage cache, the manifest.

Pure: the run writes these names, the planner keys them, the pages and the site read them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULTS_NAME = "defaults.yml"
MANIFEST_NAME = "manifest.json"
IMAGE_SUFFIXES = (".webp", ".png", ".jpg", ".avif")  # what a figures run writes (and may remove)
INPUTS_DIR = "_inputs"  # input images of image-to-image comparisons; no setting slug starts with "_"
# First stages whose output is latents (the refiner's input): a local cache, not published, not in git.
STAGES_DIR = ".stages"
# The output-format comparison's lossless source image: read by the run, never published (megabytes no page shows).
LOSSLESS_SOURCE = re.compile(r"[0-9a-f]{16}\.png")


def figure_file(spec, key: Callable[[], str]) -> str:
    """Where an image (a ``figures.spec.FigureSpec``) lives under figures/: stable per compared value, so
    pull-request diffs show changes. A first stage is named by its cache key (``key()``, hashed only then)."""
    if spec.role == "input":
        return f"{INPUTS_DIR}/{key()[:16]}.{spec.format}"
    if spec.role == "stage":
        return f"{STAGES_DIR}/{key()}.npy"
    folder = f"{spec.slug}/{spec.profile}" if spec.per_model else spec.slug
    parameter = spec.parameter.replace("+", "-")  # several compared arguments: names hold no "-"
    return f"{folder}/{_file_part(parameter)}-{_file_part(_flat(spec.value))}.{spec.format}"


def figure_images(figures_dir: Path) -> list[Path]:
    """Every image file a run wrote under the figures folder, sorted; never the local stage cache."""
    if not figures_dir.is_dir():
        return []
    return sorted(
        path
        for path in figures_dir.rglob("*")
        if path.suffix in IMAGE_SUFFIXES
        and not path.name.startswith(".")
        and STAGES_DIR not in path.relative_to(figures_dir).parts
    )


def _flat(value: Any) -> Any:
    """A list value as file-name text: pairs as ``32x32``, items joined by ``-`` (``32x32-16x0``)."""
    if not isinstance(value, list):
        return value
    return "-".join("x".join(map(str, item)) if isinstance(item, list) else str(item) for item in value)


def _file_part(value: Any) -> str:
    text = str(value)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:64] or "empty"
    # Text values (prompts, ...) need not be file-safe; a short hash keeps their names distinct.
    return safe if safe == text else f"{safe}-{_sha256(text.encode())[:8]}"


def published_images(figures_dir: Path) -> list[Path]:
    """The figure files the site serves: every image a run made but the lossless sources of output formats."""
    return [
        path
        for path in figure_images(figures_dir)
        if not (path.parent.name == INPUTS_DIR and LOSSLESS_SOURCE.fullmatch(path.name))
    ]


def variant_file(file: str, width: int) -> str:
    """``steps/num_inference_steps-4.webp`` -> ``steps/num_inference_steps-4.640w.webp``."""
    stem, dot, suffix = file.rpartition(".")
    return f"{stem}.{width}w{dot}{suffix}"


def crop_file(file: str) -> str:
    """Where a format's zoomed crop lives, beside the file it was cut from."""
    stem, _, _ = file.rpartition(".")
    return f"{stem}-crop.png"


def control_file(input_file: str, kind: str) -> str:
    """Where a ControlNet's control image (e.g. Canny edges) of an input image is kept: beside that image."""
    return f"{input_file.rpartition('.')[0]}-{kind}.png"


def chart_file(slug: str, chart: str, palette: str) -> str:
    """Where a page's chart (``sweep`` or ``batch``, ``light`` or ``dark``) is written in the built site."""
    return f"{slug}/{chart}-{palette}.svg"


def sweep_id(slug: str, profile: str | None) -> str:
    """A sweep's key in the manifest, and its images' folder: the setting, then the profile in a multi-model one."""
    return f"{slug}/{profile}" if profile else slug


def looks_like_path(model: str) -> bool:
    """Hub ids are ``owner/name``; anything else (``/x``, ``./x``, ``x``, ``a/b/c``) is a folder."""
    return model.startswith(("/", ".", "~")) or "\\" in model or model.count("/") != 1


def hub_cache_folder(model: str) -> Path:
    """Where the Hugging Face cache keeps a Hub model: its ``refs/`` and ``snapshots/<commit>/``."""
    return hub_cache() / ("models--" + model.replace("/", "--"))


def hub_cache() -> Path:
    """The Hugging Face cache folder, found from the environment in huggingface_hub's order (HF_HUB_CACHE,
    then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub): planning runs where huggingface_hub is not installed."""
    home = os.getenv("HF_HOME") or os.path.join(
        os.getenv("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface"
    )
    cache = os.getenv("HF_HUB_CACHE") or os.getenv("HUGGINGFACE_HUB_CACHE") or os.path.join(home, "hub")
    return Path(os.path.expandvars(os.path.expanduser(cache)))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
