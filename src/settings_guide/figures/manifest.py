"""``figures/manifest.json``: how each image was made. Read and written atomically, sorted and stable.

One entry per image, keyed by its file, then one per sweep (the numbers its chart shows), keyed
by setting and, for comparisons across models, model profile. Unchanged entries are written back
byte for byte, so a pull request's diff shows exactly the images that were made again and the
sweeps that were measured again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import (
    Any,
    Literal,
    Required,  # pydantic validates these on Python 3.11
)

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from ..atomic import write_text_atomic
from ..errors import Problem, ProblemsFound
from ..settings.positions import display_path
from .layout import MANIFEST_NAME, sweep_id

MANIFEST_SCHEMA = 1


# --- the shape of the manifest: every field an entry may hold, and who writes it -------------------


class FileRecord(TypedDict):
    """A file beside an image (a smaller copy, a crop, a control image) and its size."""

    file: str
    width: int | None
    height: int | None


class FirstStage(TypedDict):
    """How a refined image's first stage was made (kinds/refiner.py): its model at its commit, and its call."""

    model: str
    revision: str
    pipeline: str
    dtype: str
    seed: int
    call: dict[str, Any]


class ImageEntry(TypedDict, total=False):
    """One image's record. ``job_entry`` writes the first fields for every image, ``image_entry`` those of a
    pipeline call; a kind's ``record`` or ``make`` step adds its own (the last group)."""

    # Every entry: which job made its file.
    file: Required[str]  # relative to the figures folder
    role: Literal["comparison", "sweep", "input", "stage"]
    key: str  # the cache key: SHA-256 of `inputs`
    inputs: dict[str, Any]
    seconds: float
    setting: str  # a compared image: its setting, compared argument(s) and value
    parameter: str
    value: Any
    # An image a pipeline call made.
    call: dict[str, Any]  # the exact keyword arguments, all but the generator
    seed: int
    batch_seeds: list[int]  # one call made several images: its generators' seeds, in order
    model: str
    revision: str  # the commit it was loaded from
    pipeline: str
    scheduler: str
    scheduler_config: dict[str, Any]  # scheduler config fields the image changed, e.g. {"shift": 3.0}
    sigmas: list[float]  # a scheduler comparison's image: the noise level of each step it ran
    dtype: str
    device: str
    offload: str
    versions: dict[str, str]
    threads: int  # a CPU run's torch.get_num_threads(): not part of the key
    profile: str
    label: str
    width: int | None
    height: int | None
    sha256: str | None  # None: a shown failure, no file
    variants: list[FileRecord]
    # A precision that broke the image, a batch too large for the device, a backend for CUDA only on another
    # device: recorded and shown, no file.
    result: Literal["nan", "black", "out-of-memory", "needs-cuda"]
    message: str
    # What kinds add.
    first_stage: FirstStage
    control_image: FileRecord
    mask_image: FileRecord  # an inpainting image's mask, beside its input image
    quantized_component: str  # the pipeline component a quantization image's weights were quantized in
    batch_size: int
    peak_memory_bytes: int | None
    bytes: int
    size: str
    format: str
    mime_type: str
    crop: FileRecord
    source_image: str


class SweepPoint(TypedDict, total=False):
    value: Required[Any]
    file: str
    key: str
    difference: Required[float]
    seconds: float | None


class SweepRecord(TypedDict, total=False):
    """One sweep's measurement (figures/sweeps.py): each value's difference to the reference, and the run facts."""

    setting: Required[str]
    profile: str
    label: str | None
    parameter: str
    reference: Any
    metric: str
    metric_version: int
    points: Required[list[SweepPoint]]
    devices: list[str]
    model: str | None
    revision: str | None
    pipeline: str | None
    dtype: str | None
    prompt: str | None
    seed: int | None
    width: int | None
    height: int | None


class _Manifest(TypedDict, total=False):
    schema: int
    images: Required[list[ImageEntry]]
    sweeps: list[SweepRecord]


# Checks only: the entries the pages and the cache use are the JSON's own dicts, byte for byte.
_MANIFEST = TypeAdapter(_Manifest)


# Results recorded instead of an image, shown and labelled: a precision comparison's (figures/run/precision.py)
# and a batch size's that ran out of memory (kinds/batch_size.py).
OUT_OF_MEMORY = "out-of-memory"
NEEDS_CUDA = "needs-cuda"  # a quantization backend whose kernels exist for CUDA only, on a run without one
SHOWN_FAILURES = ("nan", "black", OUT_OF_MEMORY, NEEDS_CUDA)


def has_image(entry: dict) -> bool:
    """False for an entry that records a shown failure instead of a file."""
    return entry.get("result") not in SHOWN_FAILURES


def entry_files(entry: dict) -> list[str]:
    """Every file one entry names: its image (absent for a shown failure), then its smaller copies and its crop."""
    if not has_image(entry):
        return [entry["file"]]
    files = [entry["file"], *(variant["file"] for variant in entry.get("variants", []))]
    files += [entry["crop"]["file"]] if isinstance(entry.get("crop"), dict) else []
    kept = [entry[name]["file"] for name in ("control_image", "mask_image") if isinstance(entry.get(name), dict)]
    return files + kept


