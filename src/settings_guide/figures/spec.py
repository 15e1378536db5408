"""The figure defaults file plus each setting's comparison -> one FigureSpec per image.

Pure: reads ``figures/defaults.yml`` and validated settings, imports no torch. Every value a
spec carries remembers where it was written (``origins``), so a later check, such as "the
pipeline does not accept this argument", can point at the right file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import Problem, ProblemsFound, did_you_mean
from ..settings.load import display_path, problem_in_document
from ..settings.model import (
    Adapter,
    ArgumentValue,
    ComparisonModel,
    HttpsUrl,
    Identifier,
    LoadedSetting,
    LongText,
    Seed,
    ShortText,
    Slug,
    Text,
)
from ..settings.yaml_reader import PlainScalar, YamlReadError, read_yaml
from .formats import parse_format

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
# Arguments SDXL adds together as tuples (`original_size + crops_coords_top_left + target_size`): a YAML
# list must reach the pipeline (and the reproduction code) as a tuple.
TUPLE_ARGUMENTS = frozenset(
    {
        "original_size",
        "target_size",
        "crops_coords_top_left",
        "negative_original_size",
        "negative_target_size",
        "negative_crops_coords_top_left",
    }
)
CANNY_THRESHOLDS = (100, 200)  # OpenCV's Canny hysteresis thresholds for a control image, as diffusers' examples


def _whole_number(value: Any) -> Any:
    if isinstance(value, PlainScalar) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    return value


Pixels = Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=8, le=8192, multiple_of=8)]
ModelId = Annotated[Text, Field(min_length=1, max_length=500, pattern=r"^\S(.*\S)?$")]


Revision = Annotated[Text, Field(pattern=r"^[A-Za-z0-9._/-]+$", max_length=80)]
COMMIT = re.compile(r"[0-9a-f]{40}")
PIN_HINT = "run `settings-guide figures --pin` on a machine with Hub access to write its current commit here"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelProfile(_Strict):
    """One model a comparison can name: its weights, pipeline and the base call its model card recommends."""

    label: ShortText  # how pages name it, e.g. "FLUX.1 [schnell]"
    model: ModelId  # Hub id (or a local diffusers folder)
    revision: Revision  # a commit (validated with the rest): a branch such as "main" can change unnoticed
    pipeline: Identifier
    dtype: Literal[DTYPES]  # type: ignore[valid-type]
    width: Pixels
    height: Pixels
    negative_prompt: bool = True  # whether its base call takes the shared negative prompt
    arguments: dict[Identifier, ArgumentValue] = Field(default_factory=dict)
    source: HttpsUrl | None = None  # where its base arguments come from (the model card)


class FigureDefaults(_Strict):
    """What every comparison image starts from; see figures/defaults.yml."""

    default_model: Slug
    models: Annotated[dict[Slug, ModelProfile], Field(min_length=1)]
    prompt: LongText
    negative_prompt: LongText | None = None
    seed: Seed
    format: Literal["webp"] = "webp"
    quality: Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=1, le=100)] = 80

    @property
    def default(self) -> ModelProfile:
        return self.models[self.default_model]


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
        raise ProblemsFound(
            [_defaults_problem(shown, document, detail) for detail in error.errors(include_url=False)]
        ) from None
    loaded = LoadedDefaults(values, shown, document)
    problems = []
    if values.default_model not in values.models:
        problems.append(
            loaded.problem_at(
                ("default_model",),
                f"no profile named {values.default_model!r} under `models`"
                + did_you_mean(values.default_model, values.models),
            )
        )
    for name, profile in values.models.items():
        for argument in (*SIZE_ARGUMENTS, *sorted(RESERVED_ARGUMENTS)):
            if argument in profile.arguments:
                problems.append(
                    loaded.problem_at(
                        ("models", name, "arguments", argument),
                        f"`{argument}` cannot be a profile argument; "
                        + (
                            "set the size with the profile's `width:` and `height:`"
                            if argument in SIZE_ARGUMENTS
                            else "the figure pipeline sets it itself"
                        ),
                    )
                )
    if problems:
        raise ProblemsFound(problems)
    return loaded


def _defaults_problem(shown: str, document, detail: dict) -> Problem:
    loc, message = tuple(detail["loc"]), detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        in_profile = len(loc) == 3 and loc[0] == "models"
        fields = list((ModelProfile if in_profile else FigureDefaults).model_fields)
        message = f"unknown field {loc[-1]!r}" + did_you_mean(str(loc[-1]), fields) + f" (allowed: {', '.join(fields)})"
        if len(loc) == 1 and loc[0] in ModelProfile.model_fields:
            message += "; a model's settings now live in a named profile under `models:` (see the file's comments)"
    elif detail["type"] == "missing":
        message = "this field is required"
    return problem_in_document(shown, document, loc, message, prefer_key=detail["type"] == "extra_forbidden")


@dataclass(frozen=True)
class Unpinned:
    """A Hub model named without a commit: where its revision is (or goes), and the model id."""

    source: Any  # LoadedDefaults or LoadedSetting
    revision_loc: tuple  # ("models", name, "revision") or ("comparison", "revision")
    model_loc: tuple  # the `model:` line, after which `--pin` writes a missing revision
    model: str
    revision: str | None  # None: the file gives none (the Hub's "main" is used)

    def problem(self) -> Problem:
        given = f"`revision: {self.revision}` is a branch or tag" if self.revision else "it has no `revision`"
        message = (
            f"{self.model} is not pinned to a commit ({given}), so a change on the Hub would go unnoticed; "
            f"{PIN_HINT}, or copy the 40-character commit from the model's Hub page (Files and versions, History)"
        )
        return self.source.problem_at(self.revision_loc if self.revision else self.model_loc, message)


def unpinned_models(loaded: list[LoadedSetting], defaults: LoadedDefaults) -> list[Unpinned]:
    """Every Hub model of the profiles and of comparisons' own `model` that is not pinned to a commit."""
    from .plan import looks_like_path  # a local folder is identified by its files, not by a commit

    found = []
    d = defaults.values
    for name, profile in d.models.items():
        if not looks_like_path(profile.model) and not COMMIT.fullmatch(profile.revision):
            found.append(
                Unpinned(
                    defaults, ("models", name, "revision"), ("models", name, "model"), profile.model, profile.revision
                )
            )
    for item in loaded:
        comparison = item.setting.comparison
        adapter = comparison.adapter if comparison is not None else None
        if adapter is not None and not COMMIT.fullmatch(adapter.revision or ""):
            found.append(
                Unpinned(
                    item,
                    ("comparison", "adapter", "revision"),
                    ("comparison", "adapter", "model"),
                    adapter.model,
                    adapter.revision,
                )
            )
        if comparison is None or comparison.models or comparison.model in (None, d.default.model):
            continue
        if not looks_like_path(comparison.model) and not COMMIT.fullmatch(comparison.revision or ""):
            found.append(
                Unpinned(
                    item,
                    ("comparison", "revision"),
                    ("comparison", "model"),
                    comparison.model,
                    comparison.revision,
                )
            )
    return found


