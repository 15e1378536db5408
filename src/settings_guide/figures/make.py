"""The ``figures`` command's work: plan (no torch), pin, merge shard runs, or make the missing and stale images.

Every function returns a report and prints nothing: ``commands/figures.py`` prints, owns the progress
bar and turns reports into exit codes. Planning never imports torch; only ``build_figures`` does,
through ``figures/run``.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

from .. import kinds
from ..atomic import write_bytes_atomic
from ..errors import FigureError, Problem, ProblemsFound
from ..settings.load import find_setting_files, load_settings
from ..settings.rules import slugify
from .layout import DEFAULTS_NAME, IMAGE_SUFFIXES, MANIFEST_NAME, figure_images
from .manifest import entry_files, file_sha256, has_image, read_manifest, read_sweeps, write_manifest
from .no_effect import unchanged_values
from .plan import FigureJob, ModelResolver, Plan, adapter_key, plan_figures
from .profiles import load_defaults, unpinned_models
from .repositories import undeclared_problems
from .spec import Overrides, all_specs
from .state import JobState, SweepState, job_state, sweep_state
from .versions import VersionReport, changed_libraries, describe_upgrade, installed_versions, version_report

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
    stale_on_upgrade: bool = False  # images made with other diffusers/transformers/torch versions count as stale

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
    versions: VersionReport | None = None  # current images made with other library versions than installed
    profiles: dict = field(default_factory=dict)  # figures/defaults.yml's model profiles, by name (for estimates)

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


@dataclass(frozen=True)
class PinReport:
    pinned: list[str]  # one line per model whose commit was written
    failed: list[str]  # one line per model that could not be pinned, and why
    unpinned: int  # how many models were unpinned before


def pin_project(options: BuildOptions) -> PinReport:
    """``--pin``: write the current commit of every unpinned Hub model into its file."""
    loaded, defaults = load_project(options)
    unpinned = unpinned_models(loaded, defaults)
    if unpinned and importlib.util.find_spec("huggingface_hub") is None:  # the site's install asks no Hub
        raise FigureError(
            "--pin asks the Hugging Face Hub for commits: install the figures extra (make .venv/.figures)"
        )
    from .pin import pin_models

    done, failed = pin_models(unpinned, options.root)
    return PinReport(done, failed, len(unpinned))


def plan_project(options: BuildOptions, dtype: str | None, verify_bytes: bool = True) -> Planned:
    """Load settings and defaults, plan every image, and compare with the manifest. No torch."""
    loaded, defaults = load_project(options)
    problems = [item.problem() for item in unpinned_models(loaded, defaults)] + undeclared_problems(loaded, defaults)
    if problems:
        raise ProblemsFound(problems)
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
    states = [job_state(job, entries.get(job.file), options.figures_dir, verify_bytes) for job in selected.jobs]
    states, versions = upgraded_states(states, entries, options.stale_on_upgrade)
    states = needed_stages(states)
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
        versions,
        dict(defaults.values.models),
    )


def upgraded_states(states: list[JobState], entries: dict[str, dict], stale: bool):
    """The report of current images made with other library versions than installed; with ``stale``, they
    become stale (a run makes them again). A library not installed here is not compared."""
    installed = installed_versions()
    drifted = {
        id(s.job): changes
        for s in states
        if s.state == "fresh" and (changes := changed_libraries(entries.get(s.job.file), installed))
    }
    report = version_report(  # each model named as plans name it (summary.model_name)
        [(s.job.spec.label or s.job.source.model, drifted[id(s.job)]) for s in states if id(s.job) in drifted],
        installed,
    )
    if stale:
        states = [
            JobState(s.job, "stale", describe_upgrade(drifted[id(s.job)])) if id(s.job) in drifted else s
            for s in states
        ]
    return states, report


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
    from .run.measure import measure_sweep  # NumPy and Pillow: only when there is something to measure

    measured = 0
    for state in planned.sweeps_todo:
        sweep = state.sweep
        if all(job_state(job, planned.entries.get(job.file), figures_dir).state == "fresh" for job in sweep.jobs):
            planned.sweeps[sweep.spec.id] = measure_sweep(sweep, planned.entries, figures_dir)
            measured += 1
    if measured:
        write_manifest(figures_dir, planned.entries, planned.sweeps)
    return measured


@dataclass(frozen=True)
class ModelFailure:
    """A model (or an adapter) that could not be fetched or loaded: every image that loads it is left unmade."""

    model: str
    revision: str
    adapter: str | None  # the adapter loaded with it, when that is what failed to load
    images: int
    reason: str
    what: str = "model"  # or an adapter kind's label ("LoRA") when its repository could not be fetched


@dataclass
class RunReport:
    """What a run made, kept and could not make, and why."""

    device: str
    generated: int = 0
    cached: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why) of each image that failed alone
    refused: list[Problem] = field(default_factory=list)  # calls diffusers would refuse, at their lines
    refused_images: int = 0  # images of the settings those problems belong to: not made
    unavailable: list[ModelFailure] = field(default_factory=list)
    removed: int = 0
    measured: int = 0
    models_loaded: int = 0
    seconds: float = 0.0
    unchanged: list[str] = field(default_factory=list)  # comparisons whose images are all the same
    attempted: bool = True  # False when no model it needed could be fetched: nothing was touched

    @property
    def failures(self) -> int:
        return len(self.failed) + self.refused_images + sum(model.images for model in self.unavailable)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.unchanged


class Progress:
    """What a run tells its caller as it goes; the command draws a progress bar from it. Does nothing here."""

    def start(self, total: int) -> None:
        """The run is about to make ``total`` images."""

    def done(self, outcome) -> None:
        """One image (a ``figures.run.generate.Outcome``) was made or failed."""


@dataclass(frozen=True)
class Refused:
    """The images a run leaves out because their call would fail: by cache key, and every image of their setting."""

    problems: frozenset[Problem] = frozenset()
    keys: frozenset[str] = frozenset()
    settings: frozenset[str] = frozenset()

    @classmethod
    def of(cls, problems: dict[FigureJob, set[Problem]]) -> Refused:
        return cls(
            frozenset(problem for found in problems.values() for problem in found),
            frozenset(job.key for job in problems),
            frozenset(job.spec.slug for job in problems if job.spec.slug),
        )

    def __or__(self, other: Refused) -> Refused:
        return Refused(self.problems | other.problems, self.keys | other.keys, self.settings | other.settings)

    def __contains__(self, job: FigureJob) -> bool:
        starts_from = job.input_job.key if job.input_job is not None else None
        return job.key in self.keys or job.spec.slug in self.settings or starts_from in self.keys


def build_figures(options: BuildOptions, progress: Progress | None = None) -> RunReport:
    """Make every missing or stale image of the selection, in numbered steps; the report says how it went."""
    from .run import checks, pipelines  # torch and diffusers: only now
    from .run.libraries import pick_device

    started, progress = time.perf_counter(), progress or Progress()
    # 1. Plan for the device the run is on (fp32 off CUDA) and check the options.
    device = pick_device(options.device)
    dtype = plan_dtype(options, device)
    planned = plan_project(options, dtype)
    if options.offload in ("model", "sequential") and device != "cuda":
        raise FigureError(
            f"--offload {options.offload} moves parts of a model onto a CUDA GPU; this run is on {device}"
        )
    # 2. A call diffusers would refuse costs only its own setting's images, reported at its line.
    refused = Refused.of(checks.pipeline_call_problems([state.job for state in planned.states]))
    # 3. Fetch every model and adapter first: one that cannot be had costs only the images that load it.
    wanted = [state.job for state in planned.todo if state.job not in refused]
    folders, unavailable = pipelines.fetch_models(wanted)
    adapters = pipelines.fetch_adapters([job for job in wanted if job.source.key in folders])
    refused |= Refused.of(
        checks.ignored_argument_problems([job for job in wanted if job.source.key in folders], folders)
    )
    report = RunReport(device=device, refused=sorted(refused.problems))
    # 4. Under the lock: plan again (another run may have finished meanwhile), tidy, make, measure. When no
    #    model it needs could be fetched, nothing is touched.
    todo = wanted
    if folders or not any(job.needs_model for job in wanted):
        lock = figures_lock(options.figures_dir)
        try:
            planned = plan_project(options, dtype)
            todo = [state.job for state in planned.todo if state.job not in refused]
            missing = [job for job in todo if job.source.key not in {*folders, *unavailable}]
            fetched, failed = pipelines.fetch_models(missing)
            folders.update(fetched)
            unavailable.update(failed)
            unseen = [
                job for job in todo if job.source.key in folders and adapter_key(job.spec.adapter) not in adapters
            ]
            adapters.update(pipelines.fetch_adapters(unseen))
            report.removed = tidy(planned, options.figures_dir)
            if report.removed:
                write_manifest(options.figures_dir, planned.entries, planned.sweeps)
            made = [
                job for job in todo if job.source.key in folders and not adapters.get(adapter_key(job.spec.adapter))
            ]
            not_loaded = _generate(report, made, planned, folders, options, progress)
            report.measured = measure_sweeps(planned, options.figures_dir)
        finally:
            lock.release()
    else:
        not_loaded, report.attempted = [], False
    # 5. What could not be made, per cause: a model or an adapter not fetched, a model (or its adapter) not loaded,
    #    a refused call.
    not_fetched = [job for job in todo if job.source.key in unavailable]
    no_adapter = [job for job in todo if job.source.key in folders and adapters.get(adapter_key(job.spec.adapter))]
    report.unavailable = (
        _unavailable(not_fetched, lambda job: unavailable[job.source.key])
        + _adapters_unavailable(no_adapter, adapters)
        + not_loaded
    )
    report.refused_images = sum(1 for state in planned.todo if state.job in refused)
    report.cached = len(planned.states) - len(planned.todo)
    report.seconds = time.perf_counter() - started
    report.unchanged = unchanged_comparisons(planned)
    return report


def _generate(report: RunReport, todo: list[FigureJob], planned: Planned, folders, options: BuildOptions, progress):
    """Make ``todo``'s images into the report; returns the models that could not be loaded, with what they cost."""
    from .run.generate import generate

    if not todo:
        return []
    progress.start(len(todo))
    not_loaded: list[tuple[FigureJob, str]] = []

    def on_done(outcome) -> None:
        if outcome.ok:
            report.generated += 1
        elif outcome.model_failed:  # counted once per model (with its adapter), not per image
            not_loaded.append((outcome.job, outcome.message))
        else:
            report.failed.append((outcome.job.file, outcome.message))
        progress.done(outcome)

    summary = generate(todo, folders, options.figures_dir, planned.entries, report.device, on_done, options.offload)
    report.models_loaded = summary.models_loaded
    reasons = {id(job): message for job, message in not_loaded}
    return _unavailable([job for job, _ in not_loaded], lambda job: reasons[id(job)])


