"""Each planned image and sweep against the manifest: fresh, missing or stale, and why. Pure: no torch."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .manifest import has_image
from .plan import FigureJob, SweepPlan
from .sweeps import METRIC_VERSION

FigureState = Literal["fresh", "missing", "stale"]


@dataclass(frozen=True)
class JobState:
    job: FigureJob
    state: FigureState
    reason: str = ""


def job_state(job: FigureJob, entry: dict | None, figures_dir: Path, verify_bytes: bool = False) -> JobState:
    """fresh (file there, key matches), missing (no file), or stale (file there, made from other inputs)."""
    path = figures_dir / job.file
    if job.spec.role == "stage":  # its file is named by its key and has no manifest entry
        return JobState(job, "fresh" if path.is_file() else "missing", "" if path.is_file() else "not made yet")
    if entry is not None and not has_image(entry):  # a precision that broke the image: its result is the figure
        if entry.get("key") == job.key:
            return JobState(job, "fresh")
        return JobState(job, "stale", describe_change(job.inputs, entry.get("inputs")))
    if entry is None or not path.is_file():
        return JobState(job, "missing", "not generated yet" if entry is None else "its file is missing")
    if entry.get("key") != job.key:
        return JobState(job, "stale", describe_change(job.inputs, entry.get("inputs")))
    if verify_bytes and _sha256(path.read_bytes()) != entry.get("sha256"):
        return JobState(job, "stale", "the file differs from the one the manifest records")
    return JobState(job, "fresh")


def describe_change(planned: dict, recorded: dict | None) -> str:
    """A short reason an image is out of date, e.g. ``changed: prompt, guidance_scale 7.5 → 5``."""
    if not isinstance(recorded, dict):
        return "made before its inputs were recorded"
    changes = []
    # Another model brings its own pipeline class and scheduler: name the cause, not each consequence.
    consequences = (
        {"revision", "pipeline", "scheduler", "scheduler_config"}
        if planned.get("model") != recorded.get("model")
        else {"scheduler_config"}
        if planned.get("revision") != recorded.get("revision")
        else set()
    )
    for name in planned:
        if name in consequences:
            continue
        if name == "arguments":
            before, after = recorded.get(name) or {}, planned[name]
            changes += [
                _change(arg, before.get(arg), after.get(arg))
                for arg in sorted({*before, *after})
                if before.get(arg) != after.get(arg)
            ]
        elif name == "input_image" and planned[name] != recorded.get(name):
            changes.append("its input image")
        elif planned[name] != recorded.get(name):
            changes.append(_change(name, recorded.get(name), planned[name]))
    return "changed: " + ", ".join(changes) if changes else "its inputs changed"


def _change(name: str, before: Any, after: Any) -> str:
    if name == "key_schema":
        return "the figure pipeline's cache-key version"
    shown = [json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v) for v in (before, after)]
    if before is None or after is None or max(map(len, shown)) > 24:
        return name
    return f"{name} {shown[0]} → {shown[1]}"


@dataclass(frozen=True)
class SweepState:
    sweep: SweepPlan
    state: FigureState
    reason: str = ""


def sweep_state(sweep: SweepPlan, record: dict | None) -> SweepState:
    """fresh (measured from exactly the planned images), missing (never measured) or stale."""
    if record is None:
        return SweepState(sweep, "missing", "not measured yet")
    points = record.get("points") or []
    if record.get("metric_version") != METRIC_VERSION:
        return SweepState(sweep, "stale", "measured with another version of the metric")
    if record.get("reference") != sweep.spec.reference:
        return SweepState(sweep, "stale", f"changed: reference {record.get('reference')} → {sweep.spec.reference}")
    if [point.get("value") for point in points] != list(sweep.spec.values):
        return SweepState(sweep, "stale", "changed: its values")
    if [point.get("key") for point in points] != [job.key for job in sweep.jobs]:
        return SweepState(sweep, "stale", "its images were made from other inputs")
    return SweepState(sweep, "fresh")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
