"""Jobs -> images on disk and manifest entries. The only module that imports torch and diffusers."""

from __future__ import annotations

import gc
import hashlib
import inspect
import io
import json
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import transformers

transformers.utils.logging.set_verbosity_error()  # before diffusers pulls in its models: no import chatter
transformers.utils.logging.disable_progress_bar()

import diffusers  # noqa: E402
import huggingface_hub  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from ..atomic import write_bytes_atomic  # noqa: E402
from ..errors import Problem, ProblemsFound, did_you_mean  # noqa: E402
from .adapters import (  # noqa: E402
    DTYPE_KEYWORD,
    control_image,
    controlnet_class,
    enlarged,
    latents_bytes,
    load_adapter,
    load_latents,
    values_applied,
)
from .images import ImageRefused, encode_image, encode_variants, to_8bit, variant_file  # noqa: E402
from .manifest import control_file, image_entry, job_entry, write_manifest  # noqa: E402
from .measured import save_in_format, shown_failure  # noqa: E402
from .memory import choose_offload, model_size  # noqa: E402
from .no_effect import ignored_arguments  # noqa: E402
from .plan import FigureError, FigureJob, ModelSource, canonical_json, first_line  # noqa: E402
from .spec import IMAGE_TO_IMAGE, TUPLE_ARGUMENTS  # noqa: E402

diffusers.utils.logging.set_verbosity_error()
diffusers.utils.logging.disable_progress_bar()

TORCH_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
MAX_BATCH = 4  # images sharing every argument but the seed go through one call (seed comparisons)
FIRST_STAGES = ("input", "stage")  # made before the images that start from them


# --- devices ---------------------------------------------------------------------------------


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


# --- checks before any model loads ---------------------------------------------------------


def pipeline_class(name: str):
    found = getattr(diffusers, name, None)
    return found if isinstance(found, type) and issubclass(found, diffusers.DiffusionPipeline) else None


def call_parameters(cls) -> set[str]:
    """Arguments ``cls.__call__`` names. Its ``**kwargs`` swallows (and ignores) anything, so it does not count."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in inspect.signature(cls.__call__).parameters.values() if p.kind in kinds} - {"self"}


def task_class(cls, task: str):
    """The class that runs ``task`` for a model loaded as ``cls``; None when diffusers has none."""
    if task != IMAGE_TO_IMAGE or "image" in call_parameters(cls):
        return cls
    from diffusers.pipelines.auto_pipeline import AUTO_IMAGE2IMAGE_PIPELINES_MAPPING, AUTO_TEXT2IMAGE_PIPELINES_MAPPING

    family = next((name for name, text in AUTO_TEXT2IMAGE_PIPELINES_MAPPING.items() if text is cls), None)
    return AUTO_IMAGE2IMAGE_PIPELINES_MAPPING.get(family) if family else None


def job_class(cls, job: FigureJob):
    """The class that makes ``job``'s image from a model loaded as ``cls``: its task's, or its ControlNet variant."""
    if job.spec.adapter is not None and job.spec.adapter.kind == "controlnet":
        return controlnet_class(cls)
    return task_class(cls, job.spec.task)


def check_pipeline_calls(jobs: list[FigureJob]) -> None:
    """Every argument must be one the pipeline's ``__call__`` names; raises ProblemsFound (file:line) otherwise."""
    problems: set[Problem] = set()
    cli_errors: list[str] = []

    def report(job: FigureJob, name: str, message: str) -> None:
        problem = job.spec.problem(name, message)
        if problem:
            problems.add(problem)
        else:
            cli_errors.append(message)

    for job in jobs:
        if not job.needs_model:
            continue
        spec, name = job.spec, job.source.pipeline
        cls = pipeline_class(name)
        if cls is None:
            report(
                job,
                "pipeline",
                f"diffusers {diffusers.__version__} has no pipeline class {name!r}"
                + did_you_mean(name, [n for n in dir(diffusers) if n.endswith("Pipeline")]),
            )
            continue
        target = job_class(cls, job)
        if target is None:
            kind = "ControlNet" if spec.adapter is not None and spec.adapter.kind == "controlnet" else "image-to-image"
            report(job, "task", f"{name} has no {kind} variant in diffusers; name one with `pipeline:`")
            continue
        accepted = call_parameters(target)
        for argument in spec.arguments:
            if argument not in accepted:
                report(
                    job,
                    argument,
                    f"{target.__name__}.__call__ does not accept `{argument}`"
                    + did_you_mean(argument, sorted(accepted)),
                )
        if spec.scheduler:
            scheduler = getattr(diffusers, spec.scheduler, None)
            if not (isinstance(scheduler, type) and issubclass(scheduler, diffusers.SchedulerMixin)):
                report(
                    job,
                    "scheduler",
                    f"diffusers has no scheduler class {spec.scheduler!r}"
                    + did_you_mean(spec.scheduler, [n for n in dir(diffusers) if n.endswith("Scheduler")]),
                )
    if cli_errors:
        raise FigureError(cli_errors[0])
    if problems:
        raise ProblemsFound(list(problems))


