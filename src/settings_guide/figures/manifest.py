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
from typing import Any

from ..atomic import write_text_atomic
from ..errors import Problem, ProblemsFound
from ..settings.positions import display_path
from .layout import MANIFEST_NAME, sweep_id

MANIFEST_SCHEMA = 1


# Results a precision comparison records instead of an image (see figures/measured.py): shown, labelled.
SHOWN_FAILURES = ("nan", "black")


def has_image(entry: dict) -> bool:
    """False for an entry that records a shown failure instead of a file."""
    return entry.get("result") not in SHOWN_FAILURES


def entry_files(entry: dict) -> list[str]:
    """Every file one entry names: its image (absent for a shown failure), then its smaller copies and its crop."""
    if not has_image(entry):
        return [entry["file"]]
    files = [entry["file"], *(variant["file"] for variant in entry.get("variants", []))]
    files += [entry["crop"]["file"]] if isinstance(entry.get("crop"), dict) else []
    return files + ([entry["control_image"]["file"]] if isinstance(entry.get("control_image"), dict) else [])


def read_manifest(figures_dir: Path) -> dict[str, dict]:
    """Image entries by file (relative to the figures folder); empty when there is no manifest yet."""
    return _read(figures_dir)[0]


def read_sweeps(figures_dir: Path) -> dict[str, dict]:
    """Sweep measurements by sweep id, ``slug`` or ``slug/profile`` (see figures/sweep.py); empty when none yet."""
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
    images = data.get("images") if isinstance(data, dict) else None
    if not _entries_with(images, "file"):
        raise ProblemsFound([_shape_problem(path, "images", "each with a `file`")])
    sweeps = data.get("sweeps", [])
    if not _entries_with(sweeps, "setting") or not all(isinstance(s.get("points"), list) for s in sweeps):
        raise ProblemsFound([_shape_problem(path, "sweeps", "each with a `setting` and its `points`")])
    return {entry["file"]: entry for entry in images}, {sweep_id(s["setting"], s.get("profile")): s for s in sweeps}


def _entries_with(value: Any, key: str) -> bool:
    return isinstance(value, list) and all(isinstance(e, dict) and isinstance(e.get(key), str) for e in value)


def _shape_problem(path: Path, field: str, what: str) -> Problem:
    return Problem(display_path(path), 1, 1, field, f"expected a list of entries, {what}; restore it from git")


def write_manifest(figures_dir: Path, entries: dict[str, dict], sweeps: dict[str, dict] | None = None) -> bool:
    """Write all entries sorted by file, and the sweeps by setting, atomically; False when nothing changed.

    ``sweeps=None`` keeps the sweep measurements the manifest holds: writing images never drops them.
    """
    if sweeps is None:
        sweeps = read_sweeps(figures_dir)
    data: dict[str, Any] = {"schema": MANIFEST_SCHEMA, "images": [entries[name] for name in sorted(entries)]}
    if sweeps:
        data["sweeps"] = [sweeps[key] for key in sorted(sweeps)]
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
) -> dict[str, Any]:
    """The manifest entry of one image just written; ``run`` holds the run-wide facts (device, versions...)."""
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
    if spec.profile is not None:
        entry.update(profile=spec.profile, label=spec.label)
    if batch_seeds and len(batch_seeds) > 1:
        # One call made several images: its generator was one CPU torch.Generator per seed, in this order.
        entry["batch_seeds"] = batch_seeds
    return entry


def job_entry(job, seconds: float) -> dict[str, Any]:
    """What every entry says of the job that made its file: file, key and inputs, the compared value, the time."""
    spec = job.spec
    entry = {"file": job.file, "role": spec.role, "key": job.key, "inputs": job.inputs, "seconds": round(seconds, 2)}
    if spec.role in ("comparison", "sweep"):
        entry.update(setting=spec.slug, parameter=spec.parameter, value=spec.value)
    return entry
