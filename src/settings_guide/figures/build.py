"""The ``figures`` command's work: plan, then report (--dry-run, --check), merge shards, or run.

Planning never imports torch; only ``build_figures`` does, through ``figures.run``.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..errors import ProblemsFound
from ..settings.load import find_setting_files, load_settings
from ..settings.rules import slugify
from .manifest import (
    IMAGE_SUFFIXES,
    MANIFEST_NAME,
    entry_files,
    file_sha256,
    has_image,
    read_manifest,
    read_sweeps,
    write_manifest,
)
from .plan import (
    FigureError,
    JobState,
    ModelResolver,
    Plan,
    figure_images,
    hub_cache_folder,
    job_state,
    plan_figures,
)
from .spec import DEFAULTS_NAME, Overrides, all_specs, load_defaults, unpinned_models
from .sweep import SweepState, sweep_state

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class BuildOptions:
    root: Path = Path(".")
    model: str | None = None
    device: str | None = None
    dtype: str | None = None
    size: tuple[int, int] | None = None
    only: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None
    force: bool = False
    offload: str = "auto"  # none | model | sequential | auto (see figures/memory.py)

    @property
    def figures_dir(self) -> Path:
        return Path(self.root) / "figures"


@dataclass
class Planned:
    """The whole plan, the part this run is responsible for, and each of its images' and sweeps' state."""

    full: Plan
    selected: Plan
    states: list[JobState]
    entries: dict[str, dict]
    unplanned: list[str] = field(default_factory=list)  # manifest entries and images no setting asks for
    sweeps: dict[str, dict] = field(default_factory=dict)  # the manifest's sweep records, by sweep id
    sweep_states: list[SweepState] = field(default_factory=list)
    unplanned_sweeps: list[str] = field(default_factory=list)  # records of sweeps no setting asks for now

    @property
    def todo(self) -> list[JobState]:
        return [state for state in self.states if state.state != "fresh"]

    @property
    def sweeps_todo(self) -> list[SweepState]:
        return [state for state in self.sweep_states if state.state != "fresh"]


def load_project(options: BuildOptions):
    """The validated settings and figure defaults; ProblemsFound or FigureError when they are unusable."""
    defaults_path = options.figures_dir / DEFAULTS_NAME
    if not defaults_path.is_file():
        raise FigureError(f"{defaults_path}: no figure defaults file; it names the models, prompt and seed")
    return load_settings(find_setting_files(Path(options.root) / "settings")), load_defaults(defaults_path)


def pin_project(options: BuildOptions) -> int:
    """``--pin``: write the current commit of every unpinned Hub model into its file; 1 if any could not be."""
    loaded, defaults = load_project(options)
    unpinned = unpinned_models(loaded, defaults)
    if unpinned and importlib.util.find_spec("huggingface_hub") is None:  # the site's install asks no Hub
        raise FigureError("--pin asks the Hugging Face Hub for commits: install the figures extra (make .venv/.figures)")
    from .pin import pin_models

    done, failed = pin_models(unpinned, options.root)
    for line in done:
        print(line)
    for line in failed:
        print(line, file=sys.stderr)
    print(f"pinned {len(done)} of {len(unpinned)} unpinned models" if unpinned else "every model is pinned")
    return 1 if failed else 0


def plan_project(options: BuildOptions, dtype: str | None, verify_bytes: bool = True) -> Planned:
    """Load settings and defaults, plan every image, and compare with the manifest. No torch."""
    loaded, defaults = load_project(options)
    unpinned = unpinned_models(loaded, defaults)
    if unpinned:
        raise ProblemsFound([item.problem() for item in unpinned])
    width, height = options.size or (None, None)
    overrides = Overrides(model=options.model, width=width, height=height, dtype=dtype)
    full = plan_figures(all_specs(loaded, defaults, overrides), ModelResolver(options.root))
    selected = full
    if options.only:
        known = {item.slug for item in loaded}
        for slug in options.only:
            if slug not in known:
                close = get_close_matches(slugify(slug), sorted(known), n=1)
                raise FigureError(
                    f"--only {slug}: no such setting" + (f"; did you mean {close[0]!r}?" if close else "")
                )
        selected = full.only(set(options.only))
    entries = read_manifest(options.figures_dir)
    states = needed_stages(
        [job_state(job, entries.get(job.file), options.figures_dir, verify_bytes) for job in selected.jobs]
    )
    if options.shard:
        pending = frozenset(s.job.key for s in states if options.force or s.state != "fresh")
        selected = selected.shard(*options.shard, pending=pending)
        mine = {id(job) for job in selected.jobs}
        states = [state for state in states if id(state.job) in mine]
    sweeps = read_sweeps(options.figures_dir)
    sweep_states = [sweep_state(sweep, sweeps.get(sweep.spec.id)) for sweep in selected.sweeps]
    if options.force:
        states = [JobState(s.job, "stale", "--force") if s.state == "fresh" else s for s in states]
        sweep_states = [SweepState(s.sweep, "stale", "--force") if s.state == "fresh" else s for s in sweep_states]
    swept = {sweep.spec.id for sweep in full.sweeps}
    return Planned(
        full,
        selected,
        states,
        entries,
        unplanned_files(full, entries, options.figures_dir),
        sweeps,
        sweep_states,
        sorted(set(sweeps) - swept),
    )


def needed_stages(states: list[JobState]) -> list[JobState]:
    """A first stage kept only as latents is made when an image that starts from it is; otherwise it counts as done."""
    pending = {id(state.job.input_job) for state in states if state.state != "fresh" and state.job.input_job}
    return [JobState(s.job, "fresh") if s.job.spec.role == "stage" and id(s.job) not in pending else s for s in states]


def unplanned_files(plan: Plan, entries: dict[str, dict], figures_dir: Path) -> list[str]:
    planned = {file for name in plan.files for file in entry_files(entries.get(name, {"file": name}))}
    on_disk = {path.relative_to(figures_dir).as_posix() for path in figure_images(figures_dir)}
    return sorted((set(entries) | on_disk) - planned)


def plan_dtype(options: BuildOptions, device: str | None) -> str | None:
    """The dtype override: --dtype, else fp32 off CUDA (bf16 is slow or missing there), else the configured one."""
    if options.dtype:
        return options.dtype
    return "fp32" if device in ("cpu", "mps") else None


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
    from .memory import model_size

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


# --- writing ---------------------------------------------------------------------------------


def figures_lock(figures_dir: Path):
    """A lock on the figures folder; the OS drops it when its process dies, even on kill -9."""
    from filelock import FileLock, Timeout

    figures_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(figures_dir / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FigureError(
            f"another figures run is writing to {figures_dir} (it holds {LOCK_NAME}); wait for it to finish"
        ) from None
    return lock


def tidy(planned: Planned, figures_dir: Path) -> int:
    """Remove temp files a killed run left, and images and entries no setting asks for. Under the lock."""
    for leftover in figures_dir.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    for name in planned.unplanned:
        path = figures_dir / name
        if path.suffix in IMAGE_SUFFIXES and path.resolve().is_relative_to(figures_dir.resolve()):
            path.unlink(missing_ok=True)
            if path.parent != figures_dir and not any(path.parent.iterdir()):
                path.parent.rmdir()
        planned.entries.pop(name, None)
    for key in planned.unplanned_sweeps:
        planned.sweeps.pop(key, None)
    return len(planned.unplanned) + len(planned.unplanned_sweeps)


def measure_sweeps(planned: Planned, figures_dir: Path) -> int:
    """Measure each selected sweep that is not current once all its images are; returns how many. Under the lock."""
    from .measure import measure_sweep  # NumPy and Pillow: only when there is something to measure

    measured = 0
    for state in planned.sweeps_todo:
        sweep = state.sweep
        if all(job_state(job, planned.entries.get(job.file), figures_dir).state == "fresh" for job in sweep.jobs):
            planned.sweeps[sweep.spec.id] = measure_sweep(sweep, planned.entries, figures_dir)
            measured += 1
    if measured:
        write_manifest(figures_dir, planned.entries, planned.sweeps)
    return measured


def build_figures(options: BuildOptions) -> int:
    """Make every missing or stale image of the selection; 1 when any failed."""
    from . import run  # torch and diffusers: only now

    started = time.perf_counter()
    device = run.pick_device(options.device)
    dtype = plan_dtype(options, device)
    planned = plan_project(options, dtype)
    # Every check that can fail without the GPU runs before anything is loaded or written.
    run.check_pipeline_calls([state.job for state in planned.states])
    if options.offload in ("model", "sequential") and device != "cuda":
        raise FigureError(
            f"--offload {options.offload} moves parts of a model onto a CUDA GPU; this run is on {device}"
        )
    # A model that cannot be fetched costs only its own images: the rest are made, and it is reported.
    folders, unavailable = run.fetch_models([state.job for state in planned.todo])
    run.check_ignored_arguments([state.job for state in planned.todo if state.job.source.key in folders], folders)
    if planned.todo and not folders:
        report_unavailable(planned.todo, unavailable)
        return 1
    lock = figures_lock(options.figures_dir)
    try:
        planned = plan_project(options, dtype)  # again, under the lock: another run may have finished meanwhile
        fetched, failed = run.fetch_models(
            [s.job for s in planned.todo if s.job.source.key not in {*folders, *unavailable}]
        )
        folders.update(fetched)
        unavailable.update(failed)
        removed = tidy(planned, options.figures_dir)
        if removed:
            write_manifest(options.figures_dir, planned.entries, planned.sweeps)
        todo = [state.job for state in planned.todo if state.job.source.key in folders]
        summary = _generate_with_progress(run, todo, planned.entries, folders, options, device)
        measured = measure_sweeps(planned, options.figures_dir)
    finally:
        lock.release()
    for outcome in summary.failed:
        if outcome.model_failed:  # loading it failed: reported once per model below
            unavailable.setdefault(outcome.job.source.key, outcome.message)
        else:
            print(f"failed: {outcome.job.file}: {outcome.message}", file=sys.stderr)
    report_unavailable(planned.todo, unavailable)
    not_fetched = sum(1 for state in planned.todo if state.job.source.key not in folders)
    cached = len(planned.states) - len(planned.todo)
    failures = len(summary.failed) + not_fetched
    done = [f"generated {summary.generated}", f"cached {cached}", f"failed {failures}"]
    if removed:
        done.append(f"removed {removed}")
    if measured:
        done.append(f"measured {measured} sweep{'s' if measured != 1 else ''}")
    loaded = f"{summary.models_loaded} model{'s' if summary.models_loaded != 1 else ''} loaded, "
    print(
        f"{', '.join(done)} ({loaded if summary.models_loaded else ''}{time.perf_counter() - started:.1f} s on {device})"
    )
    unchanged = unchanged_comparisons(planned)
    for line in unchanged:
        print(line, file=sys.stderr)
    return 1 if failures or unchanged else 0


def unchanged_comparisons(planned: Planned) -> list[str]:
    """A line per set of compared values whose current images are identical, at the file and line of the value."""
    from .no_effect import unchanged_values

    # A batch-size measurement shows the same first image at every batch size on purpose.
    jobs = {state.job.file: state.job for state in planned.states if state.job.spec.measure != "batch-size"}
    current = [
        entry for file, job in jobs.items() if (entry := planned.entries.get(file)) and entry.get("key") == job.key
    ]
    lines = []
    for found in unchanged_values(current):
        problem = jobs[found.files[-1]].spec.problem("value", found.message())
        lines.append(str(problem) if problem else f"error: {found.setting}: {found.message()}")
    return lines


def report_unavailable(states: list[JobState], unavailable: dict[tuple[str, str], str]) -> None:
    """One line per model that could not be fetched or loaded: how many images it cost, why, and the fix."""
    counted: dict[tuple[str, str], int] = {}
    for state in states:
        if state.job.source.key in unavailable:
            counted[state.job.source.key] = counted.get(state.job.source.key, 0) + 1
    for (model, revision), count in counted.items():
        images = f"{count} image{'s' if count != 1 else ''}"
        print(
            f"error: model {model} (revision {revision}), {images} not made: {unavailable[(model, revision)]}",
            file=sys.stderr,
        )


def _generate_with_progress(run, todo: list, entries: dict, folders: dict, options: BuildOptions, device: str):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not todo:
        return run.RunSummary()
    seconds: list[float] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("images"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[rate]}"),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("figures", total=len(todo), rate="")

        def on_done(outcome) -> None:
            if outcome.ok:
                seconds.append(outcome.seconds)
            rate = f"{sum(seconds) / len(seconds):.2f} s/image" if seconds else ""
            progress.update(task, advance=1, rate=rate, description=outcome.job.file)

        return run.generate(todo, folders, options.figures_dir, entries, device, on_done, options.offload)


def merge_shards(options: BuildOptions, folders: list[Path]) -> int:
    """Adopt images that shard runs made (their figures folders) where their key matches this plan."""
    for folder in folders:
        if not (folder / MANIFEST_NAME).is_file():
            raise FigureError(f"--merge {folder}: no manifest.json there; pass the figures folder of a shard run")
    shard_entries = [(folder, read_manifest(folder)) for folder in folders]
    shard_sweeps = [read_sweeps(folder) for folder in folders]
    dtype = plan_dtype(options, options.device)
    lock = figures_lock(options.figures_dir)
    try:
        planned = plan_project(options, dtype)
        merged = 0
        for state in planned.todo:
            job = state.job
            for folder, entries in shard_entries:
                entry = entries.get(job.file)
                image = folder / job.file
                if entry and entry.get("key") == job.key and not has_image(entry):  # a labelled NaN or black result
                    planned.entries[job.file] = entry
                    merged += 1
                    break
                if entry and entry.get("key") == job.key and image.is_file() and file_sha256(image) == entry["sha256"]:
                    for extra in entry_files(entry)[1:]:
                        write_bytes_atomic(options.figures_dir / extra, (folder / extra).read_bytes())
                    write_bytes_atomic(options.figures_dir / job.file, image.read_bytes())
                    planned.entries[job.file] = entry
                    merged += 1
                    break
        # A shard measures the sweeps of the settings it made; adopt each record that matches this plan.
        adopted = 0
        for state in planned.sweeps_todo:
            key = state.sweep.spec.id
            record = next((r[key] for r in shard_sweeps if sweep_state(state.sweep, r.get(key)).state == "fresh"), None)
            if record is not None:
                planned.sweeps[key] = record
                adopted += 1
        removed = tidy(planned, options.figures_dir)
        write_manifest(options.figures_dir, planned.entries, planned.sweeps)
    finally:
        lock.release()
    print(
        f"merged {merged} images from {len(folders)} folders; {len(planned.todo) - merged} still missing or stale"
        f"{f'; {adopted} of {len(planned.sweeps_todo)} sweeps measured' if planned.sweeps_todo else ''}"
        f"{f'; removed {removed}' if removed else ''}"
    )
    return 0