def check_ignored_arguments(jobs: list[FigureJob], folders: dict[tuple[str, str], str]) -> None:
    """Arguments the set-up would accept but ignore (eta on a scheduler without it, ...); ProblemsFound at their lines.

    Runs once the models are at hand: a Hub model's own scheduler class is known only from its folder.
    """
    problems: set[Problem] = set()
    for job in jobs:
        name = job.spec.scheduler or _own_scheduler(job.source, folders)
        scheduler = getattr(diffusers, name, None) if name else None
        takes = set(inspect.signature(scheduler.step).parameters) if isinstance(scheduler, type) else None
        for argument, message in ignored_arguments(job.spec.arguments, name, takes):
            problem = job.spec.problem(argument, message)
            if problem is None:
                raise FigureError(message)
            problems.add(problem)
    if problems:
        raise ProblemsFound(list(problems))


def _own_scheduler(source: ModelSource, folders: dict[tuple[str, str], str]) -> str | None:
    """The scheduler class a model loads with, from its folder's model_index.json; None when unknown."""
    if source.scheduler != "default":
        return source.scheduler
    folder = folders.get(source.key)
    try:
        entry = json.loads((Path(folder) / "model_index.json").read_text("utf-8")).get("scheduler")
    except (TypeError, OSError, ValueError):
        return None
    return entry[1] if isinstance(entry, list) and len(entry) == 2 else None


ModelKey = tuple[str, str]  # (model, configured revision)


def fetch_models(jobs: list[FigureJob]) -> tuple[dict[ModelKey, str], dict[ModelKey, str]]:
    """The folder each model loads from, downloading Hub models first; and why each other one cannot be had.

    A model that cannot be fetched (gated, misspelt, offline, a network error) costs only its own images.
    """
    folders: dict[ModelKey, str] = {}
    failures: dict[ModelKey, str] = {}
    for source in {job.source.key: job.source for job in jobs if job.needs_model}.values():
        if source.local_path:
            folders[source.key] = source.local_path
            continue
        try:
            folders[source.key] = diffusers.DiffusionPipeline.download(source.model, revision=source.revision)
        except Exception as error:  # the Hub client raises many kinds; all mean "cannot get it"
            failures[source.key] = fetch_failure(source, error)
    return folders, failures


