"""A plan in words, for ``--dry-run`` and ``--check``: a line per image and sweep, then a line per model
with what is left to make, its denoising steps and the time that should take. Pure: text in, text out."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from .layout import hub_cache_folder
from .memory import model_size
from .state import JobState, SweepState

if TYPE_CHECKING:
    from .make import Planned


def plan_lines(planned: Planned, only_pending: bool = False) -> list[str]:
    """One line per image and sweep, ``state  what  (why)``, then what a run would remove."""
    lines = []
    described = [(s.state, s.job.file, model_name(s.job), s.reason) for s in planned.states]
    described += [
        (s.state, f"sweep of {s.sweep.spec.id}", s.sweep.spec.label or "", s.reason) for s in planned.sweep_states
    ]
    for state, what, model, reason in described:
        if only_pending and state == "fresh":
            continue
        on = f"  [{model}]" if model else ""
        why = f"  ({reason})" if reason else ""
        lines.append(f"{state:<8} {what}{on}{why}")
    lines += [f"{'remove':<8} {name}  (no setting asks for it)" for name in planned.unplanned]
    lines += [f"{'remove':<8} sweep of {key}  (no setting asks for it now)" for key in planned.unplanned_sweeps]
    return lines


def model_name(job) -> str:
    """How plans name the model of an image: its profile's label, else its model id."""
    return job.spec.label or job.source.model


def model_lines(states: list[JobState], entries: dict[str, dict] | None = None, offload: str = "auto") -> list[str]:
    """Per model, in run order: its images, how many to make, their denoising steps, the time they should take
    (from the seconds per step the manifest recorded for that model on each kind of device) and its size."""
    by_model: dict[tuple, list[JobState]] = {}
    for state in states:
        source = state.job.source
        by_model.setdefault((model_name(state.job), source.model, source.revision), []).append(state)
    lines = []
    for (name, model, revision), members in by_model.items():
        todo = [s for s in members if s.state != "fresh"]
        steps = sum(s.job.steps for s in todo)
        pinned = revision[:12] if not revision.startswith("local:") else "local folder"
        line = f"{name} ({model} @ {pinned}): {len(members)} images, {len(todo)} to make"
        if todo:
            rates = seconds_per_step(entries or {}, model)
            estimate = "; ".join(
                f"about {_duration(rate * steps)} on {device} ({rate:.2f} s per step recorded)"
                for device, rate in rates.items()
            )
            line += f", {steps:.0f} denoising steps, " + (estimate or "no estimate (no seconds recorded for it yet)")
        size = _size_on_disk(members[0].job)
        if size is not None:
            line += f"; weights {size.gib()} in {members[0].job.spec.dtype}, offload {offload}"
        lines.append(line)
    return lines


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


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _size_on_disk(job):
    """The model's weight size if its files are on this machine (a local folder, or the Hub cache); no torch."""
    source = job.source
    if source.local_path:
        return model_size(Path(source.local_path), job.spec.dtype)
    snapshot = hub_cache_folder(source.model) / "snapshots" / source.revision
    return model_size(snapshot, job.spec.dtype) if snapshot.is_dir() else None


def counts(states: list[JobState], sweep_states: list[SweepState] = ()) -> str:
    text = _tally(states, "images")
    return text + f"; {_tally(sweep_states, 'sweeps')}" if sweep_states else text


def _tally(states, what: str) -> str:
    tally = {name: sum(s.state == name for s in states) for name in ("fresh", "missing", "stale")}
    return f"{len(states)} {what}: {tally['fresh']} fresh, {tally['missing']} missing, {tally['stale']} stale"