def _unavailable(jobs: list[FigureJob], reason: Callable[[FigureJob], str]) -> list[ModelFailure]:
    """One entry per model (with its adapter) whose images could not be made, with how many it cost."""
    counted: dict[tuple, list[FigureJob]] = {}
    for job in jobs:
        adapter = job.spec.adapter
        counted.setdefault((*job.source.key, adapter.model if adapter else None), []).append(job)
    return [
        ModelFailure(model, revision, adapter, len(members), reason(members[0]))
        for (model, revision, adapter), members in counted.items()
    ]


def _adapters_unavailable(jobs: list[FigureJob], reasons: dict[str, str | None]) -> list[ModelFailure]:
    """One entry per adapter whose repository could not be fetched, counting only the images that load it."""
    counted: dict[str, list[FigureJob]] = {}
    for job in jobs:
        counted.setdefault(adapter_key(job.spec.adapter), []).append(job)
    failures = []
    for key, members in counted.items():
        adapter = members[0].spec.adapter
        label = kinds.get(adapter.kind).label
        failures.append(ModelFailure(adapter.model, adapter.revision, None, len(members), reasons[key], label))
    return failures


def unchanged_comparisons(planned: Planned) -> list[str]:
    """A line per set of compared values whose current images are identical, at the file and line of the value."""
    # A batch-size measurement shows the same first image at every batch size on purpose.
    jobs = {
        state.job.file: state.job
        for state in planned.states
        if not any(kind.same_image_on_purpose for kind in kinds.of_spec(state.job.spec))
    }
    current = [
        entry for file, job in jobs.items() if (entry := planned.entries.get(file)) and entry.get("key") == job.key
    ]
    lines = []
    for found in unchanged_values(current):
        problem = jobs[found.files[-1]].spec.problem("value", found.message())
        lines.append(str(problem) if problem else f"error: {found.setting}: {found.message()}")
    return lines