def fetch_failure(source: ModelSource, error: BaseException) -> str:
    """Why a Hub model could not be fetched, and what fixes it, in one line."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    cause = first_line(error).split(" (")[0]  # diffusers appends long advice in brackets
    page = f"https://huggingface.co/{source.model}"
    if isinstance(error, GatedRepoError) or "gated" in cause.lower():
        return (
            f"it is gated: accept its licence at {page} with the Hub account whose token is in HF_TOKEN "
            "(set HF_TOKEN on the runner), then run again"
        )
    if isinstance(error, RevisionNotFoundError):
        return (
            f"the Hub has no revision {source.revision} of it: check `revision:`, or run `settings-guide figures --pin`"
        )
    if isinstance(error, RepositoryNotFoundError):
        return f"the Hub has no such model, or it is private: check the id at {page}, or set HF_TOKEN"
    if huggingface_hub.constants.HF_HUB_OFFLINE:
        return (
            "the Hub is switched off (HF_HUB_OFFLINE) and the Hugging Face cache does not hold it: "
            "run where the Hub is reachable, or put it in HF_HUB_CACHE"
        )
    return f"the Hugging Face Hub did not provide it ({cause}); a network error goes away on the next run"


# --- pipelines ---------------------------------------------------------------------------------


class Pipelines:
    """Loads each model once and derives other pipeline classes from it with ``from_pipe`` (shared weights)."""

    def __init__(self, device: str, folders: dict[tuple[str, str], str], offload: str = "auto"):
        self.device, self.folders, self.offload = device, folders, offload
        self._loaded: tuple | None = None
        self._by_class: dict[type, Any] = {}
        self.warm: set[int] = set()  # ids of the pipelines that have run since loading
        self.loads = 0  # models loaded in this run: one per model, as batches() orders the jobs
        self.failed: dict[tuple, str] = {}  # models that could not be loaded: their jobs fail at once
        self.offloaded: dict[tuple, str] = {}  # the offload mode each loaded model ran with

    def for_job(self, job: FigureJob):
        source, dtype = job.source, TORCH_DTYPES[job.spec.dtype]
        wanted = job.load_key
        if wanted in self.failed:
            raise ModelUnavailable(self.failed[wanted])
        if self._loaded != wanted:
            self.release()
            try:
                pipe = self._load(job)
            except Exception as error:
                self.failed[wanted] = f"could not be loaded: {type(error).__name__}: {first_line(error)}"
                free_memory()
                raise ModelUnavailable(self.failed[wanted]) from None
            self.loads += 1
            self._loaded, self._by_class, self.warm = wanted, {type(pipe): pipe}, set()
        target = job_class(pipeline_class(source.pipeline), job)
        if target not in self._by_class:
            base = next(iter(self._by_class.values()))
            pipe = target.from_pipe(base, **{DTYPE_KEYWORD: dtype})  # without a dtype it casts shared weights to fp32
            pipe.set_progress_bar_config(disable=True)
            self._by_class[target] = pipe
        return self._by_class[target]

    def _load(self, job: FigureJob):
        """Load a job's model onto the device, or with CPU offload when it would not fit (see figures/memory.py)."""
        source, dtype = job.source, job.spec.dtype
        folder = self.folders[source.key]
        free = torch.cuda.mem_get_info()[0] if self.device == "cuda" else None
        mode, _ = choose_offload(self.offload, self.device, model_size(Path(folder), dtype), free)
        pipe = pipeline_class(source.pipeline).from_pretrained(folder, **{DTYPE_KEYWORD: TORCH_DTYPES[dtype]})
        adapter = job.spec.adapter
        if adapter is not None:  # part of the load: another adapter (or none) loads the model afresh
            controlnet = load_adapter(pipe, adapter, TORCH_DTYPES[dtype])
            if controlnet is not None:
                pipe = controlnet_class(type(pipe)).from_pipe(pipe, controlnet=controlnet)
        if mode == "model":
            pipe.enable_model_cpu_offload(device=self.device)  # each component moves in for its turn
        elif mode == "sequential":
            pipe.enable_sequential_cpu_offload(device=self.device)  # layer by layer: slow, but fits
        else:
            pipe = pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        self.offloaded[job.load_key] = mode
        return pipe

    def resolved_revision(self, source: ModelSource) -> str:
        """The commit a Hub model was loaded from (its snapshot folder's name), or the local fingerprint."""
        folder = Path(self.folders[source.key])
        return folder.name if not source.local_path and folder.parent.name == "snapshots" else source.revision

    def release(self, collect: bool = True) -> None:
        """Drop the loaded model; collecting garbage (0.1-0.2 s) pays only before loading another one."""
        loaded, self._loaded, self._by_class, self.warm = self._loaded, None, {}, set()
        if loaded is not None and collect:
            free_memory()


class ModelUnavailable(Exception):
    """A model that could not be loaded: every image of it fails with this reason, the others go on."""


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


@contextmanager
def scheduler_swapped(pipe, name: str | None) -> Iterator[None]:
    """Use another scheduler class built from the model's own scheduler config, then put it back."""
    if not name:
        yield
        return
    original = pipe.scheduler
    pipe.scheduler = getattr(diffusers, name).from_config(original.config)
    try:
        yield
    finally:
        pipe.scheduler = original


# --- generation --------------------------------------------------------------------------------


@dataclass
class Outcome:
    job: FigureJob
    ok: bool
    seconds: float = 0.0
    message: str = ""
    model_failed: bool = False  # the model itself could not be fetched or loaded


@dataclass
class RunSummary:
    generated: int = 0
    failed: list[Outcome] = field(default_factory=list)
    models_loaded: int = 0


