"""Specs -> jobs, each with a cache key; and each job's state against the manifest.

Pure and fast: never imports torch. A local model folder is identified by its path and its
config files (``model_index.json`` names the pipeline class, the scheduler config is hashed);
a Hub model by its id and configured revision, which is why the defaults pin a commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .. import kinds
from ..errors import FigureError, ProblemsFound
from .layout import figure_file, looks_like_path
from .spec import FigureSpec, SweepSpec

KEY_SCHEMA = 1  # bump when the meaning of an input changes, so every image is made again
STEPS_WHEN_UNKNOWN = 30  # for balancing shards only


@dataclass(frozen=True)
class ModelSource:
    """Where a model's weights come from, as far as can be told without loading it."""

    model: str  # Hub id, or the absolute path of a local diffusers folder
    revision: str  # the configured revision, or "local:<hash of the folder's config files>"
    pipeline: str  # the pipeline class the model is loaded with
    local_path: str | None = None
    scheduler: str = "default"  # the model's own scheduler class; unknown for Hub models before download
    scheduler_config: str | None = None  # SHA-256 of that scheduler's config, local folders only

    @property
    def key(self) -> tuple[str, str]:
        """What is fetched once per run: the model at its configured revision."""
        return (self.model, self.revision)


class ModelResolver:
    """Resolves each model once per run; reads at most a few small JSON files per local folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[tuple, ModelSource] = {}

    def resolve(self, spec: FigureSpec) -> ModelSource:
        key = (spec.model, spec.revision, spec.pipeline, spec.pipeline_is_explicit)
        if key not in self._cache:
            self._cache[key] = self._resolve(*key)
        return self._cache[key]

    def _resolve(self, model: str, revision: str, pipeline: str, explicit: bool) -> ModelSource:
        folder = (self.root / Path(model).expanduser()).resolve()
        if not looks_like_path(model) and not folder.is_dir():
            return ModelSource(model=model, revision=revision, pipeline=pipeline)
        if not folder.is_dir():
            raise FigureError(f"model {model!r}: no such folder")
        index_file = folder / "model_index.json"
        try:
            index = json.loads(index_file.read_text("utf-8"))
        except FileNotFoundError:
            raise FigureError(
                f"model {model!r}: not a diffusers folder (no model_index.json); save one with pipeline.save_pretrained()"
            ) from None
        except (OSError, ValueError) as error:
            raise FigureError(f"model {model!r}: cannot read model_index.json: {error}") from None
        scheduler, scheduler_config = "default", None
        scheduler_entry = index.get("scheduler")
        if isinstance(scheduler_entry, list) and len(scheduler_entry) == 2 and scheduler_entry[1]:
            scheduler = scheduler_entry[1]
            config_file = folder / "scheduler" / "scheduler_config.json"
            if config_file.is_file():
                scheduler_config = _sha256(config_file.read_bytes())
        return ModelSource(
            model=str(folder),
            revision="local:" + _folder_fingerprint(folder),
            pipeline=pipeline if explicit else str(index.get("_class_name") or pipeline),
            local_path=str(folder),
            scheduler=scheduler,
            scheduler_config=scheduler_config,
        )


def _folder_fingerprint(folder: Path) -> str:
    # Config files only: hashing gigabytes of weights would make planning slow. Replacing a
    # folder's weights in place therefore needs --force; a re-saved or different model changes these.
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.json"), *folder.glob("*/*.json")]):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class FigureJob:
    """One image to make: its file, its cache key and the inputs that key hashes.

    The key is hashed when first asked for: a page compares it only with an image the manifest has,
    so a build of pages whose images are still pending hashes none of them.
    """

    spec: FigureSpec = field(repr=False)
    source: ModelSource = field(repr=False)
    input_job: FigureJob | None = field(default=None, repr=False)

    @cached_property
    def inputs(self) -> dict[str, Any]:
        """The canonical inputs; SHA-256 of their JSON is the key."""
        return job_inputs(self.spec, self.source, self.input_job.key if self.input_job else None)

    @cached_property
    def key(self) -> str:
        return cache_key(self.inputs)

    @cached_property
    def file(self) -> str:
        """Relative to the figures folder, e.g. inference-steps/num_inference_steps-4.webp."""
        return figure_file(self.spec, lambda: self.key)

    def __repr__(self) -> str:
        return f"FigureJob({self.file!r})"

    @property
    def load_key(self) -> tuple[str, ...]:
        """What one model load serves: the model at its revision, in this image's dtype, with its adapter (and
        what a compared value changes in the load itself, such as quantized weights)."""
        key = (*self.source.key, self.spec.dtype, adapter_key(self.spec.adapter))
        parts = [part for kind in kinds.of_spec(self.spec) if (part := kind.load_part(self.spec.applied))]
        return (*key, *parts)

    @property
    def needs_model(self) -> bool:
        """False for images made from another image alone (the output-format measurement)."""
        return all(kind.needs_model for kind in kinds.of_spec(self.spec))

    @property
    def steps(self) -> float:
        """Roughly how many denoising steps the image costs (for balancing shards)."""
        arguments = self.spec.arguments

        def number(name: str, default: float) -> float:
            value = arguments.get(name, default)
            return float(value) if isinstance(value, (int, float)) else default

        steps = arguments.get("num_inference_steps", STEPS_WHEN_UNKNOWN)
        # The share of the schedule this call runs: image-to-image's strength, a refiner ensemble's part.
        share = number("strength", 1.0) * number("denoising_end", 1.0) * (1 - number("denoising_start", 0.0))
        try:
            return max(1.0, float(steps) * share)
        except (TypeError, ValueError):
            return STEPS_WHEN_UNKNOWN


@dataclass(frozen=True)
class Plan:
    """Every image to make, inputs before the images that start from them."""

    jobs: tuple[FigureJob, ...]

    @property
    def files(self) -> set[str]:
        return {job.file for job in self.jobs}

    @property
    def sweeps(self) -> list[SweepPlan]:
        """Each sweep whose images are all in this plan (a shard keeps a setting's images together)."""
        members: dict[SweepSpec, list[FigureJob]] = {}
        for job in self.jobs:
            if job.spec.sweep is not None:
                members.setdefault(job.spec.sweep, []).append(job)
        sweeps = []
        for spec, jobs in members.items():
            by_value = [next((job for job in jobs if job.spec.value == value), None) for value in spec.values]
            if None not in by_value:
                sweeps.append(SweepPlan(spec, tuple(by_value)))
        return sweeps

    def only(self, slugs: set[str]) -> Plan:
        """The jobs of some settings plus the input images they need."""
        chosen = [job for job in self.jobs if job.spec.slug in slugs]
        return Plan(_with_inputs(chosen, self.jobs))

    def shard(self, index: int, count: int, pending: frozenset[str] = frozenset()) -> Plan:
        """Shard ``index`` (1-based) of ``count``: whole settings per model, balanced by the steps still to run.

        Every runner computes the same split from the same checkout, so the shards cover each
        job exactly once. A setting's images on one model stay together (its sweep is measured
        where they are made); settings sharing an input image stay together so it is made once.
        """
        groups = _connected_groups(self.jobs)
        cost = lambda group: sum(job.steps for job in group if job.key in pending) + 0.001 * len(group)  # noqa: E731
        loads, assigned = [0.0] * count, [[] for _ in range(count)]
        for group in sorted(groups, key=lambda g: (-cost(g), g[0].file)):
            target = min(range(count), key=lambda i: (loads[i], i))
            loads[target] += cost(group)
            assigned[target].extend(group)
        mine = {id(job) for job in assigned[index - 1]}
        return Plan(tuple(job for job in self.jobs if id(job) in mine))


@dataclass(frozen=True)
class SweepPlan:
    """A sweep and the job that makes the image of each of its values, in the sweep's order."""

    spec: SweepSpec
    jobs: tuple[FigureJob, ...]

    @property
    def reference_job(self) -> FigureJob:
        return self.jobs[self.spec.values.index(self.spec.reference)]


def _with_inputs(chosen: list[FigureJob], every: tuple[FigureJob, ...]) -> tuple[FigureJob, ...]:
    needed = {id(job) for job in chosen} | {id(job.input_job) for job in chosen if job.input_job}
    return tuple(job for job in every if id(job) in needed)


def _connected_groups(jobs: tuple[FigureJob, ...]) -> list[list[FigureJob]]:
    # A group is one setting's jobs on one model, merged with every other group sharing an input image.
    group_of: dict[str, str] = {}

    def find(name: str) -> str:
        while group_of.setdefault(name, name) != name:
            name = group_of[name]
        return name

    def setting(job: FigureJob) -> str:
        return f"setting:{job.spec.slug}/{job.spec.profile if job.spec.per_model else ''}"

    for job in jobs:
        if job.input_job is not None:
            group_of[find(setting(job))] = find(f"input:{job.input_job.key}")
    members: dict[str, list[FigureJob]] = {}
    for job in jobs:
        name = f"input:{job.key}" if job.spec.role in ("input", "stage") else setting(job)
        members.setdefault(find(name), []).append(job)
    return list(members.values())


def cache_key(inputs: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an image's inputs."""
    return _sha256(canonical_json(inputs).encode("utf-8"))


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def adapter_key(adapter) -> str:
    """An adapter as one stable string: repository, commit, weight file and how it is used; "" for none."""
    return canonical_json(adapter.model_dump(exclude_none=True)) if adapter is not None else ""


def job_inputs(spec: FigureSpec, source: ModelSource, input_key: str | None) -> dict[str, Any]:
    """The canonical inputs of one image: everything that changes its pixels or its file."""
    inputs = _base_inputs(spec, source, input_key)
    # Only what a recipe, adapter or measurement adds, so the keys of plain images stay as they were.
    extra = {
        "recipe": spec.recipe,
        "upscale": spec.upscale,
        "adapter": spec.adapter.model_dump(exclude_none=True) if spec.adapter is not None else None,
        "applied": dict(sorted(spec.applied.items())) or None,
        "scheduler_fields": dict(sorted(spec.scheduler_config.items())) or None,
        "measure": spec.measure,
        "output": "latents" if spec.role == "stage" else None,
    }
    return {**inputs, **{name: value for name, value in extra.items() if value is not None}}


def _base_inputs(spec: FigureSpec, source: ModelSource, input_key: str | None) -> dict[str, Any]:
    return {
        "key_schema": KEY_SCHEMA,
        "model": source.model,
        "revision": source.revision,
        "pipeline": source.pipeline,
        "task": spec.task,
        "scheduler": spec.scheduler or source.scheduler,
        "scheduler_config": source.scheduler_config,
        "dtype": spec.dtype,
        "seed": spec.seed,
        "width": spec.width,
        "height": spec.height,
        "arguments": dict(sorted(spec.arguments.items())),
        "input_image": input_key,
        "format": spec.format,
        "quality": spec.quality,
    }


def plan_figures(specs: list[FigureSpec], resolver: ModelResolver) -> Plan:
    """Jobs for the specs, input images first; raises ProblemsFound or FigureError for unusable models."""
    jobs: list[FigureJob] = []
    inputs: dict[str, FigureJob] = {}
    problems = []
    for spec in specs:
        try:
            input_job = None
            if spec.input is not None:
                input_job = _job(spec.input, resolver, None)
                input_job = inputs.setdefault(input_job.key, input_job)
            jobs.append(_job(spec, resolver, input_job))
        except FigureError as error:
            problem = spec.problem("model", str(error))
            if problem is None:
                raise
            problems.append(problem)
    if problems:
        raise ProblemsFound(sorted(set(problems)))
    return Plan((*inputs.values(), *jobs))


def _job(spec: FigureSpec, resolver: ModelResolver, input_job: FigureJob | None) -> FigureJob:
    return FigureJob(spec, resolver.resolve(spec), input_job)
