"""Jobs -> images on disk and manifest entries: batches of one model's images, each call timed and checked."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ... import kinds
from ...atomic import write_bytes_atomic
from ...errors import first_line
from ...settings.model import scheduler_field
from ..layout import variant_file
from ..manifest import file_sha256, image_entry, job_entry, write_manifest
from ..plan import FigureJob, canonical_json
from ..spec import TUPLE_ARGUMENTS
from .checks import job_class
from .context import RunContext, latents_bytes
from .images import ImageRefused, encode_image, encode_variants, to_8bit
from .libraries import (
    call_parameters,
    device_name,
    free_memory,
    is_out_of_memory,
    library_versions,
    pipeline_class,
    torch,
)
from .pipelines import ModelUnavailable, Pipelines, scheduler_swapped
from .precision import shown_failure

MAX_BATCH = 4  # images sharing every argument but the seed go through one call (seed comparisons)
FIRST_STAGES = ("input", "stage")  # made before the images that start from them


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


def compares_the_scheduler(spec) -> bool:
    """A comparison of scheduler classes or of a scheduler config field: its images record their schedule."""
    names = (spec.parameter or "").split("+")
    return spec.role == "comparison" and any(name == "scheduler" or scheduler_field(name) for name in names)


def recorded_sigmas(pipe) -> list[float] | None:
    sigmas = getattr(pipe.scheduler, "sigmas", None)
    if sigmas is None:
        return None
    return [round(float(sigma), 5) for sigma in sigmas]


def resized_check(values: np.ndarray, call: dict[str, Any]) -> None:
    """Refuse an image the pipeline made at another size than asked: some resize to their multiple with only a
    log warning (which the run mutes), and the page would show the wrong size under the asked one's caption."""
    asked = (call.get("height"), call.get("width"))
    if None not in asked and values.shape[:2] != asked:
        made = f"{values.shape[1]}x{values.shape[0]}"
        raise ImageRefused(
            f"the pipeline made {made} instead of {asked[1]}x{asked[0]}: it takes other multiples than the "
            "profile's `size_multiple` in figures/defaults.yml says; raise it to the pipeline's"
        )


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


@dataclass
class CallInputs:
    """One call's keyword arguments, the same as the manifest records them, and the input image's file."""

    arguments: dict[str, Any]
    recorded: dict[str, Any]
    source: Path | None = None


def call_arguments(pipe, job: FigureJob, run: RunContext) -> CallInputs:
    """The keyword arguments for the pipeline call, and the same as recorded in the manifest."""
    recorded = recorded_call(type(pipe), job.spec)
    arguments = dict(recorded)
    for name in TUPLE_ARGUMENTS & set(arguments):  # SDXL adds these to tuples: a YAML list would not add
        arguments[name] = tuple(arguments[name])
    call = CallInputs(arguments, recorded)
    if job.input_job is not None:
        call.source = run.figures_dir / job.input_job.file
        # The input's file, as reproduce.py loads it; how it was prepared follows from the entry's inputs.
        recorded["image"] = job.input_job.file
        prepare = kinds.first(kinds.of_spec(job.spec), "prepare")  # a kind's own use of it (latents, edges, ...)
        if prepare is not None:
            prepare(job, call, run)
        else:
            arguments["image"] = run.open_rgb(call.source)
    return call


@contextmanager
def kinds_applied(pipe, spec, run: RunContext) -> Iterator[None]:
    """The compared values a kind sets outside the call (a LoRA's weight, a VAE's upcast), for one call."""
    undo = [kind.apply(pipe, spec.applied, spec.adapter, run) for kind in kinds.of_spec(spec)]
    try:
        yield
    finally:
        for step in reversed(undo):
            if step is not None:
                step()


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
    """Decode one image at a time: every component that can (the VAE) does so from now on."""
    for part in pipe.components.values():
        if hasattr(part, "enable_slicing"):
            part.enable_slicing()


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
    run = RunContext(figures_dir, device, call_pipeline, first_stage_record)
    run_facts = {"device": device_name(device), "versions": library_versions()}
    if device == "cpu":  # the CPU's float sums depend on how the work is split: Reproduce sets the same count
        run_facts["threads"] = torch.get_num_threads()
    try:
        for batch in batches(jobs):
            first = batch[0]
            if first.input_job is not None and not (figures_dir / first.input_job.file).is_file():
                outcomes = [
                    Outcome(job, False, message=f"its input image {first.input_job.file} could not be made")
                    for job in batch
                ]
            else:
                outcomes = _run_batch(pipelines, batch, run, entries, run_facts)
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


