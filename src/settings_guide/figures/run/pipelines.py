"""Models on the device: fetched from the Hub (or a local folder), loaded once each, with their adapter,
and the pipeline classes derived from them with ``from_pipe``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import huggingface_hub

from ... import kinds
from ...errors import first_line
from ..memory import choose_offload, model_size
from ..plan import FigureJob, ModelSource
from .checks import job_class
from .libraries import DTYPE_KEYWORD, LIBRARIES, TORCH_DTYPES, diffusers, free_memory, pipeline_class, torch

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
            pipe = kinds.get(adapter.kind).load(pipe, adapter, TORCH_DTYPES[dtype], LIBRARIES)
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
