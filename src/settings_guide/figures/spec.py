"""The figure defaults file plus each setting's comparison -> one FigureSpec per image.

Pure: reads ``figures/defaults.yml`` and validated settings, imports no torch. Every value a
spec carries remembers where it was written (``origins``), so a later check, such as "the
pipeline does not accept this argument", can point at the right file and line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import Problem, ProblemsFound
from ..settings.load import display_path, problem_in_document
from ..settings.model import ArgumentValue, Identifier, LoadedSetting, LongText, Seed, Text
from ..settings.yaml_reader import PlainScalar, YamlReadError, read_yaml

DEFAULTS_NAME = "defaults.yml"
DTYPES = ("bf16", "fp16", "fp32")
TEXT_TO_IMAGE, IMAGE_TO_IMAGE = "text-to-image", "image-to-image"
# Call arguments the runner sets itself; a setting that sets them would break the run.
RESERVED_ARGUMENTS = frozenset(
    {
        "generator",
        "output_type",
        "num_images_per_prompt",
        "image",
        "return_dict",
        "latents",
        "callback_on_step_end",
        "callback_on_step_end_tensor_inputs",
    }
)
SIZE_ARGUMENTS = ("width", "height")  # carried as the spec's size: image-to-image pipelines take no size


def _whole_number(value: Any) -> Any:
    if isinstance(value, PlainScalar) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    return value


Pixels = Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=8, le=8192, multiple_of=8)]
ModelId = Annotated[Text, Field(min_length=1, max_length=500, pattern=r"^\S(.*\S)?$")]


class FigureDefaults(BaseModel):
    """What every comparison image starts from; see figures/defaults.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelId
    revision: ModelId = "main"
    pipeline: Identifier
    prompt: LongText
    negative_prompt: LongText | None = None
    seed: Seed
    width: Pixels
    height: Pixels
    dtype: Literal[DTYPES]  # type: ignore[valid-type]
    format: Literal["webp"] = "webp"
    quality: Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=1, le=100)] = 80
    arguments: dict[Identifier, ArgumentValue] = Field(default_factory=dict)


@dataclass(frozen=True)
class LoadedDefaults:
    values: FigureDefaults
    source_path: str  # as shown to users, e.g. figures/defaults.yml
    document: Any = field(repr=False, compare=False)

    def problem_at(self, loc: tuple, message: str) -> Problem:
        return problem_in_document(self.source_path, self.document, loc, message)


def load_defaults(path: Path) -> LoadedDefaults:
    """Read and validate the defaults file, raising ProblemsFound with file:line:col problems."""
    shown = display_path(path)
    try:
        document = read_yaml(Path(path).read_bytes())
    except OSError as error:
        raise ProblemsFound([Problem(shown, 1, 1, "", f"cannot read the figure defaults: {error.strerror}")]) from None
    except YamlReadError as error:
        raise ProblemsFound([Problem(shown, error.position.line, error.position.column, "", error.message)]) from None
    try:
        values = FigureDefaults.model_validate(document.data)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            loc, message = tuple(detail["loc"]), detail["msg"].removeprefix("Value error, ")
            if detail["type"] == "extra_forbidden":
                fields = list(FigureDefaults.model_fields)
                hint = difflib.get_close_matches(str(loc[-1]), fields, n=1)
                message = f"unknown field {loc[-1]!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                message += f" (allowed: {', '.join(fields)})"
            elif detail["type"] == "missing":
                message = "this field is required"
            problems.append(
                problem_in_document(shown, document, loc, message, prefer_key=detail["type"] == "extra_forbidden")
            )
        raise ProblemsFound(problems) from None
    loaded = LoadedDefaults(values, shown, document)
    misplaced = [name for name in (*SIZE_ARGUMENTS, *sorted(RESERVED_ARGUMENTS)) if name in values.arguments]
    if misplaced:
        raise ProblemsFound(
            [
                loaded.problem_at(
                    ("arguments", name),
                    f"`{name}` cannot be a default argument; "
                    + (
                        "set the size with the top-level `width:` and `height:`"
                        if name in SIZE_ARGUMENTS
                        else "the figure pipeline sets it itself"
                    ),
                )
                for name in misplaced
            ]
        )
    return loaded


@dataclass(frozen=True)
class Overrides:
    """Command-line choices that replace the configured defaults for one run."""

    model: str | None = None  # replaces the default model (comparisons naming their own model keep it)
    width: int | None = None
    height: int | None = None
    dtype: str | None = None