@dataclass(frozen=True)
class Overrides:
    """Command-line choices that replace the configured defaults for one run."""

    model: str | None = None  # replaces the default profile's model (other profiles and explicit models keep theirs)
    width: int | None = None
    height: int | None = None
    dtype: str | None = None


Origin = tuple[Any, tuple]  # (LoadedSetting or LoadedDefaults, location inside that file); None: the command line


@dataclass(frozen=True)
class SweepSpec:
    """A comparison's sweep on one model: which values are measured against which reference (see figures/sweep.py)."""

    slug: str
    parameter: str
    values: tuple[Any, ...]
    reference: Any
    threshold: float
    reference_label: str | None = None
    profile: str | None = None  # set when the comparison lists `models`: each model has its own sweep
    label: str | None = None  # the model's display label

    @property
    def id(self) -> str:
        """The sweep's key in the manifest: the setting, plus the profile when the comparison has several models."""
        return sweep_id(self.slug, self.profile)


def sweep_id(slug: str, profile: str | None) -> str:
    return f"{slug}/{profile}" if profile else slug


@dataclass(frozen=True)
class FigureSpec:
    """Everything one image depends on, before any model is looked at."""

    role: Literal["comparison", "sweep", "input", "stage"]  # sweep: an image only the sweep's chart uses;
    # stage: a recipe's first stage whose output is latents, not a picture (kept in the stage cache)
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
    profile: str | None = None  # the model profile the image belongs to; None for a comparison's own `model`
    label: str | None = None  # that model's display label, e.g. "FLUX.1 [schnell]"
    per_model: bool = False  # the comparison lists `models`: the image lives in its model's folder and tab
    recipe: str | None = None  # "hires-fix" or "refiner": how the input (first stage) is used
    upscale: float | None = None  # hires fix: the input image is enlarged to this spec's size (Lanczos)
    adapter: Adapter | None = None  # loaded onto the model before this image (part of the model load)
    applied: dict[str, Any] = field(default_factory=dict)  # values the runner applies outside the call
    measure: str | None = None  # "output-format" or "batch-size"
    origins: dict[str, Origin | None] = field(default_factory=dict, compare=False, repr=False)

    def problem(self, name: str, message: str) -> Problem | None:
        """A Problem at the line that set ``name`` (an argument, ``model``, ...); None if the command line did."""
        origin = self.origins.get(name)
        return origin[0].problem_at(origin[1], message) if origin else None


