"""Checks before any model loads: every pipeline class, task, call argument and scheduler exists in diffusers,
and no argument is one the set-up would accept but ignore. Each problem points at its setting's line."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from ... import kinds
from ...errors import FigureError, Problem, ProblemsFound, did_you_mean
from ...settings.model import SCHEDULER_FIELD
from ..no_effect import ignored_arguments
from ..plan import FigureJob, ModelSource
from ..spec import IMAGE_TO_IMAGE
from .libraries import LIBRARIES, call_parameters, diffusers, pipeline_class


def task_class(cls, task: str):
    """The class that runs ``task`` for a model loaded as ``cls``; None when diffusers has none."""
    if task != IMAGE_TO_IMAGE or "image" in call_parameters(cls):
        return cls
    family = LIBRARIES.family_of(cls)
    return diffusers.pipelines.auto_pipeline.AUTO_IMAGE2IMAGE_PIPELINES_MAPPING.get(family) if family else None


def job_class(cls, job: FigureJob):
    """The class that makes ``job``'s image from a model loaded as ``cls``: its task's, or its kind's (a ControlNet's)."""
    own = _own_class(job)
    return own.pipeline_class(cls, LIBRARIES) if own else task_class(cls, job.spec.task)


def _own_class(job: FigureJob) -> kinds.Kind | None:
    return next((kind for kind in kinds.of_spec(job.spec) if kind.pipeline_class is not None), None)


JobProblems = dict[FigureJob, set[Problem]]  # each job that cannot run, with the lines that say why


def check_pipeline_calls(jobs: list[FigureJob]) -> None:
    """Every argument must be one the pipeline's ``__call__`` names; raises ProblemsFound (file:line) otherwise."""
    _raise_all(pipeline_call_problems(jobs))


def pipeline_call_problems(jobs: list[FigureJob]) -> JobProblems:
    """The jobs whose pipeline, task, argument or scheduler diffusers does not have, each with its problems.

    FigureError when the command line itself named one (``--model`` with a pipeline that has no such argument).
    """
    problems: JobProblems = {}
    cli_errors: list[str] = []

    def report(job: FigureJob, name: str, message: str) -> None:
        problem = job.spec.problem(name, message)
        if problem:
            problems.setdefault(job, set()).add(problem)
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
            own = _own_class(job)
            variant = own.label if own else "image-to-image"
            report(job, "task", f"{name} has no {variant} variant in diffusers; name one with `pipeline:`")
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
        raise FigureError("\n".join(dict.fromkeys(cli_errors)))  # every command-line mistake at once
    return problems


def check_ignored_arguments(jobs: list[FigureJob], folders: dict[tuple[str, str], str]) -> None:
    """Arguments the set-up would accept but ignore; raises ProblemsFound at their lines."""
    _raise_all(ignored_argument_problems(jobs, folders))


def ignored_argument_problems(jobs: list[FigureJob], folders: dict[tuple[str, str], str]) -> JobProblems:
    """The jobs with an argument the set-up would accept but ignore (eta on a scheduler without it, ...).

    Runs once the models are at hand: a Hub model's own scheduler class is known only from its folder.
    """
    problems: JobProblems = {}
    for job in jobs:
        name = job.spec.scheduler or _own_scheduler(job.source, folders)
        scheduler = getattr(diffusers, name, None) if name else None
        takes = set(inspect.signature(scheduler.step).parameters) if isinstance(scheduler, type) else None
        for argument, message in ignored_arguments(job.spec.arguments, name, takes):
            problem = job.spec.problem(argument, message)
            if problem is None:
                raise FigureError(message)
            problems.setdefault(job, set()).add(problem)
        if isinstance(scheduler, type):
            for field, message in unknown_scheduler_fields(scheduler, job.spec.scheduler_config):
                problem = job.spec.problem(SCHEDULER_FIELD + field, message)
                if problem is not None:
                    problems.setdefault(job, set()).add(problem)
    return problems


def unknown_scheduler_fields(scheduler: type, fields: dict) -> list[tuple[str, str]]:
    """(field, message) for each config field ``scheduler`` does not have: ``from_config`` would drop it with
    only a log warning, and every image would show the same schedule."""
    known = sorted(set(inspect.signature(scheduler.__init__).parameters) - {"self", "kwargs"})
    return [
        (
            field,
            f"{scheduler.__name__} has no config field `{field}`"
            + did_you_mean(field, known)
            + f"; its fields: {', '.join(known)}",
        )
        for field in fields
        if field not in known
    ]


def _raise_all(problems: JobProblems) -> None:
    found = {problem for each in problems.values() for problem in each}
    if found:
        raise ProblemsFound(list(found))


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