@dataclass(frozen=True)
class MergeReport:
    merged: int  # images adopted from the shard folders
    folders: int
    left: int  # images still missing or stale after the merge
    sweeps_adopted: int
    sweeps_todo: int
    removed: int


def merge_shards(options: BuildOptions, folders: list[Path]) -> MergeReport:
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
        merged = remade = 0  # remade: current images adopted again, made with other library versions
        # The site-only install cannot compare versions: with --stale-on-upgrade, a current image a shard made
        # again (with the runner's newer libraries) is adopted when the shard's entry records other versions.
        upgraded = [state for state in planned.states if state.state == "fresh"] if options.stale_on_upgrade else []
        for state in [*planned.todo, *upgraded]:
            job = state.job
            for folder, entries in shard_entries:
                entry = entries.get(job.file)
                image = folder / job.file
                current = planned.entries.get(job.file) or {}
                if state.state == "fresh" and (not entry or entry.get("versions") == current.get("versions")):
                    continue
                if entry and entry.get("key") == job.key and not has_image(entry):  # a labelled NaN or black result
                    planned.entries[job.file] = entry
                    merged += 1
                    remade += state.state == "fresh"
                    break
                if entry and entry.get("key") == job.key and image.is_file() and file_sha256(image) == entry["sha256"]:
                    for extra in entry_files(entry)[1:]:
                        write_bytes_atomic(options.figures_dir / extra, (folder / extra).read_bytes())
                    write_bytes_atomic(options.figures_dir / job.file, image.read_bytes())
                    planned.entries[job.file] = entry
                    merged += 1
                    remade += state.state == "fresh"
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
    left = len(planned.todo) - (merged - remade)
    return MergeReport(merged, len(folders), left, adopted, len(planned.sweeps_todo), removed)