def profile_spec(defaults: LoadedDefaults, name: str, overrides: Overrides = Overrides()) -> FigureSpec:
    """A profile's own text-to-image image: shared prompt and seed, its model, size, dtype and base arguments."""
    d, profile = defaults.values, defaults.values.models[name]
    at = lambda *loc: (defaults, ("models", name, *loc))  # noqa: E731
    replaced = overrides.model is not None and name == d.default_model
    origins: dict[str, Origin | None] = {
        "model": None if replaced else at("model"),
        "pipeline": at("pipeline"),
        "prompt": (defaults, ("prompt",)),
    }
    arguments: dict[str, Any] = {"prompt": d.prompt}
    if d.negative_prompt is not None and profile.negative_prompt:
        arguments["negative_prompt"] = d.negative_prompt
        origins["negative_prompt"] = (defaults, ("negative_prompt",))
    for argument, value in profile.arguments.items():
        arguments[argument] = value
        origins[argument] = at("arguments", argument)
    return FigureSpec(
        role="input",
        task=TEXT_TO_IMAGE,
        model=overrides.model if replaced else profile.model,
        revision=profile.revision if not replaced or overrides.model == profile.model else "main",
        pipeline=profile.pipeline,
        pipeline_is_explicit=False,
        seed=d.seed,
        width=profile.width,
        height=profile.height,
        dtype=overrides.dtype or profile.dtype,
        format=d.format,
        quality=d.quality,
        arguments=arguments,
        profile=name,
        label=profile.label,
        origins=origins,
    )


def input_spec(defaults: LoadedDefaults, overrides: Overrides = Overrides()) -> FigureSpec:
    """The default profile's own text-to-image image; image-to-image comparisons start from it."""
    spec = profile_spec(defaults, defaults.values.default_model, overrides)
    return replace(spec, **dict(zip(("width", "height"), fit_size(spec.width, spec.height, overrides), strict=True)))


def fit_size(width: int, height: int, overrides: Overrides) -> tuple[int, int]:
    """``--size W x H`` shrinks (or grows) an image to fit inside that box, keeping its aspect ratio."""
    if overrides.width is None or overrides.height is None:
        return width, height
    return scaled(width, height, min(overrides.width / width, overrides.height / height))


def scaled(width: int, height: int, scale: float) -> tuple[int, int]:
    """A size times ``scale``, each side rounded to a multiple of 8 (what the pipelines take), at least 8."""
    return tuple(max(8, round(side * scale / 8) * 8) for side in (width, height))  # type: ignore[return-value]


def comparison_specs(
    item: LoadedSetting, defaults: LoadedDefaults, overrides: Overrides = Overrides()
) -> list[FigureSpec]:
    """One spec per compared value and model, in the order the page shows them, then each sweep's other values."""
    comparison = item.setting.comparison
    if comparison is None:
        return []
    entries = list(enumerate(comparison.models)) if comparison.models else [(None, None)]
    specs: list[FigureSpec] = []
    problems: list[Problem] = []
    for index, entry in entries:
        try:
            specs += _model_specs(item, defaults, overrides, entry, index)
        except ProblemsFound as found:
            problems += found.problems
    if problems:
        raise ProblemsFound(problems)
    return specs


