"""Models on the device: fetched from the Hub (or a local folder) with their adapters' files, loaded once each,
with their adapter, and the pipeline classes derived from them with ``from_pipe``.

Weights are read from safetensors files only (``use_safetensors=True`` everywhere, settings/weights.py says
why): a model or adapter that has pickled weights only is refused when it is fetched, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import huggingface_hub

from ... import kinds
from ...errors import first_line
from ...settings.weights import CONVERT_HINT, SAFE_SUFFIX, is_pickled, weight_file_problem
from ..memory import choose_offload, model_size
from ..plan import FigureJob, ModelSource, adapter_key
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
        try:
            # With use_safetensors, diffusers fetches no .bin and refuses a model that has pickled weights only.
            folder = source.local_path or diffusers.DiffusionPipeline.download(
                source.model, revision=source.revision, use_safetensors=True
            )
        except Exception as error:  # the Hub client raises many kinds; all mean "cannot get it"
            failures[source.key] = fetch_failure(source, error)
            continue
        if pickled := pickled_only(Path(folder)):  # e.g. a cache or a local folder filled by another tool
            shown = ", ".join(pickled[:3]) + (f" and {len(pickled) - 3} more" if len(pickled) > 3 else "")
            failures[source.key] = pickled_weights(shown)
        else:
            folders[source.key] = folder
    return folders, failures


def fetch_adapters(jobs: list[FigureJob]) -> dict[str, str | None]:
    """Download the files each job's adapter loads (its kind's ``hub_files``) at its pinned commit, before any
    image is made; by ``adapter_key``: None for one that is in the Hugging Face cache now, else why it is not."""
    outcome: dict[str, str | None] = {}
    for job in jobs:
        adapter = job.spec.adapter
        if adapter is not None and adapter_key(adapter) not in outcome:
            outcome[adapter_key(adapter)] = _fetch_adapter(adapter)
    return outcome


def _fetch_adapter(adapter) -> str | None:
    for file in kinds.get(adapter.kind).hub_files(adapter):
        if not file.endswith(".json") and (problem := weight_file_problem(file)):
            return problem  # the schema refuses such a setting; a kind's own file list is held to it too
        try:
            huggingface_hub.hf_hub_download(adapter.model, file, revision=adapter.revision)
        except Exception as error:  # as for models: every kind of error means "cannot get it"
            return fetch_failure(adapter, error, file)
    return None


def pickled_only(folder: Path) -> list[str]:
    """The pickled weight files of each part of a model folder (its root, ``unet/``, ...) that has no safetensors."""
    found = []
    for part in [folder, *sorted(path for path in folder.iterdir() if path.is_dir())]:
        names = sorted(path.name for path in part.iterdir() if path.is_file())
        if not any(name.endswith(SAFE_SUFFIX) for name in names):
            found += [(part / name).relative_to(folder).as_posix() for name in names if is_pickled(name)]
    return found


def pickled_weights(where: str) -> str:
    """Why a model whose weights are pickled only (``where``: its files) is not loaded, and what to do instead."""
    return (
        f"its weights are pickled only ({where}): loading them runs any code they hold, on the figures runner that "
        f"holds HF_TOKEN, so the run loads {SAFE_SUFFIX} weights only; pin a revision that has them ({CONVERT_HINT})"
    )


def fetch_failure(source, error: BaseException, file: str | None = None) -> str:
    """Why a Hub model or adapter (``source``: its ``model`` and ``revision``), or one ``file`` of it, could not be
    fetched, and what fixes it, in one line."""
    from huggingface_hub.errors import (
        GatedRepoError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    cause = first_line(error).split(" (")[0]  # diffusers appends long advice in brackets
    page = f"https://huggingface.co/{source.model}"
    held = f"{file} of it" if file else "it"
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
    if isinstance(error, RemoteEntryNotFoundError):
        return f"its revision {source.revision} has no file {file}: check the setting's adapter against {page}"
    if huggingface_hub.constants.HF_HUB_OFFLINE:
        return (
            f"the Hub is switched off (HF_HUB_OFFLINE) and the Hugging Face cache does not hold {held}: "
            "run where the Hub is reachable, or put it in HF_HUB_CACHE"
        )
    if "`safetensors` weights" in cause:  # diffusers' words for a Hub model with pickled weights only
        return pickled_weights(f"at revision {source.revision} on the Hub")
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
        cls = pipeline_class(source.pipeline)
        extra = {}  # what a compared value adds to the load (a quantization config)
        for kind in kinds.of_spec(job.spec):
            extra |= kind.load_arguments(cls, job.spec.applied, self.device, LIBRARIES)
        pipe = cls.from_pretrained(folder, use_safetensors=True, **{DTYPE_KEYWORD: TORCH_DTYPES[dtype]}, **extra)
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
def scheduler_swapped(pipe, name: str | None, fields: dict | None = None) -> Iterator[None]:
    """Use another scheduler class, or the same one with some config ``fields`` changed, built from the model's
    own scheduler config; then put the model's own back."""
    if not name and not fields:
        yield
        return
    original = pipe.scheduler
    cls = getattr(diffusers, name) if name else type(original)
    pipe.scheduler = cls.from_config(original.config, **(fields or {}))
    try:
        yield
    finally:
        pipe.scheduler = original