def batches(jobs: list[FigureJob], limit: int = MAX_BATCH) -> list[list[FigureJob]]:
    """Jobs in run order: one model after another (each loads once), input images first, same-but-seed images together."""
    models: dict[tuple, int] = {}
    for job in jobs:
        models.setdefault(job.load_key, len(models))
    ordered = sorted(
        enumerate(jobs),
        key=lambda pair: (
            models[pair[1].load_key],
            pair[1].spec.role not in FIRST_STAGES,
            pair[0],
        ),
    )
    groups: dict[tuple, list[list[FigureJob]]] = {}
    for _, job in ordered:
        # A sweep image's seconds are charted: it runs alone rather than sharing a call's time.
        alone = job.spec.sweep is not None or job.spec.measure or job.spec.role == "stage"
        together = job.file if alone else canonical_json({**job.inputs, "seed": None})
        signature = (
            models[job.load_key],
            job.spec.role not in FIRST_STAGES,
            together,
        )
        runs = groups.setdefault(signature, [[]])
        if len(runs[-1]) == limit:
            runs.append([])
        runs[-1].append(job)
    return [batch for runs in groups.values() for batch in runs]


def recorded_call(cls, spec) -> dict[str, Any]:
    """A call's own arguments as the manifest records them: the spec's, its size where ``cls`` takes one,
    and the output type (floats, so NaN stays visible to the checks; a first stage hands on latents)."""
    accepted = call_parameters(cls)
    call = dict(spec.arguments)
    for name, value in (("width", spec.width), ("height", spec.height)):
        if name in accepted:  # image-to-image pipelines take the size of their input image instead
            call[name] = value
    call["output_type"] = "latent" if spec.role == "stage" else "np"
    return call