def _run_batch(pipelines: Pipelines, batch: list[FigureJob], run: RunContext, entries: dict, run_facts: dict):
    """One call for a batch of images sharing everything but the seed, in numbered steps; their outcomes."""
    figures_dir, first = run.figures_dir, batch[0]
    found = kinds.of_spec(first.spec)
    # 1. An image made from another image alone (a saved format) needs no model.
    make = kinds.first(found, "make")
    if make is not None:
        return [_make_without_model(job, make, run, entries) for job in batch]
    # 2. The model, the call's arguments, the kinds' values around it, a warm-up, then the timed call.
    extras: dict[str, Any] = {}
    try:
        pipe = pipelines.for_job(first)
        call_inputs = call_arguments(pipe, first, run)
        arguments, recorded = call_inputs.arguments, call_inputs.recorded
        seeds = [job.spec.seed for job in batch]
        swapped = scheduler_swapped(pipe, first.spec.scheduler, first.spec.scheduler_config)
        with swapped, kinds_applied(pipe, first.spec, run):
            if id(pipe) not in pipelines.warm:  # before every model's first timed image
                warm_up(pipe, arguments)
            call_seeds: list[list[int]] = []  # per image, the seeds of the call that made it
            if first.spec.role == "stage":
                return [_make_stage(pipe, first, arguments, figures_dir)]
            own_call = kinds.first(found, "call")  # a measurement's own call (a batch size's)
            if own_call is not None:
                results, call_seeds, extras = own_call(pipe, first, call_inputs, run)
            else:

                def call(start: int, n: int):
                    results = call_pipeline(pipe, arguments, seeds[start : start + n])
                    call_seeds.extend([seeds[start : start + n]] * n)
                    return results

                results = call_with_retries(call, len(batch), lambda: enable_vae_slicing(pipe))
            if compares_the_scheduler(first.spec):
                # What the page charts: the noise level of each step, as the scheduler set it for this call.
                extras = {**extras, "scheduler": type(pipe.scheduler).__name__}
                if (sigmas := recorded_sigmas(pipe)) is not None:  # a scheduler without sigmas (DDIM) has none
                    extras["sigmas"] = sigmas
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
    # 3. Each image: checked, encoded with its smaller copies, written, then its manifest entry.
    outcomes = []
    for job, (pixels, seconds, flagged), shared in zip(batch, results, call_seeds, strict=True):
        facts = {
            **run_facts,
            "pipeline": type(pipe).__name__,
            "dtype": job.spec.dtype,
            "revision": pipelines.resolved_revision(job.source),
            "offload": pipelines.offloaded.get(job.load_key, "none"),
        }
        # A result worth showing that has no image (a measurement's call out of memory, a precision that
        # breaks the image) is recorded and labelled on the page, with no file.
        without_file = extras if pixels is None else None
        if pixels is not None:
            try:
                if flagged:
                    raise ImageRefused("the safety checker flagged it and blanked the image")
                values = to_8bit(pixels)
                resized_check(values, recorded)
            except ImageRefused as refused:
                shown = shown_failure(job, refused)
                if shown is None:
                    outcomes.append(Outcome(job, False, seconds, f"refused: {refused}"))
                    continue
                without_file = {"result": refused.kind, "message": shown}
        if without_file is not None:
            entries[job.file] = image_entry(
                job,
                call=recorded,
                run=facts,
                seconds=seconds,
                width=None,
                height=None,
                sha256=None,
                batch_seeds=shared,
                extra=without_file,
            )
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
            run=facts,
            seconds=seconds,
            width=values.shape[1],
            height=values.shape[0],
            sha256=hashlib.sha256(data).hexdigest(),
            batch_seeds=shared,
            extra={**extras, **({"variants": variants} if variants else {})},
        )
        for kind in found:  # what a kind adds to its images' entries (a control image, a first stage)
            kind.record(job, entries[job.file], run)
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


def _make_without_model(job: FigureJob, make, run: RunContext, entries: dict) -> Outcome:
    """An image a kind makes from its input image alone (a saved format): its file and its entry's facts."""
    started = time.perf_counter()
    try:
        facts = make(job, run)
    except (OSError, ValueError) as error:
        return Outcome(job, False, message=f"{type(error).__name__}: {first_line(error)}")
    seconds = time.perf_counter() - started
    sha256 = file_sha256(run.figures_dir / job.file)
    entries[job.file] = {**job_entry(job, seconds), "sha256": sha256, **facts}  # no call: no pipeline made it
    return Outcome(job, True, seconds)