def _model_specs(
    item: LoadedSetting,
    defaults: LoadedDefaults,
    overrides: Overrides,
    entry: ComparisonModel | None,
    index: int | None,
) -> list[FigureSpec]:
    """The images of one model of a comparison: its own entry in `models`, or the one-model form."""
    comparison = item.setting.comparison
    d = defaults.values
    problems: list[Problem] = []

    def at(*loc) -> Origin:  # a location in this setting's file
        return (item, ("comparison", *loc))

    def at_entry(*loc) -> Origin:
        return at("models", index, *loc) if entry is not None else at(*loc)

    # 1. Model: a named profile, the default profile (which --model may replace), or the comparison's own
    #    model with only the prompt: a profile's tuned arguments would not suit another model.
    if entry is not None and entry.profile not in d.models:
        raise ProblemsFound(
            [
                item.problem_at(
                    ("comparison", "models", index, "profile"),
                    f"no model profile named {entry.profile!r} in {defaults.source_path}"
                    + did_you_mean(entry.profile, d.models)
                    + f" (profiles: {', '.join(d.models)})",
                )
            ]
        )
    profile_name = entry.profile if entry is not None else d.default_model
    base = profile_spec(defaults, profile_name, overrides)
    own_model = entry is None and comparison.model not in (None, d.default.model)
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
    if entry is not None and entry.scheduler:
        scheduler, origins["scheduler"] = entry.scheduler, at_entry("scheduler")

    # 2. The comparison's own prompt and fixed arguments, then this model's.
    layers = [(comparison, at)] + ([(entry, at_entry)] if entry is not None else [])
    for source, where in layers:
        for name in ("prompt", "negative_prompt"):
            if getattr(source, name) is not None:
                arguments[name], origins[name] = getattr(source, name), where(name)
        for name, value in source.arguments.items():
            arguments[name], origins[name] = value, where("arguments", name)
    # A batch-size measurement compares num_images_per_prompt; the runner sets it from the value.
    compared_names = set(comparison.names) - (
        {"num_images_per_prompt"} if comparison.measure == "batch-size" else set()
    )
    for name in sorted(RESERVED_ARGUMENTS & {*arguments, *compared_names}):
        where = origins[name] if name in arguments else at("parameter")
        problems.append(
            _problem(where, f"`{name}` is set by the figure pipeline itself; it cannot be set or compared here")
        )
    seed = base.seed
    for source in (comparison, entry):
        if source is not None and source.seed is not None:
            seed = source.seed

    # 3. Size: --size, else fixed width/height arguments, else the profile's.
    width, height = base.width, base.height
    for name in SIZE_ARGUMENTS:
        if name in arguments:
            value = arguments.pop(name)
            if _bad_size(value):
                problems.append(_problem(origins[name], f"{name} must be a whole number of pixels, a multiple of 8"))
            else:
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
        seed=seed,
        width=width,
        height=height,
        scheduler=scheduler,
        input=input_spec(defaults, overrides) if comparison.task == IMAGE_TO_IMAGE else None,
        slug=item.slug,
        parameter=comparison.parameter_key,
        profile=None if own_model else profile_name,
        label=None if own_model else base.label,
        per_model=entry is not None,
    )
    values = comparison.values_for(entry)
    values_at = ("models", index, "values") if entry is not None and entry.values is not None else ("values",)
    declared = comparison.sweep_for(entry)
    sweep_at = ("models", index, "sweep") if entry is not None and entry.has_own_sweep else ("sweep",)
    # A sweep's values that the comparison already shows reuse its images (same inputs, same file).
    sweep = None
    compared = [("comparison", (*values_at, i), value) for i, value in enumerate(values)]
    if declared is not None:
        sweep = SweepSpec(
            item.slug,
            comparison.parameter_key,
            tuple(declared.values),
            declared.reference,
            declared.threshold,
            declared.reference_label,
            profile=profile_name if entry is not None else None,
            label=base.label,
        )
        compared += [
            ("sweep", (*sweep_at, "values", i), value) for i, value in enumerate(declared.values) if value not in values
        ]
    specs: list[FigureSpec] = []
    names = comparison.names
    for role, value_loc, value in compared:
        changes: dict[str, Any] = {}
        call, applied = dict(arguments), {}
        value_origins = {name: at("parameter") for name in names} | {"value": at(*value_loc)}
        bad = False
        for name, part in zip(names, value if len(names) > 1 else [value], strict=False):
            if name == "seed":
                bad |= not (isinstance(part, int) and not isinstance(part, bool) and part >= 0)
                changes["seed"] = part
            elif name == "scheduler":
                bad |= not (isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part))
                changes["scheduler"] = part
                value_origins["scheduler"] = at(*value_loc)
            elif name in SIZE_ARGUMENTS:
                bad |= _bad_size(part)
                changes[name] = part
            elif name == "dtype":  # the compared precision wins over the run's --dtype
                changes["dtype"] = part
            elif name in RUNNER_APPLIED:
                applied[name] = part
            else:
                call[name] = part
        if bad:
            problems.append(_problem(at(*value_loc), _BAD_VALUE[names[0]](value)))
            continue
        in_sweep = sweep if sweep is not None and value in sweep.values else None
        size = fit_size(changes.pop("width", width), changes.pop("height", height), overrides)
        spec = replace(
            common,
            **{"arguments": call, **changes},
            width=size[0],
            height=size[1],
            role=role,
            value=value,
            sweep=in_sweep,
            applied=applied,
            origins={**origins, **value_origins},
        )
        try:
            specs.append(_staged(spec, item, defaults, overrides))
        except ProblemsFound as found:
            problems += found.problems
    if problems:
        raise ProblemsFound(problems)
    return specs


