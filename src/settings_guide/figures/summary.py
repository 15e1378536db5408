"""A plan in words, for ``--dry-run`` and ``--check``: a line per image and sweep, then a line per model
with what is left to make, its denoising steps and the time that should take. Pure: text in, text out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .estimate import Estimate, duration, estimates, memory_needed, published_size
from .layout import hub_cache_folder
from .memory import GIB, choose_offload, model_size
from .state import JobState, SweepState

if TYPE_CHECKING:
    from .make import Planned
    from .profiles import ModelProfile


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


def model_lines(
    states: list[JobState],
    entries: dict[str, dict] | None = None,
    offload: str = "auto",
    profiles: dict[str, ModelProfile] | None = None,
) -> list[str]:
    """Per model, in run order: its images, how many to make, their denoising steps, the time they should take
    (from the seconds per step the manifest recorded for it, else its profile's published figure), its download
    and the GPU memory it needs; then a line with the totals."""
    by_model: dict[tuple, list[JobState]] = {}
    for state in states:
        source = state.job.source
        by_model.setdefault((model_name(state.job), source.model, source.revision), []).append(state)
    lines, total = [], _Total()
    for (name, model, revision), members in by_model.items():
        job = members[0].job
        profile = (profiles or {}).get(job.spec.profile or "")
        profile = profile if profile is not None and profile.model == model else None  # --model replaced it
        todo = [s for s in members if s.state != "fresh"]
        steps = sum(s.job.steps for s in todo)
        pinned = revision[:12] if not revision.startswith("local:") else "local folder"
        line = f"{name} ({model} @ {pinned}): {len(members)} images, {len(todo)} to make"
        if todo:
            found = estimates([s.job for s in todo], entries or {}, model, profile)
            line += f", {steps:.0f} denoising steps, " + (
                "; ".join(e.text() for e in found) or "no estimate (no seconds recorded or published for it yet)"
            )
            total.add(name, len(todo), steps, found)
        on_disk = _size_on_disk(job)
        if on_disk is None and todo and profile is not None and profile.published is not None:
            line += f"; download {profile.published.download_gb:g} GB (published)"
            total.download += profile.published.download_gb
        size = on_disk or published_size(profile, job.spec.dtype)
        if size is not None:
            line += f"; weights {size.gib()} in {job.spec.dtype}, offload {offload}; {memory_needed(size)}"
            line += "" if on_disk is not None else " (from the published sizes)"
        # What a GPU run would do, in the dtype the profile runs in on CUDA (this plan may be a CPU machine's fp32).
        on_gpu = published_size(profile, profile.dtype) if on_disk is None and profile is not None else size
        if on_gpu is not None:
            dtype = profile.dtype if profile is not None else job.spec.dtype
            line += f"; on an 80 GB GPU in {dtype}: {on_a_large_gpu(on_gpu)}"
        if profile is not None:
            line += f"; licence {profile.licence or 'not recorded'}"
            if profile.gated:
                line += " (gated: HF_TOKEN must belong to an account that accepted it on the model's Hub page)"
        lines.append(line)
    return lines + ([total.line()] if total.images else [])


# What an 80 GB card (A100, H100) has free once CUDA has started: about 78 GiB of its 79.2.
LARGE_GPU_FREE = 78 * GIB


def on_a_large_gpu(size) -> str:
    """The offload ``--offload auto`` would choose for this model on an 80 GB card."""
    mode, _ = choose_offload("auto", "cuda", size, LARGE_GPU_FREE)
    return {"none": "fits whole", "model": "needs model offload", "sequential": "needs sequential offload"}[mode]


@dataclass
class _Total:
    """The sums over models for the last line of ``model_lines``."""

    images: int = 0
    steps: float = 0.0
    seconds: float = 0.0
    download: float = 0.0
    bases: set = field(default_factory=set)
    without: list = field(default_factory=list)  # models with no estimate

    def add(self, name: str, images: int, steps: float, found: list[Estimate]) -> None:
        self.images, self.steps = self.images + images, self.steps + steps
        if not found:
            self.without.append(name)
            return
        # A GPU's figure where there is one: the run that pays is the GPU runner's.
        chosen = next((e for e in found if e.where != "CPU"), found[0])
        self.seconds += chosen.seconds
        self.bases.add("published" if chosen.published else "recorded")

    def line(self) -> str:
        text = f"total: {self.images} images to make, {self.steps:.0f} denoising steps"
        if self.bases:
            text += f", about {duration(self.seconds)} ({' and '.join(sorted(self.bases))} figures)"
        if self.without:
            text += f", not counting {', '.join(self.without)} (no estimate)"
        return text + (f"; download {self.download:.0f} GB" if self.download else "")


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