def call_arguments(pipe, job: FigureJob, figures_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keyword arguments for the pipeline call, and the same as recorded in the manifest."""
    recorded = recorded_call(type(pipe), job.spec)
    arguments = dict(recorded)
    for name in TUPLE_ARGUMENTS & set(arguments):  # SDXL adds these to tuples: a YAML list would not add
        arguments[name] = tuple(arguments[name])
    spec = job.spec
    if job.input_job is not None:
        path = figures_dir / job.input_job.file
        # The input's file, as reproduce.py loads it; how it was prepared follows from the entry's inputs.
        recorded["image"] = job.input_job.file
        if spec.recipe == "refiner":
            arguments["image"] = load_latents(path)  # the base's unfinished latents, not a picture
            del recorded["image"]  # the entry's first_stage records the call that made them
        else:
            with Image.open(path) as image:
                picture = image.convert("RGB")
            if spec.recipe == "hires-fix":
                picture = enlarged(picture, spec.width, spec.height)
            if "control" in spec.applied:
                arguments["image"] = control_image(picture, spec.applied["control"])
                # Kept beside its input image, so the page can show what the ControlNet followed.
                shown = figures_dir / control_file(job.input_job.file, spec.applied["control"])
                if not shown.is_file():
                    buffer = io.BytesIO()
                    arguments["image"].save(buffer, format="PNG")
                    write_bytes_atomic(shown, buffer.getvalue())
            elif spec.adapter is not None and spec.adapter.kind == "ip-adapter":
                arguments["ip_adapter_image"] = picture
                recorded["ip_adapter_image"] = recorded.pop("image")
            else:
                arguments["image"] = picture
    if spec.measure == "batch-size":
        recorded["num_images_per_prompt"] = spec.applied["num_images_per_prompt"]  # _measure_batch passes it
    return arguments, recorded


def call_pipeline(pipe, arguments: dict[str, Any], seeds: list[int]) -> list[tuple[np.ndarray, float, bool]]:
    """One pipeline call for some seeds: (pixels, seconds per image, flagged by the safety checker) each."""
    # A fresh CPU generator per image: reproducible across devices, and independent of batch neighbours.
    generators = [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
    extra = {"num_images_per_prompt": len(seeds)} if len(seeds) > 1 else {}
    started = time.perf_counter()
    output = pipe(**arguments, **extra, generator=generators if len(seeds) > 1 else generators[0])
    seconds = (time.perf_counter() - started) / len(seeds)  # NumPy output is on the CPU: the GPU is done
    images = np.asarray(output.images, dtype=np.float32)
    flagged = getattr(output, "nsfw_content_detected", None) or [False] * len(seeds)
    return [(images[index], seconds, bool(flagged[index])) for index in range(len(seeds))]


def warm_up(pipe, arguments: dict[str, Any]) -> None:
    """One untimed call, so that the first timed image does not pay for the device's first-use setup.

    Text-to-image runs one step; image-to-image keeps its steps (a single one, times `strength`, is
    no step at all). Best effort: a real problem shows up again in the timed call, which reports it.
    """
    quick = dict(arguments)
    if "image" not in quick and "num_inference_steps" in call_parameters(type(pipe)):
        quick["num_inference_steps"] = 1
    try:
        pipe(**quick, generator=torch.Generator("cpu").manual_seed(0))
    except Exception:
        free_memory()


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def call_with_retries(call: Callable[[int, int], list], count: int, degrade: Callable[[], None]) -> list:
    """``call(start, n)`` for all ``count`` items; on out-of-memory, degrade once, halve the batch, retry."""
    results: list = []
    size, degraded = count, False
    while len(results) < count:
        start = len(results)
        n = min(size, count - start)
        try:
            results.extend(call(start, n))
        except Exception as error:
            if not is_out_of_memory(error) or (degraded and n == 1):
                raise
            free_memory()
            if not degraded:
                degrade()
                degraded = True
            size = max(1, n // 2)
    return results


def enable_vae_slicing(pipe) -> None:
    vae = getattr(pipe, "vae", None)
    if vae is not None and hasattr(vae, "enable_slicing"):
        vae.enable_slicing()


def generate(
    jobs: list[FigureJob],
    folders: dict,
    figures_dir: Path,
    entries: dict[str, dict],
    device: str,
    on_done: Callable[[Outcome], None] = lambda outcome: None,
    offload: str = "auto",
) -> RunSummary:
    """Make the images of ``jobs``: each is written atomically, then its manifest entry."""
    summary = RunSummary()
    pipelines = Pipelines(device, folders, offload)
    run_facts = {"device": device_name(device), "versions": library_versions()}
    try:
        for batch in batches(jobs):
            first = batch[0]
            if first.input_job is not None and not (figures_dir / first.input_job.file).is_file():
                outcomes = [
                    Outcome(job, False, message=f"its input image {first.input_job.file} could not be made")
                    for job in batch
                ]
            else:
                outcomes = _run_batch(pipelines, batch, figures_dir, entries, run_facts)
            if any(outcome.ok for outcome in outcomes):
                write_manifest(figures_dir, entries)
            for outcome in outcomes:
                if outcome.ok:
                    summary.generated += 1
                else:
                    summary.failed.append(outcome)
                on_done(outcome)
    finally:
        pipelines.release(collect=False)  # the caller is done; nothing else needs the memory now
        summary.models_loaded = pipelines.loads
    return summary


def _run_batch(pipelines: Pipelines, batch: list[FigureJob], figures_dir: Path, entries: dict, run_facts: dict):
    first = batch[0]
    if not first.needs_model:  # saved from its input image alone
        return [_save_format(job, figures_dir, entries) for job in batch]
    peak: int | None = None
    try:
        pipe = pipelines.for_job(first)
        arguments, recorded = call_arguments(pipe, first, figures_dir)
        seeds = [job.spec.seed for job in batch]
        with (
            scheduler_swapped(pipe, first.spec.scheduler),
            values_applied(pipe, first.spec.applied, first.spec.adapter),
        ):
            if id(pipe) not in pipelines.warm:  # before every model's first timed image
                warm_up(pipe, arguments)
            call_seeds: list[list[int]] = []  # per image, the seeds of the call that made it
            if first.spec.role == "stage":
                return [_make_stage(pipe, first, arguments, figures_dir)]
            if first.spec.measure == "batch-size":
                results, peak, call_seeds = _measure_batch(pipe, first, arguments, pipelines.device)
            else:

                def call(start: int, n: int):
                    results = call_pipeline(pipe, arguments, seeds[start : start + n])
                    call_seeds.extend([seeds[start : start + n]] * n)
                    return results

                results = call_with_retries(call, len(batch), lambda: enable_vae_slicing(pipe))
        pipelines.warm.add(id(pipe))
    except ModelUnavailable as unavailable:
        return [Outcome(job, False, message=str(unavailable), model_failed=True) for job in batch]
    except Exception as error:  # one batch's failure (a bad argument value, a scheduler clash) ends only it
        reason = (
            "out of memory even one image at a time with VAE slicing"
            if is_out_of_memory(error)
            else (f"{type(error).__name__}: {first_line(error)}")
        )
        return [Outcome(job, False, message=reason) for job in batch]
    outcomes = []
    for job, (pixels, seconds, flagged), shared in zip(batch, results, call_seeds, strict=True):
        run = {
            **run_facts,
            "pipeline": type(pipe).__name__,
            "dtype": job.spec.dtype,
            "revision": pipelines.resolved_revision(job.source),
            "offload": pipelines.offloaded.get(job.load_key, "none"),
        }
        measured = {}
        if job.spec.measure == "batch-size":
            measured = {"batch_size": job.spec.applied["num_images_per_prompt"], "peak_memory_bytes": peak}
        try:
            if flagged:
                raise ImageRefused("the safety checker flagged it and blanked the image")
            values = to_8bit(pixels)
        except ImageRefused as refused:
            shown = shown_failure(job, refused)
            if shown is None:
                outcomes.append(Outcome(job, False, seconds, f"refused: {refused}"))
                continue
            # A precision that breaks the image is a result worth showing: recorded, labelled, no file.
            entries[job.file] = image_entry(
                job, call=recorded, run=run, seconds=seconds, width=None, height=None, sha256=None, batch_seeds=shared
            )
            entries[job.file].update(result=refused.kind, message=shown)
            outcomes.append(Outcome(job, True, seconds))
            continue
        data = encode_image(values, job.spec.format, job.spec.quality)
        variants = []
        for width, height, variant in encode_variants(values, job.spec.format, job.spec.quality):
            name = variant_file(job.file, width)
            write_bytes_atomic(figures_dir / name, variant)
            variants.append({"file": name, "width": width, "height": height})
        # The full image and its manifest entry come last: an entry never names a missing file.
        write_bytes_atomic(figures_dir / job.file, data)
        entries[job.file] = image_entry(
            job,
            call=recorded,
            run=run,
            seconds=seconds,
            width=values.shape[1],
            height=values.shape[0],
            sha256=hashlib.sha256(data).hexdigest(),
            batch_seeds=shared,
        )
        entries[job.file].update(measured)
        if job.spec.recipe == "refiner":
            entries[job.file]["first_stage"] = first_stage_record(job.input_job)
        if "control" in job.spec.applied:
            entries[job.file]["control_image"] = {
                "file": control_file(job.input_job.file, job.spec.applied["control"]),
                "width": job.input_job.spec.width,
                "height": job.input_job.spec.height,
            }
        if variants:
            entries[job.file]["variants"] = variants
        outcomes.append(Outcome(job, True, seconds))
    return outcomes


def first_stage_record(stage: FigureJob) -> dict[str, Any]:
    """How a refined image's first stage was made: its model at its commit, and its exact call."""
    spec, pipeline = stage.spec, stage.source.pipeline
    return {
        "model": stage.source.model,
        "revision": stage.source.revision,
        "pipeline": pipeline,
        "dtype": spec.dtype,
        "seed": spec.seed,
        "call": recorded_call(job_class(pipeline_class(pipeline), stage), spec),  # as call_arguments made it
    }


def _make_stage(pipe, job: FigureJob, arguments: dict[str, Any], figures_dir: Path) -> Outcome:
    """A recipe's first stage: its latents go to the stage cache, for the second stage to start from."""
    started = time.perf_counter()
    output = pipe(**arguments, generator=torch.Generator("cpu").manual_seed(job.spec.seed))
    write_bytes_atomic(figures_dir / job.file, latents_bytes(output.images))
    return Outcome(job, True, time.perf_counter() - started)


def _measure_batch(pipe, job: FigureJob, arguments: dict[str, Any], device: str):
    """One call making ``num_images_per_prompt`` images: its first image, seconds per image and peak memory."""
    size = int(job.spec.applied["num_images_per_prompt"])
    seeds = [job.spec.seed + index for index in range(size)]  # one generator per image, as for seeds
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    results = call_pipeline(pipe, arguments, seeds)
    # Peak memory is the CUDA allocator's; the CPU has no per-call peak to read, so none is recorded there.
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else None
    return results[:1], peak, [seeds]


def _save_format(job: FigureJob, figures_dir: Path, entries: dict) -> Outcome:
    """The output-format comparison: its input image saved in the job's format, with a zoomed crop."""
    started = time.perf_counter()
    try:
        facts = save_in_format(job, figures_dir)
    except (OSError, ValueError) as error:
        return Outcome(job, False, message=f"{type(error).__name__}: {first_line(error)}")
    seconds = time.perf_counter() - started
    entries[job.file] = {**job_entry(job, seconds), **facts}  # no call: no pipeline made it
    return Outcome(job, True, seconds)