Origin = tuple[Any, tuple]  # (LoadedSetting or LoadedDefaults, location inside that file); None: the command line


@dataclass(frozen=True)
class SweepSpec:
    """A comparison's sweep: which values are measured against which reference (see figures/sweep.py)."""

    slug: str
    parameter: str
    values: tuple[Any, ...]
    reference: Any
    threshold: float
    reference_label: str | None = None


@dataclass(frozen=True)
class FigureSpec:
    """Everything one image depends on, before any model is looked at."""

    role: Literal["comparison", "sweep", "input"]  # sweep: an image only the sweep's chart uses
    task: str
    model: str
    revision: str
    pipeline: str
    pipeline_is_explicit: bool  # named by the comparison, so a local model's own class does not replace it
    seed: int
    width: int
    height: int
    dtype: str
    format: str
    quality: int
    arguments: dict[str, Any]  # pipeline call arguments, prompt included, size and seed excluded
    scheduler: str | None = None  # a diffusers scheduler class replacing the model's own
    input: FigureSpec | None = None  # image-to-image: the text-to-image image it starts from
    slug: str | None = None
    parameter: str | None = None
    value: Any = None
    sweep: SweepSpec | None = None  # set on every image of a sweep: its seconds are charted, so it runs alone
    origins: dict[str, Origin | None] = field(default_factory=dict, compare=False, repr=False)

    def problem(self, name: str, message: str) -> Problem | None:
        """A Problem at the line that set ``name`` (an argument, ``model``, ...); None if the command line did."""
        origin = self.origins.get(name)
        return origin[0].problem_at(origin[1], message) if origin else None


def input_spec(defaults: LoadedDefaults, overrides: Overrides) -> FigureSpec:
    """The defaults' own text-to-image image; image-to-image comparisons start from it."""
    d = defaults.values
    model_origin: Origin | None = None if overrides.model else (defaults, ("model",))
    origins: dict[str, Origin | None] = {
        "model": model_origin,
        "pipeline": (defaults, ("pipeline",)),
        "prompt": (defaults, ("prompt",)),
    }
    arguments: dict[str, Any] = {"prompt": d.prompt}
    if d.negative_prompt is not None:
        arguments["negative_prompt"] = d.negative_prompt
        origins["negative_prompt"] = (defaults, ("negative_prompt",))
    for name, value in d.arguments.items():
        arguments[name] = value
        origins[name] = (defaults, ("arguments", name))
    return FigureSpec(
        role="input",
        task=TEXT_TO_IMAGE,
        model=overrides.model or d.model,
        revision=d.revision if overrides.model in (None, d.model) else "main",
        pipeline=d.pipeline,
        pipeline_is_explicit=False,
        seed=d.seed,
        width=overrides.width or d.width,
        height=overrides.height or d.height,
        dtype=overrides.dtype or d.dtype,
        format=d.format,
        quality=d.quality,
        arguments=arguments,
        origins=origins,
    )