# Compared values the runner applies itself rather than passing them to the pipeline call.
RUNNER_APPLIED = frozenset({"lora_scale", "ip_adapter_scale", "vae", "format", "num_images_per_prompt"})


def _staged(spec: FigureSpec, item: LoadedSetting, defaults: LoadedDefaults, overrides: Overrides) -> FigureSpec:
    """One compared image with what its recipe, adapter or measurement adds: its first stage, adapter, format."""
    comparison = item.setting.comparison
    adapter, recipe = comparison.adapter, comparison.recipe
    if adapter is not None and (adapter.kind != "vae" or spec.applied.get("vae") == adapter.name):
        spec = replace(spec, adapter=adapter)
    if adapter is not None and adapter.kind == "controlnet":
        # The control image is derived from the shared input image when the image is made.
        spec = replace(
            spec, input=input_spec(defaults, overrides), applied={**spec.applied, "control": adapter.control}
        )
    elif adapter is not None and adapter.kind == "ip-adapter":
        reference = input_spec(defaults, overrides)
        if adapter.reference_prompt:
            reference = replace(reference, arguments={**reference.arguments, "prompt": adapter.reference_prompt})
        spec = replace(spec, input=reference)
    if comparison.measure == "output-format":
        saved_as = parse_format(str(spec.value))
        # One lossless image is saved in each format: the formats' own losses are what the page shows.
        source = replace(input_spec(defaults, overrides), format="png", quality=100)
        return replace(
            spec,
            measure="output-format",
            input=source,
            format=saved_as.extension.lstrip("."),
            quality=saved_as.quality or 100,
        )
    if comparison.measure == "batch-size":
        return replace(spec, measure="batch-size")
    if recipe is None:
        return spec
    if recipe.kind == "hires-fix":
        # First stage: the same call without the compared values, at the model's native size (or --size's box).
        first_arguments = {k: v for k, v in spec.arguments.items() if k not in (*comparison.names, "strength")}
        native = fit_size(*_profile_size(defaults, spec.profile), overrides)
        first = replace(_as_first_stage(spec, "input"), arguments=first_arguments, width=native[0], height=native[1])
        enlarged = scaled(*native, recipe.upscale)
        return replace(
            spec,
            task=IMAGE_TO_IMAGE,
            recipe="hires-fix",
            upscale=recipe.upscale,
            input=first,
            width=enlarged[0],
            height=enlarged[1],
        )
    # The refiner ensemble: the base stops at denoising_end and hands its noisy latents to the refiner.
    if recipe.refiner not in defaults.values.models:
        raise ProblemsFound(
            [
                item.problem_at(
                    ("comparison", "recipe", "refiner"),
                    f"no model profile named {recipe.refiner!r} in {defaults.source_path}"
                    + did_you_mean(recipe.refiner, defaults.values.models),
                )
            ]
        )
    refiner = profile_spec(defaults, recipe.refiner, overrides)
    first = _as_first_stage(spec, "stage")
    arguments = {k: v for k, v in spec.arguments.items() if k != "denoising_end"}
    return replace(
        spec,
        task=IMAGE_TO_IMAGE,
        recipe="refiner",
        input=first,
        model=refiner.model,
        revision=refiner.revision,
        pipeline=refiner.pipeline,
        pipeline_is_explicit=False,
        dtype=refiner.dtype,
        profile=refiner.profile,
        label=refiner.label,
        arguments={**refiner.arguments, **arguments, "denoising_start": spec.value},
        origins={**spec.origins, "denoising_start": spec.origins["value"], "model": refiner.origins["model"]},
    )


def _as_first_stage(spec: FigureSpec, role: str) -> FigureSpec:
    """A compared image's first stage: the same model and call, made once and shared by every value it suits."""
    return replace(spec, role=role, task=TEXT_TO_IMAGE, sweep=None, input=None, recipe=None, applied={})


def _profile_size(defaults: LoadedDefaults, profile: str | None) -> tuple[int, int]:
    chosen = defaults.values.models.get(profile or "") or defaults.values.default
    return chosen.width, chosen.height


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