def read_manifest(figures_dir: Path) -> dict[str, dict]:
    """Image entries by file (relative to the figures folder); empty when there is no manifest yet."""
    return _read(figures_dir)[0]


def read_sweeps(figures_dir: Path) -> dict[str, dict]:
    """Sweep measurements by sweep id, ``slug`` or ``slug/profile`` (see figures/sweeps.py); empty when none yet."""
    return _read(figures_dir)[1]


def _read(figures_dir: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    path = Path(figures_dir) / MANIFEST_NAME
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}, {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        # A merge conflict or a hand edit; never guess, since the pages and the cache rely on it.
        raise ProblemsFound(
            [
                Problem(
                    display_path(path),
                    error.lineno,
                    error.colno,
                    "",
                    f"not valid JSON ({error.msg}); restore it from git, or delete it to make every image again",
                )
            ]
        ) from None
    problems = shape_problems(data, display_path(path), text)
    if problems:
        raise ProblemsFound(problems)
    images, sweeps = data["images"], data.get("sweeps", [])
    return {entry["file"]: entry for entry in images}, {sweep_id(s["setting"], s.get("profile")): s for s in sweeps}


def shape_problems(data: Any, shown: str, text: str = "") -> list[Problem]:
    """Where the manifest's data differs from ``ImageEntry`` and ``SweepRecord``: one problem per field, at its
    entry's line when the text is at hand."""
    try:
        _MANIFEST.validate_python(data, strict=True)
    except ValidationError as error:
        return [_shape_problem(detail, data, shown, text) for detail in error.errors(include_url=False)[:20]]
    return []


def _shape_problem(detail: dict, data: Any, shown: str, text: str) -> Problem:
    loc = [part for part in detail["loc"] if not (isinstance(part, str) and part.startswith(("list[", "dict[")))]
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    line = 1
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
        entry = (data.get(loc[0]) or [None] * (loc[1] + 1))[loc[1]]
        name = entry.get("file") or entry.get("setting") if isinstance(entry, dict) else None
        found = text.find(json.dumps(name, ensure_ascii=False)) if isinstance(name, str) else -1
        line = text.count("\n", 0, found) + 1 if found >= 0 else 1
    message = detail["msg"][0].lower() + detail["msg"][1:]
    return Problem(shown, line, 1, field, f"{message}; restore it from git, or delete it to make every image again")


def write_manifest(figures_dir: Path, entries: dict[str, dict], sweeps: dict[str, dict] | None = None) -> bool:
    """Write all entries sorted by file, and the sweeps by setting, atomically; False when nothing changed.

    ``sweeps=None`` keeps the sweep measurements the manifest holds: writing images never drops them.
    """
    if sweeps is None:
        sweeps = read_sweeps(figures_dir)
    data: dict[str, Any] = {"schema": MANIFEST_SCHEMA, "images": [entries[name] for name in sorted(entries)]}
    if sweeps:
        data["sweeps"] = [sweeps[key] for key in sorted(sweeps)]
    if problems := shape_problems(data, MANIFEST_NAME):  # our own bug: an entry the shape above does not allow
        raise ValueError("the figure run built a manifest entry of the wrong shape: " + "; ".join(map(str, problems)))
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text_atomic(Path(figures_dir) / MANIFEST_NAME, text)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def image_entry(
    job,
    *,
    call: dict[str, Any],
    run: dict[str, Any],
    seconds: float,
    width: int | None,
    height: int | None,
    sha256: str | None,
    batch_seeds: list[int] | None,
    extra: dict[str, Any] | None = None,
) -> ImageEntry:
    """The manifest entry of one image just written; ``run`` holds the run-wide facts (device, versions...),
    ``extra`` what else this image's call recorded (a shown failure, a measurement, its smaller copies)."""
    spec = job.spec
    entry = {
        **job_entry(job, seconds),
        "call": call,  # the exact keyword arguments, all but the generator
        "seed": spec.seed,
        "model": job.source.model,
        "width": width,
        "height": height,
        "sha256": sha256,
        **run,
    }
    if spec.scheduler:
        # The class the runner swapped in, built from the model's own scheduler config.
        entry["scheduler"] = spec.scheduler
    if spec.scheduler_config:
        # The config fields it changed on that scheduler (or the model's own), e.g. {"shift": 3.0}.
        entry["scheduler_config"] = spec.scheduler_config
    if spec.profile is not None:
        entry.update(profile=spec.profile, label=spec.label)
    if batch_seeds and len(batch_seeds) > 1:
        # One call made several images: its generator was one CPU torch.Generator per seed, in this order.
        entry["batch_seeds"] = batch_seeds
    return {**entry, **(extra or {})}


def job_entry(job, seconds: float) -> ImageEntry:
    """What every entry says of the job that made its file: file, key and inputs, the compared value, the time."""
    spec = job.spec
    entry = {"file": job.file, "role": spec.role, "key": job.key, "inputs": job.inputs, "seconds": round(seconds, 2)}
    if spec.role in ("comparison", "sweep"):
        entry.update(setting=spec.slug, parameter=spec.parameter, value=spec.value)
    return entry