def comparison_specs(
    item: LoadedSetting, defaults: LoadedDefaults, overrides: Overrides = Overrides()
) -> list[FigureSpec]:
    """One spec per compared value, in the order the page shows them, then one per sweep value not among them."""
    comparison = item.setting.comparison
    if comparison is None:
        return []
    base = input_spec(defaults, overrides)
    problems: list[Problem] = []

    def at(*loc) -> Origin:  # a location in this setting's file
        return (item, ("comparison", *loc))

    # 1. Model: the default one (which --model may replace) with its tuning, or the comparison's own
    #    with only the prompt: the default model's arguments would not suit another model.
    own_model = comparison.model not in (None, defaults.values.model)
    arguments, origins = dict(base.arguments), dict(base.origins)
    if own_model:
        arguments, origins = {"prompt": base.arguments["prompt"]}, {"model": at("model"), "prompt": origins["prompt"]}
    if comparison.pipeline:
        origins["pipeline"] = at("pipeline")
    origins["task"] = at("task")
    # A fixed scheduler class for every image (e.g. DDIM, which `eta` needs); a compared one replaces it.
    scheduler = comparison.scheduler
    if scheduler:
        origins["scheduler"] = at("scheduler")

    # 2. The comparison's own prompt and fixed arguments.
    for name in ("prompt", "negative_prompt"):
        if getattr(comparison, name) is not None:
            arguments[name], origins[name] = getattr(comparison, name), at(name)
    for name, value in comparison.arguments.items():
        arguments[name], origins[name] = value, at("arguments", name)
    for name in sorted(RESERVED_ARGUMENTS & {*arguments, comparison.parameter}):
        where = origins[name] if name in arguments else at("parameter")
        problems.append(
            _problem(where, f"`{name}` is set by the figure pipeline itself; it cannot be set or compared here")
        )

    # 3. Size: --size, else the comparison's fixed width/height arguments, else the defaults.
    width, height = base.width, base.height
    for name in SIZE_ARGUMENTS:
        if name in arguments:
            value = arguments.pop(name)
            if _bad_size(value):
                problems.append(_problem(origins[name], f"{name} must be a whole number of pixels, a multiple of 8"))
            elif overrides.width is None:
                width, height = (value, height) if name == "width" else (width, value)

    # 4. One spec per compared value: a call argument, the seed, the scheduler class or the size.
    common = replace(
        base,
        role="comparison",
        task=comparison.task,
        model=comparison.model if own_model else base.model,
        revision=(comparison.revision or "main") if own_model else base.revision,
        pipeline=comparison.pipeline or base.pipeline,
        pipeline_is_explicit=comparison.pipeline is not None,
        seed=comparison.seed if comparison.seed is not None else base.seed,
        width=width,
        height=height,
        scheduler=scheduler,
        input=base if comparison.task == IMAGE_TO_IMAGE else None,
        slug=item.slug,
        parameter=comparison.parameter,
    )
    # A sweep's values that the comparison already shows reuse its images (same inputs, same file).
    sweep = None
    compared = [("comparison", ("values", index), value) for index, value in enumerate(comparison.values)]
    if comparison.sweep is not None:
        declared = comparison.sweep
        sweep = SweepSpec(
            item.slug,
            comparison.parameter,
            tuple(declared.values),
            declared.reference,
            declared.threshold,
            declared.reference_label,
        )
        compared += [
            ("sweep", ("sweep", "values", index), value)
            for index, value in enumerate(declared.values)
            if value not in comparison.values
        ]
    specs: list[FigureSpec] = []
    for role, value_loc, value in compared:
        changes: dict[str, Any] = {}
        value_origins = {comparison.parameter: at("parameter"), "value": at(*value_loc)}
        if comparison.parameter == "seed":
            if isinstance(value, int) and value >= 0:
                changes["seed"] = value
        elif comparison.parameter == "scheduler":
            if isinstance(value, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
                changes["scheduler"] = value
                value_origins["scheduler"] = at(*value_loc)
        elif comparison.parameter in SIZE_ARGUMENTS:
            if not _bad_size(value):
                changes[comparison.parameter] = value
        else:
            changes["arguments"] = {**arguments, comparison.parameter: value}
        if not changes:
            problems.append(_problem(at(*value_loc), _BAD_VALUE[comparison.parameter](value)))
            continue
        in_sweep = sweep if sweep is not None and value in sweep.values else None
        specs.append(
            replace(
                common,
                **{"arguments": arguments, **changes},
                role=role,
                value=value,
                sweep=in_sweep,
                origins={**origins, **value_origins},
            )
        )
    if problems:
        raise ProblemsFound(problems)
    return specs


_BAD_VALUE = {
    "seed": lambda value: f"a seed is a whole number from 0 up, got {value!r}",
    "scheduler": lambda value: f"a scheduler is a diffusers class name such as `EulerDiscreteScheduler`, got {value!r}",
    "width": lambda value: f"width must be a whole number of pixels, a multiple of 8, got {value!r}",
    "height": lambda value: f"height must be a whole number of pixels, a multiple of 8, got {value!r}",
}


def all_specs(
    loaded: list[LoadedSetting], defaults: LoadedDefaults, overrides: Overrides = Overrides()
) -> list[FigureSpec]:
    """Specs for every setting with a comparison; raises ProblemsFound with the problems of all of them."""
    specs, problems = [], []
    for item in loaded:
        try:
            specs.extend(comparison_specs(item, defaults, overrides))
        except ProblemsFound as found:
            problems.extend(found.problems)
    if problems:
        raise ProblemsFound(problems)
    return specs


def _bad_size(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or value < 8 or value % 8


def _problem(origin: Origin | None, message: str) -> Problem:
    return origin[0].problem_at(origin[1], message) if origin else Problem("(command line)", 1, 1, "", message)
